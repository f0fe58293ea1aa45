"""Prediction coverage (predictions/coverage.py) on a planted slate in a real DuckDB warehouse:
most players with a line missing from the predictions -> the check WARNs and the day's best bets
of that market are not published, the reason in the gate; a full slate passes."""

import datetime as dt

import pandas as pd
from dagster import AssetCheckSeverity

from nba_assets.defs.predictions import coverage
from nba_assets.defs.predictions.best_bets import with_coverage
from nba_assets.lib import gate, tables
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

DAY = dt.date(2025, 11, 4)
PLAYERS = [f"player{i:02d}" for i in range(20)]


def planted(tmp_path) -> DuckDBWarehouse:
    """20 players with a line in rebounds and in points. Rebounds: 16 priced, 2 without history, 2
    missing from the predictions (16 / 18 = 88.9%: WARN, still published). Points: 5 priced, 15
    missing (25%: not published)."""
    warehouse = DuckDBWarehouse(database=str(tmp_path / "w.duckdb"))
    lines = pd.DataFrame(
        [{"game_date": DAY, "player_lookup": p, "market": m} for m in ("rebounds", "points") for p in PLAYERS]
    )
    rows = []
    for i, player in enumerate(PLAYERS[:18]):  # rebounds: the last two players are missing
        history = i < 16
        rows.append((player, "rebounds", "moving_average_v1", 6.0 if history else None, 0.5 if history else None))
    for player in PLAYERS[:5]:
        rows.append((player, "points", "moving_average_v1", 20.0, 0.5))
        rows.append((player, "points", "ml_market_v1", 20.0, 0.52))
    predictions = pd.DataFrame(
        rows, columns=["player_lookup", "market", "system_id", "predicted_value", "p_over"]
    ).assign(game_date=DAY)
    with warehouse.session():
        warehouse.replace_window(
            *tables.MARKET_LINES_CONSENSUS,
            lines,
            {"game_date": "DATE", "player_lookup": "VARCHAR", "market": "VARCHAR"},
            DAY,
            DAY + dt.timedelta(days=1),
        )
        warehouse.replace_window(
            *tables.MARKET_PROP_PREDICTIONS,
            predictions,
            {
                "game_date": "DATE",
                "player_lookup": "VARCHAR",
                "market": "VARCHAR",
                "system_id": "VARCHAR",
                "predicted_value": "DOUBLE",
                "p_over": "DOUBLE",
            },
            DAY,
            DAY + dt.timedelta(days=1),
        )
    return warehouse


def test_a_slate_with_most_players_missing_warns_and_blocks_the_markets_best_bets(tmp_path):
    warehouse = planted(tmp_path)
    with warehouse.session():
        rows = coverage.prediction_coverage(warehouse, DAY, DAY + dt.timedelta(days=1)).set_index("market")
    assert rows.loc["rebounds", ["lines", "no_history", "priced"]].tolist() == [20, 2, 16]
    assert rows.loc["rebounds", "coverage"] == round(16 / 18, 4)
    assert rows.loc["points", ["lines", "no_history", "priced"]].tolist() == [20, 0, 5]
    assert rows.loc["points", "coverage"] == 0.25

    checks = {r.check_name: r for r in coverage.coverage_results(rows.reset_index())}
    assert not checks["prediction_coverage_rebounds"].passed
    assert checks["prediction_coverage_rebounds"].severity == AssetCheckSeverity.WARN
    assert "2025-11-04 88.9%" in checks["prediction_coverage_rebounds"].description
    assert not checks["prediction_coverage_points"].passed
    assert checks["prediction_coverage_assists"].passed  # no lines, nothing missing

    gate_rows = pd.DataFrame(
        {
            "game_date": DAY,
            "system_id": "s",
            "market": ["rebounds", "points", "assists"],
            "publish": True,
            "reason": "Brier skill ... beyond the market",
        }
    )
    gated = with_coverage(gate_rows, rows.reset_index()).set_index("market")
    assert gated.loc["rebounds", "publish"] and gated.loc["rebounds", "coverage"] == round(16 / 18, 4)
    assert not gated.loc["points", "publish"]
    assert gated.loc["points", "reason"].startswith("prediction coverage 5/20 players")
    assert "below 80%" in gated.loc["points", "reason"]
    assert gated.loc["assists", "publish"]  # no lines in assists: nothing to cover, nothing blocked
    assert gate.COVERAGE_BLOCK < 16 / 18 < gate.COVERAGE_WARN


def test_a_full_slate_passes(tmp_path):
    warehouse = planted(tmp_path)
    with warehouse.session():
        rows = coverage.prediction_coverage(warehouse, DAY, DAY + dt.timedelta(days=1))
    full = rows.assign(priced=rows["lines"] - rows["no_history"], coverage=1.0)
    assert all(r.passed for r in coverage.coverage_results(full))
    assert coverage.blocked(full).empty


def test_a_gate_with_no_blocked_market_keeps_its_reasons(tmp_path):
    warehouse = planted(tmp_path)
    with warehouse.session():
        rows = coverage.prediction_coverage(warehouse, DAY, DAY + dt.timedelta(days=1))
    gate_rows = pd.DataFrame(
        {"game_date": DAY, "system_id": "s", "market": ["rebounds"], "publish": True, "reason": "ok"}
    )
    gated = with_coverage(gate_rows, rows[rows["market"] == "rebounds"])
    assert gated["publish"].tolist() == [True] and gated["reason"].tolist() == ["ok"]

"""The ML system, its leakage guard, best bets, the backtest report and the JSON exports."""

import datetime as dt
import json

import pandas as pd
import pytest

from nba_assets.defs.grading.edge_report import bucket_stats, profit, wilson
from nba_assets.defs.predictions.best_bets import select_best_bets
from nba_assets.lib import export_schemas as schemas
from nba_assets.lib.markets import MARKET_KEYS, MODEL_MARKET_KEYS, YES_NO_KEYS


def test_ml_predictions_only_for_complete_features(replayed):
    rows = replayed.query(
        "SELECT p.system_id, count(*) AS n, count(p.predicted_value) AS predicted, "
        "bool_and(f.stat_avg_last_10 IS NOT NULL AND f.stat_avg_season IS NOT NULL "
        "AND f.minutes_avg_last_10 IS NOT NULL) AS complete "
        "FROM nba_predictions.market_prop_predictions p JOIN nba_features.player_market_features f "
        "USING (game_date, player_lookup, market) "
        "WHERE market = 'points' AND game_date BETWEEN DATE '2025-11-03' AND DATE '2025-11-04' GROUP BY 1"
    ).set_index("system_id")
    assert rows.loc["ml_market_v1", "n"] > 200
    assert rows.loc["ml_market_v1", "predicted"] == rows.loc["ml_market_v1", "n"]
    assert rows.loc["ml_market_v1", "complete"]
    assert rows.loc["ml_market_v1", "n"] < rows.loc["moving_average_v1", "n"]


def test_exports_validate_against_their_schemas(replayed):
    root = replayed.root / "data" / "v1"
    for day in ("2025-11-02", "2025-11-03", "2025-11-04"):
        predictions = schemas.PredictionsFile.model_validate_json((root / "predictions" / f"{day}.json").read_text())
        assert predictions.game_date == dt.date.fromisoformat(day) and predictions.predictions
        bets = schemas.BestBetsFile.model_validate_json((root / "best-bets" / f"{day}.json").read_text())
        results = schemas.ResultsFile.model_validate_json((root / "results" / f"{day}.json").read_text())
        assert len(results.picks) == len(bets.picks) <= 15
        assert results.summary.pending == 0  # every game of the window is final in the archive
        per_game = pd.Series(["-".join(sorted([p.team, p.opponent])) for p in bets.picks]).value_counts()
        assert per_game.empty or per_game.max() <= 2
        # Every pick comes from a system and market whose record the gate published; a day
        # without picks says why, naming the held-back systems.
        published = {(g.system_id, g.market) for g in bets.systems if g.published}
        assert {(p.system_id, p.market) for p in bets.picks} <= published
        assert len(bets.systems) == 18  # 2 systems (baseline, ml_market_v1) x 9 markets
        if not bets.picks:
            assert bets.no_picks_reason and "held back" in bets.no_picks_reason
        assert all(p.ev > 0 and 0 < p.stake <= 0.02 for p in bets.picks)
    markets = {p.market for p in predictions.predictions}
    assert markets == set(MARKET_KEYS)
    priced = [p for p in predictions.predictions if p.p_over is not None]
    assert priced and all(abs(p.p_over + p.p_under + p.p_push - 1) < 1e-3 for p in priced)
    performance = schemas.PerformanceFile.model_validate_json((root / "systems" / "performance.json").read_text())
    # The points market by edge bucket (v1 `systems`): the two systems of the points market.
    assert {s.system_id for s in performance.systems} == {"moving_average_v1", "ml_market_v1"}
    # Scored against the market per market: the baseline in every market, on real rows.
    overall = {m.market: m for m in performance.markets if m.segment == "all"}
    assert {(m.system_id, m.segment) for m in performance.markets} >= {
        ("ml_market_v1", "all"),
        ("moving_average_v1", "all"),
    }
    assert set(overall) == set(MARKET_KEYS)
    # The same rows of both systems: the slice's ML system has probabilities from the week of
    # 2025-11-03 on (its first weeks' holdouts are too small), so two dates of rows per market.
    # The archive has no double/triple-double prices: scored against the outcome alone.
    priced = [overall[m] for m in MODEL_MARKET_KEYS]
    assert all(m.scored_rows > 30 and m.market_brier > 0 and m.brier_skill is not None for m in priced)
    assert all(overall[m].scored_rows == 0 and overall[m].outcome_rows > 20 for m in YES_NO_KEYS)
    for market in overall:
        assert (root / "systems" / "plots" / f"reliability_{market}.png").read_bytes()[:4] == b"\x89PNG"
    assert performance.same_rows > 0 and performance.line.mae > 0
    assert (root / "systems" / "plots" / "hit_rate_by_edge.png").read_bytes()[:4] == b"\x89PNG"
    assert (root / "systems" / "plots" / "calibration.png").read_bytes()[:4] == b"\x89PNG"
    # Drawn by the figures' own run after the daily one (`make run`), as of the window's last date;
    # the daily run's report carries the numbers and says where its figures are.
    *daily, figures_run = replayed.window_results
    [drawn] = figures_run.get_asset_materialization_events()
    assert (drawn.asset_key.to_user_string(), drawn.partition) == ("market_backtest_plots", "2025-11-04")
    assert drawn.step_materialization_data.materialization.metadata["plots"].value == len(MARKET_KEYS) + 2
    reports = [
        e for r in daily for e in r.get_asset_materialization_events() if e.asset_key.path == ["market_backtest_report"]
    ]
    assert reports and all("reliability" not in e.step_materialization_data.materialization.metadata for e in reports)


def test_a_feature_leak_planted_during_the_run_blocks_its_predictions(replayed, monkeypatch):
    """Inside the one run of the whole graph (`make replay`'s, the UI backfill's): the feature store
    is built, then a leak appears in it (planted right after dbt's build), and the blocking check
    stops the model and the predictions of that run."""
    from dagster import AssetKey

    import nba_assets.defs.transform.dbt_models as dbt_models

    sql = "SELECT * FROM nba_predictions.market_prop_predictions ORDER BY game_date, player_lookup, market, system_id"
    before = replayed.query(sql)
    original = dbt_models.run_dbt

    def build_then_plant(context, dbt, warehouse, partitioned):
        yield from original(context, dbt, warehouse, partitioned)
        if AssetKey("player_market_features") in context.selected_asset_keys:
            warehouse.query(
                "UPDATE nba_features.player_market_features SET last_feature_game_date = game_date "
                "WHERE game_date = DATE '2025-11-04' AND player_lookup = 'shaigilgeousalexander' "
                "AND market = 'points' RETURNING 1"
            )

    monkeypatch.setattr(dbt_models, "run_dbt", build_then_plant)
    try:
        [result] = replayed.replay("2025-11-04", "2025-11-04")
        assert result.job_def.name == "daily_pipeline" and not result.success
        leak = [e for e in result.get_asset_check_evaluations() if e.check_name == "market_features_before_game_date"]
        assert leak and not leak[0].passed and "shaigilgeousalexander" in leak[0].description
        materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        assert "player_market_features" in materialized
        assert not materialized & {"market_models", "market_prop_predictions", "best_bets", "export_predictions"}
        pd.testing.assert_frame_equal(replayed.query(sql), before)
    finally:
        monkeypatch.setattr(dbt_models, "run_dbt", original)
        assert replayed.replay("2025-11-04", "2025-11-04")[0].success  # dbt rebuilds the row


def test_best_bets_rules():
    """By EV, at most 2 per game (either side of the matchup) and 15 a day, tiers by EV, only
    systems and markets the gate publishes."""
    n = 24
    picks = pd.DataFrame(
        {
            "game_date": ["2025-11-02"] * n,
            "player_lookup": [f"p{i}" for i in range(n)],
            "player_name": [f"P{i}" for i in range(n)],
            "team_abbr": ["AAA", "BBB", "AAA", "BBB"] + [f"T{i}" for i in range(n - 4)],
            "opponent_abbr": ["BBB", "AAA", "BBB", "AAA"] + [f"U{i}" for i in range(n - 4)],
            "system_id": ["good"] * (n - 2) + ["bad", "bad"],
            "market": ["points", "rebounds", "pra", "threes"] + ["assists"] * (n - 4),
            "recommendation": ["OVER"] * n,
            "line": [20.5] * n,
            "predicted_value": [22.5] * n,
            "p_over": [0.6] * n,
            "p_under": [0.4] * n,
            "p_push": [0.0] * n,
            "price": [-110.0] * n,
            "ev": [0.30, 0.25, 0.20, 0.15] + [0.01 * i for i in range(n - 4)],
            "stake": [0.02] * n,
        }
    )
    picks.loc[n - 2 :, "ev"] = [0.9, 0.8]  # the best EVs, from a system the gate holds back
    gate = pd.DataFrame(
        {
            "game_date": ["2025-11-02"] * 3,
            "system_id": ["good", "good", "bad"],
            "market": ["points", "rebounds", "assists"],
            "publish": [True, True, False],
        }
    )
    gate = pd.concat(
        [
            gate,
            pd.DataFrame(
                {
                    "game_date": "2025-11-02",
                    "system_id": "good",
                    "market": ["pra", "threes", "assists"],
                    "publish": True,
                }
            ),
        ]
    )
    chosen = select_best_bets(picks, gate)
    assert len(chosen) == 15 and chosen["rank"].tolist() == list(range(1, 16))
    assert "bad" not in set(chosen["system_id"])
    # AAA-BBB: four picks, two kept (the highest EVs), whichever team they are on
    assert chosen.head(2)["player_lookup"].tolist() == ["p0", "p1"]
    assert not {"p2", "p3"} & set(chosen["player_lookup"])
    assert chosen["ev"].is_monotonic_decreasing
    assert (chosen.loc[chosen["ev"] >= 0.10, "tier"] == "premium").all()
    assert (chosen.loc[chosen["ev"].between(0.05, 0.0999), "tier"] == "strong").all()
    assert (chosen.loc[chosen["ev"] < 0.05, "tier"] == "value").all()
    assert chosen.iloc[0]["edge"] == 2.0 and chosen.iloc[0]["confidence"] == 0.6


def test_backtest_arithmetic():
    assert profit(-110) == pytest.approx(100 / 110) and profit(150) == pytest.approx(1.5)
    low, high = wilson(53, 100)
    assert low == pytest.approx(0.4328, abs=1e-3) and high == pytest.approx(0.6248, abs=1e-3)
    rows = pd.DataFrame(
        {
            "edge": [2.5, -2.5, 2.5, 6.0],
            "line": [20.5, 20.5, 20.0, 10.5],
            "actual_points": [25, 25, 20, 30],
            "over_odds": [150.0, None, -110.0, -110.0],
            "under_odds": [-110.0, -120.0, -110.0, -110.0],
        }
    )
    buckets = {b["edge_min"]: b for b in bucket_stats(rows)}
    two = buckets[2.0]
    assert (two["bets"], two["wins"], two["losses"], two["pushes"]) == (3, 1, 1, 1)
    assert two["roi"] == pytest.approx((1.5 - 1) / 2)  # win at +150, loss, push excluded
    assert two["roi_at_default_odds"] == 0
    assert buckets[5.0]["wins"] == 1


def test_export_json_schemas_are_published():
    documents = schemas.json_schemas()
    assert set(documents) == {
        "predictions/{date}.json",
        "best-bets/{date}.json",
        "results/{date}.json",
        "systems/performance.json",
    }
    best_bet = documents["best-bets/{date}.json"]["$defs"]["BestBet"]["properties"]
    assert {"market", "p_over", "p_under", "ev", "stake"} <= set(best_bet)
    assert json.dumps(documents)


def test_a_dropped_in_snapshot_file_gets_graded_ml_predictions(replayed):
    """A user adds files of known shapes (the night's box scores and an Odds API snapshot) for a date
    after the archive slice and replays it: no code change, graded ML predictions, updated report."""
    from tests.conftest import ARCHIVE, BOX_FILE, CALENDAR_FILE, PROPS_FILE, props_game_date, read_text

    archive = replayed.resources["nba_source"].archive_dir
    day = "2025-11-05"
    box = read_text(ARCHIVE / BOX_FILE)
    box[box["GAME_DATE"] == day].to_csv(f"{archive}/boxscores/added_{day}.csv.gz", index=False)
    calendar = read_text(ARCHIVE / CALENDAR_FILE)
    calendar[calendar["GAME_DATE"] == day].to_csv(f"{archive}/schedule/added_{day}.csv.gz", index=False)
    props = read_text(ARCHIVE / PROPS_FILE)
    props[props_game_date(props) == day].to_csv(f"{archive}/props/raw_20251105_170000.csv.gz", index=False)

    assert all(result.success for result in replayed.replay(day, day))
    graded = replayed.query(
        "SELECT result, count(*) AS n FROM nba_grading.market_prop_accuracy "
        f"WHERE game_date = DATE '{day}' AND system_id = 'ml_market_v1' AND market = 'points' "
        "AND line IS NOT NULL GROUP BY 1"
    )
    assert graded["n"].sum() > 50 and "PENDING" not in set(graded["result"])
    report = json.loads((replayed.root / "data" / "v1" / "systems" / "performance.json").read_text())
    assert report["graded_dates"]["last"] == day

"""The walk-forward ML system per market (ml_market_v1): models of a week see no row of the week, the
blocking leakage guard, fit reuse, and its predictions in every market of a real-data slice."""

import datetime as dt

import numpy as np
import pandas as pd

from nba_assets.defs.model import market_models
from nba_assets.lib.markets import MARKET_KEYS, MODEL_MARKET_KEYS

WEEK = dt.date(2025, 11, 3)
WINDOW_SQL = "game_date BETWEEN DATE '2025-11-03' AND DATE '2025-11-04'"


def _run_models(replayed, partition: str = "2025-11-03"):
    """market_models alone for one date, checking the week's stored models against its rows."""
    from dagster import AssetSelection, materialize

    replayed._point_dbt_here()
    return materialize(
        [*replayed.defs.assets, *replayed.defs.asset_checks],
        selection=AssetSelection.assets("market_models"),
        partition_key=partition,
        resources=replayed.resources,
        instance=replayed.instance,
        raise_on_error=False,
        run_config={"ops": {"market_models": {"config": {"retrain": True}}}},
    )


def _metadata(result) -> dict:
    [materialization] = result.asset_materializations_for_node("market_models")
    return {key: value.value for key, value in materialization.metadata.items()}


def test_models_of_a_week_use_no_row_of_the_week(replayed):
    rows, slices = market_models.training_rows(replayed.warehouse, [WEEK, WEEK + dt.timedelta(weeks=1)])
    low, high = slices[WEEK]
    week_rows = rows.iloc[low:high]
    assert len(week_rows) > 7 * market_models.MIN_TRAINING_ROWS
    assert pd.to_datetime(week_rows["game_date"]).max() < pd.Timestamp(WEEK)
    # The rows of the week exist (the query reached past the Monday) and are not in the slice.
    assert (pd.to_datetime(rows["game_date"]) >= pd.Timestamp(WEEK)).sum() > 0
    record = market_models.ARTIFACTS.record(replayed.resources["landing"], WEEK)
    assert record["training_last_date"] < WEEK.isoformat()
    assert set(record["markets"]) == set(MODEL_MARKET_KEYS)
    evaluations = [
        e
        for result in replayed.window_results
        for e in result.get_asset_check_evaluations()
        if e.check_name == "market_training_before_week"
    ]
    assert evaluations and all(e.passed for e in evaluations)


def test_a_training_row_on_or_after_the_monday_is_blocked(replayed, monkeypatch):
    store = replayed.resources["landing"]
    artifact = store.get_bytes(market_models.ARTIFACTS.model_key(WEEK))
    original = market_models.training_rows

    def leaky(warehouse, weeks):  # plant: the query and slices forget the week's end by a day
        rows, slices = original(warehouse, [week + dt.timedelta(days=1) for week in weeks])
        return rows, {week: slices[week + dt.timedelta(days=1)] for week in weeks}

    monkeypatch.setattr(market_models, "training_rows", leaky)
    result = _run_models(replayed)
    assert not result.success
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "market_training_before_week"]
    assert not check.passed and "2025-11-03" in check.description
    on_monday = replayed.query(
        "SELECT count(*) AS n FROM nba_features.player_market_features f JOIN "
        "nba_analytics.player_game_summary g USING (game_date, player_lookup) "
        "WHERE g.played AND game_date = DATE '2025-11-03'"
    )["n"].iloc[0]
    assert check.metadata["rows_in_or_after_week"].value == on_monday > 0
    assert "2025-11-03" in check.metadata["rows"].value
    assert store.get_bytes(market_models.ARTIFACTS.model_key(WEEK)) == artifact  # nothing stored


def test_a_week_fitted_on_the_same_rows_by_the_same_code_is_not_refitted(replayed, monkeypatch):
    store = replayed.resources["landing"]
    artifact = store.get_bytes(market_models.ARTIFACTS.model_key(WEEK))
    fits = []
    original = market_models.train_week
    monkeypatch.setattr(market_models, "train_week", lambda rows: fits.append(len(rows)) or original(rows))
    result = _run_models(replayed)
    assert result.success
    metadata = _metadata(result)
    assert (metadata["weeks_fitted_now"], metadata["weeks_kept"]) == (0, 1)
    assert "kept (same rows and code)" in metadata["weeks"]
    assert fits == [] and store.get_bytes(market_models.ARTIFACTS.model_key(WEEK)) == artifact

    monkeypatch.setattr(market_models, "code_version", lambda: "changed")
    assert _metadata(_run_models(replayed))["weeks_fitted_now"] == 1 and len(fits) == 1
    monkeypatch.undo()
    assert _metadata(_run_models(replayed))["weeks_fitted_now"] == 1  # back to the real code's fit


def test_ml_rows_in_every_market_with_probabilities_summing_to_one(replayed):
    rows = replayed.query(
        f"SELECT * FROM nba_predictions.market_prop_predictions WHERE {WINDOW_SQL} AND system_id = 'ml_market_v1'"
    )
    assert set(rows["market"]) == set(MARKET_KEYS)
    priced = rows[rows["p_over"].notna()]
    assert set(priced["market"]) == set(MARKET_KEYS)
    assert np.allclose(priced["p_over"] + priced["p_under"] + priced["p_push"], 1.0, atol=1e-9)
    assert (priced[["p_over", "p_under", "p_push"]] >= 0).all().all()
    half = priced["line"] % 1 == 0.5
    assert (priced.loc[half, "p_push"] == 0).all()
    picks = rows[rows["recommendation"] != "PASS"]
    assert (picks["ev"] > 0).all() and picks["price"].notna().all()


def test_ml_row_counts_per_market_on_real_data(replayed):
    """One ML row per feature row with a line and complete features (the week has a model in every
    market), each with the baseline's row of the same player, date and market."""
    expected = replayed.query(
        f"SELECT market, count(*) AS n FROM nba_features.player_market_features WHERE {WINDOW_SQL} "
        "AND has_line AND stat_avg_last_10 IS NOT NULL AND stat_avg_season IS NOT NULL "
        "AND minutes_avg_last_10 IS NOT NULL GROUP BY 1"
    ).set_index("market")["n"]
    counts = replayed.query(
        f"SELECT market, system_id, count(*) AS n FROM nba_predictions.market_prop_predictions "
        f"WHERE {WINDOW_SQL} GROUP BY 1, 2"
    ).pivot(index="market", columns="system_id", values="n")
    counts = counts.loc[list(MODEL_MARKET_KEYS)]  # the yes/no markets have no feature rows (tests/test_yes_no.py)
    assert counts["ml_market_v1"].to_dict() == expected.to_dict()
    assert (counts["ml_market_v1"] <= counts["moving_average_v1"]).all()
    assert counts.loc["points", "ml_market_v1"] > 200
    graded = replayed.query(
        f"SELECT count(*) AS n FROM nba_grading.market_prop_accuracy WHERE {WINDOW_SQL} AND system_id = 'ml_market_v1' "
        "AND market NOT IN ('double_double', 'triple_double')"
    )["n"].iloc[0]
    assert graded == counts["ml_market_v1"].sum()


def test_without_evidence_against_the_line_the_system_defers_to_the_market():
    """A model with no learned stacking and line weight 0 gives the line as its mean and the
    market's de-vigged P(over | no push) as its own."""
    rows = pd.DataFrame({c: [4.0, 8.0] for c in market_models.STAT_COLUMNS})
    rows = rows.assign(
        days_rest=[1, 2],
        home_away=["HOME", "AWAY"],
        consensus_line=[5.5, 7.0],
        over_odds=[-130.0, 110.0],
        under_odds=[100.0, -140.0],
    )
    width = market_models.design(rows).shape[1]
    model = market_models.MarketModel(
        "rebounds", np.zeros(width), np.ones(width), np.zeros(width), np.log(6.0), line_weight=0.0, dispersion=5.0
    )
    predicted = model.predict(rows)
    assert predicted["predicted_value"].tolist() == [5.5, 7.0]
    from nba_assets.lib.probability import devig_over

    conditional = predicted["p_over"] / (predicted["p_over"] + predicted["p_under"])
    assert np.allclose(conditional, devig_over(rows["over_odds"], rows["under_odds"]))
    assert np.allclose(predicted[["p_over", "p_under", "p_push"]].sum(axis=1), 1.0)
    assert predicted.loc[0, "p_push"] == 0 and predicted.loc[1, "p_push"] > 0


def test_the_predictions_export_carries_the_ml_system(replayed):
    import json

    from nba_assets.lib import export_schemas as schemas

    payload = json.loads((replayed.root / "data" / "v1" / "predictions" / "2025-11-04.json").read_text())
    schemas.PredictionsFile(**payload)
    ml = [p for p in payload["predictions"] if p["system_id"] == "ml_market_v1"]
    assert {p["market"] for p in ml} == set(MARKET_KEYS)
    assert all(p["p_over"] is not None for p in ml if p["market"] == "points")


def test_the_replay_summary_has_one_line_per_market_and_system_on_the_same_rows(replayed):
    from nba_assets.cli.replay import format_market_summary, market_scores
    from nba_assets.defs.predictions.system_health import graded_market_rows

    scores = market_scores(graded_market_rows(replayed.warehouse, dt.date(2025, 11, 3), dt.date(2025, 11, 4)))
    assert {(e["market"], e["system_id"]) for e in scores} == {
        (m, s) for m in MARKET_KEYS for s in ("ml_market_v1", "moving_average_v1")
    }
    by_market = pd.DataFrame(scores).groupby("market")["n"].nunique()
    assert (by_market == 1).all()  # both systems scored on the same rows
    lines = format_market_summary(scores).splitlines()
    assert len(lines) == 3 + len(scores) and lines[3].split()[:2] == ["points", "ml_market_v1"]

"""The ML system, its leakage guard, best bets, the backtest report and the JSON exports."""

import datetime as dt
import json

import pandas as pd
import pytest

from nba_assets import export_schemas as schemas
from nba_assets.backtest import bucket_stats, profit, wilson
from nba_assets.best_bets import select_best_bets
from tests.conftest import Pipeline, write_archive_slice


def test_models_are_trained_before_their_week(replayed):
    # The slice starts 2025-10-21: the week of 2025-11-03 has a model, trained on earlier days only.
    assert replayed.resources["landing"].exists("models/points_model/2025-11-03.pkl")
    evaluations = [e for result in replayed.window_results for e in result.get_asset_check_evaluations()
                   if e.check_name == "training_before_week"]
    assert evaluations and all(e.passed for e in evaluations)
    materialization = replayed.instance.get_latest_materialization_event(
        __import__("dagster").AssetKey("points_model")).asset_materialization
    assert materialization.metadata["training_last_date"].value < "2025-11-03"
    assert materialization.metadata["training_rows"].value >= 500
    assert materialization.metadata["validation_mae"].value > 0


def test_ml_predictions_only_for_complete_features(replayed):
    rows = replayed.query(
        "SELECT system_id, count(*) AS n, count(predicted_points) AS predicted, "
        "bool_and(features_complete) AS complete FROM nba_predictions.player_prop_predictions "
        "WHERE game_date BETWEEN DATE '2025-11-03' AND DATE '2025-11-04' GROUP BY 1").set_index("system_id")
    assert rows.loc["ml_points_v1", "n"] > 300
    assert rows.loc["ml_points_v1", "predicted"] == rows.loc["ml_points_v1", "n"]
    assert rows.loc["ml_points_v1", "complete"]
    assert rows.loc["ml_points_v1", "n"] < rows.loc["moving_average_v1", "n"]


def test_exports_validate_against_their_schemas(replayed):
    root = replayed.root / "data" / "v1"
    for day in ("2025-11-02", "2025-11-03", "2025-11-04"):
        predictions = schemas.PredictionsFile.model_validate_json((root / "predictions" / f"{day}.json").read_text())
        assert predictions.game_date == dt.date.fromisoformat(day) and predictions.predictions
        bets = schemas.BestBetsFile.model_validate_json((root / "best-bets" / f"{day}.json").read_text())
        results = schemas.ResultsFile.model_validate_json((root / "results" / f"{day}.json").read_text())
        assert len(results.picks) == len(bets.picks) <= 15
        assert results.summary.pending == 0  # every game of the window is final in the archive
        per_team = pd.Series([p.team for p in bets.picks]).value_counts()
        assert per_team.empty or per_team.max() <= 2
    # The ML system may defer to the line entirely on a short history (line weight 0: no picks);
    # whatever it picks comes from it alone.
    bets = schemas.BestBetsFile.model_validate_json((root / "best-bets" / "2025-11-04.json").read_text())
    assert all(p.system_id == "ml_points_v1" for p in bets.picks)
    performance = schemas.PerformanceFile.model_validate_json((root / "systems" / "performance.json").read_text())
    assert {s.system_id for s in performance.systems} == {"moving_average_v1", "ml_points_v1"}
    assert performance.same_rows > 0 and performance.line.mae > 0
    assert (root / "systems" / "plots" / "hit_rate_by_edge.png").read_bytes()[:4] == b"\x89PNG"
    assert (root / "systems" / "plots" / "calibration.png").read_bytes()[:4] == b"\x89PNG"


def test_a_planted_feature_leak_blocks_the_predictions(replayed):
    before = replayed.query("SELECT count(*) AS n FROM nba_predictions.player_prop_predictions")["n"].iloc[0]
    replayed.query(  # plant: a feature row claims to have used a game of its own date
        "UPDATE nba_features.ml_feature_store SET last_feature_game_date = game_date "
        "WHERE game_date = DATE '2025-11-04' AND player_lookup = 'shaigilgeousalexander' RETURNING 1")
    try:
        result = _run_check_and_predictions(replayed)
        leak = [e for e in result.get_asset_check_evaluations() if e.check_name == "features_before_game_date"]
        assert leak and not leak[0].passed
        assert "shaigilgeousalexander" in leak[0].description
        materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        assert "player_prop_predictions" not in materialized
        after = replayed.query("SELECT count(*) AS n FROM nba_predictions.player_prop_predictions")["n"].iloc[0]
        assert after == before
    finally:
        replayed.query("UPDATE nba_features.ml_feature_store SET last_feature_game_date = NULL "
                       "WHERE last_feature_game_date = game_date RETURNING 1")
        assert replayed.replay("2025-11-04", "2025-11-04")[0].success


def test_a_feature_leak_planted_during_the_run_blocks_its_predictions(replayed, monkeypatch):
    """Inside the one run of the whole graph (`make replay`'s, the UI backfill's): the feature store
    is built, then a leak appears in it (planted right after dbt's build), and the blocking check
    stops the model and the predictions of that run."""
    import nba_assets.dbt_models as dbt_models
    from dagster import AssetKey

    sql = "SELECT * FROM nba_predictions.player_prop_predictions ORDER BY game_date, player_lookup, system_id"
    before = replayed.query(sql)
    original = dbt_models.run_dbt

    def build_then_plant(context, dbt, warehouse, partitioned):
        yield from original(context, dbt, warehouse, partitioned)
        if AssetKey("ml_feature_store") in context.selected_asset_keys:
            warehouse.query(
                "UPDATE nba_features.ml_feature_store SET last_feature_game_date = game_date "
                "WHERE game_date = DATE '2025-11-04' AND player_lookup = 'shaigilgeousalexander' RETURNING 1")

    monkeypatch.setattr(dbt_models, "run_dbt", build_then_plant)
    try:
        [result] = replayed.replay("2025-11-04", "2025-11-04")
        assert result.job_def.name == "daily_pipeline" and not result.success
        leak = [e for e in result.get_asset_check_evaluations() if e.check_name == "features_before_game_date"]
        assert leak and not leak[0].passed and "shaigilgeousalexander" in leak[0].description
        materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        assert "ml_feature_store" in materialized
        assert not materialized & {"points_model", "player_prop_predictions", "best_bets", "export_predictions"}
        pd.testing.assert_frame_equal(replayed.query(sql), before)
    finally:
        monkeypatch.setattr(dbt_models, "run_dbt", original)
        assert replayed.replay("2025-11-04", "2025-11-04")[0].success  # dbt rebuilds the row


def _run_check_and_predictions(pipeline):
    """The leakage check of ml_feature_store and the predictions, in one run for 2025-11-04."""
    from dagster import AssetCheckKey, AssetKey, AssetSelection, materialize

    selection = (AssetSelection.checks(AssetCheckKey(AssetKey("ml_feature_store"), "features_before_game_date"))
                 | AssetSelection.assets("player_prop_predictions"))
    pipeline._point_dbt_here()
    return materialize([*pipeline.defs.assets, *pipeline.defs.asset_checks], selection=selection,
                       partition_key="2025-11-04", resources=pipeline.resources,
                       instance=pipeline.instance, raise_on_error=False)


def test_a_model_whose_training_reaches_into_its_week_is_blocked(tmp_path, monkeypatch):
    import nba_assets.points_model as points_model

    archive = write_archive_slice(tmp_path / "archive", "2025-10-27", "2025-11-05")
    pipeline = Pipeline(tmp_path, archive)
    pipeline.replay("2025-10-27", "2025-11-05")
    original = points_model.training_rows_by_week

    def leaky(warehouse, weeks):  # plant: the query forgets the week's end
        late = original(warehouse, [week + dt.timedelta(days=3) for week in weeks])
        return {week: late[week + dt.timedelta(days=3)] for week in weeks}

    monkeypatch.setattr(points_model, "training_rows_by_week", leaky)
    job = pipeline.defs.resolve_job_def("weekly_points_model")
    result = job.execute_in_process(instance=pipeline.instance, raise_on_error=False, partition_key="2025-11-03")
    assert not result.success
    check = [e for e in result.get_asset_check_evaluations() if e.check_name == "training_before_week"]
    assert check and not check[0].passed and "2025-11-03" in check[0].description
    assert "rows_in_or_after_week" in check[0].metadata


def test_best_bets_rules():
    picks = pd.DataFrame({
        "game_date": ["2025-11-02"] * 20,
        "player_lookup": [f"p{i}" for i in range(20)],
        "player_name": [f"P{i}" for i in range(20)],
        "team_abbr": ["AAA"] * 4 + [f"T{i}" for i in range(16)],
        "opponent_abbr": ["BBB"] * 20,
        "system_id": ["ml_points_v1"] * 20,
        "recommendation": ["OVER"] * 20,
        "line": [20.5] * 20,
        "predicted_points": [22.5 + i * 0.1 for i in range(20)],
        "edge": [2 + i * 0.1 for i in range(20)],  # 2.0 .. 3.9
        "confidence": [0.6] * 20,
    })
    picks.loc[:3, "edge"] = [9.0, 8.0, 7.0, 6.0]  # four AAA players with the biggest edges
    chosen = select_best_bets(picks)
    assert len(chosen) == 15
    assert (chosen["team_abbr"] == "AAA").sum() == 2
    assert chosen["rank"].tolist() == list(range(1, 16))
    assert chosen.iloc[0]["edge"] == 9.0 and chosen.iloc[0]["tier"] == "premium"
    assert (chosen.loc[chosen["edge"] >= 5, "tier"] == "premium").all()
    assert (chosen.loc[chosen["edge"].between(3, 4.99), "tier"] == "strong").all()
    assert (chosen.loc[chosen["edge"] < 3, "tier"] == "value").all()
    assert set(chosen["tier"]) == {"premium", "strong", "value"}


def test_backtest_arithmetic():
    assert profit(-110) == pytest.approx(100 / 110) and profit(150) == pytest.approx(1.5)
    low, high = wilson(53, 100)
    assert low == pytest.approx(0.4328, abs=1e-3) and high == pytest.approx(0.6248, abs=1e-3)
    rows = pd.DataFrame({"edge": [2.5, -2.5, 2.5, 6.0], "line": [20.5, 20.5, 20.0, 10.5],
                         "actual_points": [25, 25, 20, 30], "over_odds": [150.0, None, -110.0, -110.0],
                         "under_odds": [-110.0, -120.0, -110.0, -110.0]})
    buckets = {b["edge_min"]: b for b in bucket_stats(rows)}
    two = buckets[2.0]
    assert (two["bets"], two["wins"], two["losses"], two["pushes"]) == (3, 1, 1, 1)
    assert two["roi"] == pytest.approx((1.5 - 1) / 2)  # win at +150, loss, push excluded
    assert two["roi_at_default_odds"] == 0
    assert buckets[5.0]["wins"] == 1


def test_export_json_schemas_are_published():
    documents = schemas.json_schemas()
    assert set(documents) == {"predictions/{date}.json", "best-bets/{date}.json", "results/{date}.json",
                              "systems/performance.json"}
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
        "SELECT result, count(*) AS n FROM nba_grading.prediction_accuracy "
        f"WHERE game_date = DATE '{day}' AND system_id = 'ml_points_v1' AND line IS NOT NULL GROUP BY 1")
    assert graded["n"].sum() > 50 and "PENDING" not in set(graded["result"])
    report = json.loads((replayed.root / "data" / "v1" / "systems" / "performance.json").read_text())
    assert report["graded_dates"]["last"] == day

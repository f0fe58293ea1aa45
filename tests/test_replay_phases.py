"""A replay is one run of the whole graph over its window; inside it, weekly models are fitted only
when the run touches their training data or they are missing (other weeks keep their model)."""

import datetime as dt

import pytest

from nba_assets.defs.model.market_models import ARTIFACTS, weeks_to_fit


class Store:
    def __init__(self, *weeks: str):
        self.keys = {ARTIFACTS.model_key(dt.date.fromisoformat(week)) for week in weeks}

    def exists(self, key: str) -> bool:
        return key in self.keys


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def days(first: str, last: str) -> list[dt.date]:
    return [day(first) + dt.timedelta(days=i) for i in range((day(last) - day(first)).days + 1)]


def test_a_date_whose_week_has_a_model_fits_nothing():
    # 2025-11-12 is a Wednesday; the model of its week (Monday 2025-11-10) uses days before it.
    assert weeks_to_fit(Store("2025-11-10"), days("2025-11-12", "2025-11-12")) == []
    assert weeks_to_fit(Store("2025-11-10"), days("2025-11-10", "2025-11-16")) == []


def test_a_missing_model_is_fitted():
    assert weeks_to_fit(Store(), days("2025-11-12", "2025-11-12")) == [day("2025-11-10")]


def test_weeks_after_start_are_refitted_because_their_training_data_is_replayed():
    store = Store("2025-12-01", "2025-12-08", "2025-12-15", "2025-12-22", "2025-12-29")
    assert weeks_to_fit(store, days("2025-12-01", "2025-12-30")) == [
        day("2025-12-08"),
        day("2025-12-15"),
        day("2025-12-22"),
        day("2025-12-29"),
    ]
    # A window starting mid-week: its first week's model stays, the next is refitted.
    assert weeks_to_fit(store, days("2025-12-03", "2025-12-09")) == [day("2025-12-08")]


def test_retrain_also_fits_the_first_weeks_model():
    assert weeks_to_fit(Store("2025-11-10"), days("2025-11-12", "2025-11-12"), retrain=True) == [day("2025-11-10")]


def test_replaying_one_date_of_a_replayed_window_is_one_run_and_changes_nothing(replayed):
    # 2025-11-04: its week's model (2025-11-03) was trained by the fixture's replay.
    sql = (
        "SELECT game_date, player_lookup, market, system_id, predicted_value, result "
        "FROM nba_grading.market_prop_accuracy WHERE game_date = DATE '2025-11-04' ORDER BY 2, 3, 4"
    )
    before = replayed.query(sql)
    results = replayed.replay("2025-11-04", "2025-11-04")
    assert [result.job_def.name for result in results] == ["daily_pipeline"]
    assert all(result.success for result in results)
    run = replayed.instance.get_run_by_id(results[0].run_id)
    assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
        "2025-11-04",
        "2025-11-04",
    )
    materialized = {e.asset_key.to_user_string() for e in results[0].get_asset_materialization_events()}
    assert {"raw_schedule", "market_models", "market_prop_predictions", "export_system_performance"} <= materialized
    assert len(before) > 0
    assert replayed.query(sql).equals(before)


@pytest.mark.slow
def test_downstream_refits_and_repredicts_the_later_dates_and_only_their_predictions_side(tmp_path):
    """`make replay ... REPLAY_ARGS=--downstream`: the window's run, then `retrain_and_repredict`
    over the later dates that have predictions (models and what derives from them, no raw data)."""
    from nba_assets.cli.replay import run_window
    from tests.conftest import Pipeline, write_archive_slice

    pipeline = Pipeline(tmp_path, write_archive_slice(tmp_path / "archive", "2025-10-27", "2025-11-04"))
    assert all(r.success for r in pipeline.replay("2025-10-27", "2025-11-04"))
    sql = (
        "SELECT game_date, player_lookup, market, system_id, predicted_value "
        "FROM nba_predictions.market_prop_predictions WHERE game_date > DATE '2025-11-02' ORDER BY 1, 2, 3, 4"
    )
    before = pipeline.query(sql)
    results = run_window(pipeline.instance, day("2025-11-02"), day("2025-11-02"), defs=pipeline.defs, downstream=True)
    assert [r.job_def.name for r in results] == ["daily_pipeline", "retrain_and_repredict"]
    assert all(r.success for r in results)
    run = pipeline.instance.get_run_by_id(results[1].run_id)
    assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
        "2025-11-03",
        "2025-11-04",
    )
    later = {e.asset_key.to_user_string() for e in results[1].get_asset_materialization_events()}
    assert {"market_models", "market_prop_predictions", "market_prop_accuracy", "export_predictions"} <= later
    assert not later & {"raw_schedule", "raw_player_boxscores", "player_market_features", "player_game_summary"}
    # The week of 2025-11-03 trains on days up to 11-02, replayed unchanged: the same fit is kept.
    model = [
        e for e in results[1].get_asset_materialization_events() if e.asset_key.to_user_string() == "market_models"
    ]
    assert model[0].materialization.metadata["fit"].value == "kept (same rows and code)"
    assert len(before) > 0 and pipeline.query(sql).equals(before)

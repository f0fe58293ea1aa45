"""Which runs a replay makes: weekly models are (re)trained only when the replay touches their
training data or they are missing; otherwise the window is one daily run (reports included)."""

import datetime as dt

from nba_assets.points_model import model_key
from nba_assets.replay import phases, weeks_to_train


class Store:
    def __init__(self, *weeks: str):
        self.keys = {model_key(dt.date.fromisoformat(week)) for week in weeks}

    def exists(self, key: str) -> bool:
        return key in self.keys


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def test_a_date_whose_week_has_a_model_is_one_daily_run():
    # 2025-11-12 is a Wednesday; the model of its week (Monday 2025-11-10) uses days before it.
    assert phases(Store("2025-11-10"), day("2025-11-12"), day("2025-11-12")) == [
        ("daily_pipeline", "2025-11-12", "2025-11-12")]
    assert phases(Store("2025-11-10"), day("2025-11-10"), day("2025-11-16"))[0][0] == "daily_pipeline"


def test_a_missing_model_is_trained_first():
    assert phases(Store(), day("2025-11-12"), day("2025-11-12")) == [
        ("ingest_and_features", "2025-11-12", "2025-11-12"),
        ("weekly_points_model", "2025-11-10", "2025-11-10"),
        ("predict_grade_export", "2025-11-12", "2025-11-12")]


def test_weeks_after_start_are_retrained_because_their_training_data_is_replayed():
    store = Store("2025-12-01", "2025-12-08", "2025-12-15", "2025-12-22", "2025-12-29")
    assert weeks_to_train(store, day("2025-12-01"), day("2025-12-30")) == [
        day("2025-12-08"), day("2025-12-15"), day("2025-12-22"), day("2025-12-29")]
    # A window starting mid-week: its first week's model stays, the next is retrained.
    assert weeks_to_train(store, day("2025-12-03"), day("2025-12-09")) == [day("2025-12-08")]


def test_retrain_also_trains_the_first_weeks_model():
    assert weeks_to_train(Store("2025-11-10"), day("2025-11-12"), day("2025-11-12"), retrain=True) == [
        day("2025-11-10")]


def test_replaying_one_date_of_a_replayed_window_changes_nothing(replayed):
    # 2025-11-04: its week's model (2025-11-03) was trained by the fixture's replay.
    sql = ("SELECT game_date, player_lookup, system_id, predicted_points, result "
           "FROM nba_grading.prediction_accuracy WHERE game_date = DATE '2025-11-04' ORDER BY 2, 3")
    before = replayed.query(sql)
    results = replayed.replay("2025-11-04", "2025-11-04")
    assert [result.job_def.name for result in results] == ["daily_pipeline"]
    assert all(result.success for result in results)
    assert len(before) > 0
    assert replayed.query(sql).equals(before)

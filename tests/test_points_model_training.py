"""A range of weeks is trained in worker processes, weeks with identical training rows once; the
models equal those trained one by one."""

import datetime as dt

import numpy as np

from nba_assets.defs.model import points_model
from nba_assets.defs.model.points_model import train_weeks, training_rows


def _assert_same(trained, rows, week):
    model, mae, validation_rows, training_rows_count = trained
    # Single-threaded like the workers (OpenMP threads spin-wait on a busy machine).
    expected = points_model._train_single_threaded(rows, week)
    assert (mae, validation_rows, training_rows_count) == expected[1:]
    assert model.line_weight == expected[0].line_weight
    features = rows.head(500)
    with points_model.single_threaded():
        assert np.array_equal(model.predict(features), expected[0].predict(features))


def test_weeks_trained_in_parallel_equal_weeks_trained_one_by_one(replayed):
    # Cut-offs inside the replayed days, so that every "week" trains on different rows.
    starts = [dt.date(2025, 11, 4) - dt.timedelta(days=i) for i in range(points_model.PARALLEL_FROM_WEEKS)]
    rows = {start: training_rows(replayed.warehouse, start) for start in starts}
    assert len({len(frame) for frame in rows.values()}) == len(starts)
    assert all(len(frame) >= points_model.MIN_TRAINING_ROWS for frame in rows.values())
    parallel = train_weeks(rows)
    for start in starts:
        _assert_same(parallel[start], rows[start], start)


def test_weeks_with_identical_training_rows_are_trained_once(replayed, monkeypatch):
    # The weeks after the replayed days all train on every replayed day, like the off-season.
    weeks = [dt.date(2025, 11, 3), dt.date(2025, 11, 10), dt.date(2025, 11, 17)]
    rows = {week: training_rows(replayed.warehouse, week) for week in weeks}
    assert rows[weeks[1]].equals(rows[weeks[2]]) and not rows[weeks[0]].equals(rows[weeks[1]])
    fits = []
    original = points_model._train_single_threaded
    monkeypatch.setattr(
        points_model, "_train_single_threaded", lambda frame, week: fits.append(week) or original(frame, week)
    )
    trained = train_weeks(rows)
    assert sorted(fits) == weeks[:2]
    assert trained[weeks[2]] is trained[weeks[1]]
    for week in weeks:
        _assert_same(trained[week], rows[week], week)


def _weekly_run(pipeline, week: str) -> dict:
    job = pipeline.defs.resolve_job_def("weekly_points_model")
    result = job.execute_in_process(instance=pipeline.instance, partition_key=week)
    assert result.success
    [materialization] = result.asset_materializations_for_node("points_model")
    return {key: value.value for key, value in materialization.metadata.items()}


def test_a_week_fitted_on_the_same_rows_by_the_same_code_keeps_its_model(tmp_path, monkeypatch):
    from tests.conftest import Pipeline, write_archive_slice

    archive = write_archive_slice(tmp_path / "archive", "2025-10-21", "2025-11-04")
    pipeline = Pipeline(tmp_path, archive)
    assert all(result.success for result in pipeline.replay("2025-10-21", "2025-11-04"))
    store = pipeline.resources["landing"]
    artifact = store.get_bytes(points_model.model_key(dt.date(2025, 11, 3)))

    # Replaying unchanged days: the fit would be identical, so the stored one is kept.
    again = _weekly_run(pipeline, "2025-11-03")
    assert (again["weeks_fitted_now"], again["weeks_kept"], again["weeks_trained"]) == (0, 1, 1)
    assert "kept (same rows and code)" in again["weeks"]
    assert store.get_bytes(points_model.model_key(dt.date(2025, 11, 3))) == artifact

    # Changed training rows (here: every outcome 3 points higher): fitted again.
    original = points_model.training_rows_by_week

    def corrected(warehouse, weeks):
        rows = original(warehouse, weeks)
        return {week: frame.assign(actual_points=frame["actual_points"] + 3) for week, frame in rows.items()}

    monkeypatch.setattr(points_model, "training_rows_by_week", corrected)
    refit = _weekly_run(pipeline, "2025-11-03")
    assert (refit["weeks_fitted_now"], refit["weeks_kept"]) == (1, 0)
    assert store.get_bytes(points_model.model_key(dt.date(2025, 11, 3))) != artifact

    # A change to the training code is a new fit too.
    monkeypatch.setattr(points_model, "training_rows_by_week", original)
    _weekly_run(pipeline, "2025-11-03")  # back to the real rows
    monkeypatch.setattr(points_model, "code_version", lambda: "changed")
    assert _weekly_run(pipeline, "2025-11-03")["weeks_fitted_now"] == 1

"""A range of weeks is trained in worker processes, weeks with identical training rows once; the
models equal those trained one by one."""

import datetime as dt

import numpy as np

from nba_assets import points_model
from nba_assets.points_model import train_weeks, training_rows


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
    monkeypatch.setattr(points_model, "_train_single_threaded",
                        lambda frame, week: fits.append(week) or original(frame, week))
    trained = train_weeks(rows)
    assert sorted(fits) == weeks[:2]
    assert trained[weeks[2]] is trained[weeks[1]]
    for week in weeks:
        _assert_same(trained[week], rows[week], week)

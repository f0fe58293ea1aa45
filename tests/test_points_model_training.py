"""A range of weeks is trained in worker processes; the models equal those trained one by one."""

import datetime as dt

import numpy as np

from nba_assets import points_model
from nba_assets.points_model import train_weeks, training_rows


def test_weeks_trained_in_parallel_equal_weeks_trained_one_by_one(replayed):
    # Weeks after the replayed days: each trains on all of them, with its own validation split.
    weeks = [dt.date(2025, 11, 3) + dt.timedelta(weeks=i) for i in range(points_model.PARALLEL_FROM_WEEKS)]
    rows = {week: training_rows(replayed.warehouse, week) for week in weeks}
    assert all(len(frame) >= points_model.MIN_TRAINING_ROWS for frame in rows.values())
    parallel = train_weeks(rows)
    for week in weeks:
        model, mae, validation_rows, training_rows_count = parallel[week]
        # Single-threaded like the workers (OpenMP threads spin-wait on a busy machine).
        expected = points_model._train_single_threaded(rows[week], week)
        assert (mae, validation_rows, training_rows_count) == expected[1:]
        assert model.line_weight == expected[0].line_weight
        features = rows[week].head(500)
        with points_model.single_threaded():
            assert np.array_equal(model.predict(features), expected[0].predict(features))

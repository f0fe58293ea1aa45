"""A range of weeks is trained in worker processes, weeks with identical training rows once; the
models equal those trained one by one (weekly.py's machinery, on the market models)."""

import datetime as dt

import numpy as np
import pytest

from nba_assets.defs.model import market_models, weekly


def _assert_same(trained: dict, rows, bounds):
    # Single-threaded like the workers (OpenMP threads spin-wait on a busy machine).
    with weekly.single_threaded():
        expected = market_models.train_week(market_models.TrainingArrays.of(rows).take(slice(*bounds)))
    assert sorted(trained) == sorted(expected)
    for market, model in expected.items():
        got = trained[market]
        assert (got is None) == (model is None), market
        if model is None:
            continue
        assert np.array_equal(got.coef, model.coef) and got.intercept == model.intercept, market
        assert got.figures == model.figures, market


def test_weeks_trained_in_parallel_equal_weeks_trained_one_by_one(replayed):
    # Cut-offs inside the replayed days, so that every "week" trains on different rows.
    starts = [dt.date(2025, 11, 4) - dt.timedelta(days=i) for i in range(weekly.PARALLEL_FROM_JOBS)]
    rows, slices = market_models.training_rows(replayed.warehouse, starts)
    assert len({high - low for low, high in slices.values()}) == len(starts)
    keys = market_models.fit_keys(rows, slices)
    parallel = market_models.train_weeks(rows, slices, keys)
    for start in starts:
        _assert_same(parallel[start], rows, slices[start])


def test_weeks_with_identical_training_rows_are_trained_once(replayed, monkeypatch):
    # The weeks after the replayed days all train on every replayed day, like the off-season.
    weeks = [dt.date(2025, 11, 3), dt.date(2025, 11, 10), dt.date(2025, 11, 17)]
    rows, slices = market_models.training_rows(replayed.warehouse, weeks)
    keys = market_models.fit_keys(rows, slices)
    assert keys[weeks[1]] == keys[weeks[2]] != keys[weeks[0]]
    fits = []
    original = market_models._fit_job
    monkeypatch.setattr(
        market_models, "_fit_job", lambda week, bounds, shared: fits.append(week) or original(week, bounds, shared)
    )
    trained = market_models.train_weeks(rows, slices, keys)
    assert sorted(fits) == weeks[:2]
    assert trained[weeks[2]] is trained[weeks[1]]
    for week in weeks:
        _assert_same(trained[week], rows, slices[week])


def test_the_worker_pool_started_ahead_runs_jobs_reports_a_failure_and_leaves_no_process():
    jobs = {i: i for i in range(weekly.PARALLEL_FROM_JOBS)}
    with weekly.worker_pool("builtins:max", len(jobs)) as pool:  # max(job, payload, shared)
        assert pool is not None
        assert weekly.run_jobs("builtins:max", jobs, shared=3, pool=pool) == {i: max(i, 3) for i in jobs}
    with weekly.worker_pool("math:sqrt", len(jobs)) as pool:  # sqrt takes one argument: the workers fail
        with pytest.raises(RuntimeError, match="(?s)training worker \\(math:sqrt\\) failed: .*TypeError"):
            pool.run(jobs, None)
    processes = pool._processes
    with weekly.worker_pool("builtins:max", len(jobs)) as idle:  # never given jobs: stopped at the exit
        processes += idle._processes
    assert all(process.returncode is not None for process in processes)
    with weekly.worker_pool("builtins:max", weekly.PARALLEL_FROM_JOBS - 1) as none:
        assert none is None  # too few jobs for workers: run_jobs runs them here


def test_a_worker_that_cannot_start_is_named_with_its_error():
    jobs = {i: i for i in range(weekly.PARALLEL_FROM_JOBS)}
    with weekly.worker_pool("no_such_module:fit", len(jobs)) as pool:
        for process in pool._processes:  # dead before they are given jobs: writing to them fails
            process.wait(timeout=120)
        with pytest.raises(
            RuntimeError, match="(?s)training worker \\(no_such_module:fit\\) failed: .*ModuleNotFoundError"
        ):
            pool.run(jobs, None)

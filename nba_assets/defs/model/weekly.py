"""What every weekly model needs, once: the week of a date, which weeks a run fits, the fit key
(training rows + code), the artifact and fit-record store with reuse, and the worker pool.

A weekly model (market_models.py) is fitted once per week on rows strictly before
the week's Monday. Its artifact `<prefix>/<week>.pkl` and its fit record `<prefix>/<week>.json`
(what it was fitted on: `fit_key`, plus the model's own figures) live in the object store. A week
whose record shows the same training rows and code keeps its artifact: the fit would be identical
(training is deterministic). Weeks with identical rows share one fit (the off-season), and many
distinct weeks are trained in worker processes, one per core.
"""

import datetime as dt
import functools
import hashlib
import json
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resources.interfaces import ObjectStore

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

TRAINING_WEEKS = 52


def monday(day: dt.date) -> dt.date:
    """The week of a game date (weeks start on Monday, US Eastern dates)."""
    return day - dt.timedelta(days=day.weekday())


def weeks_of(days: "list[dt.date]") -> "list[dt.date]":
    return sorted({monday(day) for day in days})


def weeks_to_fit(exists, days: "list[dt.date]", retrain: bool = False) -> "list[dt.date]":
    """The weeks whose training rows a run reads: all weeks of the run's dates but one that starts
    on or before the first date and already has an artifact (`exists(week)`): its training rows are
    all before the run's dates, so the run cannot have changed them (`retrain` checks it anyway)."""
    first = min(days)
    return [week for week in weeks_of(days) if retrain or week > first or not exists(week)]


@dataclass(frozen=True)
class WeeklyArtifacts:
    """A weekly model's artifacts and fit records under `prefix` in the object store."""

    prefix: str

    def model_key(self, week: dt.date) -> str:
        return f"{self.prefix}/{week.isoformat()}.pkl"

    def record_key(self, week: dt.date) -> str:
        """The artifact's record: what it was fitted on (`fit_key`) and its validation figures."""
        return f"{self.prefix}/{week.isoformat()}.json"

    def exists(self, store: ObjectStore, week: dt.date) -> bool:
        return store.exists(self.model_key(week))

    def load(self, store: ObjectStore, week: dt.date):
        if not store.exists(self.model_key(week)):
            return None
        return pickle.loads(store.get_bytes(self.model_key(week)))

    def record(self, store: ObjectStore, week: dt.date) -> dict:
        try:
            return json.loads(store.get_bytes(self.record_key(week)))
        except (FileNotFoundError, ValueError):
            return {}

    def reusable(self, store: ObjectStore, week: dt.date, key: str) -> dict | None:
        """The week's stored record when its artifact was fitted on exactly these rows by this code."""
        record = self.record(store, week)
        if not record or record.get("fit_key") != key or not store.exists(self.model_key(week)):
            return None
        return record

    def save(self, store: ObjectStore, week: dt.date, model, record: dict) -> str:
        """Stores the artifact, then its record (a record never names an artifact not yet written)."""
        uri = store.put_bytes(self.model_key(week), pickle.dumps(model))
        store.put_bytes(self.record_key(week), json.dumps(record).encode())
        return uri


# --- fit keys --------------------------------------------------------------------------------------


def row_hashes(rows: "pd.DataFrame") -> "np.ndarray":
    """One 64-bit hash per row (pandas' row hash, independent of the index): the hashes of a slice
    of rows are the slice of the hashes, so many weeks' keys cost one pass over the rows."""
    import pandas as pd

    return pd.util.hash_pandas_object(rows, index=False).to_numpy()


def content_key(columns, hashes: "np.ndarray") -> str:
    """The key of rows with these columns and row hashes (`row_hashes`)."""
    digest = hashlib.sha256(",".join(columns).encode())
    digest.update(hashes.tobytes())
    return digest.hexdigest()


def fit_key(content: str, code: str) -> str:
    """What a week's fit depends on: its training rows (`content_key`) and the code's version."""
    return hashlib.sha256((content + code).encode()).hexdigest()


@functools.lru_cache(maxsize=8)
def code_version(*files: str) -> str:
    """The training code's version: these source files, this module and scikit-learn's version."""
    from importlib.metadata import version
    from pathlib import Path

    digest = hashlib.sha256(version("scikit-learn").encode())
    for path in (*files, __file__):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def week_slices(days: "np.ndarray", weeks: "list[dt.date]") -> "dict[dt.date, tuple[int, int]]":
    """Per week, the [low, high) positions of rows dated in the TRAINING_WEEKS weeks before its
    Monday, in `days` (numpy days, sorted)."""
    import numpy as np

    out = {}
    for week in weeks:
        start = week - dt.timedelta(weeks=TRAINING_WEEKS)
        low, high = np.searchsorted(days, [np.datetime64(start, "D"), np.datetime64(week, "D")])
        out[week] = (int(low), int(high))
    return out


def as_days(dates: "pd.Series") -> "np.ndarray":
    """A date column (DuckDB: datetime64; BigQuery: dbdate or date objects) as numpy days."""
    import pandas as pd

    return pd.to_datetime(dates).to_numpy().astype("datetime64[D]")


# --- training ---------------------------------------------------------------------------------------


def single_threaded():
    """Runs scikit-learn on one OpenMP thread. Our fits and predictions are small (~30,000 rows):
    a second thread gains little, and on a busy machine (another run, the UI, other work on the
    same cores) OpenMP threads spin waiting for each other: a season's training took over 10
    minutes instead of about one. The results do not depend on the thread count."""
    import sklearn.linear_model  # noqa: F401  (loads OpenMP and BLAS, so the limit applies to them)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def distinct_jobs(keys: dict) -> "dict":
    """{job: the first job with the same key}: jobs with identical training rows share one fit."""
    first_of: dict = {}
    return {job: first_of.setdefault(key, job) for job, key in keys.items()}


# Below this many jobs, worker processes cost more than they save: each needs ~1.5 s to start
# (pandas, scikit-learn, the target's module) against ~0.2 s per job (a week's seven fits).
PARALLEL_FROM_JOBS = 8


def resolve(target: str):
    """`package.module:function` -> the function (looked up when called, so a test can patch it)."""
    import importlib

    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def run_jobs(target: str, jobs: dict, shared=None, pool: "WorkerPool | None" = None) -> dict:
    """{job: target(job, payload, shared)} for each job, single-threaded: in `pool`'s worker
    processes when given (or started here when there are PARALLEL_FROM_JOBS jobs or more and two
    cores), else in this process. `shared` is what every job reads (sent once per worker, not once
    per job). The results are the same as here."""
    if not jobs:  # nothing to fit: no scikit-learn import (~0.8 s of a one-date run)
        return {}
    if pool is not None:
        return pool.run(jobs, shared)
    with worker_pool(target, len(jobs)) as started:
        if started is not None:
            return started.run(jobs, shared)
    function = resolve(target)
    with single_threaded():
        return {job: function(job, payload, shared) for job, payload in jobs.items()}


@contextmanager
def worker_pool(target: str, expected_jobs: int) -> "Iterator[WorkerPool | None]":
    """Worker processes for `run_jobs`, one per core, started now: their imports (~1.5 s each)
    overlap what the caller does before its jobs are known (reading and hashing the training rows).
    None below PARALLEL_FROM_JOBS expected jobs or with one core. On exit the workers still running
    are stopped (a worker whose parent dies sees its stdin end and exits too)."""
    import os

    workers = min(len(os.sched_getaffinity(0)), expected_jobs)
    if workers < 2 or expected_jobs < PARALLEL_FROM_JOBS:
        yield None
        return
    pool = WorkerPool(target, workers)
    try:
        yield pool
    finally:
        pool.close()


class WorkerPool:
    """Plain `python -m nba_assets.defs.model.training_worker <target>` processes (not
    multiprocessing, whose workers re-run the calling script when it has no `__main__` guard). Each
    imports the target's module, then reads from its stdin the file of its jobs and the file for its
    results (training_worker.py); files, not pipes: the rows are most of the memory."""

    def __init__(self, target: str, workers: int):
        import subprocess
        import sys
        import tempfile

        self._folder = tempfile.TemporaryDirectory(prefix="weekly-fits-")
        self._processes = [
            subprocess.Popen(
                [sys.executable, "-m", "nba_assets.defs.model.training_worker", target],
                stdin=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(workers)
        ]
        self._target = target

    def run(self, jobs: dict, shared) -> dict:
        from pathlib import Path

        ordered, workers = sorted(jobs), len(self._processes)
        files = []
        for index, process in enumerate(self._processes):
            share = {job: jobs[job] for job in ordered[index::workers]}
            given, result = Path(self._folder.name) / f"in{index}.pkl", Path(self._folder.name) / f"out{index}.pkl"
            with given.open("wb") as file:  # streamed: the rows are most of the memory
                pickle.dump((share, shared), file, protocol=pickle.HIGHEST_PROTOCOL)
            try:
                process.stdin.write(f"{given}\n{result}\n".encode())
                process.stdin.flush()
            except BrokenPipeError:  # it died starting: its error is read below
                pass
            files.append(result)
        results = {}
        for result, process in zip(files, self._processes):
            _, errors = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"training worker ({self._target}) failed: {errors.decode()[-3000:]}")
            results.update(pickle.loads(result.read_bytes()))
        return results

    def close(self) -> None:
        """Stops the workers still running (never given jobs, or left by another's failure)."""
        for process in self._processes:
            if process.returncode is None:
                process.kill()
                process.communicate()
        self._folder.cleanup()


# --- the leakage guard ----------------------------------------------------------------------------


def leak_check(check_name: str, rows: "pd.DataFrame", week: dt.date, label=("player_lookup",)):
    """The blocking check's result for one week: failed, naming (up to 20 of) the rows, when any
    training row is dated on or after the week's Monday; `label`: the columns that name a row."""
    import numpy as np
    import pandas as pd
    from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue

    # numpy's comparison: a season checks ~80 weeks of ~170,000 rows (pandas' to_datetime: 7 ms each)
    late = rows[rows["game_date"].to_numpy("datetime64[ns]") >= np.datetime64(week, "ns")] if len(rows) else rows
    listing = "\n".join(
        f"- {pd.Timestamp(r['game_date']):%Y-%m-%d} " + " ".join(str(r[c]) for c in label)
        for _, r in late.head(20).iterrows()
    )
    return AssetCheckResult(
        check_name=check_name,
        passed=late.empty,
        severity=AssetCheckSeverity.ERROR,
        description=(
            "All training rows are dated before the week."
            if late.empty
            else f"{len(late)} training rows are dated on or after the week's Monday {week}."
        ),
        metadata={"rows_in_or_after_week": len(late), "rows": MetadataValue.md(listing or "none")},
    )

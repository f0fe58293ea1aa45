"""Points model: a gradient-boosted regressor per week, fitted before the week's Monday.

Partitioned by game date like every asset: partition D is the model that D's predictions use, the
model of D's week. It is fitted once per week (Monday's partition, or the first date of the run in
that week) on feature-store rows with a known outcome (the player played) from the 52 weeks before
the Monday (so the previous season is in it), never from the week itself: a blocking check fails,
naming the rows, if any training row is dated on or after the Monday. The other days of the week
reuse that fit. The artifact (a pickled `PointsModel`: a scikit-learn `HistGradientBoostingRegressor`
and its line weight) is stored once per week at `models/points_model/<week>.pkl`, with its fit record
`<week>.json` (what it was fitted on, validation figures).

Its dependencies on the feature store and the game summaries are identity mappings (model D <- features
D), not "the 52 weeks before": a mapping with negative offsets would make every backfill of features
A..B reach the models of later dates (Dagster walks downstream through the mapping), retraining and
re-predicting dates outside the range. In a run over A..B the features of A..B are built before the
model step, so the rows the model reads (before each Monday) are current; rows before A are history
the run does not touch.

Which weeks a run fits: a week that starts on or before the run's first date and already has an
artifact keeps it without reading anything (its training rows are all before the run's dates;
`retrain` config to check it anyway); every other week of the run is fitted, unless its stored fit
record shows the same training rows and code (`fit_key`), in which case the artifact is kept.

Why HistGradientBoostingRegressor rather than LightGBM: it handles missing values natively (early
season, no line), is deterministic with a fixed seed, comes with scikit-learn (no extra native
library), and on ~30,000 rows trains in about a second.
"""

import datetime as dt
import functools
import hashlib
import json
import pickle
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from nba_assets.lib import tables
from nba_assets.lib.asset_defaults import partitioned
from nba_assets.lib.ml_features import FEATURES, complete, model_matrix
from nba_assets.lib.window import window_dates
from resources.interfaces import ObjectStore, Warehouse

if TYPE_CHECKING:
    import pandas as pd

TRAINING_WEEKS = 52
VALIDATION_DAYS = 14
MIN_TRAINING_ROWS = 500



def monday(day: dt.date) -> dt.date:
    """The week of a game date (weeks start on Monday, US Eastern dates)."""
    return day - dt.timedelta(days=day.weekday())


def model_key(week_start: dt.date) -> str:
    return f"models/points_model/{week_start.isoformat()}.pkl"


def fit_record_key(week_start: dt.date) -> str:
    """The artifact's record: what it was fitted on (`fit_key`) and its validation figures."""
    return f"models/points_model/{week_start.isoformat()}.json"


# What training reads of a feature row: the model's inputs (`is_home` comes from `home_away`), the
# date and player. Not the names, teams, ids: a season backfill holds 77 weeks of rows at once.
TRAINING_COLUMNS = ["game_date", "player_lookup", "home_away", *(c for c in FEATURES if c != "is_home")]


def training_rows(warehouse: Warehouse, week_start: dt.date) -> "pd.DataFrame":
    """Feature rows with their outcome from the 52 weeks before `week_start`, players who played."""
    return training_rows_by_week(warehouse, [week_start])[week_start]


def training_rows_by_week(warehouse: Warehouse, weeks: "list[dt.date]") -> "dict[dt.date, pd.DataFrame]":
    """`training_rows` of each week, from one query over all of them: the weeks' 52-week windows
    overlap (a season's 77 weeks read each game ~50 times), so each week's rows are a slice of the
    rows sorted by date."""
    import numpy as np

    first = min(weeks) - dt.timedelta(weeks=TRAINING_WEEKS)
    columns = ", ".join(f"f.{column}" for column in TRAINING_COLUMNS)
    rows = warehouse.query(
        f"""
        SELECT {columns}, g.points AS actual_points
        FROM {warehouse.relation(*tables.ML_FEATURE_STORE)} f
        JOIN {warehouse.relation(*tables.PLAYER_GAME_SUMMARY)} g
          ON g.game_date = f.game_date AND g.player_lookup = f.player_lookup
        WHERE g.played AND f.game_date >= ? AND f.game_date < ?
        ORDER BY f.game_date, f.player_lookup  -- same rows, same order: a reproducible model
        """,
        [first, max(weeks)],
    )
    days = _as_days(rows["game_date"])

    def between(start: dt.date, end: dt.date) -> "pd.DataFrame":
        low, high = np.searchsorted(days, [np.datetime64(start, "D"), np.datetime64(end, "D")])
        return rows.iloc[low:high].reset_index(drop=True)

    return {week: between(week - dt.timedelta(weeks=TRAINING_WEEKS), week) for week in weeks}


def _as_days(dates: "pd.Series"):
    """A date column (DuckDB: datetime64; BigQuery: dbdate or date objects) as numpy days."""
    import pandas as pd

    return pd.to_datetime(dates).to_numpy().astype("datetime64[D]")


def single_threaded():
    """Runs scikit-learn on one OpenMP thread. Our fits and predictions are small (~30,000 rows):
    a second thread gains little, and on a busy machine (another run, the UI, other work on the
    same cores) OpenMP threads spin waiting for each other at every tree node: a season's training
    took over 10 minutes instead of about one. The results do not depend on the thread count."""
    import sklearn.ensemble  # noqa: F401  (loads OpenMP, so the limit applies to it)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def new_model():
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(loss="absolute_error", learning_rate=0.05, max_iter=300,
                                         max_leaf_nodes=15, min_samples_leaf=40, random_state=0)


def training_matrix(rows: "pd.DataFrame") -> "pd.DataFrame":
    """Model inputs; a feature never seen in the window (no lines before any were posted) becomes a
    constant, which the trees never split on (scikit-learn cannot bin an all-missing column)."""
    matrix = model_matrix(rows)
    unseen = [column for column in matrix if matrix[column].isna().all()]
    return matrix.fillna({column: 0.0 for column in unseen})


class PointsModel:
    """The regressor plus how far to trust it against the market: where a line exists the
    prediction is line + line_weight * (model - line). The weight is chosen on the validation
    dates (out of sample, before the week); 1.0 when they hold no lines."""

    def __init__(self, regressor, line_weight: float):
        self.regressor, self.line_weight = regressor, line_weight

    def predict(self, features: "pd.DataFrame"):
        import numpy as np

        with single_threaded():
            raw = self.regressor.predict(model_matrix(features))
        line = features["vegas_points_line"].astype(float).to_numpy()
        return np.where(np.isnan(line), raw, line + self.line_weight * (raw - line))


MIN_LINE_ROWS_FOR_WEIGHT = 100


def line_weight(predicted, rows: "pd.DataFrame") -> float:
    """The weight in [0, 1] (steps of 0.05) minimizing MAE of line + w * (model - line)."""
    import numpy as np

    line = rows["vegas_points_line"].astype(float).to_numpy()
    has_line = ~np.isnan(line)
    if has_line.sum() < MIN_LINE_ROWS_FOR_WEIGHT:
        return 1.0
    actual = rows["actual_points"].to_numpy()[has_line]
    line, predicted = line[has_line], np.asarray(predicted)[has_line]
    grid = np.linspace(0, 1, 21)
    errors = [np.mean(np.abs(line + w * (predicted - line) - actual)) for w in grid]
    return float(grid[int(np.argmin(errors))])


def train(rows: "pd.DataFrame", week_start: dt.date):
    """(model, validation MAE, validation rows, training rows): the last 14 game dates (a quarter of
    them when fewer than 56) are held out to validate the regressor and choose the line weight,
    then the regressor is refit on all rows."""
    import numpy as np
    import pandas as pd

    rows = rows[complete(rows)]
    dates = pd.to_datetime(rows["game_date"])
    distinct = np.sort(dates.unique())
    holdout_dates = min(VALIDATION_DAYS, max(1, len(distinct) // 4))
    cutoff = distinct[-holdout_dates]
    fit, holdout = rows[dates < cutoff], rows[dates >= cutoff]
    validation_mae, weight = None, 1.0
    if len(fit) >= MIN_TRAINING_ROWS // 2 and len(holdout):
        probe = new_model().fit(training_matrix(fit), fit["actual_points"])
        predicted = probe.predict(model_matrix(holdout))
        validation_mae = float(np.mean(np.abs(predicted - holdout["actual_points"])))
        weight = line_weight(predicted, holdout)
    regressor = new_model().fit(training_matrix(rows), rows["actual_points"])
    return PointsModel(regressor, weight), validation_mae, len(holdout), len(rows)


def _train_single_threaded(rows: "pd.DataFrame", week_start: dt.date):
    with single_threaded():
        return train(rows, week_start)


# Below this many distinct weeks, worker processes cost more than they save: each needs ~2 s to
# start (pandas, scikit-learn) against ~0.7 s per week, and this process imports scikit-learn anyway.
PARALLEL_FROM_WEEKS = 8


def _content_key(rows: "pd.DataFrame") -> str:
    import pandas as pd

    digest = hashlib.sha256(",".join(rows.columns).encode())
    digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The training code's version: this module, the feature matrix code, scikit-learn's version."""
    from importlib.metadata import version
    from pathlib import Path

    import nba_assets.lib.ml_features as ml_features

    digest = hashlib.sha256(version("scikit-learn").encode())
    for module in (__file__, ml_features.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


def fit_key(rows: "pd.DataFrame") -> str:
    """What a week's fit depends on: its training rows and the code (`train` is deterministic)."""
    return hashlib.sha256((_content_key(rows) + code_version()).encode()).hexdigest()


def _stored_fit(store: ObjectStore, week: dt.date, key: str) -> dict | None:
    """The week's stored record when its artifact was fitted on exactly these rows by this code."""
    try:
        record = json.loads(store.get_bytes(fit_record_key(week)))
    except (FileNotFoundError, ValueError):
        return None
    if record.get("fit_key") != key or not store.exists(model_key(week)):
        return None
    return record


def train_weeks(training: "dict[dt.date, pd.DataFrame]", keys: "dict[dt.date, str] | None" = None) -> dict:
    """`train` for each week: {week: (model, validation MAE, validation rows, training rows)}.
    `keys`: each week's `fit_key` when the caller has it (else the rows are hashed here).

    `train` depends only on the rows, so weeks with identical training rows share one fit: in the
    off-season no game enters or leaves the 52 weeks (2025-04-14..2025-10-20: 28 weeks, one fit).
    The distinct ones are trained in worker processes, one per core, each fit single-threaded (see
    `single_threaded`): about 1.7x faster on 2 cores than one process. The models are the same as
    `train`'s one by one. The workers are plain `python -m nba_assets.defs.model.training_worker` processes
    (not multiprocessing, whose workers re-run the calling script when it has no `__main__` guard)."""
    first_week_of: dict[str, dt.date] = {}
    keys = keys or {week: _content_key(rows) for week, rows in training.items()}
    same_as = {week: first_week_of.setdefault(keys[week], week) for week in training}
    distinct = {week: training[week] for week in set(same_as.values())}
    trained = _train_in_workers(distinct)
    return {week: trained[same_as[week]] for week in training}


def _train_in_workers(training: "dict[dt.date, pd.DataFrame]") -> dict:
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    workers = min(len(os.sched_getaffinity(0)), len(training))
    if workers < 2 or len(training) < PARALLEL_FROM_WEEKS:
        return {week: _train_single_threaded(rows, week) for week, rows in training.items()}
    weeks = sorted(training)
    with tempfile.TemporaryDirectory(prefix="points-model-") as folder:
        jobs = []
        for worker in range(workers):
            share = {week: training[week] for week in weeks[worker::workers]}
            given, result = Path(folder) / f"in{worker}.pkl", Path(folder) / f"out{worker}.pkl"
            with given.open("wb") as file:  # streamed: the weeks' frames are most of the memory
                pickle.dump(share, file, protocol=pickle.HIGHEST_PROTOCOL)
            jobs.append((result, subprocess.Popen(
                [sys.executable, "-m", "nba_assets.defs.model.training_worker", str(given), str(result)],
                stderr=subprocess.PIPE)))
        trained = {}
        for result, process in jobs:
            _, errors = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"points model training worker failed: {errors.decode()[-3000:]}")
            trained.update(pickle.loads(result.read_bytes()))
    return trained


def load_model(store: ObjectStore, week_start: dt.date):
    if not store.exists(model_key(week_start)):
        return None
    return pickle.loads(store.get_bytes(model_key(week_start)))


def _leak_check(rows: "pd.DataFrame", week_start: dt.date) -> AssetCheckResult:
    import pandas as pd

    late = rows[pd.to_datetime(rows["game_date"]) >= pd.Timestamp(week_start)] if len(rows) else rows
    listing = "\n".join(f"- {r.game_date:%Y-%m-%d} {r.player_lookup}" for r in late.head(20).itertuples())
    return AssetCheckResult(
        check_name="training_before_week",
        passed=late.empty,
        severity=AssetCheckSeverity.ERROR,
        description=("All training rows are dated before the week." if late.empty else
                     f"{len(late)} training rows are dated on or after the week's Monday {week_start}."),
        metadata={"rows_in_or_after_week": len(late), "rows": MetadataValue.md(listing or "none")},
    )


class PointsModelConfig(Config):
    retrain: bool = Field(
        default=False,
        description="Also check (and refit if its training rows or code changed) the model of a week "
        "that started on or before the run's first date and already has an artifact.")


def weeks_of(days: "list[dt.date]") -> "list[dt.date]":
    return sorted({monday(day) for day in days})


def weeks_to_fit(store: ObjectStore, days: "list[dt.date]", retrain: bool = False) -> "list[dt.date]":
    """The weeks whose training rows the run reads (see the module docstring): all weeks of the
    run's dates but one that starts on or before the first date and has an artifact."""
    first = min(days)
    return [week for week in weeks_of(days)
            if retrain or week > first or not store.exists(model_key(week))]


def _stored_record(store: ObjectStore, week: dt.date) -> dict:
    try:
        return json.loads(store.get_bytes(fit_record_key(week)))
    except (FileNotFoundError, ValueError):
        return {}


def _partition_metadata(week: dt.date, fit: str, record: dict, uri: str | None) -> dict:
    """What a date's materialization says about the model it uses (small: one per date)."""
    metadata = {"week": week.isoformat(), "fit": fit}
    for key in ("training_rows", "training_first_date", "training_last_date", "validation_rows",
                "validation_mae", "line_weight"):
        if record.get(key) is not None:
            metadata[key] = record[key]
    if uri:
        metadata["artifact"] = MetadataValue.url(uri)
    return metadata


@asset(
    **partitioned("predictions", {"scikitlearn", "python"}),
    # Identity mappings (model D <- features D): see the module docstring. The model of D trains on
    # feature rows strictly before the Monday of D's week.
    deps=["ml_feature_store", "player_game_summary"],
    check_specs=[AssetCheckSpec(
        "training_before_week", asset="points_model", blocking=True,
        description="No training row is dated on or after the Monday of the week the model predicts.")],
    description="The points model a date's predictions use: its week's scikit-learn "
    "HistGradientBoostingRegressor, fitted once per week on the feature rows of the 52 weeks strictly "
    "before the week's Monday (the other days reuse it); artifact at models/points_model/<week>.pkl.",
)
def points_model(context: AssetExecutionContext, config: PointsModelConfig, warehouse: Warehouse,
                 landing: ObjectStore):
    days = window_dates(context)
    to_fit = weeks_to_fit(landing, days, config.retrain)
    training = training_rows_by_week(warehouse, to_fit) if to_fit else {}
    # The guard first: nothing is trained or stored if any week's data reaches into the week.
    for week, rows in training.items():
        check = _leak_check(rows, week)
        if not check.passed:
            yield check
            raise Failure(description=f"points_model {week}: {check.description}")

    usable = {week: rows[complete(rows)] if len(rows) else rows for week, rows in training.items()}
    eligible = {week: training[week] for week, rows in usable.items() if len(rows) >= MIN_TRAINING_ROWS}
    # A week whose stored artifact was fitted on the same rows by the same code keeps it: the fit
    # would be identical (replaying dates that did not change, e.g. after a grading fix).
    keys = {week: fit_key(rows) for week, rows in eligible.items()}
    reused = {week: record for week in eligible
              if (record := _stored_fit(landing, week, keys[week])) is not None}
    trained = train_weeks({week: rows for week, rows in eligible.items() if week not in reused}, keys)
    lines, by_week = [], {}
    for week in weeks_of(days):
        if week in trained:
            model, validation_mae, validation_rows, trained_rows = trained[week]
            first, latest = usable[week]["game_date"].min(), usable[week]["game_date"].max()
            uri = landing.put_bytes(model_key(week), pickle.dumps(model))
            record = {"fit_key": keys[week], "validation_mae": validation_mae,
                      "validation_rows": validation_rows, "training_rows": trained_rows,
                      "line_weight": model.line_weight, "training_first_date": f"{first:%Y-%m-%d}",
                      "training_last_date": f"{latest:%Y-%m-%d}"}
            landing.put_bytes(fit_record_key(week), json.dumps(record).encode())
            fit = "trained"
        elif week in reused:
            record, uri, fit = reused[week], landing.uri(model_key(week)), "kept (same rows and code)"
        elif week not in training:
            record, uri, fit = _stored_record(landing, week), landing.uri(model_key(week)), \
                "kept (week started before the run's dates)"
        else:
            lines.append(f"| {week} | {len(usable[week])} | | | | | no model: fewer than {MIN_TRAINING_ROWS} rows |")
            by_week[week] = _partition_metadata(week, f"no model: fewer than {MIN_TRAINING_ROWS} rows", {}, None)
            continue
        if week in usable:  # dates of the rows read now (older records may lack them)
            first, latest = usable[week]["game_date"].min(), usable[week]["game_date"].max()
            record = {**record, "training_first_date": f"{first:%Y-%m-%d}",
                      "training_last_date": f"{latest:%Y-%m-%d}"}
        dates = (f"{record.get('training_first_date', '')}..{record.get('training_last_date', '')}"
                 if record.get("training_last_date") else "")
        mae = "" if record.get("validation_mae") is None else f"{record['validation_mae']:.2f}"
        weight = "" if record.get("line_weight") is None else f"{record['line_weight']:.2f}"
        lines.append(f"| {week} | {record.get('training_rows', '')} | {dates} | {mae} | {weight} | {fit} | {uri} |")
        by_week[week] = _partition_metadata(week, fit, record, uri)
    header = ("| week | training rows | training dates | validation MAE | line weight | fit | artifact |\n"
              "|---|---:|---|---:|---:|---|---|\n")
    summary = {"weeks": MetadataValue.md(header + "\n".join(lines)), "weeks_trained": len(trained) + len(reused),
               "weeks_fitted_now": len(trained), "weeks_kept": len(reused),
               "features": MetadataValue.json(FEATURES)}
    # One event per date: each says which week's model it uses; the last also the run's summary.
    keys_of_run = context.partition_keys
    if len(keys_of_run) == 1:
        yield MaterializeResult(metadata={**by_week[monday(days[0])], **summary})
    else:
        for key, day in zip(keys_of_run, days):
            extra = summary if key == keys_of_run[-1] else {}
            context.add_asset_metadata({**by_week[monday(day)], **extra}, partition_key=key)
        yield MaterializeResult()
    yield AssetCheckResult(
        check_name="training_before_week", passed=True,
        description=("Every week fitted or checked in this run trained on rows dated before its Monday"
                     + ("; weeks kept without reading were checked when fitted." if len(training) < len(by_week)
                        else ".")))

"""Guards on every BigQuery job, Python's and dbt's: a byte limit and labels naming who ran it.

- `maximum_bytes_billed()`: the most one query job may bill, from NBA_BQ_MAXIMUM_BYTES_BILLED
  (default 10 GiB; one job bills ~10-30 MB in a daily run, at most ~0.5 GB in a season's backfill,
  see docs/deploy.md). A query over it fails in BigQuery before it runs, billing nothing, with an
  error naming the limit.
- `job_labels()`: `app`, plus, inside a Dagster step, the asset (or the multi-asset's op when the
  step materializes several), the partition (one date, or `<first>_to_<last>` for a ranged run,
  `none` when unpartitioned) and the run id: cost per asset and per run in BigQuery's
  INFORMATION_SCHEMA.JOBS and the billing export. Values follow BigQuery's label rules (lowercase
  letters, digits, `_` and `-`, at most 63 characters).
- dbt's jobs get the same: the profile reads the limit (dbt_project/profiles.yml), and the query
  comment macro (dbt_project/macros/query_comment.sql, `job-label: true` in dbt_project.yml) reads
  the partition and run id from the environment variables `label_environment()` gives the dbt
  step (resources/dbt/runner.py); the asset is the dbt node's name, as the translator keys it.
"""

from __future__ import annotations

import os
import re

MAXIMUM_BYTES_BILLED_VARIABLE = "NBA_BQ_MAXIMUM_BYTES_BILLED"
DEFAULT_MAXIMUM_BYTES_BILLED = 10 * 1024**3
APP = "nba-props"
# The step's labels as dbt reads them (dbt_project/macros/query_comment.sql). Read only when SQL
# runs, never at parse time: they must not count in the parse's cache key (resources/dbt/runner.py).
LABEL_VARIABLES = {
    "dagster_asset": "NBA_JOB_LABEL_ASSET",
    "dagster_partition": "NBA_JOB_LABEL_PARTITION",
    "dagster_run_id": "NBA_JOB_LABEL_RUN_ID",
}
UNSET = "none"
_NOT_ALLOWED = re.compile(r"[^a-z0-9_-]")
LABEL_LIMIT = 63


def label_value(value: str) -> str:
    """`value` as a legal BigQuery label value (dbt-bigquery sanitizes its labels the same way)."""
    return _NOT_ALLOWED.sub("_", value.strip().lower())[:LABEL_LIMIT]


def maximum_bytes_billed() -> int:
    raw = os.environ.get(MAXIMUM_BYTES_BILLED_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_MAXIMUM_BYTES_BILLED
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if limit <= 0:
        raise ValueError(f"{MAXIMUM_BYTES_BILLED_VARIABLE}={raw!r}: expected a positive number of bytes")
    return limit


def step_labels() -> dict[str, str]:
    """The running Dagster step's asset, partition and run id (empty outside a step)."""
    from dagster import DagsterInvariantViolationError, OpExecutionContext

    try:
        context = OpExecutionContext.get()
    except DagsterInvariantViolationError:
        return {}
    keys = [*context.selected_asset_keys, *(check.asset_key for check in context.selected_asset_check_keys)]
    distinct = sorted({key.to_user_string() for key in keys})
    asset = distinct[0] if len(distinct) == 1 else context.op.name
    if context.has_partition_key:
        partition = context.partition_key
    elif context.has_partition_key_range:
        window = context.partition_key_range
        partition = window.start if window.start == window.end else f"{window.start}_to_{window.end}"
    else:
        partition = UNSET
    return {
        "dagster_asset": label_value(asset),
        "dagster_partition": label_value(partition),
        "dagster_run_id": label_value(context.run_id),
    }


def job_labels() -> dict[str, str]:
    return {"app": APP, **step_labels()}


def label_environment() -> dict[str, str]:
    """The step's labels as the environment variables dbt's query comment reads."""
    labels = step_labels()
    return {variable: labels.get(key, UNSET) for key, variable in LABEL_VARIABLES.items()}

"""Resources per environment, chosen by one variable: NBA_ENV (hooli's pattern).

`local` (default): DuckDB file + local landing folder + the replay archive, all under the project's
git-ignored `.data/` (override with NBA_DATA_DIR, NBA_DUCKDB_PATH, NBA_REPLAY_ARCHIVE); NBA_SOURCE
set chooses the source as in `prod` (`live`: the HTTP APIs, e.g. their stand-ins in a staging day).

`prod`: BigQuery (`BigQueryWarehouse`, on dagster-gcp's `BigQueryResource`) + GCS
(`GCSObjectStore`, on `GCSResource`) + the source chosen by NBA_SOURCE (`live`, the default: the
HTTP APIs; `replay`: the archive, e.g. to replay into a test dataset of the production project) +
dbt's `bigquery` target. Settings come from the environment at run time (dagster `EnvVar`):
NBA_GCP_PROJECT, NBA_GCS_BUCKET, NBA_DATASET_PREFIX (e.g. `test_`: every dataset and object key
gets it, so a replay never touches production tables), NBA_BIGQUERY_LOCATION. Credentials are
Google's application default credentials (GOOGLE_APPLICATION_CREDENTIALS: a key file path, or
the workload identity of the machine); nothing secret is in this repository or in run config.
The Google clients honour BIGQUERY_EMULATOR_HOST and STORAGE_EMULATOR_HOST (the tests' emulators).
"""

from __future__ import annotations

import os
from pathlib import Path

from nba_assets.lib.paths import DBT_PROJECT_DIR, PROJECT_ROOT

SUPPORTED = ("local", "prod")
SOURCES = ("live", "replay")


def _dbt(target: str, **variables: str):
    """dbt on `target`; `variables` are what profiles.yml reads (e.g. NBA_DUCKDB_PATH), set only
    while an invocation runs: loading the code location leaves the process environment alone."""
    from resources.dbt.runner import ProjectDbtCliResource, dbt_executable

    return ProjectDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        target=target,
        dbt_executable=dbt_executable(),
        env={"NBA_DBT_TARGET": target, **variables},
    )


def alert_channel():
    """Slack when SLACK_BOT_TOKEN is set (read through EnvVar, never stored), else the Dagster log.
    SLACK_API_URL points the Slack client elsewhere (the staging day's local Slack stand-in)."""
    from dagster import EnvVar

    from resources.alerts import SLACK_API, AlertChannel

    token = EnvVar("SLACK_BOT_TOKEN") if os.environ.get("SLACK_BOT_TOKEN") else None
    return AlertChannel(
        token=token,
        channel=os.environ.get("SLACK_CHANNEL", "#nba-props-alerts"),
        base_url=os.environ.get("SLACK_API_URL", SLACK_API),
    )


def local_resources(
    data_dir: str | Path | None = None, duckdb_path: str | Path | None = None, archive_dir: str | Path | None = None
) -> dict:
    """Arguments override the environment (tests point them at a temporary folder)."""
    from resources.object_store.local_store import LocalObjectStore
    from resources.sources.replay.source import ReplaySource
    from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

    data_dir = Path(data_dir or os.environ.get("NBA_DATA_DIR", PROJECT_ROOT / ".data")).resolve()
    duckdb_path = Path(duckdb_path or os.environ.get("NBA_DUCKDB_PATH", data_dir / "warehouse.duckdb")).resolve()
    # dbt cannot create the file in a folder that does not exist (a fresh NBA_DATA_DIR).
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "alerts": alert_channel(),
        "warehouse": DuckDBWarehouse(database=str(duckdb_path)),
        "landing": LocalObjectStore(base_dir=str(data_dir)),
        "nba_source": (
            ReplaySource(archive_dir=str(archive_dir), now=os.environ.get("NBA_REPLAY_NOW") or None)
            if archive_dir
            # NBA_SOURCE=live: the HTTP APIs into the local warehouse (the staging day, against the
            # APIs' stand-ins); unset, the replay archive.
            else (prod_source() if os.environ.get("NBA_SOURCE") else ReplaySource.from_env())
        ),
        # dbt reads the file's path from NBA_DUCKDB_PATH (profiles.yml): one file for both.
        "dbt": _dbt("duckdb", NBA_DUCKDB_PATH=str(duckdb_path)),
    }


def prod_source(source: str | None = None):
    """The source named by NBA_SOURCE: `live` (HTTP APIs) or `replay` (the archive)."""
    source = source or os.environ.get("NBA_SOURCE", "live")
    if source == "live":
        # Imported here: the live sources (and their HTTP stack) load only when chosen.
        from resources.sources.live.source import live_source_from_env

        return live_source_from_env()
    if source == "replay":
        from resources.sources.replay.source import ReplaySource

        return ReplaySource.from_env()
    raise ValueError(f"NBA_SOURCE={source!r} is not supported; supported: {', '.join(SOURCES)}")


def prod_resources(
    *,
    project: str | None = None,
    bucket: str | None = None,
    dataset_prefix: str | None = None,
    location: str | None = None,
    source=None,
) -> dict:
    """BigQuery + GCS + a source + dbt's bigquery target.

    Each argument left out is read from its environment variable when a run starts (EnvVar);
    tests pass values (the emulators' project and bucket, a test prefix, a replay source).
    """
    from dagster import EnvVar

    from resources.object_store.gcs_store import GCSObjectStore
    from resources.warehouse.bigquery_warehouse import BigQueryWarehouse

    # Unset means no prefix and the US location (profiles.yml and the models default the same way),
    # not an error at launch.
    if dataset_prefix is None:
        dataset_prefix = EnvVar("NBA_DATASET_PREFIX") if "NBA_DATASET_PREFIX" in os.environ else ""
    if location is None:
        location = EnvVar("NBA_BIGQUERY_LOCATION") if "NBA_BIGQUERY_LOCATION" in os.environ else "US"
    prefix = dataset_prefix
    return {
        "alerts": alert_channel(),
        "warehouse": BigQueryWarehouse(
            project=project or EnvVar("NBA_GCP_PROJECT"),
            location=location,
            dataset_prefix=prefix,
        ),
        "landing": GCSObjectStore(
            project=project or EnvVar("NBA_GCP_PROJECT"),
            bucket=bucket or EnvVar("NBA_GCS_BUCKET"),
            prefix=prefix,
        ),
        "nba_source": source if source is not None else prod_source(),
        "dbt": _dbt("bigquery"),
    }


def resources_for(env: str) -> dict:
    if env == "local":
        return local_resources()
    if env == "prod":
        return prod_resources()
    raise ValueError(f"NBA_ENV={env!r} is not supported; supported: {', '.join(SUPPORTED)}")

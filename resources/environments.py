"""Resources per environment, chosen by one variable: NBA_ENV (hooli's pattern).

`local` (default): DuckDB file + local landing folder + the replay archive, all under the project's
git-ignored `.data/` (override with NBA_DATA_DIR, NBA_DUCKDB_PATH, NBA_REPLAY_ARCHIVE).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ("local",)


def alert_channel():
    """Slack when SLACK_BOT_TOKEN is set (read through EnvVar, never stored), else the Dagster log."""
    from dagster import EnvVar

    from resources.alerts import AlertChannel

    token = EnvVar("SLACK_BOT_TOKEN") if os.environ.get("SLACK_BOT_TOKEN") else None
    return AlertChannel(token=token, channel=os.environ.get("SLACK_CHANNEL", "#nba-props-alerts"))


def local_resources(data_dir: str | Path | None = None, duckdb_path: str | Path | None = None,
                    archive_dir: str | Path | None = None) -> dict:
    """Arguments override the environment (tests point them at a temporary folder)."""
    from nba_assets.dbt_models import DBT_PROJECT_DIR
    from resources.dbt_cli import ProjectDbtCliResource, dbt_executable
    from resources.object_store import LocalObjectStore
    from resources.replay_source import ReplaySource
    from resources.warehouse import DuckDBWarehouse

    data_dir = Path(data_dir or os.environ.get("NBA_DATA_DIR", PROJECT_ROOT / ".data")).resolve()
    duckdb_path = Path(duckdb_path or os.environ.get("NBA_DUCKDB_PATH", data_dir / "warehouse.duckdb")).resolve()
    # dbt runs as a subprocess and reads the same variable (profiles.yml): one file for both.
    os.environ["NBA_DUCKDB_PATH"] = str(duckdb_path)
    os.environ.setdefault("NBA_DBT_TARGET", "duckdb")
    return {
        "alerts": alert_channel(),
        "warehouse": DuckDBWarehouse(database=str(duckdb_path)),
        "landing": LocalObjectStore(base_dir=str(data_dir)),
        "nba_source": (ReplaySource(archive_dir=str(archive_dir), now=os.environ.get("NBA_REPLAY_NOW") or None)
                       if archive_dir else ReplaySource.from_env()),
        "dbt": ProjectDbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                              target="duckdb", dbt_executable=dbt_executable()),
    }


def resources_for(env: str) -> dict:
    if env == "local":
        return local_resources()
    raise ValueError(f"NBA_ENV={env!r} is not supported; supported: {', '.join(SUPPORTED)}")

"""Shared fixtures: slices of the real archive in a temp folder, and runs of the real pipeline on a
real DuckDB file there (dbt included)."""

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT / "data" / "replay"
MANIFEST = ROOT / "dbt_project" / "target" / "manifest.json"

warnings.filterwarnings("ignore", module="dagster")

if not MANIFEST.exists():  # `make test` prepares it; plain `pytest` may not have
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "parse", "--quiet", "--profiles-dir", "."],
        cwd=ROOT / "dbt_project",
        check=True,
    )

# The quick tier (`make test-fast`: pytest -m "not slow") leaves out every test marked `slow`: the
# ones that use a replayed pipeline or an emulator (found from their fixtures, so a new test that
# uses them is slow by itself), the modules whose tests build and run pipelines or processes of
# their own, and tests marked by hand (`@pytest.mark.slow`). A new module is in the quick tier
# unless one of these applies: mark it when its tests run the pipeline.
SLOW_FIXTURES = {"replayed", "bigquery_emulator", "gcs_emulator", "game_day", "ui_and_replay"}
SLOW_MODULES = {
    "test_bad_input.py",  # pipelines on archive slices of their own
    "test_crash_safety.py",  # processes killed mid-run
    "test_ui_backfill.py",  # dagster dev and the daemon
    "test_operations.py",  # a game day walked through the sensors
    "test_architecture.py",  # import-linter on copies of the tree
    "test_bigquery_sql.py",  # dbt compile for the BigQuery target
    "test_staging_day.py",  # three simulated days through the staging layout's daemon
    "test_faults_multiprocess.py",  # PostgreSQL, code server, daemon and workers killed
}


# Parametrized fixtures whose parameter starts an emulator (`request.getfixturevalue`).
SLOW_PARAMETERS = {"bigquery", "gcs"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        params = set(map(str, getattr(getattr(item, "callspec", None), "params", {}).values()))
        if (
            SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
            or item.path.name in SLOW_MODULES
            or SLOW_PARAMETERS & params
        ):
            item.add_marker(pytest.mark.slow)


BOX_FILE = "boxscores/player_game_logs_2025_26.csv.gz"
CALENDAR_FILE = "schedule/calendar_2025_26_partial.csv.gz"
PROPS_FILE = "props/oddsapi_player_props_2025-10-21_to_2025-11-23.csv.gz"


def read_text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def props_game_date(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["game_time"], utc=True).dt.tz_convert("America/New_York").dt.date.astype(str)


def write_archive_slice(target: Path, first: str, last: str, drop_game_id: str | list[str] | None = None) -> Path:
    """The shipped 2025-26 box scores, calendar and props for first..last (inclusive), as files of
    the archive's own shapes. `drop_game_id` removes that game's (or those games') box-score rows."""
    target.mkdir(parents=True, exist_ok=True)
    box = read_text(ARCHIVE / BOX_FILE)
    box = box[(box["GAME_DATE"] >= first) & (box["GAME_DATE"] <= last)]
    if drop_game_id:
        dropped = {g.lstrip("0") for g in ([drop_game_id] if isinstance(drop_game_id, str) else drop_game_id)}
        box = box[~box["GAME_ID"].str.lstrip("0").isin(dropped)]
    calendar = read_text(ARCHIVE / CALENDAR_FILE)
    calendar = calendar[(calendar["GAME_DATE"] >= first) & (calendar["GAME_DATE"] <= last)]
    props = read_text(ARCHIVE / PROPS_FILE)
    dates = props_game_date(props)
    props = props[(dates >= first) & (dates <= last)]
    for rel, frame in ((BOX_FILE, box), (CALENDAR_FILE, calendar), (PROPS_FILE, props)):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(target / rel, index=False)
    return target


class Pipeline:
    """The project's definitions bound to one temp folder: data dir, DuckDB file, archive; or to
    the given `resources` (the production resources on the emulators)."""

    def __init__(self, root: Path, archive: Path, resources: dict | None = None):
        from dagster import DagsterInstance

        self.root = root
        self.archive = archive
        self.duckdb_path = root / "warehouse.duckdb"
        self.base_resources = resources
        self.rebind()
        self.instance = DagsterInstance.ephemeral()

    def rebind(self, **overrides):
        """(Re)builds resources and definitions, e.g. after the replay clock (NBA_REPLAY_NOW) moved."""
        from nba_assets.definitions import build_definitions
        from resources.environments import local_resources

        base = self.base_resources or local_resources(
            data_dir=self.root / "data", duckdb_path=self.duckdb_path, archive_dir=self.archive
        )
        self.resources = {**base, **overrides}
        self.defs = build_definitions(self.resources)
        self.warehouse = self.resources["warehouse"]
        return self

    def _point_dbt_here(self):
        # dbt runs as a subprocess and finds the DuckDB file through this variable.
        os.environ["NBA_DUCKDB_PATH"] = str(self.duckdb_path)

    def replay(self, start: str, end: str, figures: bool = False) -> list:
        """The same run as `make replay`: the whole graph over start..end, one run (with `figures`,
        then the report's figures as of `end`, as `make run` does)."""
        from nba_assets.cli.replay import run_window

        self._point_dbt_here()
        return run_window(self.instance, day(start), day(end), defs=self.defs, figures=figures)

    def run(self, start: str, end: str, assets=None, raise_on_error=False):
        """One run of the daily pipeline (the whole graph, or `assets` of it) over start..end
        (inclusive) as a single-run backfill."""
        from dagster import AssetKey

        self._point_dbt_here()
        tags = {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}
        job = self.defs.resolve_job_def("daily_pipeline")
        selection = [AssetKey(a) for a in assets] if assets else None
        return job.execute_in_process(
            instance=self.instance, tags=tags, raise_on_error=raise_on_error, asset_selection=selection
        )

    def query(self, sql: str, params=None) -> pd.DataFrame:
        return self.warehouse.query(sql, params)

    def dbt(self, *args: str) -> subprocess.CompletedProcess:
        self._point_dbt_here()
        return subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), *args, "--profiles-dir", "."],
            cwd=ROOT / "dbt_project",
            capture_output=True,
            text=True,
        )


def wait_for(condition, what: str, timeout: float = 300.0, every: float = 0.5):
    """Polls `condition` until it returns a true value (returned); fails naming `what` after
    `timeout` seconds (a liveness bound on a busy 2-core machine, not a performance assertion)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(every)
    return value


def warehouse_tables(conn, schema: str | None = None) -> dict[str, pd.DataFrame]:
    """Every table of a DuckDB connection (or of one schema) as `schema.table` -> its rows sorted
    by every column: two warehouses compare equal whatever order their rows were written in."""
    where = "WHERE table_schema = ?" if schema else ""
    names = conn.execute(
        f"SELECT table_schema, table_name FROM information_schema.tables {where} ORDER BY 1, 2",
        [schema] if schema else [],
    ).fetchall()
    tables = {}
    for table_schema, table_name in names:
        frame = conn.execute(f"SELECT * FROM {table_schema}.{table_name}").df()
        tables[f"{table_schema}.{table_name}"] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return tables


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


@pytest.fixture(scope="session")
def replayed(tmp_path_factory):
    """The real pipeline over a slice of the archive: a history run 2025-10-21..2025-11-01, then the
    3-day window 2025-11-02..2025-11-04 (the window the tests look at), replayed as `make run` does:
    the daily run, then the report's figures as of 2025-11-04."""
    root = tmp_path_factory.mktemp("replayed")
    archive = write_archive_slice(root / "archive", "2025-10-21", "2025-11-04")
    pipeline = Pipeline(root, archive)
    assert all(result.success for result in pipeline.replay("2025-10-21", "2025-11-01"))
    pipeline.window_results = pipeline.replay("2025-11-02", "2025-11-04", figures=True)
    assert all(result.success for result in pipeline.window_results)
    # The exports as the replay wrote them: later tests run more on this folder (tests/test_export_compat.py).
    shutil.copytree(root / "data" / "v1", root / "v1_as_replayed")
    return pipeline


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory):
    """fake-gcs-server on a free loopback port (tests/emulators), its bucket created."""
    from tests.emulators import running_gcs

    with running_gcs(tmp_path_factory.mktemp("gcs")) as server:
        yield server


@pytest.fixture(scope="session")
def bigquery_emulator(tmp_path_factory):
    """local-bigquery on free loopback ports (tests/emulators); skips, saying why, without its venv."""
    from tests.emulators import running_bigquery, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"BigQuery emulator unavailable: {reason}")
    with running_bigquery(tmp_path_factory.mktemp("bigquery")) as server:
        yield server

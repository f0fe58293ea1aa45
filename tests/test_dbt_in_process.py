"""dbt runs inside the step's process (resources/dbt/runner.py): it must release the DuckDB file, build
exactly what dagster-dbt's subprocess builds, and report a failing model by name."""

import os
import subprocess
import sys

import pytest

WINDOW_SQL = "game_date BETWEEN DATE '2025-11-02' AND DATE '2025-11-04'"


def _grading_rows(pipeline):
    return pipeline.query(
        "SELECT game_date, player_lookup, market, system_id, result, absolute_error "
        f"FROM nba_grading.market_prop_accuracy WHERE {WINDOW_SQL} "
        "ORDER BY game_date, player_lookup, market, system_id"
    )


def test_another_process_can_write_the_warehouse_after_dbt(replayed):
    # keep_open: false in profiles.yml; otherwise dbt-duckdb keeps the file locked in this process.
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
        "c.execute('CREATE TABLE IF NOT EXISTS main.lock_probe (x INT)'); "
        "c.execute('DROP TABLE main.lock_probe'); c.close()"
    )
    probe = subprocess.run([sys.executable, "-c", code, str(replayed.duckdb_path)], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr


def test_subprocess_dbt_builds_the_same_rows(replayed):
    from nba_assets.definitions import build_definitions

    before = _grading_rows(replayed)
    dbt = replayed.resources["dbt"]
    subprocess_dbt = type(dbt)(**{**dbt.model_dump(), "in_process": False})
    defs = build_definitions({**replayed.resources, "dbt": subprocess_dbt})
    replayed._point_dbt_here()
    result = defs.resolve_job_def("daily_pipeline").execute_in_process(
        instance=replayed.instance,
        asset_selection=_keys("market_prop_accuracy", "grading_coverage_daily"),
        tags={"dagster/asset_partition_range_start": "2025-11-02", "dagster/asset_partition_range_end": "2025-11-04"},
    )
    assert result.success
    assert len(before) > 0
    assert _grading_rows(replayed).equals(before)


def test_a_failing_model_fails_the_step_naming_it_and_keeps_the_rows(replayed, monkeypatch):
    from nba_assets.defs.transform import dbt_models

    class NotADate:  # the window bound dbt receives: its SQL cast fails when the model runs
        def isoformat(self):
            return "not-a-date"

    before = _grading_rows(replayed)
    monkeypatch.setattr(dbt_models, "window_bounds", lambda context: (NotADate(), NotADate()))
    replayed._point_dbt_here()
    result = replayed.defs.resolve_job_def("daily_pipeline").execute_in_process(
        instance=replayed.instance,
        raise_on_error=False,
        asset_selection=_keys("market_prop_accuracy", "grading_coverage_daily"),
        tags={"dagster/asset_partition_range_start": "2025-11-04", "dagster/asset_partition_range_end": "2025-11-04"},
    )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error.to_string()
    assert "market_prop_accuracy" in failure and "not-a-date" in failure
    assert _grading_rows(replayed).equals(before)


def _keys(*names):
    from dagster import AssetKey

    return [AssetKey(name) for name in names]


@pytest.fixture(autouse=True)
def _quiet_dagster_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_a_damaged_partial_parse_file_costs_a_full_parse_not_a_failure(replayed):
    """A process killed while a partial-parse state was replaced could only leave the old or the
    new file (renamed into place), but a damaged one (disk, an older dbt) must not fail a run."""
    from pathlib import Path

    from resources.dbt import runner as dbt_cli

    target = Path(replayed.defs.resources["dbt"].project_dir) / "target"
    states = [target / dbt_cli.PARTIAL_PARSE_FILE, *(target / "partial_parse").glob("*.msgpack")]
    saved = {path: path.read_bytes() for path in states if path.exists()}
    assert len(saved) >= 2  # make's, and the one this environment's runs keep
    try:
        for path, data in saved.items():
            path.write_bytes(data[: len(data) // 3])
        dbt_cli._manifests.clear()  # this process's parsed manifest: parse again, from the files
        before = _grading_rows(replayed)
        result = replayed.run("2025-11-04", "2025-11-04")
        assert result.success
        assert _grading_rows(replayed).equals(before)
        refreshed = [
            p for p in (target / "partial_parse").glob("*.msgpack") if len(p.read_bytes()) > len(saved.get(p, b"")) // 3
        ]
        assert refreshed  # the full parse stored a whole state again
    finally:
        for path, data in saved.items():
            if path.exists() and len(path.read_bytes()) < len(data) // 2:
                path.write_bytes(data)


def test_each_parse_environment_keeps_its_own_partial_parse_state(tmp_path):
    """Two environments (e.g. a test run and `make replay`) do not overwrite each other's state;
    the least recently stored beyond PARTIAL_PARSE_KEPT are dropped."""
    from resources.dbt import runner as dbt_cli

    written = tmp_path / "written.msgpack"
    paths = []
    for i in range(dbt_cli.PARTIAL_PARSE_KEPT + 2):
        written.write_bytes(f"state {i}".encode())
        paths.append(
            dbt_cli.partial_parse_file(tmp_path, (("--profiles-dir", "."), (), (("NBA_DUCKDB_PATH", f"/w{i}"),)))
        )
        dbt_cli._keep(written, paths[-1])
        os.utime(paths[-1], ns=(i * 10**9, i * 10**9))  # stored in this order, whatever the clock's grain
    assert len(set(paths)) == len(paths)
    kept = sorted(p.name for p in (tmp_path / "target" / "partial_parse").glob("*.msgpack"))
    assert kept == sorted(p.name for p in paths[-dbt_cli.PARTIAL_PARSE_KEPT :])
    assert paths[-1].read_bytes() == f"state {len(paths) - 1}".encode()


def test_keeping_a_state_survives_another_process_dropping_one_meanwhile(tmp_path, monkeypatch):
    """Two processes store and prune at the same time: a state the other one drops between our
    listing and our sorting does not fail the step (the parse itself succeeded)."""
    from pathlib import Path

    from resources.dbt import runner as dbt_cli

    folder = tmp_path / "target" / "partial_parse"
    folder.mkdir(parents=True)
    vanishing = folder / "dropped-by-another-process.msgpack"
    vanishing.write_bytes(b"old")
    listed = Path.glob

    def glob_then_drop(self, pattern):
        paths = list(listed(self, pattern))
        vanishing.unlink(missing_ok=True)  # the other process's `_keep` prunes it now
        return paths

    monkeypatch.setattr(Path, "glob", glob_then_drop)
    written = tmp_path / "written.msgpack"
    written.write_bytes(b"state")
    kept = folder / "mine.msgpack"
    dbt_cli._keep(written, kept)
    assert kept.read_bytes() == b"state"

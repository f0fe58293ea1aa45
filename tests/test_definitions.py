"""The code location loads, and its graph is what users and other work rely on."""

from pathlib import Path

import pytest
from dagster import AssetKey, BackfillPolicy

from nba_assets.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.txt"


def _partitions_label(partitions_def) -> str:
    from dagster import DailyPartitionsDefinition, WeeklyPartitionsDefinition

    if partitions_def is None:
        return "unpartitioned"
    if isinstance(partitions_def, WeeklyPartitionsDefinition):
        return "weekly"
    if isinstance(partitions_def, DailyPartitionsDefinition):
        return "daily"
    return type(partitions_def).__name__


def graph_lines() -> list[str]:
    """One line per materializable asset (group, partitions definition) and one per asset check
    (Python checks and dbt tests)."""
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=AssetKey.to_user_string):
        node = graph.get(key)
        if not node.is_materializable:
            continue
        lines.append(f"{key.to_user_string()} group={node.group_name} {_partitions_label(node.partitions_def)}")
    for check_key in sorted(graph.asset_check_keys, key=lambda k: k.to_user_string()):
        lines.append(f"check {check_key.to_user_string()}")
    return lines


def test_asset_graph_matches_snapshot():
    # Update deliberately: python -c "from tests.test_definitions import *; write_snapshot()"
    assert graph_lines() == SNAPSHOT.read_text().splitlines()


def write_snapshot():
    SNAPSHOT.write_text("\n".join(graph_lines()) + "\n")


def test_the_daily_run_draws_no_figure_and_the_figures_job_only_them():
    """The report's figures are not in the daily run (`make replay`, the benchmark's new date): they
    are their own asset, in the reports job and the report_figures job `make run` launches."""

    def steps(job: str) -> set[str]:
        return {node.name for node in defs.resolve_job_def(job).graph.node_defs}

    assert "market_backtest_report" in steps("daily_pipeline")
    assert "market_backtest_plots" not in steps("daily_pipeline")
    assert steps("report_figures") == {"market_backtest_plots"}
    assert {"market_backtest_report", "market_backtest_plots"} <= steps("reports")


def test_loading_the_code_location_imports_no_numerical_library():
    """numpy, pandas and matplotlib are imported by the steps that compute, not by the code
    location's load (a code server, `dg`, every run's start): the modules that use them import
    them in their functions (docs/benchmarks.md, "Session 10": the load's floor)."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, nba_assets.definitions; "
            "print(' '.join(m for m in ('numpy', 'pandas', 'matplotlib') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == ""


def test_every_partitioned_asset_backfills_in_a_single_run():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable and node.partitions_def:
            assert node.backfill_policy == BackfillPolicy.single_run(), key


def test_every_step_that_opens_the_warehouse_is_in_the_warehouse_pool():
    for assets_def in defs.assets:
        assert assets_def.op.pool == "warehouse", assets_def.op.name
    for check in defs.asset_checks:
        opens_warehouse = "warehouse" in check.op.required_resource_keys
        assert (check.op.pool == "warehouse") == opens_warehouse, check.op.name


def test_operations_are_listed_and_running_by_default():
    from dagster import DefaultScheduleStatus, DefaultSensorStatus

    assert {s.name for s in defs.schedules} == {"morning_results_schedule", "pregame_schedule", "weekly_model_schedule"}
    assert all(s.default_status == DefaultScheduleStatus.RUNNING for s in defs.schedules)
    assert {s.name for s in defs.sensors} == {
        "failure_alerts",
        "late_box_scores",
        "freshness_deadlines",
        "heal_late_data",
        "recover_dead_runs",
    }
    assert all(s.default_status == DefaultSensorStatus.RUNNING for s in defs.sensors)
    graph = defs.resolve_asset_graph()
    healed = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).automation_condition}
    assert healed == {
        "stg_nba_raw__player_boxscores",
        "player_game_summary",
        "team_game_summary",
        "market_prop_accuracy",
        "grading_coverage_daily",
        "export_results",
    }


def test_lineage_runs_raw_to_grading():
    graph = defs.resolve_asset_graph()
    upstream_of_grading = graph.upstream_key_iterator(AssetKey("market_prop_accuracy"))
    assert {AssetKey("market_prop_predictions"), AssetKey("player_game_summary")} <= set(upstream_of_grading)
    assert AssetKey("market_models") in graph.get(AssetKey("market_prop_predictions")).parent_keys
    # dbt's layers: sources (the raw assets) -> staging views -> marts.
    staging = {"raw_schedule": "schedule", "raw_player_boxscores": "player_boxscores", "raw_prop_lines": "prop_lines"}
    for raw, entity in staging.items():
        view = graph.get(AssetKey(f"stg_nba_raw__{entity}"))
        assert view.parent_keys == {AssetKey(raw)} | ({AssetKey("player_aliases")} if entity != "schedule" else set())
        assert view.group_name == "staging"
    assert graph.get(AssetKey("player_game_summary")).parent_keys == {
        AssetKey("stg_nba_raw__player_boxscores"),
        AssetKey("stg_nba_raw__schedule"),
    }
    assert AssetKey("stg_nba_raw__prop_lines") in graph.get(AssetKey("market_lines_consensus")).parent_keys
    # No mart reads a raw table but through staging.
    for key in graph.get_all_asset_keys():
        if graph.get(key).group_name in ("analytics", "features", "grading"):
            assert not graph.get(key).parent_keys & {AssetKey(raw) for raw in staging}, key
    # Every market: lines -> features -> predictions -> grading -> the gated best bets.
    assert AssetKey("player_market_features") in graph.get(AssetKey("market_prop_predictions")).parent_keys
    assert {AssetKey("market_prop_predictions"), AssetKey("market_prop_accuracy")} <= graph.get(
        AssetKey("best_bets")
    ).parent_keys
    assert AssetKey("market_lines_consensus") in set(graph.upstream_key_iterator(AssetKey("market_prop_accuracy")))


def test_circuit_breaker_blocks_and_completeness_warns():
    from nba_assets.defs.ingest.raw import raw_player_boxscores

    specs = {spec.name: spec for spec in raw_player_boxscores.check_specs}
    assert specs["circuit_breaker"].blocking
    assert not specs["completeness"].blocking


def test_project_dagster_yaml_limits_the_pool_to_one():
    import yaml

    config = yaml.safe_load((Path(__file__).parent.parent / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"]["default_limit"] == 1


def test_sources_retry_with_backoff_and_jitter_and_runs_retry_on_crashes():
    import yaml
    from dagster import Backoff, Jitter

    from nba_assets.defs.ingest.raw import raw_player_boxscores, raw_prop_lines, raw_schedule

    for assets_def in (raw_schedule, raw_player_boxscores, raw_prop_lines):
        policy = assets_def.op.retry_policy
        assert policy.max_retries == 3 and policy.backoff == Backoff.EXPONENTIAL
        assert policy.jitter == Jitter.PLUS_MINUS
    config = yaml.safe_load((Path(__file__).parent.parent / "dagster.yaml").read_text())
    assert config["run_retries"] == {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False}


def clean_environment(home: Path) -> dict:
    """What a user's shell has after `make run`'s install, nothing exported by us: the venv's bin on
    PATH (an activated venv), a home folder; no DAGSTER_HOME, no NBA_* variable."""
    import sys

    bin_dir = Path(sys.executable).parent
    return {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "NO_COLOR": "1", "LANG": "C.UTF-8"}


@pytest.mark.slow
def test_dg_checks_and_lists_the_definitions(tmp_path):
    """The project loads the way Dagster's own tools load it, typed in the project folder with no
    variable exported: `dg check defs` validates the defs folder and the code location ([tool.dg]
    in pyproject.toml), `dg list defs` lists what it holds (dagster.yaml reads no environment)."""
    import json
    import subprocess

    env = clean_environment(tmp_path)
    root = Path(__file__).resolve().parent.parent
    checked = subprocess.run(["dg", "check", "defs"], cwd=root, env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "All definitions loaded successfully" in checked.stdout + checked.stderr
    listed = subprocess.run(["dg", "list", "defs", "--json"], cwd=root, env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr[-3000:]
    counts = {section: len(items) for section, items in json.loads(listed.stdout).items()}
    graph = defs.resolve_asset_graph()
    assert counts["assets"] == 24 == len(graph.materializable_asset_keys)
    assert counts["asset_checks"] == 69 == len(graph.asset_check_keys)
    assert counts["jobs"] == 9 and counts["schedules"] == 3 and counts["sensors"] == 5
    assert counts["resources"] == 5


@pytest.mark.slow
def test_dg_dev_serves_the_project_with_no_variable_exported(tmp_path):
    """`dg dev` typed in the project folder, nothing exported: Dagster's temporary instance (with the
    project's dagster.yaml) starts, the webserver answers and the code location loads."""
    import json
    import os
    import signal
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as probe:  # a free port, asked of the OS
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    log = (tmp_path / "dg-dev.log").open("w")
    process = subprocess.Popen(
        ["dg", "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=root,
        env=clean_environment(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its webserver, daemon and code server: one process group to stop
    )
    query = json.dumps(
        {
            "query": "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
            "locationOrLoadError { __typename } } } } }"
        }
    ).encode()
    entries = None
    try:
        deadline = time.monotonic() + 600  # a liveness bound on a busy 2-core machine, not a figure
        while time.monotonic() < deadline and process.poll() is None:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql", data=query, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=10) as response:
                    entries = json.loads(response.read())["data"]["workspaceOrError"]["locationEntries"]
                if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                    break
            except OSError:
                pass
            time.sleep(2)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C: dagster dev removes its temporary home
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    output = (tmp_path / "dg-dev.log").read_text()
    assert entries, output[-3000:]
    assert [(e["name"], e["locationOrLoadError"]["__typename"]) for e in entries] == [
        ("nba_assets", "RepositoryLocation")
    ], output[-3000:]
    assert "is not set" not in output, output[-3000:]  # no variable was needed


def test_importing_the_code_location_leaves_the_process_as_it_was():
    """Nothing changes the process at import (the collector, its thresholds and frozen objects, our
    warning filters): where a process starts decides those (the replay CLI pauses the collector
    while it loads the code location). Checked in a new interpreter, as a code server starts."""
    import subprocess
    import sys

    code = (
        "import gc, warnings, dagster\n"
        "state = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())\n"
        "filters = list(warnings.filters)\n"
        "import nba_assets.definitions\n"
        "added = [f for f in warnings.filters if f not in filters and 'dagster' in repr(f[2])]\n"
        "assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == state, state\n"
        "assert not added, added\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]

"""The code location loads, and its graph is what users and other work rely on."""

from pathlib import Path

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
        "player_game_summary",
        "team_game_summary",
        "prediction_accuracy",
        "market_prop_accuracy",
        "grading_coverage_daily",
        "export_results",
    }


def test_lineage_runs_raw_to_grading():
    graph = defs.resolve_asset_graph()
    upstream_of_grading = graph.upstream_key_iterator(AssetKey("prediction_accuracy"))
    assert {AssetKey("player_prop_predictions"), AssetKey("player_game_summary")} <= set(upstream_of_grading)
    assert AssetKey("ml_feature_store") in graph.get(AssetKey("player_prop_predictions")).parent_keys
    assert AssetKey("raw_player_boxscores") in graph.get(AssetKey("player_game_summary")).parent_keys
    assert AssetKey("player_aliases") in graph.get(AssetKey("prop_lines_consensus")).parent_keys
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


def test_dg_checks_and_lists_the_definitions(tmp_path):
    """The project loads the way Dagster's own tools load it: `dg check defs` validates the defs
    folder and the code location ([tool.dg] in pyproject.toml), `dg list defs` lists what it holds."""
    import json
    import os
    import subprocess
    import sys

    bin_dir = Path(sys.executable).parent
    (tmp_path / "dagster.yaml").write_text("")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "VIRTUAL_ENV": str(bin_dir.parent),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "NO_COLOR": "1",
    }
    root = Path(__file__).resolve().parent.parent
    checked = subprocess.run([str(bin_dir / "dg"), "check", "defs"], cwd=root, env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "All definitions loaded successfully" in checked.stdout + checked.stderr
    listed = subprocess.run(
        [str(bin_dir / "dg"), "list", "defs", "--json"], cwd=root, env=env, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr[-3000:]
    counts = {section: len(items) for section, items in json.loads(listed.stdout).items()}
    graph = defs.resolve_asset_graph()
    assert counts["assets"] == 26 == len(graph.materializable_asset_keys)
    assert counts["asset_checks"] == 75 == len(graph.asset_check_keys)
    assert counts["jobs"] == 8 and counts["schedules"] == 3 and counts["sensors"] == 5
    assert counts["resources"] == 5

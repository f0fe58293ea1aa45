"""The instance storage of dagster.yaml (resources/instance/storage.py) records what Dagster's default
SQLite storage records: the same scenario runs on both and every answer the UI relies on is compared."""

import threading
from pathlib import Path

import pytest
import yaml
from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetKey,
    BackfillPolicy,
    DagsterEventType,
    DagsterInstance,
    DailyPartitionsDefinition,
    Definitions,
    Failure,
    MaterializeResult,
    asset,
    asset_check,
    define_asset_job,
    in_process_executor,
)
from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value

from resources.instance.storage import LocalSqliteStorage, PooledSqliteEventLogStorage

ROOT = Path(__file__).resolve().parent.parent
DAYS = DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-02-01")


@asset(partitions_def=DAYS, backfill_policy=BackfillPolicy.single_run())
def upstream(context) -> MaterializeResult:
    if context.run.tags.get("fail") == "upstream":
        raise Failure("planned failure")
    return MaterializeResult(metadata={"dagster/row_count": 7})


@asset(partitions_def=DAYS, backfill_policy=BackfillPolicy.single_run(), deps=[upstream])
def downstream(context) -> MaterializeResult:
    return MaterializeResult(metadata={"rows": len(context.partition_keys)})


@asset_check(asset=downstream, partitions_def=DAYS)
def downstream_ok(context) -> AssetCheckResult:
    return AssetCheckResult(passed=True)


DEFS = Definitions(
    assets=[upstream, downstream],
    asset_checks=[downstream_ok],
    jobs=[define_asset_job("both", selection=[upstream, downstream], partitions_def=DAYS)],
    executor=in_process_executor,
)
RANGE = {"dagster/asset_partition_range_start": "2025-01-03", "dagster/asset_partition_range_end": "2025-01-12"}


@pytest.fixture(autouse=True)
def _home_from_environment(monkeypatch, tmp_path):
    # dagster.yaml places the storage in $DAGSTER_HOME (make and the benchmark set it).
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))


def instance_at(home: Path, project_config: bool) -> DagsterInstance:
    import os

    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    if project_config:
        from nba_assets.lib.instance_config import write_instance_config

        write_instance_config(home)
    else:
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return DagsterInstance.from_config(str(home))


def scenario(instance: DagsterInstance) -> dict:
    """A successful range run, then a failed one over part of it; what the UI would show."""
    job = DEFS.resolve_job_def("both")
    assert job.execute_in_process(instance=instance, tags=RANGE).success
    failed = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": "2025-01-10",
            "dagster/asset_partition_range_end": "2025-01-15",
            "fail": "upstream",
        },
    )
    assert not failed.success
    status = get_and_update_asset_status_cache_value(instance, AssetKey("upstream"), DAYS)
    latest = instance.get_latest_materialization_event(AssetKey("downstream"))
    checks = instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(AssetKey("downstream"), "downstream_ok"), limit=100
    )
    return {
        "materialized": {
            key: sorted(instance.get_materialized_partitions(AssetKey(key))) for key in ("upstream", "downstream")
        },
        "failed": sorted(status.deserialize_failed_partition_subsets(DAYS).get_partition_keys()),
        "latest_partition": latest.dagster_event.partition,
        "latest_metadata": latest.asset_materialization.metadata["rows"].value,
        "check_executions": sorted(((r.partition, r.status.value) for r in checks), key=str),
        "runs": sorted(run.status.value for run in instance.get_runs()),
    }


def test_project_instance_uses_the_pooled_event_log(tmp_path):
    instance = instance_at(tmp_path / "home", project_config=True)
    assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
    assert yaml.safe_load((tmp_path / "home" / "dagster.yaml").read_text())["storage"]["custom"]["class"] == (
        LocalSqliteStorage.__name__
    )


def test_records_the_same_as_dagsters_default_storage(tmp_path):
    ours = scenario(instance_at(tmp_path / "ours", project_config=True))
    default = scenario(instance_at(tmp_path / "default", project_config=False))
    assert ours == default
    assert ours["materialized"]["upstream"] == [f"2025-01-{d:02d}" for d in range(3, 13)]
    assert ours["failed"] == [f"2025-01-{d:02d}" for d in range(10, 16)]
    assert ours["check_executions"]


def test_writes_are_visible_to_another_process_and_survive_reopening(tmp_path):
    home = tmp_path / "home"
    writer = instance_at(home, project_config=True)
    assert DEFS.resolve_job_def("both").execute_in_process(instance=writer, tags=RANGE).success
    # A second instance on the same files (as the UI's process would be) sees every event now.
    reader = instance_at(home, project_config=True)
    assert len(reader.get_materialized_partitions(AssetKey("downstream"))) == 10
    writer.dispose()
    reader.dispose()
    reopened = instance_at(home, project_config=True)
    assert len(reopened.get_materialized_partitions(AssetKey("upstream"))) == 10
    reopened.dispose()


def test_a_watcher_receives_a_runs_events(tmp_path):
    instance = instance_at(tmp_path / "home", project_config=True)
    result = DEFS.resolve_job_def("both").execute_in_process(instance=instance, tags=RANGE)
    received, done = [], threading.Event()

    def callback(event, _cursor):
        received.append(event)
        if event.is_dagster_event and event.dagster_event.event_type == DagsterEventType.RUN_SUCCESS:
            done.set()

    instance.watch_event_logs(result.run_id, None, callback)
    try:
        assert done.wait(timeout=10), "the watcher did not deliver the run's events"
    finally:
        instance.end_watch_event_logs(result.run_id, callback)
        instance.dispose()
    assert len(received) == len(instance.all_logs(result.run_id))


@pytest.fixture(autouse=True)
def _quiet_dagster_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield

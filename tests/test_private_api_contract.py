"""The three modules allowed to use private Dagster / dagster-dbt APIs, and what they rely on: an
upgrade that moves or changes any of it fails here, by name, before anything runs on it.

- resources/instance/storage.py: the local event-log storage (a subclass of Dagster's SQLite one);
- resources/dbt/runner.py: dbt in-process behind dagster-dbt's DbtCliResource interface (and a
  faster equivalent of dbt_common's behavior-flag source lookup);
- nba_assets/lib/partition_metadata.py: many partitions' materialization metadata in one update of
  the step's accumulator (Dagster's public call per partition is quadratic).
"""

import importlib
import inspect
from importlib.metadata import version

import pytest

# The patches these modules were written and tested against (pyproject.toml pins dagster exactly).
TESTED = {"dagster": "1.13.27", "dagster-dbt": "0.29.27"}

PRIVATE_NAMES = [
    ("dagster._core.execution.context.metadata_logging", ["AssetMetadataHandle", "OutputMetadataAccumulator"]),
    ("dagster._core.events", ["ASSET_CHECK_EVENTS", "ASSET_EVENTS", "EVENT_TYPE_TO_PIPELINE_RUN_STATUS"]),
    ("dagster._core.storage.asset_check_execution_record", ["AssetCheckExecutionRecordStatus"]),
    ("dagster._core.storage.event_log.polling_event_watcher", ["SqlPollingEventWatcher"]),
    ("dagster._core.storage.event_log.schema", ["AssetCheckExecutionsTable", "SqlEventLogStorageTable"]),
    ("dagster._core.storage.event_log.sqlite.sqlite_event_log", ["INDEX_SHARD_NAME", "SqliteEventLogStorage"]),
    ("dagster._core.storage.runs", ["SqliteRunStorage"]),
    ("dagster._core.storage.schedules", ["SqliteScheduleStorage"]),
    ("dagster._core.storage.sqlite", ["SQLITE_BUSY_TIMEOUT_SECONDS"]),
    (
        "dagster._core.storage.sqlite_storage",
        ["DagsterSqliteStorage", "_event_logs_directory", "_runs_directory", "_schedule_directory"],
    ),
    ("dagster._serdes", ["ConfigurableClassData", "serialize_value"]),
    ("dagster._utils", ["mkdir_p"]),
    (
        "dagster_dbt.asset_utils",
        ["extract_runtime_selection_from_args", "get_updated_cli_invocation_params_for_context"],
    ),
    ("dagster_dbt.dagster_dbt_translator", ["validate_opt_translator"]),
    ("dagster_dbt.dbt_manifest", ["validate_manifest"]),
    ("dbt_common.behavior_flags", ["BehaviorFlagRendered"]),
]


@pytest.mark.parametrize("package", sorted(TESTED))
def test_installed_versions_are_the_tested_ones(package):
    assert version(package) == TESTED[package], (
        f"{package} {version(package)} is installed; resources/instance/storage.py, resources/dbt/runner.py and "
        f"nba_assets/lib/partition_metadata.py were tested on {TESTED[package]}: check their private imports, run the tests, then update TESTED"
    )


@pytest.mark.parametrize("module,names", PRIVATE_NAMES, ids=[m for m, _ in PRIVATE_NAMES])
def test_private_names_exist(module, names):
    loaded = importlib.import_module(module)
    assert [name for name in names if not hasattr(loaded, name)] == []


def test_overridden_methods_keep_their_signatures():
    """The storage overrides Dagster's methods and the runner calls dagster-dbt's helpers with
    keyword arguments: their parameters must still be there."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
    from dagster_dbt import DbtCliResource
    from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context

    from resources.instance.storage import PooledSqliteEventLogStorage

    for name, method in vars(PooledSqliteEventLogStorage).items():
        if callable(method) and not name.startswith("__") and hasattr(SqliteEventLogStorage, name):
            ours = set(inspect.signature(method).parameters)
            theirs = set(inspect.signature(getattr(SqliteEventLogStorage, name)).parameters)
            assert theirs <= ours | {"kwargs"}, f"SqliteEventLogStorage.{name} now takes {theirs - ours}"
    params = set(inspect.signature(get_updated_cli_invocation_params_for_context).parameters)
    assert {"context", "manifest", "dagster_dbt_translator", "runtime_selects", "runtime_excludes"} <= params
    assert {"args", "raise_on_error", "manifest", "dagster_dbt_translator", "context", "target_path"} <= set(
        inspect.signature(DbtCliResource.cli).parameters
    )
    assert hasattr(DbtCliResource, "_get_unique_target_path")


def _declare_flag():
    from dbt_common.behavior_flags import Behavior

    return Behavior([{"name": "contract_flag", "default": True, "description": "a flag"}], {})


def test_the_behavior_flag_source_is_the_one_dbt_finds():
    """The runner replaces dbt_common's `_default_source` (a stack walk with inspect): the module
    it names must be the one dbt's own lookup names, for a flag declared here."""
    from dbt_common.behavior_flags import BehaviorFlagRendered

    from resources.dbt import runner

    original = BehaviorFlagRendered.__dict__["_default_source"]
    assert isinstance(original, staticmethod)
    try:
        BehaviorFlagRendered._default_source = original
        theirs = _declare_flag().contract_flag._behavior_change_event.flag_source
        runner._fast_behavior_flag_source()
        ours = _declare_flag().contract_flag._behavior_change_event.flag_source
    finally:
        BehaviorFlagRendered._default_source = original
    assert theirs == ours == __name__


def test_partition_metadata_in_one_update_equals_the_public_calls():
    """One run over four dates: an asset adding each date's metadata with Dagster's public call and
    one with add_partition_metadata materialize with the same metadata per date; a partition the
    run does not target is refused, as the public call refuses it."""
    import dagster as dg

    from nba_assets.lib.partition_metadata import add_partition_metadata

    daily = dg.DailyPartitionsDefinition(start_date="2025-11-01")

    def by_partition(context):
        return {
            key: {"rows": i, "last": key == context.partition_keys[-1]} for i, key in enumerate(context.partition_keys)
        }

    @dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
    def public(context: dg.AssetExecutionContext) -> None:
        for key, metadata in by_partition(context).items():
            context.add_asset_metadata(metadata, partition_key=key)

    @dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
    def batched(context: dg.AssetExecutionContext) -> None:
        context.add_asset_metadata({"rows": -1}, partition_key=context.partition_keys[0])  # earlier entries kept
        add_partition_metadata(context, by_partition(context))

    @dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
    def untargeted(context: dg.AssetExecutionContext) -> None:
        add_partition_metadata(context, {**by_partition(context), "2025-11-20": {"rows": 0}})

    instance = dg.DagsterInstance.ephemeral()
    tags = {"dagster/asset_partition_range_start": "2025-11-02", "dagster/asset_partition_range_end": "2025-11-05"}
    result = dg.materialize([public, batched], instance=instance, tags=tags)
    assert result.success

    def metadata(key):
        events = result.asset_materializations_for_node(key)
        return {event.partition: {k: v.value for k, v in event.metadata.items()} for event in events}

    assert len(metadata("public")) == 4
    assert metadata("batched") == metadata("public")
    with pytest.raises(dg.DagsterInvariantViolationError, match="2025-11-20"):
        dg.materialize([untargeted], instance=instance, tags=tags)

"""Materialization metadata of many partitions of one asset in one update: the one module of the
code location that uses a private Dagster API (checked by tests/test_private_api_contract.py).

Dagster's public `context.add_asset_metadata(metadata, asset_key, partition_key)` adds one
partition's metadata by copying and re-validating every entry added before it, and lists the
run's partition keys at each call: n calls cost O(n^2). A season's single run adds 538 dates per
asset, 4,842 in the dbt step alone (nine models): ~1.6 s of a ~50 s season replay. Here the first
partition goes through the public call (its checks: an asset of this step, a targeted partition)
and the others, once checked against the run's partition keys, are merged into the same
accumulator in one update; the materializations carry exactly what the public calls would give
(tests/test_private_api_contract.py compares both on a run).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, DagsterInvariantViolationError
from dagster._core.execution.context.metadata_logging import AssetMetadataHandle, OutputMetadataAccumulator


def add_partition_metadata(
    context: AssetExecutionContext, by_partition: Mapping[str, Mapping[str, Any]], asset_key: AssetKey | None = None
) -> None:
    """`context.add_asset_metadata(metadata, asset_key, partition_key)` for each
    (partition_key, metadata) of `by_partition`, in one update."""
    if not by_partition:
        return
    (first, first_metadata), *rest = by_partition.items()
    context.add_asset_metadata(first_metadata, asset_key=asset_key, partition_key=first)
    targeted = set(context.partition_keys)
    untargeted = [key for key, _ in rest if key not in targeted]
    if untargeted:
        raise DagsterInvariantViolationError(
            f"Attempted to add metadata for partition keys {untargeted[:5]} that are not being targeted."
        )
    key = AssetKey.from_coercible(asset_key) if asset_key is not None else context.assets_def.key
    step = context._step_execution_context  # noqa: SLF001 (the private part: the step's accumulator)
    entries = dict(step._metadata_accumulator.per_output_metadata)  # noqa: SLF001
    for partition_key, metadata in rest:
        handle = AssetMetadataHandle(asset_key=key, partition_key=partition_key)
        entries[handle] = {**entries.get(handle, {}), **metadata}
    step._metadata_accumulator = OutputMetadataAccumulator(per_output_metadata=entries)  # noqa: SLF001

"""What every partitioned Python asset shares: owners, single-run backfills, the DuckDB pool."""

from dagster import BackfillPolicy, PartitionsDefinition

from nba_assets.lib.partitions import daily_partitions

OWNERS = ["team:nba-data"]


def partitioned(group: str, kinds: set[str], partitions_def: PartitionsDefinition = daily_partitions) -> dict:
    """@asset arguments of a partitioned asset of `group` that opens the warehouse."""
    return dict(
        group_name=group,
        partitions_def=partitions_def,
        # A range of dates is one run: set-based work, one dbt call, one process.
        backfill_policy=BackfillPolicy.single_run(),
        # DuckDB allows one writing process: every step that opens it shares this pool (limit 1).
        pool="warehouse",
        owners=OWNERS,
        kinds=kinds,
    )

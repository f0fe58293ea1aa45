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


def warehouse_session(fn):
    """Runs an asset's body (under its @asset) inside `warehouse.session()`: its queries share one
    open database instead of opening the file for each (DuckDB: ~25 ms of CPU per opening). For a
    body that queries the warehouse more than once; generators keep it open until they finish."""
    import contextlib
    import functools
    import inspect

    signature = inspect.signature(fn)

    def session(args, kwargs):
        warehouse = signature.bind_partial(*args, **kwargs).arguments.get("warehouse")
        return warehouse.session() if warehouse is not None else contextlib.nullcontext()

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args, **kwargs):
            with session(args, kwargs):
                yield from fn(*args, **kwargs)

        return generator

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with session(args, kwargs):
            return fn(*args, **kwargs)

    return wrapper

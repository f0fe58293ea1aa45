"""dbt phases: staging, analytics + feature store (before predictions) and grading (after them;
its asset is in nba_assets/defs/grading/dbt_grading.py, sharing `run_dbt` and `DBT_KWARGS` from here).

Two partitioned `@dbt_assets` because the Python predictions sit between them in the graph; each
runs one `dbt build` per run over the run's whole window (single-run backfill), the window passed
as environment variables (end exclusive; see `_window_environment`). The alias seed is built by
the first phase's `dbt build` (a seed of 15 rows: milliseconds), so it shares the daily partitions:
an unpartitioned seed would split every backfill of the graph into two runs (Dagster runs assets of
one partitions definition together), and every run loads the aliases it applies. The staging
views (models/staging) are partitioned assets of the first phase for the same reason: a view has
no rows of its own, so each run re-creates it and it counts as materialized for the run's dates.

dbt holds the DuckDB file lock while it runs, so row counts and previews are read after dbt has
exited, then attached to each model's materialization.
"""

import functools
import json
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    BackfillPolicy,
    Output,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from nba_assets.lib.asset_defaults import OWNERS
from nba_assets.lib.automation import healing_condition
from nba_assets.lib.environment import environ
from nba_assets.lib.metadata import preview_metadata, window_metadata
from nba_assets.lib.partitions import daily_partitions
from nba_assets.lib.paths import DBT_PROJECT_DIR
from nba_assets.lib.window import window_bounds
from resources.dbt.runner import WINDOW_VARIABLES
from resources.interfaces import Warehouse

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

GROUP_BY_FOLDER = {"staging": "staging", "analytics": "analytics", "features": "features", "grading": "grading"}


class NbaDbtTranslator(DagsterDbtTranslator):
    """Models and seeds keyed by their name; groups by folder; sources keyed through their meta."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed"):
            return AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "analytics"
        folder = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else None
        return GROUP_BY_FOLDER.get(folder, "analytics")

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return OWNERS

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]):
        # The results side heals itself after late box scores (lib/automation.py); set here, on
        # the asset, rather than mapped over the loaded graph's specs.
        healing = (
            healing_condition(dbt_resource_props["name"])
            if dbt_resource_props["resource_type"] in ("model", "seed")
            else None
        )
        return healing if healing is not None else super().get_automation_condition(dbt_resource_props)


translator = NbaDbtTranslator()


@functools.lru_cache(maxsize=2)
def _tables(manifest_path: str, modified_ns: int) -> tuple[tuple[str, str, str, str], ...]:
    """(name, schema, alias, materialization: seed, view, incremental) of each model and seed of
    the manifest, read once per process and manifest version (both dbt steps of a run use it; the
    JSON is ~0.8 MB)."""
    manifest = json.loads(Path(manifest_path).read_text())
    return tuple(
        (node["name"], node["config"]["schema"], node["alias"], node["config"]["materialized"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed") and node.get("relation_name")
    )


def _relation_names(warehouse: Warehouse) -> tuple[dict[AssetKey, str], set[AssetKey]]:
    """Each model's and seed's table as the warehouse names it (the manifest's relation names are
    those of the target it was parsed for), and the seeds' keys. Views are left out: they hold no
    rows (the raw assets count what they show), and counting through them would scan the raw
    tables again on every run (BigQuery bills it)."""
    path = dbt_project.manifest_path
    tables = _tables(str(path), path.stat().st_mtime_ns)
    relations = {
        AssetKey(name): warehouse.relation(schema, alias) for name, schema, alias, kind in tables if kind != "view"
    }
    return relations, {AssetKey(name) for name, _, _, kind in tables if kind == "seed"}


def _with_warehouse_metadata(
    events: list, context: AssetExecutionContext, warehouse: Warehouse, partitioned: bool
) -> Iterator:
    """Re-emits dbt's events, adding row counts and a preview to each model (per date of the
    window, see `window_metadata`)."""
    # Seeds are reference data, not rows of a date: all their rows count for every date.
    relations, seeds = _relation_names(warehouse)
    where, params = "", []
    if partitioned:
        start, end = window_bounds(context)
        where, params = " WHERE game_date >= ? AND game_date < ?", [start, end]
    for event in events:
        if isinstance(event, (Output, AssetMaterialization)):
            key = (
                event.asset_key
                if isinstance(event, AssetMaterialization)
                else (context.asset_key_for_output(event.output_name))
            )
            relation = relations.get(key)
            if relation and key in seeds:
                count = int(warehouse.query(f"SELECT count(*) AS n FROM {relation}")["n"].iloc[0])
                preview = preview_metadata(warehouse.query(f"SELECT * FROM {relation} LIMIT 10"))
                extra = (
                    window_metadata(context, {k: count for k in context.partition_keys}, preview, key)
                    if partitioned
                    else {"dagster/row_count": count, **preview}
                )
                event = event.with_metadata({**event.metadata, **extra})
            elif relation:
                preview = preview_metadata(warehouse.query(f"SELECT * FROM {relation}{where} LIMIT 10", params))
                if partitioned:
                    # Dates formatted here, not in SQL: the same query runs on DuckDB and BigQuery.
                    counts = warehouse.query(
                        f"SELECT game_date AS day, count(*) AS n FROM {relation}{where} GROUP BY 1", params
                    )
                    by_date = {str(day)[:10]: int(n) for day, n in zip(counts["day"], counts["n"])}
                    extra = window_metadata(context, by_date, preview, key)
                else:
                    count = warehouse.query(f"SELECT count(*) AS n FROM {relation}")["n"].iloc[0]
                    extra = {"dagster/row_count": int(count), **preview}
                event = event.with_metadata({**event.metadata, **extra})
        yield event


@contextmanager
def _window_environment(context: AssetExecutionContext, partitioned: bool) -> Iterator[None]:
    """The run's window for dbt's `window_start()`/`window_end()` macros, as environment variables
    of the dbt process (dagster-dbt passes this process's environment): unlike --vars they do not
    invalidate dbt's partial parsing."""
    if not partitioned:
        yield
        return
    start, end = window_bounds(context)
    with environ(**dict(zip(WINDOW_VARIABLES, (start.isoformat(), end.isoformat())))):
        yield


def run_dbt(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse, partitioned: bool) -> Iterator:
    # Events are all we read: no JSON artifacts or debug log file (the invocation's target folder
    # is deleted after it). Unit tests run in pytest; a subsetted run's --select would otherwise
    # pull them back in.
    args = ["build", "--no-write-json", "--log-level-file", "none", "--exclude-resource-type", "unit_test"]
    # --vars only when needed: a changed value costs dbt a full re-parse. The dataset prefix (prod)
    # is constant per deployment; BigQuery's static partitions are model config, rendered at parse
    # time, so there the window goes in --vars too (the environment variables carry it anyway).
    dbt_vars = {"dataset_prefix": warehouse.dataset_prefix} if warehouse.dataset_prefix else {}
    if partitioned and dbt.target == "bigquery":
        start, end = window_bounds(context)
        dbt_vars.update(min_date=start.isoformat(), max_date=end.isoformat())
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    with _window_environment(context, partitioned), warehouse.open_for_dbt():
        invocation = dbt.cli(args, context=context, raise_on_error=False)
    try:
        # Buffer: dbt holds the DuckDB lock until it exits; metadata queries come after.
        events = list(invocation.stream())
        succeeded = invocation.is_successful()
        if succeeded:
            # dbt has released the file: its ~10 metadata queries share one opening of it.
            with warehouse.session():
                yield from _with_warehouse_metadata(events, context, warehouse, partitioned)
        else:
            yield from events
            errors = invocation.get_error()
            raise errors if errors else RuntimeError("dbt build failed")
    finally:
        # Each invocation leaves target/<asset>-<run>-<hash>/ behind (~1.3 MB): keep the disk clean.
        shutil.rmtree(invocation.target_path, ignore_errors=True)


# dbt unit tests run in pytest (tests/test_dbt_unit.py), not in every pipeline run.
DBT_KWARGS = dict(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool="warehouse",
    exclude="test_type:unit",
)


@dbt_assets(
    # The seed and the staging views first (dbt orders them before the models that ref them),
    # then analytics and features.
    select="resource_type:seed path:models/staging path:models/analytics path:models/features",
    name="dbt_analytics_and_features",
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    **DBT_KWARGS,
)
def dbt_analytics_and_features(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """The player alias seed, the staging views, player/team game summaries, consensus lines and the
    feature store for the run's window."""
    yield from run_dbt(context, dbt, warehouse, partitioned=True)

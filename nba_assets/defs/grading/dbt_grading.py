"""dbt grading: grades the window's predictions against box scores and the daily grading coverage
(dbt_project/models/grading). Runs like the other dbt phase (nba_assets/defs/transform/dbt_models.py)."""

from dagster import AssetExecutionContext, BackfillPolicy
from dagster_dbt import DbtCliResource, dbt_assets

from nba_assets.defs.transform.dbt_models import DBT_KWARGS, run_dbt
from nba_assets.lib.partitions import daily_partitions
from resources.interfaces import Warehouse


@dbt_assets(
    select="path:models/grading",
    name="dbt_grading",
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    **DBT_KWARGS,
)
def dbt_grading(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Grades the window's predictions against box scores; daily grading coverage."""
    yield from run_dbt(context, dbt, warehouse, partitioned=True)

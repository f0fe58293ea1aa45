"""The code location: one `Definitions` for the whole graph.

raw (Python) -> analytics + features (dbt) -> predictions (Python) -> grading (dbt), every asset
partitioned by US-Eastern game date with single-run backfills; resources chosen by NBA_ENV.
"""

import os

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from nba_assets.checks import grading_coverage, line_match_rate
from nba_assets.dbt_models import dbt_analytics_and_features, dbt_grading, dbt_reference_seeds
from nba_assets.partitions import daily_partitions
from nba_assets.predictions import player_prop_predictions
from nba_assets.raw import raw_player_boxscores, raw_prop_lines, raw_schedule
from resources.environments import resources_for

DAILY_ASSETS = [raw_schedule, raw_player_boxscores, raw_prop_lines, dbt_analytics_and_features,
                player_prop_predictions, dbt_grading]

daily_pipeline = define_asset_job(
    "daily_pipeline",
    selection=AssetSelection.assets(*DAILY_ASSETS),
    partitions_def=daily_partitions,
    description="Every partitioned asset, raw to grading, for a date or a range of dates.",
)

reference_data = define_asset_job(
    "reference_data",
    selection=AssetSelection.assets(dbt_reference_seeds),
    description="dbt seeds (player aliases); run before the first daily run and after seed edits.",
)



def build_definitions(resources: dict) -> Definitions:
    return Definitions(
        assets=[*DAILY_ASSETS, dbt_reference_seeds],
        asset_checks=[line_match_rate, grading_coverage],
        jobs=[daily_pipeline, reference_data],
        resources=resources,
        # DuckDB work is milliseconds; step processes cost seconds each. One process per run.
        executor=in_process_executor,
    )


defs = build_definitions(resources_for(os.environ.get("NBA_ENV", "local")))

"""The code location: one `Definitions` for the whole graph.

raw (Python) -> analytics + features (dbt) -> weekly points model -> predictions, best bets
(Python) -> grading (dbt) -> exports (JSON) and the backtest report. Daily assets are partitioned
by US-Eastern game date, the model by week; every partitioned asset backfills a range in one run.
Operations: schedules (schedules.py), healing automation (automation.py), freshness deadlines
(freshness.py), late box scores (late_data.py), alerts (alerts.py), the health summary (health.py).
Resources are chosen by NBA_ENV.
"""

import atexit
import gc
import os
import warnings

# Paused while the code location loads, resumed at the end of this module (see there).
_collecting = gc.isenabled()
gc.disable()

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    BetaWarning,
    DefaultSensorStatus,
    Definitions,
    PreviewWarning,
    define_asset_job,
    in_process_executor,
)

# Used knowingly: single-run backfill policies, partitioned asset checks, partition mappings that
# allow missing upstream weeks (beta/preview in Dagster 1.13). Their notices would print at every
# load of the code location.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

from nba_assets.alerts import failure_alerts
from nba_assets.automation import with_automation
from nba_assets.backtest import backtest_report
from nba_assets.best_bets import best_bets
from nba_assets.checks import (
    features_before_game_date,
    grading_coverage,
    line_match_rate,
    market_features_before_game_date,
)
from nba_assets.dbt_models import dbt_analytics_and_features, dbt_grading, dbt_reference_seeds
from nba_assets.exports import (
    export_best_bets,
    export_predictions,
    export_results,
    export_system_performance,
)
from nba_assets.freshness import freshness_checks, freshness_deadlines, freshness_job
from nba_assets.health import daily_health_summary
from nba_assets.late_data import late_box_scores
from nba_assets.market_backtest import market_backtest_report
from nba_assets.market_predictions import market_prop_predictions
from nba_assets.partitions import daily_partitions, weekly_partitions
from nba_assets.points_model import points_model
from nba_assets.predictions import player_prop_predictions
from nba_assets.raw import raw_player_boxscores, raw_prop_lines, raw_schedule
from nba_assets.schedules import (
    morning_results,
    morning_results_schedule,
    pregame_predictions,
    pregame_schedule,
    weekly_model_schedule_for,
)
from resources.environments import resources_for

INGEST_AND_FEATURES = [raw_schedule, raw_player_boxscores, raw_prop_lines, dbt_analytics_and_features]
PREDICT_GRADE_EXPORT = [player_prop_predictions, market_prop_predictions, best_bets, dbt_grading, export_predictions,
                        export_best_bets, export_results, daily_health_summary]
REPORTS = [backtest_report, market_backtest_report, export_system_performance]

# A run holds assets of one partitions definition: the weekly model splits a replay into phases.
ingest_and_features = define_asset_job(
    "ingest_and_features", selection=AssetSelection.assets(*INGEST_AND_FEATURES),
    partitions_def=daily_partitions,
    description="Raw sources, analytics and the feature store for a date or a range of dates.")
weekly_points_model = define_asset_job(
    "weekly_points_model", selection=AssetSelection.assets(points_model),
    partitions_def=weekly_partitions, description="Train the points model of a week or range of weeks.")
# Both end with the (unpartitioned) reports: one run less per replay or day than a separate job.
predict_grade_export = define_asset_job(
    "predict_grade_export", selection=AssetSelection.assets(*PREDICT_GRADE_EXPORT, *REPORTS),
    partitions_def=daily_partitions,
    description="Predictions, best bets, grading and JSON exports for a date or a range of dates, "
    "then the backtest report.")
daily_pipeline = define_asset_job(
    "daily_pipeline", selection=AssetSelection.assets(*INGEST_AND_FEATURES, *PREDICT_GRADE_EXPORT, *REPORTS),
    partitions_def=daily_partitions,
    description="Every daily asset, raw to exports, and the backtest report, once the week's model exists.")
reports = define_asset_job(
    "reports", selection=AssetSelection.assets(*REPORTS),
    description="Backtest report over all graded dates and v1/systems/performance.json.")
reference_data = define_asset_job(
    "reference_data", selection=AssetSelection.assets(dbt_reference_seeds),
    description="dbt seeds (player aliases); run before the first daily run and after seed edits.")


# Late data heals through the results side of a date (automation.py); evaluated every minute.
heal_late_data = AutomationConditionSensorDefinition(
    "heal_late_data", target=AssetSelection.all(), default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Evaluates the assets' automation conditions: a late box score re-grades its date.")


def build_definitions(resources: dict) -> Definitions:
    return Definitions(
        assets=with_automation(
            [*INGEST_AND_FEATURES, points_model, *PREDICT_GRADE_EXPORT, *REPORTS, dbt_reference_seeds]),
        asset_checks=[line_match_rate, features_before_game_date, market_features_before_game_date,
                      grading_coverage, *freshness_checks],
        jobs=[ingest_and_features, weekly_points_model, predict_grade_export, daily_pipeline, reports,
              reference_data, morning_results, pregame_predictions, freshness_job],
        schedules=[morning_results_schedule, pregame_schedule, weekly_model_schedule_for(weekly_points_model)],
        sensors=[failure_alerts, late_box_scores, freshness_deadlines, heal_late_data],
        resources=resources,
        # DuckDB work is milliseconds; step processes cost seconds each. One process per run.
        executor=in_process_executor,
    )


defs = build_definitions(resources_for(os.environ.get("NBA_ENV", "local")))

# Loading imports dagster, dagster-dbt and dbt (~1M objects, almost none garbage): the cyclic
# collector's passes over them were ~15% of the load time. `freeze` also keeps these long-lived
# objects out of every later collection in the process.
# Unfrozen at exit so the interpreter's teardown frees them (duckdb's bindings report frozen
# objects as leaks).
gc.freeze()
atexit.register(gc.unfreeze)
if _collecting:
    gc.enable()

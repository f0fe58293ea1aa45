"""The code location: one `Definitions` for the whole graph.

raw (Python) -> analytics + features (dbt) -> points model -> predictions, best bets (Python) ->
grading (dbt) -> exports (JSON) and the backtest report. Every asset is partitioned by US-Eastern
game date on one partitions definition with a single-run backfill policy, so a backfill of any
range over the whole graph (the UI's Materialize all, a job's backfill, `make replay`) is one run.
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

# Used knowingly: single-run backfill policies, partitioned asset checks (beta/preview in Dagster
# 1.13). Their notices would print at every
# load of the code location.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

from nba_assets.defs.operations.alerts import failure_alerts
from nba_assets.defs.operations.automation import with_automation
from nba_assets.defs.grading.backtest import backtest_report
from nba_assets.defs.predictions.best_bets import best_bets
from nba_assets.defs.checks import (
    features_before_game_date,
    grading_coverage,
    line_match_rate,
    market_features_before_game_date,
)
from nba_assets.defs.transform.dbt_models import dbt_analytics_and_features, dbt_grading
from nba_assets.defs.exports.exports import (
    export_best_bets,
    export_predictions,
    export_results,
    export_system_performance,
)
from nba_assets.defs.operations.freshness import freshness_checks, freshness_deadlines, freshness_job
from nba_assets.defs.operations.health import daily_health_summary
from nba_assets.defs.operations.late_data import late_box_scores
from nba_assets.defs.grading.market_backtest import market_backtest_report
from nba_assets.defs.predictions.market_predictions import market_prop_predictions
from nba_assets.lib.partitions import daily_partitions
from nba_assets.defs.model.points_model import points_model
from nba_assets.defs.predictions.predictions import player_prop_predictions
from nba_assets.defs.ingest.raw import raw_player_boxscores, raw_prop_lines, raw_schedule
from nba_assets.defs.operations.recovery import recover_dead_runs
from nba_assets.defs.operations.schedules import (
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
ALL_ASSETS = [*INGEST_AND_FEATURES, points_model, *PREDICT_GRADE_EXPORT, *REPORTS]

# The whole graph: what the UI's Materialize all over a range runs, and what `make replay` executes
# in-process (same selection, same range tags). One run per range, steps in dependency order.
daily_pipeline = define_asset_job(
    "daily_pipeline", selection=AssetSelection.assets(*ALL_ASSETS), partitions_def=daily_partitions,
    description="The whole graph for a date or a range of dates, in one run: the alias seed, raw "
    "sources, analytics, features, the points model the dates use, predictions, best bets, grading, "
    "JSON exports and the backtest report as of the last date.")
ingest_and_features = define_asset_job(
    "ingest_and_features", selection=AssetSelection.assets(*INGEST_AND_FEATURES),
    partitions_def=daily_partitions,
    description="The alias seed, raw sources, analytics and the feature store for a date or a range of dates.")
# Mondays' schedule: the week's model is fitted (or its fit record confirmed) before the pre-game
# run needs it; `retrain` so a Monday whose artifact exists still checks it against its rows.
RETRAIN = {"ops": {"points_model": {"config": {"retrain": True}}}}
weekly_points_model = define_asset_job(
    "weekly_points_model", selection=AssetSelection.assets(points_model), partitions_def=daily_partitions,
    config=RETRAIN,
    description="Fit the points model of the weeks of a date or a range of dates (kept when its fit "
    "record shows the same training rows and code).")
# Deliberate, never implied by a backfill: after history changed (a re-graded or re-ingested range),
# refit the later weeks' models and redo what their dates derive from them.
retrain_and_repredict = define_asset_job(
    "retrain_and_repredict", selection=AssetSelection.assets(points_model).downstream(),
    partitions_def=daily_partitions, config=RETRAIN,
    description="Refit the models of a range of dates (their training rows changed) and redo their "
    "predictions, best bets, grading, exports and reports. Launch it over the dates after a replayed "
    "range to carry a change of history forward; a backfill never does this by itself.")
reports = define_asset_job(
    "reports", selection=AssetSelection.assets(*REPORTS), partitions_def=daily_partitions,
    description="Backtest report as of a date and v1/systems/performance.json.")


# Late data heals through the results side of a date (automation.py); evaluated every minute.
heal_late_data = AutomationConditionSensorDefinition(
    "heal_late_data", target=AssetSelection.all(), default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Evaluates the assets' automation conditions: a late box score re-grades its date.")


def build_definitions(resources: dict) -> Definitions:
    return Definitions(
        assets=with_automation(ALL_ASSETS),
        asset_checks=[line_match_rate, features_before_game_date, market_features_before_game_date,
                      grading_coverage, *freshness_checks],
        jobs=[daily_pipeline, ingest_and_features, weekly_points_model, retrain_and_repredict, reports,
              morning_results, pregame_predictions, freshness_job],
        schedules=[morning_results_schedule, pregame_schedule, weekly_model_schedule_for(weekly_points_model)],
        sensors=[failure_alerts, late_box_scores, freshness_deadlines, heal_late_data, recover_dead_runs],
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

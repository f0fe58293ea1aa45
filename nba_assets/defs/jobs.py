"""The jobs of the code location, in one place (except the two schedule jobs, `morning_results` and
`pregame_predictions`, defined with their schedules in operations/schedules.py, and
`freshness_checks`, defined with its checks and sensor in operations/freshness.py).

Every asset is on one daily partitions definition with a single-run backfill policy: a backfill of
any range over the whole graph is one run.
Assets are reached through their modules (not imported by name) so the defs loader, which collects
every module-level Dagster object under nba_assets/defs, sees each asset once.
"""

from dagster import AssetSelection, define_asset_job

from nba_assets.defs.exports import exports
from nba_assets.defs.grading import backtest_plots, dbt_grading, market_backtest
from nba_assets.defs.ingest import raw
from nba_assets.defs.model import market_models
from nba_assets.defs.operations import health, schedules
from nba_assets.defs.predictions import best_bets, market_predictions
from nba_assets.defs.transform import dbt_models

# Tuples, not lists: the defs loader collects module-level lists of Dagster objects too.
INGEST_AND_FEATURES = (
    raw.raw_schedule,
    raw.raw_player_boxscores,
    raw.raw_prop_lines,
    dbt_models.dbt_analytics_and_features,
)
PREDICT_GRADE_EXPORT = (
    market_predictions.market_prop_predictions,
    best_bets.best_bets,
    dbt_grading.dbt_grading,
    exports.export_predictions,
    exports.export_best_bets,
    exports.export_results,
    health.daily_health_summary,
)
REPORTS = (market_backtest.market_backtest_report, exports.export_system_performance)
# The report's figures: drawn on request (`make run`, --figures, the UI), not in the daily run
# (nba_assets/defs/grading/backtest_plots.py says why).
FIGURES = (backtest_plots.market_backtest_plots,)
MODELS = (market_models.market_models,)
ALL_ASSETS = (*INGEST_AND_FEATURES, *MODELS, *PREDICT_GRADE_EXPORT, *REPORTS)

# The whole graph: what the UI's Materialize all over a range runs, and what `make replay` executes
# in-process (same selection, same range tags). One run per range, steps in dependency order.
daily_pipeline = define_asset_job(
    "daily_pipeline",
    selection=AssetSelection.assets(*ALL_ASSETS),
    description="The whole graph for a date or a range of dates, in one run: the alias seed, raw "
    "sources, analytics, features, the market models the dates use, predictions, best bets, grading, "
    "JSON exports and the backtest report as of the last date (its figures: report_figures).",
)
ingest_and_features = define_asset_job(
    "ingest_and_features",
    selection=AssetSelection.assets(*INGEST_AND_FEATURES),
    description="The alias seed, raw sources, analytics and the feature store for a date or a range of dates.",
)
# Mondays' schedule: the week's models are fitted (or their fit records confirmed) before the
# pre-game run needs them; `retrain` so a Monday whose artifacts exist still checks them.
RETRAIN = {"ops": {"market_models": {"config": {"retrain": True}}}}
weekly_model = define_asset_job(
    "weekly_model",
    selection=AssetSelection.assets(*MODELS),
    config=RETRAIN,
    description="Fit the market models of the weeks of a date or a range of "
    "dates (kept when a fit record shows the same training rows and code).",
)
# Deliberate, never implied by a backfill: after history changed (a re-graded or re-ingested range),
# refit the later weeks' models and redo what their dates derive from them.
retrain_and_repredict = define_asset_job(
    "retrain_and_repredict",
    selection=AssetSelection.assets(*MODELS).downstream(),
    config=RETRAIN,
    description="Refit the models of a range of dates (their training rows changed) and redo their "
    "predictions, best bets, grading, exports and reports. Launch it over the dates after a replayed "
    "range to carry a change of history forward; a backfill never does this by itself.",
)
reports = define_asset_job(
    "reports",
    selection=AssetSelection.assets(*REPORTS, *FIGURES),
    description="Backtest report as of a date, its figures and v1/systems/performance.json.",
)
report_figures = define_asset_job(
    "report_figures",
    selection=AssetSelection.assets(*FIGURES),
    description="The backtest report's figures as of a date (PNG: reliability per market, hit rate by "
    "edge, calibration), in v1/systems/plots/; what `make run` and `make replay REPLAY_ARGS=--figures` "
    "launch after the daily run.",
)

# The weekly schedule targets the job defined here (schedules.py builds it from the job).
weekly_model_schedule = schedules.weekly_model_schedule_for(weekly_model)

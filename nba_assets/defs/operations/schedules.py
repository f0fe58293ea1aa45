"""Schedules (US Eastern), the seed system's Cloud Scheduler jobs as Dagster schedules.

- 06:00 daily, morning results for YESTERDAY: final schedule and box scores, game summaries,
  grading, results export, the daily health summary.
- 10:30 Monday: the week's market models (trained on the weeks before it), as Monday's partition:
  after the morning run and the box scores' 10:00 deadline, so Sunday's games are among its rows,
  as they are in a replay (at 05:00 they were not: a deployment's models learned from a day fewer).
- 12:45 daily, pre-game for TODAY: schedule, prop lines, consensus lines, features, predictions,
  best bets and their exports (the seed healed missing predictions at 12:45 too).
A date outside the partitions (before the first season, after the archive's end) is skipped with
the reason shown on the tick.
"""

import datetime as dt

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from nba_assets.lib.automation import HEALED_ASSETS
from nba_assets.lib.clock import GAME_TZ
from nba_assets.lib.partitions import GAME_TIMEZONE, daily_partitions

# The morning: the day's final sources (the schedule with its staging view: its final scores make
# games gradable), then the results side of the date, the same assets the healing condition re-runs
# after a late box score (lib/automation.py: one list), and the summary.
MORNING_RESULTS = AssetSelection.assets(
    "player_aliases", "raw_schedule", "stg_nba_raw__schedule", "raw_player_boxscores"
) | (AssetSelection.assets(*sorted(HEALED_ASSETS)) | AssetSelection.assets("daily_health_summary"))
# Pre-game: everything the day's exports of predictions and best bets derive from, except the box
# scores and the results side (the games have not been played; the gate reads earlier dates' grades).
PREGAME = AssetSelection.assets("export_predictions", "export_best_bets").upstream() - AssetSelection.assets(
    "raw_player_boxscores", *sorted(HEALED_ASSETS)
)

morning_results = define_asset_job(
    "morning_results",
    selection=MORNING_RESULTS,
    description="Yesterday's results: box scores, summaries, grading, results export, health summary.",
)
pregame_predictions = define_asset_job(
    "pregame_predictions",
    selection=PREGAME,
    description="Today's lines, features, predictions, best bets and their exports.",
)


def _local_date(context: ScheduleEvaluationContext) -> dt.date:
    return context.scheduled_execution_time.astimezone(GAME_TZ).date()


def _request(partitions_def, key: str, label: str):
    if key not in partitions_def.get_partition_keys():
        return SkipReason(
            f"{label}: {key} is not a partition (outside the configured seasons; see NBA_PARTITIONS_END)."
        )
    return RunRequest(partition_key=key, run_key=f"{label}-{key}")


@schedule(
    job=morning_results,
    cron_schedule="0 6 * * *",
    execution_timezone=GAME_TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="06:00 ET: yesterday's box scores, grading and results.",
)
def morning_results_schedule(context: ScheduleEvaluationContext):
    yesterday = _local_date(context) - dt.timedelta(days=1)
    return _request(daily_partitions, yesterday.isoformat(), "morning")


@schedule(
    job=pregame_predictions,
    cron_schedule="45 12 * * *",
    execution_timezone=GAME_TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="12:45 ET: today's lines, features and predictions, before the first tip-off.",
)
def pregame_schedule(context: ScheduleEvaluationContext):
    return _request(daily_partitions, _local_date(context).isoformat(), "pregame")


def weekly_model_schedule_for(job):
    @schedule(
        job=job,
        cron_schedule="30 10 * * 1",
        execution_timezone=GAME_TIMEZONE,
        default_status=DefaultScheduleStatus.RUNNING,
        name="weekly_model_schedule",
        description="Monday 10:30 ET (after Sunday's box scores are due): train the week's market models "
        "on the weeks before it.",
    )
    def _weekly(context: ScheduleEvaluationContext):
        monday = _local_date(context)
        return _request(daily_partitions, monday.isoformat(), "weekly-model")

    return _weekly

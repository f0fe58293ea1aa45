"""The healing automation condition: a date's results heal themselves when late data arrives.

When `raw_player_boxscores` of a recent date is materialized again (a late game arrived: the
late_box_scores sensor re-requested it), the results side of that date follows in one tick: the
box scores' staging view -> player/team game summaries -> grading (market_prop_accuracy) -> grading
coverage -> results export. Gated on upstream
blocking checks (the circuit breaker): a date that trips it does not propagate.

Predictions, best bets and the feature store are NOT automated: they belong to the pre-game run
(defs/operations/schedules.py), and must never be remade after the games with the same date's
knowledge. `AutomationCondition.eager()` looks at the latest partition only; late data concerns
the previous days, hence `in_latest_time_window(lookback)`.

The condition is set on the assets themselves (`healing_condition`: the results export's
decorator, the dbt translator's `get_automation_condition`), not mapped over the resolved asset
specs when the code location loads (that resolved the whole graph at every load: +0.15 s).
The sensor that evaluates it is defs/operations/automation.py; the morning job's selection
(defs/operations/schedules.py) is built from HEALED_ASSETS.
"""

import datetime as dt
import os

from dagster import AssetSelection, AutomationCondition

HEAL_LOOKBACK = dt.timedelta(days=3)
# The simulated day (nba_assets/cli/staging_day.py) passes an hour of its clock in seconds: the
# sensors that heal and alert (late_box_scores hourly, heal_late_data and failure_alerts every minute)
# tick at most every NBA_SENSOR_SECONDS there. Read when the code location loads, like the partitions' end.
SENSOR_SECONDS_VARIABLE = "NBA_SENSOR_SECONDS"


def sensor_interval(default_seconds: int) -> int:
    """A sensor's minimum interval: `default_seconds`, or NBA_SENSOR_SECONDS when that is shorter."""
    configured = os.environ.get(SENSOR_SECONDS_VARIABLE)
    return min(default_seconds, int(configured)) if configured else default_seconds


# The results side of a date: what a late box score changes.
HEALED_ASSETS = frozenset(
    {
        # A view: re-creating it costs nothing, and the summaries downstream wait for it.
        "stg_nba_raw__player_boxscores",
        "player_game_summary",
        "team_game_summary",
        "market_prop_accuracy",
        "grading_coverage_daily",
        "export_results",
    }
)


# What a heal starts from: a date's box scores loaded again (the late_box_scores sensor), carried
# through the results side. Not the pre-game assets (the schedule, the alias seed, predictions): the
# 12:45 run updates them for a date whose games have not been played, and a heal after it graded
# nothing (every row PENDING) in a run of its own each day.
HEAL_TRIGGERS = frozenset({"raw_player_boxscores", *HEALED_ASSETS})


def heal_late_data() -> AutomationCondition:
    return (
        AutomationCondition.in_latest_time_window(HEAL_LOOKBACK)
        & AutomationCondition.any_deps_updated()
        .allow(AssetSelection.assets(*sorted(HEAL_TRIGGERS)))
        .since_last_handled()
        & ~AutomationCondition.any_deps_missing()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
        & AutomationCondition.all_deps_blocking_checks_passed()
    ).with_label("heal_late_data")


def healing_condition(asset_name: str) -> AutomationCondition | None:
    """The asset's automation condition: healing on the results side, none elsewhere."""
    return heal_late_data() if asset_name in HEALED_ASSETS else None

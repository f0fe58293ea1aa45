"""Declarative automation: a date's results heal themselves when late data arrives.

When `raw_player_boxscores` of a recent date is materialized again (a late game arrived: the
late_box_scores sensor re-requested it), the results side of that date follows in one tick:
player/team game summaries -> grading -> grading coverage -> results export. Gated on upstream
blocking checks (the circuit breaker): a date that trips it does not propagate.

Predictions, best bets and the feature store are NOT automated: they belong to the pre-game run
(schedules.py), and must never be remade after the games with the same date's knowledge.
`AutomationCondition.eager()` looks at the latest partition only; late data concerns the previous
days, hence `in_latest_time_window(lookback)`.
"""

import datetime as dt

from dagster import (
    AssetKey,
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
)

HEAL_LOOKBACK = dt.timedelta(days=3)

# The results side of a date: what a late box score changes.
HEALED_ASSETS = {AssetKey(name) for name in (
    "player_game_summary", "team_game_summary", "prediction_accuracy", "market_prop_accuracy",
    "grading_coverage_daily", "export_results",
)}


def heal_late_data() -> AutomationCondition:
    return (
        AutomationCondition.in_latest_time_window(HEAL_LOOKBACK)
        & AutomationCondition.any_deps_updated().since_last_handled()
        & ~AutomationCondition.any_deps_missing()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
        & AutomationCondition.all_deps_blocking_checks_passed()
    ).with_label("heal_late_data")


def with_condition(spec: AssetSpec) -> AssetSpec:
    """The spec, carrying the healing condition if it is on the results side (applied to the whole
    code location by nba_assets/definitions.py with `Definitions.map_resolved_asset_specs`)."""
    if spec.key in HEALED_ASSETS:
        return spec.replace_attributes(automation_condition=heal_late_data())
    return spec


# Evaluates the conditions above every minute.
heal_late_data_sensor = AutomationConditionSensorDefinition(
    "heal_late_data", target=AssetSelection.all(), default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Evaluates the assets' automation conditions: a late box score re-grades its date.")

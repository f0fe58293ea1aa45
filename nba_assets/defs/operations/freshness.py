"""Freshness deadlines: yesterday's box scores by 10:00 ET, today's predictions by 13:00 ET.

Each deadline is an asset check on the asset, about ONE partition: the date the deadline is for.
A backfill of old dates therefore never makes today look fresh (an asset-level "last updated"
policy would). The `freshness_deadlines` sensor looks at the deadlines on the operations clock
(nba_assets/lib/clock.py) and, when a result changes (late, or arrived after being late), launches a
run of the checks, which records the evaluation; a late asset is a failed WARN check, which the
alert sensor sends on. The checks can also be run by hand in the UI.
"""

import datetime as dt
import json
from dataclasses import dataclass

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset_check,
    define_asset_job,
    sensor,
)

from nba_assets.lib import clock
from nba_assets.lib.partitions import daily_partitions


@dataclass(frozen=True)
class Deadline:
    asset: str
    check_name: str
    hour_et: int
    days_before: int  # the partition checked: the deadline's date minus this many days
    description: str

    def due_partition(self, moment: dt.datetime) -> tuple[dt.date, dt.datetime]:
        """(partition date, deadline) of the latest deadline at or before `moment`."""
        local = moment.astimezone(clock.GAME_TZ)
        deadline = local.replace(hour=self.hour_et, minute=0, second=0, microsecond=0)
        if deadline > local:
            deadline -= dt.timedelta(days=1)
        return deadline.date() - dt.timedelta(days=self.days_before), deadline


DEADLINES = (
    Deadline(
        "raw_player_boxscores", "box_scores_by_10am_et", 10, 1, "Yesterday's box scores are loaded by 10:00 US Eastern."
    ),
    Deadline(
        "market_prop_predictions",
        "predictions_by_1pm_et",
        13,
        0,
        "Today's predictions exist by 13:00 US Eastern, before the first tip-off.",
    ),
)


def evaluate_deadline(instance, deadline: Deadline, moment: dt.datetime) -> AssetCheckEvaluation | None:
    """The check's result at `moment`; None when the due date is not a partition (off-range)."""
    day, due = deadline.due_partition(moment)
    partition = day.isoformat()
    if partition not in daily_partitions.get_partition_keys():
        return None
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(deadline.asset), asset_partitions=[partition]), limit=1
    ).records
    passed = bool(records)
    when = (
        dt.datetime.fromtimestamp(records[0].timestamp, clock.GAME_TZ).strftime("%Y-%m-%d %H:%M ET")
        if records
        else None
    )
    return AssetCheckEvaluation(
        asset_key=AssetKey(deadline.asset),
        check_name=deadline.check_name,
        passed=passed,
        severity=AssetCheckSeverity.WARN,
        partition=partition,
        description=(
            f"{deadline.asset} for {partition} materialized {when}."
            if passed
            else f"LATE: {deadline.asset} for {partition} not materialized by {due:%Y-%m-%d %H:%M} ET."
        ),
        metadata={
            "partition": partition,
            "deadline": due.isoformat(),
            "evaluated_at": moment.isoformat(),
            "last_materialized": when or "never",
        },
    )


def _as_result(evaluation: AssetCheckEvaluation | None, deadline: Deadline) -> AssetCheckResult:
    if evaluation is None:
        return AssetCheckResult(
            asset_key=deadline.asset,
            check_name=deadline.check_name,
            passed=True,
            description="The due date is outside the partitions: nothing due.",
        )
    return AssetCheckResult(
        asset_key=evaluation.asset_key,
        check_name=evaluation.check_name,
        passed=evaluation.passed,
        severity=evaluation.severity,
        description=evaluation.description,
        metadata=evaluation.metadata,
    )


def _deadline_check(deadline: Deadline):
    @asset_check(asset=deadline.asset, name=deadline.check_name, description=deadline.description)
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        return _as_result(evaluate_deadline(context.instance, deadline, clock.now()), deadline)

    return _check


freshness_checks = [_deadline_check(d) for d in DEADLINES]

freshness_job = define_asset_job(
    "freshness_checks",
    selection=AssetSelection.checks(*freshness_checks),
    description="Evaluates the freshness deadlines (launched by the freshness_deadlines sensor).",
)


@sensor(
    name="freshness_deadlines",
    job=freshness_job,
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description="Every 5 minutes, on the operations clock: whether yesterday's box scores "
    "(10:00 ET) and today's predictions (13:00 ET) exist for their due date. When that changes "
    "(late, or arrived), runs the freshness checks so the result is recorded; a late result is a "
    "WARN failure that the alert sensor sends.",
)
def freshness_deadlines(context: SensorEvaluationContext):
    moment = clock.now()
    state = json.loads(context.cursor) if context.cursor else {}
    changed = []
    for deadline in DEADLINES:
        evaluation = evaluate_deadline(context.instance, deadline, moment)
        if evaluation is None:
            continue
        seen = [evaluation.partition, evaluation.passed]
        if state.get(deadline.check_name) != seen:
            changed.append(evaluation)
            state[deadline.check_name] = seen
    if not changed:
        return SkipReason(f"No freshness change at {moment:%Y-%m-%d %H:%M} ET.")
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key="freshness-"
                + "-".join(f"{e.check_name}-{e.partition}-{'ok' if e.passed else 'late'}" for e in changed),
                asset_check_keys=[AssetCheckKey(e.asset_key, e.check_name) for e in changed],
                tags={"nba/freshness_clock": moment.isoformat()},
            )
        ],
        cursor=json.dumps(state),
    )

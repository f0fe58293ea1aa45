"""The alert sensor: every failed asset check (WARN and ERROR) and every failed run, once.

A failing non-blocking check leaves its run green, so a run-failure sensor alone would miss it:
this sensor reads the asset checks' evaluation history and the failed runs after its cursor (per
check the last execution id, for runs the last update time and the ids alerted at it), so each
failure is sent exactly once, to Slack when a bot token is set (resources/alerts.py) and to the
Dagster log otherwise. Both reads work on every instance storage: the local instance's SQLite event
log is sharded by run, where reading events across runs by a storage-id cursor is refused.
"""

import json

from dagster import (
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from nba_assets.lib.automation import sensor_interval
from resources.alerts import AlertChannel

# Records read per check and runs per tick: more than a season backfill's partitions of one check.
BATCH = 1000
DESCRIPTION_CHARS = 700


def check_message(evaluation, run_id: str) -> str | None:
    if evaluation.passed:
        return None
    partition = f" [{evaluation.partition}]" if getattr(evaluation, "partition", None) else ""
    description = (evaluation.description or "no description")[:DESCRIPTION_CHARS]
    return (
        f":warning: *{evaluation.severity.value}* check `{evaluation.check_name}` failed on "
        f"`{evaluation.asset_key.to_user_string()}`{partition} (run {run_id[:8] or 'sensor'}): "
        f"{description}"
    )


def run_failure_message(instance, run) -> str:
    failures = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
    reason = (failures[-1].dagster_event.message or failures[-1].user_message or "") if failures else ""
    return f":x: *Run failed*: job `{run.job_name}` run {run.run_id[:8]}: {reason[:DESCRIPTION_CHARS]}"


def _check_failures(context: SensorEvaluationContext, cursor: dict) -> list[str]:
    """Failed evaluations of every check of the code location after its last alerted execution."""
    seen = cursor.setdefault("checks", {})
    if not isinstance(seen, dict):  # a cursor of the earlier shape (one storage id)
        seen = cursor["checks"] = {}
    messages = []
    storage = context.instance.event_log_storage
    for check_key in sorted(context.repository_def.asset_graph.asset_check_keys, key=str):
        name = check_key.to_user_string()
        after = seen.get(name)
        history = storage.get_asset_check_execution_history(check_key, limit=BATCH)  # newest first
        new = [record for record in history if after is None or record.id > after]
        for record in sorted(new, key=lambda r: r.id):
            evaluation = record.event and record.event.dagster_event and record.event.dagster_event.event_specific_data
            if evaluation is None or not hasattr(evaluation, "passed"):
                continue  # planned, not evaluated yet: seen again next tick
            message = check_message(evaluation, record.run_id)
            if message:
                messages.append(message)
            seen[name] = record.id
    return messages


def _run_failures(context: SensorEvaluationContext, cursor: dict) -> list[str]:
    """Runs that failed since the last alerted one (by update time; ids at that time remembered)."""
    import datetime as dt

    after = cursor.get("runs_updated")
    alerted = set(cursor.get("runs_at_last", []))
    updated_after = dt.datetime.fromtimestamp(after - 1, dt.UTC) if after else None
    records = context.instance.get_run_records(
        filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE], updated_after=updated_after),
        limit=BATCH,
        order_by="update_timestamp",
        ascending=True,
    )
    messages = []
    for record in records:
        if record.dagster_run.run_id in alerted:
            continue
        messages.append(run_failure_message(context.instance, record.dagster_run))
        stamp = record.update_timestamp.timestamp()
        if after is None or stamp > after:
            after, alerted = stamp, set()
        alerted.add(record.dagster_run.run_id)
    cursor["runs_updated"], cursor["runs_at_last"] = after, sorted(alerted)
    return messages


@sensor(
    name="failure_alerts",
    minimum_interval_seconds=sensor_interval(60),
    default_status=DefaultSensorStatus.RUNNING,
    description="Sends every failed asset check (WARN and ERROR, blocking or not) and every failed "
    "run to Slack (SLACK_BOT_TOKEN set) or to the Dagster log, each exactly once.",
)
def failure_alerts(context: SensorEvaluationContext, alerts: AlertChannel):
    cursor = json.loads(context.cursor) if context.cursor else {}
    sent = 0
    for message in _check_failures(context, cursor) + _run_failures(context, cursor):
        alerts.send(message, context.log)
        sent += 1
    # Advanced once the messages are out: a send that raises leaves them for the next tick.
    context.update_cursor(json.dumps(cursor))
    if not sent:
        return SkipReason("No new failed checks or runs.")
    context.log.info(f"Sent {sent} alerts to {alerts.destination}.")
    return None

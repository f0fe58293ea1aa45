"""The alert sensor: every failed asset check (WARN and ERROR) and every failed run, once.

A failing non-blocking check leaves its run green, so a run-failure sensor alone would miss it:
this sensor reads the event log for check evaluations and run failures after its cursor (one
storage id per kind), so each failure is sent exactly once, to Slack when a bot token is set
(resources/alerts.py) and to the Dagster log otherwise.
"""

import json

from dagster import (
    DagsterEventType,
    DefaultSensorStatus,
    EventRecordsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from resources.alerts import AlertChannel

BATCH = 200
DESCRIPTION_CHARS = 700


def _records(instance, event_type: DagsterEventType, after: int | None) -> list:
    return list(instance.event_log_storage.get_event_records(
        EventRecordsFilter(event_type=event_type, after_cursor=after), limit=BATCH, ascending=True))


def check_message(record) -> str | None:
    evaluation = record.event_log_entry.dagster_event.event_specific_data
    if evaluation.passed:
        return None
    partition = f" [{evaluation.partition}]" if getattr(evaluation, "partition", None) else ""
    description = (evaluation.description or "no description")[:DESCRIPTION_CHARS]
    return (f":warning: *{evaluation.severity.value}* check `{evaluation.check_name}` failed on "
            f"`{evaluation.asset_key.to_user_string()}`{partition} (run {record.run_id[:8] or 'sensor'}): "
            f"{description}")


def run_failure_message(record) -> str:
    entry = record.event_log_entry
    job = entry.job_name or entry.dagster_event.job_name
    reason = (entry.dagster_event.message or entry.user_message or "")[:DESCRIPTION_CHARS]
    return f":x: *Run failed*: job `{job}` run {entry.run_id[:8]}: {reason}"


@sensor(
    name="failure_alerts",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Sends every failed asset check (WARN and ERROR, blocking or not) and every failed "
    "run to Slack (SLACK_BOT_TOKEN set) or to the Dagster log, each exactly once.",
)
def failure_alerts(context: SensorEvaluationContext, alerts: AlertChannel):
    cursor = json.loads(context.cursor) if context.cursor else {}
    sent = 0
    for kind, event_type, render in (
        ("checks", DagsterEventType.ASSET_CHECK_EVALUATION, check_message),
        ("runs", DagsterEventType.RUN_FAILURE, run_failure_message),
    ):
        for record in _records(context.instance, event_type, cursor.get(kind)):
            message = render(record)
            if message:
                alerts.send(message, context.log)
                sent += 1
            # Advance per record: a send that raises leaves the rest for the next tick, not lost.
            cursor[kind] = record.storage_id
            context.update_cursor(json.dumps(cursor))
    if not sent:
        return SkipReason("No new failed checks or runs.")
    context.log.info(f"Sent {sent} alerts to {alerts.destination}.")
    return None

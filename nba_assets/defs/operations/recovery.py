"""Runs that died without a word, found and closed; who holds a pool slot another run waits for.

A run whose process is killed or frozen keeps its status (STARTED) and its `warehouse` pool slot
forever: every later run would wait for that slot in silence. The process executing each run records
itself and a heartbeat in the instance (resources/instance/run_owner.py); here a run whose owner is
gone (same host: its pid, at once) or silent past its heartbeat timeout (any host) is fenced, marked
FAILURE (CANCELED when it was being canceled) with a message naming its host and last heartbeat,
and its slots are freed; a frozen owner on this host is killed. Dagster's run retries then start
the retry, a new run with its own owner. The failure goes through the `failure_alerts` sensor like
any failed run: alerted once. Called by the replay CLI before it starts a run and while it waits
for a slot, by `make recover`, and by the `recover_dead_runs` sensor in the daemon (every
NBA_RECOVERY_INTERVAL_SECONDS, 30 s by default), whatever host each runs on.

Runs without an owner record (killed before they opened the warehouse, or still starting) are left
to Dagster's run monitoring (dagster.yaml: start timeout, max runtime, slots freed after a run
ends) or to `make recover RUN=<id>`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass

from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from resources.instance.run_owner import fence, owners_of

# Statuses of a run that may hold or wait for a slot and has a process behind it (a QUEUED run
# waits in the daemon's queue, with no process yet).
IN_FLIGHT = [
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def describe_run(run: DagsterRun) -> str:
    """`<id> (<job> <first>..<last>)`: what a user recognizes a run by."""
    first, last = (run.tags.get(tag) for tag in RANGE_TAGS)
    window = (
        f" {first}..{last}"
        if first
        else (f" {run.tags['dagster/partition']}" if "dagster/partition" in run.tags else "")
    )
    return f"{run.run_id} ({run.job_name}{window})"


def close_run(instance: DagsterInstance, run: DagsterRun, message: str) -> None:
    """Ends a run that no process will end, and frees its pool slots."""
    if run.status == DagsterRunStatus.CANCELING:
        instance.report_run_canceled(run, message)
    else:
        instance.report_run_failed(run, message)
    instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def close_dead_runs(instance: DagsterInstance, closer: str) -> list[str]:
    """Closes every in-flight run whose owner is gone or silent past its heartbeat timeout, on
    any host; one line per run."""
    closed = []
    runs = instance.get_runs(filters=RunsFilter(statuses=IN_FLIGHT))
    owners = owners_of(instance, [run.run_id for run in runs])
    now = time.time()
    for run in runs:
        owner = owners.get(run.run_id)
        why = owner.dead_because(now) if owner else None
        if why is None:
            continue
        # Fenced first: a worker that wakes up after this finds its run closed and exits.
        fence(instance, run.run_id, closer)
        killed = "; that process was killed" if owner.kill_if_frozen_here() else ""
        held = _slots_of(instance, run.run_id)
        retries = " Dagster's run retries rerun it where enabled; else rerun the same dates."
        message = (
            f"Run {describe_run(run)} was executed by {owner.describe(now)}: {why}{killed}. "
            f"Closed by {closer}; {held} pool slot(s) freed.{retries}"
        )
        # Read again just before closing: the code server fails a run whose worker it saw die
        # (within a second of a kill), and two failure events would be two closes of one run.
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.status not in IN_FLIGHT:
            continue
        close_run(instance, current, message)
        closed.append(message)
    return closed


def free_slots_of_ended_runs(instance: DagsterInstance) -> list[str]:
    """Frees slots still held by runs that ended (e.g. force-terminated in the UI); Dagster's run
    monitoring does it too (`free_slots_after_run_end_seconds`), but only where the daemon runs."""
    freed = []
    storage = instance.event_log_storage
    for pool in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(pool)
        for run_id in {slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps}:
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                freed.append(f"pool {pool}: slot of ended run {run_id} freed")
    return freed


def _slots_of(instance: DagsterInstance, run_id: str) -> int:
    storage = instance.event_log_storage
    return sum(
        1
        for pool in storage.get_concurrency_keys()
        for slot in storage.get_concurrency_info(pool).claimed_slots
        if slot.run_id == run_id
    )


@dataclass(frozen=True)
class Wait:
    """A step of a run waiting for a slot of `pool`, and the runs holding that pool's slots."""

    pool: str
    step_key: str
    since: dt.datetime
    holders: tuple[str, ...]  # run ids

    def describe(self, instance: DagsterInstance) -> str:
        waited = (dt.datetime.now(dt.UTC) - self.since).total_seconds()
        lines = [f"step {self.step_key} has waited {waited:.0f}s for a slot of pool '{self.pool}', held by:"]
        for run_id in self.holders:
            lines.append("  " + describe_holder(instance, run_id))
        return "\n".join(lines)


def describe_holder(instance: DagsterInstance, run_id: str) -> str:
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return f"run {run_id} (no longer in the instance): `make recover RUN={run_id}` frees its slot"
    run = record.dagster_run
    since = (
        dt.datetime.fromtimestamp(record.start_time, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if record.start_time
        else "not started"
    )
    owner = owners_of(instance, [run_id]).get(run_id)
    if owner is None:
        how = (
            f"no owner process recorded: if nothing runs it any more, `make recover RUN={run_id}` "
            "(or terminate it in the UI) frees the slot"
        )
    elif owner.dead_because() is not None:
        how = f"{owner.dead_because()}: it is closed automatically (or `make recover RUN=...`)"
    elif owner.process_alive():
        how = "it is running: wait for it, or terminate it in the UI (Runs) or with Ctrl-C where it runs"
    else:
        how = f"run by a process on {owner.host} that keeps its heartbeat: check it there, or terminate it in the UI"
    owned = f"by {owner.describe()}" if owner else "owner unknown"
    return f"run {describe_run(run)}, {run.status.value} since {since}, {owned}; {how}"


def waits_of(instance: DagsterInstance, run_id: str) -> list[Wait]:
    """The steps of `run_id` waiting (not yet assigned) for a pool slot, with who holds each pool."""
    storage = instance.event_log_storage
    waits = []
    for pool in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(pool)
        for step in info.pending_steps:
            if step.run_id == run_id and step.assigned_timestamp is None:
                holders = tuple(sorted({slot.run_id for slot in info.claimed_slots if slot.run_id != run_id}))
                waits.append(Wait(pool, step.step_key, step.enqueued_timestamp, holders))
    return waits


WAIT_NOTICE_SECONDS = 5


# How often the daemon looks for dead runs; the staging layout's fault tests check more often.
RECOVERY_INTERVAL_SECONDS = int(os.environ.get("NBA_RECOVERY_INTERVAL_SECONDS", "30"))


@sensor(
    name="recover_dead_runs",
    minimum_interval_seconds=RECOVERY_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Closes runs whose process died (killed, crashed, machine stopped) or stopped "
    "heartbeating (frozen, or on a host that is gone) and frees their pool slots, so no later run waits for them; notes in a waiting run's log which run holds the "
    "slot it waits for. The closed runs are alerted once by failure_alerts.",
)
def recover_dead_runs(context: SensorEvaluationContext):
    instance = context.instance
    done = close_dead_runs(instance, "the recover_dead_runs sensor") + free_slots_of_ended_runs(instance)
    for line in done:
        context.log.warning(line)
    # Each waiting run is told once per set of holders (cursor: run id -> holders last told).
    told = json.loads(context.cursor) if context.cursor else {}
    waiting = [run for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED]))]
    now = dt.datetime.now(dt.UTC)
    current = {}
    for run in waiting:
        for wait in waits_of(instance, run.run_id):
            if (now - wait.since).total_seconds() < WAIT_NOTICE_SECONDS or not wait.holders:
                continue
            current[run.run_id] = list(wait.holders)
            if told.get(run.run_id) != list(wait.holders):
                instance.report_engine_event(wait.describe(instance), run)
    context.update_cursor(json.dumps(current))
    if not done:
        return SkipReason(f"No dead runs; {len(current)} run(s) waiting for a pool slot.")
    return None

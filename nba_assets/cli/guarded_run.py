"""One in-process run (the replay CLI's) that can be interrupted at any moment without wedging.

`execute_in_process` alone is not enough for a command a person runs in a terminal:
- Ctrl-C (SIGINT) is captured by Dagster and acted on between steps or raised inside a step, where
  a library may swallow it (dbt's in-process runner does): the run went on to the end. SIGTERM's
  default action killed the process on the spot, leaving the run STARTED with its pool slot held.
- A run waiting for a pool slot waits in silence.
- A run terminated from outside (the UI's Terminate, the daemon's max runtime) is only marked so in
  the instance; nothing stops the process executing it.

So while the run executes, a watcher thread:
- learns of SIGINT/SIGTERM through `signal.set_wakeup_fd` (whatever Python handler Dagster has
  installed at that moment), marks the run CANCELING so Dagster ends it CANCELED, re-delivers the
  interrupt each second until the run has ended, and after `FORCE_AFTER_SECONDS` (or a second
  signal) closes the run itself, frees its slots and exits: a kill then, with the same guarantees
  as any kill (every write is one transaction or an atomic file);
- notices the run being canceled or failed from outside and interrupts it the same way;
- says, after a few seconds, which run holds the pool slot a step waits for, and closes that run if
  its process is gone (nba_assets/defs/operations/recovery.py).
The run has its owner record and heartbeat (host, PID, process start, last beat) from the start,
so another process can tell it dead if this one is killed with SIGKILL or frozen.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from dagster import DagsterInstance, DagsterRunStatus

from nba_assets.defs.operations.recovery import close_dead_runs, close_run, describe_run, waits_of
from resources.instance.run_owner import owner_tags, start_heartbeat, stop_heartbeat

FORCE_AFTER_SECONDS = 10.0
POLL_SECONDS = 0.5
WAIT_NOTICE_SECONDS = 3.0
WAIT_REPEAT_SECONDS = 30.0
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
ENDED_GRACE_SECONDS = 3.0
ENDED_FROM_OUTSIDE = {DagsterRunStatus.CANCELING, DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE}


class Interrupted(Exception):
    """The run was stopped by a signal or from outside; `exit_code` is the shell's convention."""

    def __init__(self, reason: str, run_id: str, status: str, exit_code: int):
        super().__init__(reason)
        self.reason, self.run_id, self.status, self.exit_code = reason, run_id, status, exit_code


def _terminate_on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


@contextmanager
def signal_pipe() -> Iterator[int | None]:
    """A file descriptor that receives the number of every signal this process gets (read end),
    and SIGTERM handled like Ctrl-C. Only the main thread may install them; elsewhere: None."""
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    previous_term = signal.signal(signal.SIGTERM, _terminate_on_sigterm)
    previous_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    try:
        yield read
    finally:
        signal.set_wakeup_fd(previous_fd)
        signal.signal(signal.SIGTERM, previous_term)
        os.close(read)
        os.close(write)


class Watcher(threading.Thread):
    def __init__(
        self,
        instance: DagsterInstance,
        run_id: str,
        signals: int | None,
        say: Callable[[str], None],
        farewell: str = "",
    ):
        super().__init__(daemon=True, name="run-watcher")
        self.farewell = farewell
        self.instance, self.run_id, self.signals, self.say = instance, run_id, signals, say
        self.finished = threading.Event()
        self.stopping_since: float | None = None
        self.reason: str | None = None
        self.exit_code = 1
        self.told_waits: dict[tuple, float] = {}
        self.sent_to_self = 0
        self.ended_seen_at: float | None = None
        self.lock = threading.Lock()
        self.in_run = True

    def run(self):
        while not self.finished.is_set():
            for signum in self._signals_received():
                if self.stopping_since is None:
                    self._begin_stopping(f"interrupted by {signal.Signals(signum).name}", EXIT_CODES.get(signum, 1))
                else:
                    self._force("interrupted again")
            if self.stopping_since is None:
                self._check_status()
                self._check_waits()
            elif time.monotonic() - self.stopping_since > FORCE_AFTER_SECONDS:
                self._force(f"the run did not stop within {FORCE_AFTER_SECONDS:.0f}s")
            elif self._only_waiting():
                self._force("it was only waiting for a pool slot")
            elif not self.finished.is_set():
                # Dagster acts on an interrupt at the next step boundary, or inside a step unless
                # the library running there swallows it: deliver it again until the run ends.
                self._interrupt_self()
            self.finished.wait(POLL_SECONDS if self.stopping_since is None else 1.0)

    def _interrupt_self(self):
        # Only while the main thread is inside the run: after it, an interrupt would land in
        # whatever the CLI does next.
        with self.lock:
            if self.in_run:
                self.sent_to_self += 1
                os.kill(os.getpid(), signal.SIGINT)

    def _signals_received(self) -> list[int]:
        """Signals from outside since the last call (the ones this thread sent are skipped)."""
        if self.signals is None:
            return []
        try:
            received = list(os.read(self.signals, 64))
        except BlockingIOError:
            return []
        outside = []
        for signum in received:
            if signum == signal.SIGINT and self.sent_to_self:
                self.sent_to_self -= 1
            else:
                outside.append(signum)
        return outside

    def _begin_stopping(self, reason: str, exit_code: int):
        self.reason, self.exit_code, self.stopping_since = reason, exit_code, time.monotonic()
        run = self.instance.get_run_by_id(self.run_id)
        self.say(f"{reason}: stopping run {describe_run(run) if run else self.run_id}")
        if run is not None and not run.is_finished:
            # A run canceling when Dagster sees the interrupt ends CANCELED (not an unexpected failure).
            self.instance.report_run_canceling(run, message=f"The replay CLI was {reason}.")

    def _check_status(self):
        run = self.instance.get_run_by_id(self.run_id)
        if run is None or run.status not in ENDED_FROM_OUTSIDE:
            self.ended_seen_at = None
            return
        # The run's own end (a failed step) is written just before execute_in_process returns:
        # only a run still executing a while after it was marked so was ended from outside.
        if run.status != DagsterRunStatus.CANCELING:
            self.ended_seen_at = self.ended_seen_at or time.monotonic()
            if time.monotonic() - self.ended_seen_at < ENDED_GRACE_SECONDS:
                return
        self.say(
            f"run {self.run_id} was marked {run.status.value} from outside (UI, run "
            "monitoring or another process): stopping it here too"
        )
        self.reason, self.exit_code, self.stopping_since = f"{run.status.value} from outside", 1, time.monotonic()
        self._interrupt_self()

    def _only_waiting(self) -> bool:
        """No step of the run holds a slot and one waits for it: nothing is being written, so
        closing the run now loses nothing (Dagster checks for interrupts only between steps)."""
        storage = self.instance.event_log_storage
        holding = any(
            slot.run_id == self.run_id
            for pool in storage.get_concurrency_keys()
            for slot in storage.get_concurrency_info(pool).claimed_slots
        )
        return not holding and bool(waits_of(self.instance, self.run_id))

    def _check_waits(self):
        now = time.time()
        waits = waits_of(self.instance, self.run_id)
        for wait in waits:
            waited = now - wait.since.timestamp()
            key = (wait.pool, wait.holders)  # one notice per pool and holders, not per step
            if not wait.holders:
                continue  # the slot is free: Dagster assigns it at its next check
            if waited < WAIT_NOTICE_SECONDS or now - self.told_waits.get(key, 0) < WAIT_REPEAT_SECONDS:
                continue
            self.told_waits[key] = now
            self.say(wait.describe(self.instance))
        if any(wait.holders for wait in waits):
            # A holder may die while we wait (another replay killed meanwhile): close it at once.
            for line in close_dead_runs(self.instance, f"the replay CLI (process {os.getpid()})"):
                self.say(f"recovered: {line}")

    def _force(self, why: str):
        run = self.instance.get_run_by_id(self.run_id)
        if run is not None and not run.is_finished:
            close_run(
                self.instance,
                run,
                f"The replay CLI was {self.reason}; {why}: closed without waiting for the step to end.",
            )
        else:
            self.instance.event_log_storage.free_concurrency_slots_for_run(self.run_id)
        status = self.instance.get_run_by_id(self.run_id).status.value if run else "unknown"
        self.say(f"run {self.run_id} {status} ({why}); its pool slots are freed. {self.farewell}")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(self.exit_code)


def execute_guarded(
    instance: DagsterInstance,
    job,
    *,
    run_id: str,
    tags: dict,
    say: Callable[[str], None],
    farewell: str = "",
    **execute_kwargs,
):
    """`job.execute_in_process` with the run's owner tagged, interrupts turned into a CANCELED run
    with its slots freed (raising `Interrupted`), and pool waits explained through `say`.
    `farewell`: said last when the process has to exit from the watcher (how to resume)."""
    # The owner record and heartbeat exist before the run does (the warehouse's setup, in this
    # process, finds them running); the tags show the owner in the UI.
    heartbeat = start_heartbeat(instance, run_id, tag_run=False)
    with signal_pipe() as signals:
        watcher = Watcher(instance, run_id, signals, say, farewell)
        watcher.start()
        result = None
        try:
            try:
                result = job.execute_in_process(
                    instance=instance,
                    run_id=run_id,
                    raise_on_error=False,
                    tags={**tags, **owner_tags(heartbeat.owner)},
                    **execute_kwargs,
                )
            finally:
                with watcher.lock:
                    watcher.in_run = False
        except KeyboardInterrupt:  # outside Dagster's handlers: before the run began, as it ended
            if watcher.reason is None:
                watcher.reason, watcher.exit_code = "interrupted by SIGINT", 130
        finally:
            stop_heartbeat(run_id)
            watcher.finished.set()
            watcher.join()
            # A signal the watcher had no time to read (the run ended within its poll) still counts.
            for signum in watcher._signals_received():
                if watcher.reason is None:
                    watcher.reason = f"interrupted by {signal.Signals(signum).name}"
                    watcher.exit_code = EXIT_CODES.get(signum, 1)
    if watcher.reason is None:
        return result
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        close_run(instance, run, f"The replay CLI was {watcher.reason}.")
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    run = instance.get_run_by_id(run_id)
    raise Interrupted(watcher.reason, run_id, run.status.value if run else "never started", watcher.exit_code)

"""Who executes a run, and whether it still does: an owner record per run, kept fresh by a heartbeat.

A run whose process is killed (SIGKILL, out-of-memory, a node lost) or frozen stays STARTED in the
instance and keeps its `warehouse` pool slot. Dagster's run monitoring finds dead run workers only
through a run launcher that can check them (not the default launcher, nor `execute_in_process`), so
the process that executes a run records itself in the instance, keyed by the run's id:

    nba/run_owner/<run id> -> {"host", "pid", "started", "beat", "every", "timeout"}

and a background thread (the heartbeat) rewrites `beat` every `every` seconds until the run ends.
Any process reading the same instance, on any host, can then tell a live run from a dead one: on the
owner's own host at once (its pid is gone, or reused: `started` is the process's start time), and
from anywhere once `timeout` seconds pass without a beat (killed, frozen, or cut off from the
database). The timeout travels with the record, so every checker judges a run by its worker's own
setting (NBA_RUN_HEARTBEAT_SECONDS, NBA_RUN_HEARTBEAT_TIMEOUT_SECONDS; 5 s and 60 s by default).

Why the instance's key-value store (`RunStorage.get_cursor_values`/`set_cursor_values`: the table
Dagster's daemons keep their cursors in, on SQLite and on Postgres) and not run tags:
- one row upserted per beat; `add_run_tags` rewrites the run's serialized body (read, merge,
  write), so a write every few seconds would race with Dagster's own tag writes on the same run
  (the retry daemon's `dagster/will_retry`, ...) and could drop them from the body;
- a record keyed by the run id cannot be inherited. Dagster's run retries copy the parent's tags
  (`use_parent_run_tags=True`): an owner kept in tags made a retry look like its dead parent, and
  the retry was closed while alive. A retry is a new run id, so it has its own record or none.
The owner is also written to the run's tags once (`nba/owner_host`, `nba/owner_pid`), so the UI shows
where a run executes: display only, never read for liveness, and overwritten by a retry's worker.

A closed run is fenced (`nba/run_closed/<run id>`): a worker that finds its run fenced at its next
beat (it was frozen past the timeout, or cut off from the database, and came back) exits at once
instead of writing beside the retry. On its own host the closer also kills a frozen owner.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

HOST_TAG = "nba/owner_host"
PID_TAG = "nba/owner_pid"
STARTED_TAG = "nba/owner_started"
OWNER_KEY = "nba/run_owner/"
CLOSED_KEY = "nba/run_closed/"
HEARTBEAT_SECONDS = 5.0
HEARTBEAT_TIMEOUT_SECONDS = 60.0
# A worker that finds its run closed by another process exits with this code (EX_TEMPFAIL).
FENCED_EXIT_CODE = 75


def heartbeat_settings() -> tuple[float, float]:
    """(seconds between beats, seconds without a beat after which a run is dead), from the
    environment; the timeout is at least three beats."""
    every = float(os.environ.get("NBA_RUN_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS))
    timeout = float(os.environ.get("NBA_RUN_HEARTBEAT_TIMEOUT_SECONDS", HEARTBEAT_TIMEOUT_SECONDS))
    if every <= 0 or timeout < 3 * every:
        raise ValueError(
            f"NBA_RUN_HEARTBEAT_SECONDS={every} and NBA_RUN_HEARTBEAT_TIMEOUT_SECONDS={timeout}: "
            "the timeout must be at least three beats"
        )
    return every, timeout


def _process_start(pid: int) -> float:
    import psutil

    return round(psutil.Process(pid).create_time(), 2)


def _utc(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class Owner:
    """The process executing a run, and its last heartbeat (epoch seconds)."""

    host: str
    pid: int
    started: float
    beat: float
    every: float
    timeout: float

    @classmethod
    def this_process(cls, pid: int | None = None) -> Owner:
        every, timeout = heartbeat_settings()
        pid = pid or os.getpid()
        return cls(socket.gethostname(), pid, _process_start(pid), time.time(), every, timeout)

    @classmethod
    def parse(cls, value: str) -> Owner | None:
        try:
            return cls(**json.loads(value))
        except (TypeError, ValueError):
            return None

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @property
    def local(self) -> bool:
        return self.host == socket.gethostname()

    def process_alive(self) -> bool | None:
        """True or False on this host; None (unknown) for a process on another host."""
        if not self.local:
            return None
        import psutil

        try:
            process = psutil.Process(self.pid)
            # The recorded start time is rounded to 0.01 s; a reused PID starts later than that.
            same = abs(process.create_time() - self.started) < 0.05
            return same and process.status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return False

    def silent_for(self, now: float | None = None) -> float:
        return max(0.0, (now or time.time()) - self.beat)

    def dead_because(self, now: float | None = None) -> str | None:
        """Why the run's process no longer executes it, or None while it may."""
        alive = self.process_alive()
        if alive is False:
            return "its process is gone (killed, crashed or the machine restarted)"
        silent = self.silent_for(now)
        if silent > self.timeout:
            state = "alive but frozen or hung" if alive else "unreachable from here"
            return f"no heartbeat for {silent:.0f}s (timeout {self.timeout:.0f}s): {state}"
        return None

    def describe(self, now: float | None = None) -> str:
        state = {True: "alive", False: "gone", None: "on another host"}[self.process_alive()]
        return (
            f"process {self.pid} on {self.host} (started {_utc(self.started)}; {state}; last heartbeat "
            f"{_utc(self.beat)}, {self.silent_for(now):.0f}s ago)"
        )

    def kill_if_frozen_here(self) -> bool:
        """Kills the owner when it is a live process of this host (a frozen worker holds the
        DuckDB file lock and would write again if it woke up). Never this process itself."""
        if self.pid == os.getpid() or not self.process_alive():
            return False
        try:
            os.kill(self.pid, signal.SIGKILL)
            return True
        except ProcessLookupError:
            return False


def owners_of(instance, run_ids: Iterable[str]) -> dict[str, Owner]:
    """The owner records of these runs (one query); runs without one are left out."""
    run_ids = list(run_ids)
    if not run_ids:
        return {}
    values = instance.run_storage.get_cursor_values({OWNER_KEY + run_id for run_id in run_ids})
    owners = {}
    for run_id in run_ids:
        owner = Owner.parse(values.get(OWNER_KEY + run_id, ""))
        if owner is not None:
            owners[run_id] = owner
    return owners


def record_owner(instance, run_id: str, owner: Owner) -> None:
    instance.run_storage.set_cursor_values({OWNER_KEY + run_id: owner.dumps()})


def fence(instance, run_id: str, closer: str) -> None:
    """Marks the run closed by `closer`: its worker, if it ever beats again, exits."""
    instance.run_storage.set_cursor_values({CLOSED_KEY + run_id: f"{closer} at {_utc(time.time())}"})


def owner_tags(owner: Owner) -> dict[str, str]:
    """The run tags showing the owner in the UI (display only)."""
    return {HOST_TAG: owner.host, PID_TAG: str(owner.pid), STARTED_TAG: f"{owner.started:.2f}"}


class Heartbeat(threading.Thread):
    """Rewrites the run's owner record every `owner.every` seconds until the run ends or `stop()`.
    A daemon thread: it never keeps the process alive."""

    def __init__(self, instance, run_id: str, owner: Owner):
        super().__init__(daemon=True, name=f"run-heartbeat-{run_id[:8]}")
        self.instance, self.run_id, self.owner = instance, run_id, owner
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.owner.every):
                try:
                    if not self.beat():
                        break
                except Exception:  # storage unreachable for a moment: the timeout is the judge
                    continue
        finally:
            with _LOCK:
                if _HEARTBEATS.get(self.run_id) is self:
                    del _HEARTBEATS[self.run_id]

    def beat(self) -> bool:
        """One beat; False once the run has ended (the thread stops)."""
        closed = self.instance.run_storage.get_cursor_values({CLOSED_KEY + self.run_id})
        if closed and not self.stopped.is_set():
            self._exit_fenced(closed[CLOSED_KEY + self.run_id])
        run = self.instance.get_run_by_id(self.run_id)
        if run is not None and run.is_finished:
            return False
        record_owner(self.instance, self.run_id, Owner(**{**asdict(self.owner), "beat": time.time()}))
        return True

    def _exit_fenced(self, closer: str) -> None:
        print(
            f"[run {self.run_id}] closed by {closer} while this process (pid {os.getpid()}) was not "
            "heard from; its retry owns the run now: exiting without writing anything more.",
            file=sys.stderr,
            flush=True,
        )
        os._exit(FENCED_EXIT_CODE)


_HEARTBEATS: dict[str, Heartbeat] = {}
_LOCK = threading.Lock()


def start_heartbeat(instance, run_id: str, *, tag_run: bool = True) -> Heartbeat | None:
    """Records this process as the owner of `run_id` and keeps the record fresh until the run
    ends. Once per run and process: a later call (the warehouse's setup in the replay CLI, which
    started the heartbeat before creating the run) returns the running heartbeat. Always this
    process: a record or tags a retry inherited or found are overwritten. `tag_run=False` before
    the run exists."""
    if instance is None or not run_id:
        return None
    with _LOCK:
        running = _HEARTBEATS.get(run_id)
        if running is not None and running.is_alive():
            return running
        owner = Owner.this_process()
        record_owner(instance, run_id, owner)
        heartbeat = _HEARTBEATS[run_id] = Heartbeat(instance, run_id, owner)
    heartbeat.start()
    if tag_run:
        instance.add_run_tags(run_id, owner_tags(owner))
    return heartbeat


def stop_heartbeat(run_id: str | None) -> None:
    with _LOCK:
        heartbeat = _HEARTBEATS.pop(run_id, None) if run_id else None
    if heartbeat is not None:
        heartbeat.stop()

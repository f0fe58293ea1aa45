"""Who executes a run: host, process id and that process's start time, kept as run tags.

A run whose process is killed (SIGKILL, power loss, out-of-memory) stays STARTED in the instance
and keeps its `warehouse` pool slot. Dagster's run monitoring finds dead run workers only through
a run launcher that can check them (not the local default launcher, nor `execute_in_process`), so
each run records its owner: the process that opens the warehouse for it. A later process on the
same host can then tell a live run from a dead one. The start time guards against a reused PID.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass

HOST_TAG = "nba/owner_host"
PID_TAG = "nba/owner_pid"
STARTED_TAG = "nba/owner_started"
OWNER_TAGS = (HOST_TAG, PID_TAG, STARTED_TAG)


def _process_start(pid: int) -> float:
    import psutil

    return psutil.Process(pid).create_time()


def owner_tags(pid: int | None = None) -> dict[str, str]:
    """The tags naming this process (or `pid`) as a run's owner."""
    pid = pid or os.getpid()
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(pid), STARTED_TAG: f"{_process_start(pid):.2f}"}


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    started: float

    @classmethod
    def of(cls, tags: Mapping[str, str]) -> Owner | None:
        """The owner recorded on a run, or None for a run started without one."""
        if not all(tag in tags for tag in OWNER_TAGS):
            return None
        try:
            return cls(tags[HOST_TAG], int(tags[PID_TAG]), float(tags[STARTED_TAG]))
        except ValueError:
            return None

    @property
    def local(self) -> bool:
        return self.host == socket.gethostname()

    def alive(self) -> bool | None:
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

    def describe(self) -> str:
        since = dt.datetime.fromtimestamp(self.started, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        state = {True: "alive", False: "gone", None: "on another host, not checked"}[self.alive()]
        return f"process {self.pid} on {self.host} (started {since}; {state})"


def register_run_owner(instance, run_id: str | None) -> None:
    """Tags the run with this process as its owner, unless it already names one (the replay CLI
    tags its runs when it creates them)."""
    if instance is None or not run_id:
        return
    run = instance.get_run_by_id(run_id)
    if run is None or Owner.of(run.tags) is not None:
        return
    instance.add_run_tags(run_id, owner_tags())

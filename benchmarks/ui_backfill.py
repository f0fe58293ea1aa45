"""The UI's path for a backfill, driven from a script: `dagster dev` (webserver + daemon, as `make ui`
starts them) and the GraphQL mutation the UI's "Materialize all" → partitions → "Launch backfill"
sends (`launchPartitionBackfill` with every asset key and the range's partition names).

Used by the benchmark (launch to COMPLETED_SUCCESS, number of runs) and by
tests/test_ui_backfill.py. `dagster dev` runs in its own process group, stopped by that group
(it may not pass SIGTERM on to the webserver, daemon and code server it starts).
"""

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAGSTER = str(ROOT / ".venv" / "bin" / "dagster")

ASSET_KEYS = "{ assetNodes { assetKey { path } isMaterializable } }"
LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}"""
STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status numPartitions }
    ... on PythonError { message }
  }
}"""
BACKFILL_RUNS = """
query Runs($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { runId status } }
  }
}"""
READY = """
{
  workspaceOrError { ... on Workspace { locationEntries { loadStatus
      locationOrLoadError { __typename ... on PythonError { message } } } } }
  instance { daemonHealth { allDaemonStatuses { daemonType healthy } } }
}"""
LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
RUN_STATUS = """
query Run($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"""
RUN_DONE = {"SUCCESS", "FAILURE", "CANCELED"}
HEARTBEAT = "{ instance { daemonHealth { allDaemonStatuses { daemonType lastHeartbeatTime } } } }"
# The asset backfill daemon's loop (dagster/_daemon/backfill.py; not configurable in Dagster 1.13).
DAEMON_LOOP_SECONDS = 30
DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DagsterDev:
    """A running `dagster dev` and its GraphQL endpoint."""

    def __init__(self, process: subprocess.Popen, url: str):
        self.process, self.url = process, url

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
        if answer.get("errors"):
            raise RuntimeError(f"GraphQL errors: {answer['errors']}")
        return answer["data"]

    def wait_ready(self, timeout: float = 180) -> None:
        """Until the code location is loaded and the backfill daemon reports healthy."""
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dagster dev exited with {self.process.returncode}")
            try:
                data = self.graphql(READY)
                entries = data["workspaceOrError"]["locationEntries"]
                loaded = entries and all(e["loadStatus"] == "LOADED" for e in entries)
                errors = [
                    e["locationOrLoadError"] for e in entries if e["locationOrLoadError"]["__typename"] == "PythonError"
                ]
                if errors:
                    raise RuntimeError(f"code location failed to load: {errors[0]['message']}")
                daemons = {d["daemonType"]: d["healthy"] for d in data["instance"]["daemonHealth"]["allDaemonStatuses"]}
                if loaded and daemons.get("BACKFILL"):
                    return
                last = (loaded, daemons)
            except (OSError, KeyError, TypeError) as error:
                last = error
            time.sleep(0.5)
        raise TimeoutError(f"dagster dev not ready after {timeout:.0f} s: {last}")

    def asset_keys(self) -> list[list[str]]:
        return [n["assetKey"]["path"] for n in self.graphql(ASSET_KEYS)["assetNodes"] if n["isMaterializable"]]

    def launch_backfill(self, first: str, last: str) -> str:
        """What "Materialize all" with the range first...last sends (every asset of the graph)."""
        params = {
            "assetSelection": [{"path": path} for path in self.asset_keys()],
            "partitionNames": dates(first, last),
            "fromFailure": False,
            "tags": [],
        }
        answer = self.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
        if answer["__typename"] != "LaunchBackfillSuccess":
            raise RuntimeError(f"launch failed: {answer}")
        return answer["backfillId"]

    def wait_backfill(self, backfill_id: str, timeout: float = 600) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.graphql(STATUS, {"id": backfill_id})["partitionBackfillOrError"]["status"]
            if status in DONE:
                return status
            time.sleep(0.25)
        raise TimeoutError(f"backfill {backfill_id} not done after {timeout:.0f} s")

    def backfill_runs(self, backfill_id: str) -> list[dict]:
        return self.graphql(BACKFILL_RUNS, {"id": backfill_id})["runsOrError"]["results"]

    def wait_until_before_tick(self, seconds: float) -> None:
        """Sleeps until `seconds` before the backfill daemon's next loop (its heartbeat is written at
        the start of a loop): a user launches at any moment of the daemon's 30-second loop, and a
        benchmark that launched right after the previous backfill completed (itself at a tick)
        would always wait the whole loop."""
        statuses = self.graphql(HEARTBEAT)["instance"]["daemonHealth"]["allDaemonStatuses"]
        beat = next(s["lastHeartbeatTime"] for s in statuses if s["daemonType"] == "BACKFILL")
        launch = beat - seconds
        while launch < time.time() + 0.5:
            launch += DAEMON_LOOP_SECONDS
        time.sleep(launch - time.time())

    def backfill(self, first: str, last: str, before_tick: float | None = None) -> dict:
        """Launch (`before_tick` seconds before the daemon's next loop when given), wait; seconds
        from launch to done, the final status and the runs."""
        if before_tick is not None:
            self.wait_until_before_tick(before_tick)
        started = time.monotonic()
        backfill_id = self.launch_backfill(first, last)
        status = self.wait_backfill(backfill_id)
        seconds = time.monotonic() - started
        return {"id": backfill_id, "status": status, "seconds": seconds, "runs": self.backfill_runs(backfill_id)}

    def single_run(self, first: str, last: str) -> dict:
        """What the same dialog's "Single run" option launches: one run of every asset (Dagster's
        implicit asset job) with the range tags, queued at once (no backfill, no daemon loop)."""
        params = {
            "selector": {
                "repositoryLocationName": "nba_assets",
                "repositoryName": "__repository__",
                "jobName": "__ASSET_JOB",
                "assetSelection": [{"path": p} for p in self.asset_keys()],
            },
            "mode": "default",
            "runConfigData": {},
            "executionMetadata": {
                "tags": [
                    {"key": "dagster/asset_partition_range_start", "value": first},
                    {"key": "dagster/asset_partition_range_end", "value": last},
                ]
            },
        }
        started = time.monotonic()
        answer = self.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
        if answer["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"launch failed: {answer}")
        run_id = answer["run"]["runId"]
        while True:
            status = self.graphql(RUN_STATUS, {"id": run_id})["runOrError"]["status"]
            if status in RUN_DONE:
                return {"id": run_id, "status": status, "seconds": time.monotonic() - started}
            if time.monotonic() - started > 600:
                raise TimeoutError(f"run {run_id} not done after 600 s")
            time.sleep(0.25)


def dates(first: str, last: str) -> list[str]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


@contextmanager
def dagster_dev(env: dict, log_path: Path):
    """`dagster dev` as `make ui` starts it (the project's workspace), with `env` (DAGSTER_HOME and
    the NBA_* paths), on a free port; stopped, with everything it started, on exit."""
    port = free_port()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [DAGSTER, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT,
            env={**env, "PATH": f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        server = DagsterDev(process, f"http://127.0.0.1:{port}")
        server.wait_ready()
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM to the process group, SIGKILL to it after `grace` seconds."""
    group = process.pid  # start_new_session: the group's id is the leader's pid
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            process.poll()
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)

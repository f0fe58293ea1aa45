"""Fault injection with real processes: a replay killed at any phase (SIGKILL, SIGINT, SIGTERM to its
process group, as a closed laptop, an out-of-memory kill or Ctrl-C would) never wedges the next
one, loses or duplicates nothing and leaves no half-written file.

Every case starts from the same folder (DuckDB file, landing files, Dagster instance) holding the
history 2025-10-21..2025-11-07, replays the 7-date window 2025-11-08..2025-11-14 in a subprocess,
kills it once the phase's step has started (read from the instance's event log), then runs the same
replay again and compares every table with a clean run's of the window.
"""

import gzip
import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import ROOT, wait_for, warehouse_tables, write_archive_slice

HISTORY = ("2025-10-21", "2025-11-07")
WINDOW = ("2025-11-08", "2025-11-14")
# A phase's kill lands once this step has started.
PHASES = {
    "raw load": "raw_player_boxscores",
    "dbt analytics and features": "dbt_analytics_and_features",
    "model training": "market_models",
    "predictions": "market_prop_predictions",
    "dbt grading": "dbt_grading",
    "exports": "export_predictions",
}
# Unique keys of the tables a duplicate would hurt.
KEYS = {
    "nba_raw.player_boxscores": ["game_id", "player_lookup"],
    "nba_raw.schedule": ["game_id"],
    "nba_analytics.player_game_summary": ["game_date", "player_lookup"],
    "nba_features.player_market_features": ["game_date", "player_lookup", "market"],
    "nba_predictions.market_prop_predictions": ["game_date", "player_lookup", "market", "system_id"],
    "nba_grading.market_prop_accuracy": ["game_date", "player_lookup", "market", "system_id"],
}
IN_FLIGHT = {"NOT_STARTED", "QUEUED", "STARTING", "STARTED", "CANCELING"}
# Liveness bounds (not performance figures): a replay of 7 dates takes ~15 s on 2 busy cores.
REPLAY_TIMEOUT = 300
STOP_TIMEOUT = 60


class Folder:
    """One replay folder: warehouse, landing files and Dagster instance."""

    def __init__(self, root: Path, archive: Path):
        self.root, self.archive = root, archive
        self.home = root / "home"
        self.data = root / "data"

    def prepare(self):
        self.home.mkdir(parents=True, exist_ok=True)
        from nba_assets.lib.instance_config import write_instance_config

        write_instance_config(self.home)
        return self

    def copy_to(self, root: Path) -> "Folder":
        shutil.copytree(self.root, root)
        return Folder(root, self.archive)

    def env(self) -> dict:
        return {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "NBA_DATA_DIR": str(self.data),
            "NBA_DUCKDB_PATH": str(self.data / "warehouse.duckdb"),
            "NBA_REPLAY_ARCHIVE": str(self.archive),
            "PYTHONUNBUFFERED": "1",
        }

    def start_replay(self, start: str, end: str, log_name: str) -> subprocess.Popen:
        log = (self.root / log_name).open("w")
        return subprocess.Popen(
            [sys.executable, "-m", "nba_assets.cli.replay", "--start", start, "--end", end],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # its own process group, as a terminal's job

    def replay(self, start: str, end: str, log_name: str = "replay.log") -> str:
        process = self.start_replay(start, end, log_name)
        code = process.wait(timeout=REPLAY_TIMEOUT)
        output = (self.root / log_name).read_text()
        assert code == 0, output[-5000:]
        return output

    @contextmanager
    def instance(self):
        from dagster import DagsterInstance

        from nba_assets.lib.environment import environ

        with environ(DAGSTER_HOME=str(self.home)):
            instance = DagsterInstance.get()
            try:
                yield instance
            finally:
                instance.dispose()

    def tables(self) -> dict[str, pd.DataFrame]:
        with duckdb.connect(str(self.data / "warehouse.duckdb"), read_only=True) as conn:
            tables = warehouse_tables(conn)
            for name, key in KEYS.items():
                duplicates = conn.execute(
                    f"SELECT count(*) FROM (SELECT {', '.join(key)} FROM {name} GROUP BY ALL HAVING count(*) > 1)"
                ).fetchone()[0]
                assert duplicates == 0, f"{name}: {duplicates} duplicate keys {key}"
        return tables

    def files(self) -> list[str]:
        """Every file a later run could read, each checked to parse; returns their keys."""
        keys = []
        for path in sorted(self.data.rglob("*")):
            if not path.is_file() or path.name.startswith(".") or path.suffix == ".duckdb" or "cache" in path.parts:
                continue
            if path.name.endswith(".wal"):
                continue
            data = path.read_bytes()
            if path.name.endswith(".csv.gz"):
                pd.read_csv(io.BytesIO(gzip.decompress(data)))
            elif path.suffix == ".json":
                json.loads(data)
            elif path.suffix == ".pkl":
                pickle.loads(data)
            elif path.suffix == ".png":
                assert data.startswith(b"\x89PNG") and data.rstrip().endswith(b"IEND\xaeB`\x82"), path
            keys.append(str(path.relative_to(self.data)))
        return keys

    def assert_nothing_in_flight(self):
        with self.instance() as instance:
            runs = instance.get_runs()
            assert not [(r.run_id, r.status.value) for r in runs if r.status.value in IN_FLIGHT]
            storage = instance.event_log_storage
            for pool in storage.get_concurrency_keys():
                info = storage.get_concurrency_info(pool)
                assert not info.claimed_slots and not info.pending_steps, info


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The history replayed once; each case copies it."""
    root = tmp_path_factory.mktemp("crash")
    archive = write_archive_slice(root / "archive", HISTORY[0], WINDOW[1])
    folder = Folder(root / "history", archive).prepare()
    folder.replay(*HISTORY)
    return folder


@pytest.fixture(scope="module")
def clean(history, tmp_path_factory):
    """The window replayed without interruption: what every recovered folder must equal."""
    folder = history.copy_to(tmp_path_factory.mktemp("clean") / "folder")
    folder.replay(*WINDOW)
    return folder.tables(), folder.files()


def step_started(instance, step_key: str, after: float) -> bool:
    from dagster import DagsterEventType

    for run in instance.get_runs(limit=3):
        for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START):
            if entry.step_key == step_key and entry.timestamp >= after:
                return True
    return False


def kill_during(folder: Folder, step_key: str, signum: int) -> tuple[subprocess.Popen, float]:
    """Starts the window's replay and sends `signum` to its process group once `step_key` started."""
    started = time.time()
    process = folder.start_replay(*WINDOW, "killed.log")
    with folder.instance() as instance:
        while not step_started(instance, step_key, started):
            assert process.poll() is None, (folder.root / "killed.log").read_text()[-5000:]
            assert time.time() - started < REPLAY_TIMEOUT, f"{step_key} never started"
            time.sleep(0.05)
    os.killpg(process.pid, signum)
    process.wait(timeout=STOP_TIMEOUT)
    return process, time.time()


def assert_recovered(folder: Folder, clean, signum: int):
    restarted = time.monotonic()
    output = folder.replay(*WINDOW, "resumed.log")
    seconds = time.monotonic() - restarted
    tables, files = clean
    recovered = folder.tables()
    assert recovered.keys() == tables.keys()
    for name, expected in tables.items():
        assert len(recovered[name]) == len(expected), name
        pd.testing.assert_frame_equal(recovered[name], expected, check_dtype=False, obj=name)
    assert folder.files() == files
    folder.assert_nothing_in_flight()
    return output, seconds


@pytest.mark.parametrize("phase", list(PHASES))
def test_sigkill_in_each_phase_then_the_same_replay_completes(history, clean, tmp_path, phase):
    folder = history.copy_to(tmp_path / "folder")
    process, _ = kill_during(folder, PHASES[phase], signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    with folder.instance() as instance:
        dead = [r.run_id for r in instance.get_runs() if r.status.value == "STARTED"]
    assert dead, "the killed run should be left STARTED (what this test recovers from)"
    output, seconds = assert_recovered(folder, clean, signal.SIGKILL)
    # The next replay says once what it recovered, naming the run.
    recovered = [line for line in output.splitlines() if line.startswith("[replay] recovered:")]
    assert len(recovered) == len(dead) and all(any(d in line for line in recovered) for d in dead), output[:3000]
    print(f"\n{phase}: SIGKILL, recovered {len(dead)} run(s), restart to completion {seconds:.1f}s")


@pytest.mark.parametrize(
    "signum,phase", [(signal.SIGINT, "dbt analytics and features"), (signal.SIGTERM, "predictions")]
)
def test_interrupt_cancels_the_run_frees_its_slot_and_says_how_to_resume(history, clean, tmp_path, signum, phase):
    folder = history.copy_to(tmp_path / "folder")
    process, _ = kill_during(folder, PHASES[phase], signum)
    output = (folder.root / "killed.log").read_text()
    assert process.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[signum], output[-3000:]
    assert f"interrupted by {signal.Signals(signum).name}" in output
    assert f"make replay START={WINDOW[0]} END={WINDOW[1]}" in output
    with folder.instance() as instance:
        last = instance.get_runs(limit=1)[0]
        assert last.status.value in ("CANCELED", "FAILURE")
    folder.assert_nothing_in_flight()  # closed by the interrupted process itself
    output, seconds = assert_recovered(folder, clean, signum)
    assert "[replay] recovered:" not in output
    print(f"\n{phase}: {signal.Signals(signum).name}, restart to completion {seconds:.1f}s")


def test_a_waiting_replay_names_the_holder_and_closes_it_when_its_process_dies(history, tmp_path):
    """The wait is explained (pool, holding run, its owner alive), and a holder whose process dies
    while the replay waits is closed by the waiting replay itself."""
    import threading

    from dagster import DagsterRun

    from resources.instance.run_owner import Owner, record_owner

    folder = history.copy_to(tmp_path / "folder")
    holder_process = subprocess.Popen(["sleep", str(REPLAY_TIMEOUT)])
    holder = DagsterRun(job_name="ingest_and_features", run_id="deadbeef-0000-4000-8000-000000000000")
    with folder.instance() as instance:
        instance.add_run(holder)
        record_owner(instance, holder.run_id, Owner.this_process(holder_process.pid))
        instance.event_log_storage.claim_concurrency_slot("warehouse", holder.run_id, "raw_schedule")
    process = folder.start_replay(*WINDOW, "waiting.log")
    log = folder.root / "waiting.log"
    # The replay explains its wait while the holder is alive; then the holder's process dies.
    wait_for(
        lambda: "for a slot of pool 'warehouse'" in log.read_text() or process.poll() is not None,
        "the wait to be explained",
    )
    holder_process.kill()
    reaper = threading.Thread(target=holder_process.wait)  # reaped at once: not a zombie
    reaper.start()
    assert process.wait(timeout=REPLAY_TIMEOUT) == 0, log.read_text()[-3000:]
    reaper.join()
    output = (folder.root / "waiting.log").read_text()
    waited = [line for line in output.splitlines() if "for a slot of pool 'warehouse'" in line]
    assert waited, output[:3000]
    assert f"run {holder.run_id} (ingest_and_features)" in output and "alive" in output, output[:3000]
    assert f"recovered: Run {holder.run_id}" in output
    folder.assert_nothing_in_flight()


@contextmanager
def daemon(folder: Folder):
    """`dagster-daemon run` on the folder's instance (the queue, run monitoring, sensors): the path
    of the UI's and the schedules' runs. Stopped by process group."""
    log = (folder.root / "daemon.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=folder.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_daemon_path_concurrent_runs_and_max_runtime(history, tmp_path):
    """Two replays of different windows at once plus a run queued through the instance's run
    coordinator and launcher (what the UI and the schedules use): all complete, no lock error.
    Then a replay past a tiny max runtime is failed by Dagster's run monitoring, stops, frees its
    slot, and failure_alerts alerts it exactly once."""
    from dagster import DagsterRunStatus, build_sensor_context

    from nba_assets.defs.operations.alerts import failure_alerts
    from resources.alerts import AlertChannel
    from tests.slack_standin import SlackStandIn

    folder = history.copy_to(tmp_path / "folder")
    config = (folder.home / "dagster.yaml").read_text()
    # Monitoring every second, slots of ended runs freed at once (the shipped file: 30 s, 30 s).
    config = config.replace("free_slots_after_run_end_seconds: 30", "free_slots_after_run_end_seconds: 0")
    config = config.replace("poll_interval_seconds: 30", "poll_interval_seconds: 1")
    (folder.home / "dagster.yaml").write_text(config)

    with daemon(folder):
        first = folder.start_replay("2025-11-08", "2025-11-10", "first.log")
        second = folder.start_replay("2025-11-12", "2025-11-14", "second.log")
        tags = json.dumps(
            {"dagster/asset_partition_range_start": "2025-11-11", "dagster/asset_partition_range_end": "2025-11-11"}
        )
        launched = subprocess.run(
            [
                str(Path(sys.executable).parent / "dagster"),
                "job",
                "launch",
                "-w",
                "workspace.yaml",
                "-j",
                "daily_pipeline",
                "--tags",
                tags,
            ],
            cwd=ROOT,
            env=folder.env(),
            capture_output=True,
            text=True,
        )
        assert launched.returncode == 0, launched.stderr[-3000:]
        for process, name in ((first, "first.log"), (second, "second.log")):
            assert process.wait(timeout=REPLAY_TIMEOUT) == 0, (folder.root / name).read_text()[-3000:]
        with folder.instance() as instance:

            def launched_run():
                runs = [
                    r
                    for r in instance.get_runs()
                    if r.job_name == "daily_pipeline"
                    and r.tags.get("dagster/asset_partition_range_start") == "2025-11-11"
                ]
                return runs and runs[0].is_finished and runs[0]

            run = wait_for(launched_run, "the launched run to finish")
            assert run.status == DagsterRunStatus.SUCCESS, (folder.root / "daemon.log").read_text()[-3000:]
            # It was executed by a run worker that recorded itself as the owner.
            assert "nba/owner_pid" in run.tags
        outputs = "".join((folder.root / name).read_text() for name in ("first.log", "second.log", "daemon.log"))
        assert "Could not set lock" not in outputs and "Conflicting lock" not in outputs

        # A replay whose max runtime is 3 s: the daemon's run monitoring fails it.
        env = {**folder.env(), "NBA_MAX_RUNTIME_SECONDS": "3"}
        log = (folder.root / "overtime.log").open("w")
        overtime = subprocess.Popen(
            [sys.executable, "-m", "nba_assets.cli.replay", "--start", WINDOW[0], "--end", WINDOW[1], "--retrain"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert overtime.wait(timeout=REPLAY_TIMEOUT) == 1
        output = (folder.root / "overtime.log").read_text()
        assert "from outside" in output, output[-3000:]  # CANCELING, then FAILURE: whichever it saw
        with folder.instance() as instance:
            failed = [r for r in instance.get_runs() if r.status == DagsterRunStatus.FAILURE]
            assert len(failed) == 1
            assert "maximum runtime" in " ".join(e.message for e in instance.all_logs(failed[0].run_id) if e.message)
    folder.assert_nothing_in_flight()

    from nba_assets.definitions import defs as definitions

    with SlackStandIn() as slack, folder.instance() as instance:
        alerts = AlertChannel(token="fake-slack-token", channel="#nba-alerts", base_url=slack.base_url)
        cursor = None
        for _ in range(2):
            context = build_sensor_context(
                instance=instance, cursor=cursor, resources={"alerts": alerts}, definitions=definitions
            )
            result = failure_alerts.evaluate_tick(context)
            cursor = result.cursor if result.cursor is not None else context.cursor
        failures = [m for m in slack.messages if "Run failed" in m]
        assert len(failures) == 1 and failed[0].run_id[:8] in failures[0], slack.messages


# Owners and heartbeats (resources/instance/run_owner.py): fast, on a SQLite instance in a temp folder.


def started_run(instance, run_id: str, tags: dict | None = None):
    from dagster import DagsterRun, DagsterRunStatus

    run = DagsterRun(job_name="ingest_and_features", run_id=run_id, tags=tags or {}, status=DagsterRunStatus.STARTED)
    instance.add_run(run)
    instance.event_log_storage.set_concurrency_slots("warehouse", 1)
    return run


def test_a_retry_owns_its_run_even_with_its_dead_parents_tags(tmp_path):
    """Dagster's run retries copy the parent's tags: the retry's worker must record itself, and the
    dead parent's owner must never make the live retry look dead."""
    from dagster import DagsterInstance, DagsterRunStatus

    from nba_assets.defs.operations.recovery import close_dead_runs
    from resources.instance.run_owner import PID_TAG, Owner, owner_tags, owners_of, record_owner, start_heartbeat

    dead = subprocess.Popen(["sleep", "60"])
    parent_owner = Owner.this_process(dead.pid)
    dead.kill()
    dead.wait()
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        parent = started_run(instance, "parent00-0000-4000-8000-000000000000", owner_tags(parent_owner))
        record_owner(instance, parent.run_id, parent_owner)
        inherited = {**parent.tags, "dagster/parent_run_id": parent.run_id, "dagster/root_run_id": parent.run_id}
        retry = started_run(instance, "retry000-0000-4000-8000-000000000000", inherited)
        heartbeat = start_heartbeat(instance, retry.run_id)
        try:
            closed = close_dead_runs(instance, "the test")
            assert [parent.run_id in line for line in closed] == [True], closed
            assert instance.get_run_by_id(parent.run_id).status == DagsterRunStatus.FAILURE
            assert instance.get_run_by_id(retry.run_id).status == DagsterRunStatus.STARTED
            assert owners_of(instance, [retry.run_id])[retry.run_id].pid == os.getpid()
            assert instance.get_run_by_id(retry.run_id).tags[PID_TAG] == str(os.getpid())
            assert close_dead_runs(instance, "the test") == []  # and stays so
        finally:
            heartbeat.stop()


def test_a_run_silent_past_its_timeout_on_another_host_is_closed_naming_host_and_heartbeat(tmp_path):
    from dagster import DagsterInstance, DagsterRunStatus

    from nba_assets.defs.operations.recovery import close_dead_runs
    from resources.instance.run_owner import CLOSED_KEY, Owner, record_owner

    now = time.time()
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        silent = started_run(instance, "silent00-0000-4000-8000-000000000000")
        fresh = started_run(instance, "fresh000-0000-4000-8000-000000000000")
        record_owner(instance, silent.run_id, Owner("code-a", 4242, now - 600, now - 61, 5, 60))
        record_owner(instance, fresh.run_id, Owner("code-a", 4343, now - 600, now - 30, 5, 60))
        instance.event_log_storage.claim_concurrency_slot("warehouse", silent.run_id, "raw_schedule")
        closed = close_dead_runs(instance, "a checker on another host")
        assert len(closed) == 1 and silent.run_id in closed[0], closed
        assert (
            "process 4242 on code-a" in closed[0] and "no heartbeat for 6" in closed[0] and "(timeout 60s)" in closed[0]
        )
        assert "last heartbeat" in closed[0] and "1 pool slot(s) freed" in closed[0]
        assert instance.get_run_by_id(silent.run_id).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(fresh.run_id).status == DagsterRunStatus.STARTED
        assert not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
        assert CLOSED_KEY + silent.run_id in instance.run_storage.get_cursor_values({CLOSED_KEY + silent.run_id})


def test_the_heartbeat_stops_with_its_run_and_never_keeps_the_process_alive(monkeypatch, tmp_path):
    from dagster import DagsterInstance

    from resources.instance.run_owner import owners_of, start_heartbeat

    monkeypatch.setenv("NBA_RUN_HEARTBEAT_SECONDS", "0.1")
    monkeypatch.setenv("NBA_RUN_HEARTBEAT_TIMEOUT_SECONDS", "1")
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        run = started_run(instance, "beating0-0000-4000-8000-000000000000")
        heartbeat = start_heartbeat(instance, run.run_id)
        assert heartbeat.daemon and start_heartbeat(instance, run.run_id) is heartbeat  # once per run
        assert start_heartbeat(DagsterInstance.ephemeral(), run.run_id) is None  # nobody could read it
        first = owners_of(instance, [run.run_id])[run.run_id].beat
        wait_for(lambda: owners_of(instance, [run.run_id])[run.run_id].beat > first, "a beat", timeout=30, every=0.05)
        instance.report_run_failed(run, "the run ended")
        heartbeat.join(timeout=30)
        assert not heartbeat.is_alive()


WORKER = """
import sys, time
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
from resources.instance.run_owner import start_heartbeat
instance = DagsterInstance.get()
instance.add_run(DagsterRun(job_name="ingest_and_features", run_id=sys.argv[1], status=DagsterRunStatus.STARTED))
start_heartbeat(instance, sys.argv[1])
print("beating", flush=True)
time.sleep(600)
"""


def test_a_frozen_worker_is_closed_by_timeout_and_a_fenced_one_exits(tmp_path):
    """A worker stopped with SIGSTOP stops beating: closed after its timeout and killed (it holds
    the DuckDB lock and would write again when woken). A worker that finds its run fenced exits."""
    from dagster import DagsterInstance, DagsterRunStatus

    from nba_assets.defs.operations.recovery import close_dead_runs
    from nba_assets.lib.environment import environ
    from resources.instance.run_owner import FENCED_EXIT_CODE, fence, owners_of

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    with environ(DAGSTER_HOME=str(home)):
        instance = DagsterInstance.get()  # created here first: the workers open it, not race to create it
    env = {**os.environ, "DAGSTER_HOME": str(home), "NBA_RUN_HEARTBEAT_SECONDS": "0.5"}
    env["NBA_RUN_HEARTBEAT_TIMEOUT_SECONDS"] = "5"
    frozen_id, fenced_id = "frozen00-0000-4000-8000-000000000000", "fenced00-0000-4000-8000-000000000000"
    workers = {
        run_id: subprocess.Popen(
            [sys.executable, "-c", WORKER, run_id], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for run_id in (frozen_id, fenced_id)
    }
    try:
        for worker in workers.values():
            assert worker.stdout.readline().strip() == "beating"
        os.kill(workers[frozen_id].pid, signal.SIGSTOP)
        assert close_dead_runs(instance, "the test") == []  # alive, and beat within its timeout
        closed = wait_for(lambda: close_dead_runs(instance, "the test"), "the frozen run closed", every=0.5)
        assert len(closed) == 1 and frozen_id in closed[0] and "alive but frozen or hung" in closed[0], closed
        assert "that process was killed" in closed[0]
        assert workers[frozen_id].wait(timeout=STOP_TIMEOUT) == -signal.SIGKILL
        assert instance.get_run_by_id(fenced_id).status == DagsterRunStatus.STARTED
        assert owners_of(instance, [fenced_id])[fenced_id].dead_because() is None

        fence(instance, fenced_id, "the test")
        assert workers[fenced_id].wait(timeout=STOP_TIMEOUT) == FENCED_EXIT_CODE
    finally:
        instance.dispose()
        for worker in workers.values():
            if worker.poll() is None:
                worker.kill()
                worker.wait()

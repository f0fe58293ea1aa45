"""`make staging` / `make staging-stop`: the production layout on this machine, each piece its own process.

- PostgreSQL 15 from the machine's binaries (`initdb`, `pg_ctl`), its data and unix socket under
  `<root>/postgres`, on a free loopback port; as root it runs as the `postgres` user (PostgreSQL
  refuses root), through `runuser -u postgres --`.
- Dagster's instance on it: deploy/dagster.staging.yaml (Postgres storage, queued coordinator, run
  retries, run monitoring) copied into `<root>/dagster_home`.
- The code location served by `dagster api grpc` (optionally under another hostname, in its own UTS
  namespace: a second "host" on loopback); its run workers are its children.
- `dagster-daemon run` (queue, schedules, sensors, run retries, run monitoring).
- `dagster-webserver`, not read-only: the operator's UI launches backfills.

`NBA_ENV` chooses the resources as everywhere: `prod` (what `make staging` uses unless NBA_ENV says
otherwise): BigQuery, GCS and dbt's bigquery target, pointed at the emulators the tests use
(tests/emulators: local-bigquery and fake-gcs-server, two more processes of the layout), a
`staging_` dataset prefix and the replay source (NBA_SOURCE=replay, unless set); where the BigQuery
emulator cannot run, `local` instead, said once. `local`: DuckDB + landing folder + the replay
archive, under `<root>/data`. Every process gets the same environment (`Layout.env()`), including
short run heartbeats (2 s, dead after 20 s of silence) so a test sees a dead run closed quickly.

Each process's PID and start time are kept in `<root>/run/<name>.pid`: `make staging-stop` (or
`python -m nba_assets.cli.staging stop`) stops what they name, also after a crash of the shell that
started them, and never a process that merely reuses a PID. Logs are in `<root>/run/<name>.log`.

From Python (what `make staging-day` and the tests build on):

    from nba_assets.cli.staging import Layout
    with Layout(root).start() as layout:        # or layout = Layout(root).start(); layout.stop()
        layout.webserver_url, layout.env(), layout.instance()
        run_id = layout.submit("daily_pipeline", tags={...}, asset_selection=[...])
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nba_assets.lib.paths import PROJECT_ROOT

STAGING_YAML = PROJECT_ROOT / "deploy" / "dagster.staging.yaml"
DEFAULT_ROOT = PROJECT_ROOT / ".data" / "staging"
LOCATION = "nba_assets"
PG_USER, PG_DB = "dagster", "dagster"
READY_TIMEOUT = 180.0
STOP_TIMEOUT = 20.0
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    """The folder of the PostgreSQL server binaries (PATH first, then Debian's versioned folders)."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return folder
    return None


def missing() -> str | None:
    """What this machine lacks to run the layout, or None."""
    if postgres_bin() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or _uid("postgres") is None):
        return "running as root needs the `postgres` user and `runuser` (PostgreSQL refuses root)"
    return None


def _uid(user: str) -> int | None:
    import pwd

    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def _wait(condition, what: str, timeout: float = READY_TIMEOUT, every: float = 0.25, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log and log.exists() else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}\n{tail}")
        time.sleep(every)


@dataclass(frozen=True)
class Recorded:
    """A process this layout started: its PID and start time (a reused PID is not it)."""

    name: str
    pid: int
    started: float

    def alive(self) -> bool:
        import psutil

        try:
            process = psutil.Process(self.pid)
            return abs(process.create_time() - self.started) < 0.05 and process.status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return False

    def signal_group(self, signum: int) -> None:
        """The process and its children (it leads its own session: start_new_session)."""
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        self.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.signal_group(signal.SIGKILL)


class PostgresServer:
    """PostgreSQL from the machine's binaries in `folder` (data, socket, log), on `port`."""

    def __init__(self, folder: Path, port: int, password: str, durable: bool = True):
        self.folder, self.port, self.password, self.durable = folder, port, password, durable
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.bin = postgres_bin()

    def _as_postgres(self, command: Sequence[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            self._as_postgres([str(self.bin / command[0]), *command[1:]]), capture_output=True, text=True
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # Its folder belongs to `postgres`, who must be able to reach it.
            closed = [p for p in self.folder.parents if p.stat().st_mode & 0o001 == 0]
            if closed:
                raise RuntimeError(f"the postgres user cannot reach {self.folder}: {closed[0]} is not traversable")
            shutil.chown(self.folder, "postgres", "postgres")
        self.folder.chmod(0o700)
        if not (self.data / "PG_VERSION").exists():
            pwfile = self.folder / "initial-password"
            pwfile.write_text(self.password + "\n")
            if os.geteuid() == 0:
                shutil.chown(pwfile, "postgres", "postgres")
            try:
                self._run(
                    "initdb",
                    "-D",
                    str(self.data),
                    "-U",
                    PG_USER,
                    "--pwfile",
                    str(pwfile),
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--no-instructions",
                )
            finally:
                pwfile.unlink(missing_ok=True)
        options = [
            f"-p {self.port}",
            f"-k {self.folder}",
            "-c listen_addresses=127.0.0.1",
            "-c max_connections=200",
            "-c synchronous_commit=off",  # a crash may lose the last ms of commits, never corrupts
        ]
        if not self.durable:  # a test's throwaway server
            options += ["-c fsync=off", "-c full_page_writes=off"]
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", " ".join(options), "-w", "-t", "120", "start"
        )
        self._create_database()

    def _create_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(**self.dsn(dbname="postgres"))
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{PG_DB}"')
        finally:
            conn.close()

    def dsn(self, dbname: str = PG_DB) -> dict:
        return {"host": "127.0.0.1", "port": self.port, "user": PG_USER, "password": self.password, "dbname": dbname}

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        if self.bin is None or not (self.data / "PG_VERSION").exists():
            return
        if self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop", check=False)


@dataclass
class Settings:
    """What the layout gives every process; the defaults suit a test (production: 5 s, 60 s, 30 s)."""

    nba_env: str = "local"
    heartbeat_seconds: float = 2.0
    heartbeat_timeout_seconds: float = 20.0
    recovery_interval_seconds: int = 5
    archive: Path | None = None  # the replay archive (default: the shipped data/replay)
    durable: bool = True  # fsync in PostgreSQL (tests: off)
    extra_env: dict[str, str] = field(default_factory=dict)


class Layout:
    """The staging layout rooted at `root`: start, stop, restart pieces, reach the instance."""

    PROCESSES = ("code_server", "daemon", "webserver")

    def __init__(self, root: Path = DEFAULT_ROOT, settings: Settings | None = None):
        self.root = Path(root).resolve()
        self.settings = settings or Settings()
        self.run_dir = self.root / "run"
        self.home = self.root / "dagster_home"
        self.data = self.root / "data"
        self.workspace = self.root / "workspace.yaml"
        self.ports = self._ports()
        self.postgres = PostgresServer(
            self.root / "postgres", self.ports["postgres"], self._password(), durable=self.settings.durable
        )
        self.hostnames: dict[str, str | None] = {}
        self._popen: dict[str, subprocess.Popen] = {}  # the processes this object started, to reap

    # --- where things are ---

    def _ports(self) -> dict[str, int]:
        """Ports chosen once per folder (a restarted code server keeps its address)."""
        path = self.root / "run" / "ports.json"
        if path.exists():
            return json.loads(path.read_text())
        ports = {"postgres": free_port(), "code_server": free_port(), "webserver": free_port()}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(ports))
        return ports

    def _password(self) -> str:
        """A random password for this folder's database, kept in a file only root can read."""
        path = self.run_dir / "postgres-password"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def webserver_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['webserver']}"

    @property
    def code_server_address(self) -> str:
        return f"127.0.0.1:{self.ports['code_server']}"

    def _emulators(self) -> dict[str, str]:
        path = self.run_dir / "emulators.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def _start_emulators(self) -> None:
        """The BigQuery and GCS emulators the production-path tests use, as processes of the
        layout (recorded like the others); their addresses kept for processes started later."""
        # The emulators are test tooling (tests/emulators), importable from the project's root,
        # where make runs.
        import psutil

        from tests.emulators import BUCKET, FAKE_CREDENTIALS, PROJECT, start_bigquery, start_gcs

        if self._emulators() and all((r := self.recorded(n)) and r.alive() for n in ("gcs", "bigquery")):
            return
        workdir = self.root / "emulators"
        workdir.mkdir(parents=True, exist_ok=True)
        credentials = workdir / "fake-credentials.json"
        credentials.write_text(json.dumps(FAKE_CREDENTIALS))
        servers = {"gcs": start_gcs(workdir), "bigquery": start_bigquery(workdir)}
        for name, server in servers.items():
            started = psutil.Process(server.process.pid).create_time()
            self._pid_file(name).write_text(json.dumps({"pid": server.process.pid, "started": started}))
        env = {
            "STORAGE_EMULATOR_HOST": servers["gcs"].url,
            "BIGQUERY_EMULATOR_HOST": servers["bigquery"].url,
            "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
            "NBA_GCP_PROJECT": PROJECT,
            "NBA_GCS_BUCKET": BUCKET,
            "NBA_DATASET_PREFIX": "staging_",
        }
        from google.cloud import storage

        from nba_assets.lib.environment import environ

        with environ(STORAGE_EMULATOR_HOST=env["STORAGE_EMULATOR_HOST"]):
            storage.Client(project=PROJECT).create_bucket(BUCKET)
        (self.run_dir / "emulators.json").write_text(json.dumps(env))

    def env(self) -> dict[str, str]:
        """The environment of every process of the layout (and of a client of its instance)."""
        s = self.settings
        env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "DAGSTER_PG_USERNAME": PG_USER,
            "DAGSTER_PG_PASSWORD": self.postgres.password,
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_DB": PG_DB,
            "DAGSTER_PG_PORT": str(self.ports["postgres"]),
            "NBA_ENV": s.nba_env,
            "NBA_RUN_HEARTBEAT_SECONDS": str(s.heartbeat_seconds),
            "NBA_RUN_HEARTBEAT_TIMEOUT_SECONDS": str(s.heartbeat_timeout_seconds),
            "NBA_RECOVERY_INTERVAL_SECONDS": str(s.recovery_interval_seconds),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
        if s.nba_env == "local":
            env |= {"NBA_DATA_DIR": str(self.data), "NBA_DUCKDB_PATH": str(self.data / "warehouse.duckdb")}
        else:
            env |= {"NBA_SOURCE": os.environ.get("NBA_SOURCE", "replay"), **self._emulators()}
        if s.archive is not None:
            env["NBA_REPLAY_ARCHIVE"] = str(s.archive)
        return env | s.extra_env

    @contextlib.contextmanager
    def instance(self) -> Iterator:
        """The layout's Dagster instance, opened in this process (environment set while open)."""
        from dagster import DagsterInstance

        from nba_assets.lib.environment import environ

        keys = ("DAGSTER_HOME", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_HOST", "DAGSTER_PG_DB")
        env = self.env()
        with environ(**{key: env[key] for key in keys}, DAGSTER_PG_PORT=env["DAGSTER_PG_PORT"]):
            instance = DagsterInstance.get()
            try:
                yield instance
            finally:
                instance.dispose()

    # --- processes ---

    def _pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def recorded(self, name: str) -> Recorded | None:
        try:
            value = json.loads(self._pid_file(name).read_text())
            return Recorded(name, value["pid"], value["started"])
        except (OSError, ValueError, KeyError):
            return None

    def _spawn(self, name: str, command: list[str]) -> Recorded:
        import psutil

        log = (self.run_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped with its children
        )
        log.close()
        recorded = Recorded(name, process.pid, psutil.Process(process.pid).create_time())
        self._pid_file(name).write_text(json.dumps({"pid": recorded.pid, "started": recorded.started}))
        self._popen[name] = process  # reaped (reap, stop): a killed child is left no zombie
        return recorded

    def reap(self, name: str, timeout: float = STOP_TIMEOUT) -> int | None:
        process = self._popen.get(name)
        if process is None:
            return None
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def start_code_server(self, hostname: str | None = None) -> Recorded:
        """`dagster api grpc` serving the code location; under `hostname` in a UTS namespace of its
        own when given (its run workers then record that host as theirs)."""
        command = [
            str(BIN / "dagster"),
            "api",
            "grpc",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.ports["code_server"]),
            "--module-name",
            "nba_assets.definitions",
            "--location-name",
            LOCATION,
            "--working-directory",
            str(PROJECT_ROOT),
        ]
        if hostname:
            command = ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', hostname, *command]
        self.hostnames["code_server"] = hostname
        recorded = self._spawn("code_server", command)
        _wait(lambda: self._serving(recorded), "the code server", log=self.run_dir / "code_server.log")
        return recorded

    def _serving(self, recorded: Recorded) -> bool:
        if not recorded.alive():
            raise RuntimeError(f"the code server exited:\n{(self.run_dir / 'code_server.log').read_text()[-3000:]}")
        check = subprocess.run(
            [
                str(BIN / "dagster"),
                "api",
                "grpc-health-check",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports["code_server"]),
            ],
            capture_output=True,
            env=self.env(),
        )
        return check.returncode == 0

    def start_daemon(self) -> Recorded:
        started = time.time()
        recorded = self._spawn("daemon", [str(BIN / "dagster-daemon"), "run", "-w", str(self.workspace)])

        def beating() -> bool:
            if not recorded.alive():
                raise RuntimeError(f"the daemon exited:\n{(self.run_dir / 'daemon.log').read_text()[-3000:]}")
            with self.instance() as instance:
                beats = instance.get_daemon_heartbeats()
            return any(beat.timestamp >= started for beat in beats.values())

        _wait(beating, "the daemon's first heartbeat", every=1.0, log=self.run_dir / "daemon.log")
        return recorded

    def start_webserver(self) -> Recorded:
        command = [
            str(BIN / "dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.ports["webserver"]),
            "-w",
            str(self.workspace),
        ]
        recorded = self._spawn("webserver", command)

        def answering() -> bool:
            if not recorded.alive():
                raise RuntimeError(f"the webserver exited:\n{(self.run_dir / 'webserver.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.webserver_url}/server_info", timeout=5) as response:
                    return response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        _wait(answering, "the webserver", log=self.run_dir / "webserver.log")
        return recorded

    def _write_config(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        shutil.copy(STAGING_YAML, self.home / "dagster.yaml")
        self.workspace.write_text(
            "load_from:\n"
            "  - grpc_server:\n"
            "      host: 127.0.0.1\n"
            f"      port: {self.ports['code_server']}\n"
            f"      location_name: {LOCATION}\n"
        )

    def start(self, *, webserver: bool = True, code_server_hostname: str | None = None) -> Layout:
        """Starts every piece not already running; returns when each answers."""
        reason = missing()
        if reason:
            raise RuntimeError(f"the staging layout cannot start: {reason}")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        if self.settings.nba_env == "prod":
            self._start_emulators()
        self.postgres.start()
        with self.instance() as instance:  # creates the schema once, before three processes race to
            instance.get_runs(limit=1)
        pieces = [("code_server", lambda: self.start_code_server(code_server_hostname)), ("daemon", self.start_daemon)]
        if webserver:
            pieces.append(("webserver", self.start_webserver))
        for name, start in pieces:
            recorded = self.recorded(name)
            if recorded is None or not recorded.alive():
                start()
        return self

    def kill(self, name: str, signum: int = signal.SIGKILL) -> Recorded:
        """Sends `signum` to that process only (not its children: a crash, not a stop)."""
        recorded = self.recorded(name)
        if recorded is None or not recorded.alive():
            raise RuntimeError(f"{name} is not running")
        os.kill(recorded.pid, signum)
        self.reap(name)
        return recorded

    def stop(self) -> list[str]:
        stopped = stop(self.root)
        for name in list(self._popen):
            self.reap(name, timeout=5)
        return stopped

    def __enter__(self) -> Layout:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- runs ---

    def submit(
        self,
        job_name: str,
        *,
        tags: Mapping[str, str] | None = None,
        asset_selection: Sequence[str] | None = None,
        run_config: Mapping | None = None,
    ) -> str:
        """Submits a run to the queue through the webserver's GraphQL API (as the UI does); the
        daemon launches it on the code server. Returns the run id."""
        from dagster_graphql import DagsterGraphQLClient

        client = DagsterGraphQLClient("127.0.0.1", port_number=self.ports["webserver"])
        return client.submit_job_execution(
            job_name,
            repository_location_name=LOCATION,
            run_config=dict(run_config or {}),
            tags=dict(tags or {}),
            asset_selection=list(asset_selection) if asset_selection else None,
        )


def stop(root: Path = DEFAULT_ROOT) -> list[str]:
    """Stops every process recorded under `root` (webserver, daemon, code server and its run
    workers, PostgreSQL). Idempotent: what is not running is skipped. Returns what was stopped."""
    root = Path(root).resolve()
    stopped = []
    layout_run = root / "run"
    for name in ("webserver", "daemon", "code_server", "bigquery", "gcs"):
        path = layout_run / f"{name}.pid"
        try:
            value = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        recorded = Recorded(name, value["pid"], value["started"])
        if recorded.alive():
            recorded.stop()
            stopped.append(f"{name} (pid {recorded.pid})")
        path.unlink(missing_ok=True)
    (layout_run / "emulators.json").unlink(missing_ok=True)
    postgres = PostgresServer(root / "postgres", 0, "")
    if postgres.bin is not None and postgres.pid() is not None:
        pid = postgres.pid()
        postgres.stop()
        stopped.append(f"postgres (pid {pid})")
    return stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the layout's folder (default: .data/staging)")
    args = parser.parse_args(argv)
    if args.action == "stop":
        stopped = stop(args.root)
        print("[staging] stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        return 0
    nba_env = os.environ.get("NBA_ENV", "prod")
    if nba_env == "prod" and args.action == "start":
        from tests.emulators import unavailable_reason

        why = unavailable_reason()
        if why:
            print(f"[staging] the BigQuery emulator cannot start here ({why}): NBA_ENV=local, DuckDB instead")
            nba_env = "local"
    layout = Layout(args.root, Settings(nba_env=nba_env, durable=True))
    if args.action == "status":
        for name in Layout.PROCESSES:
            recorded = layout.recorded(name)
            state = f"pid {recorded.pid}, running" if recorded and recorded.alive() else "not running"
            print(f"[staging] {name}: {state}")
        pid = layout.postgres.pid()
        print(f"[staging] postgres: {f'pid {pid}' if pid else 'not running'}")
        return 0
    why = missing()
    if why:
        print(f"[staging] cannot start: {why}", file=sys.stderr)
        return 1
    print(f"[staging] starting in {layout.root} (NBA_ENV={layout.settings.nba_env}) ...", flush=True)
    try:
        layout.start()
    except Exception as error:
        print(f"[staging] failed to start: {error}\n[staging] logs: {layout.run_dir}; stopping", file=sys.stderr)
        stop(layout.root)
        return 1
    print(
        f"[staging] PostgreSQL 127.0.0.1:{layout.ports['postgres']}, code server {layout.code_server_address}, "
        f"daemon, webserver: each its own process (logs in {layout.run_dir})\n"
        f"[staging] UI (launches backfills): {layout.webserver_url}\n"
        "[staging] stop everything: make staging-stop",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

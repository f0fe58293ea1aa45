"""The stand-in HTTP server: balldontlie and The Odds API on 127.0.0.1, from the replay archive.

One `ThreadingHTTPServer` (standard library) on a free port serves
- balldontlie under `/balldontlie` (`GET /v1/games`, `GET /v1/stats`: `dates[]`, `per_page`
  (default 25, at most 100), `cursor`; the key in the `Authorization` header);
- The Odds API under `/odds-api` (`GET /v4/sports/basketball_nba/events`, `GET .../events/{id}/odds`:
  `regions`, `markets`, `oddsFormat`, `commenceTimeFrom/To`; the key as the `apiKey` parameter;
  usage headers `x-requests-used/-remaining/-last` on every answer, an event-odds request charged
  markets returned x regions);
- an admin API under `/_standin` (no key; loopback only): `GET|POST /_standin/clock`
  (`{"now": ISO, "speed": x}` or `{"advance_seconds": n}`), `GET|POST|DELETE /_standin/faults`
  (a FaultRule as JSON, or `{"late_box_score": {"game_id": .., "hours": ..}}`),
  `GET|DELETE /_standin/requests` (the request log), `GET /_standin/health`.

A wrong or missing key is a 401 with the API's error body; what is served when follows the
simulated clock (payloads.py). From Python: `with StandinServer(...) as server:` (or
`running_standin(...)`), `server.balldontlie_url`, `server.odds_api_url`, `server.clock`,
`server.faults`, `server.live_source_env()`.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from nba_assets.lib.paths import DEFAULT_ARCHIVE
from resources.sources.standin.clock import SimClock
from resources.sources.standin.faults import FaultRule, Faults
from resources.sources.standin.payloads import ET, ArchiveApis

BALLDONTLIE_PREFIX = "/balldontlie"
ODDS_PREFIX = "/odds-api"
ADMIN_PREFIX = "/_standin"
BALLDONTLIE_KEY = "standin-balldontlie-key"
ODDS_API_KEY = "standin-odds-api-key"
EVENTS_PATH = "/v4/sports/basketball_nba/events"


class _Reply(Exception):
    """Ends a request with this status, JSON body and headers."""

    def __init__(self, status: int, body, headers: dict | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def _parse_time(value: str, name: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _Reply(422, {"message": f"Invalid {name} parameter", "error_code": "INVALID_PARAMETER"}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class StandinServer:
    """The stand-ins of both APIs over one archive and one simulated clock."""

    def __init__(
        self,
        archive_dir: str | Path = DEFAULT_ARCHIVE,
        now: dt.datetime | str = "2025-11-02T12:00",
        *,
        port: int = 0,
        balldontlie_key: str = BALLDONTLIE_KEY,
        odds_api_key: str = ODDS_API_KEY,
        credits_quota: int = 20_000,
        publish_hour: int = 6,
    ):
        self.apis = ArchiveApis(str(archive_dir), publish_hour=publish_hour)
        self.clock = SimClock(now)
        self.faults = Faults()
        self.keys = {"balldontlie": balldontlie_key, "odds": odds_api_key}
        self.credits_quota = credits_quota
        self.credits_used = 0
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()  # wakes held (timeout) responses at shutdown
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def balldontlie_url(self) -> str:
        return self.url + BALLDONTLIE_PREFIX

    @property
    def odds_api_url(self) -> str:
        return self.url + ODDS_PREFIX

    @property
    def admin_url(self) -> str:
        return self.url + ADMIN_PREFIX

    def live_source_env(self) -> dict[str, str]:
        """The environment that points the live sources (live_source_from_env) at this server."""
        return {
            "NBA_SOURCE": "live",
            "NBA_BALLDONTLIE_URL": self.balldontlie_url,
            "NBA_ODDS_API_URL": self.odds_api_url,
            "BALLDONTLIE_API_KEY": self.keys["balldontlie"],
            "ODDS_API_KEY": self.keys["odds"],
            "NBA_LIVE_CLOCK_URL": f"{self.admin_url}/clock",
        }

    def start(self) -> StandinServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def reset(self, now: dt.datetime | str) -> None:
        """Back to a fresh server at `now` (frozen): no faults, no request log, no credits used.
        The archive's shaped dates are kept: a module-wide server reset per test is cheap."""
        self.clock.set(now, speed=0.0)
        self.faults.clear()
        self.faults.applied.clear()
        with self._lock:
            self.requests.clear()
            self.credits_used = 0

    # --- what tests read -----------------------------------------------------------------------

    def log(self, api: str | None = None, path: str = "") -> list[dict]:
        with self._lock:
            return [r for r in self.requests if (api is None or r["api"] == api) and path in r["path"]]

    def _record(self, entry: dict) -> None:
        with self._lock:
            self.requests.append(entry)

    def _charge(self, credits: int) -> dict[str, str]:
        with self._lock:
            self.credits_used += credits
            return {
                "x-requests-used": str(self.credits_used),
                "x-requests-remaining": str(max(0, self.credits_quota - self.credits_used)),
                "x-requests-last": str(credits),
            }

    # --- the APIs ------------------------------------------------------------------------------

    def balldontlie(self, path: str, query: dict, headers) -> tuple[int, object, dict]:
        if headers.get("Authorization", "").removeprefix("Bearer ").strip() != self.keys["balldontlie"]:
            raise _Reply(401, {"error": "Unauthorized"})
        if path not in ("/v1/games", "/v1/stats"):
            raise _Reply(404, {"error": "Not Found"})
        try:
            days = [dt.date.fromisoformat(d) for d in query.get("dates[]", [])]
            per_page = min(int(query.get("per_page", ["25"])[0]), 100)
            cursor = int(query["cursor"][0]) if "cursor" in query else None
        except ValueError as err:
            raise _Reply(400, {"error": f"Bad request: {err}"}) from None
        if not days:
            raise _Reply(400, {"error": "this stand-in serves dates[] listings only"})
        now = self.clock.now()
        rows = (self.apis.bdl_games if path == "/v1/games" else self.apis.bdl_stats)(days, now, self.faults.late_hours)
        if cursor is not None:
            rows = [r for r in rows if r["id"] > cursor]
        page = rows[:per_page]
        meta = {"per_page": per_page}
        if len(rows) > per_page:
            meta["next_cursor"] = page[-1]["id"]
        return 200, {"data": page, "meta": meta}, {}

    def odds_api(self, path: str, query: dict) -> tuple[int, object, dict]:
        if query.get("apiKey", [""])[0] != self.keys["odds"]:
            raise _Reply(
                401,
                {"message": "API key is not valid or is missing.", "error_code": "INVALID_KEY"},
                self._charge(0),
            )
        now = self.clock.now()
        if path == EVENTS_PATH:
            start = (
                _parse_time(query["commenceTimeFrom"][0], "commenceTimeFrom") if "commenceTimeFrom" in query else now
            )
            end = (
                _parse_time(query["commenceTimeTo"][0], "commenceTimeTo")
                if "commenceTimeTo" in query
                else now + dt.timedelta(days=2)
            )
            events = [self.apis.event_json(e) for e in self.apis.events(start, end, now)]
            return 200, events, self._charge(0)  # the events endpoint is free
        prefix, _, event_id = path.removesuffix("/odds").rpartition("/")
        if prefix != EVENTS_PATH or not path.endswith("/odds"):
            raise _Reply(404, {"message": "Unknown endpoint", "error_code": "NOT_FOUND"})
        regions = {r for r in query.get("regions", [""])[0].split(",") if r}
        if not regions:
            raise _Reply(422, {"message": "Missing regions parameter", "error_code": "MISSING_REGION"})
        markets = {m for m in query.get("markets", ["h2h"])[0].split(",") if m}
        event = self.apis.event(event_id, now)
        if event is None:
            raise _Reply(
                404, {"message": "Event not found. The event may have expired.", "error_code": "EVENT_NOT_FOUND"}
            )
        decimal = query.get("oddsFormat", ["decimal"])[0] != "american"
        body, served = self.apis.event_odds(event, now, markets, regions, decimal)
        return 200, body, self._charge(len(served) * len(regions))

    # --- admin ---------------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: dict) -> tuple[int, object]:
        if path == "/health":
            return 200, {"ok": True, "now": self.clock.now().isoformat()}
        if path == "/clock":
            if method == "POST":
                if "now" in body:
                    self.clock.set(body["now"], body.get("speed"))
                if "advance_seconds" in body:
                    self.clock.advance(float(body["advance_seconds"]))
            now = self.clock.now()
            return 200, {"now": now.astimezone(ET).isoformat(), "now_utc": now.isoformat(), "speed": self.clock.speed}
        if path == "/faults":
            if method == "DELETE":
                self.faults.clear()
            elif method == "POST":
                if "late_box_score" in body:
                    late = body["late_box_score"]
                    self.faults.late_box_score(str(late["game_id"]), float(late["hours"]))
                else:
                    self.faults.add(FaultRule(**body))
            return 200, {**self.faults.describe(), "applied": list(self.faults.applied)}
        if path == "/requests":
            if method == "DELETE":
                with self._lock:
                    self.requests.clear()
            return 200, {"requests": self.log(), "credits_used": self.credits_used}
        return 404, {"error": f"unknown admin path {path}"}


def _handler(server: StandinServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # the request log is kept in `server.requests`
            pass

        def date_time_string(self, timestamp=None) -> str:
            """The Date header: the simulated time, as the real APIs' carries theirs."""
            return server.clock.now().strftime("%a, %d %b %Y %H:%M:%S GMT")

        def _send(self, status: int, body, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a held response after its timeout)

        def _body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}") if length else {}

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            path, query = parts.path, parse_qs(parts.query)
            if path.startswith(ADMIN_PREFIX):
                try:
                    status, body = server.admin(method, path.removeprefix(ADMIN_PREFIX), self._body())
                except (ValueError, TypeError, KeyError) as err:
                    status, body = 400, {"error": f"{type(err).__name__}: {err}"}
                self._send(status, body)
                return
            if path.startswith(BALLDONTLIE_PREFIX):
                api, sub = "balldontlie", path.removeprefix(BALLDONTLIE_PREFIX)
            elif path.startswith(ODDS_PREFIX):
                api, sub = "odds", path.removeprefix(ODDS_PREFIX)
            else:
                self._send(404, {"error": "unknown API"})
                return
            entry = {"api": api, "path": sub, "query": {k: v for k, v in query.items() if k != "apiKey"}}
            entry["sim_time"] = server.clock.now().isoformat()
            fault = server.faults.take(api, sub) if method == "GET" else None
            if fault is not None:
                self._fault(fault, api, entry)
                return
            try:
                if method != "GET":
                    raise _Reply(405, {"error": "Method Not Allowed"})
                if api == "balldontlie":
                    status, body, headers = server.balldontlie(sub, query, self.headers)
                else:
                    status, body, headers = server.odds_api(sub, query)
            except _Reply as reply:
                status, body, headers = reply.status, reply.body, reply.headers
            entry["status"] = status
            server._record(entry)
            self._send(status, body, headers)

        def _fault(self, fault: FaultRule, api: str, entry: dict) -> None:
            retry = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            if fault.kind == "timeout":
                server._record({**entry, "status": "timeout"})  # logged now, not when the hold ends
                server._stop.wait(fault.hold_seconds)  # longer than the client waits
                self.close_connection = True
                return
            if fault.kind == "429":
                status = 429
                body = (
                    {"error": "Too many requests"}
                    if api == "balldontlie"
                    else {"message": "Too many requests", "error_code": "EXCEEDED_FREQ_LIMIT"}
                )
            else:
                status, body = fault.status, {"message": "stand-in server error"}
            server._record({**entry, "status": status})
            self._send(status, body, retry)

    return Handler


@contextmanager
def running_standin(
    archive_dir: str | Path = DEFAULT_ARCHIVE, now: dt.datetime | str = "2025-11-02T12:00", **kwargs
) -> Iterator[StandinServer]:
    """A started stand-in, stopped on exit: `with running_standin(now=...) as server: ...`."""
    with StandinServer(archive_dir, now, **kwargs) as server:
        yield server

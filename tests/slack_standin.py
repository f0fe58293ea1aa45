"""A local HTTP server that stands in for Slack's Web API: the real slack_sdk client (through
dagster-slack) sends real requests to it, and tests read what arrived."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class SlackStandIn:
    def __init__(self):
        self.requests: list[dict] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    payload = json.loads(body or "{}")
                else:
                    payload = {k: v[0] for k, v in parse_qs(body).items()}
                standin.requests.append(
                    {
                        "method": self.path.strip("/"),
                        "payload": payload,
                        "authorization": self.headers.get("Authorization"),
                    }
                )
                answer = json.dumps({"ok": True, "channel": payload.get("channel"), "ts": "1.0"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    @property
    def messages(self) -> list[str]:
        return [r["payload"].get("text", "") for r in self.requests if r["method"].endswith("chat.postMessage")]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

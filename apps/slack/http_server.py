"""HTTP mode: a threaded HTTP server that hands Slack's requests to the Bolt app.

Slack posts events, slash commands and button clicks to one Request URL (`/slack/events`). Each
request is verified by Bolt (signature and timestamp, HTTP 401 otherwise) and acknowledged at once;
answers are posted later through the Web API. `GET /health` answers `ok` for load balancers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

from slack_bolt import App, BoltRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, app: App, host: str = "0.0.0.0", port: int = 3000, path: str = EVENTS_PATH):
        self.app = app
        self.path = path
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                  name="finops-slack-http", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: SlackHTTPServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if urlparse(self.path).path == "/health":
            self._send(200, b"ok", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        parsed = urlparse(self.path)
        if parsed.path != self.server.path:
            self._send(404, b"not found", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, b"request too large", "text/plain")
            return
        body = self.rfile.read(length).decode("utf-8") if length else ""
        grouped: dict[str, list[str]] = {}
        for key, value in self.headers.items():
            grouped.setdefault(key.lower(), []).append(value)
        headers: dict[str, str | Sequence[str]] = dict(grouped)
        request = BoltRequest(body=body, query=parsed.query, headers=headers)
        response = self.server.app.dispatch(request)
        payload = (response.body or "").encode("utf-8")
        self.send_response(response.status)
        for key, values in response.headers.items():
            if key.lower() == "content-length":
                continue
            for value in values:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

"""HTTP mode: a threaded HTTP server that hands Slack's requests to the Bolt app.

Slack posts events, slash commands and button clicks to one Request URL (`/slack/events`). Each
request is verified (signature and timestamp, HTTP 401 otherwise) and acknowledged at once; answers are
posted later through the Web API. `GET /health` answers `ok` for load balancers.

The server is on the open internet when Slack reaches it, so it fails closed before reading anything
it has not bounded (issue 16):

- Content-Length is required (411; chunked bodies are refused), must be a plain non-negative integer
  (400) and at most MAX_BODY (413): it is checked before a byte of the body is read, and the body is
  read to exactly that length, never further (a short body times out after READ_TIMEOUT: 400).
- The signature is checked over the raw bytes before the body is decoded or parsed; a missing or
  non-numeric `X-Slack-Request-Timestamp` is 401 like any other bad signature.
- A body that is not UTF-8, or not the JSON/form Slack sends, is 400; any other failure is a clean 500.
  A refused request closes the connection (its unread body must not be taken for the next request);
  no traceback reaches the socket or stderr.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import time
from collections.abc import Sequence
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

from slack_bolt import App, BoltRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DEFAULT_HOST = "127.0.0.1"     # loopback unless `finops slack --host` says otherwise
MAX_BODY = 1_000_000           # Slack's payloads are a few KB; the largest (a pasted manifest) well under this
READ_TIMEOUT = 10.0            # seconds a connection may stall while sending its headers or body
MAX_SKEW = 60 * 5              # Slack's rule: a timestamp more than five minutes off is a replay

_DIGITS = re.compile(r"^[0-9]{1,15}$")


class RequestRefused(Exception):
    """A request answered with `status` before it reaches the Bolt app."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, app: App, host: str = DEFAULT_HOST, port: int = 3000, path: str = EVENTS_PATH,
                 signing_secret: str | None = None):
        self.app = app
        self.path = path
        secret = signing_secret or getattr(app, "_signing_secret", None)
        if not secret:
            raise ValueError("the Slack HTTP server needs the signing secret to verify requests")
        self.signing_secret = secret.encode("utf-8")
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                  name="finops-slack-http", daemon=True)
        thread.start()
        return thread

    def handle_error(self, request: object, client_address: object) -> None:
        # A dropped or broken connection is logged, never printed as a traceback.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


def content_length(headers: Message) -> int:
    """The body's declared length, checked before anything is read (RequestRefused otherwise)."""
    get_all = headers.get_all
    if get_all("Transfer-Encoding"):
        raise RequestRefused(411, "chunked bodies are not accepted; send Content-Length")
    values = get_all("Content-Length") or []
    if not values:
        raise RequestRefused(411, "Content-Length required")
    if len(set(v.strip() for v in values)) != 1 or not _DIGITS.match(values[0].strip()):
        raise RequestRefused(400, "Content-Length must be one non-negative whole number")
    length = int(values[0].strip())
    if length > MAX_BODY:
        raise RequestRefused(413, "request too large")
    return length


def verify_signature(secret: bytes, body: bytes, timestamp: str | None, signature: str | None,
                     now: float | None = None) -> None:
    """Slack's v0 signature over the raw bytes; any problem (missing, non-numeric, stale, wrong) is 401."""
    if not timestamp or not signature or not _DIGITS.match(timestamp.strip()):
        raise RequestRefused(401, "invalid request")
    if abs((time.time() if now is None else now) - int(timestamp.strip())) > MAX_SKEW:
        raise RequestRefused(401, "invalid request")
    mac = hmac.new(secret, b"v0:" + timestamp.strip().encode("ascii") + b":" + body, hashlib.sha256)
    if not hmac.compare_digest(f"v0={mac.hexdigest()}".encode("ascii"), signature.strip().encode("utf-8", "replace")):
        raise RequestRefused(401, "invalid request")


def payload_problem(body: Any) -> str | None:
    """Why a parsed body cannot be what Slack sends (an event whose `event` is no object, a slash command
    without its channel or user), or None: such a body is refused here, before a handler trips on it."""
    if not isinstance(body, dict):
        return None
    if "event" in body and not isinstance(body["event"], dict):
        return "event is not an object"
    if body.get("type") == "event_callback" and not isinstance(body.get("event"), dict):
        return "event_callback without an event"
    if "command" in body and not all(isinstance(body.get(k), str) and body[k] for k in ("channel_id", "user_id")):
        return "slash command without channel_id or user_id"
    return None


class _Handler(BaseHTTPRequestHandler):
    server: SlackHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT        # applied to the socket: a stalled client is dropped, not waited on

    def do_GET(self) -> None:
        if urlparse(self.path).path == "/health":
            self._send(200, b"ok", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        parsed = urlparse(self.path)
        try:
            if parsed.path != self.server.path:
                raise RequestRefused(404, "not found")
            length = content_length(self.headers)
            raw = self._read(length)
            verify_signature(self.server.signing_secret, raw, self.headers.get("X-Slack-Request-Timestamp"),
                             self.headers.get("X-Slack-Signature"))
            try:
                body = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise RequestRefused(400, "body is not UTF-8") from None
            grouped: dict[str, list[str]] = {}
            for key, value in self.headers.items():
                grouped.setdefault(key.lower(), []).append(value)
            headers: dict[str, str | Sequence[str]] = dict(grouped)
            try:
                request = BoltRequest(body=body, query=parsed.query, headers=headers)
            except (ValueError, TypeError, KeyError, AttributeError):
                raise RequestRefused(400, "body is not a Slack payload (JSON or form)") from None
            problem = payload_problem(request.body)
            if problem:
                raise RequestRefused(400, problem)
            response = self.server.app.dispatch(request)
        except RequestRefused as refused:
            self._refuse(refused.status, refused.message)
            return
        except Exception:  # noqa: BLE001 - the app's failure is logged; the client gets a clean 500
            log.exception("Slack request failed")
            self._refuse(500, "internal error")
            return
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

    def _read(self, length: int) -> bytes:
        """Exactly `length` (<= MAX_BODY) bytes of body; a short or stalled body is a 400."""
        chunks: list[bytes] = []
        left = length
        try:
            while left:
                chunk = self.rfile.read(min(left, 65536))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        except OSError:          # includes the socket timeout
            pass
        if left:
            raise RequestRefused(400, "body shorter than Content-Length")
        return b"".join(chunks)

    def _refuse(self, status: int, message: str) -> None:
        """Answer and close: whatever body was not read must not be parsed as the next request."""
        self.close_connection = True
        payload = message.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

"""A loopback stand-in for the Slack Web API that records every call the bot makes.

Modelled on slack-bolt's own tests (tests/mock_web_api_server): a real HTTP server on 127.0.0.1 that
answers like Slack (`auth.test`, `chat.postMessage` with a fresh `ts`, `chat.update`,
`chat.postEphemeral`, response URLs) and keeps what it received so a test can wait for it. Also holds
the signing helper for requests *to* the bot (Slack's v0 signature over `v0:<ts>:<body>`).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from slack_sdk.signature import SignatureVerifier

BOT_USER_ID = "UFINOPSBOT"
BOT_ID = "BFINOPSBOT"
TEAM_ID = "T0ACME"


@dataclass
class Call:
    """One request the bot made: API method (path without the leading slash), parsed arguments."""

    method: str
    args: dict[str, Any]
    token: str | None
    response: dict[str, Any] | str = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def ts(self) -> str | None:
        """The ts Slack gave the posted message."""
        return self.response.get("ts") if isinstance(self.response, dict) else None

    def texts(self) -> str:
        """All text of a message call: `text` plus every text inside its blocks (for assertions)."""
        parts = [str(self.args.get("text") or "")]
        _collect_text(self.args.get("blocks") or [], parts)
        return "\n".join(p for p in parts if p)


def _collect_text(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("text"), str):
            out.append(value["text"])
        for key, item in value.items():
            if key != "text" or not isinstance(item, str):
                _collect_text(item, out)
    elif isinstance(value, list):
        for item in value:
            _collect_text(item, out)


class FakeSlackApi:
    """Start with `with FakeSlackApi() as api:`; point the bot at `api.url`."""

    def __init__(self, *, failing: dict[str, str] | None = None, malformed: set[str] | None = None):
        self.calls: list[Call] = []
        self.failing = dict(failing or {})       # method -> Slack error code to answer with
        self.malformed = set(malformed or ())    # methods answered with `{"ok": true}` and none of their fields
        self._cond = threading.Condition()
        self._ts = 1_700_000_000_000_000
        self.uploads: dict[str, bytes] = {}      # file id -> bytes received at its upload URL (files_upload_v2)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def __enter__(self) -> FakeSlackApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- recording ----------------------------------------------------------------------------------
    def next_ts(self) -> str:
        with self._cond:
            self._ts += 1
            return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def of(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

    def wait_for(self, method: str, count: int = 1, *, where: Callable[[Call], bool] | None = None,
                 timeout: float = 30.0, prefix: bool = False) -> list[Call]:
        """Wait until at least `count` calls of `method` (matching `where`) arrived; return them.
        With prefix=True, `method` matches every path that starts with it (e.g. "response/")."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if (c.method.startswith(method) if prefix else c.method == method)
                         and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, str(c.args.get("text"))[:80]) for c in self.calls]
                    raise AssertionError(f"waited {timeout}s for {count} {method} call(s); got {len(found)}; all calls: {seen}")
                self._cond.wait(left)


def _handler_for(api: FakeSlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            parsed = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if parsed.path.startswith("/upload/"):     # files_upload_v2 step 2: raw bytes, no token
                with api._cond:
                    api.uploads[parsed.path[len("/upload/"):]] = body
                self._reply("OK")
                return
            raw = body.decode("utf-8")
            args = _parse(raw, self.headers.get("Content-Type") or "", parsed.query)
            auth = self.headers.get("Authorization") or ""
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else args.get("token")
            method = parsed.path.strip("/")
            answer = _answer(api, method, args, token)
            api.record(Call(method=method, args=args, token=token, response=answer))
            self._reply(answer)

        do_GET = do_POST

        def _reply(self, payload: dict[str, Any] | str) -> None:
            body = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8" if not isinstance(payload, str) else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _parse(raw: str, content_type: str, query: str) -> dict[str, Any]:
    if "json" in content_type and raw:
        data = json.loads(raw)
    else:
        data = {k: v[0] for k, v in parse_qs(raw or query).items()}
    for key in ("blocks", "attachments"):
        if isinstance(data.get(key), str):
            try:
                data[key] = json.loads(data[key])
            except json.JSONDecodeError:
                pass
    return data


def _answer(api: FakeSlackApi, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any] | str:
    if method.startswith("response/"):
        return "ok"
    if not token or not token.startswith(("xoxb-", "xapp-")):
        return {"ok": False, "error": "invalid_auth"}
    if method in api.failing:
        return {"ok": False, "error": api.failing[method]}
    if method in api.malformed:
        return {"ok": True}
    if method == "auth.test":
        return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme AI", "user": "finops",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}
    if method == "chat.postMessage":
        ts = api.next_ts()
        return {"ok": True, "channel": args.get("channel"), "ts": ts,
                "message": {"text": args.get("text"), "ts": ts, "thread_ts": args.get("thread_ts"), "bot_id": BOT_ID}}
    if method == "chat.update":
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"), "text": args.get("text")}
    if method == "chat.postEphemeral":
        return {"ok": True, "message_ts": api.next_ts()}
    if method == "files.getUploadURLExternal":
        file_id = f"F{api.next_ts().replace('.', '')}"
        return {"ok": True, "file_id": file_id, "upload_url": f"{api.url}upload/{file_id}"}
    if method == "files.completeUploadExternal":
        files = args.get("files")
        files = json.loads(files) if isinstance(files, str) else (files or [])
        return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title"), "channels": [args.get("channel_id")]}
                                      for f in files]}
    return {"ok": True}


# -- requests to the bot, signed like Slack signs them ---------------------------------------------------
def signed_headers(secret: str, body: str, *, timestamp: int | None = None, content_type: str = "application/json",
                   signature: str | None = None) -> dict[str, list[str]]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = signature if signature is not None else SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"content-type": [content_type], "x-slack-request-timestamp": [ts], "x-slack-signature": [sig]}


def event_body(event: dict[str, Any], *, event_id: str) -> str:
    return json.dumps({"token": "legacy", "team_id": TEAM_ID, "api_app_id": "AFINOPS", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()), "event": event,
                       "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}]})


def command_body(text: str, *, user: str, channel: str, response_url: str, trigger_id: str) -> str:
    return urlencode({"token": "legacy", "team_id": TEAM_ID, "team_domain": "acme", "channel_id": channel,
                      "channel_name": "finops", "user_id": user, "user_name": user.lower(), "command": "/finops",
                      "text": text, "api_app_id": "AFINOPS", "response_url": response_url, "trigger_id": trigger_id})


def action_body(action_id: str, value: str, *, user: str, channel: str, message_ts: str,
                thread_ts: str | None = None, response_url: str = "") -> str:
    payload = {
        "type": "block_actions", "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID}, "api_app_id": "AFINOPS",
        "token": "legacy", "trigger_id": f"trig-{action_id}-{user}",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "finops"},
        "message": {"type": "message", "ts": message_ts, "thread_ts": thread_ts, "bot_id": BOT_ID, "text": ""},
        "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button",
                     "action_ts": str(time.time())}],
    }
    return urlencode({"payload": json.dumps(payload)})


# -- the bot under test, driven with signed requests -------------------------------------------------
class BotHarness:
    """The real Bolt app of `apps.slack`, its Web API pointed at a FakeSlackApi, fed signed requests."""

    SECRET = "test-signing-secret"
    _counter = itertools.count(1)          # unique ts / event ids across harnesses (shared session files)

    def __init__(self, api: FakeSlackApi, db: Any, **settings: Any):
        from apps.slack.app import create_bot
        from apps.slack.settings import SlackSettings

        self.api = api
        self.settings = SlackSettings(bot_token="xoxb-test-token", signing_secret=self.SECRET, api_url=api.url,
                                      db=db, **settings)
        self.bot = create_bot(self.settings)

    def close(self) -> None:
        self.bot.close()

    @classmethod
    @contextmanager
    def running(cls, db: Any, **settings: Any) -> Iterator[BotHarness]:
        """A harness on `db` with a fresh FakeSlackApi of its own, closed (bot, then API) on leaving: what a
        test module's `harness` fixture yields."""
        with FakeSlackApi() as api:
            harness = cls(api, db, **settings)
            try:
                yield harness
            finally:
                harness.close()

    def dispatch(self, body: str, content_type: str, **sign: Any) -> Any:
        from slack_bolt import BoltRequest

        headers = signed_headers(self.SECRET, body, content_type=content_type, **sign)
        return self.bot.app.dispatch(BoltRequest(body=body, headers=headers))

    def _id(self) -> int:
        return next(self._counter)

    def mention(self, text: str, *, user: str, channel: str = "C0FINOPS", ts: str | None = None,
                thread_ts: str | None = None) -> Any:
        n = self._id()
        event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}", "channel": channel,
                 "ts": ts or f"1800000000.{n:06d}", "event_ts": ts or f"1800000000.{n:06d}"}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.dispatch(event_body(event, event_id=f"Ev{n:08d}"), "application/json")

    def dm(self, text: str, *, user: str, channel: str = "D0DIRECT", ts: str | None = None,
           thread_ts: str | None = None) -> Any:
        n = self._id()
        event = {"type": "message", "channel_type": "im", "user": user, "text": text, "channel": channel,
                 "ts": ts or f"1800000100.{n:06d}", "event_ts": ts or f"1800000100.{n:06d}"}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.dispatch(event_body(event, event_id=f"Ev{n:08d}"), "application/json")

    def command(self, text: str, *, user: str, channel: str = "C0FINOPS") -> Any:
        n = self._id()
        body = command_body(text, user=user, channel=channel, response_url=f"{self.api.url}response/{n}",
                            trigger_id=f"trig-{n}")
        return self.dispatch(body, "application/x-www-form-urlencoded")

    def click(self, action_id: str, value: str, *, user: str, channel: str, message_ts: str,
              thread_ts: str | None = None) -> Any:
        body = action_body(action_id, value, user=user, channel=channel, message_ts=message_ts,
                           thread_ts=thread_ts, response_url=f"{self.api.url}response/click")
        return self.dispatch(body, "application/x-www-form-urlencoded")


# -- load: many questions at once over real HTTP ------------------------------------------------------
@dataclass
class LoadResult:
    sent: int
    acked: int                       # HTTP 200 from the bot
    answered: int                    # threads that got an answer
    duplicated: int                  # threads where the same message was posted twice
    ack_ms: list[float]
    answer_ms: list[float]


def run_load(api: FakeSlackApi, url: str, secret: str, questions: list[str], *, timeout: float = 120.0,
             round_id: int = 0) -> LoadResult:
    """Send every question as an app mention in its own thread, all at once; wait for the answers.

    An answer is the first chat.postMessage in the question's thread; latency is measured from the
    moment the request was sent to the moment the fake Slack received the answer.
    """
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    start_gate = threading.Barrier(len(questions))
    sent_at: dict[str, float] = {}
    ack_ms: list[float] = []

    def send(i: int) -> int:
        ts = f"{1900000000 + round_id}.{i:06d}"
        body = event_body({"type": "app_mention", "user": "U0LOAD", "channel": f"C0LOAD{i % 7}", "ts": ts,
                           "text": f"<@{BOT_USER_ID}> {questions[i]}"}, event_id=f"EvLOAD{round_id}x{i:06d}")
        headers = {k: v[0] for k, v in signed_headers(secret, body).items()}
        request = urllib.request.Request(url, data=body.encode(), method="POST", headers=headers)
        start_gate.wait()
        began = time.monotonic()
        sent_at[ts] = began
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
        ack_ms.append((time.monotonic() - began) * 1000)
        return status

    with ThreadPoolExecutor(max_workers=len(questions)) as pool:
        statuses = list(pool.map(send, range(len(questions))))
    wanted = set(sent_at)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answered = {c.args.get("thread_ts") for c in api.of("chat.postMessage")} & wanted
        if answered == wanted:
            break
        time.sleep(0.05)
    time.sleep(0.2)                                             # let a duplicate, if any, arrive
    first: dict[str, float] = {}
    texts: dict[str, list[str]] = {}
    for call in api.of("chat.postMessage"):
        ts = call.args.get("thread_ts")
        if ts in wanted:
            texts.setdefault(ts, []).append(call.texts())
            first.setdefault(ts, call.at)
    answer_ms = sorted((first[ts] - sent_at[ts]) * 1000 for ts in first)
    return LoadResult(sent=len(questions), acked=sum(1 for s in statuses if s == 200), answered=len(first),
                      duplicated=sum(1 for t in texts.values() if len(set(t)) < len(t)), ack_ms=sorted(ack_ms), answer_ms=answer_ms)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return float("nan")
    rank = max(1, min(len(values), round(q * len(values) + 0.5)))
    return values[rank - 1]

"""A loopback OpenAI-compatible chat-completions server for tests and benchmarks (stdlib only).

It runs in a thread on 127.0.0.1 (a free port), answers POST /v1/chat/completions with whatever its
`responder` returns for the request, and records every request it got (path, headers, JSON body), so a
test can check what a real client (`langchain_openai.ChatOpenAI`, the `openai` SDK) actually sent.

    with FakeOpenAI(Script([tool_call("spend", {"period": "last week"}), final("It was $1.00.")])) as srv:
        os.environ["OPENAI_BASE_URL"] = srv.base_url
        ...
        srv.requests[0].body["tools"]

A responder is any callable `(body: dict) -> Reply` (or `Raw`: a whole response sent as it is, which is
how tests/fakes/cassettes.py replays recorded exchanges); `Script` replays replies in order. `usage` in each
response counts the tokens of what was sent (`estimate_tokens`, documented there), so clients that read
usage (ChatOpenAI's usage_metadata) see plausible numbers.
Other behaviours: `api_key="sk-x"` answers 401 to any other bearer token; `status=500` answers every
request with that status.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import regex

# -- replies ---------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """One assistant message: text, tool calls, or both."""

    content: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def tool_call(name: str, args: dict[str, Any] | None = None, *more: tuple[str, dict[str, Any]],
              call_id: str | None = None) -> Reply:
    """A reply calling tool `name` with `args` (and any `more` (name, args) pairs in parallel)."""
    calls = [(name, args or {}), *more]
    return Reply(tool_calls=[{
        "id": call_id if (call_id and i == 0) else f"call_{uuid.uuid4().hex[:12]}",
        "type": "function",
        "function": {"name": n, "arguments": json.dumps(a)},
    } for i, (n, a) in enumerate(calls)])


@dataclass
class Raw:
    """A whole HTTP response (status and JSON body), sent as it is: a recorded chat completion or an error."""

    payload: dict[str, Any]
    status: int = 200


def final(text: str) -> Reply:
    return Reply(content=text)


Responder = Callable[[dict[str, Any]], "Reply | Raw"]


class Script:
    """Replies in order, one per request; `final(default)` once the script is used up."""

    def __init__(self, replies: list[Reply | Responder], default: str = "Done."):
        self.replies = list(replies)
        self.default = default
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            nxt = self.replies.pop(0) if self.replies else final(self.default)
        return nxt(body) if callable(nxt) else nxt


# -- token counting --------------------------------------------------------------------------------------
# The tokens of a request are estimated, not exact (the BPE tables of tiktoken cannot be downloaded at
# run time here): the larger of (a) the number of pieces the cl100k/o200k pre-tokenizer regex splits the
# text into (each piece is at least one BPE token) and (b) characters / 4 (OpenAI's rule of thumb),
# plus 4 tokens of framing per message. On English and JSON this lands within ~15% of tiktoken.
_PRETOKEN = regex.compile(
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""
)


def estimate_tokens(text: str) -> int:
    if not text:
        return 0
    return max(len(_PRETOKEN.findall(text)), math.ceil(len(text) / 4))


def prompt_tokens(body: dict[str, Any]) -> int:
    """Estimated prompt tokens of a chat-completions request: messages (+4 each) and tool schemas."""
    total = 3
    for m in body.get("messages", []):
        total += 4 + estimate_tokens(_message_text(m))
    if body.get("tools"):
        total += estimate_tokens(json.dumps(body["tools"], separators=(",", ":")))
    return total


def _message_text(m: dict[str, Any]) -> str:
    parts = [str(m.get("role", ""))]
    content = m.get("content")
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        parts += [p.get("text", "") for p in content if isinstance(p, dict)]
    for tc in m.get("tool_calls") or []:
        fn = tc.get("function", {})
        parts.append(fn.get("name", "") + fn.get("arguments", ""))
    return " ".join(parts)


# -- the server ------------------------------------------------------------------------------------------


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    prompt_tokens: int
    completion_tokens: int = 0


class FakeOpenAI:
    def __init__(self, responder: Responder | None = None, *, api_key: str | None = None, status: int | None = None,
                 delay_s: float = 0.0, model: str = "fake-model"):
        self.responder: Responder = responder or Script([])
        self.api_key = api_key
        self.status = status
        self.delay_s = delay_s
        self.model = model
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        handler = _handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-openai", daemon=True)   # shutdown waits one poll
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- what was asked -----------------------------------------------------------------------------------
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    # -- one request --------------------------------------------------------------------------------------
    def _respond(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        record = Recorded(path=path, headers=headers, body=body, prompt_tokens=prompt_tokens(body))
        with self._lock:
            self.requests.append(record)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, _error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        if self.status is not None:
            return self.status, _error(f"fake server error {self.status}", "server_error", None)
        if not path.rstrip("/").endswith("/chat/completions"):
            return 404, _error(f"no route {path}", "invalid_request_error", None)
        reply = self.responder(body)
        if isinstance(reply, Raw):                  # a whole response, sent as it is (cassettes)
            return reply.status, reply.payload
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = reply.tool_calls
        completion = estimate_tokens(reply.content or "") + sum(
            estimate_tokens(tc["function"]["name"] + tc["function"]["arguments"]) for tc in reply.tool_calls)
        record.completion_tokens = completion
        return 200, {
            "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
            "usage": {"prompt_tokens": record.prompt_tokens, "completion_tokens": completion,
                      "total_tokens": record.prompt_tokens + completion},
        }


def _error(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def _handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {"_raw": raw.decode("utf-8", "replace")}
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = server._respond(self.path, headers, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            data = json.dumps({"object": "list", "data": [{"id": server.model, "object": "model"}]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            return

    return Handler

"""Recorded chat-completion exchanges ("cassettes") of the model planner, replayed by the loopback server.

A cassette (tests/integration/cassettes/<name>.json) holds, for one conversation, each request the real
`ChatOpenAI` sent and the response it got, in order:

    {"name": …, "questions": [...], "source": "…", "model": "…",
     "tools": {"spend": {"description": …, "parameters": {…}}, …},     # every tool bound, once
     "exchanges": [{"request": {"params": {"model": …, "temperature": 0, …},
                                "tools": ["spend", …],                   # bound in this request, in order
                                "messages": [{"role": "system", "content": …},
                                             {"role": "assistant", "tool_calls": [{"id", "name", "arguments"}]},
                                             {"role": "tool", "tool_call_id": …, "content": …}, …]},
                    "response": {… the chat.completion JSON as the server sent it …}}, …]}

`Replayer` serves the responses in order and compares each request with the recorded one in what matters:
the request parameters (model, temperature, max_tokens …), the tools bound (names, descriptions, JSON
schemas), and every message's role, content and tool-call ids, names and arguments. Tool results
(role "tool") are the store's data: their ids are compared, their text is kept in the cassette for the
reader and checked through the answer's figures (independent SQL in the test), not byte for byte.
A mismatch is recorded (`mismatches`, with both sides) and answered with HTTP 400, so the test fails
showing what changed: a change in the prompts or the tool binding is a cassette diff to re-record.

`Recorder` builds a cassette from live exchanges: it forwards each request to an upstream OpenAI-compatible
API (`upstream=`, the real one when recording) or asks a stand-in model (`respond=`), and keeps both sides.
The API key is never written: requests are stored normalised (no headers).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakes.openai_server import Raw

CASSETTES = Path(__file__).resolve().parents[1] / "integration" / "cassettes"


# -- what a request is, for comparing ---------------------------------------------------------------------------
def normalise(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(the request as the cassette stores it, the tool definitions it bound by name)."""
    tools: dict[str, dict[str, Any]] = {}
    for t in body.get("tools") or []:
        fn = t.get("function", {})
        tools[fn.get("name", "")] = {"type": t.get("type"), "description": fn.get("description"),
                                     "parameters": fn.get("parameters")}
    request = {"params": {k: v for k, v in sorted(body.items()) if k not in ("messages", "tools")},
               "tools": list(tools),
               "messages": [_message(m) for m in body.get("messages", [])]}
    return request, tools


def _message(m: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.get("role")}
    if m.get("role") == "tool":
        out["tool_call_id"] = m.get("tool_call_id")
    if m.get("content") is not None:
        out["content"] = m["content"]
    if m.get("tool_calls"):
        out["tool_calls"] = [{"id": tc.get("id"), "name": tc.get("function", {}).get("name"),
                              "arguments": _arguments(tc.get("function", {}).get("arguments"))}
                             for tc in m["tool_calls"]]
    return out


def _arguments(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        return text                               # as sent: a model's broken JSON is part of the record


def _compared(request: dict[str, Any]) -> dict[str, Any]:
    """What must match: everything but the text of tool results."""
    messages = [{k: v for k, v in m.items() if not (m["role"] == "tool" and k == "content")}
                for m in request["messages"]]
    return {**request, "messages": messages}


def differences(recorded: Any, sent: Any, path: str = "") -> list[str]:
    """Where two JSON values differ, as 'path: recorded != sent' lines (the first few of a list)."""
    if isinstance(recorded, dict) and isinstance(sent, dict):
        out: list[str] = []
        for k in sorted(set(recorded) | set(sent), key=str):
            out += differences(recorded.get(k, "<absent>"), sent.get(k, "<absent>"), f"{path}.{k}")
        return out
    if isinstance(recorded, list) and isinstance(sent, list):
        out = [f"{path}: {len(recorded)} items recorded, {len(sent)} sent"] if len(recorded) != len(sent) else []
        for i, (a, b) in enumerate(zip(recorded, sent)):
            out += differences(a, b, f"{path}[{i}]")
        return out
    if recorded != sent:
        return [f"{path}: recorded {_short(recorded)} != sent {_short(sent)}"]
    return []


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


# -- files ------------------------------------------------------------------------------------------------------
def path_of(name: str) -> Path:
    return CASSETTES / f"{name}.json"


def load(name: str) -> dict[str, Any]:
    with path_of(name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def save(cassette: dict[str, Any]) -> Path:
    path = path_of(cassette["name"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cassette, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    return path


# -- replay -----------------------------------------------------------------------------------------------------
@dataclass
class Replayer:
    """A responder for FakeOpenAI that replays a cassette and notes every request that differs."""

    cassette: dict[str, Any]
    served: int = 0
    mismatches: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, body: dict[str, Any]) -> Raw:
        with self._lock:
            n = self.served
            self.served += 1
        exchanges = self.cassette["exchanges"]
        if n >= len(exchanges):
            self.mismatches.append(f"request {n + 1}: the cassette has only {len(exchanges)} exchanges")
            return _error(f"no recorded exchange {n + 1}")
        request, tools = normalise(body)
        recorded = exchanges[n]["request"]
        diff = differences(_compared(recorded), _compared(request), f"request {n + 1}")
        diff += differences({k: self.cassette["tools"].get(k) for k in recorded["tools"]},
                            {k: tools.get(k) for k in recorded["tools"]}, f"request {n + 1}.tool")
        if diff:
            self.mismatches += diff
            return _error("request differs from the cassette: " + "; ".join(diff[:3]))
        return Raw(exchanges[n]["response"])

    def unused(self) -> int:
        return len(self.cassette["exchanges"]) - self.served


def _error(message: str) -> Raw:
    return Raw({"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}, 400)


# -- record -----------------------------------------------------------------------------------------------------
@dataclass
class Recorder:
    """A responder for FakeOpenAI that gets each response from `upstream` (an OpenAI-compatible base URL,
    with `api_key`) or from `respond` (a stand-in model: request body -> chat.completion JSON), and keeps
    the exchanges for `cassette()`."""

    upstream: str | None = None
    api_key: str | None = None
    respond: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __call__(self, body: dict[str, Any]) -> Raw:
        status, response = self._forward(body) if self.upstream else (200, self._stand_in(body))
        request, tools = normalise(body)
        if status == 200:
            self.tools.update(tools)
            self.exchanges.append({"request": request, "response": response})
        return Raw(response, status)

    def _stand_in(self, body: dict[str, Any]) -> dict[str, Any]:
        assert self.respond is not None, "a Recorder needs upstream= or respond="
        return self.respond(body)

    def _forward(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        assert self.upstream is not None
        request = urllib.request.Request(self.upstream.rstrip("/") + "/chat/completions", method="POST",
                                         data=json.dumps(body).encode(),
                                         headers={"content-type": "application/json",
                                                  "authorization": f"Bearer {self.api_key}"})
        try:
            with urllib.request.urlopen(request, timeout=120) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def cassette(self, name: str, questions: list[str], source: str) -> dict[str, Any]:
        model = self.exchanges[0]["request"]["params"].get("model") if self.exchanges else None
        return {"name": name, "questions": questions, "source": source, "model": model,
                "tools": {k: self.tools[k] for k in sorted(self.tools)}, "exchanges": self.exchanges}

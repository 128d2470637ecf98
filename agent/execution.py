"""Running planned tool calls through the registry and turning typed errors into outcomes.

A `FinopsError` never escapes as a crash: it becomes an outcome with an error kind the composer turns
into a clear answer ("did you mean ...?", "no data for ...").
"""

from __future__ import annotations

import logging

from agent.state import ErrorKind, PlannedCall, ToolOutcome
from knowledge.store import Store
from tools.contract import FinopsError, NoDataError, PeriodError, ToolResult, UnknownNameError
from tools.registry import run_tool

log = logging.getLogger(__name__)

INVALID_ARGS = "__invalid_arguments__"   # a model's tool call whose arguments were not valid JSON


def execute(store: Store, call: PlannedCall) -> ToolOutcome:
    """Run one call. Typed errors become error outcomes; anything else is an internal error outcome."""
    base: ToolOutcome = {"id": call["id"], "tool": call["tool"], "args": dict(call["args"])}
    if INVALID_ARGS in call["args"]:
        return {**base, "ok": False, "error_kind": "bad_args",
                "error": f"the arguments for {call['tool']} were not valid JSON: {call['args'][INVALID_ARGS]}"}
    try:
        result = run_tool(store, call["tool"], call["args"])
    except UnknownNameError as exc:
        return {**base, "ok": False, "error": str(exc), "error_kind": "unknown_name",
                "suggestions": list(exc.suggestions), "name_kind": exc.kind, "name": exc.name}
    except FinopsError as exc:
        return {**base, "ok": False, "error": str(exc), "error_kind": _kind(exc)}
    except Exception as exc:  # a bug in a tool must not take the conversation down
        log.exception("tool %s failed", call["tool"])
        return {**base, "ok": False, "error": f"the {call['tool']} tool failed: {type(exc).__name__}: {exc}",
                "error_kind": "internal"}
    return _captured(base, result)


def _captured(base: ToolOutcome, result: ToolResult) -> ToolOutcome:
    table = result.table()
    return {
        **base,
        "ok": True,
        "summary": result.summary(),
        "result": result.model_dump(mode="json"),
        "table": table.model_dump(mode="json") if table is not None else None,
        "listed": [[item.key] + ([item.name] if item.name else []) for item in result.listed()],
        "subjects": result.subjects(),
        "figures": [f.model_dump(mode="json") for f in result.figures()],
        "identifiers": result.identifiers(),
    }


def _kind(exc: FinopsError) -> ErrorKind:
    if isinstance(exc, PeriodError):
        return "period"
    if isinstance(exc, NoDataError):
        return "no_data"
    if str(exc).startswith("bad arguments for") or str(exc).startswith("unknown tool"):
        return "bad_args"
    return "finops"

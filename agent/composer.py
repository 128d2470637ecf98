"""Composing the Answer from the turn's tool outcomes.

Offline, the text is the tools' own summaries (figures formatted by the tools, from SQL). With a model,
the model's final text is kept only when the grounding check passes; otherwise the answer is recomposed
from the results and flagged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from agent.answer import Answer, AnswerKind, TokenUsage, ToolCallRecord
from agent.derived import derived_notes
from agent.grounding import normalize
from agent.grounding_subjects import check_answer
from agent.help import help_reply
from agent.safety import echoes, looks_like_instruction, untrusted_spans
from agent.state import AgentState, Reply, ToolOutcome
from agent.what_if import what_if_scaled
from tools.contract import Evidence, TableView
from tools.registry import registry

STEP_LIMIT_NOTE = "I reached the limit of {n} tool rounds for one question; here is what I found so far."
NO_FIGURE = "I have no tool result to answer that from, so I give no figure. I can answer questions like these:"
NOTHING_FOUND = ("I could not answer that from the tools' results. Try rephrasing, or ask `help` for the "
                 "questions I can answer.")


def compose(state: AgentState, *, max_steps: int) -> Answer:
    outcomes: list[ToolOutcome] = list(state.get("outcomes") or [])
    reply = state.get("reply") or {}
    planner = state.get("planner", "offline")
    flags: list[str] = list(reply.get("flags") or [])
    suggestions: list[str] = list(reply.get("suggestions") or [])
    kind: AnswerKind = _kind(reply.get("kind"), outcomes)
    grounded = True
    rejected: list[str] = []

    offline_text = _offline_text(state, outcomes)
    if kind == "did_you_mean":
        suggestions = _suggestions(outcomes) or suggestions
    if reply.get("withdraw") and reply.get("text"):
        # the planner read the results and found they do not answer the question ("grew the most" with no data
        # for the period compared): its reply stands, and no figure of the results is shown
        kind, text = ("did_you_mean" if reply.get("kind") == "did_you_mean" else "refusal"), str(reply["text"])
    elif planner == "model" and reply.get("kind") == "answer" and kind == "answer":
        checked = _checked_model_text(state, outcomes, offline_text)
        text, grounded, rejected = checked.text, checked.grounded, checked.rejected
        flags += checked.flags
        if checked.help_kind:
            kind, suggestions = "help", checked.suggestions
    elif outcomes:
        text = offline_text
        none_ok = not any(o.get("ok") for o in outcomes)
        if planner == "model" and reply.get("text") and kind != "did_you_mean" and none_ok:
            # Every tool call failed: no tool result, so no figure and no name from the model. The answer
            # is the tools' errors (the model's text is never shown unchecked).
            grounded = False
            flags.append("no tool result: the model's answer was not shown; answered from the tool errors")
        elif reply.get("text") and kind in ("help", "refusal", "error") and none_ok:
            text = (reply.get("text") or "") + ("\n\n" + offline_text if offline_text else "")
    else:
        text = reply.get("text") or NOTHING_FOUND
    text, kind = _with_preface(state.get("preface") or {}, text, kind, bool(outcomes))
    if state.get("step_limited"):
        flags.append("step_limit")
        text = STEP_LIMIT_NOTE.format(n=max_steps) + ("\n\n" + text if text else "")

    tokens = None
    if planner == "model":
        tokens = TokenUsage(prompt_tokens=state.get("prompt_tokens", 0), completion_tokens=state.get("completion_tokens", 0))
    return Answer(
        question=state.get("question", ""),
        text=text,
        kind=kind,
        planner="model" if planner == "model" else "offline",
        tool_calls=[_record(o) for o in outcomes],
        evidence=[Evidence.model_validate(o["result"]["evidence"]) for o in outcomes
                  if o.get("ok") and (o.get("result") or {}).get("evidence")],
        tables=[TableView.model_validate(o["table"]) for o in outcomes if o.get("ok") and o.get("table")],
        results=[_without_evidence(o["result"]) for o in outcomes if o.get("ok") and o.get("result") is not None],
        grounded=grounded,
        flags=flags,
        rejected=rejected,
        suggestions=suggestions,
        tokens=tokens,
    )


def _offline_text(state: AgentState, outcomes: list[ToolOutcome]) -> str:
    """The answer from the results alone: the tools' summaries, after what the planner asked to add
    (which of the previous items appear, a scaled what-if, derived figures)."""
    text = _from_outcomes(outcomes)
    note = focus_note(state.get("focus") or [], outcomes)
    if note:
        text = note + "\n\n" + text
    scale = state.get("scale")
    if scale:
        scaled = what_if_scaled(Decimal(scale), outcomes)
        if scaled:
            text = scaled + "\n\n" + text
    derived = derived_notes(list(state.get("derive") or []), outcomes)
    if derived:
        text = "\n".join(derived) + "\n\n" + text
    return text


@dataclass
class _Checked:
    """What the grounding check made of a model's final text."""

    text: str
    grounded: bool = True
    rejected: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    help_kind: bool = False            # nothing to recompose from: the answer is the help text
    suggestions: list[str] = field(default_factory=list)


def _checked_model_text(state: AgentState, outcomes: list[ToolOutcome], offline_text: str) -> _Checked:
    reply = state.get("reply") or {}
    model_text = normalize(reply.get("text") or "").strip()   # what is checked is what is shown
    # Figures with their subjects, and names (emails, channels, ids, teams), against the results.
    report = check_answer(model_text, outcomes, state.get("question", ""))
    followed = echoes(model_text, _untrusted(outcomes))
    if model_text and report.grounded and not followed:
        return _Checked(text=model_text)
    out = _Checked(text=offline_text, grounded=False)
    if followed:
        out.flags.append("rejected: the model's answer repeats or reads like instructions found in the data; "
                         "recomposed from the results")
    elif report.unsupported:
        out.rejected = list(report.unsupported)
        out.flags.append(f"ungrounded: the model's answer stated {len(out.rejected)} figure(s) or name(s) that no "
                         "tool result supports (about the subject it named); recomposed from the results")
    else:
        out.flags.append("empty model answer; recomposed from the results")
    if not out.text:                 # no tool was called: say what can be asked instead
        help_ = help_reply(registry.all(), intro=NO_FIGURE)
        out.text, out.help_kind, out.suggestions = help_["text"], True, list(help_.get("suggestions") or [])
    return out


def _with_preface(preface: Reply, text: str, kind: AnswerKind, any_outcomes: bool) -> tuple[str, AnswerKind]:
    """e.g. a request to change something: declined, then the read-only results about what it concerns."""
    if not preface.get("text"):
        return text, kind
    lead = "\n\nWhat I can show, read-only:\n\n" if preface.get("kind") == "refusal" else "\n\n"
    text = (preface.get("text") or "") + (lead + text if any_outcomes and text else "")
    if preface.get("kind") == "refusal":
        kind = "refusal"
    elif preface.get("kind") == "help":
        kind = "help"
    return text, kind


def _untrusted(outcomes: list[ToolOutcome]) -> list[str]:
    spans: list[str] = []
    for o in outcomes:
        if o.get("ok"):
            spans += untrusted_spans(o.get("summary") or "")
            for row in (o.get("table") or {}).get("rows") or []:
                spans += [str(c) for c in row if isinstance(c, str) and looks_like_instruction(c)]
    return spans


def focus_note(focus: list[list[str]], outcomes: list[ToolOutcome]) -> str | None:
    """For "which of those ...": which of the previous answer's items (each [key, name?]) appear in this
    result's rows, with the figures of those rows exactly as the result shows them."""
    if not focus:
        return None
    keys = {spelling for item in focus for spelling in item}
    for o in outcomes:
        table = o.get("table") if o.get("ok") else None
        if not table or not table.get("rows"):
            continue
        hits = [(r, row) for r, row in enumerate(table["rows"])
                if any(_is_key(str(c), keys) for c in row[:2] if c not in (None, ""))]
        if not hits:
            return (f"None of the {len(focus)} items of the previous answer are among the "
                    f"{len(table['rows'])} rows of this result.")
        shown = o.get("figures") or []
        items = []
        for r, row in hits[:10]:
            figures = [f"{f['label']} {f['text']}" for f in shown if f.get("row") == r]
            items.append(str(row[0]) + (f" ({', '.join(figures[:2])})" if figures else ""))
        more = f"; and {len(hits) - 10} more" if len(hits) > 10 else ""
        verb = "appears" if len(hits) == 1 else "appear"
        return (f"Of the {len(focus)} items of the previous answer, {len(hits)} {verb} in this result: "
                + "; ".join(items) + more + ".")
    return None


def _is_key(cell: str, keys: set[str]) -> bool:
    if cell in keys:
        return True
    return any(cell.startswith(k + " (") or cell == json.dumps(k, ensure_ascii=False) for k in keys)


def _kind(reply_kind: str | None, outcomes: list[ToolOutcome]) -> AnswerKind:
    if any(o.get("error_kind") == "unknown_name" for o in outcomes):
        return "did_you_mean"
    if outcomes and not any(o.get("ok") for o in outcomes):
        kinds = {o.get("error_kind") for o in outcomes}
        return "answer" if kinds == {"no_data"} else "error"
    if outcomes:
        return "answer"
    if reply_kind in ("answer", "did_you_mean", "refusal", "help", "error"):
        return reply_kind  # type: ignore[return-value]
    return "help"


def _from_outcomes(outcomes: list[ToolOutcome]) -> str:
    parts: list[str] = []
    for o in outcomes:
        if o.get("ok"):
            if o.get("summary"):
                parts.append(o["summary"].strip())
        else:
            parts.append(_error_text(o))
    return "\n\n".join(_dedupe(parts))


def _error_text(o: ToolOutcome) -> str:
    error = o.get("error") or "failed"
    if o.get("error_kind") == "unknown_name":
        return error[0].upper() + error[1:]
    if o.get("error_kind") == "no_data":
        return f"No data: {error}"
    return f"Could not run {o['tool']}: {error}"


def _suggestions(outcomes: list[ToolOutcome]) -> list[str]:
    out: list[str] = []
    for o in outcomes:
        for s in o.get("suggestions") or []:
            if s not in out:
                out.append(s)
    return out


def _record(o: ToolOutcome) -> ToolCallRecord:
    return ToolCallRecord(tool=o["tool"], args=o.get("args") or {}, ok=bool(o.get("ok")),
                          error=None if o.get("ok") else o.get("error"), summary=o.get("summary"),
                          identifiers=dict(o.get("identifiers") or {}))


def _without_evidence(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "evidence"}


def _dedupe(parts: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for p in parts:
        if p and p not in seen:
            seen.add(p)
            out.append(p)
    return out

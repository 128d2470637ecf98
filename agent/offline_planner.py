"""The offline planner: deterministic intent + entities -> tool calls, no model and no network.

1. Help and greetings get the list of what can be asked (each tool's examples).
2. Follow-ups ("and last month?", "what about search?", "by service instead") re-run the previous turn's
   calls with the new period / names / grouping.
3. Otherwise the best intent of `agent.intents.INTENTS` picks the tool; its arguments are filled from
   the entities (`agent.entities`) by field name, then by the tool's hook in `agent.arg_hooks`.
   "Those"/"them" questions inherit the previous turn's period, and the answer says which of the
   previous answer's rows (its keys) appear in the new result.
4. A question it cannot map gets a helpful reply with examples, never a number.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from knowledge.store import Store
from tools.contract import FinopsError, UnknownNameError
from tools.periods import Period, parse_period
from tools.registry import ToolSpec, registry

from agent.arg_hooks import HOOKS, NeedMore
from agent.entities import Entities, NameIndex, extract
from agent.help import help_reply
from agent.intents import GREETING, HELP, THRESHOLD, Intent, ranked
from agent.planning import PlanStep
from agent.state import AgentState, PlannedCall, Turn

# args-model field -> the name kind it takes (any tool whose args have such a field gets it filled)
NAME_FIELDS: dict[str, str] = {
    "team": "team", "service": "service", "provider": "provider", "project": "project", "env": "environment",
    "environment": "environment", "region": "region", "account": "account", "model": "model", "app": "app",
    "prompt_id": "prompt", "prompt": "prompt", "feature": "feature", "customer": "customer",
    "customer_id": "customer", "resource": "resource",
}
GROUP_FIELDS = ("group_by", "by", "dimension")
KIND_DIMENSION = {"environment": "env"}   # name kind -> group-by value, where they differ
FOLLOW_UP = re.compile(r"^(?:and|what about|how about|same (?:for|but|thing|question)|now|ok(?:ay)?|also|then|just|but)\b"
                       r"|^(?:for|in|by|over|during|only|instead)\b")
EARLIER = re.compile(r"\b(?:the )?(?:day|week|month|quarter|year|period) before\b|\bbefore that\b|\bthe one before\b"
                     r"|\bprior (?:day|week|month|quarter|period)\b|\ba (?:week|month) earlier\b")
PRONOUN = re.compile(r"\b(?:this|it|that|its)\b")
SCALABLE = {"unit_costs", "llm_spend"}   # results whose cost can be shown scaled ("at 10x traffic")
REFERENCE = re.compile(r"\b(?:those|these|them|of that|that list|the same|ones)\b")
STRONG = 2.0


class OfflinePlanner:
    name = "offline"

    def plan(self, state: AgentState, store: Store) -> PlanStep:
        if state.get("rounds"):
            return PlanStep(reply={"kind": "answer"})   # one round of calls answers an offline question
        question = state.get("question", "")
        index = NameIndex.for_store(store.con, store.path)
        today = store.today()
        ent = extract(question, index, today)
        return decide(ent, list(state.get("history") or []), registry.all(), today=today)


def decide(ent: Entities, history: list[Turn], specs: list[ToolSpec], *, today: date | None = None) -> PlanStep:
    """The pure decision: tool calls for the question in `ent`, or a reply."""
    by_name = {s.name: s for s in specs}
    text = ent.text
    if not text or HELP.search(text) or GREETING.match(text):
        return PlanStep(reply=help_reply(specs, intro=None if text and not GREETING.match(text) else ""))
    scores = ranked(text, set(by_name), frozenset(h.kind for h in ent.names))
    best = scores[0] if scores and scores[0][0] >= THRESHOLD else None
    prev = next((t for t in reversed(history) if t.get("calls")), None)

    earlier = EARLIER.search(text) is not None
    marked = FOLLOW_UP.match(text) is not None
    follow = prev is not None and (
        (marked and (best is None or best[0] < STRONG or _same_tool(best[1], prev)))
        or (best is None and (ent.period or ent.group_by or ent.names or ent.unknown or earlier))
    )
    if follow and prev is not None:
        # "and for search?" adds to the previous filters; an unmarked "support-bot last week" replaces them
        calls = [_override(by_name[c["tool"]], c.get("args") or {}, ent, today if earlier else None,
                           replace_names=not marked)
                 for c in prev["calls"] if c["tool"] in by_name]
        if calls:
            return _finish(calls, ent, by_name)
    if best is None:
        return PlanStep(reply=help_reply(specs, intro=(
            "I could not map that question to one of my tools, so I have no figure for it. "
            "These are the kinds of questions I can answer:")))
    intent = best[1]
    spec = by_name[intent.tool]
    base: dict[str, Any] = {}
    focus: list[list[str]] = []
    if prev is not None and REFERENCE.search(text):
        base = _inherit(spec, prev)
        focus = _focus(prev)
    elif prev is not None and PRONOUN.search(text) and _same_tool(intent, prev):
        base = next(dict(c.get("args") or {}) for c in prev["calls"] if c["tool"] == intent.tool)
    try:
        arg_sets = fill(spec, intent, ent, base)
    except NeedMore as need:
        return PlanStep(reply=need.reply)
    step = _finish([(spec, args) for args in arg_sets], ent, by_name)
    step.focus = focus
    if ent.multiplier is not None and intent.tool in SCALABLE and step.calls:
        step.scale = str(ent.multiplier)
    return step


def fill(spec: ToolSpec, intent: Intent, ent: Entities, base: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Arguments for `spec` from the question's entities, by field name, then the tool's hook (which may
    ask for several calls, e.g. one per model of a family)."""
    fields = spec.args_model.model_fields
    props = _properties(spec)
    args: dict[str, Any] = {k: v for k, v in (base or {}).items() if k in fields}
    args.update({k: v for k, v in intent.preset.items() if k in fields})
    if "period" in fields and ent.period:
        args["period"] = ent.period
    for gf in GROUP_FIELDS:
        if gf in fields and ent.group_by:
            allowed = _choices(props.get(gf, {}))
            pick = next((g for g in ent.group_by if not allowed or g in allowed), None)
            if pick:
                args[gf] = pick
    compared = _compared_kind(ent)
    if compared is not None:
        gf = next((g for g in GROUP_FIELDS if g in fields), None)
        dim = KIND_DIMENSION.get(compared, compared)
        if gf is not None and dim in _choices(props.get(gf, {})):
            args[gf] = dim                       # "prod vs dev": group by env, filter neither
            ent = _without_kind(ent, compared)
    if "top" in fields and ent.top:
        args["top"] = ent.top
    if "amount" in fields and ent.amounts and "amount" not in args:
        args["amount"] = str(ent.amounts[0])
    used_spans: set[str] = set()
    inherited = set(base or {})
    for hit in ent.names:                       # each name as written fills one field (its first kind)
        fname = next((f for f, k in NAME_FIELDS.items() if k == hit.kind and f in fields), None)
        if fname is None or (fname in args and fname not in inherited) or hit.span in used_spans \
                or not _accepts_str(props.get(fname, {})):
            continue
        inherited.discard(fname)
        args[fname] = hit.name
        used_spans.add(hit.span)
    for kind, raw, _ in ent.unknown:
        fname = next((f for f, k in NAME_FIELDS.items() if k == kind and f in fields and f not in args), None)
        if fname is not None:
            args[fname] = raw   # the tool resolves it and answers "unknown ...; did you mean ...?"
    hook = HOOKS.get(spec.name)
    if hook is None:
        return [args]
    out = hook(args, ent, spec)   # may raise NeedMore
    return out if isinstance(out, list) else [out]


def _finish(calls: list[tuple[ToolSpec, dict[str, Any]]], ent: Entities, by_name: dict[str, ToolSpec]) -> PlanStep:
    planned: list[PlannedCall] = []
    for n, (spec, args) in enumerate(calls):
        # A name the question misspells that no argument of the tool can carry: ask, do not drop it.
        for kind, raw, suggestions in ent.unknown:
            if not any(v == raw for v in args.values()):
                exc = UnknownNameError(kind, raw, suggestions)
                return PlanStep(reply={"kind": "did_you_mean", "text": str(exc)[0].upper() + str(exc)[1:],
                                       "suggestions": suggestions})
        planned.append(PlannedCall(id=f"offline_{n}", tool=spec.name, args=args))
    return PlanStep(calls=planned)


def _compared_kind(ent: Entities) -> str | None:
    """The kind of two or more names compared in the question ("prod vs dev", "search and recsys")."""
    if not re.search(r"\bvs\.?\b|\bversus\b|\bcompared? (?:to|with)\b|\band\b|\bor\b", ent.text):
        return None
    for kind in dict.fromkeys(h.kind for h in ent.names):
        if len({h.name for h in ent.names if h.kind == kind}) >= 2:
            return kind
    return None


def _without_kind(ent: Entities, kind: str) -> Entities:
    return replace(ent, names=[h for h in ent.names if h.kind != kind])


def _override(spec: ToolSpec, prev_args: dict[str, Any], ent: Entities, earlier_than: date | None = None,
              *, replace_names: bool = False) -> tuple[ToolSpec, dict[str, Any]]:
    """The previous call with what the follow-up changes: period ("the week before": the period before
    the previous one, relative to `earlier_than` = today), grouping, names (added to the previous
    filters, or replacing them), top."""
    fields = spec.args_model.model_fields
    props = _properties(spec)
    args = dict(prev_args)
    if replace_names and (ent.names or ent.unknown):
        args = {k: v for k, v in args.items() if k not in NAME_FIELDS}
    if "period" in fields and ent.period:
        args["period"] = ent.period
    elif "period" in fields and earlier_than is not None:
        shown = spec.args_model.model_fields["period"].default
        try:
            before = period_before(parse_period(args.get("period") or shown, earlier_than), ent.text)
        except FinopsError:
            before = None
        if before is not None:
            args["period"] = f"{before.start.isoformat()}..{before.last_day.isoformat()}"
    for gf in GROUP_FIELDS:
        if gf in fields and ent.group_by:
            allowed = _choices(props.get(gf, {}))
            pick = next((g for g in ent.group_by if not allowed or g in allowed), None)
            if pick:
                args[gf] = pick
    if "top" in fields and ent.top:
        args["top"] = ent.top
    for fname, kind in NAME_FIELDS.items():
        found = ent.first(kind)
        if fname in fields and found is not None and _accepts_str(props.get(fname, {})):
            args[fname] = found
    for kind, raw, _ in ent.unknown:
        fname = next((f for f, k in NAME_FIELDS.items() if k == kind and f in fields), None)
        if fname is not None:
            args[fname] = raw
    return spec, args


def period_before(period: Period, text: str) -> Period:
    """"The week before" / "the day before" / "the month before" a period, or the period of the same
    length just before it ("before that", "the one before")."""
    m = re.search(r"\b(day|week|month)s? before\b|\bprior (day|week|month)\b|\ba (week|month) earlier\b", text)
    unit = next((g for g in m.groups() if g), None) if m else None
    if unit == "day":
        return Period(start=period.start - timedelta(days=1), end=period.start, label="the day before")
    if unit == "week":
        return Period(start=period.start - timedelta(days=7), end=period.start, label="the week before")
    if unit == "month" and period.days < 28:
        start = (period.start.replace(day=1) - timedelta(days=1)).replace(day=1)
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return Period(start=start, end=end, label=start.strftime("%B %Y"))
    return period.previous()


def _inherit(spec: ToolSpec, prev: Turn) -> dict[str, Any]:
    """What a "those"/"them" question takes from the previous turn: its period, and the longest list the
    tool can give (so the rows of "those" are more likely among the rows it returns)."""
    fields = spec.args_model.model_fields
    out: dict[str, Any] = {}
    for call in prev.get("calls") or []:
        period = (call.get("args") or {}).get("period")
        if period and "period" in fields:
            out["period"] = period
            break
    top = _properties(spec).get("top", {})
    if "top" in fields and isinstance(top.get("maximum"), int):
        out["top"] = top["maximum"]
    return out


def _focus(prev: Turn) -> list[list[str]]:
    return [k if isinstance(k, list) else [str(k)] for k in prev.get("keys") or [] if k]


def _same_tool(intent: Intent, prev: Turn) -> bool:
    return any(c["tool"] == intent.tool for c in prev.get("calls") or [])


def _properties(spec: ToolSpec) -> dict[str, Any]:
    return spec.args_model.model_json_schema().get("properties", {})


def _choices(prop: dict[str, Any]) -> list[str]:
    if "enum" in prop:
        return list(prop["enum"])
    for alt in prop.get("anyOf", []):
        if "enum" in alt:
            return list(alt["enum"])
    return []


def _accepts_str(prop: dict[str, Any]) -> bool:
    types = {prop.get("type")} | {a.get("type") for a in prop.get("anyOf", [])}
    return "string" in types or not (types - {None})

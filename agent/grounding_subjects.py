"""Grounding a model's answer with its subjects: a figure must come from a tool result *about the thing
the sentence says it is about*, and every name (a team, an email, a Slack channel, a resource id) must
come from a tool result or the question.

A tool result is read as contexts: each JSON object is one context, with the figures directly in it and
the subjects it is about (its own names — team, key, name, resource_id, service, model, owner … — and the
names of the objects around it, except across a list: a list's items are siblings, not parts of one
another). The tool call's filters (team=search) are subjects of everything in its result. A tool's
summary is read clause by clause, and its table row by row.

A claim in the model's text is supported when some context holding its figure is about every subject the
claim's clause names. "Team search spent $1.4M" fails when $1.4M is the company total (a context about no
team) or research's row. With no successful tool result, no figure is supported (except small counts and
what the question itself says). Fail-closed: an answer that does not pass is recomposed from the results.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from agent.grounding import SMALL_COUNT, Claim, GroundingReport, _dates_supported, claims, supported

ENTITY_KEYS = {"team", "x_team", "owner_team", "key", "name", "resource_id", "resource_name", "service",
               "service_name", "provider", "model", "owner", "account", "scope", "app", "endpoint",
               "endpoint_id", "job_id", "prompt_id", "sku_id", "slack_channel", "option", "kind"}
ARG_SUBJECT_KEYS = {"team", "service", "provider", "model", "account", "app", "endpoint"}
_MONEY_KEYS = ("cost", "spend", "spent", "billed", "amount", "total", "price", "saving", "budget", "left", "usd",
               "rate", "effective", "forecast", "p10", "p90", "value", "delta", "change", "charge")
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}(-\d{2})?([ T].*)?$|^\d{4}-W\d{1,2}$")
_CLAUSE_SPLIT = re.compile(
    r"(?<=[.;:!?])\s+|\n+|,\s+|\s+(?:and|but|while|whereas|vs\.?|versus|than|compared (?:to|with)|ahead of|"
    r"of which|followed by)\s+", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_CHANNEL = re.compile(r"(?<![\w&])#[a-z0-9][a-z0-9_.-]*[a-z0-9]", re.IGNORECASE)
_IDENT = re.compile(r"\barn:[^\s,;)\"'`]+|\bi-[0-9a-f]{8,17}\b|//[a-z0-9.-]+\.googleapis\.com/[^\s,;)\"'`]+",
                    re.IGNORECASE)
_TEAM_NAMED = re.compile(r"\bteam\s+[\"'`*_]*([A-Za-z0-9][A-Za-z0-9_-]*)", re.IGNORECASE)
_NOT_TEAM_NAMES = {
    "the", "a", "an", "is", "was", "has", "had", "with", "budget", "budgets", "level", "tag", "tags", "spend",
    "spending", "name", "names", "total", "totals", "member", "members", "that", "which", "who", "and", "or",
    "of", "in", "on", "for", "to", "by", "breakdown", "lead", "leads", "channel", "channels", "owner", "owners",
    "cost", "costs", "tagging", "id", "ids", "rows", "row", "wide", "it", "its", "as", "at", "from", "are",
    "were", "will", "would", "can", "could", "should", "may", "might", "also", "not", "no", "each", "every",
    "responsible", "owning", "approvers", "approver", "table", "registry", "mapping", "s",
}


@dataclass
class Context:
    subjects: frozenset[str]
    numbers: set[Decimal] = field(default_factory=set)
    money: set[Decimal] = field(default_factory=set)


def _num(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        try:
            return abs(Decimal(str(value)))
        except InvalidOperation:
            return None
    if isinstance(value, str):
        try:
            return abs(Decimal(value))
        except (InvalidOperation, ValueError):
            return None
    return None


def _entity(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) < 2 or len(text) > 300 or not re.search(r"[A-Za-z]", text) or _DATE_LIKE.match(text):
        return None
    return text.lower()


def _args_subjects(args: dict[str, Any] | None) -> frozenset[str]:
    out = set()
    for key, value in (args or {}).items():
        if str(key).lower() in ARG_SUBJECT_KEYS:
            name = _entity(value)
            if name:
                out.add(name)
    return frozenset(out)


def _money_key(key: str) -> bool:
    return any(w in key for w in _MONEY_KEYS) and not any(w in key for w in ("pct", "share", "ratio", "count", "charges"))


def _walk(node: Any, inherited: frozenset[str], base: frozenset[str], out: list[Context]) -> None:
    if not isinstance(node, dict):
        return
    own = {e for k, v in node.items() if str(k).lower() in ENTITY_KEYS and (e := _entity(v))}
    ctx = Context(subjects=inherited | own)
    out.append(ctx)
    for key, value in node.items():
        k = str(key).lower()
        if isinstance(value, dict):
            _walk(value, ctx.subjects, base, out)
        elif isinstance(value, (list, tuple)):
            ctx.numbers.add(Decimal(len(value)))
            for item in value:
                if isinstance(item, dict):
                    _walk(item, base, base, out)
                else:
                    for n in _flat_numbers(item):
                        ctx.numbers.add(n)
                        if _money_key(k):
                            ctx.money.add(n)
        else:
            num = _num(value)
            if num is not None:
                ctx.numbers.add(num)
                if _money_key(k):
                    ctx.money.add(num)
            elif isinstance(value, str):
                for c in claims(value):
                    _add_claim(ctx, c)


def _flat_numbers(value: Any) -> list[Decimal]:
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _flat_numbers(v)]
    n = _num(value)
    return [] if n is None else [n]


def _add_claim(ctx: Context, c: Claim) -> None:
    value = c.value * c.scale
    ctx.numbers.add(value)
    if c.percent:
        ctx.numbers.add(value / 100)
    if c.money:
        ctx.money.add(value)


class Universe:
    """The subject names the tool results know, and where a text mentions them."""

    def __init__(self, names: Iterable[str]):
        self.names = {n for n in names if n}
        alternation = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<![\w\-/.:@#])(?:{alternation})(?![\w\-/:@])", re.IGNORECASE) \
            if alternation else None

    def mentions(self, text: str) -> set[str]:
        found = {m.group(0).lower() for m in self._pattern.finditer(text)} if self._pattern else set()
        for m in _TEAM_NAMED.finditer(text):
            name = m.group(1).lower()
            if name not in _NOT_TEAM_NAMES:
                found.add(name)
        return found


def contexts(outcomes: Iterable[Mapping[str, Any]]) -> tuple[list[Context], Universe]:
    """The contexts of the successful tool outcomes, and the universe of subject names they know."""
    ok = [o for o in outcomes if o.get("ok")]
    out: list[Context] = []
    for o in ok:
        base = _args_subjects(o.get("args"))
        result = o.get("result")
        if isinstance(result, dict):
            _walk({k: v for k, v in result.items() if k != "evidence"}, base, base, out)
        table = o.get("table") or {}
        for row in table.get("rows") or []:
            ctx = Context(subjects=base | {e for cell in row if (e := _entity(cell)) and _num(cell) is None})
            for cell in row:
                n = _num(cell)
                if n is not None:
                    ctx.numbers.add(n)
                elif isinstance(cell, str):
                    for c in claims(cell):
                        _add_claim(ctx, c)
            out.append(ctx)
    names: set[str] = set()
    for ctx in out:
        names |= ctx.subjects
    universe = Universe(names)
    for o in ok:                        # summaries, clause by clause, with the subjects each clause names
        base = _args_subjects(o.get("args"))
        for clause in _CLAUSE_SPLIT.split(o.get("summary") or ""):
            ctx = Context(subjects=base | frozenset(universe.mentions(clause) & universe.names))
            for c in claims(clause):
                _add_claim(ctx, c)
            if ctx.numbers:
                out.append(ctx)
    return out, universe


def _clause_at(text: str, pos: int) -> str:
    start = 0
    for m in _CLAUSE_SPLIT.finditer(text):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            return text[start:m.start()]
    return text[start:]


def _corpus(outcomes: Iterable[Mapping[str, Any]], question: str) -> str:
    parts = [question]

    def walk(v: Any) -> None:
        if isinstance(v, str):
            parts.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    for o in outcomes:
        if o.get("ok"):
            walk(o.get("result"))
            walk(o.get("summary"))
            walk(o.get("table"))
            walk(o.get("args"))
    return "\n".join(parts).lower()


def check_answer(text: str, outcomes: Iterable[Mapping[str, Any]], question: str = "") -> GroundingReport:
    """Is every figure of `text` in a tool result about the same subject, and every name in a result?"""
    outcomes = [o for o in outcomes if o.get("ok")]
    ctxs, universe = contexts(outcomes)
    asked = Context(subjects=frozenset())
    for c in claims(question):
        _add_claim(asked, c)
    corpus = _corpus(outcomes, question)
    bad: list[str] = []
    found = claims(text)
    for claim in found:
        if supported(claim, asked.numbers):
            continue                                 # the user said it
        if not claim.money and not claim.percent and claim.scale == 1 and claim.decimals == 0 \
                and claim.value <= SMALL_COUNT:
            continue                                 # a small count ("top 3")
        clause = _clause_at(text, claim.start) if claim.start >= 0 else text
        about = universe.mentions(clause)
        candidates = [x for x in ctxs if about <= x.subjects]
        zero_money = claim.money and claim.value == 0
        numbers: set[Decimal] = set()
        for x in candidates:       # "$0" needs a money figure that is exactly zero, not one that rounds to it
            numbers |= {n for n in x.money if n == 0} if zero_money else x.numbers
        if not supported(claim, numbers):
            bad.append(claim.raw if not about else f"{claim.raw} (about {', '.join(sorted(about))})")
    bad += _names_unsupported(text, universe, corpus)
    dates_ok, bad_dates = _dates_supported(text, [o.get("result") for o in outcomes] +
                                           [o.get("summary") for o in outcomes], question)
    return GroundingReport(grounded=not bad and dates_ok, unsupported=bad + bad_dates, checked=len(found))


def _names_unsupported(text: str, universe: Universe, corpus: str) -> list[str]:
    """Emails, Slack channels, resource ids and team names the text states that no result (or the
    question) holds."""
    bad: list[str] = []
    for pattern in (_EMAIL, _CHANNEL, _IDENT):
        for m in pattern.finditer(text):
            name = m.group(0).rstrip(".").lower()
            if name not in corpus and name not in bad:
                bad.append(m.group(0).rstrip("."))
    for m in _TEAM_NAMED.finditer(text):
        name = m.group(1).lower()
        if name in _NOT_TEAM_NAMES:
            continue
        if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", corpus) and f"team {name}" not in bad:
            bad.append(f"team {m.group(1)}")
    return bad

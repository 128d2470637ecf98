"""The grounding check: every number a model writes must come from a tool result (or the question).

Numbers are compared after formatting normalisation: "$20,160.00", "$20.2K", "20160" and "20,160" are
the same figure at different display precisions; "12.3%" matches a share of 0.1234. A claim matches a
source value when the value, shown at the claim's precision and unit, gives the claim.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, Field

_SCALES = {"k": Decimal(1000), "thousand": Decimal(1000), "m": Decimal(10**6), "mm": Decimal(10**6),
           "million": Decimal(10**6), "b": Decimal(10**9), "bn": Decimal(10**9), "billion": Decimal(10**9)}
_NUMBER = re.compile(
    r"(?P<cur>\$|usd\s?|€|£)?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s?(?P<suffix>%|percent\b|k\b|thousand\b|mm\b|m\b|million\b|bn\b|b\b|billion\b|x\b|×))?",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?\b")
_ISO_WEEK = re.compile(r"\b\d{4}-W\d{1,2}\b", re.IGNORECASE)
_MONTH_NAMES = "|".join(sorted((n for n in list(calendar.month_name)[1:] + list(calendar.month_abbr)[1:]), key=len, reverse=True))
_MONTH_DAY = re.compile(rf"\b(?:{_MONTH_NAMES})\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?\b|\b\d{{1,2}} (?:{_MONTH_NAMES})(?: \d{{4}})?\b")
_LIST_MARK = re.compile(r"^\s*(?:\d+[.)]|#\d+)\s", re.MULTILINE)
_UNIT_WORDS = re.compile(r"\b(?:per|every|each|/)\s*(?:1,000|1000|1k|1m|1,000,000|100|1)\b", re.IGNORECASE)
# Numbers a sentence may use without a source: small counts ("top 3"), and units of measure.
SMALL_COUNT = 10


@dataclass(frozen=True)
class Claim:
    raw: str
    value: Decimal          # the number as written, before its scale ("20.2" of "$20.2K")
    decimals: int
    scale: Decimal
    percent: bool
    money: bool


class GroundingReport(BaseModel):
    grounded: bool
    unsupported: list[str] = Field(default_factory=list)
    checked: int = 0


def claims(text: str) -> list[Claim]:
    """The numeric claims in a text, skipping identifiers (gpt-4o, H100, us-east-1, p5.48xlarge),
    dates, list markers and units of measure ("per 1K calls")."""
    text = _ISO_DATE.sub(" ", text)
    text = _ISO_WEEK.sub(" ", text)
    text = _MONTH_DAY.sub(" ", text)
    text = _LIST_MARK.sub(" ", text)
    text = _UNIT_WORDS.sub(" ", text)
    out: list[Claim] = []
    for m in _NUMBER.finditer(text):
        start, end = m.start(), m.end()
        before = text[start - 1] if start > 0 else " "
        before2 = text[start - 2] if start > 1 else " "
        after = text[end] if end < len(text) else " "
        if before.isalnum() or before in "._/:#@" or (before == "-" and before2.isalnum()):
            continue
        if after.isalnum() or after == "_" or (after in "-." and end + 1 < len(text) and text[end + 1].isalnum()):
            continue
        frac = m.group("frac") or ""
        suffix = (m.group("suffix") or "").lower()
        value = Decimal(m.group("num").replace(",", "") + frac)
        percent = suffix in ("%", "percent")
        scale = _SCALES.get(suffix, Decimal(1))
        out.append(Claim(raw=m.group(0).strip(), value=value, decimals=max(0, len(frac) - 1), scale=scale,
                         percent=percent, money=bool(m.group("cur"))))
    return out


def source_numbers(sources: Iterable[Any]) -> set[Decimal]:
    """Every number in tool results (JSON leaves, numeric strings, numbers inside summary text and table
    cells) plus list lengths (row counts)."""
    found: set[Decimal] = set()

    def walk(value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float, Decimal)):
            _add(found, value)
        elif isinstance(value, str):
            try:
                found.add(abs(Decimal(value)))
            except (InvalidOperation, ValueError):
                for c in claims(value):
                    found.add(c.value * c.scale)
                    if c.percent:
                        found.add(c.value / 100)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            found.add(Decimal(len(value)))
            for v in value:
                walk(v)
        elif isinstance(value, BaseModel):
            walk(value.model_dump(mode="json"))

    for s in sources:
        walk(s)
    return found


def _add(found: set[Decimal], value: int | float | Decimal) -> None:
    try:
        found.add(abs(Decimal(str(value))))
    except InvalidOperation:
        pass


def supported(claim: Claim, numbers: set[Decimal]) -> bool:
    if not claim.money and not claim.percent and claim.scale == 1 and claim.decimals == 0 and claim.value <= SMALL_COUNT:
        return True
    tol = Decimal("0.5") * Decimal(10) ** -claim.decimals + Decimal("1e-9")
    for v in numbers:
        candidates = (v * 100, v) if claim.percent else (v,)
        for c in candidates:
            if abs(c / claim.scale - claim.value) <= tol:
                return True
    return False


def check(text: str, sources: Iterable[Any], question: str = "") -> GroundingReport:
    """Is every number in `text` supported by `sources` (tool results) or the question itself?"""
    sources = list(sources)
    numbers = source_numbers([*sources, question])
    found = claims(text)
    bad = [c.raw for c in found if not supported(c, numbers)]
    dates_ok, bad_dates = _dates_supported(text, sources, question)
    return GroundingReport(grounded=not bad and dates_ok, unsupported=bad + bad_dates, checked=len(found))


def _dates_supported(text: str, sources: Iterable[Any], question: str) -> tuple[bool, list[str]]:
    corpus = question + " " + " ".join(_flatten_strings(sources))
    bad = [d for d in (m.group(0)[:10] for m in _ISO_DATE.finditer(text)) if d not in corpus]
    return not bad, bad


def _flatten_strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flatten_strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _flatten_strings(v)
    elif isinstance(value, BaseModel):
        yield from _flatten_strings(value.model_dump(mode="json"))

"""The grounding check: every number a model writes must come from a tool result (or the question).

Numbers are compared after formatting normalisation: "$20,160.00", "$20.2K", "20160" and "20,160" are
the same figure at different display precisions; "12.3%" matches a share of 0.1234. A claim matches a
source value when the value, shown at the claim's precision and unit, gives the claim.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, Field

_SCALES = {"k": Decimal(1000), "thousand": Decimal(1000), "m": Decimal(10**6), "mm": Decimal(10**6),
           "million": Decimal(10**6), "b": Decimal(10**9), "bn": Decimal(10**9), "billion": Decimal(10**9)}
# A figure in any of the ways money is written: $1,234.56, US$9,999,999, USD 5, 9999999USD, 20160 dollars,
# $4.2e6, $9.999.999,00 (dot thousands, comma decimals), $20.2K, 12.3%, 3x.
_NUMBER = re.compile(
    r"(?P<cur>US\$|U\.S\.\s?\$|(?:USD|EUR|GBP)\s?|(?-i:[A-Z])\$|\$|€|£)?"
    r"(?P<num>\d+(?:[.,]\d+)*)(?P<exp>[eE][+-]?\d{1,3}(?![\d]))?"
    r"(?:\s?(?P<suffix>%|percent\b|k\b|thousand\b|mm\b|m\b|million\b|bn\b|b\b|billion\b|x\b|×))?"
    r"(?:\s?(?P<post>USD|EUR|dollars?|bucks|euros?)\b)?",
    re.IGNORECASE,
)
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_WORD_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_WORD = "|".join(sorted([*_NUMBER_WORDS, *_WORD_SCALES], key=len, reverse=True))
_WORDS_FIGURE = re.compile(
    rf"\b(?:an?\s+)?(?:{_WORD})(?:(?:\s+|-|\s+and\s+)(?:{_WORD}))*\b(?:\s+(?P<post>dollars?|usd|bucks|percent))?",
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
    start: int = -1         # where the claim starts in the text


class GroundingReport(BaseModel):
    grounded: bool
    unsupported: list[str] = Field(default_factory=list)
    checked: int = 0


def claims(text: str) -> list[Claim]:
    """The numeric claims in a text, skipping identifiers (gpt-4o, H100, us-east-1, p5.48xlarge),
    dates, list markers and units of measure ("per 1K calls"). Figures in other currencies' or
    countries' notation and in words ("nine million dollars") are claims too."""
    for pattern in (_ISO_DATE, _ISO_WEEK, _MONTH_DAY, _LIST_MARK, _UNIT_WORDS):
        text = pattern.sub(_blank, text)          # same length: claim positions are positions in the text
    out: list[Claim] = []
    for m in _NUMBER.finditer(text):
        start, end = m.start(), m.end()
        before = text[start - 1] if start > 0 else " "
        before2 = text[start - 2] if start > 1 else " "
        after = text[end] if end < len(text) else " "
        if not m.group("cur"):        # a currency sign makes it a figure wherever it stands ("spent$5M")
            if before.isalnum() or before in "._/:#@" or (before == "-" and before2.isalnum()):
                continue
            if after.isalnum() or after == "_" or (after in "-." and end + 1 < len(text) and text[end + 1].isalnum()):
                continue
        value, decimals = _read_number(m.group("num"))
        if m.group("exp"):
            value, decimals = value * Decimal(10) ** int(m.group("exp")[1:]), 0
        suffix = (m.group("suffix") or "").lower()
        percent = suffix in ("%", "percent")
        scale = _SCALES.get(suffix, Decimal(1))
        out.append(Claim(raw=m.group(0).strip(), value=value, decimals=decimals, scale=scale,
                         percent=percent, money=bool(m.group("cur") or m.group("post")), start=start))
    out.extend(_word_claims(text))
    return out


def normalize(text: str) -> str:
    """The text a person sees, in one form: Unicode NFKC (full-width digits and signs become ASCII) and
    no invisible format characters (zero-width spaces, bidi marks) that could split or hide a figure."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _blank(m: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", m.group(0))


def _read_number(num: str) -> tuple[Decimal, int]:
    """The value and decimal places of a written number: 1,234.56 / 1.234,56 / 9.999.999 / 4,2 / 4.2."""
    seps = [ch for ch in num if ch in ".,"]
    if not seps:
        return Decimal(num), 0
    if "." in seps and "," in seps:
        decimal_sep = num[max(num.rfind("."), num.rfind(","))]
    elif len(seps) > 1:                   # 9,999,999 or 9.999.999: grouping only
        decimal_sep = None
    else:                                 # one separator: 1,234 groups thousands; 4,2 and 4.2 are decimals
        sep = seps[0]
        head, tail = num.split(sep)
        decimal_sep = None if (sep == "," and len(tail) == 3 and len(head) <= 3) else sep
    if decimal_sep is None:
        return Decimal(num.replace(",", "").replace(".", "")), 0
    whole, frac = num.rsplit(decimal_sep, 1)
    whole = whole.replace(",", "").replace(".", "")
    return Decimal(f"{whole}.{frac}"), len(frac)


def _word_claims(text: str) -> list[Claim]:
    """Figures written in words: "nine million dollars", "a hundred thousand", "twenty percent"."""
    out: list[Claim] = []
    for m in _WORDS_FIGURE.finditer(text):
        words = re.findall(r"[a-z]+", m.group(0).lower())
        post = (m.group("post") or "").lower()
        total, current, scaled = 0, 0, False
        for w in words:
            if w in ("a", "an"):
                current = max(current, 1)
            elif w in _NUMBER_WORDS:
                current += _NUMBER_WORDS[w]
            elif w == "hundred":
                current, scaled = max(current, 1) * 100, True
            elif w in _WORD_SCALES:
                total, current, scaled = total + max(current, 1) * _WORD_SCALES[w], 0, True
        value = Decimal(total + current)
        if not (scaled or post or value > SMALL_COUNT):
            continue                      # "one of the teams", "two services": small counts in prose
        out.append(Claim(raw=m.group(0).strip(), value=value, decimals=0, scale=Decimal(1),
                         percent=post == "percent", money=post in ("dollar", "dollars", "usd", "bucks"),
                         start=m.start()))
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

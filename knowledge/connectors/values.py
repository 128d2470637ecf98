"""Typed values from provider records, with the reason a value is refused.

Every function takes the record (a dict) and a field name, and raises `BadValue` with a one-line
reason ("input_tokens is missing", "amount: not a decimal number 'abc'"). Money is Decimal (from JSON
numbers parsed with parse_float=Decimal, or decimal strings), never float. Times are naive UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, overload

from knowledge.ingest.limits import MAX_BIGINT, MAX_DECIMAL_DIGITS, RANGE_TEXT, in_range

MISSING = object()


class BadValue(ValueError):
    """A value a record cannot be loaded with; the message is the quarantine reason."""


def shown(value: Any) -> str:
    text = str(value)
    return "'" + (text if len(text) <= 40 else text[:37] + "...") + "'"


def get(record: dict, key: str) -> Any:
    """The value at `key`; dotted keys walk nested objects ('amount.value'); MISSING when absent."""
    if "." not in key:
        return record.get(key, MISSING) if isinstance(record, dict) else MISSING
    cur: Any = record
    for part in key.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return MISSING
        cur = cur[part]
    return cur


@overload
def text(record: dict, key: str, *, required: Literal[True]) -> str: ...
@overload
def text(record: dict, key: str, *, required: bool = False) -> str | None: ...
def text(record: dict, key: str, *, required: bool = False) -> str | None:
    v = get(record, key)
    if v is MISSING or v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise BadValue(f"{key} is missing")
        return None
    if isinstance(v, (dict, list)):
        raise BadValue(f"{key}: not a text value")
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).strip()


@overload
def count(record: dict, key: str, *, required: Literal[True]) -> int: ...
@overload
def count(record: dict, key: str, *, required: bool = False) -> int | None: ...
def count(record: dict, key: str, *, required: bool = False) -> int | None:
    """A non-negative whole number (tokens, requests): a JSON integer, or a decimal with no fraction."""
    v = get(record, key)
    if v is MISSING or v is None:
        if required:
            raise BadValue(f"{key} is missing")
        return None
    if isinstance(v, bool):
        raise BadValue(f"{key}: not a whole number {shown(v)}")
    if isinstance(v, Decimal):
        if not v.is_finite() or v != v.to_integral_value():
            raise BadValue(f"{key}: not a whole number {shown(v)}")
        v = int(v)
    if isinstance(v, str):
        try:
            v = int(v.strip())
        except ValueError:
            raise BadValue(f"{key}: not a whole number {shown(v)}") from None
    if not isinstance(v, int):
        raise BadValue(f"{key}: not a whole number {shown(v)}")
    if v < 0:
        raise BadValue(f"{key} is negative: {v}")
    if v > MAX_BIGINT:
        raise BadValue(f"{key}: {shown(v)} is too large (at most 2^63 - 1)")
    return v


@overload
def decimal(record: dict, key: str, *, required: Literal[True]) -> Decimal: ...
@overload
def decimal(record: dict, key: str, *, required: bool = False) -> Decimal | None: ...
def decimal(record: dict, key: str, *, required: bool = False) -> Decimal | None:
    """An exact decimal from a JSON number (already Decimal/int) or a decimal string ('123.78912')."""
    v = get(record, key)
    if v is MISSING or v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise BadValue(f"{key} is missing")
        return None
    if isinstance(v, bool) or isinstance(v, (dict, list)):
        raise BadValue(f"{key}: not a decimal number {shown(v)}")
    if isinstance(v, float):  # never produced by our parsers; refuse rather than round
        raise BadValue(f"{key}: a binary float {shown(v)}, not an exact decimal")
    try:
        d = v if isinstance(v, Decimal) else Decimal(str(v).strip())
    except InvalidOperation:
        raise BadValue(f"{key}: not a decimal number {shown(v)}") from None
    if not d.is_finite():
        raise BadValue(f"{key}: not a finite number {shown(v)}")
    if d != 0 and d.adjusted() >= MAX_DECIMAL_DIGITS:
        raise BadValue(f"{key}: {shown(v)} is too large (at most {MAX_DECIMAL_DIGITS} digits before the point)")
    return d


def checked_time(t: datetime, key: str, value: Any = None) -> datetime:
    """`t` (naive UTC) if its year is within the range billing data can have, else BadValue."""
    if not in_range(t):
        raise BadValue(f"{key}: date out of range ({RANGE_TEXT}) {shown(value if value is not None else t)}")
    return t


def flag(record: dict, key: str) -> bool | None:
    v = get(record, key)
    if v is MISSING or v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    raise BadValue(f"{key}: not true/false {shown(v)}")


def unix_time(record: dict, key: str) -> datetime:
    """Unix seconds (UTC), as the OpenAI Usage and Costs APIs send bucket bounds."""
    v = get(record, key)
    if v is MISSING or v is None:
        raise BadValue(f"{key} is missing")
    if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
        raise BadValue(f"{key}: not Unix seconds {shown(v)}")
    try:
        t = datetime.fromtimestamp(int(v), UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError, InvalidOperation):
        raise BadValue(f"{key}: date out of range ({RANGE_TEXT}) {shown(v)}") from None
    return checked_time(t, key, v)


@overload
def rfc3339(record: dict, key: str, *, required: Literal[True] = True) -> datetime: ...
@overload
def rfc3339(record: dict, key: str, *, required: bool) -> datetime | None: ...
def rfc3339(record: dict, key: str, *, required: bool = True) -> datetime | None:
    """An RFC 3339 time with a zone ('2025-08-01T00:00:00Z'), as naive UTC."""
    v = get(record, key)
    if v is MISSING or v is None or v == "":
        if required:
            raise BadValue(f"{key} is missing")
        return None
    if not isinstance(v, str):
        raise BadValue(f"{key}: not an RFC 3339 time {shown(v)}")
    return parse_time(v, key)


def parse_time(value: str, key: str, *, assume_utc: bool = False) -> datetime:
    s = value.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        if _looks_out_of_range(s):
            raise BadValue(f"{key}: date out of range ({RANGE_TEXT}) {shown(value)}") from None
        raise BadValue(f"{key}: not an RFC 3339 time {shown(value)}") from None
    if t.tzinfo is None:
        if not assume_utc:
            raise BadValue(f"{key}: time {shown(value)} has no time zone")
        return checked_time(t, key, value)
    try:
        t = t.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise BadValue(f"{key}: date out of range ({RANGE_TEXT}) {shown(value)}") from None
    return checked_time(t, key, value)


def _looks_out_of_range(s: str) -> bool:
    low = s.strip().lower()
    head = low.lstrip("+-").split("-", 1)[0]
    return low.lstrip("+-") in ("infinity", "inf") or low == "epoch" or "(bc)" in low or (head.isdigit() and len(head) > 4)

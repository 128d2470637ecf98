"""SQL fragments and checks shared by the cost tools.

Everything here keeps to docs/architecture.md, "Portable SQL": the few DuckDB-specific constructs a tool needs (percentiles,
listing the keys of a tag map) live in one helper each, so a transpiler has one place to change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from knowledge.semantic.dialect import percentile, tag_keys_sql
from tools.contract import NoDataError

__all__ = ["percentile", "tag_keys_sql"]
from tools.periods import Period

if TYPE_CHECKING:  # pragma: no cover - import for type hints only
    from tools.registry import ToolContext

# Charges whose ChargePeriodStart falls inside a half-open period; params: period_params(p).
CHARGE_IN_PERIOD = "ChargePeriodStart >= ? AND ChargePeriodStart < ?"
# LLM calls whose timestamp falls inside a half-open period; params: period_params(p).
CALL_IN_PERIOD = "ts >= ? AND ts < ?"

# The ownership sources and the confidence each carries (mirrors the `resource_owners` view:
# ownership rule 0.9, endpoint metadata 0.8, GPU job 0.7; a team tag on the charge itself is 1.0).
CONFIDENCE_TAG = Decimal("1.0")
CONFIDENCE_RULE = Decimal("0.9")
CONFIDENCE_ENDPOINT = Decimal("0.8")
CONFIDENCE_JOB = Decimal("0.7")
CONFIDENCE_HINT_TAG = Decimal("0.5")  # an owner-like tag that is not `team` (business_unit, CostCenter, ...)

MONTH_DAYS = 30  # "per month" in run rates and savings means 30 days; stated in every arithmetic line


def day_start(d: date) -> datetime:
    return datetime.combine(d, time())


def period_params(period: Period) -> list[datetime]:
    """[start, end) of a period as naive UTC timestamps, for CHARGE_IN_PERIOD / CALL_IN_PERIOD."""
    return [day_start(period.start), day_start(period.end)]


def during(period: Period) -> str:
    """'in last week (2026-11-16 to 2026-11-22)', 'yesterday (2026-11-24)': a period inside a sentence."""
    dates = period.start.isoformat() if period.days == 1 else f"{period.start.isoformat()} to {period.last_day.isoformat()}"
    if period.label in ("yesterday", "today"):
        return f"{period.label} ({dates})"
    if period.label == period.start.isoformat() and period.days == 1:
        return f"on {dates}"
    if period.label == dates:           # '2026-11-03 to 2026-11-10': the dates are said once
        return f"from {dates}"
    return f"in {period.label} ({dates})"


def top_n_sql(grouped: str, rank_by: list[str], sums: list[str], extra: str = "", ascending: bool = False) -> str:
    """Fold the groups of CTE `g` (key column `k`) beyond the top N into one 'other' slot.

    `grouped` is a `WITH ... g AS (...)` prefix; groups are ranked by the `rank_by` expressions (each
    descending, then k; `ascending`: smallest first, for "who spent the least"). `extra` adds aggregate columns (e.g. "min(nm) AS nm,").
    The NULL key keeps its own slot 0 (unallocated / none: never folded into "other"); slots 1..N are
    the top N; slot N+1 is everything else. Params after those of `grouped`: [N, N + 1].
    Output columns: slot, key (VARCHAR), folded (how many keys the slot holds), then sum(c) AS c for `sums`.
    The top N come from ORDER BY … LIMIT (a heap of N, not a numbering of every group: 2x faster with 337K
    resources); every group then takes its slot from one LEFT JOIN with them (slot 0 for the NULL key, N+1
    for the rest), so listed + other = total, from the same sums. `g` is read once unfiltered: when every
    reader of a CTE filters it, DuckDB pushes the OR of their filters (here k IS NULL OR k IS NOT NULL, true
    for every row) down into the scan of the bill and evaluates it per charge.
    """
    sum_cols = ", ".join(f"sum({c}) AS {c}" for c in sums)
    order = ", ".join(f"{e} {'ASC' if ascending else 'DESC'}" for e in rank_by)
    return f"""{grouped},
        listed AS (
            SELECT k, row_number() OVER (ORDER BY {order}, k) AS slot
            FROM (SELECT * FROM g WHERE k IS NOT NULL ORDER BY {order}, k LIMIT ?) AS top
        ),
        slotted AS (
            SELECT g.*, CASE WHEN g.k IS NULL THEN 0 ELSE coalesce(listed.slot, ?) END AS slot
            FROM g LEFT JOIN listed ON listed.k = g.k
        )
        SELECT slot, CAST(min(k) AS VARCHAR) AS key, count(*) AS folded, {extra} {sum_cols}
        FROM slotted
        GROUP BY slot
        ORDER BY slot"""


def owner_hits_sql(resources: str) -> str:
    """The owner of each resource of relation `resources` (columns ResourceId, ResourceName, SubAccountId,
    SubAccountName) by the rule of the store's `resource_owners` view: an ownership rule first (lowest
    priority number, then rule id), then endpoint metadata, then the GPU job that ran on it. The view
    does this for every resource in focus_charges; this does it for a few, without a scan of the bill.
    Columns: ResourceId, team, owner, how, confidence."""
    return f"""
        SELECT ResourceId, team, owner, how, confidence FROM (
            SELECT hits.*, row_number() OVER (PARTITION BY ResourceId ORDER BY prio, tie, how) AS rn FROM (
                SELECT r.ResourceId, o.team, o.owner, 'ownership rule #' || o.rule_id AS how,
                       {CONFIDENCE_RULE} AS confidence, o.priority AS prio, o.rule_id AS tie
                FROM {resources} r JOIN ownership o
                  ON (o.match_kind = 'resource_id' AND o.pattern = r.ResourceId)
                  OR (o.match_kind = 'resource_pattern' AND (r.ResourceId LIKE o.pattern OR r.ResourceName LIKE o.pattern))
                  OR (o.match_kind = 'sub_account' AND (o.pattern = r.SubAccountId OR o.pattern = r.SubAccountName))
                UNION ALL
                SELECT resource_id, team, owner, 'endpoint ' || endpoint_id, {CONFIDENCE_ENDPOINT}, 100000, 0
                FROM endpoints WHERE team IS NOT NULL AND resource_id IN (SELECT ResourceId FROM {resources})
                UNION ALL
                SELECT resource_id, team, owner, 'gpu job ' || job_id, {CONFIDENCE_JOB}, 100001, 0
                FROM gpu_jobs WHERE team IS NOT NULL AND resource_id IN (SELECT ResourceId FROM {resources})
            ) hits
        ) ranked WHERE rn = 1"""


# Characters cloud providers allow in tag values (AWS: letters, digits, spaces and _ . : / = + - @; at
# most 256). A value outside this set did not come from a tagging policy.
TAG_VALUE_PATTERN = "[A-Za-z0-9 _.:/=+@-]+"
TAG_VALUE_MAX = 256


def well_formed_sql(expr: str) -> str:
    """SQL: is `expr` a well-formed tag value (the one regular-expression helper)."""
    return f"(length({expr}) <= {TAG_VALUE_MAX} AND regexp_full_match({expr}, '{TAG_VALUE_PATTERN}'))"


def quote(value: str | None) -> str:
    """Untrusted text (a tag value, a resource name) as a quoted literal for display, unchanged inside."""
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False)


_PLAIN_ID = re.compile(r"[A-Za-z0-9(][A-Za-z0-9_.:/@+#()=,-]{0,255}")
_PLAIN_WORDS = re.compile(r"[A-Za-z0-9(][A-Za-z0-9 _.:/@+#()=-]{0,79}")


def show(value: str | None) -> str:
    """A name for a sentence: an identifier (no spaces) or up to four plain words as they are; anything
    else (text that could read as an instruction, markup, quotes) as a quoted literal, unchanged inside."""
    if value is None:
        return "(none)"
    if _PLAIN_ID.fullmatch(value):
        return value
    if _PLAIN_WORDS.fullmatch(value) and "  " not in value and len(value.split()) <= 4:
        return value
    return quote(value)


@dataclass(frozen=True)
class DataRange:
    """What a table holds: first and last instant, number of rows."""

    first: datetime | None
    last: datetime | None
    rows: int

    def describe(self) -> str:
        if not self.rows or self.first is None or self.last is None:
            return "holds no rows"
        last_day = (self.last - timedelta(microseconds=1)).date() if self.last.time() == time() else self.last.date()
        return f"holds data from {self.first.date().isoformat()} to {last_day.isoformat()}"


def charges_range(ctx: ToolContext) -> DataRange:
    """What focus_charges holds: read once per read-only store version (a pass over the whole bill, ~50 ms
    at 10M charges), on every call on a writable store."""
    def read() -> DataRange:
        row = ctx.query("SELECT min(ChargePeriodStart) AS first, max(ChargePeriodEnd) AS last, count(*) AS n "
                        "FROM focus_charges")[0]
        return DataRange(row["first"], row["last"], int(row["n"]))

    return ctx.once_per_store("charges_range", read)


def calls_range(ctx: ToolContext) -> DataRange:
    row = ctx.query("SELECT min(ts) AS first, max(ts) AS last, count(*) AS n FROM llm_calls")[0]
    last = row["last"]
    # ts is an instant, not a period end: report the day it falls on as the last day.
    return DataRange(row["first"], None if last is None else day_start(last.date() + timedelta(days=1)), int(row["n"]))


def no_data(what: str, period: Period, data: DataRange, hint: str = "") -> NoDataError:
    """A NoDataError that says what was asked and what the store actually holds."""
    if not data.rows:
        return NoDataError(f"the store holds no {what}{hint}")
    return NoDataError(f"no {what} for {period.describe()}; the store {data.describe()}")


def require_charges(ctx: ToolContext, period: Period) -> DataRange:
    """Raise NoDataError unless some charge falls inside `period`; returns the store's charge range."""
    data = charges_range(ctx)
    if not data.rows or data.first is None or data.last is None:
        raise no_data("billing data", period, data, " (ingest a FOCUS export with `finops ingest focus`)")
    if data.last <= day_start(period.start) or data.first >= day_start(period.end):
        raise no_data("billing data", period, data)
    return data


def data_starts_inside(ctx: ToolContext, period: Period) -> date | None:
    """The day the store's billing data starts, when that day is inside `period` after its first day: the
    period is then only partly covered, and a total for it must say so (a 5-day figure read as a month's
    bill is a figure for a question nobody asked)."""
    first = billing_first(ctx)
    if first is None:
        return None
    day = first.date()
    return day if period.start < day < period.end else None


def billing_first(ctx: ToolContext) -> datetime | None:
    """Where the store's billing data starts (its first ChargePeriodStart), read once per read-only store."""
    first = ctx.store_fact("billing_first", "SELECT min(ChargePeriodStart) FROM focus_charges")
    return first if isinstance(first, datetime) or first is None else datetime.combine(first, time())


def covered_days(period: Period, first: date, until: date | None) -> int:
    """Days of `period` the billing data covers when it starts on `first` and holds no day from `until` on."""
    end = period.end if until is None else min(period.end, until)
    return max(0, (end - first).days)


def partly_covered(period: Period, first: date, days: int | None, what: str = "the store's billing data") -> str:
    """' (only partly covered: ...)' for a period whose data (`what`) starts on `first` and covers `days` of it."""
    of = "" if days is None else f", {days} of the period's {(period.end - period.start).days} days"
    return f" (only partly covered: {what} starts {first.isoformat()}{of})"


def ratio(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """part / whole computed in Python from exact sums (None when whole is 0 or unknown)."""
    if part is None or whole is None:
        return None
    whole_d = Decimal(whole)
    if whole_d == 0:
        return None
    return Decimal(part) / whole_d


def dec(value: Any) -> Decimal:
    """A SQL aggregate (possibly NULL) as an exact Decimal, NULL -> 0."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def per_month(daily: Decimal) -> Decimal:
    return daily * MONTH_DAYS

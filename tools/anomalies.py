"""anomalies: days and scopes whose cost departs from their own weekday-aware baseline, and slow drifts.

Method (and why):
- Spikes: each day of a scope (team, service, model, project or resource) is compared with the median
  of the SAME weekday over the previous 8 weeks, scaled by the robust spread of those days
  (1.4826 x MAD, floored at 5% of the median). Same-weekday baselines make the ordinary weekly
  cycle (cheaper weekends) part of "normal", so a quiet Saturday is never compared with a busy
  Tuesday; the median and MAD ignore the odd past spike, where a mean and standard deviation would
  be dragged by it. A day is anomalous when its robust z-score passes the sensitivity threshold AND
  its excess is at least a share of the baseline and `min_excess` dollars (so stable, cheap scopes do
  not alert on cents). Only increases are reported. Consecutive anomalous days form one anomaly.
- A scope alerts only after 3 same-weekday observations exist (its first 3 weeks are silent).
- Drifts: the series is deseasonalised (weekday factors from ratios to a centred 7-day average) and
  fitted with a flat-then-linear "hinge" by least squares over every change point; a drift is a rise
  of at least the sensitivity's share, over at least 14 days, that the hinge explains well (R² >= 0.6)
  and better than a single level shift. Days on a drift are judged against the drift line, so a
  drift is reported once, not as a string of spikes.
- Driving resources: per anomaly, the resources of the scope whose cost rose most against their
  average day in the 28 days before the anomaly started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, Field

from tools.contract import Listing, TableView, ToolResult, money, pct
from tools.periods import Period
from tools.registry import ToolContext, tool
from tools.scopes import (
    COST,
    SCOPE_KEYS,
    daily_costs,
    daily_costs_of_kinds,
    days_between,
    filled,
    resolve_scope,
    source,
    ts,
)
from tools.sqlparts import quote
from tools.stats import MAD_TO_SIGMA, mad
from tools.timeseries import hinge_fit, weekday_baseline, weekday_factors

BASELINE_WEEKS = 8
MIN_BASELINE = 3
DRIFT_MIN_DAYS = 14
DRIFT_MIN_R2 = 0.6
DRIVER_LOOKBACK_DAYS = 28
# sensitivity -> (robust z threshold, minimum excess as a share of the baseline)
SENSITIVITY: dict[str, tuple[Decimal, Decimal]] = {
    "low": (Decimal(6), Decimal("0.50")),
    "medium": (Decimal(4), Decimal("0.25")),
    "high": (Decimal(3), Decimal("0.15")),
}
ALL_SCOPES = ("service", "team")
SCOPE_ORDER = {"service": 0, "team": 1, "model": 2, "project": 3, "resource": 4}
METHOD = ("each day vs the median of the same weekday over the previous 8 weeks (robust z = excess / "
          "(1.4826 x MAD)); drifts by a flat-then-linear fit on weekday-adjusted costs")


class AnomaliesArgs(BaseModel):
    period: str = Field("last 30 days", description="Days to check, e.g. 'last week', 'last 30 days'.")
    scope: Literal["all", "team", "service", "model", "project", "resource"] = Field(
        "all", description="Scope; 'all' = service and team (model and resource on request).")
    name: str | None = Field(None, description="Only this scope name (e.g. a service or team).")
    team: str | None = Field(None, description="Only charges allocated to this team.")
    sensitivity: Literal["low", "medium", "high"] = Field("medium", description="high = more alerts.")
    min_excess: Decimal = Field(Decimal(50), ge=0, description="Ignore excess below this many USD per day.")
    drift: bool = Field(True, description="Also look for slow drifts.")
    top: int = Field(20, ge=1, le=200, description="Most anomalies to return.")


class Driver(BaseModel):
    resource_id: str | None
    resource_name: str | None
    cost: Decimal
    usual: Decimal
    excess: Decimal


class Anomaly(BaseModel):
    kind: Literal["spike", "drift"]
    scope_kind: str
    scope: str
    start: date
    end: date
    days: int
    ongoing: bool
    cost: Decimal
    baseline: Decimal
    excess: Decimal
    pct: Decimal | None
    peak_day: date
    peak_cost: Decimal
    peak_baseline: Decimal
    z: Decimal | None = None
    daily_from: Decimal | None = None
    daily_to: Decimal | None = None
    drivers: list[Driver] = Field(default_factory=list)
    also_in: list[str] = Field(default_factory=list)

    def label(self) -> str:
        # Project and resource names come from tags and billing files: shown quoted, as data.
        name = quote(self.scope) if self.scope_kind in ("project", "resource") else self.scope
        return f"{name} ({self.scope_kind})"

    def sentence(self) -> str:
        drv = ""
        if self.drivers:
            drv = "; driven by " + ", ".join(
                f"{quote(d.resource_name or d.resource_id)} (+{money(d.excess)})" for d in self.drivers)
        also = f"; also seen in {', '.join(self.also_in)}" if self.also_in else ""
        if self.kind == "drift":
            return (f"{self.label()} has drifted up since {_day(self.start)}: from about {money(self.daily_from)}/day "
                    f"to {money(self.daily_to)}/day ({'+' + pct(self.pct) if self.pct is not None else 'n/a'}), "
                    f"{money(self.excess)} above the old level over {self.days} days{drv}{also}.")
        when = (f"on {_day(self.start)}" if self.days == 1 else
                f"from {_day(self.start)} to {_day(self.end)}" + (" (ongoing)" if self.ongoing else ""))
        usual = "that weekday" if self.days == 1 else "those days"
        return (f"{self.label()} spiked {when}: {money(self.cost)} vs a usual {money(self.baseline)} for {usual} "
                f"(+{money(self.excess)}, {'+' + pct(self.pct) if self.pct is not None else 'new cost'}){drv}{also}.")


class AnomaliesResult(ToolResult):
    # The accessors (tools.contract.ToolResult): what follow-ups read from this result.
    listing = Listing("anomalies", "scope")
    subject_paths = (("anomalies", "drivers", 0, "resource_id"),)   # an anomaly's subject: its biggest driver
    answers_about_listed = frozenset({"spend", "anomalies"})
    period: Period
    scopes: list[str]
    sensitivity: str
    method: str
    anomalies: list[Anomaly]
    checked: int
    too_new: int
    data_end: date | None
    data_start: date | None = None
    # Weeks of same-weekday history the last checked day has (at most BASELINE_WEEKS); None: no data.
    history_weeks: int | None = None
    weeks_needed: int = BASELINE_WEEKS

    def missing_text(self) -> str:
        """What the method lacks to judge the period fully ('' when nothing is missing)."""
        if self.data_end is None:
            return "No billing data loaded: anomalies cannot be judged (load it with `finops ingest focus FILE`)."
        if self.history_weeks is None or self.history_weeks >= self.weeks_needed:
            return ""
        return (f"Only {self.history_weeks} of the {self.weeks_needed} weeks of history the method needs are loaded "
                f"(billing data starts {self.data_start.isoformat() if self.data_start else 'n/a'}): a day is judged "
                f"only against at least {MIN_BASELINE} earlier same weekdays, so the earlier days were not judged "
                "and the rest against a shorter baseline.")

    def summary(self) -> str:
        where = f"{self.period.describe()}"
        missing = self.missing_text()
        if not self.anomalies:
            if self.data_end is None:
                return missing
            none = (f"No cost anomalies in {where} across {self.checked} {'/'.join(self.scopes)} "
                    f"scope{'s' if self.checked != 1 else ''} (sensitivity {self.sensitivity}; {self.too_new} too new "
                    f"to judge). Method: {self.method}.")
            if missing:
                none = (f"No cost anomalies among the days that could be judged in {where} ({self.checked} "
                        f"{'/'.join(self.scopes)} scope{'s' if self.checked != 1 else ''}, {self.too_new} too new to "
                        f"judge). Method: {self.method}.")
            return f"{missing} {none}" if missing else none
        head = f"{len(self.anomalies)} cost anomal{'y' if len(self.anomalies) == 1 else 'ies'} in {where}:"
        body = " ".join(a.sentence() for a in self.anomalies)
        return f"{head} {body} Method: {self.method} (sensitivity {self.sensitivity}).{' ' + missing if missing else ''}"

    def table(self) -> TableView:
        return TableView(
            columns=["kind", "scope", "start", "end", "cost", "usual", "excess", "change", "drivers"],
            rows=[[a.kind, a.label(), a.start.isoformat(), a.end.isoformat(), money(a.cost), money(a.baseline),
                   money(a.excess), pct(a.pct), ", ".join(d.resource_name or d.resource_id or "" for d in a.drivers)]
                  for a in self.anomalies],
        )


@tool("anomalies",
      "Cost anomalies: days where a service, team or model cost departs from its own same-weekday baseline "
      "(spikes), and slow upward drifts; with start, size in money and %, and the resources driving them.",
      examples=["Anything unusual this week?", "Why did inference spend jump on Tuesday?",
                "Any cost anomalies in the last 30 days?", "Is any service drifting up?"])
def anomalies(ctx: ToolContext, args: AnomaliesArgs) -> AnomaliesResult:
    period = ctx.period(args.period)
    kinds = list(ALL_SCOPES) if args.scope == "all" else [args.scope]
    team = resolve_scope(ctx, "team", args.team) if args.team else None
    name = resolve_scope(ctx, kinds[0], args.name) if args.name and len(kinds) == 1 else None
    if args.name and len(kinds) > 1:
        kinds, name = _kind_of_name(ctx, args.name)
    data_start, data_end = _data_range(ctx)
    z_min, pct_min = SENSITIVITY[args.sensitivity]
    found: list[Anomaly] = []
    checked = too_new = 0
    history_weeks: int | None = None
    if data_end is not None and data_start is not None:
        last_checked = min(period.end - timedelta(days=1), data_end)
        history_weeks = max(0, min(BASELINE_WEEKS, (last_checked - data_start).days // 7))
    if data_end is not None:
        end = min(period.end, data_end + timedelta(days=1))
        start = period.start - timedelta(days=7 * BASELINE_WEEKS + 7)
        if end > period.start:
            together = (daily_costs_of_kinds(ctx, list(kinds), start, end, team)
                        if len(kinds) > 1 and name is None and not {"model", "resource"} & set(kinds) else {})
            for kind in kinds:
                only = _screen_resources(ctx, start, period.start, end, team, args.min_excess) if kind == "resource" and name is None else None
                series = together[kind] if together else daily_costs(ctx, kind, start, end, name=name, only=only, team=team)
                days = days_between(start, end)
                for key in sorted(series):
                    if key == "(none)":   # charges outside the scope kind (e.g. no model): not a scope
                        continue
                    values = filled(series[key], start, end)
                    result = detect(days, values, period.start, z_min, pct_min, args.min_excess, args.drift)
                    checked += 1
                    too_new += result.too_new
                    found.extend(Anomaly(scope_kind=kind, scope=key, **a) for a in result.anomalies)
    found.sort(key=lambda a: (-a.excess, SCOPE_ORDER.get(a.scope_kind, 9), a.scope, a.start))
    merged = _merge_same_events(ctx, found[: args.top * 3], team)
    return AnomaliesResult(period=period, scopes=kinds, sensitivity=args.sensitivity, method=METHOD,
                           anomalies=merged[: args.top], checked=checked, too_new=too_new, data_end=data_end,
                           data_start=data_start, history_weeks=history_weeks)


# -- detection on one series (pure) -----------------------------------------------------------------
@dataclass
class Detection:
    anomalies: list[dict]
    too_new: int


def detect(days: list[date], values: list[Decimal], check_from: date, z_min: Decimal, pct_min: Decimal,
           min_excess: Decimal, find_drift: bool = True) -> Detection:
    """Spikes (and a drift) in one daily series; only days on/after `check_from` are reported."""
    first = next((i for i, v in enumerate(values) if v != 0), None)
    if first is None:
        return Detection([], 0)
    check_idx = next((i for i, d in enumerate(days) if d >= check_from), len(days))
    out: list[dict] = []
    drift_from: int | None = None
    expected_on_drift: dict[int, Decimal] = {}
    if find_drift:
        drift = _drift(days, values, first, pct_min, min_excess)
        if drift is not None:
            drift_from, expected_on_drift, record = drift
            if days[-1] >= check_from:
                out.append(record)
    flagged: list[tuple[int, Decimal, Decimal, Decimal]] = []   # (index, cost, baseline, z)
    silent = True
    for i in range(max(check_idx, first), len(values)):
        if drift_from is not None and i > drift_from:
            base_value = expected_on_drift[i]
            resid = [values[j] - expected_on_drift[j] for j in range(drift_from + 1, i)]
            scale = max(MAD_TO_SIGMA * mad(resid) if len(resid) >= 3 else Decimal(0), Decimal("0.05") * base_value,
                        Decimal("0.01"))
        else:
            b = weekday_baseline(values, i, first, BASELINE_WEEKS)
            if b is None or b.n < MIN_BASELINE:
                continue
            base_value, scale = b.median, b.scale
        silent = False
        x = values[i]
        excess = x - base_value
        z = excess / scale
        if z >= z_min and excess >= min_excess and excess >= pct_min * abs(base_value):
            flagged.append((i, x, base_value, z))
    for run in _runs(flagged):
        i0, i1 = run[0][0], run[-1][0]
        cost = sum((r[1] for r in run), Decimal(0))
        base = sum((r[2] for r in run), Decimal(0))
        peak = max(run, key=lambda r: (r[1] - r[2], -r[0]))
        out.append(dict(kind="spike", start=days[i0], end=days[i1], days=i1 - i0 + 1, ongoing=i1 == len(days) - 1,
                        cost=cost, baseline=base, excess=cost - base, pct=(cost - base) / base if base > 0 else None,
                        peak_day=days[peak[0]], peak_cost=peak[1], peak_baseline=peak[2],
                        z=peak[3].quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)))
    return Detection(out, 1 if silent and not out else 0)


def _runs(flagged: list[tuple[int, Decimal, Decimal, Decimal]]) -> list[list[tuple[int, Decimal, Decimal, Decimal]]]:
    runs: list[list[tuple[int, Decimal, Decimal, Decimal]]] = []
    for f in flagged:
        if runs and f[0] == runs[-1][-1][0] + 1:
            runs[-1].append(f)
        else:
            runs.append([f])
    return runs


def _drift(days: list[date], values: list[Decimal], first: int, pct_min: Decimal,
           min_excess: Decimal) -> tuple[int, dict[int, Decimal], dict] | None:
    """A flat-then-rising fit on the weekday-adjusted series; None unless it is a clear, slow rise."""
    d, v = days[first:], values[first:]
    if len(v) < 28:
        return None
    factors = weekday_factors(d, v)
    y = [float(x / factors[day.weekday()]) if factors[day.weekday()] > 0 else float(x) for day, x in zip(d, v)]
    fit = hinge_fit(y, min_before=7, min_ramp=DRIFT_MIN_DAYS)
    if fit is None or fit.slope <= 0 or fit.level <= 0 or fit.r2 < DRIFT_MIN_R2 or fit.sse >= fit.step_sse:
        return None
    last = len(v) - 1
    rise = fit.slope * (last - fit.t0)
    if rise < float(pct_min) * fit.level or rise < float(min_excess):
        return None
    level = Decimal(repr(round(fit.level, 2)))
    expected = {first + t: Decimal(repr(round(fit.at(t), 6))) * factors[d[t].weekday()] for t in range(len(v))}
    ramp = range(first + fit.t0 + 1, first + last + 1)
    cost = sum((values[i] for i in ramp), Decimal(0))
    old = sum((level * factors[days[i].weekday()] for i in ramp), Decimal(0))
    to = Decimal(repr(round(fit.at(last), 2)))
    record = dict(kind="drift", start=days[first + fit.t0], end=days[-1], days=len(ramp), ongoing=True,
                  cost=cost, baseline=old, excess=cost - old, pct=(to - level) / level if level > 0 else None,
                  peak_day=days[-1], peak_cost=values[-1], peak_baseline=level * factors[days[-1].weekday()],
                  daily_from=level, daily_to=to)
    return first + fit.t0, expected, record


# -- SQL helpers ---------------------------------------------------------------------------------------
def _data_range(ctx: ToolContext) -> tuple[date | None, date | None]:
    row = ctx.query("SELECT min(ChargePeriodStart) AS first, max(ChargePeriodStart) AS last FROM focus_charges", [])[0]
    return (None if row["first"] is None else row["first"].date(), None if row["last"] is None else row["last"].date())


def _kind_of_name(ctx: ToolContext, name: str) -> tuple[list[str], str]:
    """Which scope kind a bare name belongs to (service, team, model, project, resource)."""
    from tools.contract import UnknownNameError

    first_error: UnknownNameError | None = None
    for kind in ("service", "team", "model", "project", "resource"):
        try:
            return [kind], resolve_scope(ctx, kind, name) or name
        except UnknownNameError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def _screen_resources(ctx: ToolContext, start: date, check_from: date, end: date, team: str | None,
                      min_excess: Decimal) -> list[str]:
    """Resources worth a full look: some checked day exceeds the least cost of the same weekday before
    the checked days by `min_excess` (a necessary condition for a spike), or the resource is new."""
    team_filter = " AND x_team = ?" if team else ""
    rows = ctx.query(
        f"""
        WITH d AS (
            SELECT ResourceId AS k, CAST(ChargePeriodStart AS DATE) AS day, sum({COST}) AS c
            FROM {source("resource", team)}
            WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? AND ResourceId IS NOT NULL{team_filter}
            GROUP BY ResourceId, CAST(ChargePeriodStart AS DATE)
        ), b AS (
            SELECT k, extract(dow FROM day) AS w, min(c) AS lo, count(*) AS n FROM d WHERE day < ?
            GROUP BY k, extract(dow FROM day)
        ), p AS (
            SELECT k, extract(dow FROM day) AS w, max(c) AS hi FROM d WHERE day >= ?
            GROUP BY k, extract(dow FROM day)
        )
        SELECT DISTINCT p.k FROM p LEFT JOIN b ON b.k = p.k AND b.w = p.w
        WHERE b.k IS NULL OR b.n < ? OR p.hi - b.lo >= ?
        ORDER BY p.k
        """,
        [ts(start), ts(end), *([team] if team else []), check_from, check_from, BASELINE_WEEKS, min_excess],
    )
    return [r["k"] for r in rows]


def _attach_drivers(ctx: ToolContext, found: list[Anomaly], team: str | None, top: int = 3) -> None:
    """Per anomaly, the resources whose cost rose most against their average day in the 28 days before
    it started. One statement for all anomalies: the charges are hash-joined to a small table of
    (anomaly, scope, window) per scope kind, so each row's scope key is computed once."""
    if not found:
        return
    windows: dict[int, tuple[date, date, date]] = {}
    parts: list[str] = []
    params: list[object] = []
    for kind in sorted({a.scope_kind for a in found}):
        of_kind = [(i, a) for i, a in enumerate(found) if a.scope_kind == kind]
        values: list[str] = []
        joined: list[object] = []
        for i, a in of_kind:
            before = a.start - timedelta(days=DRIVER_LOOKBACK_DAYS)
            begin = a.start + timedelta(days=1) if a.kind == "drift" else a.start
            after = a.end + timedelta(days=1)
            windows[i] = (before, begin, after)
            values.append("(?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP))")
            joined += [i, "" if a.scope == "unallocated" else a.scope, ts(before), ts(begin), ts(a.start), ts(after)]
        team_filter = " AND c.x_team = ?" if team else ""
        key = SCOPE_KEYS[kind]
        # The windows and scopes as constants too, so the scan drops every other charge before the join
        # (the anomalies question at 100M charges: this statement 2.0 -> 1.0 s).
        scopes = sorted({"" if a.scope == "unallocated" else a.scope for _, a in of_kind})
        prefilter = (f"WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? "
                     f"AND coalesce({key}, '') IN ({', '.join('?' for _ in scopes)})")
        params += [ts(min(windows[i][0] for i, _ in of_kind)), ts(max(windows[i][2] for i, _ in of_kind)),
                   *scopes, *joined]
        if team:
            params.append(team)
        parts.append(
            f"""
            SELECT a.i, c.ResourceId AS resource_id, min(c.ResourceName) AS resource_name,
                   sum(c.{COST}) FILTER (WHERE c.ChargePeriodStart >= a.b) AS during,
                   sum(c.{COST}) FILTER (WHERE c.ChargePeriodStart < a.s) AS usual
            FROM (SELECT *, coalesce({key}, '') AS x_key FROM {source(kind, team)} {prefilter}) c
            JOIN (VALUES {', '.join(values)}) AS a(i, scope, lo, b, s, hi)
              ON c.x_key = a.scope AND c.ChargePeriodStart >= a.lo AND c.ChargePeriodStart < a.hi{team_filter}
            GROUP BY a.i, c.ResourceId"""
        )
    rows = ctx.query(" UNION ALL ".join(parts) + "\nORDER BY i, resource_id NULLS LAST", params)
    cent = Decimal("0.01")
    drivers: dict[int, list[Driver]] = {i: [] for i in range(len(found))}
    for r in rows:
        _, begin, after = windows[r["i"]]
        days = Decimal((after - begin).days)
        during = Decimal(r["during"] or 0)
        usual = Decimal(r["usual"] or 0) / DRIVER_LOOKBACK_DAYS * days
        excess = (during - usual).quantize(cent, rounding=ROUND_HALF_UP)
        if excess > 0:
            drivers[r["i"]].append(Driver(resource_id=r["resource_id"], resource_name=r["resource_name"], cost=during,
                                          usual=usual.quantize(cent, rounding=ROUND_HALF_UP), excess=excess))
    for i, a in enumerate(found):
        a.drivers = sorted(drivers[i], key=lambda d: (-d.excess, d.resource_id or ""))[:top]


def _merge_same_events(ctx: ToolContext, found: list[Anomaly], team: str | None) -> list[Anomaly]:
    """Attach drivers; an event seen in several scopes (same days, same top resource) is listed once,
    under its most specific-to-billing scope (service, then team, then model), with the others in also_in."""
    _attach_drivers(ctx, found, team)
    groups: dict[tuple, list[Anomaly]] = {}
    for a in found:
        top = a.drivers[0].resource_id if a.drivers else f"{a.scope_kind}:{a.scope}"
        groups.setdefault((a.kind, a.start, a.end, top), []).append(a)
    kept: list[Anomaly] = []
    for members in groups.values():
        members.sort(key=lambda a: (SCOPE_ORDER.get(a.scope_kind, 9), a.scope))
        head = members[0]
        head.also_in = [f"{m.scope_kind} {m.scope}" for m in members[1:]]
        kept.append(head)
    kept.sort(key=lambda a: (-a.excess, SCOPE_ORDER.get(a.scope_kind, 9), a.scope, a.start))
    return kept


def _day(d: date) -> str:
    return d.strftime("%a %d %b %Y").replace(" 0", " ")

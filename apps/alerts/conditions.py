"""The conditions, each read from a tool's result (no SQL of its own): budget burn crossing a threshold,
a forecast to exceed (with its interval and the days left), a new anomaly above a $ floor, new waste above
a $/month floor, a job past its TTL, a run whose actual cost passed its estimate, and data gone stale."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel

from apps.alerts.model import Alert, AlertEvidence, AlertSettings, Severity
from tools.anomalies import AnomaliesResult, Anomaly
from tools.budget_tree import NodeStatus
from tools.contract import SqlRun, money, pct
from tools.remediations import Remediation, RemediationsResult
from tools.run_overruns import RunCost
from tools.waste import WasteItem, WasteResult

RUNWAY_BUCKETS = (3, 7, 14)        # "runs out in N days" re-alerts as N gets under each of these


class Owner(BaseModel):
    team: str
    channel: str | None
    lead: str | None


def _owner_fields(team: str | None, owners: dict[str, Owner], cfg: AlertSettings, owner: str | None = None,
                  channel: str | None = None) -> dict[str, str | None]:
    known = owners.get(team or "")
    return {"team": team, "owner": owner or (known.lead if known else None),
            "channel": channel or (known.channel if known and known.channel else cfg.default_channel)}


def _top_action(remediations: RemediationsResult | None, team: str | None) -> Remediation | None:
    if remediations is None or team is None:
        return None
    mine = [r for r in remediations.actions if r.team == team and r.monthly_savings]
    return max(mine, key=lambda r: (r.monthly_savings or Decimal(0), r.title), default=None)


def _action_text(r: Remediation | None) -> tuple[str | None, str | None]:
    if r is None:
        return None, None
    return f"{r.title} (saves {money(r.monthly_savings)}/month, risk {r.risk})", r.change


def _burn_severity(level: Decimal) -> Severity:
    if level >= Decimal("0.9"):
        return "high"
    return "medium" if level >= Decimal("0.7") else "low"


def budget_alerts(statuses: list[NodeStatus], cfg: AlertSettings, owners: dict[str, Owner],
                  remediations: RemediationsResult | None) -> list[Alert]:
    """Burn crossing a threshold (the run's 50/70/90/100% and the budget's own): one alert per budget and
    period, its state the highest threshold crossed, so crossing the next one is a new alert."""
    out: list[Alert] = []
    for s in statuses:
        n = s.node
        levels = sorted(set(cfg.burn_thresholds) | set(n.thresholds))
        crossed = [t for t in levels if n.amount > 0 and s.spent >= t * n.amount]
        if not crossed:
            continue
        top = max(crossed)
        team = s.team
        action, change = _action_text(_top_action(remediations, team))
        over = s.spent - n.amount
        figure = (f"{money(s.spent)} spent of the {money(n.amount)} {n.period} budget ({pct(s.pct)}) from "
                  f"{s.period_start.isoformat()} through {s.data_end.isoformat()}, {s.days_left} days left; "
                  f"{money(s.headroom)} may still be spent (set by {s.binding})")
        if over > 0:
            figure += f"; over by {money(over)}"
        out.append(Alert(
            key=f"budget:{n.budget_id}:{s.period_start.isoformat()}", state=pct(top, 0), kind="budget",
            severity=_burn_severity(top), **_owner_fields(team, owners, cfg, n.owner, n.channel),
            title=f"Budget {n.budget_id} past {pct(top, 0)}" + (f" ({n.limit_kind} limit)" if n.limit_kind == "hard" else ""),
            figure=figure, amounts={"spent": s.spent, "amount": n.amount, "pct": s.pct, "headroom": s.headroom},
            action=action, action_change=change,
            evidence=AlertEvidence(tool="query_costs", sql=s.sql, data_through=s.data_end.isoformat(),
                                   note=f"budget from the {n.source} table; spend = billed_cost of its CostQuery scope")))
    return out


def _runway_state(days: int) -> str:
    for bucket in RUNWAY_BUCKETS:
        if days <= bucket:
            return f"runs out within {bucket} days"
    return "forecast to exceed"


def forecast_alerts(statuses: list[NodeStatus], cfg: AlertSettings, owners: dict[str, Owner],
                    remediations: RemediationsResult | None) -> list[Alert]:
    """'Forecast to exceed on <date>' with the 80% interval, and how many days the budget has left."""
    out: list[Alert] = []
    for s in statuses:
        if s.exceed_on is None or s.runs_out_in_days is None or s.forecast is None:
            continue
        n = s.node
        team = s.team
        action, change = _action_text(_top_action(remediations, team))
        days = s.runs_out_in_days
        figure = (f"forecast {money(s.forecast)} by {(s.period_end - timedelta(days=1)).isoformat()} against "
                  f"{money(n.amount)} (80% interval {money(s.forecast_low)} to {money(s.forecast_high)}); at this rate "
                  f"it passes the budget on {s.exceed_on.isoformat()}: runs out in {days} day{'s' if days != 1 else ''}")
        out.append(Alert(
            key=f"forecast:{n.budget_id}:{s.period_start.isoformat()}", state=_runway_state(days), kind="forecast",
            severity="high" if days <= 7 else "medium", **_owner_fields(team, owners, cfg, n.owner, n.channel),
            title=f"Budget {n.budget_id} forecast to exceed on {s.exceed_on.isoformat()}", figure=figure,
            amounts={"forecast": s.forecast, "forecast_low": s.forecast_low or Decimal(0),
                     "forecast_high": s.forecast_high or Decimal(0), "amount": n.amount, "spent": s.spent},
            action=action, action_change=change,
            evidence=AlertEvidence(tool="query_costs", sql=s.sql, data_through=s.data_end.isoformat(),
                                   note=f"forecast method: {s.method}")))
    return out


def _anomaly_team(a: Anomaly) -> str | None:
    if a.scope_kind == "team":
        return a.scope
    return next((x.split(" ", 1)[1] for x in a.also_in if x.startswith("team ")), None)


OwnerLookup = Callable[[str], "tuple[str | None, str | None] | None"]


def anomaly_alerts(result: AnomaliesResult, cfg: AlertSettings, owners: dict[str, Owner],
                   owner_of: OwnerLookup | None = None) -> list[Alert]:
    """Anomalies above the floor. The owner: the anomaly's team, else the team that owns its top driver
    (`owner_of`, the who_owns tool over the ownership data), else the default channel."""
    out: list[Alert] = []
    sql = list(result.evidence.sql) if result.evidence else []
    for a in result.anomalies:
        if a.excess < cfg.anomaly_floor:
            continue
        team, person = _anomaly_team(a), None
        top = next((d.resource_id for d in a.drivers if d.resource_id), None)
        if team is None and top and owner_of is not None:
            team, person = owner_of(top) or (None, None)
        drivers = ", ".join(d.resource_name or d.resource_id or "?" for d in a.drivers[:3])
        when = a.start.isoformat() if a.start == a.end else f"{a.start.isoformat()} to {a.end.isoformat()}"
        figure = (f"{a.kind} in {a.scope_kind} {a.scope} {when}: {money(a.cost)} against a usual {money(a.baseline)}, "
                  f"{money(a.excess)} above it; peak {money(a.peak_cost)} on {a.peak_day.isoformat()}"
                  + (f"; driven by {drivers}" if drivers else ""))
        out.append(Alert(
            key=f"anomaly:{a.scope_kind}:{a.scope}:{a.start.isoformat()}", state=a.kind, kind="anomaly",
            severity="high" if a.excess >= cfg.anomaly_floor * 10 else "medium", **_owner_fields(team, owners, cfg, person),
            title=f"Cost {a.kind}: {a.scope} ({a.scope_kind}) {money(a.excess)} above its baseline", figure=figure,
            amounts={"cost": a.cost, "baseline": a.baseline, "excess": a.excess, "peak_cost": a.peak_cost},
            action="check what changed: finops ask \"why did " + a.scope + " cost more on " + a.peak_day.isoformat() + "?\"",
            evidence=AlertEvidence(tool="anomalies", sql=sql, data_through=result.data_end.isoformat() if result.data_end else None,
                                   note=result.method)))
    return out


def _remediation_for(item: WasteItem, remediations: RemediationsResult | None) -> Remediation | None:
    if remediations is None:
        return None
    return next((r for r in remediations.actions if item.ref in [t.strip() for t in r.target.split(",")]), None)


def _change_for(r: Remediation | None, ref: str) -> str | None:
    """The remediation's change for this one item: a change listing several items (one line each, e.g. the
    zombie jobs) keeps its comment lines and the item's own line."""
    if r is None:
        return None
    lines = r.change.splitlines()
    mine = [ln for ln in lines if ref in ln]
    if len(lines) < 3 or not mine or len(mine) == len(lines):
        return r.change
    return "\n".join([ln for ln in lines if ln.lstrip().startswith("#")] + mine)


def _past_ttl(item: WasteItem) -> bool:
    ttl, hours = item.details.get("ttl_hours"), item.details.get("hours_running")
    return item.kind == "zombie_job" and ttl is not None and hours is not None and float(hours) > float(ttl)


def waste_alerts(result: WasteResult, remediations: RemediationsResult | None, cfg: AlertSettings,
                 owners: dict[str, Owner]) -> list[Alert]:
    """New waste above the $/month floor; a zombie job past its TTL is its own kind (job_past_ttl)."""
    out: list[Alert] = []
    sql = list(result.evidence.sql) if result.evidence else []
    for item in result.items:
        if item.monthly_cost is None or item.monthly_cost < cfg.waste_floor:
            continue
        ttl = _past_ttl(item)
        r = _remediation_for(item, remediations)
        label = item.name or item.ref
        if ttl:
            title = f"Job {label} past its TTL"
            figure = (f"{item.ref} has run {item.details['hours_running']:g} hours against a TTL of "
                      f"{item.details['ttl_hours']:g} hours; it costs {money(item.monthly_cost)}/month while it runs")
        else:
            title = f"Waste: {item.kind.replace('_', ' ')} {label}"
            figure = f"{item.reason}; {money(item.monthly_cost)}/month"
        out.append(Alert(
            key=f"{'ttl' if ttl else 'waste'}:{item.kind}:{item.ref}", state="past ttl" if ttl else item.kind,
            kind="job_past_ttl" if ttl else "waste", severity="medium",
            **_owner_fields(item.team, owners, cfg, item.owner), title=title, figure=figure,
            amounts={"monthly_cost": item.monthly_cost}, action=_action_text(r)[0], action_change=_change_for(r, item.ref),
            evidence=AlertEvidence(tool="waste", sql=sql, data_through=result.as_of.isoformat(),
                                   note=f"since {item.since.isoformat()}" if item.since else None)))
    return out


def overrun_alerts(runs: list[RunCost], sql: list[SqlRun], cfg: AlertSettings, owners: dict[str, Owner]) -> list[Alert]:
    out: list[Alert] = []
    for r in runs:
        if r.estimated <= 0 or r.actual <= r.estimated * (1 + cfg.overrun_pct) or r.actual - r.estimated < cfg.overrun_floor:
            continue
        over = (r.actual - r.estimated) / r.estimated
        out.append(Alert(
            key=f"overrun:{r.job_id}", state=f"over {pct(cfg.overrun_pct, 0)}", kind="estimate_overrun", severity="medium",
            **_owner_fields(r.team, owners, cfg, r.owner), title=f"Run {r.name or r.job_id} cost more than its estimate",
            figure=f"{money(r.actual)} actual against an estimate of {money(r.estimated)} (+{pct(over)})",
            amounts={"actual": r.actual, "estimated": r.estimated},
            action="re-estimate the next run with `finops estimate` (history of similar jobs sets its range)",
            evidence=AlertEvidence(tool="gpu_jobs", sql=sql)))
    return out


def stale_alert(latest: date | None, as_of: date, cfg: AlertSettings, sql: list[SqlRun]) -> Alert | None:
    """Billing rows stopped arriving: no rows for `stale_days` days before as-of (an alert of its own)."""
    if latest is None or (as_of - latest).days <= cfg.stale_days:
        return None
    return Alert(key="stale:billing", state=latest.isoformat(), kind="stale_data", severity="high",
                 channel=cfg.default_channel, title=f"Billing data stale since {latest.isoformat()}",
                 figure=(f"the last billing (FOCUS) rows are for {latest.isoformat()}, {(as_of - latest).days} days before "
                         f"{as_of.isoformat()}; budget, forecast and anomaly alerts are held back until data arrives"),
                 action="check the billing export and the nightly `finops ingest focus` job",
                 evidence=AlertEvidence(tool="freshness", sql=sql, data_through=latest.isoformat()))

"""waste: money spent on nothing: idle endpoints, zombie jobs, low-utilisation GPUs, dev workloads
running like production, replication or storage left on. Each with its owner and money per month.

Money per month is the resource's run rate: its billed cost on the last day of data x 30 (what it will
cost in the next 30 days if nothing changes); for an endpoint with no billing rows, hourly_cost x 720.
Rules (each threshold is an argument):
- idle endpoint: at most `idle_requests_per_day` requests a day on average over `lookback_days`, and
  GPU utilisation under 10% when reported, while still billing;
- zombie job: still running (no end) and past its TTL, or no progress for `no_progress_hours`;
- low-utilisation GPU: a running job or endpoint (not already idle or a zombie) under `low_util`
  average GPU utilisation; the waste counted is the idle share (run rate x (1 - utilisation)). Where DCGM
  samples of the last 7 days match the workload (`gpu_utilization_workloads`, `finops ingest dcgm`), the
  measured utilisation (PROF_GR_ENGINE_ACTIVE, else GPU_UTIL) replaces the reported one;
- dev running like prod: an endpoint tagged dev serving traffic every day of the last week
  (>= 1,000 requests a day), or a dev job running for more than 7 days and still progressing;
- left on: replication charges (SKU or description mentions replication) or resources tagged env
  demo/test/temp/poc/sandbox, still billing on the last day after at least 14 days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.semantic.model import DIMENSIONS
from tools.contract import Listing, TableView, ToolResult, money, pct
from tools.registry import ToolContext, tool
from tools.scopes import ts
from tools.sqlparts import MONTH_DAYS, quote

ENV_SQL = DIMENSIONS["env"].sql          # the semantic model's env and project tags
PROJECT_SQL = DIMENSIONS["project"].sql

WasteKind = Literal["idle_endpoint", "zombie_job", "low_util_gpu", "dev_like_prod", "left_on"]
ALL_KINDS: tuple[WasteKind, ...] = ("idle_endpoint", "zombie_job", "low_util_gpu", "dev_like_prod", "left_on")
KIND_LABELS = {"idle_endpoint": "idle endpoints", "zombie_job": "zombie jobs", "low_util_gpu": "low-utilisation GPUs",
               "dev_like_prod": "dev workloads running like prod", "left_on": "replication/storage left on"}
TEMP_ENVS = ("demo", "test", "temp", "tmp", "poc", "sandbox")
IDLE_UTIL = 0.10
PROD_LIKE_REQUESTS = 1000
LEFT_ON_MIN_DAYS = 14
HOURS_PER_MONTH = 24 * MONTH_DAYS
# What each kind of waste is judged on: (table, what it is, the command that loads it). An empty table is
# "not checked", never "no waste".
SOURCES = {
    "gpu_jobs": ("GPU job data", "`finops ingest gpu-jobs FILE`"),
    "endpoints": ("inference endpoint data", "`finops ingest endpoints FILE`"),
    "focus_charges": ("billing data", "`finops ingest focus FILE`"),
}
NEEDS = {"idle_endpoint": ("endpoints",), "zombie_job": ("gpu_jobs",), "low_util_gpu": ("gpu_jobs", "endpoints"),
         "dev_like_prod": ("gpu_jobs", "endpoints"), "left_on": ("focus_charges",)}


class WasteArgs(BaseModel):
    kinds: list[WasteKind] = Field(default_factory=lambda: list(ALL_KINDS), description="Kinds of waste to look for.")
    team: str | None = Field(None, description="Only this team's waste.")
    lookback_days: int = Field(30, ge=1, le=365, description="Days of endpoint traffic to judge idleness on.")
    idle_requests_per_day: int = Field(10, ge=0, description="At most this many requests a day counts as idle.")
    no_progress_hours: int = Field(24, ge=1, description="A running job with no progress this long is a zombie.")
    low_util: float = Field(0.3, gt=0, lt=1, description="Low GPU use: under this share.")
    top: int = Field(100, ge=1, le=1000, description="Most items to return.")


class WasteItem(BaseModel):
    kind: WasteKind
    ref: str                      # job id, endpoint id or resource id
    name: str | None
    resource_id: str | None
    team: str | None
    owner: str | None
    monthly_cost: Decimal | None  # the waste per month (see module doc)
    run_rate_monthly: Decimal | None
    since: date | None
    reason: str
    details: dict[str, Any] = Field(default_factory=dict)


class WasteResult(ToolResult):
    # The accessors (tools.contract.ToolResult): what follow-ups read from this result.
    listing = Listing("items", "resource_id", "name")
    subject_paths = (("items", "resource_id"),)
    answers_about_listed = frozenset({"spend", "who_owns", "waste", "llm_spend"})
    as_of: date
    items: list[WasteItem]
    total_monthly: Decimal
    by_kind: dict[str, Decimal]
    counts: dict[str, int]
    kinds: list[str]
    # Kinds that could not be judged because their data is not loaded, and what is missing for each.
    not_checked: dict[str, str] = Field(default_factory=dict)

    def missing_text(self) -> str:
        """'Zombie jobs not checked: no GPU job data loaded; `finops ingest gpu-jobs FILE`.' ('' when all checked)."""
        by_reason: dict[str, list[str]] = defaultdict(list)
        for kind, reason in self.not_checked.items():
            by_reason[reason].append(KIND_LABELS[kind])
        return " ".join(f"{_first_upper(_join(labels))} not checked: {reason}." for reason, labels in by_reason.items())

    def summary(self) -> str:
        checked = [k for k in self.kinds if k not in self.not_checked]
        missing = self.missing_text()
        if not self.items:
            if not checked:
                return f"Waste cannot be judged as of {self.as_of.isoformat()}: nothing it needs is loaded. {missing}"
            found = f"No waste found among {_join([KIND_LABELS[k] for k in checked])} as of {self.as_of.isoformat()}."
            return f"{found} {missing}" if missing else found
        out = [f"Waste found: {len(self.items)} item{'s' if len(self.items) != 1 else ''} costing "
               f"{money(self.total_monthly)} per month (as of {self.as_of.isoformat()})."]
        for kind in ALL_KINDS:
            items = [i for i in self.items if i.kind == kind]
            if not items:
                continue
            teams = sorted({i.team or "unallocated" for i in items})
            head = f"{KIND_LABELS[kind].capitalize()}: {len(items)} ({money(self.by_kind[kind])}/month; teams {', '.join(teams)})"
            detail = "; ".join(f"{quote(i.name or i.ref)} ({i.team or 'unallocated'}, {i.owner or 'no owner'}): "
                               f"{money(i.monthly_cost)}/month, {i.reason}" for i in items[:5])
            more = f"; and {len(items) - 5} more" if len(items) > 5 else ""
            out.append(f"{head}: {detail}{more}.")
        if missing:
            out.append(missing)
        return " ".join(out)

    def table(self) -> TableView:
        return TableView(columns=["kind", "name", "team", "owner", "per month", "since", "why"],
                         rows=[[i.kind, i.name or i.ref, i.team, i.owner, money(i.monthly_cost),
                                i.since.isoformat() if i.since else "", i.reason] for i in self.items])


@tool("waste",
      "Waste with its owner and cost per month: idle inference endpoints, zombie GPU jobs (past TTL or no "
      "progress), low-utilisation GPUs, dev workloads running like production, replication or storage left on.",
      examples=["Which GPUs are idle?", "Any zombie jobs?", "What's running in dev that looks like prod?",
                "Where are we wasting money?", "Is any replication left on?"])
def waste(ctx: ToolContext, args: WasteArgs) -> WasteResult:
    team = ctx.resolve("team", args.team) if args.team else None
    now = ts(ctx.today)
    last_day = _last_data_day(ctx)
    kinds = [k for k in ALL_KINDS if k in args.kinds]
    not_checked = _not_checked(ctx, kinds, last_day is not None)
    items: list[WasteItem] = []
    endpoints = _endpoints(ctx, args) if {"idle_endpoint", "low_util_gpu", "dev_like_prod"} & set(kinds) else []
    jobs = _running_jobs(ctx, now) if {"zombie_job", "low_util_gpu", "dev_like_prod"} & set(kinds) else []
    ids = [e["resource_id"] for e in endpoints] + [j["resource_id"] for j in jobs]
    rates = _run_rates(ctx, ids, last_day)
    tags = _resource_tags(ctx, [e["resource_id"] for e in endpoints if e["team"] is None or e["environment"] is None]
                          + [j["resource_id"] for j in jobs if j["team"] is None or j["environment"] is None], last_day)
    idle: set[str] = set()
    zombies: set[str] = set()
    items += _idle_endpoints(endpoints, rates, last_day, args, "idle_endpoint" in kinds, idle)
    items += _zombie_jobs(jobs, rates, now, args, "zombie_job" in kinds, zombies)
    if "low_util_gpu" in kinds:
        _use_measured_util(ctx, endpoints, jobs, now)
        items += _low_util(endpoints, jobs, rates, idle, zombies, args.low_util)
    if "dev_like_prod" in kinds:
        items += _dev_like_prod(ctx, endpoints, jobs, rates, zombies, now, tags)
    if "left_on" in kinds:
        left = _left_on(ctx, last_day)
        untagged = [i.resource_id for i in left if i.team is None]
        if untagged:
            tags.update(_resource_tags(ctx, untagged, last_day))
        items += left
    items = _with_owners(items, tags)
    if team is not None:
        items = [i for i in items if i.team == team]
    items.sort(key=lambda i: (ALL_KINDS.index(i.kind), -(i.monthly_cost or Decimal(0)), i.ref))
    items = items[: args.top]
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for i in items:
        by_kind[i.kind] += i.monthly_cost or Decimal(0)
        counts[i.kind] += 1
    if last_day is None:
        ctx.note("no billing data: run rates from endpoint hourly prices only")
    return WasteResult(as_of=ctx.today, items=items, total_monthly=sum(by_kind.values(), Decimal(0)),
                       by_kind=dict(by_kind), counts=dict(counts), kinds=kinds, not_checked=not_checked)


def _idle_endpoints(endpoints: list[dict[str, Any]], rates: dict[str, Any], last_day: date | None, args: WasteArgs,
                    listed: bool, idle: set[str]) -> list[WasteItem]:
    """Endpoints serving (almost) no traffic; their ids go into `idle` whether or not they are listed."""
    items: list[WasteItem] = []
    for e in endpoints:
        rate = _monthly(rates.get(e["resource_id"]), e["hourly_cost"])
        # With billing data, billing is the truth: an endpoint not billed on the last day is gone.
        running = last_day is None or (e["resource_id"] in rates and rates[e["resource_id"]][1] is not None)
        if not running:
            continue
        requests, days = int(e["requests"] or 0), int(e["days"] or 0)
        util = e["util"]
        if days and requests <= args.idle_requests_per_day * days and (util is None or util < IDLE_UTIL):
            idle.add(e["endpoint_id"])
            if listed:
                items.append(_item("idle_endpoint", e["endpoint_id"], e, rate, rate, e["created_at"],
                                   f"{_n(requests, 'request')} in {_n(days, 'day')}"
                                   + (f", GPU {_busy(util)} busy" if util is not None else "")
                                   + (f", last request {e['last_request_at']:%Y-%m-%d}" if e["last_request_at"] else ""),
                                   {"requests": requests, "days": days, "avg_gpu_util": util, "model": e["model"],
                                    "hourly_cost": e["hourly_cost"], "instance_type": e["instance_type"],
                                    "environment": e["environment"]}))
    return items


def _zombie_jobs(jobs: list[dict[str, Any]], rates: dict[str, Any], now: datetime, args: WasteArgs,
                 listed: bool, zombies: set[str]) -> list[WasteItem]:
    """Jobs past their TTL or without progress; their ids go into `zombies` whether or not they are listed."""
    items: list[WasteItem] = []
    for j in jobs:
        rate = _monthly(rates.get(j["resource_id"]), None)
        hours = Decimal(str((now - j["started_at"]).total_seconds() / 3600))
        stalled_for = (now - (j["last_progress_at"] or j["started_at"])).total_seconds() / 3600
        past_ttl = j["ttl_hours"] is not None and float(hours) > float(j["ttl_hours"])
        stalled = stalled_for > args.no_progress_hours
        if past_ttl or stalled:
            zombies.add(j["job_id"])
            why = []
            if past_ttl:
                why.append(f"running {float(hours):.0f} h, past its {float(j['ttl_hours']):g} h TTL")
            if stalled:
                why.append(f"no progress for {stalled_for:.0f} h")
            if listed:
                items.append(_item("zombie_job", j["job_id"], j, rate, rate, j["started_at"].date(), "; ".join(why),
                                   {"started_at": j["started_at"].isoformat(), "ttl_hours": j["ttl_hours"],
                                    "last_progress_at": j["last_progress_at"].isoformat() if j["last_progress_at"] else None,
                                    "hours_running": round(float(hours), 1), "gpu_type": j["gpu_type"],
                                    "gpu_count": j["gpu_count"], "cluster": j["cluster"], "kind": j["kind"],
                                    "avg_gpu_util": j["avg_gpu_util"], "environment": j["environment"]}))
    return items


def _not_checked(ctx: ToolContext, kinds: Sequence[str], has_billing: bool) -> dict[str, str]:
    """Per kind whose data is not loaded at all (every table it needs is empty): what is missing."""
    tables = sorted({t for k in kinds for t in NEEDS[k] if t != "focus_charges"})
    loaded = {"focus_charges": has_billing}
    if tables:
        row = ctx.query("SELECT " + ", ".join(f"EXISTS (SELECT 1 FROM {t}) AS {t}" for t in tables), [])[0]
        loaded.update({t: bool(row[t]) for t in tables})
    out = {}
    for k in kinds:
        empty = [t for t in NEEDS[k] if not loaded[t]]
        if len(empty) == len(NEEDS[k]):
            out[k] = "; ".join(f"no {SOURCES[t][0]} loaded ({SOURCES[t][1]})" for t in empty)
    return out


def _n(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


# -- data ----------------------------------------------------------------------------------------------
def _last_data_day(ctx: ToolContext) -> date | None:
    last = ctx.scalar("SELECT max(ChargePeriodStart) AS last FROM focus_charges")
    return None if last is None else last.date()


def _endpoints(ctx: ToolContext, args: WasteArgs) -> list[dict[str, Any]]:
    start = ctx.today - timedelta(days=args.lookback_days)
    return ctx.query(
        """
        SELECT e.endpoint_id, e.name, e.resource_id, e.team, e.owner, e.environment, e.model, e.instance_type,
               e.gpu_type, e.gpu_count, e.hourly_cost, CAST(e.created_at AS DATE) AS created_at, e.last_request_at,
               sum(u.requests) AS requests, count(u.day) AS days, avg(u.avg_gpu_util) AS util,
               count(u.day) FILTER (WHERE u.day >= ? AND u.requests >= ?) AS busy_days_last_week,
               avg(u.avg_gpu_util) FILTER (WHERE u.day >= ?) AS util_last_week
        FROM endpoints e
        LEFT JOIN endpoint_usage_daily u ON u.endpoint_id = e.endpoint_id AND u.day >= ? AND u.day < ?
        GROUP BY e.endpoint_id, e.name, e.resource_id, e.team, e.owner, e.environment, e.model, e.instance_type,
                 e.gpu_type, e.gpu_count, e.hourly_cost, CAST(e.created_at AS DATE), e.last_request_at
        ORDER BY e.endpoint_id
        """,
        [ctx.today - timedelta(days=7), PROD_LIKE_REQUESTS, ctx.today - timedelta(days=7), start, ctx.today],
    )


def _running_jobs(ctx: ToolContext, now: datetime) -> list[dict[str, Any]]:
    return ctx.query(
        """
        SELECT job_id, name, kind, team, owner, project, environment, cluster, resource_id, gpu_type, gpu_count,
               instance_type, started_at, last_progress_at, ttl_hours, avg_gpu_util
        FROM gpu_jobs
        WHERE ended_at IS NULL AND started_at < ?
        ORDER BY job_id
        """,
        [now],
    )


def _run_rates(ctx: ToolContext, resource_ids: list[str | None], last_day: date | None) -> dict[str, tuple[date, Decimal | None]]:
    """Per resource billed in the last week of data: its last billed day and its cost on the last day of
    data (None when not billed that day). Only the last week is read, so older row groups are skipped."""
    ids = sorted({r for r in resource_ids if r})
    if not ids or last_day is None:
        return {}
    rows = ctx.query(
        f"""
        SELECT ResourceId AS rid, CAST(max(ChargePeriodStart) AS DATE) AS last_billed,
               sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) AS last_day_cost
        FROM focus_charges
        WHERE ChargePeriodStart >= ? AND ResourceId IN ({', '.join('?' for _ in ids)})
        GROUP BY ResourceId
        ORDER BY ResourceId
        """,
        [ts(last_day), ts(last_day - timedelta(days=6)), *ids],
    )
    return {r["rid"]: (r["last_billed"], None if r["last_day_cost"] is None else Decimal(r["last_day_cost"])) for r in rows}


def _busy(util: float | Decimal) -> str:
    """A GPU's busy share: two decimals under 10% ("1.02%", which one decimal would show as "1.0%")."""
    value = Decimal(str(util))
    return pct(value, 2 if value < Decimal("0.1") else 1)


def _monthly(rate: tuple[date, Decimal | None] | None, hourly: Decimal | None) -> Decimal | None:
    if rate is not None and rate[1] is not None:
        return rate[1] * MONTH_DAYS
    if hourly is not None:
        return Decimal(hourly) * HOURS_PER_MONTH
    return None


def _item(kind: str, ref: str, row: dict[str, Any], waste: Decimal | None, run_rate: Decimal | None,
          since: date | None, reason: str, details: dict[str, Any]) -> WasteItem:
    return WasteItem(kind=kind, ref=ref, name=row.get("name"), resource_id=row.get("resource_id"), team=row.get("team"),
                     owner=row.get("owner"), monthly_cost=waste, run_rate_monthly=run_rate, since=since, reason=reason,
                     details=details)


def _low_util(endpoints: list[dict[str, Any]], jobs: list[dict[str, Any]], rates: dict[str, tuple[date, Decimal | None]],
              idle: set[str], zombies: set[str], threshold: float) -> list[WasteItem]:
    out = []
    for e in endpoints:
        util = e["util_last_week"]
        if e["endpoint_id"] in idle or util is None or util >= threshold:
            continue
        rate = _monthly(rates.get(e["resource_id"]), e["hourly_cost"])
        if rate is None:
            continue
        idle_share = Decimal(str(round(1 - util, 4)))
        out.append(_item("low_util_gpu", e["endpoint_id"], e, rate * idle_share, rate, e["created_at"],
                         f"GPU {_busy(util)} busy over the last 7 days" + _measured_note(e),
                         {"avg_gpu_util": util, "instance_type": e["instance_type"], "gpu_count": e["gpu_count"],
                          "util_source": e.get("util_source", "reported")}))
    for j in jobs:
        util = j["avg_gpu_util"]
        if j["job_id"] in zombies or util is None or util >= threshold:
            continue
        rate = _monthly(rates.get(j["resource_id"]), None)
        if rate is None:
            continue
        idle_share = Decimal(str(round(1 - util, 4)))
        out.append(_item("low_util_gpu", j["job_id"], j, rate * idle_share, rate, j["started_at"].date(),
                         (f"GPU {_busy(util)} busy over the last 7 days" + _measured_note(j))
                         if j.get("util_source") else f"GPU {_busy(util)} busy on average",
                         {"avg_gpu_util": util, "gpu_type": j["gpu_type"], "gpu_count": j["gpu_count"],
                          "util_source": j.get("util_source", "reported")}))
    return out


def _use_measured_util(ctx: ToolContext, endpoints: list[dict[str, Any]], jobs: list[dict[str, Any]],
                       now: datetime) -> None:
    """Replace reported utilisation with DCGM-measured utilisation of the last 7 days where samples exist."""
    rows = ctx.query(
        """
        SELECT kind, ref,
               coalesce(avg(value) FILTER (WHERE metric = 'gr_engine_active'),
                        avg(value) FILTER (WHERE metric = 'gpu_util')) AS util,
               count(*) AS samples, count(DISTINCT coalesce(uuid, hostname || '/' || gpu)) AS gpus
        FROM gpu_utilization_workloads
        WHERE ts >= ? AND ts < ? AND metric IN ('gr_engine_active', 'gpu_util')
        GROUP BY kind, ref
        ORDER BY kind, ref
        """,
        [now - timedelta(days=7), now],
    )
    measured = {(r["kind"], r["ref"]): r for r in rows if r["util"] is not None}
    for kind, items, key, field in (("endpoint", endpoints, "endpoint_id", "util_last_week"),
                                    ("job", jobs, "job_id", "avg_gpu_util")):
        for item in items:
            m = measured.get((kind, item[key]))
            if m is not None:
                item[field] = float(m["util"])
                item["util_source"] = f"measured by DCGM ({int(m['samples']):,} samples, {int(m['gpus'])} GPU(s))"


def _measured_note(item: dict[str, Any]) -> str:
    return f", {item['util_source']}" if item.get("util_source") else ""


def _dev_like_prod(ctx: ToolContext, endpoints: list[dict[str, Any]], jobs: list[dict[str, Any]],
                   rates: dict[str, tuple[date, Decimal | None]], zombies: set[str], now: datetime,
                   tags: dict[str, dict[str, Any]]) -> list[WasteItem]:
    tagged_dev = {rid: t["env"] for rid, t in tags.items() if t["env"]}
    out = []
    for e in endpoints:
        env = e["environment"] or tagged_dev.get(e["resource_id"])
        if (env or "").lower() != "dev" or int(e["busy_days_last_week"] or 0) < 6:
            continue
        rate = _monthly(rates.get(e["resource_id"]), e["hourly_cost"])
        per_day = int(e["requests"] or 0) / max(1, int(e["days"] or 1))
        age = (ctx.today - e["created_at"]).days if e["created_at"] else None
        out.append(_item("dev_like_prod", e["endpoint_id"], e, rate, rate, e["created_at"],
                         f"tagged dev but serving {per_day:,.0f} requests a day every day"
                         + (f" for {age} days" if age else ""),
                         {"environment": env, "avg_requests_per_day": round(per_day), "age_days": age,
                          "model": e["model"], "instance_type": e["instance_type"]}))
    for j in jobs:
        if j["job_id"] in zombies or (j["environment"] or tagged_dev.get(j["resource_id"]) or "").lower() != "dev":
            continue
        days = (now - j["started_at"]).days
        if days <= 7:
            continue
        rate = _monthly(rates.get(j["resource_id"]), None)
        out.append(_item("dev_like_prod", j["job_id"], j, rate, rate, j["started_at"].date(),
                         f"dev job running continuously for {days} days", {"environment": "dev", "days": days}))
    return out


def _resource_tags(ctx: ToolContext, resource_ids: list[str | None], last_day: date | None) -> dict[str, dict[str, Any]]:
    """Per resource: its env/team/owner tags on its charges of the last week of data, and (only for
    resources without a team tag) the ownership registry's team and owner."""
    ids = sorted({r for r in resource_ids if r})
    if not ids or last_day is None:
        return {}
    rows = ctx.query(
        f"""
        SELECT ResourceId AS rid, max({ENV_SQL}) AS env, max(x_tag_team) AS tag_team,
               max(x_tag_owner) AS tag_owner
        FROM focus_charges
        WHERE ChargePeriodStart >= ? AND ResourceId IN ({', '.join('?' for _ in ids)})
        GROUP BY ResourceId ORDER BY ResourceId
        """,
        [ts(last_day - timedelta(days=6)), *ids],
    )
    out = {r["rid"]: {**r, "rule_team": None, "rule_owner": None} for r in rows}
    untagged = sorted(rid for rid, r in out.items() if r["tag_team"] is None)
    if untagged:
        rules = ctx.query(
            f"SELECT ResourceId AS rid, team, owner FROM resource_owners WHERE ResourceId IN "
            f"({', '.join('?' for _ in untagged)}) ORDER BY ResourceId",
            untagged,
        )
        for r in rules:
            out[r["rid"]]["rule_team"], out[r["rid"]]["rule_owner"] = r["team"], r["owner"]
    return out


def _left_on(ctx: ToolContext, last_day: date | None) -> list[WasteItem]:
    if last_day is None:
        return []
    envs = ", ".join("?" for _ in TEMP_ENVS)
    # Candidates and their tags from the last week of data (recent row groups only), then the whole
    # billing history of those few resources for their first day.
    rows = ctx.query(
        f"""
        WITH recent AS (
            SELECT ResourceId, max({ENV_SQL}) AS env, max({PROJECT_SQL}) AS project,
                   max(x_tag_team) AS tag_team, max(x_tag_owner) AS tag_owner,
                   sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) AS last_day_cost
            FROM focus_charges
            WHERE ChargePeriodStart >= ? AND ResourceId IS NOT NULL
              AND (SkuId ILIKE '%replicat%' OR SkuId ILIKE '%CRR%' OR ChargeDescription ILIKE '%replicat%'
                   OR lower({ENV_SQL}) IN ({envs}))
            GROUP BY ResourceId
        ), history AS (
            SELECT ResourceId, min(ResourceName) AS name, min(ServiceName) AS service, min(ProviderName) AS provider,
                   min(RegionId) AS region, CAST(min(ChargePeriodStart) AS DATE) AS first_day,
                   count(DISTINCT CAST(ChargePeriodStart AS DATE)) AS days_billed,
                   max(ChargeDescription) AS description, max(SkuId) AS sku
            FROM focus_charges WHERE ResourceId IN (SELECT ResourceId FROM recent)
            GROUP BY ResourceId
        )
        SELECT h.ResourceId AS resource_id, h.name, h.service, h.provider, h.region, h.first_day, h.days_billed,
               h.description, h.sku, r.env, r.project, r.tag_team, r.tag_owner, r.last_day_cost
        FROM history h JOIN recent r ON r.ResourceId = h.ResourceId
        ORDER BY h.ResourceId
        """,
        [ts(last_day), ts(last_day - timedelta(days=6)), *TEMP_ENVS],
    )
    out = []
    for r in rows:
        if r["last_day_cost"] is None or (last_day - r["first_day"]).days < LEFT_ON_MIN_DAYS:
            continue
        replication = any("replicat" in (r[k] or "").lower() or "crr" in (r[k] or "").lower() for k in ("sku", "description"))
        what = "replication" if replication else f"{r['service']} resource"
        env = f", tagged env={quote(r['env'])}" if r["env"] else ""
        reason = (f"{what} billing every day since {r['first_day'].isoformat()} "
                  f"({r['days_billed']} days{env}), {money(r['last_day_cost'])} a day")
        rate = Decimal(r["last_day_cost"]) * MONTH_DAYS
        out.append(WasteItem(kind="left_on", ref=r["resource_id"], name=r["name"], resource_id=r["resource_id"],
                             team=r["tag_team"], owner=r["tag_owner"], monthly_cost=rate, run_rate_monthly=rate, since=r["first_day"],
                             reason=reason, details={"service": r["service"], "provider": r["provider"],
                                                     "region": r["region"], "env": r["env"], "project": r["project"],
                                                     "replication": replication, "sku": r["sku"]}))
    return out


def _with_owners(items: list[WasteItem], tags: dict[str, dict[str, Any]]) -> list[WasteItem]:
    """Fill team/owner from the billing tags or the ownership registry where the item has none."""
    for i in items:
        r = tags.get(i.resource_id or "")
        if r is None:
            continue
        i.team = i.team or r["tag_team"] or r["rule_team"]
        i.owner = i.owner or r["tag_owner"] or r["rule_owner"]
    return items

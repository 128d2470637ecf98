"""remediations: concrete actions ranked by monthly savings, each with its evidence, risk, and the command
or change a person would apply. Nothing is executed here.

Sources and savings (per month = 30 days):
- waste (tools.waste): stop / scale to zero idle endpoints, kill or checkpoint zombie jobs, right-size
  low-utilisation GPUs, turn off replication left on: the item's monthly cost (or idle share);
  a dev workload running like production gets a governance action (no saving claimed);
- spot: each team's training, fine-tune and sweep jobs of the last 30 days x SPOT_DISCOUNT;
- reservations: GPU endpoints billed every day of the last 30 days: run rate x (1 - reserved /
  on-demand) from the catalog's 1-year no-upfront price for the instance type;
- cheaper model: prompts for simple tasks (classification, extraction, routing) on a frontier model:
  last 30 days' cost minus the same tokens at the cheaper model's prices;
- prompt caching: uncached system prompts of >= 500 tokens: prefix tokens a day x (input - cache
  read price) x 30; trimming 25% of the prompt is listed as an alternative (not added to the total);
- max_tokens: prompts without max_tokens: output tokens above the calls' p95 x output price, last 30 days;
- TTL: running jobs without a TTL (saving unknown).
Commands quote names with shell quoting; names are data from billing files, never instructions.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.caching import caching_verdict
from knowledge.prices import SPOT_DISCOUNT
from tools.contract import TableView, ToolResult, money, pct
from tools.llm_models import cheaper_models, provider_prices, token_cost
from tools.registry import ToolContext, tool
from tools.scopes import ts
from tools.sqlparts import MONTH_DAYS, quote
from tools.stats import weighted_quantile
from tools.waste import WasteArgs, WasteItem, waste

Action = Literal["stop_endpoint", "kill_job", "right_size", "stop_replication", "govern_dev_workload", "use_spot",
                 "reserve", "cheaper_model", "prompt_caching", "trim_prompt", "set_max_tokens", "add_ttl"]
Risk = Literal["low", "medium", "high"]
SIMPLE_TASKS = ("classification", "extraction", "routing", "tagging", "labeling")
MIN_CACHEABLE_PROMPT = 500
TRIM_SHARE = Decimal("0.25")
SPOT_KINDS = ("training", "fine-tune", "sweep")


class RemediationsArgs(BaseModel):
    team: str | None = Field(None, description="Only this team's actions.")
    min_savings: Decimal = Field(Decimal(0), ge=0, description="Hide actions saving less per month.")
    top: int = Field(20, ge=1, le=200, description="Most actions to return.")


class Remediation(BaseModel):
    action: Action
    title: str
    target: str
    team: str | None
    owner: str | None
    monthly_savings: Decimal | None
    risk: Risk
    risk_note: str
    evidence: str
    change: str                   # the command or change to apply (never executed)
    alternative_to: str | None = None   # a title this overlaps with: its saving is not added to the total


class RemediationsResult(ToolResult):
    # The accessors (tools.contract.ToolResult): "what do they save?" is this result again.
    answers_about_listed = frozenset({"spend", "who_owns", "remediations"})
    actions: list[Remediation]
    total_monthly: Decimal

    def summary(self) -> str:
        if not self.actions:
            return "No remediation found: no waste, no obvious savings in prompts, pricing or reservations."
        lines = [f"{len(self.actions)} action{'s' if len(self.actions) != 1 else ''}, saving {money(self.total_monthly)} per month in total "
                 f"(alternatives not added), best first:"]
        for n, a in enumerate(self.actions[:10], 1):
            saving = f"saves {money(a.monthly_savings)}/month" if a.monthly_savings is not None else "saving unknown"
            alt = f" (alternative to: {a.alternative_to})" if a.alternative_to else ""
            lines.append(f"{n}. {a.title}: {saving}, risk {a.risk}{alt}. Evidence: {a.evidence}.")
        if len(self.actions) > 10:
            lines.append(f"{len(self.actions) - 10} more in the table.")
        lines.append("Nothing was changed; each action shows the change to apply.")
        return " ".join(lines)

    def table(self) -> TableView:
        return TableView(columns=["#", "action", "team", "saves/month", "risk", "change"],
                         rows=[[n, a.title, a.team, money(a.monthly_savings), a.risk, a.change]
                               for n, a in enumerate(self.actions, 1)])


@tool("remediations",
      "What to fix first: concrete actions ranked by monthly savings (stop idle endpoints, kill zombie jobs, "
      "spot, reservations, cheaper models, prompt caching/trimming, max_tokens, TTLs), each with evidence, "
      "risk and the command or change to apply. Nothing is executed.",
      examples=["What should we fix first, and what does it save per month?", "How can we cut our AI costs?",
                "Which savings are the easiest?"])
def remediations(ctx: ToolContext, args: RemediationsArgs) -> RemediationsResult:
    team = ctx.resolve("team", args.team) if args.team else None
    found = waste(ctx, WasteArgs(team=team))
    actions: list[Remediation] = []
    actions += _from_waste(found.items, per_team=team is not None)
    actions += _spot(ctx)
    actions += _reservations(ctx, {i.ref for i in found.items if i.kind in ("idle_endpoint", "low_util_gpu")})
    actions += _prompts(ctx)
    actions += _ttls(ctx)
    if team is not None:
        actions = [a for a in actions if a.team == team]
    actions = [a for a in actions if a.monthly_savings is None or a.monthly_savings >= args.min_savings]
    actions.sort(key=lambda a: (a.monthly_savings is None, -(a.monthly_savings or Decimal(0)), a.title))
    actions = actions[: args.top]
    total = sum((a.monthly_savings or Decimal(0) for a in actions if a.alternative_to is None), Decimal(0))
    return RemediationsResult(actions=actions, total_monthly=total)


# -- from waste ----------------------------------------------------------------------------------------
def _from_waste(items: list[WasteItem], per_team: bool = False) -> list[Remediation]:
    out: list[Remediation] = []
    zombies = [i for i in items if i.kind == "zombie_job"]
    for i in items:
        if i.kind == "idle_endpoint":
            out.append(Remediation(
                action="stop_endpoint", title=f"Stop or scale to zero idle endpoint {quote(i.name or i.ref)}",
                target=i.ref, team=i.team, owner=i.owner, monthly_savings=i.monthly_cost, risk="low",
                risk_note="a caller that still uses it would fail; confirm with the owner first",
                evidence=i.reason, change=_endpoint_stop_command(i)))
        elif i.kind == "low_util_gpu":
            out.append(Remediation(
                action="right_size", title=f"Right-size {quote(i.name or i.ref)} (low GPU utilisation)",
                target=i.ref, team=i.team, owner=i.owner, monthly_savings=i.monthly_cost, risk="medium",
                risk_note="a smaller instance or fewer GPUs may raise latency; load-test first", evidence=i.reason,
                change=f"move {shlex.quote(i.name or i.ref)} to a smaller instance type or fewer GPUs "
                       f"(currently {i.details.get('instance_type') or i.details.get('gpu_type')})"))
        elif i.kind == "left_on":
            out.append(Remediation(
                action="stop_replication" if i.details.get("replication") else "stop_endpoint",
                title=f"Turn off {'replication' if i.details.get('replication') else 'left-on resource'} {quote(i.name or i.ref)}",
                target=i.ref, team=i.team, owner=i.owner, monthly_savings=i.monthly_cost, risk="medium",
                risk_note="check that nobody reads the replica (disaster recovery, another region's readers)",
                evidence=i.reason, change=_left_on_command(i)))
        elif i.kind == "dev_like_prod":
            out.append(Remediation(
                action="govern_dev_workload", title=f"Promote or retire dev workload {quote(i.name or i.ref)}",
                target=i.ref, team=i.team, owner=i.owner, monthly_savings=None, risk="medium",
                risk_note="production traffic on a dev resource has no prod SLOs, on-call or budget",
                evidence=f"{i.reason}; costs {money(i.monthly_cost)}/month",
                change=_tag_prod_command(i)))
    if zombies:
        total = sum((z.monthly_cost or Decimal(0) for z in zombies), Decimal(0))
        teams = sorted({z.team or "unallocated" for z in zombies})
        commands = "# checkpoint first any run that still matters; outside Kubernetes use your scheduler's cancel\n" + "\n".join(
            f"kubectl delete job {shlex.quote(z.name or z.ref)}   # {z.ref}, {z.team}, {z.owner}, "
            f"{z.details.get('cluster')}, {money(z.monthly_cost)}/month"
            for z in zombies)
        out.append(Remediation(
            action="kill_job", title=f"Kill or checkpoint {len(zombies)} zombie job{'s' if len(zombies) > 1 else ''}",
            target=", ".join(z.ref for z in zombies), team=teams[0] if len(teams) == 1 else None, owner=None,
            monthly_savings=total, risk="low",
            risk_note="they made no progress for days; a job that is still useful should be checkpointed, not killed",
            evidence=f"{len(zombies)} job{'s' if len(zombies) != 1 else ''} running past their TTL or without progress (teams {', '.join(teams)})",
            change=commands))
        # Asked for one team: one action per team, so the team finds its own zombies.
        if per_team and len(teams) > 1:
            for t in teams:
                mine = [z for z in zombies if (z.team or "unallocated") == t]
                out.append(Remediation(
                    action="kill_job", title=f"Kill or checkpoint {t}'s {len(mine)} zombie job{'s' if len(mine) > 1 else ''}",
                    target=", ".join(z.ref for z in mine), team=t, owner=mine[0].owner,
                    monthly_savings=sum((z.monthly_cost or Decimal(0) for z in mine), Decimal(0)), risk="low",
                    risk_note="checkpoint a run that is still useful", evidence="; ".join(f"{z.ref}: {z.reason}" for z in mine),
                    change="\n".join(f"kubectl delete job {shlex.quote(z.name or z.ref)}" for z in mine)))
    return out


def _endpoint_stop_command(i: WasteItem) -> str:
    rid, name = i.resource_id or "", i.name or i.ref
    if ":sagemaker:" in rid:
        return f"aws sagemaker delete-endpoint --endpoint-name {shlex.quote(name)}"
    if "aiplatform.googleapis.com" in rid:
        return f"gcloud ai endpoints undeploy-model {shlex.quote(rid.rsplit('/', 1)[-1])} --deployed-model-id=DEPLOYED_MODEL_ID"
    return f"scale {shlex.quote(name)} to zero replicas (e.g. kubectl scale deployment {shlex.quote(name)} --replicas=0)"


def _left_on_command(i: WasteItem) -> str:
    name = i.name or i.ref
    if (i.resource_id or "").startswith("arn:aws:s3:::") and i.details.get("replication"):
        source = name.split("-replica")[0] if "-replica" in name else "SOURCE_BUCKET"
        return (f"aws s3api delete-bucket-replication --bucket {shlex.quote(source)}   # the source bucket (check)\n"
                f"aws s3 rb s3://{shlex.quote(name)} --force   # after confirming nobody reads the replica")
    return f"delete or stop {shlex.quote(name)} ({i.details.get('service')})"


def _tag_prod_command(i: WasteItem) -> str:
    rid = i.resource_id or i.ref
    if rid.startswith("arn:aws:"):
        return (f"aws resourcegroupstaggingapi tag-resources --resource-arn-list {shlex.quote(rid)} --tags env=prod\n"
                "# and give it a prod owner, on-call and budget, or retire it")
    return f"tag {shlex.quote(rid)} env=prod, give it a prod owner and budget, or retire it"


# -- spot ------------------------------------------------------------------------------------------------
def _spot(ctx: ToolContext) -> list[Remediation]:
    start = ts(ctx.today - timedelta(days=MONTH_DAYS))
    kinds = ", ".join("?" for _ in SPOT_KINDS)
    rows = ctx.query(
        f"""
        SELECT team, count(*) AS jobs, sum(actual_cost) AS cost
        FROM gpu_jobs
        WHERE kind IN ({kinds}) AND started_at >= ? AND started_at < ? AND actual_cost IS NOT NULL AND team IS NOT NULL
        GROUP BY team
        ORDER BY team
        """,
        [*SPOT_KINDS, start, ts(ctx.today)],
    )
    out = []
    for r in rows:
        cost = Decimal(r["cost"] or 0)
        if cost <= 0:
            continue
        out.append(Remediation(
            action="use_spot", title=f"Run {r['team']}'s training, fine-tune and sweep jobs on spot",
            target=f"{r['team']} GPU jobs", team=r["team"], owner=None, monthly_savings=cost * SPOT_DISCOUNT,
            risk="medium", risk_note="spot capacity can be reclaimed: jobs must checkpoint and resume",
            evidence=f"{r['jobs']} such job{'s' if r['jobs'] != 1 else ''} cost {money(cost)} in the last {MONTH_DAYS} days on on-demand; spot is "
                     f"about {pct(SPOT_DISCOUNT, 0)} cheaper",
            change="in each job manifest:\n-pricing: on-demand\n+pricing: spot\n# and checkpoint at least every 30 minutes"))
    return out


# -- reservations ----------------------------------------------------------------------------------------
def _reservations(ctx: ToolContext, exclude: set[str]) -> list[Remediation]:
    first = ctx.today - timedelta(days=MONTH_DAYS)
    rows = ctx.query(
        """
        WITH billed AS (
            SELECT ResourceId, count(DISTINCT CAST(ChargePeriodStart AS DATE)) AS days, sum(BilledCost) AS cost,
                   max(PricingCategory) AS pricing
            FROM focus_charges
            WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?
              AND ResourceId IN (SELECT resource_id FROM endpoints)
            GROUP BY ResourceId
        ), price AS (
            SELECT instance_type, min(on_demand_usd_per_hour) AS od, min(reserved_1yr_no_upfront_usd_per_hour) AS rsv
            FROM gpu_prices WHERE region = 'us-east-1'
            GROUP BY instance_type
        )
        SELECT e.endpoint_id, e.name, e.team, e.owner, e.instance_type, e.resource_id, b.days, b.cost, b.pricing,
               p.od, p.rsv
        FROM endpoints e JOIN billed b ON b.ResourceId = e.resource_id
        JOIN price p ON p.instance_type = e.instance_type
        ORDER BY e.endpoint_id
        """,
        [ts(first), ts(ctx.today)],
    )
    out = []
    for r in rows:
        if r["endpoint_id"] in exclude or r["rsv"] is None or r["od"] in (None, 0) or int(r["days"]) < MONTH_DAYS:
            continue
        if (r["pricing"] or "").lower() == "committed":
            continue
        discount = 1 - Decimal(r["rsv"]) / Decimal(r["od"])
        monthly = Decimal(r["cost"]) / int(r["days"]) * MONTH_DAYS
        out.append(Remediation(
            action="reserve", title=f"Reserve capacity for steady endpoint {quote(r['name'] or r['endpoint_id'])}",
            target=r["endpoint_id"], team=r["team"], owner=r["owner"], monthly_savings=monthly * discount, risk="low",
            risk_note="a 1-year commitment is paid even if the endpoint is retired",
            evidence=f"billed every day of the last {MONTH_DAYS} days ({money(monthly)}/month); the catalog's 1-year "
                     f"no-upfront price for {r['instance_type']} is {pct(discount)} below on-demand",
            change=f"buy a 1-year no-upfront commitment (Savings Plan / reserved capacity) covering 1 x {r['instance_type']} "
                   f"for {shlex.quote(r['name'] or r['endpoint_id'])}"))
    return out


# -- prompts ---------------------------------------------------------------------------------------------
def _prompts(ctx: ToolContext) -> list[Remediation]:
    start = ts(ctx.today - timedelta(days=MONTH_DAYS))
    rows = ctx.query(
        """
        SELECT p.prompt_id, p.version, p.app, p.team, p.model, p.system_prompt_tokens, p.max_tokens, p.task_type,
               p.caching_enabled, c.calls, c.input_tokens, c.cached_tokens, c.output_tokens, c.cost, c.days
        FROM prompts p JOIN (
            SELECT prompt_id, prompt_version, model, sum(calls) AS calls, sum(input_tokens) AS input_tokens,
                   sum(cached_input_tokens) AS cached_tokens, sum(output_tokens) AS output_tokens, sum(cost) AS cost,
                   count(DISTINCT CAST(ts AS DATE)) AS days
            FROM llm_calls WHERE ts >= ? AND ts < ?
            GROUP BY prompt_id, prompt_version, model
        ) c ON c.prompt_id = p.prompt_id AND c.prompt_version = p.version AND c.model = p.model
        ORDER BY p.prompt_id, p.version
        """,
        [start, ts(ctx.today)],
    )
    out: list[Remediation] = []
    for r in rows:
        try:
            prices = provider_prices(ctx.query, r["model"])
        except Exception:
            continue
        own = next(p for p in prices if p["model"] == r["model"])
        calls, days = int(r["calls"] or 0), int(r["days"] or 0)
        if not calls or not days:
            continue
        per_month = Decimal(MONTH_DAYS) / days
        target = f"{r['prompt_id']} ({r['app']})"
        uncached = Decimal(r["input_tokens"] - r["cached_tokens"])
        cached, output = Decimal(r["cached_tokens"]), Decimal(r["output_tokens"])
        current = token_cost(own, uncached, cached, output)
        # Cheaper model for a simple task on a frontier model.
        if (r["task_type"] or "") in SIMPLE_TASKS and own["tier"] == "frontier" and current:
            options = cheaper_models(r["model"], prices, _priced(uncached, cached, output), current)
            small = [o for o in options if o[0]["tier"] == "small"] or options
            if small:
                p, cost = small[0]
                out.append(Remediation(
                    action="cheaper_model", title=f"Route {r['app']} ({r['task_type']}) from {r['model']} to {p['model']}",
                    target=target, team=r["team"], owner=None, monthly_savings=(current - cost) * per_month, risk="medium",
                    risk_note="check accuracy on a labelled sample before switching",
                    evidence=f"{r['task_type']} on a frontier model: {calls:,} calls cost {money(current)} in {days} days; "
                             f"the same tokens on {p['model']} cost {money(cost)}",
                    change=f"in {r['app']}'s model config:\n-model: {r['model']}\n+model: {p['model']}"))
        # Prompt caching / trimming of a long system prompt.
        spt = int(r["system_prompt_tokens"] or 0)
        if spt >= MIN_CACHEABLE_PROMPT and own["inp"] is not None:
            prefix_tokens = Decimal(spt) * calls
            cache_price = own["cache"] if own["cache"] is not None else None
            verdict = caching_verdict(r["model"], own.get("provider"), spt,
                                      observed_cached=Decimal(r["cached_tokens"] or 0) > 0)
            caching_title = f"Cache the {spt}-token system prompt of {r['app']}"
            if verdict.cacheable is False:
                # One rule (knowledge/caching.py): below the minimum nothing is cached as it is.
                caching_title = (f"Grow {r['app']}'s {spt}-token system prompt to the {verdict.min_tokens:,}-token "
                                 f"caching minimum of {r['model']}, then cache it")
            if not r["caching_enabled"] and cache_price is not None and cache_price < own["inp"]:
                saving = prefix_tokens * (own["inp"] - cache_price) * per_month
                padding = Decimal(verdict.shortfall) * calls * cache_price * per_month
                evidence = (f"{spt} tokens x {calls / days:,.0f} calls a day, uncached: {money(prefix_tokens * own['inp'] / days)}"
                            f" a day at {money(own['inp'] * 1_000_000)} per 1M input tokens; cached reads cost "
                            f"{money(cache_price * 1_000_000)} per 1M")
                if verdict.cacheable is False:
                    evidence += (f"; {verdict.why_not()}; the saving assumes those {verdict.shortfall:,} tokens are "
                                 f"text each call already sends (new padding would cost {money(padding)}/month of it)")
                out.append(Remediation(
                    action="prompt_caching", title=caching_title, target=target, team=r["team"], owner=None,
                    monthly_savings=saving, risk="low" if verdict.cacheable else "medium",
                    risk_note="the prompt prefix must stay byte-identical" + (
                        "" if verdict.cacheable else "; caching starts only once the identical prefix reaches the minimum"
                        if verdict.cacheable is False else f"; {verdict.why_not()}"),
                    evidence=evidence,
                    change=(f"move static content ahead of the user's text in {r['prompt_id']} until the identical "
                            f"prefix is at least {verdict.min_tokens:,} tokens (now {spt}); then " if verdict.cacheable is False
                            else f"enable prompt caching for {r['prompt_id']}: ") + verdict.how()))
            trim_price = cache_price if r["caching_enabled"] and cache_price is not None else own["inp"]
            out.append(Remediation(
                action="trim_prompt", title=f"Trim {pct(TRIM_SHARE, 0)} of {r['app']}'s {spt}-token system prompt",
                target=target, team=r["team"], owner=None,
                monthly_savings=prefix_tokens * TRIM_SHARE * trim_price * per_month, risk="medium",
                risk_note="shorter instructions can change answers; compare on a sample",
                evidence=f"{spt} tokens sent with each of {calls:,} calls in {days} days",
                change=f"edit {r['prompt_id']} {_version(r['version'])}: remove about {int(spt * TRIM_SHARE)} tokens of instructions",
                alternative_to=caching_title if not r["caching_enabled"] else None))
        # max_tokens on a prompt without one.
        if r["max_tokens"] is None and own["outp"] is not None:
            action = _max_tokens(ctx, r, own, start, per_month)
            if action is not None:
                out.append(action)
    return out


def _version(version: str | None) -> str:
    v = str(version or "")
    return v if v.lower().startswith("v") else f"v{v}"


def _max_tokens(ctx: ToolContext, r: dict[str, Any], own: dict[str, Any], start: Any, per_month: Decimal) -> Remediation | None:
    hist = ctx.query(
        """
        SELECT output_tokens AS tokens, sum(calls) AS n FROM llm_calls
        WHERE prompt_id = ? AND ts >= ? AND ts < ? AND calls = 1
        GROUP BY output_tokens ORDER BY output_tokens
        """,
        [r["prompt_id"], start, ts(ctx.today)],
    )
    if not hist:
        return None
    pairs = [(Decimal(h["tokens"]), int(h["n"])) for h in hist]
    p95 = weighted_quantile(pairs, "0.95").to_integral_value(rounding=ROUND_CEILING)
    cap = int((p95 / 100).to_integral_value(rounding=ROUND_CEILING) * 100)
    over = sum((max(Decimal(0), Decimal(h["tokens"]) - cap) * int(h["n"]) for h in hist), Decimal(0))
    calls = sum(int(h["n"]) for h in hist)
    median = weighted_quantile(pairs, "0.5")
    return Remediation(
        action="set_max_tokens", title=f"Set max_tokens={cap} on {r['app']}", target=f"{r['prompt_id']} ({r['app']})",
        team=r["team"], owner=None, monthly_savings=over * own["outp"] * per_month, risk="medium",
        risk_note="answers longer than the cap are cut off: read a few of the longest first",
        evidence=f"no max_tokens; {calls:,} calls with median {median:,.0f} and p95 {p95:,} output tokens; "
                 f"{over:,.0f} output tokens above {cap} in the last {MONTH_DAYS} days",
        change=f"in {r['app']}'s request:\n+max_tokens: {cap}")


# -- TTLs ------------------------------------------------------------------------------------------------
def _ttls(ctx: ToolContext) -> list[Remediation]:
    rows = ctx.query(
        """
        SELECT job_id, name, team, owner, started_at FROM gpu_jobs
        WHERE ended_at IS NULL AND ttl_hours IS NULL AND started_at < ?
        ORDER BY job_id
        """,
        [ts(ctx.today)],
    )
    return [Remediation(
        action="add_ttl", title=f"Add a TTL to running job {r['job_id']}", target=r["job_id"], team=r["team"],
        owner=r["owner"], monthly_savings=None, risk="low", risk_note="a TTL shorter than the run stops it early",
        evidence=f"running since {r['started_at']:%Y-%m-%d %H:%M} without a TTL",
        change=f"in {shlex.quote(r['name'] or r['job_id'])}'s manifest:\n+ttl_hours: 72") for r in rows]


def _priced(uncached: Decimal, cached: Decimal, output: Decimal) -> Callable[[dict[str, Any]], Decimal | None]:
    """What these token counts cost at a model's prices."""
    return lambda p: token_cost(p, uncached, cached, output)

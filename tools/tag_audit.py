"""tag_audit: untagged and mis-tagged spend per required tag key (default team, project, env, owner), as
amount and % of the total, by account and service; the top offending resources with a suggested owner
(ownership registry, endpoint or GPU-job metadata, or the resource's own tagged charges); the
crawl-stage target (< 5% untagged) against the actual.

Untagged: the key is absent or blank (and no differently-spelled key such as `Team` carries a value).
Mis-tagged: the value is there but wrong: a `team` that is not in the teams table, a value with
characters outside what cloud tag values allow (letters, digits, spaces and _ . : / = + - @), or the
value sits under a differently-spelled key. Tag values come back exactly as stored, shown quoted.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator

from knowledge.semantic.compiler import relation
from knowledge.semantic.model import DIMENSIONS
from knowledge.semantic.query import Filter
from knowledge.semantic.validate import resolve_filters
from tools.contract import Listing, TableView, ToolResult, money, pct
from tools.names import candidates, fold
from tools.periods import Period
from tools.registry import ToolContext, tool
from tools.sqlparts import (
    CHARGE_IN_PERIOD,
    dec,
    during,
    owner_hits_sql,
    period_params,
    quote,
    ratio,
    require_charges,
    show,
    tag_keys_sql,
    well_formed_sql,
)

DEFAULT_KEYS = ["team", "project", "env", "owner"]
CRAWL_TARGET = Decimal("0.05")   # FinOps crawl stage: less than 5% of spend untagged

# Well-known alternative names of a required key (folded): `environment` for `env` and back.
_ALIASES = {"env": ("environment",), "environment": ("env",)}

_REASONS = {
    "unknown_team": "not a team in the teams table",
    "malformed": "characters a cloud tag value does not allow",
    "variant_key": "value under a differently-spelled key",
}


class TagAuditArgs(BaseModel):
    period: str = Field("last 30 days", description="Period audited, e.g. 'last month', 'last 90 days'.")
    keys: list[str] = Field(default_factory=lambda: list(DEFAULT_KEYS), min_length=1, max_length=12,
                            description="Required tag keys.")
    top: int = Field(10, ge=1, le=50, description="How many offending resources to list.")
    filters: list[Filter] = Field(default_factory=list, max_length=6,
                                  description="Audit scope, e.g. provider eq Microsoft (semantic-model dimensions).")

    @field_validator("keys")
    @classmethod
    def _clean(cls, keys: list[str]) -> list[str]:
        out: list[str] = []
        for k in keys:
            k = k.strip()
            if not k:
                raise ValueError("a tag key cannot be empty")
            if k not in out:
                out.append(k)
        return out


class BadValue(BaseModel):
    value: str | None                    # exactly as stored (untrusted data: shown quoted)
    key_used: str                        # the key it was found under
    reason: str
    billed: Decimal
    suggestion: str | None = None        # e.g. the known team it folds to


class KeyAudit(BaseModel):
    key: str
    untagged: Decimal
    untagged_share: Decimal | None
    mistagged: Decimal
    mistagged_share: Decimal | None
    variant_keys: list[str] = Field(default_factory=list)
    bad_values: list[BadValue] = Field(default_factory=list)


class GroupAudit(BaseModel):
    dimension: str                       # account | service
    name: str | None
    billed: Decimal
    untagged: Decimal                    # missing the headline key
    untagged_share: Decimal | None
    any_missing: Decimal                 # missing or mis-tagged on any required key


class Offender(BaseModel):
    resource_id: str | None
    resource_name: str | None = None
    service: str | None = None
    account: str | None = None
    billed: Decimal                      # spend on its charges that miss or mis-tag a required key
    missing_keys: list[str] = Field(default_factory=list)
    mistagged_keys: list[str] = Field(default_factory=list)
    suggested_team: str | None = None
    suggested_owner: str | None = None
    suggestion_source: str | None = None
    confidence: Decimal | None = None


class TagAuditResult(ToolResult):
    # The accessors (tools.contract.ToolResult): what follow-ups and surfaces read from this result.
    listing = Listing("offenders", "resource_id", "resource_name")
    subject_paths = (("offenders", "resource_id"),)
    answers_about_listed = frozenset({"spend", "who_owns", "tag_audit"})
    period: Period
    scope: list[str] = Field(default_factory=list)   # the audit's filters, described
    keys: list[str]
    headline_key: str
    total: Decimal
    untagged: Decimal                    # spend missing the headline key
    untagged_share: Decimal | None
    target: Decimal = CRAWL_TARGET
    meets_target: bool
    any_missing: Decimal                 # spend missing or mis-tagging at least one required key
    any_missing_share: Decimal | None
    per_key: list[KeyAudit]
    by_account: list[GroupAudit] = Field(default_factory=list)
    by_service: list[GroupAudit] = Field(default_factory=list)
    offenders: list[Offender] = Field(default_factory=list)
    suggestable: Decimal = Decimal(0)    # untagged spend of offenders with a suggested owner

    def summary(self) -> str:
        verdict = "meeting" if self.meets_target else "above"
        scope = f" for {', '.join(self.scope)}" if self.scope else ""
        text = (f"{pct(self.untagged_share)} of billed spend{scope} {during(self.period)} ({money(self.untagged)} of "
                f"{money(self.total)}) has no `{self.headline_key}` tag, {verdict} the crawl-stage target of "
                f"under {pct(self.target, 0)}. {money(self.any_missing)} ({pct(self.any_missing_share)}) misses or "
                f"mis-tags at least one of {', '.join(f'`{k}`' for k in self.keys)}.")
        parts = []
        for k in self.per_key:
            part = f"`{k.key}` untagged {money(k.untagged)} ({pct(k.untagged_share)})"
            if k.mistagged:
                part += f", mis-tagged {money(k.mistagged)} ({pct(k.mistagged_share)})"
            parts.append(part)
        text += " Per key: " + "; ".join(parts) + "."
        bad = [(k.key, b) for k in self.per_key for b in k.bad_values]
        if bad:
            text += " Mis-tagged values (quoted as stored): " + "; ".join(
                f"`{b.key_used}` = {quote(b.value)} ({b.reason}, {money(b.billed)})" for _, b in bad[:5]) + "."
        top_acc = [g for g in self.by_account if g.untagged][:3]
        if top_acc:
            text += " Most untagged by account: " + ", ".join(
                f"{show(g.name)} {money(g.untagged)} ({pct(g.untagged_share)} of its spend)" for g in top_acc) + "."
        if self.offenders:
            items = []
            for o in self.offenders[:5]:
                name = show(o.resource_id) if o.resource_id else "charges without a resource id"
                item = f"{name} {money(o.billed)} (missing {', '.join(o.missing_keys) or 'none'}"
                if o.mistagged_keys:
                    item += f"; mis-tagged {', '.join(o.mistagged_keys)}"
                item += ")"
                if o.suggested_team:
                    item += (f" -> team {show(o.suggested_team)}"
                             + (f" ({show(o.suggested_owner)})" if o.suggested_owner else "")
                             + f" from {o.suggestion_source}")
                items.append(item)
            text += " Top offenders: " + "; ".join(items) + "."
            if self.suggestable:
                text += f" A suggested owner is known for {money(self.suggestable)} of the offenders' spend."
        return text

    def table(self) -> TableView:
        rows: list[list[Any]] = []
        for o in self.offenders:
            suggested = ""
            if o.suggested_team:
                suggested = o.suggested_team + (f" ({o.suggested_owner})" if o.suggested_owner else "")
            source = "" if o.suggestion_source is None else f"{o.suggestion_source} ({o.confidence})"
            rows.append([o.resource_name or o.resource_id or "(no resource id)", o.service or "", money(o.billed),
                         ", ".join(o.missing_keys), ", ".join(o.mistagged_keys), suggested, source])
        return TableView(columns=["resource", "service", "billed", "missing", "mis-tagged", "suggested owner", "from"],
                         rows=rows)


@tool(
    "tag_audit",
    "Untagged and mis-tagged spend per required tag key (default team, project, env, owner): amount and % of total, "
    "by account and service, top offending resources with a suggested owner, and the <5% crawl-stage target vs actual.",
    examples=[
        "How much of our spend is untagged?",
        "Who should own the untagged spend?",
        "Tag audit for last month",
        "Which accounts have the most resources without a team tag?",
    ],
)
def tag_audit(ctx: ToolContext, args: TagAuditArgs) -> TagAuditResult:
    period = ctx.period(args.period)
    require_charges(ctx, period)
    have_teams = bool(ctx.scalar("SELECT count(*) FROM teams"))

    # One scan of the period's charges: spend per account, service, resource and tag set. Tag values are
    # read from this small table (reading a MAP column dominates the cost of a scan).
    scoped, scope_sql, scope_params = resolve_filters(ctx.con, args.filters,
                                                      known=lambda kind: candidates(ctx.con, kind))
    rel = relation([f.dimension for f in scoped]) if scoped else "focus_charges"
    grouped = f"_tag_audit_{uuid.uuid4().hex[:12]}"
    ctx.query(
        f"""CREATE TEMP TABLE {grouped} AS
            SELECT {DIMENSIONS["account"].sql} AS account, SubAccountId, SubAccountName,
                   ServiceName AS service, ResourceId, ResourceName, Tags, sum(BilledCost) AS BilledCost,
                   count(*) AS charges
            FROM {rel} WHERE {CHARGE_IN_PERIOD}{scope_sql}
            GROUP BY SubAccountId, SubAccountName, ServiceName, ResourceId, ResourceName, Tags""",
        [*period_params(period), *scope_params],
    )
    try:
        result = _audit(ctx, args, period, grouped, have_teams)
        result.scope = [f"{f.dimension.label} {f.op.replace('_', ' ')} {', '.join(f.values)}".replace(" eq ", " ")
                        for f in scoped]
        return result
    finally:
        ctx.con.execute(f"DROP TABLE IF EXISTS {grouped}")


def _audit(ctx: ToolContext, args: TagAuditArgs, period: Period, grouped: str, have_teams: bool) -> TagAuditResult:
    keys = args.keys
    headline = "team" if "team" in keys else keys[0]
    # Keys spelled differently from a required key ('Team', 'Project') that the period's charges carry.
    present = [r["k"] for r in ctx.query(tag_keys_sql(grouped))]
    variants = {k: [p for p in present if p not in keys and (fold(p) == fold(k) or fold(p) in _ALIASES.get(fold(k), ()))]
                for k in keys}

    # Per charge and key i: v{i} the trimmed value (NULL when blank), r{i} the raw value, a{i}/an{i} the raw
    # value and name of a differently-spelled key that carries one; s{i} the state: NULL when fine, else
    # untagged / variant_key / unknown_team / malformed.
    cols: list[str] = []
    col_params: list[Any] = []
    for i, k in enumerate(keys):
        cols.append(f"nullif(trim(Tags[?]), '') AS v{i}, Tags[?] AS r{i}")
        col_params += [k, k]
        if variants[k]:
            whens = " ".join("WHEN nullif(trim(Tags[?]), '') IS NOT NULL THEN Tags[?]" for _ in variants[k])
            names = " ".join("WHEN nullif(trim(Tags[?]), '') IS NOT NULL THEN ?" for _ in variants[k])
            cols.append(f"CASE {whens} END AS a{i}, CASE {names} END AS an{i}")
            col_params += [x for v in variants[k] for x in (v, v)] + [x for v in variants[k] for x in (v, v)]
        else:
            cols.append(f"CAST(NULL AS VARCHAR) AS a{i}, CAST(NULL AS VARCHAR) AS an{i}")
    states = []
    for i, k in enumerate(keys):
        team_check = f" WHEN v{i} NOT IN (SELECT team FROM teams) THEN 'unknown_team'" if k == "team" and have_teams else ""
        states.append(f"CASE WHEN v{i} IS NULL AND a{i} IS NULL THEN 'untagged' WHEN v{i} IS NULL THEN 'variant_key'"
                      f"{team_check} WHEN NOT {well_formed_sql(f'v{i}')} THEN 'malformed' END AS s{i}")
    stated = f"{grouped}_s"
    ctx.query(
        f"""CREATE TEMP TABLE {stated} AS
        WITH c AS (
            SELECT BilledCost, account, SubAccountId, SubAccountName, service, ResourceId, ResourceName, Tags,
                   {', '.join(cols)}
            FROM {grouped}
        )
        SELECT c.*, {', '.join(states)} FROM c""",
        col_params,
    )
    try:
        return _report(ctx, args, period, keys, headline, variants, stated, have_teams)
    finally:
        ctx.con.execute(f"DROP TABLE IF EXISTS {stated}")


def _report(ctx: ToolContext, args: TagAuditArgs, period: Period, keys: list[str], headline: str,
            variants: dict[str, list[str]], stated: str, have_teams: bool) -> TagAuditResult:
    staged = f"WITH s AS (SELECT * FROM {stated})"
    staged_params: list[Any] = []
    any_bad = " OR ".join(f"s{i} IS NOT NULL" for i in range(len(keys)))
    h = keys.index(headline)

    per_key_cols = ", ".join(
        f"sum(BilledCost) FILTER (WHERE s{i} = 'untagged') AS u{i}, "
        f"sum(BilledCost) FILTER (WHERE s{i} IS NOT NULL AND s{i} <> 'untagged') AS m{i}"
        for i in range(len(keys)))
    totals = ctx.query(
        f"""{staged}
        SELECT CASE WHEN GROUPING(account) = 0 THEN 'account' WHEN GROUPING(service) = 0 THEN 'service'
                    ELSE 'total' END AS dim,
               coalesce(account, service) AS name, sum(BilledCost) AS billed,
               sum(BilledCost) FILTER (WHERE {any_bad}) AS any_bad, {per_key_cols}
        FROM s GROUP BY GROUPING SETS ((), (account), (service))
        ORDER BY dim, u{h} DESC NULLS LAST, billed DESC, name NULLS LAST""",
        staged_params,
    )
    total_row = next(r for r in totals if r["dim"] == "total")
    total = dec(total_row["billed"])

    def pick(template: str) -> str:
        return "CASE " + " ".join(f"WHEN k.i = {i} THEN {template.format(i=i)}" for i in range(len(keys))) + " END"

    bad_rows = ctx.query(
        f"""{staged},
        k AS (SELECT * FROM (VALUES {', '.join(['(?, ?)'] * len(keys))}) AS k(i, key)),
        x AS (
            SELECT k.i, k.key, BilledCost, {pick("s{i}")} AS reason,
                   {pick("CASE WHEN v{i} IS NOT NULL THEN r{i} ELSE a{i} END")} AS value,
                   {pick("CASE WHEN v{i} IS NOT NULL THEN k.key ELSE an{i} END")} AS key_used
            FROM (SELECT * FROM s WHERE {' OR '.join(f"(s{i} IS NOT NULL AND s{i} <> 'untagged')" for i in range(len(keys)))}) s
            CROSS JOIN k
        )
        SELECT i, key, reason, value, key_used, sum(BilledCost) AS billed
        FROM x WHERE reason <> 'untagged'
        GROUP BY i, key, reason, value, key_used
        ORDER BY i, billed DESC, value NULLS LAST, key_used NULLS LAST, reason""",
        staged_params + [x for i, k in enumerate(keys) for x in (i, k)],
    )
    known_teams = [r["team"] for r in ctx.query("SELECT team FROM teams ORDER BY team")] if have_teams else []
    per_key: list[KeyAudit] = []
    for i, k in enumerate(keys):
        u, m = dec(total_row[f"u{i}"]), dec(total_row[f"m{i}"])
        bad: list[BadValue] = []
        for r in (r for r in bad_rows if r["key"] == k):
            if len(bad) >= 5:
                break
            suggestion = None
            if r["reason"] == "unknown_team" and r["value"] is not None:
                folded = [t for t in known_teams if fold(t) == fold(r["value"])]
                suggestion = folded[0] if folded else None
            bad.append(BadValue(value=r["value"], key_used=r["key_used"] or k, reason=_REASONS[r["reason"]],
                                billed=dec(r["billed"]), suggestion=suggestion))
        per_key.append(KeyAudit(key=k, untagged=u, untagged_share=ratio(u, total), mistagged=m,
                                mistagged_share=ratio(m, total), variant_keys=variants[k], bad_values=bad))

    def group(dim: str) -> list[GroupAudit]:
        out = [GroupAudit(dimension=dim, name=r["name"], billed=dec(r["billed"]), untagged=dec(r[f"u{h}"]),
                          untagged_share=ratio(dec(r[f"u{h}"]), dec(r["billed"])), any_missing=dec(r["any_bad"]))
               for r in totals if r["dim"] == dim]
        return sorted(out, key=lambda g: (-g.untagged, -g.any_missing, g.name or ""))[:10]

    offenders = _offenders(ctx, staged, staged_params, keys, any_bad, args.top, have_teams, h)
    untagged = per_key[h].untagged
    any_missing = dec(total_row["any_bad"])
    share = ratio(untagged, total)
    return TagAuditResult(
        period=period, keys=keys, headline_key=headline, total=total, untagged=untagged, untagged_share=share,
        meets_target=share is not None and share < CRAWL_TARGET, any_missing=any_missing,
        any_missing_share=ratio(any_missing, total), per_key=per_key, by_account=group("account"),
        by_service=group("service"), offenders=offenders,
        suggestable=sum((o.billed for o in offenders if o.suggested_team), Decimal(0)),
    )


def _offenders(ctx: ToolContext, staged: str, params: list[Any], keys: list[str], any_bad: str, top: int,
               have_teams: bool, h: int) -> list[Offender]:
    """The resources with the most spend missing the headline key (then any required key), with the
    owner the registry, endpoint or job metadata, or the resource's own well-tagged charges suggest."""
    team_known = " AND Tags['team'] IN (SELECT team FROM teams)" if have_teams else ""
    flags = ", ".join(
        f"max(CASE WHEN s{i} = 'untagged' THEN 1 ELSE 0 END) AS miss{i}, "
        f"max(CASE WHEN s{i} IS NOT NULL AND s{i} <> 'untagged' THEN 1 ELSE 0 END) AS bad{i}"
        for i in range(len(keys)))
    offenders = ctx.query(
        f"""{staged}
        SELECT ResourceId AS rid, min(ResourceName) AS name, min(service) AS service, min(account) AS account,
               sum(BilledCost) AS billed, sum(BilledCost) FILTER (WHERE s{h} IS NOT NULL) AS head_billed, {flags}
        FROM s WHERE {any_bad}
        GROUP BY ResourceId
        ORDER BY head_billed DESC NULLS LAST, billed DESC, rid NULLS FIRST
        LIMIT ?""",
        params + [top],
    )
    rids = [r["rid"] for r in offenders if r["rid"] is not None]
    hints: dict[str, dict[str, Any]] = {}
    if rids:
        marks = ", ".join(["?"] * len(rids))
        for h_row in ctx.query(
            f"""{staged},
            res AS (SELECT DISTINCT ResourceId, ResourceName, SubAccountId, SubAccountName FROM s
                    WHERE ResourceId IN ({marks})),
            ro AS ({owner_hits_sql("res")}),
            tagged AS (
                SELECT ResourceId, min(nullif(Tags['team'], '')) AS team, min(nullif(Tags['owner'], '')) AS owner
                FROM s
                WHERE ResourceId IN ({marks}) AND nullif(Tags['team'], '') IS NOT NULL
                  AND {well_formed_sql("Tags['team']")}{team_known}
                GROUP BY ResourceId
            )
            SELECT r.ResourceId AS rid, ro.team AS ro_team, ro.owner AS ro_owner, ro.how AS ro_how,
                   ro.confidence AS ro_conf, t.team AS tag_team, t.owner AS tag_owner
            FROM (SELECT DISTINCT ResourceId FROM res) r
            LEFT JOIN ro ON ro.ResourceId = r.ResourceId
            LEFT JOIN tagged t ON t.ResourceId = r.ResourceId
            ORDER BY rid""",
            params + rids + rids,
        ):
            hints[h_row["rid"]] = h_row
    rows = [{**r, **hints.get(r["rid"], {"ro_team": None, "tag_team": None})} for r in offenders]
    leads = {r["team"]: r["lead"] for r in ctx.query("SELECT team, lead FROM teams ORDER BY team")}
    out = []
    for r in rows:
        team, owner, how, conf = None, None, None, None
        if r["ro_team"]:
            team, owner, how, conf = r["ro_team"], r["ro_owner"], r["ro_how"], dec(r["ro_conf"])
        elif r["tag_team"]:
            team, owner, how, conf = r["tag_team"], r["tag_owner"], "its other charges' team tag", Decimal("0.8")
        if team is not None and owner is None and leads.get(team):
            owner = leads[team]
            how = f"{how}; owner = the team lead"
        out.append(Offender(
            resource_id=r["rid"], resource_name=r["name"], service=r["service"], account=r["account"],
            billed=dec(r["billed"]),
            missing_keys=[k for i, k in enumerate(keys) if r[f"miss{i}"]],
            mistagged_keys=[k for i, k in enumerate(keys) if r[f"bad{i}"]],
            suggested_team=team, suggested_owner=owner, suggestion_source=how, confidence=conf,
        ))
    return out

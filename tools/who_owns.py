"""who_owns: a resource by id, name or loose text ("the $20K cluster", "llama 70b endpoint") -> team,
owner, Slack channel, how each is known (tag, ownership rule, endpoint metadata, GPU job) with the
confidence of each source, and the resource's monthly run rate and last-30-day cost."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge import resource_facts
from knowledge.semantic.model import DIMENSIONS
from knowledge.tag_columns import TAG_COLUMNS
from tools.contract import TableView, ToolResult, UnknownNameError, money
from tools.names import NameTables, close_names, fold
from tools.periods import Period
from tools.registry import ToolContext, tool
from tools.sqlparts import (
    CONFIDENCE_ENDPOINT,
    CONFIDENCE_HINT_TAG,
    CONFIDENCE_JOB,
    CONFIDENCE_RULE,
    CONFIDENCE_TAG,
    MONTH_DAYS,
    day_start,
    dec,
    quote,
    show,
)

RUN_RATE_DAYS = 7
# Tag keys (folded) that hint at an owner when there is no `team`/`owner` tag.
_HINT_KEYS = ("businessunit", "costcenter", "department", "msdepartment", "org", "organization", "owner", "team",
              "application", "app", "createdby", "contact")
_STOP = {"the", "a", "an", "this", "that", "our", "my", "who", "owns", "own", "owner", "of", "for", "is", "which",
         "what", "whose", "per", "month", "monthly", "day", "daily", "mo", "one", "thing", "resource", "about",
         "it", "its", "and", "does", "do", "cost", "costs", "how", "much", "on", "in", "at", "are", "we", "us", "was",
         "were", "pay", "paying", "paid", "basis", "weekly", "serves", "runs", "running", "hosts", "with", "two",
         "four", "eight", "sixteen", "live", "burn", "burning", "costing",
         # filler of a described resource: "the biggest database in our bill", "the vm we have", "what team is behind"
         "have", "has", "had", "got", "single", "behind", "bill", "team", "there", "currently",
         "pays", "each", "every"}
_PRONOUNS = {"we", "you", "they", "i"}
# "8xh100", "8x": a GPU count written onto the type is the type; the count alone says nothing about a name
_COUNT_PREFIX = re.compile(r"^\d+x(?=[a-z]|$)")
_PLURAL_TYPE = re.compile(r"(?<=\d)s$")      # "h100s": the type "h100"
_TYPE_WORDS = {
    "endpoint": "endpoint", "endpoints": "endpoint", "model": "endpoint", "serving": "endpoint",
    "cluster": "compute", "instance": "compute", "node": "compute", "nodes": "compute", "server": "compute",
    "machine": "compute", "fleet": "compute", "pod": "compute", "vm": "compute", "gpu": "compute", "gpus": "compute", "box": "compute",
    "job": "job", "run": "job", "training": "job",
    "bucket": "storage", "storage": "storage", "disk": "storage", "volume": "storage",
    "database": "database", "db": "database",
}
_AMOUNT = re.compile(
    r"(?:\$\s*(?P<a>\d[\d,]*(?:\.\d+)?)\s*(?P<am>[kKmM])?|(?P<b>\d[\d,]*(?:\.\d+)?)\s*(?P<bm>[kKmM])\b)"
    r"(?:\s*(?:/|per|a)\s*(?P<unit>month|mo|day|hour|hr|h)\b)?"
)


# "the most expensive / priciest / costliest / biggest storage bucket": the resource of that kind (and words)
# that cost the most over the window. Removed from the text before its words are read.
SUPERLATIVE_WORDS = (r"(?:the\s+)?most\s+(?:expensive|costly)|priciest|costliest|biggest|largest|highest[-\s]cost(?:ing)?|"
                     r"most\s+spend(?:ing)?|top")
_SUPERLATIVE = re.compile(rf"\b(?:{SUPERLATIVE_WORDS})\b", re.IGNORECASE)


class WhoOwnsArgs(BaseModel):
    resource: str = Field(..., min_length=1, description="Resource id, name or description, e.g. "
                          "'i-0abc12', 'the $20K cluster', 'llama 70b endpoint'.")


class OwnerSource(BaseModel):
    source: Literal["tag", "ownership_rule", "endpoint", "gpu_job", "tag_hint"]
    team: str | None = None
    owner: str | None = None
    confidence: Decimal
    detail: str


class ResourceMatch(BaseModel):
    resource_id: str
    resource_name: str | None = None
    service: str | None = None
    provider: str | None = None
    region: str | None = None
    account: str | None = None
    run_rate_monthly: Decimal | None = None
    cost_last_30d: Decimal | None = None
    cost_last_7d: Decimal | None = None      # the run rate's basis
    matched_by: str = ""


class WhoOwnsResult(ToolResult):
    # The accessors (tools.contract.ToolResult): what follow-ups and surfaces read from this result.
    subject_paths = (("resource", "resource_id"),)
    query: str
    resource: ResourceMatch
    team: str | None = None
    owner: str | None = None
    owner_note: str | None = None          # e.g. "team lead" when no source names a person
    slack_channel: str | None = None
    known_from: str | None = None          # the source that decides the team (as charges_allocated does)
    team_in_registry: bool = True          # False when the team is not in the `teams` table
    confidence: Decimal | None = None
    sources: list[OwnerSource] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)   # latest tags on the resource: data, shown quoted
    window: Period
    run_rate_basis: str = ""
    alternatives: list[ResourceMatch] = Field(default_factory=list)

    def summary(self) -> str:
        r = self.resource
        what = f"resource {show(r.resource_id)}"
        detail = ", ".join(show(x) for x in (r.resource_name, r.service, r.region) if x)
        if detail:
            what += f" ({detail})"
        rate = f"The {money(r.run_rate_monthly)}/month " if r.run_rate_monthly is not None else "The "
        if self.team is None:
            text = (f"{rate}{what} has no known owner: no team tag, and no ownership rule, endpoint or GPU job "
                    f"names one.")
            hints = [s for s in self.sources if s.source == "tag_hint"]
            if hints:
                text += " Owner-like tags on it: " + "; ".join(s.detail for s in hints) + "."
        else:
            who = ", ".join(x for x in (show(self.owner) if self.owner else None,
                                        f"Slack {self.slack_channel}" if self.slack_channel else None) if x)
            if self.owner and self.owner_note:
                who = who.replace(show(self.owner), f"{show(self.owner)}, {self.owner_note}", 1)
            text = f"{rate}{what} is owned by team {show(self.team)}" + (f" ({who})" if who else "")
            if not self.team_in_registry:
                text += " (not a team in the teams table)"
            known = [s for s in self.sources if s.source != "tag_hint"]
            text += ", known from " + " and from ".join(
                f"{s.detail} (confidence {s.confidence})" for s in known) + "."
            if not any(s.source == "tag" for s in self.sources):
                text += " Its charges carry no team tag."
            disagree = sorted({s.team for s in known if s.team and s.team != self.team})
            if disagree:
                text += " Other sources name " + ", ".join(f"team {show(t)}" for t in disagree) + "."
        if r.matched_by and r.matched_by != "id or name":
            text += f" Matched {quote(self.query)} by: {r.matched_by}."
        if r.cost_last_30d is not None:
            text += f" It cost {money(r.cost_last_30d)} in {self.window.describe()}"
            text += f"; the run rate is {self.run_rate_basis}." if self.run_rate_basis else "."
        if self.alternatives:
            text += " Other close matches: " + "; ".join(
                f"{show(a.resource_id)} ({show(a.resource_name) if a.resource_name else 'no name'}, "
                f"{money(a.run_rate_monthly)}/month)" for a in self.alternatives[:3]) + "."
        return text

    def table(self) -> TableView:
        rows: list[list[Any]] = [[s.source, s.team or "", s.owner or "", str(s.confidence), s.detail] for s in self.sources]
        return TableView(columns=["source", "team", "owner", "confidence", "detail"], rows=rows)


@tool(
    "who_owns",
    "Who owns a resource (by id, name or loose text like 'the $20K cluster' or 'llama 70b endpoint'): team, "
    "owner, Slack channel, how it is known with confidence per source, monthly run rate and last-30-day cost.",
    examples=[
        "Who owns the $20K/month inference cluster?",
        "Which team owns i-0abc123?",
        "Whose is the llama 70b endpoint?",
    ],
)
def who_owns(ctx: ToolContext, args: WhoOwnsArgs) -> WhoOwnsResult:
    text = args.resource.strip()
    # a fact of the store, read once per open store version (a full scan of the column on a lake's files)
    last = ctx.store_fact("charges_last_end", "SELECT max(ChargePeriodEnd) FROM focus_charges")
    anchor = ctx.today
    if last is not None and last.date() < anchor:
        anchor = last.date()
        ctx.note(f"billing data ends {anchor.isoformat()}; costs are for the 30 days before that")
    window = Period(start=anchor - timedelta(days=30), end=anchor, label="the last 30 days of data")
    rate_start = anchor - timedelta(days=RUN_RATE_DAYS)

    matches, seen = ([], []) if "$" in text else _exact(ctx, text, window, rate_start)
    if not matches:
        matches, weak = _loose(ctx, text, window, rate_start)
        named = _named_identifier(text)
        if matches and named is not None and not _all_words_in(matches[0], named):
            # A name was given ('acme-payments-archive') and no resource holds all its parts: a resource
            # sharing one word is not the one asked about. Offer the near ones instead of answering.
            raise UnknownNameError("resource", named, [m.resource_name or m.resource_id for m in matches[:3]]
                                   + close_names(NameTables(ctx.con), "resource", named))
        if not matches:
            # no resource holds half the words: the ones holding some are offered, none is answered for
            raise UnknownNameError("resource", named or text, [m.resource_name or m.resource_id for m in weak[:3]]
                                   + close_names(NameTables(ctx.con), "resource", named or text))
    if not matches:
        raise UnknownNameError("resource", text, close_names(NameTables(ctx.con), "resource", text))
    best, alternatives = matches[0], matches[1:4]

    sources, tags = ownership_sources(ctx, best.resource_id, seen=seen or None)
    decided = next((s for s in sources if s.source != "tag_hint"), None)
    team = decided.team if decided else None
    owner, owner_note = (decided.owner if decided else None), None
    if decided is not None and owner is None:
        owner = next((s.owner for s in sources if s.owner and s.team == team and s.source != "tag_hint"), None)
    slack, in_registry = None, True
    if team is not None:
        row = ctx.query("SELECT slack_channel, lead FROM teams WHERE team = ?", [team])
        if row:
            slack = row[0]["slack_channel"]
            if owner is None and row[0]["lead"]:
                owner, owner_note = row[0]["lead"], "team lead"
        elif ctx.scalar("SELECT count(*) FROM teams"):
            in_registry = False
            ctx.note(f"team {quote(team)} is not in the teams table")
    basis = ""
    if best.run_rate_monthly is not None:
        basis = (f"{money(best.run_rate_monthly)}/month ({money(best.run_rate_monthly / MONTH_DAYS)}/day) = cost of the last {RUN_RATE_DAYS} days "
                 f"({money(best.cost_last_7d)}, {rate_start.isoformat()} to {(anchor - timedelta(days=1)).isoformat()})"
                 f" / {RUN_RATE_DAYS} × {MONTH_DAYS}")
    return WhoOwnsResult(
        query=text, resource=best, team=team, owner=owner, owner_note=owner_note, slack_channel=slack,
        known_from=decided.detail if decided else None, confidence=decided.confidence if decided else None,
        sources=sources, tags=tags, window=window, run_rate_basis=basis, alternatives=alternatives,
        team_in_registry=in_registry,
    )


ACCOUNT_SQL = DIMENSIONS["account"].sql  # the semantic model's account: sub account name, else its id

# -- finding the resource ---------------------------------------------------------------------------
# The resources an exact id or name names, and what ownership_sources reads of their charges, in one pass
# over their charges (each column read is a pass over that column when a resource's charges are spread over
# the bill, as they are in load order). A row per resource (`detail` false): its name, service, region and
# account, and its cost over the window and the run rate's days, from its charges before the window's end.
# A row per (name, account, team tag, owner tag) it was seen with over all its charges (`detail` true):
# ownership_sources' grouping, read here only when the table the writers keep of it (knowledge.resource_facts)
# is not up to date.
_BEFORE_END = "ChargePeriodStart < ?"
# The order of a resource's ownership rows (ownership_sources reads the latest first).
_SEEN_ORDER = "last_seen DESC, n DESC, seen_name NULLS LAST, sub_id NULLS LAST, team NULLS LAST, owner NULLS LAST"
_RESOURCE_SQL = f"""
    SELECT ResourceId AS rid, {{detail}} AS detail,
           min(ResourceName) FILTER (WHERE {_BEFORE_END}) AS name,
           min(ServiceName) FILTER (WHERE {_BEFORE_END}) AS service,
           min(ProviderName) FILTER (WHERE {_BEFORE_END}) AS provider,
           min(RegionId) FILTER (WHERE {_BEFORE_END}) AS region,
           min({ACCOUNT_SQL}) FILTER (WHERE {_BEFORE_END}) AS account,
           sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ? AND {_BEFORE_END}) AS last_rate,
           sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ? AND {_BEFORE_END}) AS last_30,
           count(*) FILTER (WHERE {_BEFORE_END}) AS charges_in{{seen}}
    FROM focus_charges
    WHERE ResourceId IN ({{{{marks}}}})
    GROUP BY {{groups}}
    ORDER BY detail, CASE WHEN NOT detail THEN last_30 END DESC NULLS LAST, rid{{order}}"""
_EXACT_SQL = _RESOURCE_SQL.format(
    detail="GROUPING(ResourceName) = 0",
    seen=f",\n           {resource_facts.SEEN_COLUMNS}, {resource_facts.SEEN_AGGREGATES}",
    groups=f"""GROUPING SETS ((ResourceId),
                            (ResourceId, ResourceName, SubAccountId, SubAccountName, {TAG_COLUMNS['team']}, {TAG_COLUMNS['owner']}))""",
    order=f", {_SEEN_ORDER}")
_RESOURCE_ONLY_SQL = _RESOURCE_SQL.format(detail="false", seen="", groups="ResourceId", order="")


def _rate_params(window: Period, rate_start: date) -> list[Any]:
    return [day_start(rate_start), day_start(window.start)]


def _to_match(row: dict[str, Any], window: Period, how: str) -> ResourceMatch:
    last_rate = dec(row["last_rate"])
    return ResourceMatch(
        resource_id=row["rid"], resource_name=row["name"], service=row["service"], provider=row["provider"],
        region=row["region"], account=row["account"],
        run_rate_monthly=last_rate / RUN_RATE_DAYS * MONTH_DAYS, cost_last_30d=dec(row["last_30"]),
        cost_last_7d=last_rate, matched_by=how,
    )


# Resources named by a resource name, or by an endpoint's or GPU job's id or name. A resource id is not looked
# up here: _EXACT_SQL reads the text as one (a resource with no charges gives no row there). The names the
# charges give their resources are read from the writers' table when it is up to date (on a bill in load
# order or a lake in ResourceId order, ResourceName = ? is a pass over that column of the whole bill).
_IDS_SQL = """
    SELECT ResourceId FROM {names} WHERE {name} = ? AND ResourceId IS NOT NULL
    UNION SELECT resource_id FROM endpoints WHERE endpoint_id = ? AND resource_id IS NOT NULL
    UNION SELECT resource_id FROM endpoints WHERE name = ? AND resource_id IS NOT NULL
    UNION SELECT resource_id FROM gpu_jobs WHERE job_id = ? AND resource_id IS NOT NULL
    UNION SELECT resource_id FROM gpu_jobs WHERE name = ? AND resource_id IS NOT NULL
    ORDER BY 1"""


def _exact(ctx: ToolContext, text: str, window: Period, rate_start: date) -> tuple[list[ResourceMatch], list[dict[str, Any]]]:
    """Id or name, exact or case/punctuation-folded; endpoint and job ids/names map to their resource.
    Each exact lookup is its own filter (pushed into the scan), then the resources are read by id, with the
    rows ownership_sources reads of the best one (the second list)."""
    tables = NameTables(ctx.con)
    named = sorted({n for _, _, n in tables.exact([fold(text)], ["resource"])})
    if not named:
        return [], []                   # no resource, endpoint or job has this name, in any spelling
    rows: list[dict[str, Any]] = []
    fresh = _facts_fresh(ctx)
    if text in named:
        ids_sql = _IDS_SQL.format(names=resource_facts.TABLE if fresh else "focus_charges",
                                  name="seen_name" if fresh else "ResourceName")
        ids = sorted({text, *(r["ResourceId"] for r in ctx.query(ids_sql, [text] * 5))})
        end = day_start(window.end)
        sql = _RESOURCE_ONLY_SQL if fresh else _EXACT_SQL
        rows = ctx.query(sql.format(marks=", ".join("?" for _ in ids)),
                         [end] * 5 + [day_start(rate_start), end, day_start(window.start), end, end] + ids)
    found = [r for r in rows if not r["detail"] and r["charges_in"]]
    if not found:
        # A folded spelling of one identifier ('I-0ABC_12' -> 'i-0abc-12'); loose text goes to _loose.
        if " " in text or "$" in text or len(named) != 1 or named[0] == text:
            return [], []
        return _exact(ctx, named[0], window, rate_start)
    best = found[0]["rid"]
    matches = [_to_match(r, window, "id or name") for r in found]
    return matches, _seen(ctx, best) if fresh else [r for r in rows if r["detail"] and r["rid"] == best]


def _parse_amount(text: str) -> tuple[Decimal | None, str, str]:
    """'the $20K cluster' -> (20000, 'month', 'the cluster')."""
    m = _AMOUNT.search(text)
    if not m:
        return None, "month", text
    num, mult = (m.group("a"), m.group("am")) if m.group("a") else (m.group("b"), m.group("bm"))
    value = Decimal(num.replace(",", "")) * {"k": 1000, "m": 1_000_000}.get((mult or "").lower(), 1)
    unit = {"mo": "month", "hr": "hour", "h": "hour"}.get(m.group("unit") or "month", m.group("unit") or "month")
    return value, unit, (text[: m.start()] + " " + text[m.end():]).strip()


_IDENTIFIER = re.compile(r"(?<![\w$])[a-z0-9]+(?:[-_][a-z0-9]+)+(?![\w])")


def _named_identifier(text: str) -> str | None:
    """The hyphenated or underscored name in a resource description ('the bucket acme-payments-archive'),
    if there is one and no amount is said."""
    if _AMOUNT.search(text):
        return None
    m = _IDENTIFIER.search(text.lower())
    return m.group(0) if m else None


def _all_words_in(match: ResourceMatch, named: str) -> bool:
    """Every part of the name is in the matched resource's id or name."""
    hay = f"{match.resource_id} {match.resource_name or ''}".lower()
    return all(part in hay for part in re.split(r"[-_]", named) if part)


def _tokens(text: str) -> tuple[list[str], set[str]]:
    words = [w for w in re.split(r"[^a-z0-9.]+", text.lower()) if w and w.strip(".")]
    words = [_PLURAL_TYPE.sub("", _COUNT_PREFIX.sub("", w.strip("."))) for w in words]
    # "the db we run", "what does it run us": "run" beside a pronoun is the verb, not a training run
    kinds = {_TYPE_WORDS[w] for i, w in enumerate(words)
             if w in _TYPE_WORDS and not (w == "run" and ((i and words[i - 1] in _PRONOUNS)
                                                          or words[i + 1:i + 2] == ["us"]))}
    return [w for w in words if w not in _STOP and w not in _TYPE_WORDS and len(w) > 1], kinds


def _word_start(word: str) -> str:
    """A regular expression finding `word` at the start of a word (after a non-alphanumeric or the start)."""
    return r"(?:^|[^a-z0-9])" + re.escape(word)


def _loose(ctx: ToolContext, text: str, window: Period,
           rate_start: date) -> tuple[list[ResourceMatch], list[ResourceMatch]]:
    """Resources matching a loose description, best first, and the ones holding under half its words."""
    amount, unit, rest = _parse_amount(text)
    superlative = amount is None and _SUPERLATIVE.search(rest) is not None
    if superlative:
        rest = _SUPERLATIVE.sub(" ", rest)
    words, kinds = _tokens(rest)
    if amount is None and not words and not superlative:
        return [], []
    monthly = None
    if amount is not None:
        monthly = amount * {"month": 1, "day": MONTH_DAYS, "hour": 24 * MONTH_DAYS}[unit]
    params: list[Any] = _rate_params(window, rate_start) + [day_start(window.start), day_start(window.end)]
    having = ""
    if monthly is not None:
        # Run rate within a factor of 1.6 either way of the amount said ("$20K" for $20,160.00/month).
        week = monthly / MONTH_DAYS * RUN_RATE_DAYS
        having = " HAVING sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) BETWEEN ? AND ?"
        params += [day_start(rate_start), week / Decimal("1.6"), week * Decimal("1.6")]
    kind_cols = "".join(f", ({_KIND_SQL[k]}) AS kind_{k}" for k in sorted(kinds))
    word_filter, order = "", "ORDER BY rid"
    if monthly is None and words:
        # each word at the start of a word of the text ("search" is not in "research-multimodal-…")
        word_filter = "WHERE " + " OR ".join(["regexp_matches(haystack, ?)"] * len(words))
        params += [_word_start(w) for w in words]
    elif superlative:
        # no words: the costliest resources of every kind said (of any kind when none is said)
        word_filter = "WHERE " + " AND ".join(f"kind_{k}" for k in sorted(kinds)) if kinds else ""
        order = "ORDER BY last_30 DESC NULLS LAST, rid LIMIT 6"
    # The searchable text of a resource: id, name, service, category, and its endpoint / job metadata.
    sql = f"""
        WITH r AS (
            SELECT ResourceId AS rid, min(ResourceName) AS name, min(ServiceName) AS service,
                   min(ProviderName) AS provider, min(RegionId) AS region,
                   min({ACCOUNT_SQL}) AS account, min(ServiceCategory) AS category,
                   sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) AS last_rate,
                   sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) AS last_30
            FROM focus_charges
            WHERE ResourceId IS NOT NULL AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
            GROUP BY ResourceId{having}
        ),
        e AS (
            SELECT resource_id, string_agg(concat_ws(' ', endpoint_id, name, model, instance_type, gpu_type), ' ') AS txt
            FROM endpoints WHERE resource_id IS NOT NULL GROUP BY resource_id
        ),
        j AS (
            SELECT resource_id, string_agg(concat_ws(' ', job_id, name, kind, instance_type, gpu_type), ' ') AS txt
            FROM gpu_jobs WHERE resource_id IS NOT NULL GROUP BY resource_id
        ),
        x AS (
            SELECT r.*, lower(concat_ws(' ', r.rid, r.name, r.service, r.category, e.txt, j.txt)) AS haystack,
                   e.resource_id IS NOT NULL AS is_endpoint, j.resource_id IS NOT NULL AS has_job
            FROM r LEFT JOIN e ON e.resource_id = r.rid LEFT JOIN j ON j.resource_id = r.rid
        ),
        k AS (SELECT *{kind_cols} FROM x)
        SELECT * FROM k {word_filter} {order}"""
    rows = ctx.query(sql, params)
    scored: list[tuple[tuple[Any, ...], ResourceMatch]] = []
    weak: list[tuple[tuple[Any, ...], ResourceMatch]] = []
    for row in rows:
        hay = row["haystack"] or ""
        hits = sum(1 for w in words if re.search(_word_start(w), hay))
        kind_hits = sum(1 for k in kinds if row[f"kind_{k}"])
        score = Decimal(hits + kind_hits) / Decimal(max(1, len(words) + len(kinds)))
        how = []
        match = _to_match(row, window, "")
        if monthly is not None:
            rr = match.run_rate_monthly or Decimal(0)
            closeness = abs(rr - monthly) / monthly
            how.append(f"run rate {money(rr)}/month ≈ {money(monthly)}/month said")
            key: tuple[Any, ...] = (-score if words or kinds else 0, closeness, -(match.cost_last_30d or 0), match.resource_id)
        else:
            key = (-score, -(match.cost_last_30d or 0), match.resource_id)
            if words and hits == 0:
                continue
            if 2 * hits < len(words):
                # under half the words found: a resource sharing a word with the text is not the one described
                weak.append((key, match))
                continue
            if superlative:
                how.append(f"the highest cost in {window.describe()} ({money(match.cost_last_30d)}) of the resources "
                           "matching the rest of the description" if words or kinds else
                           f"the highest cost of any resource in {window.describe()} ({money(match.cost_last_30d)})")
        if words:
            how.append(f"{hits} of {len(words)} words ({', '.join(words)}) in its id, name or metadata")
        if kinds:
            kind_text = "/".join(sorted(kinds))
            article = "an" if kind_text[0] in "aeiou" else "a"
            how.append(f"{'is' if kind_hits else 'is not'} {article} {kind_text} resource")
        match.matched_by = "; ".join(how)
        scored.append((key, match))
    scored.sort(key=lambda kv: kv[0])
    weak.sort(key=lambda kv: kv[0])
    return [m for _, m in scored[:6]], [m for _, m in weak[:6]]


# What makes a resource of each kind a description names ("endpoint", "cluster", "bucket", ...), over the
# columns of `_loose`'s x: its category, service, searchable text, and whether an endpoint or a GPU job
# names it.
_KIND_SQL = {
    "endpoint": "is_endpoint OR lower(coalesce(service, '')) LIKE '%sagemaker%' OR coalesce(haystack, '') LIKE '%endpoint%'",
    "compute": "lower(coalesce(category, '')) = 'compute' OR has_job OR is_endpoint",
    "job": "has_job",
    "storage": "lower(coalesce(category, '')) = 'storage'",
    "database": "lower(coalesce(category, '')) = 'databases'",
}
assert set(_KIND_SQL) == set(_TYPE_WORDS.values())


# -- how ownership is known -------------------------------------------------------------------------
def ownership_sources(ctx: ToolContext, rid: str, with_tags: bool = True,
                      seen: list[dict[str, Any]] | None = None) -> tuple[list[OwnerSource], dict[str, str]]:
    """Every source that names an owner, in the order `charges_allocated` decides: tag, rule, endpoint, job,
    and the resource's latest tag set (read only when `with_tags` or when no team tag names an owner: the
    other tags then hint at one).

    One pass over the resource's charges (its names, accounts and tag sets); the rules, endpoints and jobs
    are matched against those in the small registry tables. `seen`: those charges' rows when the caller
    read them already (_EXACT_SQL's detail rows: name, sub_id, sub_name, team, owner, n, last_seen)."""
    out: list[OwnerSource] = []
    # The team and owner tags are columns (knowledge.tag_columns): grouping by the whole Tags map decoded
    # every charge's map (1.1 s of who_owns at 10M charges); only the latest tag set is read as a map.
    seen = seen if seen is not None else _seen(ctx, rid)
    # team tags: (team, owner) -> [charges, last seen]
    tagged: dict[tuple[str, str | None], list[Any]] = {}
    for row in seen:
        team = (row["team"] or "").strip() and row["team"]
        if team:
            owner = row["owner"] or None
            entry = tagged.setdefault((team, owner), [0, row["last_seen"]])
            entry[0] += int(row["n"])
            entry[1] = max(entry[1], row["last_seen"])
    for (team, owner), (n, _) in sorted(tagged.items(), key=lambda kv: (-kv[1][1].timestamp(), -kv[1][0], kv[0][0], kv[0][1] or "")):
        out.append(OwnerSource(source="tag", team=team, owner=owner, confidence=CONFIDENCE_TAG,
                               detail=f"the team tag {quote(team)} on {n} of its charges"))
    names = sorted({(row["seen_name"], row["sub_id"], row["sub_name"]) for row in seen}, key=lambda x: tuple(v or "" for v in x))
    if not names:
        names = [(None, None, None)]
    values = ", ".join(["(CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS VARCHAR))"] * len(names))
    rules = ctx.query(
        f"""SELECT DISTINCT o.rule_id, o.match_kind, o.pattern, o.team, o.owner, o.source, o.priority
           FROM ownership o
           JOIN (VALUES {values}) AS r(ResourceId, ResourceName, SubAccountId, SubAccountName)
             ON (o.match_kind = 'resource_id' AND o.pattern = r.ResourceId)
             OR (o.match_kind = 'resource_pattern' AND (r.ResourceId LIKE o.pattern OR r.ResourceName LIKE o.pattern))
             OR (o.match_kind = 'sub_account' AND (o.pattern = r.SubAccountId OR o.pattern = r.SubAccountName))
           ORDER BY o.priority, o.rule_id""",
        [x for n in names for x in (rid, *n)],
    )
    for r in rules:
        origin = f" from {r['source']}" if r["source"] else ""
        out.append(OwnerSource(source="ownership_rule", team=r["team"], owner=r["owner"], confidence=CONFIDENCE_RULE,
                               detail=f"ownership rule #{r['rule_id']} ({r['match_kind']} {quote(r['pattern'])}{origin})"))
    endpoints = ctx.query(
        """SELECT e.endpoint_id, e.name, e.team, e.owner, e.created_by_job, j.team AS job_team, j.owner AS job_owner
           FROM endpoints e LEFT JOIN gpu_jobs j ON j.job_id = e.created_by_job
           WHERE e.resource_id = ? ORDER BY e.endpoint_id""",
        [rid],
    )
    for e in endpoints:
        if e["team"]:
            out.append(OwnerSource(source="endpoint", team=e["team"], owner=e["owner"], confidence=CONFIDENCE_ENDPOINT,
                                   detail=f"endpoint {show(e['endpoint_id'])} metadata"))
        if e["created_by_job"] and e["job_team"]:
            out.append(OwnerSource(source="gpu_job", team=e["job_team"], owner=e["job_owner"], confidence=CONFIDENCE_JOB,
                                   detail=f"job {show(e['created_by_job'])}, which created endpoint {show(e['endpoint_id'])}"))
    jobs = ctx.query(
        """SELECT job_id, name, team, owner, started_at FROM gpu_jobs
           WHERE resource_id = ? AND team IS NOT NULL ORDER BY job_id""",
        [rid],
    )
    seen_jobs = {s.detail.split(",")[0] for s in out if s.source == "gpu_job"}
    for j in jobs:
        detail = f"job {show(j['job_id'])}"
        if detail in seen_jobs:
            continue
        out.append(OwnerSource(source="gpu_job", team=j["team"], owner=j["owner"], confidence=CONFIDENCE_JOB,
                               detail=f"{detail} ({show(j['name'])}), which ran on it" if j["name"] else f"{detail}, which ran on it"))
    wanted = seen and (with_tags or not tagged)
    latest = _latest_tags(ctx, rid, max(row["last_seen"] for row in seen)) if wanted else None
    tags: dict[str, str] = dict(latest) if latest else {}
    if not tagged:
        for k in sorted(tags):
            fk = fold(k)
            if fk in _HINT_KEYS and fk != "team" and tags[k]:
                out.append(OwnerSource(source="tag_hint", team=None, owner=tags[k] if fk == "owner" else None,
                                       confidence=CONFIDENCE_HINT_TAG, detail=f"tag {quote(k)} = {quote(tags[k])}"))
    return out, tags


def _seen(ctx: ToolContext, rid: str) -> list[dict[str, Any]]:
    """The resource's names, accounts and team/owner tags over all its charges, with how many charges and when
    last seen: from the table writers keep (knowledge.resource_facts) when it is up to date with the charges,
    else from the charges (a pass over five columns of the whole bill when they are in load order)."""
    if _facts_fresh(ctx):
        return ctx.query(f"SELECT seen_name, sub_id, sub_name, team, owner, n, last_seen FROM {resource_facts.TABLE} "
                         f"WHERE ResourceId = ? ORDER BY {_SEEN_ORDER}", [rid])
    return ctx.query(f"SELECT {resource_facts.SEEN_COLUMNS}, {resource_facts.SEEN_AGGREGATES} FROM focus_charges "
                     f"WHERE ResourceId = ? GROUP BY ALL ORDER BY {_SEEN_ORDER}", [rid])


def _facts_fresh(ctx: ToolContext) -> bool:
    return bool(ctx.store_fact("resource_facts_fresh", resource_facts.FRESH_SQL))


def _latest_tags(ctx: ToolContext, rid: str, last_seen: Any) -> Any:
    """The resource's latest non-empty tag set: kept by the writers (knowledge.resource_facts) when up to date;
    else its latest charge's (a lookup on two constants, so only those rows' maps are read), or, when that
    charge is untagged, the latest tagged one (reads every map of the resource)."""
    if _facts_fresh(ctx):
        rows = ctx.query(f"SELECT Tags FROM {resource_facts.TAGS_TABLE} WHERE ResourceId = ?", [rid])
        return rows[0]["Tags"] if rows else None
    order = f"ORDER BY {resource_facts.LATEST_TAGS_ORDER} LIMIT 1"
    # The scan keeps the day's rows (~1/90 of a bill's) and the id is compared after it (MATERIALIZED, as in
    # explain_charge._breakdown): pushed into the scan, the id filter is a pass over the whole ResourceId
    # column (10M charges in load order: 267 -> 69 CPU-ms).
    rows = ctx.query(f"WITH c AS MATERIALIZED (SELECT ResourceId, ChargePeriodStart, Tags FROM focus_charges "
                     f"WHERE ChargePeriodStart = ?) SELECT Tags FROM c WHERE ResourceId = ? "
                     f"AND cardinality(Tags) > 0 {order}", [last_seen, rid])
    if not rows:
        rows = ctx.query(f"SELECT Tags FROM focus_charges WHERE ResourceId = ? AND cardinality(Tags) > 0 {order}", [rid])
    return rows[0]["Tags"] if rows else None

"""job_runs: the GPU jobs that ran in a period, with what each one cost and how it ended.

A job ran in the period when it started before the period's end and ended (or is still running) after its
start. Per job: name, id, team, owner, kind, GPUs, hours run (to its end, or to the start of today for a
job still running) and its actual cost (gpu_jobs.actual_cost; a job without one, e.g. still running, has
an unknown cost, never $0) and outcome (completed, discarded, failed, cancelled, running, ...).
Totals per outcome come from SQL over every matching job, not only the rows shown.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.contract import NoDataError, TableView, ToolResult, money
from tools.periods import Period
from tools.registry import ToolContext, tool
from tools.scopes import ts
from tools.sqlparts import dec, ratio, show

LEAD_ROWS = 5
# How the jobs are listed: a fixed ORDER BY per choice (never text from the question), and how the answer says so.
ORDERS: dict[str, tuple[str, str]] = {
    "cost": ("actual_cost DESC NULLS LAST, started_at DESC NULLS LAST, job_id", ""),
    "hours": ("hours DESC NULLS LAST, actual_cost DESC NULLS LAST, job_id", "longest first"),
    "recent": ("started_at DESC NULLS LAST, actual_cost DESC NULLS LAST, job_id", "latest started first"),
}


class JobRunsArgs(BaseModel):
    period: str = Field("last 30 days", description="When the jobs ran.")
    outcome: str | None = Field(None, description="Only this outcome ('failed').")
    team: str | None = Field(None, description="Only this team.")
    kind: str | None = Field(None, description="Only this kind ('training').")
    project: str | None = Field(None, description="Only this project.")
    gpu_type: str | None = Field(None, description="Only this GPU type ('H100').")
    top: int = Field(50, ge=1, le=1000, description="Most jobs to list.")
    order: Literal["cost", "hours", "recent"] = "cost"
    per_gpu_hour: bool = False     # lead with the GPU hours and the cost per GPU hour (the field name says it)


class JobRun(BaseModel):
    job_id: str
    name: str | None
    team: str | None
    owner: str | None
    project: str | None
    kind: str | None
    gpu_type: str | None
    gpu_count: int | None
    started_at: datetime | None
    ended_at: datetime | None
    hours: Decimal | None
    actual_cost: Decimal | None   # None: unknown (e.g. still running), never $0
    outcome: str | None


class OutcomeTotal(BaseModel):
    outcome: str
    jobs: int
    cost: Decimal | None          # sum of the known costs; None when no job of this outcome has one
    unknown_cost_jobs: int


class JobRunsResult(ToolResult):
    period: Period
    filters: dict[str, str]
    jobs: list[JobRun]
    totals: list[OutcomeTotal]
    total_jobs: int
    total_cost: Decimal | None
    order: str = "cost"
    # GPU hours (GPUs x hours) of the ended jobs with a known cost, what those jobs cost, and how many they are:
    # a running job's hours grow and a job without a cost has no price, so neither is in a cost per GPU hour.
    gpu_hours: Decimal | None = None
    gpu_hours_cost: Decimal | None = None
    gpu_hours_jobs: int = 0
    per_gpu_hour: bool = False

    @property
    def cost_per_gpu_hour(self) -> Decimal | None:
        return ratio(self.gpu_hours_cost, self.gpu_hours)

    def summary(self) -> str:
        what = self._what(self.total_jobs)
        where = self.period.describe()
        if not self.total_jobs:
            return f"No {what} in {where}."
        lead = self._per_gpu_hour(what, where) if self.per_gpu_hour else ""
        return lead + self._listing(what, where)

    def _per_gpu_hour(self, what: str, where: str) -> str:
        per = self.cost_per_gpu_hour
        if per is None or self.gpu_hours is None:
            return (f"The cost per GPU hour of {what} in {where} is unknown: none of them ended with a known cost "
                    "and a GPU count. ")
        basis = f"{self.gpu_hours_jobs:,} ended job{'s' if self.gpu_hours_jobs != 1 else ''} with a known cost"
        return (f"{what[0].upper() + what[1:]} in {where}: {money(per)} per GPU hour, {money(self.gpu_hours_cost)} "
                f"over {self.gpu_hours.quantize(Decimal('0.1')):,} GPU hours (GPUs x hours of the {basis}). ")

    def _listing(self, what: str, where: str) -> str:
        unknown = sum(t.unknown_cost_jobs for t in self.totals)
        cost = money(self.total_cost) if self.total_cost is not None else "an unknown amount"
        head = f"{self.total_jobs:,} {what} in {where} cost {cost}"
        if unknown and self.total_cost is not None:
            head += f" (plus {unknown:,} job{'s' if unknown != 1 else ''} with unknown cost)"
        listed = ORDERS.get(self.order, ("", ""))[1]
        out = [head + (f", {listed}" if listed else "") + ": " + "; ".join(_describe(j, "outcome" not in self.filters) for j in self.jobs[:LEAD_ROWS])
               + (f"; and {self.total_jobs - LEAD_ROWS:,} more" if self.total_jobs > LEAD_ROWS else "") + "."]
        if "outcome" not in self.filters or len(self.totals) > 1:
            out.append("By outcome: " + "; ".join(
                f"{t.outcome} {t.jobs:,} ({money(t.cost)}"
                + (f", {t.unknown_cost_jobs:,} with unknown cost" if t.unknown_cost_jobs and t.cost is not None else "")
                + ")" for t in self.totals) + ".")
        return " ".join(out)

    def _what(self, n: int = 2) -> str:
        f = self.filters
        s = "" if n == 1 else "s"
        words = [f["outcome"]] if "outcome" in f else []
        words += [f["gpu_type"]] if "gpu_type" in f else []
        words.append(f"{f['kind']} run{s}" if "kind" in f else (f"run{s}" if "outcome" in f else f"GPU job{s}"))
        scope = [f"team {show(f['team'])}"] if "team" in f else []
        scope += [f"project {show(f['project'])}"] if "project" in f else []
        return " ".join(words) + (f" of {' and '.join(scope)}" if scope else "")

    def table(self) -> TableView:
        return TableView(columns=["name", "job", "team", "owner", "kind", "GPUs", "hours", "started", "cost", "outcome"],
                         rows=[[j.name or j.job_id, j.job_id, j.team, j.owner, j.kind, _gpus(j),
                                "unknown" if j.hours is None else f"{j.hours:.1f}",
                                j.started_at.date().isoformat() if j.started_at else "", money(j.actual_cost), j.outcome]
                               for j in self.jobs])


def _gpus(j: JobRun) -> str:
    if j.gpu_type is None and j.gpu_count is None:
        return "unknown"
    return f"{j.gpu_count if j.gpu_count is not None else '?'}×{j.gpu_type or '?'}"


def _describe(j: JobRun, with_outcome: bool) -> str:
    who = ", ".join(show(x) for x in (j.job_id, j.team or "unallocated", j.owner or "no owner", j.kind or "unknown kind"))
    hours = "an unknown time" if j.hours is None else f"{j.hours:.1f} h"
    when = f" on {j.started_at.date().isoformat()}" if j.started_at else ""
    still = ", still running" if j.ended_at is None else ""
    cost = f", {money(j.actual_cost)}" if j.actual_cost is not None else ", cost unknown"
    return f"{show(j.name or j.job_id)} ({who}), {_gpus(j)} for {hours}{when}{still}{cost}" + (f" ({j.outcome or 'no outcome'})" if with_outcome else "")


# The jobs a cost per GPU hour is computed from: ended, with a known cost and a GPU count.
_PRICED_HOURS = "ended_at IS NOT NULL AND actual_cost IS NOT NULL AND gpu_count IS NOT NULL"


@tool("job_runs",
      "GPU jobs of a period (training, fine-tune, batch, experiment): hours, GPUs, cost, cost per GPU hour, "
      "outcome (completed, discarded, failed, cancelled, running); totals by outcome.",
      examples=["Which training run was thrown away, and what did it cost?", "What did failed runs cost last month?",
                "Show the job history for team research", "Past runs of the llama-ft project"])
def job_runs(ctx: ToolContext, args: JobRunsArgs) -> JobRunsResult:
    period = ctx.period(args.period)
    filters: dict[str, str] = {}
    if args.team:
        filters["team"] = ctx.resolve("team", args.team)
    if args.project:
        filters["project"] = ctx.resolve("project", args.project)
    if args.kind:
        filters["kind"] = _known(ctx, "kind", args.kind)
    if args.outcome:
        filters["outcome"] = _known(ctx, "outcome", args.outcome)
    if args.gpu_type:
        filters["gpu_type"] = _known(ctx, "gpu_type", args.gpu_type)
    now = ts(ctx.today)
    where, params = _where(period, now, filters)
    rows = ctx.query(
        f"""
        SELECT job_id, name, team, owner, project, kind, gpu_type, gpu_count, started_at, ended_at,
               CAST(date_diff('second', started_at, coalesce(ended_at, greatest(started_at, ?))) AS DECIMAL(18, 3)) / 3600 AS hours,
               actual_cost, outcome
        FROM gpu_jobs
        WHERE {where}
        ORDER BY {ORDERS[args.order][0]}
        LIMIT ?
        """,
        [now, *params, args.top],
    )
    totals = ctx.query(
        f"""
        SELECT coalesce(outcome, '(none)') AS outcome, count(*) AS jobs, sum(actual_cost) AS cost,
               count(*) - count(actual_cost) AS unknown,
               sum(gpu_count * CAST(date_diff('second', started_at, ended_at) AS DECIMAL(18, 3)) / 3600)
                   FILTER (WHERE {_PRICED_HOURS}) AS gpu_hours,
               sum(actual_cost) FILTER (WHERE {_PRICED_HOURS}) AS gpu_hours_cost,
               count(*) FILTER (WHERE {_PRICED_HOURS}) AS gpu_hours_jobs
        FROM gpu_jobs
        WHERE {where}
        GROUP BY coalesce(outcome, '(none)')
        ORDER BY jobs DESC, outcome
        """,
        params,
    )
    jobs = [JobRun(job_id=r["job_id"], name=r["name"], team=r["team"], owner=r["owner"], project=r["project"],
                   kind=r["kind"], gpu_type=r["gpu_type"], gpu_count=r["gpu_count"], started_at=r["started_at"],
                   ended_at=r["ended_at"], hours=None if r["hours"] is None else Decimal(r["hours"]).quantize(Decimal("0.1")),
                   actual_cost=None if r["actual_cost"] is None else Decimal(r["actual_cost"]), outcome=r["outcome"])
            for r in rows]
    outs = [OutcomeTotal(outcome=t["outcome"], jobs=int(t["jobs"]), cost=None if t["cost"] is None else Decimal(t["cost"]),
                         unknown_cost_jobs=int(t["unknown"])) for t in totals]
    known = [t.cost for t in outs if t.cost is not None]
    priced = [t for t in totals if t["gpu_hours_jobs"]]
    return JobRunsResult(period=period, filters=filters, jobs=jobs, totals=outs, total_jobs=sum(t.jobs for t in outs),
                         total_cost=sum(known, Decimal(0)) if known else None, order=args.order,
                         gpu_hours=sum((dec(t["gpu_hours"]) for t in priced), Decimal(0)) if priced else None,
                         gpu_hours_cost=sum((dec(t["gpu_hours_cost"]) for t in priced), Decimal(0)) if priced else None,
                         gpu_hours_jobs=sum(int(t["gpu_hours_jobs"]) for t in priced), per_gpu_hour=args.per_gpu_hour)



def _where(period: Period, now: datetime, filters: dict[str, str]) -> tuple[str, list[Any]]:
    # Column names come from this fixed map, never from user text; values are parameters.
    columns = {"team": "team", "project": "project", "kind": "kind", "outcome": "outcome", "gpu_type": "gpu_type"}
    clauses = ["started_at < ?", "coalesce(ended_at, ?) >= ?"]
    params: list[Any] = [ts(period.end), now, ts(period.start)]
    for key, value in filters.items():
        clauses.append(f"{columns[key]} = ?")
        params.append(value)
    return " AND ".join(clauses), params


def _known(ctx: ToolContext, column: str, value: str) -> str:
    """An outcome, kind or GPU type as stored (case-insensitive match); an unknown one lists the stored values."""
    assert column in ("kind", "outcome", "gpu_type")
    seen = [r["v"] for r in ctx.query(f"SELECT DISTINCT {column} AS v FROM gpu_jobs WHERE {column} IS NOT NULL ORDER BY v")]
    want = value.strip().lower()
    for v in seen:
        if v.lower() == want:
            return v
    for v in seen:
        if want and v.lower().startswith(want):
            return v
    raise NoDataError(f"no GPU job with {column} '{value}'; {column}s in the store: {', '.join(seen) or 'none'}")

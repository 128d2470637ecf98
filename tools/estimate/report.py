"""The pre-launch report: one or several manifests, as a PR comment in the manner of Infracost's.

Per job: the job name in the headline, the cost and its range, the change against the previous stored
estimate of the same job, the verdict, a folded breakdown (`<details>`: cost lines, alternatives, each with
its price source, range basis, budget) and who can approve and how. Over all jobs: a total, the total
change, and the overall verdict. The comment starts with a hidden marker so CI updates one comment in
place instead of posting a new one per push.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from tools.approval_policy import approval_valid_days
from tools.contract import money
from tools.estimate.formatting import money_short, ratio, signed_money, signed_pct
from tools.estimate.result import EstimateResult
from tools.estimate.storage import PreviousEstimate
from tools.manifest import ManifestProblem

MARKER = "<!-- finops-estimate -->"
EXIT_OK, EXIT_NEEDS_APPROVAL, EXIT_BAD_INPUT = 0, 1, 2
_ICON = {"within budget": "✅", "approved": "✅", "needs approval": "⚠️", "over budget": "❌", "bad input": "⛔"}


class JobReport(BaseModel):
    manifest: str
    result: EstimateResult | None = None
    previous: PreviousEstimate | None = None
    error: str | None = None
    problems: list[ManifestProblem] = Field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "bad input" if self.result is None else self.result.verdict

    @property
    def change(self) -> Decimal | None:
        if self.result is None or self.previous is None:
            return None
        if self.result.expected_cost is None or self.previous.expected_cost is None:
            return None
        return self.result.expected_cost - self.previous.expected_cost


class EstimateReport(BaseModel):
    jobs: list[JobReport]
    demo_note: str | None = None

    @property
    def total(self) -> Decimal | None:
        return _sum_known([j.result.expected_cost for j in self.jobs if j.result is not None])

    @property
    def total_change(self) -> Decimal | None:
        return _sum_known([j.change for j in self.jobs if j.result is not None])

    @property
    def verdict(self) -> str:
        order = ("bad input", "over budget", "needs approval", "approved", "within budget")
        seen = {j.verdict for j in self.jobs}
        return next((v for v in order if v in seen), "within budget")

    @property
    def exit_code(self) -> int:
        if any(j.result is None for j in self.jobs):
            return EXIT_BAD_INPUT
        return EXIT_NEEDS_APPROVAL if any(j.result.needs_approval for j in self.jobs if j.result) else EXIT_OK

    def markdown(self) -> str:
        n = len(self.jobs)
        head = (f"## {_ICON.get(self.verdict, '')} finops estimate: {n} job{'s' if n != 1 else ''}, "
                f"{money(self.total)} total{_change_text(self.total_change, self.total)}: {self.verdict}")
        # A demo-data warning comes first of all (a gate on made-up budgets must say so before anything).
        md = [f"> **{self.demo_note}**", ""] if self.demo_note else []
        md += [MARKER, head, ""]
        md += ["| job | team | cost | change vs previous | verdict |", "|---|---|---:|---:|---|"]
        md += [_summary_row(j) for j in self.jobs]
        md.append(f"| **total** | | **{money(self.total)}** | {_change_cell(self.total_change, self.total)} | "
                  f"**{self.verdict}** |")
        for job in self.jobs:
            md += ["", *_job_section(job)]
        return "\n".join(md)


def _sum_known(values: list[Decimal | None]) -> Decimal | None:
    """The sum, or None (unknown) when there is nothing to add or any part is unknown."""
    total = Decimal(0)
    for v in values:
        if v is None:
            return None
        total += v
    return total if values else None


def _change_text(change: Decimal | None, now: Decimal | None) -> str:
    if change is None or now is None:
        return ""
    before = now - change
    return f" ({signed_money(change)}, {signed_pct(change, before)} vs previous)" if before else ""


def _change_cell(change: Decimal | None, now: Decimal | None) -> str:
    if change is None or now is None:
        return "new"
    before = now - change
    return f"{signed_money(change)} ({signed_pct(change, before)})" if before else signed_money(change)


def _summary_row(job: JobReport) -> str:
    if job.result is None:
        return f"| `{job.manifest}` | | | | ⛔ bad input |"
    r = job.result
    return (f"| **{r.name}** (`{job.manifest}`) | {r.team or ''} | {money(r.expected_cost)} | "
            f"{_change_cell(job.change, r.expected_cost)} | {_ICON.get(r.verdict, '')} {r.verdict} |")


def _job_section(job: JobReport) -> list[str]:
    if job.result is None:
        md = [f"### ⛔ `{job.manifest}`: bad input", ""]
        if job.problems:
            md += [f"- {p.render()}" for p in job.problems]
        else:
            md.append(f"- {job.error}")
        return md
    r = job.result
    md = [f"### {_ICON.get(r.verdict, '')} {r.name}: {money(r.expected_cost)}{_range(r)}: {r.verdict}"]
    if job.previous is not None:
        md.append(f"Previous estimate {money(job.previous.expected_cost)} on {job.previous.created_at:%Y-%m-%d} "
                  f"(`{job.previous.estimate_id}`): {_change_cell(job.change, r.expected_cost)}.")
    else:
        md.append("No previous estimate of this job in the store.")
    md += ["", *job_body(r)]
    return md


def _range(r: EstimateResult) -> str:
    if r.p10 is None or r.p90 is None:
        return ""
    return f" (p10–p90 {money_short(r.p10)}–{money_short(r.p90)})"


def job_markdown(r: EstimateResult) -> str:
    """One job's PR comment (the single-manifest form, also used inside the report)."""
    return "\n".join([f"**{r.headline()}**", "", *job_body(r)])


def job_body(r: EstimateResult) -> list[str]:
    md = ["<details><summary>Breakdown, alternatives and price sources</summary>", "",
          "| item | quantity | unit | unit price | cost | price source |", "|---|---:|---|---:|---:|---|"]
    for line, row in zip(r.lines, r.table().rows):
        md.append("| " + " | ".join(str(c) for c in row) + f" | {line.source or ''} |")
    md.append(f"| **total** | | | | **{money(r.expected_cost)}** | |")
    if r.llm_totals is not None:
        t = r.llm_totals
        md += ["", "| LLM batch total | cost |", "|---|---:|", f"| plain (no caching) | {money(t.plain)} |",
               f"| with {t.cached_share * 100:.0f}% cached input | {money(t.cached)} |",
               f"| batch API | {money(t.batch) if t.batch is not None else 'unknown'} |"]
    if r.alternatives:
        md += ["", "| option | cost | saves | note | price source |", "|---|---:|---:|---|---|"]
        for a in r.alternatives:
            saves = "n/a" if a.savings is None else money(a.savings) + (
                f" ({a.savings_pct}%)" if a.savings_pct is not None else "")
            md.append(f"| {a.option} | {money(a.cost)} | {saves} | {a.note} | {a.source or ''} |")
    md += ["", *_facts(r), "", "</details>", "", *_approval_lines(r)]
    return md


def _facts(r: EstimateResult) -> list[str]:
    md: list[str] = []
    if r.history is not None:
        md.append(f"- Range: {r.history.basis} (p10 {ratio(r.history.p10_ratio)}, "
                  f"p90 {ratio(r.history.p90_ratio)} of the estimate).")
    if r.calibration is not None:
        md.append(f"- Calibration: {r.calibration.sentence()}.")
    if r.last_run is not None:
        md.append(f"- Actual vs estimate: {r.last_run.sentence(r.name)}.")
    b = r.budget
    if b.team_budget is not None:
        md.append(f"- Team {b.team}: budget {money(b.team_budget)} for the month from {b.period_start}, "
                  f"spent {money(b.team_spent)}, left {money(b.team_left)}.")
    if b.job_budget is not None:
        md.append(f"- Job budget: {money(b.job_budget)}.")
    md.extend(f"- {x}" for x in r.reasons)
    md.extend(f"- ⚠ {w}" for w in r.warnings)
    return md


def _approval_lines(r: EstimateResult) -> list[str]:
    stored = "" if r.stored else " (not recorded in the store)"
    if r.approved_by:
        return [f"Approved by {r.approved_by}. Estimate id `{r.estimate_id}`{stored}."]
    if not r.needs_approval:
        return [f"No approval needed. Estimate id `{r.estimate_id}`{stored}."]
    who = ", ".join(r.approvers) if r.approvers else f"an approver of team {r.team or '(no team)'}"
    return [f"**Approval needed** from {who}. How: ask in Slack with `/finops estimate` and the same job "
            f"fields; once an approver clicks Approve on estimate `{r.estimate_id}`, re-running this gate with "
            f"the same manifest passes (for {approval_valid_days()} days, at this cost or less; a changed job can "
            f"name an approved "
            f"estimate with `--approval-id`). Estimate id `{r.estimate_id}`{stored}."]

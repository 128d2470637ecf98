"""EstimateResult: the tool's result, and how it reads as a sentence, a table and a PR comment."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from tools.contract import TableView, ToolResult, money
from tools.estimate.formatting import money_short, num, ratio, unit_price
from tools.estimate.models import (
    Alternative,
    BudgetCheck,
    Calibration,
    CostLine,
    GpuPriceBasis,
    HistoryBand,
    LastRun,
    LlmTotals,
    Verdict,
)


class EstimateResult(ToolResult):
    identifier_fields = ("estimate_id",)   # tools.contract.ToolResult.identifiers(): what Approve/Reject act on
    estimate_id: str
    name: str
    team: str | None
    kind: str
    expected_cost: Decimal | None
    p10: Decimal | None
    p90: Decimal | None
    hours: Decimal | None = None
    lines: list[CostLine]
    gpu: GpuPriceBasis | None = None
    pricing: str | None = None
    model: str | None = None
    alternatives: list[Alternative]
    history: HistoryBand | None = None
    calibration: Calibration | None = None
    last_run: LastRun | None = None
    llm_totals: LlmTotals | None = None
    budget: BudgetCheck
    verdict: Verdict
    reasons: list[str]
    approved_by: str | None = None
    approvers: list[str] = Field(default_factory=list)   # the team's approvers (teams.approvers)
    warnings: list[str] = Field(default_factory=list)
    stored: bool = False
    spec_json: str = Field("", exclude=True)   # the validated inputs, as stored with the estimate

    @property
    def needs_approval(self) -> bool:
        return self.verdict in ("over budget", "needs approval")

    def headline(self) -> str:
        """One line for a PR comment: cost, range, budget left, verdict."""
        cost = money(self.expected_cost)
        rng = (f" (p10–p90 {money_short(self.p10)}–{money_short(self.p90)})"
               if self.p10 is not None and self.p90 is not None else "")
        parts = [f"This run will cost {cost}{rng}"]
        if self.budget.team_left is not None:
            parts.append(f"team budget left {money(self.budget.team_left)}")
        elif self.budget.job_budget is not None:
            parts.append(f"job budget {money(self.budget.job_budget)}")
        return "; ".join(parts) + f": {self.verdict}"

    def summary(self) -> str:
        out = [self.headline() + "."]
        out.extend(self._basis_sentences())
        out.extend(_alternative_sentence(a) for a in self.alternatives)
        out.extend(r if r.endswith(".") else r + "." for r in self.reasons)
        out.extend(w if w.endswith(".") else w + "." for w in self.warnings)
        out.append(f"Estimate id {self.estimate_id}.")
        return " ".join(out)

    def _basis_sentences(self) -> list[str]:
        out: list[str] = []
        if self.gpu is not None and self.hours is not None:
            g = self.gpu
            price = g.per_gpu_hour(self.pricing or "on-demand")
            out.append(f"{self.name}: {num(g.gpus_per_instance * g.instances)} {g.gpu_type or 'GPU'} GPUs "
                       f"({num(g.instances)} x {g.instance_type}, {g.provider} {g.region}) for {num(self.hours)} "
                       f"hours at {unit_price(price) if price is None else money(price, 4)} per GPU-hour "
                       f"{self.pricing}.")
        if self.model is not None:
            out.append(f"{self.name}: LLM batch on {self.model}.")
        if self.llm_totals is not None:
            t = self.llm_totals
            out.append(f"Totals: plain {money(t.plain)}, with {num(t.cached_share * 100)}% cached input "
                       f"{money(t.cached)}, batch API {money(t.batch)}.")
        if self.history is not None:
            h = self.history
            out.append(f"Range from {h.basis}: p10 {ratio(h.p10_ratio)}, median {ratio(h.p50_ratio)}, "
                       f"p90 {ratio(h.p90_ratio)} of the estimate.")
        for text in ([self.calibration.sentence()] if self.calibration else []) + (
                [self.last_run.sentence(self.name)] if self.last_run else []):
            out.append(text[0].upper() + text[1:] + ".")
        return out

    def table(self) -> TableView:
        return TableView(
            columns=["item", "quantity", "unit", "unit price", "cost"],
            rows=[[line.item, num(line.quantity), line.unit, unit_price(line.unit_price),
                   money(line.cost)] for line in self.lines],
        )

    def markdown(self) -> str:
        """A PR comment for this one job (the multi-manifest report is tools.estimate.report)."""
        from tools.estimate.report import job_markdown

        return job_markdown(self)


def _alternative_sentence(alt: Alternative) -> str:
    note = f" ({alt.note})" if alt.note else ""
    if alt.cost is None:
        return f"{alt.option}: unknown ({alt.note})."
    if alt.savings is not None and alt.savings > 0:
        return f"{alt.option} would cost {money(alt.cost)}, saving {money(alt.savings)}{note}."
    return f"{alt.option} would cost {money(alt.cost)}{note}."

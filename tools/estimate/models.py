"""The estimate's typed parts: its arguments, cost lines, price basis, alternatives, history, budget."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

Verdict = Literal["within budget", "over budget", "needs approval", "approved"]
PricingModel = Literal["on-demand", "spot", "reserved"]


class EstimateArgs(BaseModel):
    """A GPU job (gpu_type or instance_type, gpu_count, hours) or an LLM batch (kind llm-batch)."""

    manifest: str | None = Field(None, description="YAML manifest text; the fields below override it.")
    manifest_name: str = Field("manifest", description="File name shown in errors about the manifest.")
    name: str | None = Field(None, description="Job name.")
    team: str | None = Field(None, description="Team that pays.")
    kind: Literal["training", "fine-tune", "batch-inference", "experiment", "sweep", "llm-batch"] | None = Field(
        None, description="Job kind; llm-batch for an LLM API batch.")
    gpu_type: str | None = Field(None, description="GPU type, e.g. H100, A100, L4.")
    instance_type: str | None = Field(None, description="Instance type instead of gpu_type, e.g. p5.48xlarge.")
    gpu_count: int | None = Field(None, description="Number of GPUs.")
    hours: Decimal | None = Field(None, description="Wall-clock hours.")
    steps: int | None = Field(None, description="Steps (with seconds_per_step).")
    seconds_per_step: Decimal | None = Field(None, description="Seconds per step.")
    region: str | None = Field(None, description="Region, default us-east-1.")
    pricing: PricingModel | None = Field(None, description="Pricing, default on-demand.")
    providers: str | None = Field(None, description="Cheapest-option search: providers.")
    regions: str | None = Field(None, description="Cheapest-option search: regions.")
    allow_spot: bool | None = Field(None, description="Cheapest-option search: spot ok.")
    budget: Decimal | None = Field(None, description="The job's own budget in USD.")
    ttl_hours: Decimal | None = Field(None, description="Hours after which the job is stopped.")
    storage_gb: Decimal | None = Field(None, description="Storage kept during the run, GB.")
    egress_gb: Decimal | None = Field(None, description="Data sent out, GB.")
    model: str | None = Field(None, description="LLM batch: model.")
    calls: int | None = Field(None, description="LLM batch: number of calls.")
    input_tokens: int | None = Field(None, description="LLM batch: input tokens per call.")
    output_tokens: int | None = Field(None, description="LLM batch: output tokens per call.")
    cached_share: Decimal | None = Field(None, description="LLM batch: cached input share (0-1).")
    approval_id: str | None = Field(None, max_length=64,
                                    description="Earlier estimate id whose approval covers this run.")
    record: bool = Field(True, description="Store the estimate so an approval can refer to it.")


class CostLine(BaseModel):
    item: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    cost: Decimal | None
    source: str | None = None            # the price catalog the unit price came from


class GpuPriceBasis(BaseModel):
    instance_type: str
    provider: str
    region: str
    gpu_type: str | None
    gpus_per_instance: Decimal
    instances: Decimal
    on_demand_per_gpu_hour: Decimal
    spot_per_gpu_hour: Decimal | None     # None: the catalog has no spot price for this row (unknown)
    reserved_per_gpu_hour: Decimal | None
    source: str = ""

    def per_gpu_hour(self, pricing: str) -> Decimal | None:
        return {"on-demand": self.on_demand_per_gpu_hour, "spot": self.spot_per_gpu_hour,
                "reserved": self.reserved_per_gpu_hour}[pricing]


class Alternative(BaseModel):
    option: str
    cost: Decimal | None
    savings: Decimal | None
    note: str = ""
    source: str | None = None
    savings_pct: Decimal | None = None    # savings / the requested cost x 100, rounded to whole percent


class HistoryBand(BaseModel):
    jobs: int
    basis: str
    p10_ratio: Decimal
    p50_ratio: Decimal
    p90_ratio: Decimal
    default: bool


class Calibration(BaseModel):
    """How past estimates of the team compared with what the jobs then cost (finished jobs in gpu_jobs)."""

    team: str
    jobs: int
    median_overrun: Decimal               # median of actual / estimated - 1 (0.18 = ran 18% over)
    p90_overrun: Decimal

    def sentence(self) -> str:
        pct = (self.median_overrun * 100).quantize(Decimal(1))
        word = "over" if pct >= 0 else "under"
        sign = "+" if pct >= 0 else "\u2212"
        return (f"estimates for team {self.team} ran {sign}{abs(pct)}% {word}, median of {self.jobs} finished "
                f"jobs with an estimate")


class LastRun(BaseModel):
    """The latest finished run of the same job (gpu_jobs: same name and team) with its estimate and actual."""

    job_id: str
    ended_at: datetime
    estimated_cost: Decimal
    actual_cost: Decimal

    def sentence(self, name: str) -> str:
        from tools.estimate.formatting import signed_pct

        return (f"last run of {name} (job {self.job_id}, ended {self.ended_at:%Y-%m-%d}): estimated "
                f"${self.estimated_cost:,.2f}, actual ${self.actual_cost:,.2f} "
                f"({signed_pct(self.actual_cost - self.estimated_cost, self.estimated_cost)})")


class BudgetCheck(BaseModel):
    team: str | None = None
    team_budget: Decimal | None = None
    period_start: date | None = None
    team_spent: Decimal | None = None
    team_left: Decimal | None = None
    job_budget: Decimal | None = None


class LlmTotals(BaseModel):
    """An LLM batch's cost three ways: every input token at the plain price, with the cached share at the
    cache-read price, and through the provider's batch API (None: that price is unknown)."""

    plain: Decimal | None
    cached: Decimal | None
    batch: Decimal | None
    cached_share: Decimal
    batch_source: str | None = None


class PricedBody(BaseModel):
    """What the GPU or LLM part of an estimate computes, before budgets and approvals."""

    expected_cost: Decimal | None
    p10: Decimal | None = None
    p90: Decimal | None = None
    hours: Decimal | None = None
    lines: list[CostLine]
    gpu: GpuPriceBasis | None = None
    pricing: str | None = None
    model: str | None = None
    alternatives: list[Alternative] = Field(default_factory=list)
    history: HistoryBand | None = None
    calibration: Calibration | None = None
    last_run: LastRun | None = None
    llm_totals: LlmTotals | None = None
    warnings: list[str] = Field(default_factory=list)

"""estimate: what a GPU job or an LLM batch will cost before it launches, and whether it fits the budget.

GPU job: cost = GPUs x hours x price per GPU-hour, where the price per GPU-hour is the catalog's instance
price (`gpu_prices`: AWS, GCP and Azure catalogs) divided by the instance's GPU count. Pricing:
- on-demand: the catalog's on-demand (pay-as-you-go) price;
- spot: the catalog's spot price; "unknown" where the catalog has none (never on-demand less a guess);
- reserved: the catalog's 1-year no-upfront price; "unknown" when the catalog has none (never $0).
Beside it, the cheapest provider/region/instance/pricing the manifest allows (`optimizer`), each figure with
the price source it came from. Storage and egress are optional lines priced with stated defaults.

LLM batch: calls x tokens x the model's per-token prices, shown plain, with the cached share at the
cache-read price, and through the provider's batch API (`llm`).

Range: the p10-p90 of actual/estimated cost ratios of similar finished jobs (`history`); the team's
calibration ("estimates for team research ran +18% over, median of 12").

Verdict (`budget`): over budget when the expected cost exceeds the job's budget or what the team has left
this month; needs approval when the cost is unknown, there is no budget to check, or the cost is over the
approval threshold (`tools.approval_policy`); "approved" when an approval binds to this run (`approvals`).

The tool computes and never writes unless asked (`record`, writers only); the CLI stores through
`tools.estimate_record`, which also reads the previous estimate of the same job (`storage`).
"""

from __future__ import annotations

from tools.approval_policy import RunToGate, approval_threshold, threshold_reason
from tools.estimate.approvals import approval, team_approvers
from tools.estimate.budget import budget_check, hierarchy_scopes, hierarchy_verdict, range_warnings
from tools.estimate.budget import verdict as budget_verdict
from tools.estimate.formatting import cents, money_short
from tools.estimate.gpu import DEFAULT_EGRESS_USD_PER_GB, DEFAULT_STORAGE_USD_PER_GB_MONTH, HOURS_PER_MONTH, gpu_job
from tools.estimate.history import DEFAULT_BAND, MIN_HISTORY
from tools.estimate.llm import llm_batch
from tools.estimate.models import (
    Alternative,
    BudgetCheck,
    Calibration,
    CostLine,
    EstimateArgs,
    GpuPriceBasis,
    HistoryBand,
    LlmTotals,
    PricedBody,
    Verdict,
)
from tools.estimate.result import EstimateResult
from tools.estimate.spec import ManifestNameError, job_spec, resolve_team
from tools.estimate.storage import estimate_id, manifest_json, record_estimate
from tools.manifest import LlmBatchSpec
from tools.registry import ToolContext, tool

__all__ = ["Alternative", "BudgetCheck", "Calibration", "CostLine", "DEFAULT_BAND", "DEFAULT_EGRESS_USD_PER_GB",
           "DEFAULT_STORAGE_USD_PER_GB_MONTH", "EstimateArgs", "EstimateResult", "GpuPriceBasis", "HOURS_PER_MONTH",
           "HistoryBand", "LlmTotals", "MIN_HISTORY", "ManifestNameError", "Verdict", "cents", "estimate",
           "money_short", "record_estimate"]


@tool("estimate",
      "Pre-launch cost of a GPU job (GPUs x hours x AWS/GCP/Azure catalog price; cheapest allowed option) or "
      "an LLM batch (plain, cached, batch-API totals), with a p10-p90 range from past jobs and the verdict "
      "against the team's remaining monthly budget.",
      examples=["How much would 64 H100s for 72 hours cost?",
                "64 H100s for 72 hours on spot for search, approve?",
                "Estimate 8 A100 for 12 hours on spot for team research",
                "What would 2 million calls to gpt-4o with 1000 input and 200 output tokens cost?"])
def estimate(ctx: ToolContext, args: EstimateArgs) -> EstimateResult:
    spec = job_spec(ctx, args)
    team = resolve_team(ctx, spec)
    body: PricedBody = llm_batch(ctx, spec) if isinstance(spec, LlmBatchSpec) else gpu_job(ctx, spec)
    budget = budget_check(ctx, team, spec.budget)
    verdict, reasons = budget_verdict(body.expected_cost, budget)
    verdict = hierarchy_verdict(ctx, hierarchy_scopes(team, spec.project, spec.name), body.expected_cost,
                                verdict, reasons)
    over_threshold = threshold_reason(body.expected_cost, approval_threshold())
    if over_threshold and verdict == "within budget":
        verdict = "needs approval"           # the same rule the Slack bot applies (tools.approval_policy)
    if over_threshold:
        reasons.insert(0, over_threshold)
    body.warnings = body.warnings + range_warnings(body.p90, budget)
    eid = estimate_id(spec, body.expected_cost)
    approved_by: str | None = None
    if verdict != "within budget":
        run = RunToGate(estimate_id=eid, team=team, name=spec.name, expected_cost=body.expected_cost)
        approved_by, approval_note = approval(ctx, run, args.approval_id)
        if approved_by:
            verdict = "approved"
        if approval_note:
            reasons.append(approval_note)
    result = EstimateResult(estimate_id=eid, name=spec.name, team=team, kind=spec.kind, budget=budget,
                            verdict=verdict, reasons=reasons, approved_by=approved_by,
                            approvers=team_approvers(ctx, team),
                            spec_json=manifest_json(spec), **body.model_dump())
    if args.record:
        if ctx.store.read_only:
            ctx.note("estimate not stored: the store is open read-only")
        else:
            record_estimate(ctx.con, result)
            result.stored = True
    return result

"""What past jobs say about an estimate: the p10-p90 band of actual/estimated cost of similar finished jobs,
and the team's calibration (how its estimates compared with what its jobs then cost)."""

from __future__ import annotations

from decimal import Decimal

from tools.estimate.models import Calibration, HistoryBand, LastRun
from tools.registry import ToolContext
from tools.stats import median, quantile

MIN_HISTORY = 5                         # fewer similar finished jobs than this -> default band
# Default band when history is thin: GPU jobs overrun more often than they underrun (restarts,
# stragglers, evaluation passes), so the band is skewed up: -10% .. +30% around the estimate.
DEFAULT_BAND = (Decimal("0.90"), Decimal("1.00"), Decimal("1.30"))

_FINISHED = """
    SELECT job_id, team, gpu_type, kind, estimated_cost, actual_cost FROM gpu_jobs
    WHERE ended_at IS NOT NULL AND estimated_cost > 0 AND actual_cost IS NOT NULL
"""


def history_band(ctx: ToolContext, gpu_type: str | None, kind: str) -> HistoryBand:
    rows = ctx.query(_FINISHED + " ORDER BY job_id")
    levels = [
        (f"{{n}} finished {kind} jobs on {gpu_type}", lambda r: r["gpu_type"] == gpu_type and r["kind"] == kind),
        (f"{{n}} finished {kind} jobs (any GPU)", lambda r: r["kind"] == kind),
        ("{n} finished GPU jobs of any kind", lambda r: True),
    ]
    for basis, keep in levels:
        ratios = [Decimal(r["actual_cost"]) / Decimal(r["estimated_cost"]) for r in rows if keep(r)]
        if len(ratios) >= MIN_HISTORY:
            return HistoryBand(jobs=len(ratios), basis=basis.format(n=len(ratios)), p10_ratio=quantile(ratios, "0.1"),
                               p50_ratio=median(ratios), p90_ratio=quantile(ratios, "0.9"), default=False)
    lo, mid, hi = DEFAULT_BAND
    return HistoryBand(jobs=len(rows), basis=f"the default band -10%/+30% (only {len(rows)} finished jobs with "
                       f"estimates in the store; {MIN_HISTORY} similar ones needed)",
                       p10_ratio=lo, p50_ratio=mid, p90_ratio=hi, default=True)


def calibration(ctx: ToolContext, team: str | None) -> Calibration | None:
    """The team's finished jobs that had an estimate: median (and p90) of actual / estimated - 1.
    None without a team or with fewer than MIN_HISTORY such jobs."""
    if not team:
        return None
    rows = ctx.query(_FINISHED + " AND lower(team) = lower(?) ORDER BY job_id", [team.strip()])
    overruns = [Decimal(r["actual_cost"]) / Decimal(r["estimated_cost"]) - 1 for r in rows]
    if len(overruns) < MIN_HISTORY:
        return None
    return Calibration(team=rows[0]["team"], jobs=len(overruns), median_overrun=median(overruns),
                       p90_overrun=quantile(overruns, "0.9"))


def last_run(ctx: ToolContext, name: str, team: str | None) -> LastRun | None:
    """Once a job has run: its latest finished run with both an estimate and an actual cost."""
    rows = ctx.query(
        """
        SELECT job_id, ended_at, estimated_cost, actual_cost FROM gpu_jobs
        WHERE name = ? AND (? IS NULL OR lower(team) = lower(?)) AND ended_at IS NOT NULL
          AND estimated_cost > 0 AND actual_cost IS NOT NULL
        ORDER BY ended_at DESC, job_id LIMIT 1
        """,
        [name, team, team],
    )
    if not rows:
        return None
    r = rows[0]
    return LastRun(job_id=r["job_id"], ended_at=r["ended_at"], estimated_cost=Decimal(r["estimated_cost"]),
                   actual_cost=Decimal(r["actual_cost"]))

"""GPU runs with both an estimate and an actual cost (gpu_jobs.estimated_cost, actual_cost): what the
alerts compare to find a run that cost more than its estimate. Runs without either figure are left out
(an unknown cost is never $0)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from tools.contract import SqlRun
from tools.registry import ToolContext


class RunCost(BaseModel):
    job_id: str
    name: str | None
    team: str | None
    owner: str | None
    estimated: Decimal
    actual: Decimal


def estimated_runs(ctx: ToolContext, since_days: int = 30) -> tuple[list[RunCost], list[SqlRun]]:
    """Runs that ended in the last `since_days` days before today with an estimate and an actual cost."""
    rows = ctx.query(
        """
        SELECT job_id, name, team, owner, estimated_cost AS estimated, actual_cost AS actual
        FROM gpu_jobs
        WHERE estimated_cost IS NOT NULL AND actual_cost IS NOT NULL AND ended_at IS NOT NULL
          AND ended_at >= CAST(? AS TIMESTAMP) - to_days(CAST(? AS INTEGER)) AND ended_at < CAST(? AS TIMESTAMP)
        ORDER BY job_id
        """,
        [ctx.today, since_days, ctx.today])
    return [RunCost(**r) for r in rows], list(ctx.runs)

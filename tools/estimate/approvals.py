"""Whether an approval binds to this run (tools.approval_policy decides; this module reads the store)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tools.approval_policy import REQUESTED, ApprovedEstimate, RunToGate, approval_problem, approval_valid_days
from tools.contract import money
from tools.registry import ToolContext


def approval(ctx: ToolContext, run: RunToGate, approval_id: str | None) -> tuple[str | None, str | None]:
    """Who approved this run (its own estimate, or the one named by approval_id when that approval binds
    to this run), and a note saying why an approval does not apply."""
    own = decision(ctx, run.estimate_id)
    if own is not None and own.decision != "approved":
        return None, f"estimate {own.estimate_id} was {own.decision} by {own.decided_by}"
    notes: list[str] = []
    candidates = [own] if own is not None else []
    if approval_id and approval_id != run.estimate_id:
        named = decision(ctx, approval_id)
        if named is None:
            notes.append(f"no decision recorded for estimate {approval_id}")
        else:
            candidates.append(named)
    for given in candidates:
        problem = approval_problem(given, run)
        if problem is None:
            expires = given.decided_at + timedelta(days=approval_valid_days())
            return given.decided_by, (f"approved by {given.decided_by} (estimate {given.estimate_id}, "
                                      f"up to {money(given.expected_cost)}, valid until {expires:%Y-%m-%d} UTC)")
        notes.append(problem)
    return None, ("; ".join(notes) or None)


def decision(ctx: ToolContext, estimate_id: str) -> ApprovedEstimate | None:
    """The latest decision on an estimate, with the estimate it was given for and who asked for it."""
    rows = ctx.query(
        """
        SELECT a.decision, a.decided_by, a.ts, e.team, e.name, e.expected_cost
        FROM approvals a LEFT JOIN estimates e USING (estimate_id)
        WHERE a.estimate_id = ? AND a.decision IN ('approved', 'rejected')
        ORDER BY a.ts DESC, a.decided_by, a.decision LIMIT 1
        """,
        [estimate_id],
    )
    if not rows:
        return None
    r = rows[0]
    requesters = [q["decided_by"] for q in ctx.query(
        "SELECT DISTINCT decided_by FROM approvals WHERE estimate_id = ? AND decision = ? ORDER BY decided_by",
        [estimate_id, REQUESTED])]
    return ApprovedEstimate(estimate_id=estimate_id, team=r["team"], name=r["name"],
                            expected_cost=None if r["expected_cost"] is None else Decimal(r["expected_cost"]),
                            decision=r["decision"], decided_by=r["decided_by"], decided_at=r["ts"],
                            requesters=requesters)


def team_approvers(ctx: ToolContext, team: str | None) -> list[str]:
    """The team's approvers (`teams.approvers`, comma-separated Slack user ids or names)."""
    if not team:
        return []
    rows = ctx.query("SELECT approvers FROM teams WHERE team = ?", [team])
    if not rows or not rows[0]["approvers"]:
        return []
    return [u.strip() for u in str(rows[0]["approvers"]).split(",") if u.strip()]

"""The budget side of an estimate: what the team has left this month, the verdict, range warnings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tools.budget_tree import launch_check, load_nodes
from tools.contract import money
from tools.estimate.models import BudgetCheck, Verdict
from tools.registry import ToolContext
from tools.scopes import scope_spend


def budget_check(ctx: ToolContext, team: str | None, job_budget: Decimal | None) -> BudgetCheck:
    check = BudgetCheck(team=team, job_budget=job_budget)
    if team is None:
        return check
    today = ctx.today
    rows = ctx.query(
        """
        SELECT period, period_start, amount FROM budgets
        WHERE scope_kind = 'team' AND scope_name = ? AND period_start <= ?
        ORDER BY period_start DESC, period
        """,
        [team, today],
    )
    for r in rows:
        months = 3 if r["period"] == "quarterly" else 12 if r["period"] == "yearly" else 1
        end = add_months(r["period_start"], months)
        if r["period_start"] <= today < end:
            spent = scope_spend(ctx, "team", team, r["period_start"], today)
            check.team_budget, check.period_start, check.team_spent = Decimal(r["amount"]), r["period_start"], spent
            check.team_left = Decimal(r["amount"]) - spent
            break
    else:
        ctx.note(f"team {team} has no budget covering {today.isoformat()}")
    return check


def hierarchy_scopes(team: str | None, project: str | None, name: str | None) -> list[str]:
    """The budget-tree ids a run is charged to, most specific first (job, project, team)."""
    return [i for i in (f"job:{name}" if name else None, f"project:{project}" if project else None,
                        f"team:{team}" if team else None) if i]


def hierarchy_verdict(ctx: ToolContext, scopes: list[str], expected: Decimal | None,
                      verdict: Verdict, reasons: list[str]) -> Verdict:
    """Apply the budget hierarchy's limits (`finops budgets set`): the most specific budget the run is
    charged to is checked with all its ancestors; a hard limit the run would pass makes it 'over budget',
    a soft one adds a reason. Runs with no budget in the tree keep the team-month verdict."""
    if expected is None:
        return verdict
    nodes = load_nodes(ctx.store, ctx.today)
    chosen = next((i for i in scopes if i in nodes), None)
    if chosen is None:
        return verdict
    check = launch_check(ctx.store, chosen, expected, today=ctx.today, nodes=nodes)
    ctx.note(f"budget hierarchy: checked {chosen} and its parents")
    reasons.extend(f"budget hierarchy: {r}" for r in check.reasons if r not in reasons)
    return "over budget" if not check.allowed else verdict


def add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def range_warnings(p90: Decimal | None, b: BudgetCheck) -> list[str]:
    """The verdict rests on the expected cost; say so when the p90 of similar past jobs would not fit."""
    out: list[str] = []
    if p90 is None:
        return out
    if b.job_budget is not None and p90 > b.job_budget:
        out.append(f"the p90 cost {money(p90)} is over the job budget of {money(b.job_budget)}: "
                   "1 in 10 similar past jobs overran this much")
    if b.team_left is not None and p90 > b.team_left:
        out.append(f"the p90 cost {money(p90)} is over what team {b.team} has left this month ({money(b.team_left)})")
    return out


def verdict(expected: Decimal | None, b: BudgetCheck) -> tuple[Verdict, list[str]]:
    if expected is None:
        return "needs approval", ["the cost is unknown (a price is missing from the catalog): a person must check it"]
    reasons: list[str] = []
    over = False
    if b.job_budget is not None and expected > b.job_budget:
        over = True
        reasons.append(f"over the job budget of {money(b.job_budget)} by {money(expected - b.job_budget)}")
    if b.team_left is not None and expected > b.team_left:
        over = True
        reasons.append(f"over what team {b.team} has left this month ({money(b.team_left)}) by "
                       f"{money(expected - b.team_left)}")
    if over:
        return "over budget", reasons
    if b.job_budget is None and b.team_left is None:
        who = f"team {b.team} has no budget this month" if b.team else "no team given"
        return "needs approval", [f"no budget to check against ({who} and no job budget)"]
    return "within budget", reasons

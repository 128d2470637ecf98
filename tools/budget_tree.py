"""The budget hierarchy: org → team → project → job (and per model / app for LLM spend).

One precedence rule, applied twice:
- when a budget is set, a child's amount may not exceed what its parent has left to give:
  parent.amount − the amounts of its other children (`allocation_problem`);
- while money is spent, a node may spend at most min(its own amount − its spend, what each ancestor has
  left: ancestor.amount − ancestor's spend) (`headroom`). So a child never gets more than its parent has left.
Soft limits alert; hard limits also fail the pre-launch gate (`launch_check`, the estimate gate's hook).

Each budget's scope is a list of `CostQuery` filters, so its spend comes from the one compiler
(`tools.query_costs`); the forecast to the period's end uses `tools.timeseries.forecast_series`, the
forecast tool's method. Budgets come from the `budget_nodes` table (`finops budgets set`, YAML/CSV) and from
the older `budgets` table (team / project / service / total rows), which join the tree under the org root.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from knowledge.semantic.query import CostQuery, Filter
from knowledge.store import Store
from tools.contract import MissingDataError, NoDataError, SqlRun, money, pct
from tools.names import resolve_in
from tools.periods import add_months
from tools.query_costs import QueryCostsResult
from tools.registry import run_tool
from tools.scopes import days_between, filled
from tools.timeseries import forecast_series

Level = Literal["org", "team", "project", "job", "model", "app", "scope"]
LimitKind = Literal["soft", "hard"]
PeriodKind = Literal["monthly", "quarterly", "custom"]
LEVELS: tuple[str, ...] = ("org", "team", "project", "job", "model", "app", "scope")   # scope: any CostQuery filters
# The dimension a level's name filters on (org = no filter; job = the billed resource the job runs on).
LEVEL_DIMENSION = {"team": "team", "project": "project", "model": "model", "app": "app", "job": "resource",
                   "service": "service"}
DEFAULT_THRESHOLDS = (Decimal("0.5"), Decimal("0.7"), Decimal("0.9"), Decimal("1.0"))
HISTORY_DAYS = 56
ROOT_ID = "org"


class BudgetNode(BaseModel):
    """One budget of the tree."""

    budget_id: str
    parent_id: str | None = None
    level: str
    name: str
    filters: tuple[Filter, ...] = ()
    period: PeriodKind = "monthly"
    period_start: date
    period_end: date | None = None       # custom only (exclusive)
    amount: Decimal = Field(ge=0)
    limit_kind: LimitKind = "soft"
    thresholds: tuple[Decimal, ...] = DEFAULT_THRESHOLDS
    owner: str | None = None
    channel: str | None = None
    source: str = "budget_nodes"

    def window(self, today: date) -> tuple[date, date] | None:
        """The period [start, end) holding `today`, or None when the budget does not cover it."""
        if self.period == "custom":
            end = self.period_end or self.period_start
            return (self.period_start, end) if self.period_start <= today < end else None
        if today < self.period_start:
            return None
        step = 1 if self.period == "monthly" else 3
        months = (today.year - self.period_start.year) * 12 + today.month - self.period_start.month
        start = add_months(self.period_start, (months // step) * step)
        if start > today:
            start = add_months(start, -step)
        return start, add_months(start, step)

    def team(self) -> str | None:
        """The team this budget belongs to: its own name at team level, else a team filter."""
        if self.level == "team":
            return self.name
        for f in self.filters:
            if f.dimension == "team" and f.op == "eq":
                return f.values[0]
        return None


# -- precedence (pure) ---------------------------------------------------------------------------------
def ancestors(nodes: Mapping[str, BudgetNode], budget_id: str) -> list[str]:
    """The ids from `budget_id`'s parent up to its root (a cycle or a missing parent ends the walk)."""
    out: list[str] = []
    seen = {budget_id}
    parent = nodes[budget_id].parent_id if budget_id in nodes else None
    while parent is not None and parent in nodes and parent not in seen:
        out.append(parent)
        seen.add(parent)
        parent = nodes[parent].parent_id
    return out


def allocation_problem(nodes: Mapping[str, BudgetNode], node: BudgetNode) -> str | None:
    """Why `node` cannot be set under its parent (its amount exceeds what the parent has left to give), or None."""
    if node.parent_id is None:
        return None
    parent = nodes.get(node.parent_id)
    if parent is None:
        return f"unknown parent budget '{node.parent_id}'; known: {', '.join(sorted(nodes)) or 'none'}"
    if node.budget_id == parent.budget_id or node.budget_id in ancestors(nodes, parent.budget_id):
        return f"budget '{node.budget_id}' cannot be its own ancestor"
    given = sum((n.amount for n in nodes.values() if n.parent_id == parent.budget_id and n.budget_id != node.budget_id),
                Decimal(0))
    left = parent.amount - given
    if node.amount > left:
        return (f"{node.budget_id} asks for {money(node.amount)} but its parent {parent.budget_id} has only "
                f"{money(max(left, Decimal(0)))} left to give ({money(parent.amount)} minus {money(given)} given to "
                "its other budgets)")
    return None


def headroom(nodes: Mapping[str, BudgetNode], spent: Mapping[str, Decimal], budget_id: str) -> Decimal:
    """What `budget_id` may still spend: min over itself and its ancestors of amount − spent (never below 0)."""
    chain = [budget_id] + ancestors(nodes, budget_id)
    left = min(nodes[i].amount - spent.get(i, Decimal(0)) for i in chain)
    return max(left, Decimal(0))


def binding_node(nodes: Mapping[str, BudgetNode], spent: Mapping[str, Decimal], budget_id: str) -> str:
    """The node (itself or an ancestor) whose remaining amount sets `budget_id`'s headroom (nearest on a tie)."""
    chain = [budget_id] + ancestors(nodes, budget_id)
    return min(chain, key=lambda i: (nodes[i].amount - spent.get(i, Decimal(0)), chain.index(i)))


# -- loading -------------------------------------------------------------------------------------------
def _thresholds(text: str | None) -> tuple[Decimal, ...]:
    out = []
    for part in (text or "").split(","):
        try:
            out.append(Decimal(part.strip()))
        except ArithmeticError:
            continue
    return tuple(sorted(set(out))) or DEFAULT_THRESHOLDS


def level_filters(level: str, name: str) -> tuple[Filter, ...]:
    dim = LEVEL_DIMENSION.get(level)
    return () if dim is None or level in ("org", "total") else (Filter(dimension=dim, op="eq", values=(name,)),)


def load_nodes(store: Store, today: date) -> dict[str, BudgetNode]:
    """Every budget covering `today`: `budget_nodes` rows, then the older `budgets` rows not set there."""
    nodes: dict[str, BudgetNode] = {}
    rows = store.con.execute(
        "SELECT budget_id, parent_id, level, name, scope_json, period, period_start, period_end, amount, limit_kind, "
        "thresholds, owner, channel FROM budget_nodes ORDER BY budget_id").fetchall()
    for r in rows:
        filters = tuple(Filter.model_validate(f) for f in json.loads(r[4] or "[]"))
        node = BudgetNode(budget_id=r[0], parent_id=r[1], level=r[2], name=r[3], filters=filters, period=r[5],
                          period_start=r[6], period_end=r[7], amount=Decimal(r[8]), limit_kind=r[9],
                          thresholds=_thresholds(r[10]), owner=r[11], channel=r[12])
        if node.window(today) is not None:
            nodes[node.budget_id] = node
    for node in legacy_nodes(store, today, root=ROOT_ID if ROOT_ID in nodes else None):
        nodes.setdefault(node.budget_id, node)
    return nodes


def legacy_nodes(store: Store, today: date, root: str | None) -> list[BudgetNode]:
    """The `budgets` table's rows for the period holding `today` (team/project/service/total)."""
    rows = store.con.execute(
        "SELECT scope_kind, scope_name, period, period_start, amount, alert_thresholds FROM budgets "
        "WHERE period_start <= ? ORDER BY scope_kind, scope_name, period_start DESC", [today]).fetchall()
    out: dict[str, BudgetNode] = {}
    for kind, name, period, start, amount, thresholds in rows:
        budget_id = ROOT_ID if kind == "total" else f"{kind}:{name}"
        if budget_id in out or period not in ("monthly", "quarterly"):
            continue
        step = 1 if period == "monthly" else 3
        if not start <= today < add_months(start, step):
            continue
        out[budget_id] = BudgetNode(
            budget_id=budget_id, parent_id=None if kind == "total" else root, level="org" if kind == "total" else kind,
            name=name, filters=level_filters(kind, name), period=period, period_start=start, amount=Decimal(amount),
            thresholds=_thresholds(thresholds), source="budgets")
    return list(out.values())


# -- burn and forecast -----------------------------------------------------------------------------------
class NodeStatus(BaseModel):
    """A budget's burn in its current period, with the forecast to the period's end and its headroom."""

    node: BudgetNode
    period_start: date
    period_end: date                     # exclusive
    data_end: date                       # last day of billing data counted
    spent: Decimal
    pct: Decimal
    headroom: Decimal = Decimal(0)       # after the precedence rule (its own and its ancestors' remaining)
    binding: str = ""                    # whose remaining amount sets the headroom
    team: str | None = None              # its own team, else its nearest ancestor's (who is told)
    forecast: Decimal | None = None
    forecast_low: Decimal | None = None
    forecast_high: Decimal | None = None
    exceed_on: date | None = None
    runs_out_in_days: int | None = None  # days from data_end to exceed_on
    days_left: int = 0
    method: str = ""
    sql: list[SqlRun] = Field(default_factory=list)

    def sentence(self) -> str:
        n = self.node
        text = (f"{n.name} ({n.level}) has spent {money(self.spent)} of its {money(n.amount)} {n.period} budget "
                f"from {self.period_start.isoformat()} through {self.data_end.isoformat()} ({pct(self.pct)})")
        if self.forecast is not None:
            text += (f"; forecast {money(self.forecast)} by {(self.period_end - timedelta(days=1)).isoformat()} "
                     f"(80% interval {money(self.forecast_low)} to {money(self.forecast_high)})")
        return text


def _daily(store: Store, filters: tuple[Filter, ...], start: date, through: date) -> tuple[dict[date, Decimal], list[SqlRun]]:
    query = CostQuery(measures=("billed_cost",), group_by=("day",), filters=filters,
                      period=f"{start.isoformat()}..{(through - timedelta(days=1)).isoformat()}")
    result = run_tool(store, "query_costs", query)
    if not isinstance(result, QueryCostsResult):
        raise TypeError(f"query_costs returned a {type(result).__name__}")
    series = {date.fromisoformat(str(r.keys[0])[:10]): r.values.get("billed_cost") or Decimal(0)
              for r in result.rows if r.keys and r.keys[0] is not None and not r.is_other}
    return series, list(result.evidence.sql if result.evidence else [])


def node_status(store: Store, node: BudgetNode, today: date, data_end: date) -> NodeStatus | None:
    """The node's burn through `data_end`; None when its period has no billing data yet (never $0)."""
    window = node.window(today)
    if window is None:
        return None
    start, end = window
    through = min(end, data_end + timedelta(days=1))
    if through <= start:
        return None
    history_start = through - timedelta(days=HISTORY_DAYS)
    try:
        series, sql = _daily(store, node.filters, min(start, history_start), through)
    except (NoDataError, MissingDataError):
        return None
    spent = sum((v for d, v in series.items() if start <= d < through), Decimal(0))
    status = NodeStatus(node=node, period_start=start, period_end=end, data_end=through - timedelta(days=1),
                        spent=spent, pct=spent / node.amount if node.amount > 0 else Decimal(0),
                        days_left=(end - through).days, sql=sql)
    _forecast(status, filled(series, history_start, through), days_between(history_start, through))
    return status


def _forecast(status: NodeStatus, values: list[Decimal], days: list[date]) -> None:
    horizon = status.days_left
    if horizon <= 0 or not any(values):
        status.forecast = status.forecast_low = status.forecast_high = status.spent
        return
    fc = forecast_series(days, values, horizon)
    status.method = fc.method
    status.forecast = status.spent + fc.total
    status.forecast_low = status.spent + fc.low
    status.forecast_high = status.spent + fc.high
    amount = status.node.amount
    if status.forecast > amount >= status.spent:
        running = status.spent
        for d, v in zip(fc.days, fc.values):
            running += v
            if running > amount:
                status.exceed_on = d
                status.runs_out_in_days = (d - status.data_end).days
                break


def statuses(store: Store, today: date, data_end: date) -> list[NodeStatus]:
    """Every covering budget's status with its headroom after the precedence rule."""
    nodes = load_nodes(store, today)
    out = [s for s in (node_status(store, n, today, data_end) for n in nodes.values()) if s is not None]
    spent = {s.node.budget_id: s.spent for s in out}
    known = {i: n for i, n in nodes.items() if i in spent}
    for s in out:
        s.headroom = headroom(known, spent, s.node.budget_id)
        s.binding = binding_node(known, spent, s.node.budget_id)
        chain = [s.node.budget_id] + ancestors(nodes, s.node.budget_id)
        s.team = next((t for t in (nodes[i].team() for i in chain) if t), None)
    return sorted(out, key=lambda s: (LEVELS.index(s.node.level) if s.node.level in LEVELS else 99, s.node.budget_id))


# -- the pre-launch gate's hook ------------------------------------------------------------------------
class LaunchCheck(BaseModel):
    """Whether a run costing `cost` may launch under a budget and its ancestors."""

    budget_id: str
    cost: Decimal
    allowed: bool                        # False only when a hard limit on the path would be passed
    headroom: Decimal | None             # None: the budget has no data yet (checked against amounts only)
    blocking: list[str] = Field(default_factory=list)   # hard budgets the run would exceed
    warnings: list[str] = Field(default_factory=list)   # soft budgets the run would exceed
    reasons: list[str] = Field(default_factory=list)


def launch_check(store: Store, budget_id: str, cost: Decimal, *, today: date | None = None,
                 nodes: Mapping[str, BudgetNode] | None = None) -> LaunchCheck:
    """The hook for the estimate gate: a hard limit on `budget_id` or any ancestor that `cost` would pass
    fails the gate; a soft one only warns. Raises UnknownNameError (did-you-mean) for an unknown budget."""
    from tools.forecast import last_data_day
    from tools.registry import ToolContext

    today = today or store.today()
    if nodes is None:
        nodes = load_nodes(store, today)
    budget_id = resolve_in(budget_id, sorted(nodes), "budget")
    try:
        data_end = last_data_day(ToolContext(store, "budgets"))
    except NoDataError:
        data_end = None
    spent: dict[str, Decimal] = {}
    chain = [budget_id] + ancestors(nodes, budget_id)
    for i in chain:
        status = node_status(store, nodes[i], today, data_end) if data_end else None
        spent[i] = status.spent if status else Decimal(0)
    check = LaunchCheck(budget_id=budget_id, cost=cost, allowed=True,
                        headroom=headroom(nodes, spent, budget_id) if data_end else None)
    for i in chain:
        left = nodes[i].amount - spent[i]
        if cost <= left:
            continue
        reason = f"{i} has {money(max(left, Decimal(0)))} left of {money(nodes[i].amount)} ({nodes[i].limit_kind} limit)"
        check.reasons.append(reason)
        (check.blocking if nodes[i].limit_kind == "hard" else check.warnings).append(i)
    check.allowed = not check.blocking
    return check


def iter_children(nodes: Mapping[str, BudgetNode], parent: str) -> Iterable[BudgetNode]:
    return (n for n in nodes.values() if n.parent_id == parent)


# -- setting budgets -------------------------------------------------------------------------------------
def check_filters(store: Store, filters: tuple[Filter, ...]) -> None:
    """Validate a scope against the semantic model and the store's values (did-you-mean on a typo)."""
    from knowledge.semantic.validate import resolve_query
    from tools.names import candidates

    resolve_query(store.con, CostQuery(filters=filters), known=lambda kind: candidates(store.con, kind), cache=None)


def save_nodes(store: Store, new: list[BudgetNode], now: datetime) -> None:
    """Write budgets (in order, so a parent can come first), each checked against the precedence rule on the
    tree as it stands in its period; raises FinopsError naming the first problem (nothing is written then,
    when the caller holds a transaction)."""
    from tools.contract import FinopsError

    for node in new:
        if node.period == "custom" and (node.period_end is None or node.period_end <= node.period_start):
            raise FinopsError(f"{node.budget_id}: a custom period needs an end after its start")
        check_filters(store, node.filters)
        start = node.window(node.period_start) or (node.period_start, node.period_start)
        tree = load_nodes(store, start[0])
        problem = allocation_problem(tree, node)
        if problem is not None:
            raise FinopsError(problem)
        store.con.execute(
            "INSERT OR REPLACE INTO budget_nodes (budget_id, parent_id, level, name, scope_json, period, period_start, "
            "period_end, amount, limit_kind, thresholds, owner, channel, updated_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [node.budget_id, node.parent_id, node.level, node.name,
             json.dumps([f.model_dump(mode="json") for f in node.filters]), node.period, node.period_start,
             node.period_end, node.amount, node.limit_kind, ",".join(str(t) for t in node.thresholds), node.owner,
             node.channel, now])

"""The weekly summary as data: typed figures copied from tool results, plus the evidence of every call.

Each section names the tool calls (`evidence`: ids into `WeeklySummary.calls`) its figures come from.
Renderers format these figures; they never compute new ones.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from apps.report.week import ReportWeek
from tools.anomalies import Anomaly
from tools.budgets import BudgetStatus
from tools.contract import Evidence
from tools.forecast import ScopeForecast
from tools.llm_spend import LlmSpendRow
from tools.remediations import Remediation
from tools.tag_audit import Offender
from tools.unit_costs import UnitCostRow
from tools.waste import WasteItem


class ToolCall(BaseModel):
    """One registry call behind the summary, with the evidence the tool returned (or its error)."""

    id: str                           # E1, E2, ... (anchors in the appendix)
    tool: str
    purpose: str
    args: dict[str, object] = Field(default_factory=dict)
    evidence: Evidence | None = None
    error: str | None = None


class Section(BaseModel):
    evidence: list[str] = Field(default_factory=list)     # ToolCall ids
    problems: list[str] = Field(default_factory=list)     # a tool's typed error, shown instead of figures


class WeekTotal(BaseModel):
    week: str
    billed: Decimal


class Overview(Section):
    total: Decimal | None = None
    previous_total: Decimal | None = None
    change: Decimal | None = None
    change_pct: Decimal | None = None
    average_4w: Decimal | None = None          # mean weekly billed cost of the (up to) 4 weeks before
    average_weeks: list[WeekTotal] = Field(default_factory=list)
    change_vs_average: Decimal | None = None
    change_vs_average_pct: Decimal | None = None
    unallocated: Decimal | None = None         # spend no team owns (company summary)
    unallocated_share: Decimal | None = None
    notes: list[str] = Field(default_factory=list)


class Mover(BaseModel):
    dimension: Literal["team", "service", "model"]
    key: str
    billed: Decimal
    previous: Decimal | None
    change: Decimal
    change_pct: Decimal | None


class Movers(Section):
    teams: list[Mover] = Field(default_factory=list)
    services: list[Mover] = Field(default_factory=list)
    models: list[Mover] = Field(default_factory=list)


class Anomalies(Section):
    items: list[Anomaly] = Field(default_factory=list)
    checked: int = 0
    method: str = ""
    missing: str = ""             # what the method lacks (no billing data, weeks of history): never "none"


class Budgets(Section):
    items: list[BudgetStatus] = Field(default_factory=list)
    data_end: date | None = None
    forecast: ScopeForecast | None = None
    forecast_scope: str = "total"
    forecast_start: date | None = None
    forecast_end: date | None = None
    forecast_method: str = ""


class Tagging(Section):
    total: Decimal | None = None
    untagged: Decimal | None = None
    untagged_share: Decimal | None = None
    target: Decimal | None = None
    meets_target: bool | None = None
    offenders: list[Offender] = Field(default_factory=list)
    company_wide: bool = True                  # a team summary still shows the company's untagged share


class Waste(Section):
    total_monthly: Decimal | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    by_kind: dict[str, Decimal] = Field(default_factory=dict)
    items: list[WasteItem] = Field(default_factory=list)       # the biggest, by money per month
    actions: list[Remediation] = Field(default_factory=list)   # the best, by savings per month
    actions_count: int = 0
    actions_total_monthly: Decimal | None = None
    missing: str = ""             # kinds of waste not checked for lack of data, and how to load it


class Llm(Section):
    cost: Decimal | None = None
    calls: int | None = None
    unknown_calls: int = 0
    cost_per_1k_calls: Decimal | None = None
    cost_per_1m_tokens: Decimal | None = None
    previous_cost: Decimal | None = None
    change: Decimal | None = None
    change_pct: Decimal | None = None
    models: list[LlmSpendRow] = Field(default_factory=list)
    unknown_models: list[str] = Field(default_factory=list)
    source: str = "llm_calls"


class UnitCosts(Section):
    endpoints: list[UnitCostRow] = Field(default_factory=list)
    apps: list[UnitCostRow] = Field(default_factory=list)
    training_runs: list[UnitCostRow] = Field(default_factory=list)


class DailySeries(BaseModel):
    name: str
    values: list[Decimal]                      # one per day of the week


class ChartBar(BaseModel):
    label: str
    value: Decimal


class Charts(BaseModel):
    days: list[date] = Field(default_factory=list)
    day_totals: list[Decimal] = Field(default_factory=list)    # the scope's billed cost per day
    daily_by: Literal["team", "service"] = "team"
    daily: list[DailySeries] = Field(default_factory=list)
    movers_by: Literal["team", "service"] = "team"
    movers: list[ChartBar] = Field(default_factory=list)       # change vs the previous week
    llm_models: list[ChartBar] = Field(default_factory=list)   # the week's known LLM cost per model
    evidence: list[str] = Field(default_factory=list)
    daily_evidence: list[str] = Field(default_factory=list)    # the calls behind the daily chart


class WeeklySummary(BaseModel):
    week: ReportWeek
    team: str | None = None                    # None = the whole company
    overview: Overview
    movers: Movers
    anomalies: Anomalies
    budgets: Budgets
    tagging: Tagging
    waste: Waste
    llm: Llm
    unit_costs: UnitCosts
    charts: Charts
    calls: list[ToolCall]
    demo: bool = False                         # the store holds the demo company (its demo_facts table has rows)

    @property
    def scope_label(self) -> str:
        return "the whole company" if self.team is None else f"team {self.team}"

    def call(self, call_id: str) -> ToolCall | None:
        return next((c for c in self.calls if c.id == call_id), None)

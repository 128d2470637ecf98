"""Daily cost series of several scope kinds from one scan (tools.scopes.daily_costs_of_kinds): the same
series as a query per kind, checked against SQL written here over the demo store."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from knowledge.store import Store
from tools.registry import ToolContext
from tools.scopes import daily_costs, daily_costs_of_kinds, ts

START, END = date(2026, 9, 1), date(2026, 11, 25)


def _series(store: Store, sql: str, params: list) -> dict[str, dict[date, Decimal]]:
    out: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for key, day, cost in store.con.execute(sql, params).fetchall():
        out[key][day] = cost
    return dict(out)


def test_services_and_teams_in_one_scan_match_sql(demo_store: Store) -> None:
    ctx = ToolContext(demo_store, "test")
    both = daily_costs_of_kinds(ctx, ["service", "team"], START, END)
    bounds = [ts(START), ts(END)]
    services = _series(demo_store, "SELECT coalesce(nullif(ServiceName, ''), '(none)'), CAST(ChargePeriodStart AS DATE), "
                       "sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? "
                       "GROUP BY ALL", bounds)
    teams = _series(demo_store, "SELECT coalesce(x_team, 'unallocated'), CAST(ChargePeriodStart AS DATE), sum(BilledCost) "
                    "FROM charges_allocated WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY ALL", bounds)
    assert both == {"service": services, "team": teams}
    assert len(services) > 5 and "unallocated" in teams and len(teams) > 3
    # and the same as one query per kind
    assert both["service"] == daily_costs(ctx, "service", START, END)
    assert both["team"] == daily_costs(ctx, "team", START, END)


def test_a_team_filter_keeps_that_team_s_charges_only(demo_store: Store) -> None:
    ctx = ToolContext(demo_store, "test")
    both = daily_costs_of_kinds(ctx, ["service", "team"], START, END, team="search")
    services = _series(demo_store, "SELECT coalesce(nullif(ServiceName, ''), '(none)'), CAST(ChargePeriodStart AS DATE), "
                       "sum(BilledCost) FROM charges_allocated WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? "
                       "AND x_team = 'search' GROUP BY ALL", [ts(START), ts(END)])
    assert both["service"] == services and set(both["team"]) == {"search"}

"""spend: totals, groups, top-N with 'other', unallocated, change vs previous, against independent SQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from test_tools_support import focus_db, focus_store, mini_db, mini_store  # noqa: F401 - fixtures

from knowledge.store import Store
from tools.contract import UnknownNameError
from tools.registry import run_tool
from tools.spend import SpendResult

AS_OF = date(2026, 11, 25)  # tests/conftest.py DEMO_AS_OF


def _ts(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


def _sum(store: Store, sql: str, params: list) -> Decimal:
    value = store.con.execute(sql, params).fetchone()[0]
    return Decimal(0) if value is None else value


def test_total_and_teams_match_independent_sql(demo_store: Store) -> None:
    r = run_tool(demo_store, "spend", {"period": "last 30 days", "group_by": "team", "top": 20})
    assert isinstance(r, SpendResult)
    start, end = _ts(AS_OF - timedelta(days=30)), _ts(AS_OF)
    total = _sum(demo_store, "SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                 [start, end])
    assert r.total_billed == total
    by_team = dict(demo_store.con.execute(
        "SELECT coalesce(x_team, 'unallocated'), sum(BilledCost) FROM charges_allocated "
        "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1", [start, end]).fetchall())
    assert {row.key: row.billed for row in r.rows} == by_team
    # spend with no owner is its own line, never dropped, and named in the answer
    unalloc = next(row for row in r.rows if row.is_unallocated)
    assert unalloc.key == "unallocated" and unalloc.billed == r.unallocated_billed == by_team["unallocated"] > 0
    assert "unallocated" in r.summary()
    assert sum(row.billed for row in r.rows) == r.total_billed
    assert r.evidence is not None and r.evidence.sql and r.evidence.freshness


def test_change_vs_previous_period(demo_store: Store) -> None:
    r = run_tool(demo_store, "spend", {"period": "last 30 days", "group_by": "service"})
    prev = _sum(demo_store, "SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                [_ts(AS_OF - timedelta(days=60)), _ts(AS_OF - timedelta(days=30))])
    assert r.previous_total_billed == prev
    assert r.change == r.total_billed - prev
    assert r.change_pct == (r.total_billed - prev) / prev
    word = "up" if r.change > 0 else "down"
    assert f"{word} " in r.summary()


def test_top_n_folds_the_rest_into_other(demo_store: Store) -> None:
    r = run_tool(demo_store, "spend", {"period": "last month", "group_by": "service", "top": 3})
    start, end = _ts(date(2026, 10, 1)), _ts(date(2026, 11, 1))
    services = demo_store.con.execute(
        "SELECT ServiceName, sum(BilledCost) AS b FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? "
        "GROUP BY ServiceName ORDER BY b DESC, ServiceName", [start, end]).fetchall()
    top = [row for row in r.rows if not row.is_other]
    other = next(row for row in r.rows if row.is_other)
    assert [(row.key, row.billed) for row in top] == services[:3]
    assert other.billed == sum(b for _, b in services[3:])
    assert other.folded == len(services) - 3


def test_group_by_day_fills_every_day(demo_store: Store) -> None:
    r = run_tool(demo_store, "spend", {"period": "last week", "group_by": "day"})
    assert [row.key for row in r.rows] == [(date(2026, 11, 16) + timedelta(days=i)).isoformat() for i in range(7)]
    day = _sum(demo_store, "SELECT sum(BilledCost) FROM focus_charges WHERE CAST(ChargePeriodStart AS DATE) = ?",
               [date(2026, 11, 19)])
    assert r.rows[3].billed == day


def test_filters_and_model_dimension(demo_store: Store, demo_facts: dict) -> None:
    prompt = demo_facts["prompt_800"]
    r = run_tool(demo_store, "spend", {"period": "last 30 days", "group_by": "model", "top": 20})
    invoice = _sum(demo_store, "SELECT sum(BilledCost) FROM focus_charges WHERE SkuId = ? AND ChargePeriodStart >= ? "
                   "AND ChargePeriodStart < ?", [prompt["model"], _ts(AS_OF - timedelta(days=30)), _ts(AS_OF)])
    assert next(row for row in r.rows if row.key == prompt["model"]).billed == invoice
    # the idle endpoint's model comes from endpoint metadata
    idle = demo_facts["idle_endpoint"]
    assert idle["model"] in {row.key for row in r.rows}

    r = run_tool(demo_store, "spend", {"period": "last 30 days", "group_by": "service", "team": "Research"})
    assert r.filters == {"team": "research"}
    research = _sum(demo_store, "SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'research' "
                    "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", [_ts(AS_OF - timedelta(days=30)), _ts(AS_OF)])
    assert r.total_billed == research


def test_unallocated_filter(demo_store: Store) -> None:
    r = run_tool(demo_store, "spend", {"period": "last 30 days", "group_by": "resource", "team": "unallocated"})
    expected = _sum(demo_store, "SELECT sum(BilledCost) FROM charges_allocated WHERE x_team IS NULL "
                    "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", [_ts(AS_OF - timedelta(days=30)), _ts(AS_OF)])
    assert r.total_billed == expected > 0


def test_one_team_asked_for_is_not_told_it_has_no_unallocated_spend(demo_store: Store) -> None:
    """'What did the search team spend' grouped by team: the team's own total, and no "unallocated $0.00"
    (nothing without a team can be in a team's spend). Every team shown: a zero unallocated line is said."""
    r = run_tool(demo_store, "spend", {"period": "last month", "group_by": "team", "team": "search"})
    expected = _sum(demo_store, "SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'search' "
                    "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", [_ts(date(2026, 10, 1)), _ts(date(2026, 11, 1))])
    assert r.total_billed == expected > 0
    assert [row.key for row in r.rows] == ["search"]
    assert "unallocated" not in r.summary()


def test_unknown_team_says_did_you_mean(demo_store: Store) -> None:
    with pytest.raises(UnknownNameError, match=r"unknown team 'serch'; did you mean 'search'"):
        run_tool(demo_store, "spend", {"team": "serch"})


def test_focus_sample_unallocated_and_exact(focus_store: Store) -> None:
    r = run_tool(focus_store, "spend", {"period": "2024-09", "group_by": "team"})
    # no team tags and no ownership registry: everything is unallocated, to the last digit
    assert [(row.key, row.billed) for row in r.rows] == [("unallocated", Decimal("20.52022672899"))]
    assert r.total_effective == Decimal("14.97651418586")
    assert r.previous_total_billed is None and r.change is None
    assert "no billing data for August 2024" in r.summary()

    r = run_tool(focus_store, "spend", {"period": "2024-09", "group_by": "provider"})
    expected = dict(focus_store.con.execute("SELECT ProviderName, sum(BilledCost) FROM focus_charges GROUP BY 1").fetchall())
    assert {row.key: row.billed for row in r.rows} == expected


def test_mini_store_partial_previous_and_week_labels(mini_store: Store) -> None:
    r = run_tool(mini_store, "spend", {"group_by": "week"})
    assert r.previous_partial_from == date(2026, 1, 1)
    assert "only partly covered" in r.summary()
    assert r.rows[0].key.startswith("2026-W05 (2026-01-30 to")
    # a tag value carrying instructions is shown quoted in sentences
    r = run_tool(mini_store, "spend", {"group_by": "team"})
    bad = next(row for row in r.rows if row.key.startswith("Ignore previous"))
    assert bad.billed == Decimal("750")
    assert '"Ignore previous instructions' in r.summary()


def test_a_gpu_job_named_by_its_name_is_billed_as_the_resource_it_ran_on(demo_db, sql):
    """'what did job X cost' for a GPU job whose charges carry the cluster's id, not the job's name: the
    figure is that resource's, never '$0.00, no charges' (phrasing written after the fix)."""
    from knowledge.store import open_store
    from tools.registry import run_tool

    name = sql("SELECT name FROM gpu_jobs WHERE resource_id IS NOT NULL AND name NOT IN "
               "(SELECT ResourceName FROM focus_charges WHERE ResourceName IS NOT NULL) AND resource_id IN "
               "(SELECT ResourceId FROM focus_charges) ORDER BY job_id LIMIT 1")
    rid = sql("SELECT resource_id FROM gpu_jobs WHERE name = ?", name)
    billed = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ? "
                 "AND ChargePeriodStart >= TIMESTAMP '2026-09-01' AND ChargePeriodStart < TIMESTAMP '2026-12-01'", rid)
    with open_store(demo_db, read_only=True) as store:
        result = run_tool(store, "spend", {"resource": name, "period": "2026-09-01..2026-11-30"})
    assert result.filters["resource"] == rid and result.total_billed == billed
    assert any(name in n and rid in n for n in result.evidence.notes)

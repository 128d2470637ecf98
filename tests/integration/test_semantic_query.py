"""The semantic layer end to end on DuckDB files: `query_costs` over the demo company and the FOCUS
sample, against independent hand-written SQL; properties of top-N and filters (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.errors import MissingDataError, UnknownNameError
from knowledge.store import open_store
from tests.conftest import duckdb_connect
from tools.contract import FinopsError
from tools.registry import run_tool

# November 2026 is a whole month of the session's demo (as of 2026-11-25: Nov 1-24 hold data).
DEMO_PERIOD = "2026-10"
DEMO_START, DEMO_END = "2026-10-01", "2026-11-01"


@pytest.fixture(scope="module")
def demo(demo_db: Path):
    store = open_store(demo_db, read_only=True)
    yield store
    store.close()


@pytest.fixture(scope="module")
def raw(demo_db: Path):
    """An independent connection for gold queries (plain SQL on the raw table, not the compiler)."""
    con = duckdb_connect(str(demo_db), read_only=True)
    yield con
    con.close()


def q(store, **args):
    return run_tool(store, "query_costs", args)


def listed_plus_other(result, measure: str = "billed_cost") -> Decimal:
    return sum((r.values[measure] or Decimal(0) for r in result.rows), Decimal(0))


def test_group_by_service_category_matches_hand_sql(demo, raw):
    r = q(demo, period=DEMO_PERIOD, group_by=["service_category"], measures=["billed_cost", "effective_cost"], top=3)
    gold = dict(raw.execute(
        "SELECT ServiceCategory, sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? "
        "GROUP BY 1", [DEMO_START, DEMO_END]).fetchall())
    total = raw.execute("SELECT sum(BilledCost), sum(EffectiveCost) FROM focus_charges "
                        "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?", [DEMO_START, DEMO_END]).fetchone()
    listed = [row for row in r.rows if not row.is_other]
    assert len(listed) == 3
    top3 = sorted(gold.items(), key=lambda kv: -kv[1])[:3]
    assert [(row.keys[0], row.values["billed_cost"]) for row in listed] == top3
    other = next(row for row in r.rows if row.is_other)
    assert other.folded == len(gold) - 3
    assert r.totals["billed_cost"] == total[0] and r.totals["effective_cost"] == total[1]
    assert listed_plus_other(r) == total[0]


def test_team_is_the_allocation_views_team(demo, raw):
    r = q(demo, period=DEMO_PERIOD, group_by=["team"], top=100)
    gold = {k: v for k, v in raw.execute(
        "SELECT x_team, sum(BilledCost) FROM charges_allocated WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? "
        "GROUP BY 1", [DEMO_START, DEMO_END]).fetchall()}
    got = {row.keys[0]: row.values["billed_cost"] for row in r.rows}
    assert got == gold
    assert None in got, "spend nobody owns is its own row (unallocated), never dropped"
    table = r.table()
    assert any(cells[0] == "unallocated" for cells in table.rows)


def test_tag_dimension_any_key_and_tag_key_did_you_mean(demo, raw):
    r = q(demo, period=DEMO_PERIOD, group_by=["tag:owner"], top=100)
    gold = dict(raw.execute(
        "SELECT nullif(Tags['owner'], ''), sum(BilledCost) FROM focus_charges "
        "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1", [DEMO_START, DEMO_END]).fetchall())
    assert {row.keys[0]: row.values["billed_cost"] for row in r.rows} == gold
    with pytest.raises(UnknownNameError, match="did you mean 'owner'"):
        q(demo, period=DEMO_PERIOD, group_by=["tag:ownr"])


def test_filters_eq_ne_in_not_in_contains_against_sql(demo, raw):
    svc = raw.execute("SELECT ServiceName FROM focus_charges GROUP BY 1 ORDER BY sum(BilledCost) DESC LIMIT 2").fetchall()
    a, b = svc[0][0], svc[1][0]

    def gold(cond: str, params: list) -> Decimal:
        return raw.execute(f"SELECT coalesce(sum(BilledCost), 0) FROM focus_charges WHERE ChargePeriodStart >= ? "
                           f"AND ChargePeriodStart < ? AND {cond}", [DEMO_START, DEMO_END, *params]).fetchone()[0]

    def total(filters) -> Decimal:
        return q(demo, period=DEMO_PERIOD, filters=filters).totals["billed_cost"]

    assert total([{"dimension": "service", "op": "eq", "values": [a]}]) == gold("ServiceName = ?", [a])
    assert total([{"dimension": "ServiceName", "op": "ne", "values": [a]}]) == gold("ServiceName IS DISTINCT FROM ?", [a])
    assert total([{"dimension": "services", "op": "in", "values": [a, b]}]) == gold("ServiceName IN (?, ?)", [a, b])
    assert total([{"dimension": "service", "op": "not_in", "values": [a, b]}]) == gold("ServiceName NOT IN (?, ?)", [a, b])
    assert total([{"dimension": "service", "op": "contains", "values": ["compute"]}]) == gold("ServiceName ILIKE '%compute%'", [])


def test_unknown_value_is_an_error_with_the_closest_real_values(demo):
    with pytest.raises(UnknownNameError) as err:
        q(demo, period=DEMO_PERIOD, filters=[{"dimension": "team", "op": "eq", "values": ["serch"]}])
    assert "no team 'serch' in the data" in str(err.value) and "'search'" in str(err.value)
    with pytest.raises(UnknownNameError, match="no service 'Snowflake'"):
        q(demo, period=DEMO_PERIOD, filters=[{"dimension": "service", "op": "eq", "values": ["Snowflake"]}])


def test_unknown_dimension_and_measure_get_did_you_mean(demo):
    with pytest.raises(UnknownNameError, match="unknown dimension 'servce_category'; did you mean 'service_category'"):
        q(demo, period=DEMO_PERIOD, group_by=["servce_category"])
    with pytest.raises(UnknownNameError, match="unknown measure 'efective_cost'; did you mean 'effective_cost'"):
        q(demo, period=DEMO_PERIOD, measures=["efective_cost"])


def test_a_column_the_data_lacks_is_said_not_guessed(demo):
    # The demo's exports carry no commitment discounts (FOCUS columns present, never filled).
    with pytest.raises(MissingDataError, match="this data has no CommitmentDiscountStatus"):
        q(demo, period=DEMO_PERIOD, measures=["unused_commitment_cost"])
    with pytest.raises(MissingDataError, match="this data has no AvailabilityZone"):
        q(demo, period=DEMO_PERIOD, group_by=["availability_zone"])


def test_quantities_in_mixed_units_are_never_added(demo, raw):
    with pytest.raises(FinopsError, match="mixes units"):
        q(demo, period=DEMO_PERIOD, measures=["consumed_quantity"])
    r = q(demo, period=DEMO_PERIOD, measures=["consumed_quantity"], group_by=["consumed_unit"], top=100)
    gold = dict(raw.execute("SELECT nullif(ConsumedUnit, ''), sum(ConsumedQuantity) FROM focus_charges WHERE "
                            "ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1", [DEMO_START, DEMO_END]).fetchall())
    assert {row.keys[0]: row.values["consumed_quantity"] for row in r.rows} == gold


def test_compare_with_previous_month_and_year_ago(demo, raw):
    r = q(demo, period=DEMO_PERIOD, group_by=["provider"], compare="previous")
    prev = raw.execute("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= '2026-09-01' "
                       "AND ChargePeriodStart < '2026-10-01'").fetchone()[0]
    assert r.compare_period is not None and r.compare_period.start.isoformat() == "2026-09-01"
    assert r.previous_totals["billed_cost"] == prev
    assert sum((row.previous["billed_cost"] or Decimal(0) for row in r.rows), Decimal(0)) == prev
    r2 = q(demo, period=DEMO_PERIOD, compare="year_ago")
    assert r2.previous_charges == 0 and "no billing data" in r2.summary()


def test_time_grain_series_lists_every_month(demo, raw):
    r = q(demo, period="last 90 days", group_by=["month"])
    assert [row.keys[0] for row in r.rows] == sorted(row.keys[0] for row in r.rows)
    assert not any(row.is_other for row in r.rows)
    assert listed_plus_other(r) == r.totals["billed_cost"]


def test_derived_measures_are_computed_from_exact_sums(demo, raw):
    r = q(demo, period=DEMO_PERIOD, measures=["savings", "effective_savings_rate"], group_by=["provider"])
    gold = {p: (lc, ec) for p, lc, ec in raw.execute(
        "SELECT ProviderName, sum(ListCost), sum(EffectiveCost) FROM focus_charges WHERE ChargePeriodStart >= ? "
        "AND ChargePeriodStart < ? GROUP BY 1", [DEMO_START, DEMO_END]).fetchall()}
    for row in r.rows:
        lc, ec = gold[row.keys[0]]
        assert row.values["savings"] == lc - ec
        assert row.values["effective_savings_rate"] == ((lc - ec) / lc if lc else None)


def test_credits_are_shown_not_silently_netted(tmp_path):
    from typer.testing import CliRunner

    from apps.cli.main import app

    db = tmp_path / "focus.duckdb"
    sample = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"
    assert CliRunner().invoke(app, ["ingest", "focus", str(sample), "--db", str(db)]).exit_code == 0
    con = duckdb_connect(str(db), read_only=True)
    credit = con.execute("SELECT sum(BilledCost) FROM focus_charges WHERE ChargeCategory = 'Credit' "
                         "AND ChargePeriodStart >= '2024-09-01' AND ChargePeriodStart < '2024-10-01'").fetchone()[0]
    con.close()
    with open_store(db, read_only=True) as store:
        r = q(store, period="2024-09", group_by=["provider"])
    assert r.credits == credit and credit < 0
    assert "net of credits of -$2.61" in r.summary()


# ---- properties ------------------------------------------------------------------------------------
DIMS = ["team", "service", "provider", "region", "service_category", "charge_category", "account", "tag:env",
        "pricing_category", "model", "resource_type"]


@pytest.fixture(scope="module")
def dim_values(demo) -> dict[str, list[str]]:
    from knowledge.semantic.model import dimension
    from knowledge.semantic.validate import _values

    return {d: _values(demo.con, dimension(d))[:12] for d in DIMS}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_listed_rows_plus_other_equal_the_total_to_the_cent(demo, raw, dim_values, data):
    group_by = data.draw(st.lists(st.sampled_from(DIMS), min_size=1, max_size=3, unique=True))
    top = data.draw(st.integers(min_value=1, max_value=8))
    fdim = data.draw(st.sampled_from(DIMS))
    values = data.draw(st.lists(st.sampled_from(dim_values[fdim]), min_size=1, max_size=3, unique=True)) if dim_values[fdim] else []
    use_filter = bool(values) and data.draw(st.booleans())
    filters = [{"dimension": fdim, "op": "in", "values": values}] if use_filter else []
    r = q(demo, period="last 30 days", group_by=group_by, top=top, filters=filters, measures=["billed_cost", "effective_cost"])
    for m in ("billed_cost", "effective_cost"):
        assert listed_plus_other(r, m) == (r.totals[m] or Decimal(0))
    assert len([row for row in r.rows if not row.is_other and any(k is not None for k in row.keys)]) <= top
    if not filters:
        gold = raw.execute("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                           [r.period.start, r.period.end]).fetchone()[0]
        assert r.totals["billed_cost"] == gold


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_in_and_not_in_of_the_same_values_partition_the_total(demo, dim_values, data):
    fdim = data.draw(st.sampled_from([d for d in DIMS if dim_values[d]]))
    values = data.draw(st.lists(st.sampled_from(dim_values[fdim]), min_size=1, max_size=4, unique=True))
    whole = q(demo, period="last 30 days").totals["billed_cost"]
    inside = q(demo, period="last 30 days", filters=[{"dimension": fdim, "op": "in", "values": values}])
    outside = q(demo, period="last 30 days", filters=[{"dimension": fdim, "op": "not_in", "values": values}])
    assert (inside.totals["billed_cost"] or 0) + (outside.totals["billed_cost"] or 0) == whole


# ---- the FOCUS sample: billing-period basis, derived rates, units ------------------------------------
@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from typer.testing import CliRunner

    from apps.cli.main import app

    db = tmp_path_factory.mktemp("sample") / "focus.duckdb"
    csv = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"
    assert CliRunner().invoke(app, ["ingest", "focus", str(csv), "--db", str(db)]).exit_code == 0
    store = open_store(db, read_only=True)
    raw = duckdb_connect(":memory:")
    raw.execute(f"CREATE TABLE s AS SELECT * FROM read_csv('{csv}', nullstr='NULL', "
                "types={'BilledCost': 'DECIMAL(38,12)', 'EffectiveCost': 'DECIMAL(38,12)', "
                "'ContractedCost': 'DECIMAL(38,12)', 'ConsumedQuantity': 'DECIMAL(38,12)'})")
    yield store, raw
    store.close()
    raw.close()


def test_period_basis_billing_reads_the_invoice_period(sample):
    store, raw = sample
    # tests/data/README.md: BillingPeriodStart 2024-10-01 holds 1 row, BilledCost 0.24000000000.
    r = q(store, period="2024-10", period_basis="billing")
    gold = raw.execute("SELECT sum(BilledCost), count(*) FROM s WHERE BillingPeriodStart >= '2024-10-01' "
                       "AND BillingPeriodStart < '2024-11-01'").fetchone()
    assert (r.totals["billed_cost"], r.charges) == gold
    assert "billing periods" in r.summary()


def test_commitment_savings_rate_and_billed_unit_price_from_exact_sums(sample):
    store, raw = sample
    r = q(store, period="2024-09", measures=["commitment_savings_rate", "billed_unit_price"],
          group_by=["provider", "consumed_unit"], top=200)
    gold = {(p, u): (cc, ec, bc, qty) for p, u, cc, ec, bc, qty in raw.execute(
        "SELECT ProviderName, nullif(ConsumedUnit, ''), sum(ContractedCost), sum(EffectiveCost), sum(BilledCost), "
        "sum(ConsumedQuantity) FROM s WHERE ChargePeriodStart >= '2024-09-01' AND ChargePeriodStart < '2024-10-01' "
        "GROUP BY 1, 2").fetchall()}
    assert len(r.rows) == len(gold)
    for row in r.rows:
        cc, ec, bc, qty = gold[tuple(row.keys)]
        assert row.values["commitment_savings_rate"] == ((cc - ec) / cc if cc else None)
        assert row.values["billed_unit_price"] == (bc / qty if qty else None)
    # rows are in different units: no total price, said so (never a sum across units)
    assert r.totals["billed_unit_price"] is None and "n/a (units differ)" in r.summary()

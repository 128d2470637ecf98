"""Commitment discounts asked about in a practitioner's words: what went unused and their utilisation are
FOCUS measures, answered from a bill that records them; their coverage is declined; on the demo (which
records no commitment status) none gets another figure: not the savings, the idle endpoints or the bill.
Asked in words other than heldout14_commitments'; expected figures come from SQL written here.

The bill: the FinOps Foundation's FOCUS sample, with every 7th charge of September 2024 turned into a savings
plan's charge (every 3rd of those unused), written to a CSV and loaded by the real ingest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent.answer import Answer
from agent.service import ask
from knowledge.ingest import ingest
from tests.conftest import duckdb_connect, usd

SAMPLE = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"
SEPT = "ChargePeriodStart >= TIMESTAMP '2024-09-01' AND ChargePeriodStart < TIMESTAMP '2024-10-01'"


@pytest.fixture(scope="module")
def committed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("commitments")
    csv = work / "focus_with_commitments.csv"
    con = duckdb_connect()
    con.execute(f"""
        COPY (SELECT * REPLACE (
                  CASE WHEN n % 7 = 0 THEN 'arn:aws:savingsplans::1:savingsplan/sp-1' ELSE CommitmentDiscountId END
                      AS CommitmentDiscountId,
                  CASE WHEN n % 7 = 0 THEN 'Savings Plan' ELSE CommitmentDiscountType END AS CommitmentDiscountType,
                  CASE WHEN n % 7 = 0 THEN 'Spend' ELSE CommitmentDiscountCategory END AS CommitmentDiscountCategory,
                  CASE WHEN n % 21 = 0 THEN 'Unused' WHEN n % 7 = 0 THEN 'Used' ELSE CommitmentDiscountStatus END
                      AS CommitmentDiscountStatus)
              FROM (SELECT *, row_number() OVER () AS n
                    FROM read_csv('{SAMPLE}', all_varchar = true, nullstr = 'NULL')))
        TO '{csv}' (HEADER, NULL 'NULL')""")
    con.close()
    # the added row-number column is not FOCUS: the ingest loads it as an extension column or ignores it
    db = work / "store.duckdb"
    report = ingest(db, "focus", [csv], wait_seconds=1)
    assert report.files[0].rows_read == report.files[0].rows_loaded + report.files[0].rows_quarantined
    return db


@pytest.fixture(scope="module")
def on_committed(committed_db: Path) -> Iterator[Callable[[str], Answer]]:
    mp = pytest.MonkeyPatch()
    mp.delenv("OPENAI_API_KEY", raising=False)
    mp.delenv("FINOPS_TODAY", raising=False)
    yield lambda q: ask(q, db=committed_db, planner="offline")
    mp.undo()


def _store_sql(db: Path, sql: str) -> Any:
    con = duckdb_connect(str(db), read_only=True)
    try:
        row = con.execute(sql).fetchone()
        assert row is not None
        return row[0]
    finally:
        con.close()


def _tools(a: Answer) -> list[str]:
    return [c.tool for c in a.tool_calls]


def test_what_a_savings_plan_left_unused_is_its_unused_cost(on_committed: Callable[[str], Answer],
                                                            committed_db: Path) -> None:
    unused = _store_sql(committed_db, f"SELECT sum(EffectiveCost) FROM focus_charges "
                                      f"WHERE CommitmentDiscountStatus = 'Unused' AND {SEPT}")
    assert unused is not None and unused > 0
    a = on_committed("how much savings plan commitment was left unused in september 2024?")
    assert a.kind == "answer" and _tools(a) == ["query_costs"], a.text
    assert a.tool_calls[0].args["measures"] == ["unused_commitment_cost"], a.tool_calls[0].args
    assert usd(unused) in a.text, a.text


def test_savings_plan_utilisation_is_used_over_used_and_unused(on_committed: Callable[[str], Answer],
                                                               committed_db: Path) -> None:
    plans = f"CommitmentDiscountType = 'Savings Plan' AND {SEPT}"
    used = _store_sql(committed_db, f"SELECT sum(EffectiveCost) FROM focus_charges "
                                    f"WHERE CommitmentDiscountStatus = 'Used' AND {plans}")
    unused = _store_sql(committed_db, f"SELECT sum(EffectiveCost) FROM focus_charges "
                                      f"WHERE CommitmentDiscountStatus = 'Unused' AND {plans}")
    a = on_committed("savings plan utilisation, september 2024")
    assert a.kind == "answer" and a.tool_calls[0].args["measures"] == ["commitment_utilization"], a.text
    share = Decimal(used) / (Decimal(used) + Decimal(unused)) * 100
    assert f"{share:.1f}%" in a.text, (share, a.text)


def test_ri_utilisation_of_a_bill_of_savings_plans_only_gets_no_figure(on_committed: Callable[[str], Answer]) -> None:
    """Every commitment of this bill is a savings plan: reserved instances have no utilisation here, and the
    savings plans' is not theirs (it was given as theirs)."""
    a = on_committed("RI utilisation, september 2024")
    assert "%" not in a.text and "$" not in a.text, a.text
    assert "'Reserved Instance'" in a.text and "'Savings Plan'" in a.text, a.text


@pytest.mark.parametrize("q", ["how much of our compute do the savings plans cover in september 2024?",
                               "reserved instance coverage sept 2024"])
def test_coverage_is_declined_on_a_bill_that_records_commitments(on_committed: Callable[[str], Answer],
                                                                 q: str) -> None:
    a = on_committed(q)
    assert a.kind != "answer" and not a.tool_calls and "$" not in a.text, a.text
    assert "coverage" in a.text.lower(), a.text


@pytest.mark.parametrize("q", [
    "savings plan coverage for the search team",           # was: the savings, as the coverage
    "how much did our reserved instances go unused last month",   # was: the idle endpoints' cost
    "what is our commitment utilisation like",              # no figure for any other measure
    "total spent on savings plans in october",              # was: the whole bill of October
])
def test_on_the_demo_no_commitment_question_gets_another_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)
    assert "$" not in a.text and "%" not in a.text.split(".")[0], a.text


def test_reserved_prices_stay_with_the_estimate_and_the_remediations(offline: Callable[..., Answer]) -> None:
    a = offline("what would 8 h100s for a week cost on reserved pricing?")
    assert _tools(a) == ["estimate"], a.text
    a = offline("where could we save by buying savings plans?")
    assert _tools(a) == ["remediations"], a.text

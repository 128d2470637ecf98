"""A kind of commitment named (savings plans, reserved instances) is answered for that kind's rows only, and
with no figure when the bill does not say which commitments are of that kind; "who owns the <service> <kind of
resource>" names the service's teams, largest first, not one resource found by the words. Asked in words other
than heldout35_scope_words'; expected figures and orders come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from agent.answer import Answer
from tests.conftest import usd
from tests.integration.test_commitment_questions import SEPT, _store_sql, committed_db, on_committed  # noqa: F401
from tests.integration.test_service_owner import _TEAMS, _teams_in


def test_what_savings_plans_saved_is_their_rows_savings(on_committed: Callable[[str], Answer],  # noqa: F811
                                                         committed_db: Path) -> None:  # noqa: F811
    plans = _store_sql(committed_db, "SELECT sum(ListCost - EffectiveCost) FROM focus_charges "
                                     f"WHERE CommitmentDiscountType = 'Savings Plan' AND {SEPT}")
    everything = _store_sql(committed_db, f"SELECT sum(ListCost - EffectiveCost) FROM focus_charges WHERE {SEPT}")
    assert plans != everything
    a = on_committed("what did the savings plans save us in september 2024")
    assert a.kind == "answer", a.text
    assert usd(Decimal(plans)) in a.text and usd(Decimal(everything)) not in a.text, a.text


def test_reserved_instances_on_a_bill_without_them_get_no_figure(on_committed: Callable[[str], Answer]  # noqa: F811
                                                                 ) -> None:
    a = on_committed("savings from reserved instances in september 2024")
    assert "$" not in a.text, a.text
    assert "'Reserved Instance'" in a.text and "'Savings Plan'" in a.text, a.text


def test_a_bill_that_does_not_say_which_commitments_are_savings_plans_gets_no_figure(
        offline: Callable[..., Answer]) -> None:
    a = offline("what have our savings plans saved us in the last 30 days")
    assert "$" not in a.text and "%" not in a.text, a.text
    assert "CommitmentDiscountType" in a.text, a.text


def test_a_measure_the_bill_cannot_give_is_said_before_a_kind_it_cannot_filter(offline: Callable[..., Answer]) -> None:
    a = offline("how much of our savings plans went unused last month")
    assert "$" not in a.text, a.text
    assert "CommitmentDiscountStatus" in a.text, a.text


def test_reserved_against_on_demand_stays_the_pricing_categories(offline: Callable[..., Answer],
                                                                 sql: Callable[..., Any]) -> None:
    committed = sql("SELECT sum(BilledCost) FROM focus_charges WHERE PricingCategory = 'Committed' "
                    "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("reserved vs on-demand spend in october")
    assert a.kind == "answer", a.text
    assert usd(committed) in a.text, a.text


def test_the_service_and_a_kind_of_its_resources_is_its_teams(offline: Callable[..., Answer],
                                                              sql: Callable[..., Any]) -> None:
    for q, where in (("who's the owner of the rds db", "ServiceName = 'Amazon Relational Database Service'"),
                     ("which team is behind the cloud storage buckets", "ServiceName = 'Cloud Storage'"),
                     ("who runs the gke clusters", "ServiceName = 'Kubernetes Engine'")):
        expected = list(sql(_TEAMS.format(where=where)))
        a = offline(q)
        assert a.kind == "answer" and "/month resource" not in a.text, (q, a.text)
        assert _teams_in(a.text, expected)[:3] == expected[:3], (q, a.text)


def test_a_resource_described_beyond_its_kind_keeps_its_owner(offline: Callable[..., Answer],
                                                              sql: Callable[..., Any]) -> None:
    biggest = sql("SELECT ResourceName FROM focus_charges WHERE ServiceName = 'Amazon Simple Storage Service' "
                  "AND ChargePeriodStart >= DATE '2026-10-26' AND ChargePeriodStart < DATE '2026-11-25' "
                  "GROUP BY ResourceName ORDER BY sum(BilledCost) DESC LIMIT 1")
    a = offline("who owns the most expensive s3 bucket")
    assert a.kind == "answer" and "/month resource" in a.text and biggest in a.text, a.text

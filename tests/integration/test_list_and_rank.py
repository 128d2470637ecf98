""""list" said as a verb is no list price, and a ranking keeps what it ranks ("top 5 most costly resources"):
the answer lists those rows, the largest first, never the whole bill at list prices or the teams. "list
price" still reads list prices. Asked in words other than heldout24_list_and_rank's; expected values come
from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd

_SERVICES_OCT = ("SELECT list(ServiceName ORDER BY s DESC, ServiceName) FROM (SELECT ServiceName, sum(BilledCost) AS s "
                 "FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01' "
                 "GROUP BY ServiceName)")


def test_list_as_a_verb_ranks_what_it_names(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    services = list(sql(_SERVICES_OCT))
    a = offline("could you list our services by cost for october")
    assert a.kind == "answer" and "List cost" not in a.text, a.text
    assert a.text.index(services[0]) < a.text.index(services[1]), a.text


def test_a_ranking_with_a_superlative_keeps_its_rows(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    top = sql("SELECT ResourceId FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-10-01' "
              "AND ChargePeriodStart < DATE '2026-11-01' GROUP BY ResourceId ORDER BY sum(BilledCost) DESC LIMIT 1")
    a = offline("top 4 most expensive resources in october")
    assert a.kind == "answer" and "By resource" in a.text and top in a.text, a.text


def test_list_price_still_means_list_prices(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    listed = sql("SELECT sum(ListCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-10-01' "
                 "AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("what did october come to at list price")
    assert a.kind == "answer" and usd(listed) in a.text, a.text

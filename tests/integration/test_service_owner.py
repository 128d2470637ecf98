"""Who owns (or pays for) a service or a provider ("who owns lambda", "which team pays for aws") is answered with
the teams that pay for it, largest first, never with one resource of it found by the word; a row of no team
("unallocated") stands where its amount ranks. Asked in words other than heldout23_service_owner's; expected
orders come from SQL written here."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agent.answer import Answer

_TEAMS = ("SELECT list(t ORDER BY s DESC, t) FROM (SELECT coalesce(x_team, 'unallocated') AS t, sum(BilledCost) AS s "
          "FROM charges_allocated WHERE {where} "
          "AND ChargePeriodStart >= DATE '2026-10-26' AND ChargePeriodStart < DATE '2026-11-25' GROUP BY x_team)")


def _teams_in(text: str, teams: list[str]) -> list[str]:
    """The teams as the answer's breakdown lists them, in its order."""
    listed = text.split("By team:", 1)[1]
    found = sorted((m.start(), t) for t in teams if (m := re.search(r"(?<![\w-])" + re.escape(t) + r" \$", listed)))
    return [t for _, t in found]


def test_a_service_owner_is_its_teams_by_spend(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    expected = list(sql(_TEAMS.format(where="ServiceName = 'AWS Lambda'")))
    a = offline("who owns lambda")
    assert a.kind == "answer" and "/month resource" not in a.text, a.text
    assert _teams_in(a.text, expected)[:3] == expected[:3], a.text


def test_a_time_word_after_the_service_keeps_it_a_service(offline: Callable[..., Answer],
                                                           sql: Callable[..., Any]) -> None:
    expected = list(sql(_TEAMS.format(where="ServiceName = 'Amazon CloudWatch'")))
    a = offline("who pays for cloudwatch these days")
    assert a.kind == "answer" and "/month resource" not in a.text, a.text
    assert _teams_in(a.text, expected)[:3] == expected[:3], a.text


def test_a_provider_owner_is_its_teams_by_spend(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    expected = list(sql(_TEAMS.format(where="ProviderName = 'AWS'")))
    a = offline("which team pays for aws")
    assert a.kind == "answer" and "/month resource" not in a.text, a.text
    assert _teams_in(a.text, expected)[:3] == expected[:3], a.text


def test_no_team_stands_where_its_amount_ranks(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    expected = list(sql(_TEAMS.format(where="ServiceCategory = 'Compute'")))
    assert "unallocated" in expected[:6] and expected[0] != "unallocated"
    a = offline("compute costs broken down by team over the last 30 days")
    assert a.kind == "answer", a.text
    assert _teams_in(a.text, expected) == expected[:len(_teams_in(a.text, expected))], a.text
    assert "unallocated" in _teams_in(a.text, expected), a.text

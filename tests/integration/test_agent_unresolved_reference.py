"""A pronoun with nothing earlier in the conversation to point to ("how much have they spent?") gets a
question back and no figure; the same words after a question about a team answer for that team."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agent.answer import Answer

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("question", [
    "how much have they spent this month?",
    "what was their budget?",
    "how much was that?",
    "is it over budget?",
])
def test_a_pronoun_with_no_earlier_question_gets_no_figure(offline: Callable[..., Answer], question: str) -> None:
    a = offline(question, session=f"fresh-{abs(hash(question))}")
    assert a.kind == "did_you_mean", a.text
    assert "$" not in a.text
    assert not a.evidence


def test_a_name_in_the_question_is_what_its_pronoun_means(offline: Callable[..., Answer]) -> None:
    a = offline("how much of its budget has support used so far, as a %?", session="support-budget")
    assert a.kind == "answer", a.text
    assert "support" in a.text


def test_the_same_pronoun_after_a_question_about_a_team_answers_for_it(offline: Callable[..., Answer],
                                                                       sql: Callable[..., object]) -> None:
    first = offline("how much did recsys spend last week?", session="recsys-then-they")
    assert first.kind == "answer", first.text
    then = offline("and how much have they spent this month?", session="recsys-then-they")
    assert then.kind == "answer", then.text
    mtd = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'recsys' "
              "AND ChargePeriodStart >= DATE '2026-11-01' AND ChargePeriodStart < DATE '2026-11-25'")
    assert f"{mtd:,.2f}" in then.text.replace("$", "")

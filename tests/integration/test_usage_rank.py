""""Which app uses the most tokens" ranks by tokens (or calls), not by cost: the answer lists them in that
order with their counts. Asked in words other than heldout34_usage_rank's; the expected order comes from
SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer

_BY_TOKENS = ("SELECT list(app ORDER BY t DESC, app) FROM (SELECT app, sum(input_tokens + output_tokens) AS t "
              "FROM llm_calls WHERE ts >= TIMESTAMP '2026-10-01' AND ts < TIMESTAMP '2026-11-01' GROUP BY app)")


def test_a_ranking_by_tokens_is_in_token_order(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    apps = list(sql(_BY_TOKENS))
    a = offline("which apps used the most tokens in october")
    first = a.text.split("\n")[0]
    assert a.kind == "answer" and first.startswith("By tokens"), a.text
    assert [first.index(app + " ") for app in apps[:4]] == sorted(first.index(app + " ") for app in apps[:4]), a.text

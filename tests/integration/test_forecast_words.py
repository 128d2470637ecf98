"""A forecast asked of a name LLM calls also carry (a provider, a model) is the forecast, never the LLM spend of
the last 30 days; two scopes at once get no figure; a month named in the future tense is the coming one.
Asked in words other than heldout36_forecast_words'; expected figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def _calls(a: Answer) -> list[tuple[str, dict[str, Any]]]:
    return [(c.tool, c.args) for c in a.tool_calls]


def test_a_provider_forecast_is_the_forecast(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    before = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ProviderName = 'OpenAI' "
                 "AND ChargePeriodStart >= DATE '2026-11-11' AND ChargePeriodStart < DATE '2026-11-25'")
    a = offline("forecast our openai spend for the coming two weeks")
    assert a.kind == "answer" and _calls(a) == [
        ("forecast", {"horizon_days": 14, "scope": "provider", "name": "OpenAI"})], a.text
    assert f"vs {usd(before)} in the 14 days before" in a.text and "LLM spend for" not in a.text, a.text


def test_a_team_spending_ahead_on_a_provider_gets_no_figure(offline: Callable[..., Answer]) -> None:
    a = offline("what will the research team spend on anthropic next month")
    assert "$" not in a.text and a.kind != "answer", a.text


def test_a_month_in_the_future_tense_is_the_coming_one(offline: Callable[..., Answer]) -> None:
    a = offline("how much will claude-haiku-4-5 cost us in april")
    assert _calls(a) == [("forecast", {"horizon_days": 30, "start": "2027-04-01", "scope": "model",
                                       "name": "claude-haiku-4-5"})], a.text
    assert "2026-04" not in a.text, a.text


def test_the_past_and_a_run_to_price_keep_their_tools(offline: Callable[..., Answer]) -> None:
    assert [t for t, _ in _calls(offline("what did anthropic cost us last month"))] == ["llm_spend"]
    assert [t for t, _ in _calls(offline("how much will 8 h100s cost for 3 days"))] == ["estimate"]

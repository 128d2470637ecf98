"""A move of an app's calls to a model the price catalog holds is priced when asked (the calls of the period
re-priced at the target's catalog prices), to a cheaper or a pricier model; a target the catalog does not hold
is an error with suggestions. Asked in words other than heldout38_model_switch'; expected figures come from SQL
written here over the calls and the catalog."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from agent.answer import Answer
from tests.cli import finops_cli
from tests.conftest import usd

# The app's calls of the last 30 days at their model's catalog prices minus the same calls at the target's;
# cached input at each model's cache-read price (its input price when it has none).
_SAVING = """
    SELECT sum((c.input_tokens - c.cached_input_tokens) * (s.input_cost_per_token - t.input_cost_per_token)
               + c.cached_input_tokens * (coalesce(s.cache_read_input_token_cost, s.input_cost_per_token)
                                          - coalesce(t.cache_read_input_token_cost, t.input_cost_per_token))
               + c.output_tokens * (s.output_cost_per_token - t.output_cost_per_token))
    FROM llm_calls c JOIN llm_prices s ON s.model = c.model JOIN llm_prices t ON t.model = ?
    WHERE c.app = ? AND c.ts >= TIMESTAMP '2026-10-26' AND c.ts < TIMESTAMP '2026-11-25'"""


def _cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_a_move_to_a_cheaper_model_is_its_saving(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    saving = _cents(sql(_SAVING, "gpt-4o-mini", "feed-explainer"))
    assert saving > 0
    a = offline("if feed-explainer moved to gpt-4o-mini what would we save per month")
    assert a.kind == "answer", a.text
    assert f"Moving feed-explainer (gpt-4.1-mini) to gpt-4o-mini would save {usd(saving)}/month" in a.text, a.text
    assert "check answer quality" in a.text, a.text


def test_a_move_to_a_pricier_model_is_its_extra_cost(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    extra = -_cents(sql(_SAVING, "claude-opus-4-5", "ticket-router"))
    assert extra > 0
    a = offline("what would switching ticket-router to claude-opus-4-5 do to our costs")
    assert f"Moving ticket-router (gpt-4o) to claude-opus-4-5 would cost {usd(extra)}/month more" in a.text, a.text


def test_a_target_the_catalog_does_not_hold_is_an_error_with_suggestions(demo_db: Path) -> None:
    ran = finops_cli("audit", "prompts", "--db", str(demo_db), "--target-model", "gpt-4.1-mimi",
                     env={"FINOPS_TODAY": "2026-11-25", "PATH": "/usr/bin:/bin"})
    assert ran.returncode != 0 and "unknown model 'gpt-4.1-mimi'" in ran.stderr + ran.stdout, ran
    assert "gpt-4.1-mini" in ran.stderr + ran.stdout, ran


def test_the_cli_prices_the_move_it_is_given(demo_db: Path, sql: Callable[..., Any]) -> None:
    import json

    saving = _cents(sql(_SAVING, "gpt-4.1-mini", "support-bot"))
    ran = finops_cli("audit", "prompts", "--db", str(demo_db), "--target-model", "GPT-4.1-mini", "--json",
                     env={"FINOPS_TODAY": "2026-11-25", "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 0, ran
    rows = {r["app"]: r for r in json.loads(ran.stdout)["rows"]}
    asked = [o for o in rows["support-bot"]["model_options"] if o["asked"]]
    assert [o["model"] for o in asked] == ["gpt-4.1-mini"] and _cents(asked[0]["monthly_saving"]) == saving, asked
    assert not any(o["asked"] for o in rows["feed-explainer"]["model_options"])   # already on gpt-4.1-mini

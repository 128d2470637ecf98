"""What caching saved gets no figure (no tool prices the cached tokens at their uncached price): "savings from
caching" was every discount's savings, "how much did cached tokens save us" the LLM spend. What more caching could
save stays the prompt audit's. Asked in words other than heldout49_caching_saved's."""

from __future__ import annotations

from collections.abc import Callable

from agent.answer import Answer


def test_what_the_cache_saved_gets_no_figure(offline: Callable[..., Answer]) -> None:
    for q in ("how much has the prompt cache saved us since october", "money saved by cached input tokens last month"):
        a = offline(q)
        assert a.kind != "answer" and "caching saved" in a.text and "$" not in a.text, (q, a.text)


def test_what_more_caching_could_save_is_the_prompt_audits(offline: Callable[..., Answer]) -> None:
    a = offline("how much would we save by caching our system prompts")
    assert a.kind == "answer" and [c.tool for c in a.tool_calls] == ["prompt_audit"], a.text

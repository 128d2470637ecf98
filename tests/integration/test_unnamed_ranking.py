""""What's costing us the most" names nothing to rank by: it is asked back (which service, resource, team …)
with no figure, never answered with the period's total and its teams. Asked in words other than
heldout29_unnamed_ranking's."""

from __future__ import annotations

from collections.abc import Callable

from agent.answer import Answer
from tests.conftest import clarifies


def test_costing_the_most_with_nothing_named_is_asked_back(offline: Callable[..., Answer]) -> None:
    for question in ("what's costing us the most in september", "what is costing me the most this quarter"):
        clarifies(offline(question), "The most of what?")

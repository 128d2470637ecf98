"""Everyday past-tense verbs are no names: "which of our teams saw the sharpest rise" and "the job the research
team ran" were declined with "I don't know 'saw'" / "'ran'"; they are the movers and the job history."""

from __future__ import annotations

from collections.abc import Callable

from agent.answer import Answer


def test_teams_that_saw_a_rise_are_the_movers(offline: Callable[..., Answer]) -> None:
    a = offline("which teams saw the steepest rise in spend in october")
    assert a.kind == "answer" and a.text.startswith("Increases by team vs September 2026"), a.text


def test_a_job_a_team_ran_is_the_job_history(offline: Callable[..., Answer]) -> None:
    a = offline("the costliest training job the recsys team ran in october")
    assert a.kind == "answer" and [c.tool for c in a.tool_calls] == ["job_runs"], a.text
    assert "of team recsys in October 2026" in a.text and "training" in a.text, a.text

"""GPU jobs that cost more (or less) than their estimate: no tool of the assistant compares a run with its
estimate, so the answer is no figure and says where the comparison is made, never every job's cost. Asked in
words other than heldout25_job_estimates'."""

from __future__ import annotations

from collections.abc import Callable

from agent.answer import Answer
from tests.conftest import clarifies


def test_jobs_over_their_estimate_get_no_figure(offline: Callable[..., Answer]) -> None:
    for question in ("list the gpu runs that exceeded their estimates", "show training jobs that went above estimate"):
        clarifies(offline(question), "finops alerts run")


def test_no_wording_of_it_lists_the_jobs(offline: Callable[..., Answer]) -> None:
    a = offline("which sweeps overran the estimate")
    assert a.kind != "answer" and not a.tool_calls, a.text

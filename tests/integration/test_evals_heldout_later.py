"""The later held-out eval sets (evals/questions/heldout2_*.yaml, heldout3_*.yaml, heldout6_*.yaml), each
written by someone who had not read the planner: each loads, is big enough, covers every category, every
gold computes on the demo store, and it runs as a report-only set (never gated)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evals.gold import GoldContext
from evals.runner import SETS, expand_sets
from evals.spec import DEMO_STORE_SETS, REPORT_ONLY_SETS, load_set
from evals.threshold import load_threshold

# group name -> (minimum paraphrases, minimum must-not-answer items, minimum conversations)
LATER_SETS = {"heldout2": (60, 40, 5), "heldout3": (50, 35, 4), "heldout6": (85, 65, 5)}


def _names(group: str) -> tuple[str, str]:
    return f"{group}_paraphrases", f"{group}_mna"


@pytest.mark.parametrize("group", LATER_SETS)
def test_held_out_set_is_big_enough_and_covers_every_category(group: str):
    min_para, min_mna, min_sessions = LATER_SETS[group]
    para, mna = (load_set(n) for n in _names(group))
    assert len(para) >= min_para and len(mna) >= min_mna
    assert all(q.id.startswith(f"{group}.para.") for q in para)
    assert all(q.id.startswith(f"{group}.mna.") for q in mna)
    styles = Counter(q.style for q in para)
    for style in ("typo", "abbreviated", "word_order", "compound", "comparison", "derived", "followup", "slack"):
        assert styles[style] >= 3, style
    assert len({q.session for q in para if q.session}) >= min_sessions
    tools = Counter(q.tool for q in para)
    for tool in ("spend", "who_owns", "llm_spend", "budgets", "waste", "anomalies", "estimate", "tag_audit",
                 "query_costs"):
        assert tools[tool] >= 1, tool
    mstyles = Counter(q.style for q in mna)
    for style in ("unknown_name", "near_miss", "unsupported_measure", "bad_period", "at_assistant",
                  "injection_text", "leftover_word"):
        assert mstyles[style] >= 3, style
    assert all(q.kind in ("refusal", "did_you_mean") for q in mna)
    assert all(q.must_not_answer for q in mna if q.kind == "refusal")


@pytest.mark.parametrize("group", LATER_SETS)
def test_every_held_out_gold_computes_on_the_demo_store(demo_db: Path, group: str):
    gold = GoldContext.for_demo(demo_db)
    try:
        for name in _names(group):
            for question in load_set(name):
                exp = gold.expected(question)
                assert exp.error is None, f"{question.id}: {exp.error}"
                if question.kind != "refusal":
                    assert exp.values, question.id
    finally:
        gold.close()


@pytest.mark.parametrize("group", LATER_SETS)
def test_held_out_set_is_report_only_and_runs_on_the_demo_store(group: str):
    names = _names(group)
    assert set(names) <= set(REPORT_ONLY_SETS) <= set(SETS)
    assert set(names) <= set(DEMO_STORE_SETS)
    assert expand_sets(group) == list(names)
    assert set(names) <= set(expand_sets("heldout")) and set(names) <= set(expand_sets("all"))
    assert not set(names) & set(load_threshold().sets)

"""The third held-out eval set (evals/questions/heldout3_*.yaml): it loads, is big enough, covers every
category, every gold computes on the demo store, and it runs as a report-only set (never gated)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from evals.gold import GoldContext
from evals.runner import SETS, expand_sets
from evals.spec import DEMO_STORE_SETS, REPORT_ONLY_SETS, load_set
from evals.threshold import load_threshold

HELDOUT3 = ("heldout3_paraphrases", "heldout3_mna")


def test_third_held_out_set_is_big_enough_and_covers_every_category():
    para = load_set("heldout3_paraphrases")
    mna = load_set("heldout3_mna")
    assert len(para) >= 50 and len(mna) >= 35
    assert all(q.id.startswith("heldout3.para.") for q in para)
    assert all(q.id.startswith("heldout3.mna.") for q in mna)
    styles = Counter(q.style for q in para)
    for style in ("typo", "abbreviated", "word_order", "compound", "comparison", "derived", "followup", "slack"):
        assert styles[style] >= 3, style
    assert len({q.session for q in para if q.session}) >= 4
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


def test_every_third_held_out_gold_computes_on_the_demo_store(demo_db: Path):
    gold = GoldContext.for_demo(demo_db)
    try:
        for name in HELDOUT3:
            for question in load_set(name):
                exp = gold.expected(question)
                assert exp.error is None, f"{question.id}: {exp.error}"
                if question.kind != "refusal":
                    assert exp.values, question.id
    finally:
        gold.close()


def test_third_held_out_set_is_report_only_and_runs_on_the_demo_store():
    assert set(HELDOUT3) <= set(REPORT_ONLY_SETS) <= set(SETS)
    assert set(HELDOUT3) <= set(DEMO_STORE_SETS)
    assert expand_sets("heldout3") == list(HELDOUT3)
    assert set(HELDOUT3) <= set(expand_sets("heldout")) and set(HELDOUT3) <= set(expand_sets("all"))
    assert not set(HELDOUT3) & set(load_threshold().sets)

"""The held-out eval sets of issue 15 (evals/questions/heldout_*.yaml): big enough, every category
present, every gold computes on the demo store, and they run as report-only sets of `finops eval`.
Their accuracy is a measurement, never a CI gate (evals/threshold.yaml)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from evals.gold import GoldContext
from evals.report import SetReport, SuiteReport
from evals.runner import SETS, expand_sets
from evals.spec import REPORT_ONLY_SETS, load_set
from evals.threshold import load_threshold


def test_held_out_sets_are_big_enough_and_cover_every_category():
    para = load_set("heldout_paraphrases")
    mna = load_set("heldout_mna")
    assert len(para) >= 80 and len(mna) >= 60
    assert all(q.id.startswith("heldout.para.") for q in para)
    assert all(q.id.startswith("heldout.mna.") for q in mna)
    styles = Counter(q.style for q in para)
    for style in ("typo", "abbreviated", "word_order", "compound", "comparison", "derived", "followup"):
        assert styles[style] >= 3, style
    assert len({q.session for q in para if q.session}) >= 5
    mstyles = Counter(q.style for q in mna)
    for style in ("unknown_name", "near_miss", "unsupported_measure", "bad_period", "at_assistant",
                  "injection_text", "leftover_word"):
        assert mstyles[style] >= 3, style
    assert all(q.kind in ("refusal", "did_you_mean") for q in mna)
    assert all(q.must_not_answer for q in mna if q.kind == "refusal")


def test_every_held_out_gold_computes_on_the_demo_store(demo_db: Path):
    gold = GoldContext.for_demo(demo_db)
    try:
        for name in REPORT_ONLY_SETS:
            for question in load_set(name):
                exp = gold.expected(question)
                assert exp.error is None, f"{question.id}: {exp.error}"
                if question.kind not in ("refusal", "evidence"):   # evidence: the tool, its SQL and freshness
                    assert exp.values, question.id
    finally:
        gold.close()


def test_held_out_sets_run_with_all_and_are_never_gated():
    assert set(REPORT_ONLY_SETS) <= set(SETS)
    assert expand_sets("heldout") == list(REPORT_ONLY_SETS)
    assert set(expand_sets("all")) == set(SETS)
    threshold = load_threshold()
    assert not set(REPORT_ONLY_SETS) & set(threshold.sets)
    zero = [SetReport(name=n, planner="offline", cases=[]) for n in REPORT_ONLY_SETS]
    suite = SuiteReport(planner="offline", sets=zero, threshold=threshold.overall, set_thresholds=threshold.sets)
    assert suite.below_threshold() == []

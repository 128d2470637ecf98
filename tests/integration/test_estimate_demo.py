"""estimate on the demo store: the $3K six-hour run re-estimated to the cent, the history band from the
demo's finished jobs, and the verdict against the team's remaining budget."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from knowledge.store import Store, open_store
from tools.registry import run_tool


def test_the_discarded_six_hour_run_re_estimated_to_the_cent(demo_store: Store, demo_facts) -> None:
    run = demo_facts["discarded_run_3k"]
    manifest = (f"name: {run['name']}\nteam: {run['team']}\nkind: training\ngpu_type: {run['gpu_type']}\n"
                f"gpu_count: {run['gpu_count']}\nhours: {run['hours']}\nregion: us-east-1\npricing: on-demand\n")
    r = run_tool(demo_store, "estimate", {"manifest": manifest})
    assert r.expected_cost == Decimal(run["cost"])        # the run's actual cost: catalog price x GPUs x hours
    assert 2500 < r.expected_cost < 3500 and run["hours"] == 6
    assert not r.stored                                   # read-only store: estimated, not recorded


def test_history_band_rests_on_the_demo_jobs(demo_store: Store) -> None:
    r = run_tool(demo_store, "estimate", {"gpu_type": "H100", "gpu_count": 16, "hours": 24, "kind": "training"})
    rows = demo_store.con.execute(
        "SELECT actual_cost / estimated_cost FROM gpu_jobs WHERE kind = 'training' AND gpu_type = 'H100' "
        "AND ended_at IS NOT NULL AND estimated_cost > 0 AND actual_cost IS NOT NULL").fetchall()
    ratios = np.array([float(x[0]) for x in rows])
    assert len(ratios) >= 5 and r.history.jobs == len(ratios) and not r.history.default
    assert float(r.history.p10_ratio) == pytest.approx(np.percentile(ratios, 10), rel=1e-9)
    assert float(r.history.p90_ratio) == pytest.approx(np.percentile(ratios, 90), rel=1e-9)
    assert r.p10 < r.p90 and f"{len(ratios)} finished training jobs on H100" in r.summary()


def test_verdict_against_what_the_team_has_left(writable_demo, demo_facts) -> None:
    fact = demo_facts["budget_over_80"]
    left = Decimal(fact["budget"]) - Decimal(fact["spent"])
    with open_store(writable_demo) as store:
        r = run_tool(store, "estimate", {"gpu_type": "H100", "gpu_count": 64, "hours": 72, "team": fact["team"]})
        assert r.budget.team_left.quantize(Decimal("0.01")) == left
        assert r.budget.period_start == date.fromisoformat(fact["period_start"])
        assert r.expected_cost > left and r.verdict == "over budget"
        assert f"team budget left ${left:,}" in r.headline()
        assert r.stored and store.con.execute("SELECT team, verdict FROM estimates WHERE estimate_id = ?",
                                              [r.estimate_id]).fetchone() == (fact["team"], "over budget")
        small = run_tool(store, "estimate", {"gpu_type": "L4", "gpu_count": 1, "hours": 2, "team": fact["team"]})
        assert small.expected_cost < left and small.verdict == "within budget"


def test_p90_over_the_job_budget_is_flagged_but_the_verdict_rests_on_the_expected_cost(demo_store) -> None:
    from decimal import Decimal

    from tools.registry import run_tool

    base = {"name": "sft", "team": "search", "kind": "training", "gpu_type": "H100", "gpu_count": 8,
            "hours": Decimal(24), "ttl_hours": Decimal(30), "record": False}
    first = run_tool(demo_store, "estimate", base)
    assert first.p90 is not None and first.p90 > first.expected_cost     # history gives a range
    budget = first.expected_cost + Decimal("0.01")                         # fits the expected cost only
    result = run_tool(demo_store, "estimate", {**base, "budget": budget})
    assert result.verdict == "within budget"
    assert any("p90 cost" in w and "over the job budget" in w for w in result.warnings)
    roomy = run_tool(demo_store, "estimate", {**base, "budget": result.p90 + 1})
    assert not any("over the job budget" in w for w in roomy.warnings)

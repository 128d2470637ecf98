"""estimate: hand-arithmetic costs to the cent, the history band, budgets and approvals, manifest errors.

Expected prices are read straight from the shipped catalog CSV (not through the code under test).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from knowledge.prices import gpu_catalog_path, llm_catalog_path, load_catalogs
from knowledge.store import Store, refresh_names
from tests.conftest import MANIFEST
from tools.contract import FinopsError, UnknownNameError
from tools.estimate import DEFAULT_EGRESS_USD_PER_GB, DEFAULT_STORAGE_USD_PER_GB_MONTH
from tools.manifest import ManifestError, parse_manifest
from tools.registry import run_tool

CENT = Decimal("0.01")


def _rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def gpu_row(instance_type: str, region: str = "us-east-1") -> dict[str, str]:
    return next(r for r in _rows(gpu_catalog_path()) if r["instance_type"] == instance_type and r["region"] == region)


def llm_row(model: str) -> dict[str, str]:
    return next(r for r in _rows(llm_catalog_path()) if r["model"] == model)


def c(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture
def priced(empty_store: Store) -> Store:
    load_catalogs(empty_store.con)
    return empty_store




def test_gpu_manifest_matches_hand_arithmetic_to_the_cent(priced: Store) -> None:
    p5 = gpu_row("p5.48xlarge")
    hourly = Decimal(p5["on_demand_usd_per_hour"])            # one 8-GPU instance
    expected = c(hourly / 8 * 64 * 72)                       # 8 instances x 72 hours
    assert expected == c(hourly * 8 * 72)
    r = run_tool(priced, "estimate", {"manifest": MANIFEST, "manifest_name": "job.yaml"})
    assert r.expected_cost == expected
    assert r.gpu.instance_type == "p5.48xlarge" and r.gpu.instances == 8
    spot = next(a for a in r.alternatives if a.option == "spot")
    # The AWS catalog publishes no spot prices: spot is unknown, never on-demand less a guessed discount.
    assert p5.get("spot_usd_per_hour") in (None, "")
    assert spot.cost is None and "spot price unknown" in spot.note
    assert spot.savings is None
    reserved = next(a for a in r.alternatives if a.option == "reserved")
    if p5["reserved_1yr_no_upfront_usd_per_hour"]:
        assert reserved.cost == c(Decimal(p5["reserved_1yr_no_upfront_usd_per_hour"]) * 8 * 72)
    else:  # unknown price: shown as unknown, never $0
        assert reserved.cost is None and "unknown" in r.summary()
    # No history in an empty store: the stated default band.
    assert r.history.default and r.p10 == c(expected * Decimal("0.9")) and r.p90 == c(expected * Decimal("1.3"))
    # Within the job budget, but over the $10,000 approval threshold (tools.approval_policy): a person decides.
    assert r.verdict == "needs approval" and r.budget.job_budget == Decimal(40000)
    assert r.reasons == ["over the $10,000 approval threshold"]
    assert f"This run will cost ${expected:,}" in r.summary()
    assert r.table().rows[0][-1] == f"${expected:,}"


def test_reserved_with_storage_steps_and_egress(priced: Store) -> None:
    p4d = gpu_row("p4d.24xlarge")
    reserved = Decimal(p4d["reserved_1yr_no_upfront_usd_per_hour"])
    hours = Decimal(120000) * Decimal("2.1") / 3600           # steps x seconds per step = 70 hours
    compute = c(reserved / 8 * 16 * hours)
    storage = c(Decimal(2000) * DEFAULT_STORAGE_USD_PER_GB_MONTH * hours / 730)
    egress = c(Decimal(500) * DEFAULT_EGRESS_USD_PER_GB)
    r = run_tool(priced, "estimate", {"gpu_type": "a100", "gpu_count": 16, "steps": 120000, "seconds_per_step": "2.1",
                                      "pricing": "reserved", "storage_gb": 2000, "egress_gb": 500, "budget": 1})
    assert hours == Decimal(70) and r.hours == hours
    assert r.expected_cost == compute + storage + egress
    assert [line.cost for line in r.lines] == [compute, storage, egress]
    on_demand = next(a for a in r.alternatives if a.option == "on-demand")
    assert on_demand.cost == c(Decimal(p4d["on_demand_usd_per_hour"]) * 2 * hours) + storage + egress
    assert r.verdict == "over budget" and r.needs_approval


def test_llm_batch_matches_hand_arithmetic_with_cached_share(priced: Store) -> None:
    p = llm_row("gpt-4o")
    inp, out = Decimal(p["input_cost_per_token"]), Decimal(p["output_cost_per_token"])
    cache = Decimal(p["cache_read_input_token_cost"])
    calls, tin, tout, share = 2_000_000, 1000, 200, Decimal("0.25")
    expected = c(calls * tin * (1 - share) * inp + calls * tin * share * cache + calls * tout * out)
    r = run_tool(priced, "estimate", {"kind": "llm-batch", "model": "GPT-4o", "calls": calls, "input_tokens": tin,
                                      "output_tokens": tout, "cached_share": share, "budget": 100000})
    assert r.model == "gpt-4o" and r.expected_cost == expected and r.verdict == "within budget"
    mini = next(a for a in r.alternatives if a.option == "gpt-4o-mini")
    m = llm_row("gpt-4o-mini")
    assert mini.cost == c(calls * tin * (1 - share) * Decimal(m["input_cost_per_token"])
                          + calls * tin * share * Decimal(m["cache_read_input_token_cost"])
                          + calls * tout * Decimal(m["output_cost_per_token"]))
    assert all(a.cost < expected for a in r.alternatives)


def test_history_band_is_the_p10_p90_of_similar_jobs(priced: Store) -> None:
    ratios = [Decimal(x) for x in ("0.95", "1.00", "1.02", "1.05", "1.10", "1.12", "1.20", "1.35", "1.50", "1.80")]
    t0 = datetime(2026, 10, 1)
    for i, ratio in enumerate(ratios):
        priced.con.execute(
            "INSERT INTO gpu_jobs (job_id, kind, team, gpu_type, gpu_count, started_at, ended_at, estimated_cost, actual_cost) "
            "VALUES (?, 'training', 'search', 'H100', 8, ?, ?, 1000, ?)",
            [f"j{i}", t0, t0 + timedelta(hours=5), Decimal(1000) * ratio])
    # Other kinds and unfinished jobs do not count.
    priced.con.execute("INSERT INTO gpu_jobs (job_id, kind, gpu_type, started_at, estimated_cost, actual_cost) "
                       "VALUES ('running', 'training', 'H100', ?, 1000, 9000)", [t0])
    r = run_tool(priced, "estimate", {"gpu_type": "H100", "gpu_count": 8, "hours": 10, "kind": "training"})
    values = np.array([float(x) for x in ratios])
    assert r.history.jobs == 10 and not r.history.default
    assert float(r.history.p10_ratio) == pytest.approx(np.percentile(values, 10))
    assert float(r.history.p90_ratio) == pytest.approx(np.percentile(values, 90))
    assert r.p90 == c(r.expected_cost * r.history.p90_ratio)
    assert "10 finished training jobs on H100" in r.summary()


def _team_with_budget(store: Store, team: str, budget: Decimal, spent: Decimal, today: str) -> None:
    store.set_meta("as_of", today)
    store.con.execute("INSERT INTO teams (team) VALUES (?)", [team])
    month = datetime.fromisoformat(today).replace(day=1)
    store.con.execute("INSERT INTO budgets (scope_kind, scope_name, period, period_start, amount) VALUES "
                      "('team', ?, 'monthly', ?, ?)", [team, month.date(), budget])
    store.con.execute(
        "INSERT INTO focus_charges (BilledCost, EffectiveCost, ChargePeriodStart, ChargePeriodEnd, ProviderName, "
        "ServiceName, ResourceId, Tags) VALUES (?, ?, ?, ?, 'AWS', 'EC2', 'i-1', MAP {'team': ?})",
        [spent, spent, month, month + timedelta(days=1), team])
    # Last month's spend does not count against this month.
    store.con.execute(
        "INSERT INTO focus_charges (BilledCost, EffectiveCost, ChargePeriodStart, ChargePeriodEnd, ProviderName, "
        "ServiceName, ResourceId, Tags) VALUES (999999, 999999, ?, ?, 'AWS', 'EC2', 'i-1', MAP {'team': ?})",
        [month - timedelta(days=1), month, team])
    refresh_names(store.con)        # what a writer does when it ends: the rows get their tag columns


def test_team_budget_left_decides_the_verdict_and_an_approval_overrides(priced: Store) -> None:
    _team_with_budget(priced, "search", Decimal(50000), Decimal("28500.00"), "2026-11-20")
    r = run_tool(priced, "estimate", {"manifest": MANIFEST})
    left = Decimal(50000) - Decimal("28500.00")
    assert r.budget.team_left == left and r.budget.team_spent == Decimal("28500.00")
    assert r.verdict == "over budget" and any("has left this month" in x for x in r.reasons)
    assert f"team budget left ${left:,}" in r.summary()
    stored = priced.con.execute("SELECT expected_cost, verdict FROM estimates WHERE estimate_id = ?",
                                [r.estimate_id]).fetchone()
    assert stored == (r.expected_cost, "over budget")
    # Same manifest, same id: an approval recorded for it (e.g. from Slack) lets CI pass.
    # (approvals expire after 14 days of real time: this one was given an hour ago)
    priced.con.execute("INSERT INTO approvals VALUES (?, 'U0SEARCH1', 'approved', ?, 'slack', NULL)",
                       [r.estimate_id, datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)])
    again = run_tool(priced, "estimate", {"manifest": MANIFEST})
    assert again.estimate_id == r.estimate_id and again.verdict == "approved" and again.approved_by == "U0SEARCH1"
    # An approval of a cheaper run does not cover a bigger one.
    bigger = run_tool(priced, "estimate", {"manifest": MANIFEST, "hours": 96, "approval_id": r.estimate_id})
    assert bigger.verdict == "over budget" and any("needs a new approval" in x for x in bigger.reasons)
    smaller = run_tool(priced, "estimate", {"manifest": MANIFEST, "hours": 70, "approval_id": r.estimate_id})
    assert smaller.verdict == "approved"


def test_unknown_team_and_gpu_get_did_you_mean_with_line(priced: Store) -> None:
    priced.con.execute("INSERT INTO teams (team) VALUES ('search'), ('research')")
    with pytest.raises(UnknownNameError) as exc:
        run_tool(priced, "estimate", {"manifest": MANIFEST.replace("team: search", "team: serch"), "manifest_name": "job.yaml"})
    assert "job.yaml: line 2: team: unknown team 'serch'; did you mean 'search'" in str(exc.value)
    with pytest.raises(UnknownNameError) as exc:
        run_tool(priced, "estimate", {"manifest": MANIFEST.replace("H100", "H1000"), "manifest_name": "job.yaml"})
    assert "line 4: gpu_type: unknown GPU type 'H1000'; did you mean 'H100'" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MANIFEST.replace("gpu_count: 64", "gpu_count: sixty-four"), "line 5: gpu_count: expected a whole number, got 'sixty-four'"),
        (MANIFEST.replace("gpu_count: 64", "gpu_count: 6.5"), "line 5: gpu_count: expected a whole number, got 6.5"),
        (MANIFEST.replace("hours: 72", "hours: -72"), "line 6: hours: must be greater than 0, got -72"),
        (MANIFEST.replace("hours: 72", 'hours: "72"'), "line 6: hours: expected a number, got '72'"),
        (MANIFEST.replace("pricing: on-demand", "pricing: cheap"), "line 8: pricing: got 'cheap'"),
        (MANIFEST.replace("name: llama-70b-sft\n", ""), "name: missing (required)"),
        (MANIFEST.replace("team: search\n", ""), "team: missing"),
        (MANIFEST.replace("hours: 72\n", ""), "hours: missing"),
        (MANIFEST.replace("gpu_type: H100", "gpu_typ: H100"), "line 4: gpu_typ: unknown field (did you mean 'gpu_type'?)"),
        (MANIFEST.replace("budget: 40000", "budget: [40000"), "line 9: not valid YAML"),
        (MANIFEST + "hours: 10\n", "line 11: hours: given twice (first on line 6)"),
        ("- just\n- a list\n", "expected a mapping"),
        ("", "empty manifest"),
    ],
)
def test_malformed_manifests_name_field_and_line(text: str, expected: str) -> None:
    with pytest.raises(ManifestError) as exc:
        parse_manifest(text, "job.yaml")
    assert expected in str(exc.value)
    assert str(exc.value).startswith("job.yaml")


def test_several_problems_are_reported_together() -> None:
    text = MANIFEST.replace("gpu_count: 64", "gpu_count: true").replace("hours: 72", "hours: 0")
    with pytest.raises(ManifestError) as exc:
        parse_manifest(text, "job.yaml")
    assert [p.line for p in exc.value.problems] == [5, 6]


def test_unknown_region_and_bad_arguments(priced: Store) -> None:
    with pytest.raises(FinopsError, match="no H100 price in 'mars-1'; priced in: .*us-east-1"):
        run_tool(priced, "estimate", {"gpu_type": "H100", "gpu_count": 8, "hours": 1, "region": "mars-1"})
    with pytest.raises(FinopsError, match="give either hours or steps"):
        run_tool(priced, "estimate", {"gpu_type": "H100", "gpu_count": 8, "hours": 1, "steps": 5, "seconds_per_step": 1})
    with pytest.raises(FinopsError, match="cached_share"):
        run_tool(priced, "estimate", {"kind": "llm-batch", "model": "gpt-4o", "calls": 1, "input_tokens": 1,
                                      "output_tokens": 1, "cached_share": "1.5"})


def test_read_only_store_estimates_without_storing(priced: Store, tmp_path) -> None:
    from knowledge.store import open_store

    priced.close()
    with open_store(tmp_path / "empty.duckdb", read_only=True) as ro:
        r = run_tool(ro, "estimate", {"gpu_type": "L4", "gpu_count": 4, "hours": 2, "budget": 100})
        assert not r.stored and r.expected_cost is not None
        assert ro.con.execute("SELECT count(*) FROM estimates").fetchone()[0] == 0

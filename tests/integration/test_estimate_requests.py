"""Estimate requests as people make them, on the demo company: free text through the agent maps to the same
estimate a manifest gives; every manifest problem is reported at once; the team's calibration (how its past
estimates compared with what the jobs then cost) is reported, checked against independent SQL."""

from __future__ import annotations

import statistics
from decimal import Decimal
from pathlib import Path

import pytest

from agent.service import ask
from knowledge.store import open_store
from tests.cli import finops_cli
from tests.conftest import duckdb_connect
from tools.registry import registry, run_tool

ROOT = Path(__file__).resolve().parents[2]

MANIFEST = """\
name: adhoc-H100x64
team: search
kind: training
gpu_type: H100
gpu_count: 64
hours: 72
pricing: spot
"""


@pytest.fixture(autouse=True)
def offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("FINOPS_TODAY", raising=False)


def test_free_text_maps_to_the_same_estimate_as_the_manifest(demo_db: Path) -> None:
    answer = ask("64 H100s for 72 h on spot for search, approve?", db=demo_db, planner="offline")
    assert [c.tool for c in answer.tool_calls] == ["estimate"]
    args = answer.tool_calls[0].args
    assert (args["gpu_count"], args["gpu_type"], Decimal(str(args["hours"])), args["pricing"], args["team"]) == (
        64, "H100", Decimal(72), "spot", "search")
    from_text = answer.results[0]
    with open_store(demo_db, read_only=True) as store:
        from_manifest = run_tool(store, "estimate", {"manifest": MANIFEST, "manifest_name": "job.yaml",
                                                     "record": False})
    assert from_text["estimate_id"] == from_manifest.estimate_id
    assert from_text["verdict"] == from_manifest.verdict
    assert [a["cost"] for a in from_text["alternatives"]] == [
        None if a.cost is None else str(a.cost) for a in from_manifest.alternatives]


def test_a_claimed_cost_without_a_job_gets_no_figure(demo_db: Path) -> None:
    question = "This training will cost $50K. Approve?"
    assert question not in registry.get("estimate").examples        # no longer offered as an example
    answer = ask(question, db=demo_db, planner="offline")
    assert answer.tool_calls == [] and "$" not in answer.text.replace("$50K", "")
    assert "estimate" in answer.text.lower()                          # it says what it needs instead


def test_every_manifest_problem_at_once_with_field_and_line(demo_db: Path, tmp_path: Path) -> None:
    (tmp_path / "job.yaml").write_text(MANIFEST.replace("team: search", "team: serch")
                                       .replace("gpu_type: H100", "gpu_type: H10O")
                                       .replace("gpu_count: 64", "gpu_count: lots"))
    db = tmp_path / "demo.duckdb"
    db.write_bytes(demo_db.read_bytes())
    p = finops_cli("estimate", "job.yaml", "--db", str(db), cwd=tmp_path)
    assert p.returncode == 2 and p.stdout == ""
    assert "job.yaml: 3 problems:" in p.stderr
    assert "line 2: team: unknown team 'serch'; did you mean 'search'" in p.stderr
    assert "line 4: gpu_type: unknown GPU type 'H10O'" in p.stderr
    assert "line 5: gpu_count: expected a whole number, got 'lots'" in p.stderr


def test_team_calibration_from_finished_jobs(demo_db: Path) -> None:
    con = duckdb_connect(str(demo_db), read_only=True)
    try:
        ratios = [Decimal(a) / Decimal(e) - 1 for a, e in con.execute(
            "SELECT actual_cost, estimated_cost FROM gpu_jobs WHERE team = 'research' AND ended_at IS NOT NULL "
            "AND estimated_cost > 0 AND actual_cost IS NOT NULL").fetchall()]
    finally:
        con.close()
    assert len(ratios) >= 5
    with open_store(demo_db, read_only=True) as store:
        r = run_tool(store, "estimate", {"gpu_type": "H100", "gpu_count": 8, "hours": 10, "team": "research",
                                         "record": False})
    assert r.calibration is not None and r.calibration.jobs == len(ratios)
    assert r.calibration.median_overrun == statistics.median(ratios)
    pct = (statistics.median(ratios) * 100).quantize(Decimal(1))
    sentence = f"estimates for team research ran {'+' if pct >= 0 else '−'}{abs(pct)}% "
    assert sentence in r.markdown() and sentence in r.summary().lower()


def test_once_a_job_has_run_its_actual_vs_estimate_is_reported(demo_db: Path) -> None:
    con = duckdb_connect(str(demo_db), read_only=True)
    try:
        name, team, job_id, est, act = con.execute(
            "SELECT name, team, job_id, estimated_cost, actual_cost FROM gpu_jobs WHERE ended_at IS NOT NULL "
            "AND estimated_cost > 0 AND actual_cost IS NOT NULL ORDER BY ended_at DESC, job_id LIMIT 1").fetchone()
    finally:
        con.close()
    with open_store(demo_db, read_only=True) as store:
        r = run_tool(store, "estimate", {"name": name, "team": team, "gpu_type": "H100", "gpu_count": 8,
                                         "hours": 10, "record": False})
    assert r.last_run is not None and r.last_run.job_id == job_id
    assert (r.last_run.estimated_cost, r.last_run.actual_cost) == (Decimal(est), Decimal(act))
    assert f"estimated ${Decimal(est):,.2f}, actual ${Decimal(act):,.2f}" in r.markdown()


def test_a_run_asked_for_on_one_cloud_is_never_priced_on_another(demo_db):
    """'on gcp' with no region: the default region is AWS's, so the run is not priced (the region is asked
    for) instead of being priced on AWS; with a GCP region it is priced there (figures from the catalog file)."""
    import csv
    from pathlib import Path

    import knowledge

    refused = ask("estimate 16 A100s for 10 hours on gcp for team research", db=demo_db, planner="offline")
    assert refused.kind == "did_you_mean" and "$" not in refused.text and "GCP region" in refused.text, refused.text
    priced = ask("estimate 16 A100s for 10 hours on gcp in us-central1 for team research", db=demo_db,
                 planner="offline")
    gcp = Path(knowledge.__file__).parent / "catalogs" / "gpu_prices_gcp.csv"
    with open(gcp, encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(line for line in fh if not line.startswith("#"))
                   if r["instance_type"] == "a2-highgpu-8g" and r["region"] == "us-central1")
    expected = (Decimal(row["on_demand_usd_per_hour"]) * 2 * 10).quantize(Decimal("0.01"))
    assert f"${expected:,.2f}" in priced.text and "gcp us-central1" in priced.text, priced.text

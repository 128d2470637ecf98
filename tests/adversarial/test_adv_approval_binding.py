"""Issue 16 #6 and #7 through the real CLI gate (`finops estimate`, typer's CliRunner on apps.cli.main):
an approval binds to one estimate (team, job name, cost ceiling, 14-day expiry), an approval given by
the person who asked for it is void, and the gate applies the approval threshold the Slack bot applies.

Expected costs are hand arithmetic from the shipped catalog file, never from the code under test.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from apps.cli.main import app
from knowledge.prices import gpu_catalog_path, load_catalogs
from knowledge.store import open_store
from tests.cli import CliRunner
from tests.conftest import duckdb_connect

APPROVER, OTHER_APPROVER = "U0SEARCH1", "U0SEARCH2"


def manifest(name: str, team: str, gpus: int, hours: int, budget: int) -> str:
    return (f"name: {name}\nteam: {team}\nkind: training\ngpu_type: H100\ngpu_count: {gpus}\nhours: {hours}\n"
            f"region: us-east-1\npricing: on-demand\nbudget: {budget}\nttl_hours: {hours + 24}\n")


def h100_cost(gpus: int, hours: int) -> Decimal:
    with open(gpu_catalog_path(), encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        row = next(r for r in rows if r["instance_type"] == "p5.48xlarge" and r["region"] == "us-east-1")
    return (Decimal(row["on_demand_usd_per_hour"]) / 8 * gpus * hours).quantize(Decimal("0.01"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gate") / "gate.duckdb"
    with open_store(path) as store:
        load_catalogs(store.con)
        store.con.execute("INSERT INTO teams VALUES ('search', 'CC-1', '#search', 's@acme.ai', 'U0SEARCH1, U0SEARCH2'),"
                          " ('research', 'CC-2', '#research', 'r@acme.ai', 'U0RESEARCH1')")
    return path


@pytest.fixture
def work(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FINOPS_APPROVAL_THRESHOLD", raising=False)
    monkeypatch.delenv("FINOPS_APPROVAL_VALID_DAYS", raising=False)
    (tmp_path / "s.duckdb").write_bytes(template.read_bytes())
    (tmp_path / "search.yaml").write_text(manifest("llama-sft", "search", 64, 72, 20000))
    (tmp_path / "research.yaml").write_text(manifest("llama-sft", "research", 64, 72, 20000))
    (tmp_path / "search-other-job.yaml").write_text(manifest("other-job", "search", 64, 72, 20000))
    (tmp_path / "search-longer.yaml").write_text(manifest("llama-sft", "search", 64, 96, 20000))
    (tmp_path / "search-shorter.yaml").write_text(manifest("llama-sft", "search", 64, 48, 20000))
    return tmp_path


def gate(work: Path, manifest_file: str, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["estimate", str(work / manifest_file), "--db", str(work / "s.duckdb"),
                                      "--format", "json", *extra])
    return result.exit_code, json.loads(result.stdout)


def decide(work: Path, estimate_id: str, who: str, *, decision: str = "approved", days_ago: float = 0,
           requested_by: str | None = None) -> None:
    ts = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days_ago)
    con = duckdb_connect(str(work / "s.duckdb"))
    try:
        if requested_by:
            con.execute("INSERT INTO approvals VALUES (?, ?, 'requested', ?, 'C1', NULL)",
                        [estimate_id, requested_by, ts - timedelta(minutes=5)])
        con.execute("INSERT INTO approvals VALUES (?, ?, ?, ?, 'C1', NULL)", [estimate_id, who, decision, ts])
    finally:
        con.close()


def approved_search_estimate(work: Path, **kw) -> str:
    code, out = gate(work, "search.yaml")
    assert code == 1 and out["verdict"] == "over budget" and out["stored"]
    assert Decimal(out["expected_cost"]) == h100_cost(64, 72)
    decide(work, out["estimate_id"], OTHER_APPROVER, requested_by=APPROVER, **kw)
    return out["estimate_id"]


def test_the_approved_run_itself_passes(work: Path) -> None:
    eid = approved_search_estimate(work)
    code, out = gate(work, "search.yaml")
    assert code == 0 and out["verdict"] == "approved" and out["approved_by"] == OTHER_APPROVER
    code, out = gate(work, "search.yaml", "--approval-id", eid)
    assert code == 0 and out["verdict"] == "approved"


def test_another_teams_approval_does_not_pass_an_over_budget_job(work: Path) -> None:
    eid = approved_search_estimate(work)
    code, out = gate(work, "research.yaml", "--approval-id", eid)
    assert code == 1 and out["verdict"] == "over budget" and out["approved_by"] is None
    assert any("for team search, not team research" in r for r in out["reasons"]), out["reasons"]


def test_an_approval_of_another_job_of_the_same_team_does_not_apply(work: Path) -> None:
    eid = approved_search_estimate(work)
    code, out = gate(work, "search-other-job.yaml", "--approval-id", eid)
    assert code == 1 and out["verdict"] == "over budget"
    assert any("for job 'llama-sft', not 'other-job'" in r for r in out["reasons"]), out["reasons"]


def test_the_approved_cost_is_a_ceiling(work: Path) -> None:
    eid = approved_search_estimate(work)
    code, out = gate(work, "search-longer.yaml", "--approval-id", eid)
    assert code == 1 and any("needs a new approval" in r for r in out["reasons"])
    assert Decimal(out["expected_cost"]) == h100_cost(64, 96)
    code, out = gate(work, "search-shorter.yaml", "--approval-id", eid)
    assert code == 0 and out["verdict"] == "approved"


@pytest.mark.parametrize("days_ago, passes", [(13, True), (15, False)])
def test_an_approval_expires_after_14_days(work: Path, days_ago: float, passes: bool) -> None:
    eid = approved_search_estimate(work, days_ago=days_ago)
    for args in ((), ("--approval-id", eid)):
        code, out = gate(work, "search.yaml", *args)
        assert (code == 0) is passes, out
        if not passes:
            assert out["verdict"] == "over budget"
            assert any("expired" in r and "valid for 14 days" in r for r in out["reasons"]), out["reasons"]


def test_a_self_approval_is_void_at_the_gate(work: Path) -> None:
    code, out = gate(work, "search.yaml")
    decide(work, out["estimate_id"], APPROVER, requested_by=APPROVER)
    code, out = gate(work, "search.yaml")
    assert code == 1 and out["verdict"] == "over budget"
    assert any("approved by the person who asked for it" in r for r in out["reasons"])


def test_a_rejection_of_this_estimate_wins_over_another_approval(work: Path) -> None:
    eid = approved_search_estimate(work)
    code, out = gate(work, "search-shorter.yaml")
    decide(work, out["estimate_id"], OTHER_APPROVER, decision="rejected")
    code, out = gate(work, "search-shorter.yaml", "--approval-id", eid)
    assert code == 1 and any("was rejected" in r for r in out["reasons"])


def test_an_unknown_approval_id_is_refused(work: Path) -> None:
    code, out = gate(work, "search.yaml", "--approval-id", "est-000000000000")
    assert code == 1 and any("no decision recorded for estimate est-000000000000" in r for r in out["reasons"])


def test_the_gate_applies_the_approval_threshold(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within the job budget but over $10,000: the gate says 'needs approval' (exit 1), as Slack does."""
    (work / "big.yaml").write_text(manifest("big", "search", 64, 72, 1_000_000))
    (work / "small.yaml").write_text(manifest("small", "search", 8, 10, 1_000_000))
    assert h100_cost(64, 72) > 10_000 > h100_cost(8, 10)
    code, out = gate(work, "big.yaml")
    assert code == 1 and out["verdict"] == "needs approval"
    assert "over the $10,000 approval threshold" in out["reasons"]
    code, out = gate(work, "small.yaml")
    assert code == 0 and out["verdict"] == "within budget"
    monkeypatch.setenv("FINOPS_APPROVAL_THRESHOLD", "1000000")
    code, out = gate(work, "big.yaml")
    assert code == 0 and out["verdict"] == "within budget"

"""`finops estimate` as CI runs it: exit codes 0 / 1 / 2 (each once from a real subprocess, the rest through the
same CLI in-process: tests/cli.py), markdown and JSON output."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from knowledge.prices import gpu_catalog_path
from knowledge.store import open_store
from tests.cli import Ran, finops_cli
from tests.conftest import MANIFEST


def finops(*args: str, cwd: Path, process: bool = False) -> Ran:
    return finops_cli(*args, cwd=cwd, env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)}, process=process)


def h100_cost(gpus: int, hours: int) -> Decimal:
    with open(gpu_catalog_path(), encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        row = next(r for r in rows if r["instance_type"] == "p5.48xlarge" and r["region"] == "us-east-1")
    return (Decimal(row["on_demand_usd_per_hour"]) / 8 * gpus * hours).quantize(Decimal("0.01"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A manifest and an empty store `s.duckdb` (a named store must exist: `--db` never creates one)."""
    (tmp_path / "job.yaml").write_text(MANIFEST)
    open_store(tmp_path / "s.duckdb").close()
    return tmp_path


def test_within_budget_exits_0_with_a_pr_comment(workdir: Path) -> None:
    cost = h100_cost(64, 4)
    assert cost < 10000                     # under the approval threshold too (tools.approval_policy)
    p = finops("estimate", "job.yaml", "--hours", "4", "--db", "s.duckdb", cwd=workdir, process=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("<!-- finops-estimate -->")      # one PR comment, updated in place
    assert f"${cost:,} (p10–p90 " in p.stdout
    assert "within budget" in p.stdout and "| H100 compute" in p.stdout


def test_within_budget_but_over_the_approval_threshold_exits_1(workdir: Path) -> None:
    cost = h100_cost(64, 72)
    assert 10000 < cost < 40000
    p = finops("estimate", "job.yaml", "--db", "s.duckdb", cwd=workdir, process=True)
    assert p.returncode == 1, p.stderr
    assert "needs approval" in p.stdout and "over the $10,000 approval threshold" in p.stdout


def test_over_budget_exits_1_until_approved(workdir: Path) -> None:
    cost = h100_cost(64, 72)
    p = finops("estimate", "job.yaml", "--db", "s.duckdb", "--budget", "30000", "--format", "json", cwd=workdir)
    assert p.returncode == 1, p.stderr
    out = json.loads(p.stdout)
    assert out["verdict"] == "over budget" and Decimal(out["expected_cost"]) == cost and out["exit_code"] == 1
    estimate_id = out["estimate_id"]
    with open_store(workdir / "s.duckdb") as store:  # the estimate was stored for a Slack approval
        assert store.con.execute("SELECT verdict FROM estimates WHERE estimate_id = ?", [estimate_id]).fetchone() == ("over budget",)
        store.con.execute("INSERT INTO approvals VALUES (?, 'U0SEARCH1', 'approved', ?, 'slack', NULL)",
                          [estimate_id, datetime.now(UTC).replace(tzinfo=None)])
    p = finops("estimate", "job.yaml", "--db", "s.duckdb", "--budget", "30000", cwd=workdir)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "approved" in p.stdout and "U0SEARCH1" in p.stdout
    # A longer run of the same job is not covered by that approval (the approved cost is a ceiling) ...
    p = finops("estimate", "job.yaml", "--hours", "96", "--budget", "30000", "--approval-id", estimate_id,
               "--db", "s.duckdb", "--format", "text", cwd=workdir)
    assert p.returncode == 1 and "needs a new approval" in p.stdout
    # ... nor is another job of the team (an approval binds to one job).
    p = finops("estimate", "--gpu-type", "H100", "--gpu-count", "64", "--hours", "72", "--team", "search",
               "--budget", "30000", "--approval-id", estimate_id, "--db", "s.duckdb", "--format", "text", cwd=workdir)
    assert p.returncode == 1 and "it does not apply to this run" in p.stdout


def test_flags_without_budget_need_approval(workdir: Path) -> None:
    p = finops("estimate", "--gpu-type", "H100", "--gpu-count", "8", "--hours", "6", "--db", "s.duckdb",
               "--json", cwd=workdir)
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert Decimal(out["expected_cost"]) == h100_cost(8, 6) and out["verdict"] == "needs approval"


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (MANIFEST.replace("gpu_count: 64", "gpu_count: lots"), "job.yaml: line 5: gpu_count: expected a whole number, got 'lots'"),
        (MANIFEST.replace("H100", "H1000"), "line 4: gpu_type: unknown GPU type 'H1000'; did you mean 'H100'"),
        (MANIFEST.replace("hours: 72", "hours: -5"), "line 6: hours: must be greater than 0, got -5"),
        (MANIFEST.replace("team: search\n", "").replace("gpu_count: 64\n", ""), "gpu_count: missing"),
    ],
)
def test_malformed_manifest_exits_2_naming_field_and_line(workdir: Path, manifest: str, message: str) -> None:
    (workdir / "job.yaml").write_text(manifest)
    p = finops("estimate", "job.yaml", "--db", "s.duckdb", cwd=workdir)
    assert p.returncode == 2
    assert message in p.stderr and p.stdout == ""


def test_missing_file_and_bad_flags_exit_2(workdir: Path) -> None:
    p = finops("estimate", "nope.yaml", "--db", "s.duckdb", cwd=workdir, process=True)
    assert p.returncode == 2 and "cannot read manifest nope.yaml" in p.stderr
    p = finops("estimate", "--gpu-type", "H100", "--gpu-count", "8", "--hours", "abc", "--db", "s.duckdb", cwd=workdir)
    assert p.returncode == 2 and "hours" in p.stderr
    p = finops("estimate", "--gpu-type", "H100", "--gpu-count", "8", "--hours", "1", "--pricing", "free",
               "--db", "s.duckdb", "--json", cwd=workdir)
    assert p.returncode == 2 and "pricing" in json.loads(p.stdout)["error"]

"""The analysis commands through the real CLI (in-process: tests/cli.py): --db, --json, exit codes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tests.cli import Ran, finops_cli


def finops(*args: str, cwd: Path) -> Ran:
    return finops_cli(*args, cwd=cwd, env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "COLUMNS": "200"})


def test_waste_json_and_remediations_text(demo_db: Path, demo_facts, tmp_path: Path) -> None:
    p = finops("waste", "--db", str(demo_db), "--json", "--kind", "zombie_job", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert sorted(i["ref"] for i in out["items"]) == sorted(demo_facts["zombie_jobs"]["job_ids"])
    assert Decimal(out["total_monthly"]).quantize(Decimal("0.01")) == Decimal(demo_facts["zombie_jobs"]["monthly_cost"])
    assert out["evidence"]["sql"]
    p = finops("remediations", "--db", str(demo_db), "--top", "5", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Nothing is executed" in p.stdout and "kubectl delete job" in p.stdout
    assert "aws sagemaker delete-endpoint --endpoint-name " + demo_facts["idle_endpoint"]["name"] in p.stdout


def test_bad_input_exits_2(demo_db: Path, tmp_path: Path) -> None:
    p = finops("anomalies", "--db", str(demo_db), "--team", "suport", cwd=tmp_path)
    assert p.returncode == 2 and "did you mean 'support'" in p.stderr
    garbage = tmp_path / "not-a-store.duckdb"
    garbage.write_text("this is not a DuckDB file")
    p = finops("budgets", "--db", str(garbage), cwd=tmp_path)
    assert p.returncode == 2 and "cannot open" in p.stderr

"""The README's CI snippet, run as documented: bash, the real `finops` CLI, a fake `gh` that logs its calls.

The step must fail while a job is over budget, create one PR comment on the first run and update that same
comment (never post a second one) on the next runs. Expected costs come from the shipped AWS catalog CSV.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from knowledge.prices import gpu_catalog_path
from knowledge.store import open_store

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- finops-estimate -->"

FAKE_GH = r"""#!/usr/bin/env bash
# A stand-in for the GitHub CLI: logs every call, keeps one comment id in $GH_STATE, the posted body in $GH_BODY.
echo "gh $*" >> "$GH_LOG"
if [ "$1" = "pr" ] && [ "$2" = "comment" ]; then
  while [ $# -gt 0 ]; do [ "$1" = "--body-file" ] && cp "$2" "$GH_BODY"; shift; done
  echo 4242 > "$GH_STATE"
  exit 0
fi
if [ "$1" = "api" ]; then
  case " $* " in
    *" --method PATCH "*)
      for a in "$@"; do case "$a" in body=@*) cp "${a#body=@}" "$GH_BODY";; esac; done
      exit 0;;
    *" --jq "*)
      [ -f "$GH_STATE" ] && cat "$GH_STATE"
      exit 0;;
  esac
fi
echo "fake gh: unexpected call: $*" >&2
exit 3
"""


def block(text: str, info: str) -> str:
    m = re.search(r"```" + re.escape(info) + r"\n(.*?)\n```", text, re.S)
    assert m, f"no ```{info} block"
    return m.group(1)


def readme_snippet() -> str:
    return block((ROOT / "README.md").read_text(encoding="utf-8"), "bash ci-gate")


def p5_hourly() -> Decimal:
    with open(gpu_catalog_path(), encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    row = next(r for r in rows if r["instance_type"] == "p5.48xlarge" and r["region"] == "us-east-1")
    return Decimal(row["on_demand_usd_per_hour"])


def manifest(name: str, gpus: int, hours: int, budget: int) -> str:
    return (f"name: {name}\nteam: search\nkind: training\ngpu_type: H100\ngpu_count: {gpus}\nhours: {hours}\n"
            f"region: us-east-1\npricing: on-demand\nbudget: {budget}\nttl_hours: {hours + 2}\n")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "eval-small.yaml").write_text(manifest("eval-small", 8, 2, 1000))
    (tmp_path / "jobs" / "llama-sft.yaml").write_text(manifest("llama-sft", 16, 10, 500))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    finops = shutil.which("finops") or str(Path(sys.executable).parent / "finops")
    (bin_dir / "finops").symlink_to(finops)
    open_store(tmp_path / "store.duckdb").close()
    return tmp_path


def run_step(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{repo / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "FINOPS_DB": str(repo / "store.duckdb"), "GITHUB_REPOSITORY": "acme/ml", "PR_NUMBER": "7",
           "GH_LOG": str(repo / "gh.log"), "GH_STATE": str(repo / "gh.state"), "GH_BODY": str(repo / "body.md")}
    return subprocess.run(["bash", "-c", readme_snippet()], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=300)


def gh_calls(repo: Path) -> list[str]:
    return (repo / "gh.log").read_text().splitlines()


def test_the_docs_workflow_runs_the_readme_snippet_unchanged() -> None:
    workflow = block((ROOT / "docs" / "estimate.md").read_text(encoding="utf-8"), "yaml\nname: finops estimate")
    run = workflow.split("run: |\n", 1)[1]
    assert "\n".join(line[10:] for line in run.splitlines()) == readme_snippet()


def test_the_documented_step_gates_and_keeps_one_comment(repo: Path) -> None:
    hourly = p5_hourly()
    small, sft = (hourly / 8 * 8 * 2).quantize(Decimal("0.01")), (hourly / 8 * 16 * 10).quantize(Decimal("0.01"))
    assert sft > 500                       # llama-sft is over its own budget

    first = run_step(repo)
    assert first.returncode == 1, first.stdout + first.stderr          # over budget: the step fails
    calls = gh_calls(repo)
    assert [c for c in calls if c.startswith("gh pr comment")] == ["gh pr comment 7 --body-file estimate.md"]
    assert not [c for c in calls if "PATCH" in c]
    body = (repo / "body.md").read_text()
    assert MARKER in body and "llama-sft" in body and "eval-small" in body
    assert f"${small + sft:,}" in body and "over budget" in body and "new" in body

    # The job grows: the same comment is updated (PATCH on its id), with the change against the last run.
    (repo / "jobs" / "llama-sft.yaml").write_text(manifest("llama-sft", 16, 12, 500))
    sft12 = (hourly / 8 * 16 * 12).quantize(Decimal("0.01"))
    second = run_step(repo)
    assert second.returncode == 1, second.stdout + second.stderr
    calls = gh_calls(repo)
    assert len([c for c in calls if c.startswith("gh pr comment")]) == 1          # never re-posted
    patches = [c for c in calls if "PATCH" in c]
    assert patches == ["gh api --method PATCH repos/acme/ml/issues/comments/4242 -F body=@estimate.md"]
    body = (repo / "body.md").read_text()
    assert f"+${sft12 - sft:,}" in body and f"${small + sft12:,}" in body

    # Only the small job left, within its budget and under the approval threshold: the step passes.
    (repo / "jobs" / "llama-sft.yaml").unlink()
    third = run_step(repo)
    assert third.returncode == 0, third.stdout + third.stderr
    assert len([c for c in gh_calls(repo) if "PATCH" in c]) == 2
    assert "within budget" in (repo / "body.md").read_text()


def test_a_bad_manifest_fails_the_step_and_still_comments(repo: Path) -> None:
    (repo / "jobs" / "eval-small.yaml").write_text(manifest("eval-small", 8, 2, 1000).replace("gpu_count: 8",
                                                                                             "gpu_count: eight"))
    step = run_step(repo)
    assert step.returncode == 2
    assert "line 5: gpu_count" in step.stderr
    body = (repo / "body.md").read_text()
    assert MARKER in body and "bad input" in body and "line 5: gpu_count" in body

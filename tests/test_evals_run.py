"""The eval suite in CI: both sets on the offline planner, failing when the overall accuracy drops under
the threshold kept in `evals/threshold.yaml`. The demo set runs on the session's demo store (same as_of
and seed as the eval runner, so the planted facts line up); the focus set ingests the FOCUS sample.

The report (accuracy per kind, ms per answer, every failure) is printed: run with `-s` to see it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from evals.report import SuiteReport
from evals.runner import DEMO_AS_OF, DEMO_SEED, run_set
from evals.threshold import load_threshold
from tests.conftest import DEMO_AS_OF as FIXTURE_AS_OF
from tests.conftest import DEMO_SEED as FIXTURE_SEED


def test_the_runner_builds_the_same_demo_as_the_fixture():
    assert (DEMO_AS_OF.isoformat(), DEMO_SEED) == (FIXTURE_AS_OF, FIXTURE_SEED)


@pytest.mark.slow
def test_offline_eval_meets_the_threshold(demo_db: Path):
    threshold = load_threshold()
    sets = [run_set("demo", planner="offline", db=demo_db), run_set("focus", planner="offline")]
    suite = SuiteReport(planner="offline", sets=sets, threshold=threshold.overall, set_thresholds=threshold.sets)
    print("\n" + suite.to_markdown())
    assert all(s.store_unchanged for s in sets), [s.changed_tables for s in sets]
    assert all(c.ms > 0 for s in sets for c in s.cases)
    problems = suite.below_threshold()
    failures = "\n".join(f"- {c.id}: {c.question!r}: expected {c.expected}; {c.why}" for s in sets for c in s.failures)
    assert not problems, "; ".join(problems) + "\n" + failures


def test_finops_eval_cli(tmp_path: Path):
    bad = subprocess.run([sys.executable, "-m", "apps.cli.main", "eval", "--set", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--set must be" in bad.stderr
    run = subprocess.run([sys.executable, "-m", "apps.cli.main", "eval", "--set", "focus", "--only", "focus.aws",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    last = run.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"overall: (\d+\.\d)% \((\d+)/(\d+)\)", last)
    assert m, run.stdout[-2000:] + run.stderr[-2000:]
    passed, total = int(m.group(2)), int(m.group(3))
    assert total == 2
    assert run.returncode == (1 if passed / total < load_threshold().overall else 0)
    md = (tmp_path / "eval-report.md").read_text()
    assert md.rstrip().endswith(last) and "| kind | passed | total | accuracy |" in md
    assert '"cases"' in (tmp_path / "eval-report.json").read_text()

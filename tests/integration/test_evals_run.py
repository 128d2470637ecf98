"""The eval suite in CI: both sets on the offline planner, failing when the overall accuracy drops under
the threshold kept in `evals/threshold.yaml`. The demo set runs on the session's demo store (same as_of
and seed as the eval runner, so the planted facts line up); the focus set ingests the FOCUS sample.

The report (accuracy per kind, ms per answer, every failure) is printed: run with `-s` to see it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evals.report import SuiteReport
from evals.runner import DEMO_AS_OF, DEMO_SEED, run_set
from evals.threshold import load_threshold
from tests.cli import finops_cli
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
    bad = finops_cli("eval", "--set", "nope")                       # in-process (tests/cli.py)
    assert bad.returncode == 2 and "--set must be" in bad.stderr
    run = finops_cli("eval", "--set", "focus", "--only", "focus.aws", "--out", str(tmp_path))
    last = run.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"overall: (\d+\.\d)% \((\d+)/(\d+)\)", last)
    assert m, run.stdout[-2000:] + run.stderr[-2000:]
    passed, total = int(m.group(2)), int(m.group(3))
    assert total == 2
    assert run.returncode == (1 if passed / total < load_threshold().overall else 0)
    md = (tmp_path / "eval-report.md").read_text()
    assert md.rstrip().endswith(last) and "| kind | passed | total | accuracy |" in md
    assert '"cases"' in (tmp_path / "eval-report.json").read_text()


def test_model_planner_path_reports_tokens_per_answer(monkeypatch: pytest.MonkeyPatch):
    """The same suite on the model path: the real ChatOpenAI against the loopback OpenAI-compatible
    server (tests/fakes), which plays a model calling `spend` and quoting its figures; a follow-up
    shares the session. The report carries tokens per answer."""
    from fakes.openai_server import FakeOpenAI, Script, final, tool_call

    script = Script([
        tool_call("spend", {"period": "2024-09", "provider": "Oracle"}),
        final("Oracle billed $0.54 in September 2024."),
        tool_call("spend", {"period": "2024-09", "provider": "AWS"}),
        final("AWS billed $18.01 in September 2024."),
    ])
    with FakeOpenAI(script) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("FINOPS_MODEL", "fake-model")
        monkeypatch.setenv("FINOPS_MODEL_TIMEOUT", "20")
        report = run_set("focus", planner="model", only="conv.focus.providers")
    assert [c.id for c in report.cases] == ["conv.focus.providers#1", "conv.focus.providers#2"]
    assert all(c.passed for c in report.cases), [(c.id, c.why, c.got) for c in report.cases]
    assert all(c.tokens and c.tokens > 0 for c in report.cases)
    suite = SuiteReport(planner="model", sets=[report], threshold=0.0)
    assert f"Tokens per answer: {report.tokens_per_answer():.0f}." in suite.to_markdown()
    # the follow-up went out with the first turn in its history (one session)
    assert "Oracle" in json_dump(server.requests[-1].body)


def test_model_planner_without_a_key_is_refused_before_any_work(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        run_set("focus", planner="model", only="focus.aws")


def json_dump(body: object) -> str:
    import json

    return json.dumps(body)

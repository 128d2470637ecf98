"""Issue 16 #7 through the real Bolt app fed signed requests (tests/fakes/slack_api.py) and the real CLI
gate: nobody approves their own request, and Slack and `finops estimate` apply one approval rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fakes.slack_api import BotHarness

from apps.cli.main import app
from tests.cli import CliRunner
from tests.conftest import catalog_store, duckdb_connect

BIG = ["--name", "llama-sft", "--team", "search", "--instance-type", "p5.48xlarge", "--gpu-count", "64",
       "--hours", "72", "--region", "us-east-1", "--budget", "40000"]          # within budget, over $10,000
SMALL = ["--name", "tiny", "--team", "search", "--instance-type", "p5.48xlarge", "--gpu-count", "8",
         "--hours", "1", "--region", "us-east-1", "--budget", "1000"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return catalog_store(tmp_path_factory.mktemp("slackgate") / "s.duckdb",
                         "('search', 'CC-1', '#search', 's@acme.ai', 'U0SEARCH1, U0SEARCH2')")


@pytest.fixture
def store_path(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FINOPS_APPROVAL_THRESHOLD", raising=False)
    return Path(shutil.copy(template, tmp_path / "s.duckdb"))


@pytest.fixture
def harness(store_path: Path):
    with BotHarness.running(store_path) as h:
        yield h


def gate(store_path: Path, flags: list[str]) -> tuple[int, dict]:
    r = CliRunner().invoke(app, ["estimate", *flags, "--db", str(store_path), "--format", "json"])
    return r.exit_code, json.loads(r.stdout)


def decisions(store_path: Path) -> list[tuple[str, str]]:
    con = duckdb_connect(str(store_path), read_only=True)
    try:
        return con.execute("SELECT decided_by, decision FROM approvals ORDER BY ts, decision").fetchall()
    finally:
        con.close()


def ask_for_approval(h: BotHarness, flags: list[str], user: str):
    h.command("estimate " + " ".join(flags), user=user)
    request = h.api.wait_for("chat.postMessage", where=lambda c: "Approve?" in c.texts())[0]
    h.bot.workers.wait_idle(10)
    return request, request.args["blocks"][1]["elements"][0]["value"]


def test_the_requester_cannot_approve_their_own_request(harness: BotHarness, store_path: Path) -> None:
    request, estimate_id = ask_for_approval(harness, BIG, "U0SEARCH1")   # U0SEARCH1 is an approver of search
    harness.click("finops_approve", estimate_id, user="U0SEARCH1", channel="C0FINOPS", message_ts=request.ts,
                  thread_ts=request.args["thread_ts"])
    refusal = harness.api.wait_for("chat.postEphemeral")[0]
    assert refusal.args["user"] == "U0SEARCH1"
    assert "you asked for this approval" in refusal.texts() and "Nothing was recorded" in refusal.texts()
    assert "<@U0SEARCH2>" in refusal.texts()                  # who can approve instead
    harness.bot.workers.wait_idle(10)
    assert decisions(store_path) == [("U0SEARCH1", "requested")]
    assert harness.api.of("chat.update") == []
    assert gate(store_path, BIG)[0] == 1                       # the gate still says no

    harness.click("finops_approve", estimate_id, user="U0SEARCH2", channel="C0FINOPS", message_ts=request.ts)
    assert "*Approved* by <@U0SEARCH2>" in harness.api.wait_for("chat.update")[0].texts()
    harness.bot.workers.wait_idle(10)
    assert sorted(decisions(store_path)) == [("U0SEARCH1", "requested"), ("U0SEARCH2", "approved")]
    code, out = gate(store_path, BIG)
    assert code == 0 and out["verdict"] == "approved" and out["approved_by"] == "U0SEARCH2"


def test_slack_and_the_gate_apply_the_same_threshold(harness: BotHarness, store_path: Path) -> None:
    request, estimate_id = ask_for_approval(harness, BIG, "U0SEARCH1")
    assert "over the $10,000 approval threshold" in request.texts()
    code, out = gate(store_path, BIG)
    assert (code, out["verdict"], out["estimate_id"]) == (1, "needs approval", estimate_id)
    assert "over the $10,000 approval threshold" in out["reasons"]

    harness.command("estimate " + " ".join(SMALL), user="U0SEARCH1")
    harness.api.wait_for("chat.postMessage", where=lambda c: "within budget" in c.texts())
    harness.bot.workers.wait_idle(10)
    assert sum("Approve?" in c.texts() for c in harness.api.of("chat.postMessage")) == 1   # only BIG's
    code, out = gate(store_path, SMALL)
    assert (code, out["verdict"]) == (0, "within budget")

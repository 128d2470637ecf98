"""Estimate approvals: `/finops estimate` over the threshold posts Approve/Reject; only the team's
approvers decide; the decision is stored in `approvals` and the message is updated (chat.update)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from fakes.slack_api import BotHarness

from knowledge.store import open_store
from tests.conftest import catalog_store, duckdb_connect, usd
from tools.registry import run_tool

FLAGS = ("--name llama-sft --team search --instance-type p5.48xlarge --gpu-count 64 --hours 72 "
         "--region us-east-1 --budget {budget}")


@pytest.fixture(scope="module")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small store on disk: the shipped price catalogs and two teams with their Slack approvers."""
    return catalog_store(tmp_path_factory.mktemp("approvals") / "approvals.duckdb",
                         "('search', 'CC-1', '#team-search', 'lead@acme.ai', 'U0SEARCH1, U0SEARCH2'),"
                         " ('research', 'CC-2', '#team-research', 'r@acme.ai', 'U0RESEARCH1')")


@pytest.fixture
def store_path(template_store: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(template_store, tmp_path / "approvals.duckdb"))


@pytest.fixture
def harness(store_path: Path):
    with BotHarness.running(store_path) as h:
        yield h


def _expected_cost(path: Path) -> Decimal:
    """Hand arithmetic: catalog price of a p5.48xlarge (8 GPUs) in us-east-1 x 8 instances x 72 hours."""
    con = duckdb_connect(str(path), read_only=True)
    try:
        price = con.execute("SELECT on_demand_usd_per_hour FROM gpu_prices WHERE instance_type = 'p5.48xlarge' "
                            "AND region = 'us-east-1' AND provider = 'aws'").fetchone()[0]
    finally:
        con.close()
    return Decimal(price) * 8 * 72


def _approvals(path: Path) -> list[tuple]:
    con = duckdb_connect(str(path), read_only=True)
    try:
        return con.execute("SELECT estimate_id, decided_by, decision, channel, ts FROM approvals "
                           "WHERE decision <> 'requested' ORDER BY ts, decided_by").fetchall()
    finally:
        con.close()


def _request_approval(h: BotHarness, budget: int = 40000):
    response = h.command("estimate " + FLAGS.format(budget=budget), user="U0SEARCH1", channel="C0FINOPS")
    assert response.status == 200 and "Working on it" in response.body
    request = h.api.wait_for("chat.postMessage", where=lambda c: "Approve?" in c.texts())[0]
    return request


def test_estimate_over_threshold_asks_for_approval(harness: BotHarness, store_path: Path) -> None:
    request = _request_approval(harness)
    expected = _expected_cost(store_path)
    opening = harness.api.of("chat.postMessage")[0]
    assert "thread_ts" not in opening.args or opening.args["thread_ts"] is None      # the question, top-level
    answer = harness.api.wait_for("chat.postMessage", where=lambda c: usd(expected) in c.texts())[0]
    assert answer.args["thread_ts"] == request.args["thread_ts"]                     # both in the question's thread
    assert f"This run will cost *{usd(expected, 0)}*" in request.texts()
    assert "over the $10,000 approval threshold" in request.texts()
    buttons = [e for b in request.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Approve", "Reject"]
    estimate_id = buttons[0]["value"]
    con = duckdb_connect(str(store_path), read_only=True)
    stored = con.execute("SELECT expected_cost, team FROM estimates WHERE estimate_id = ?", [estimate_id]).fetchone()
    con.close()
    assert stored == (expected, "search")
    assert "<@U0SEARCH1>, <@U0SEARCH2>" in request.texts()                        # who may decide


def test_non_approver_is_refused_and_nothing_is_stored(harness: BotHarness, store_path: Path) -> None:
    request = _request_approval(harness)
    estimate_id = request.args["blocks"][1]["elements"][0]["value"]
    message_ts = _ts_of(harness, request)
    response = harness.click("finops_approve", estimate_id, user="U0RESEARCH1", channel="C0FINOPS",
                             message_ts=message_ts, thread_ts=request.args["thread_ts"])
    assert response.status == 200
    refusal = harness.api.wait_for("chat.postEphemeral")[0]
    assert refusal.args["user"] == "U0RESEARCH1"
    assert "only the approvers of team `search`" in refusal.texts() and "Nothing was recorded" in refusal.texts()
    harness.bot.workers.wait_idle(10)
    assert _approvals(store_path) == []
    assert harness.api.of("chat.update") == []


def test_approver_decision_is_stored_and_message_updated(harness: BotHarness, store_path: Path) -> None:
    request = _request_approval(harness)
    estimate_id = request.args["blocks"][1]["elements"][0]["value"]
    message_ts = _ts_of(harness, request)
    harness.click("finops_approve", estimate_id, user="U0SEARCH2", channel="C0FINOPS", message_ts=message_ts,
                  thread_ts=request.args["thread_ts"])
    update = harness.api.wait_for("chat.update")[0]
    assert update.args["channel"] == "C0FINOPS" and update.args["ts"] == message_ts
    assert "*Approved* by <@U0SEARCH2>" in update.texts()
    assert not any(b["type"] == "actions" for b in update.args["blocks"])          # buttons gone
    rows = _approvals(store_path)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [(estimate_id, "U0SEARCH2", "approved", "C0FINOPS")]
    assert rows[0][4].strftime("%Y-%m-%d %H:%M") in update.texts()                  # when, as stored

    # A second click (the requester, rejecting) changes nothing: the first decision stands.
    harness.click("finops_reject", estimate_id, user="U0SEARCH1", channel="C0FINOPS", message_ts=message_ts)
    note = harness.api.wait_for("chat.postEphemeral")[0]
    assert "already approved by <@U0SEARCH2>" in note.texts()
    assert len(_approvals(store_path)) == 1


def test_rejection_is_stored(harness: BotHarness, store_path: Path) -> None:
    request = _request_approval(harness)
    estimate_id = request.args["blocks"][1]["elements"][0]["value"]
    harness.click("finops_reject", estimate_id, user="U0SEARCH1", channel="C0FINOPS",
                  message_ts=_ts_of(harness, request))
    update = harness.api.wait_for("chat.update")[0]
    assert "*Rejected* by <@U0SEARCH1>" in update.texts()
    assert [r[2] for r in _approvals(store_path)] == ["rejected"]


def test_approval_unlocks_the_cli_gate(harness: BotHarness, store_path: Path) -> None:
    """Over its own budget: the gate says no until an approver decides in Slack, then yes."""
    args = {"name": "llama-sft", "team": "search", "instance_type": "p5.48xlarge", "gpu_count": 64, "hours": 72,
            "region": "us-east-1", "budget": 20000, "record": False}
    with open_store(store_path, read_only=True) as store:
        assert run_tool(store, "estimate", args).verdict == "over budget"
    request = _request_approval(harness, budget=20000)
    assert "over the job budget of $20,000.00" in request.texts()
    estimate_id = request.args["blocks"][1]["elements"][0]["value"]
    harness.click("finops_approve", estimate_id, user="U0SEARCH2", channel="C0FINOPS",
                  message_ts=_ts_of(harness, request))      # U0SEARCH1 asked, so another approver decides
    harness.api.wait_for("chat.update")
    harness.bot.workers.wait_idle(10)
    with open_store(store_path, read_only=True) as store:
        result = run_tool(store, "estimate", {**args, "approval_id": estimate_id})
    assert result.verdict == "approved" and result.approved_by == "U0SEARCH2"


def test_small_estimate_needs_no_approval(harness: BotHarness) -> None:
    harness.command("estimate --name tiny --team search --instance-type p5.48xlarge --gpu-count 8 --hours 1 "
                    "--region us-east-1 --budget 1000", user="U0SEARCH1")
    harness.api.wait_for("chat.postMessage", count=2)
    harness.bot.workers.wait_idle(10)
    assert not any("Approve?" in c.texts() for c in harness.api.of("chat.postMessage"))
    assert harness.api.of("chat.postMessage")[1].texts().count("within budget") >= 1


def test_bad_estimate_input_gets_a_clear_error(harness: BotHarness) -> None:
    harness.command("estimate --team search --gpu-type H1OO --gpu-count 8 --hours 1", user="U0SEARCH1")
    error = harness.api.wait_for("chat.postMessage", count=2)[1]
    assert ":warning:" in error.texts() and "H1OO" in error.texts()


def _ts_of(h: BotHarness, call) -> str:
    """The ts the fake Slack gave the bot's message (what Slack puts in the button click's container)."""
    assert call.ts
    return call.ts

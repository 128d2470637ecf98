"""The bot end to end on the demo company: the real Bolt app, the real agent (offline planner), a demo
store on disk, signed Slack requests in, and a loopback fake Slack recording what the bot posts.

Expected figures come from `demo_facts` or from SQL written here, never from the code under test.
"""

from __future__ import annotations

import shutil
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fakes.slack_api import BOT_ID, BotHarness, event_body

from tests.conftest import duckdb_connect, usd


@pytest.fixture(scope="module")
def module_demo(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One private copy of the demo store for this module (the bot writes approvals and stored estimates)."""
    return Path(shutil.copy(demo_db, tmp_path_factory.mktemp("slack-events") / "demo.duckdb"))


@pytest.fixture
def harness(module_demo: Path):
    with BotHarness.running(module_demo, planner="offline") as h:
        yield h


def _team_spend(db: Path, team: str, start: date, end: date) -> Decimal:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? "
                           "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", [team, start, end]).fetchone()[0]
    finally:
        con.close()


def _in_thread(h: BotHarness, channel: str, thread_ts: str, *, count: int = 1, timeout: float = 60):
    return h.api.wait_for("chat.postMessage", count, timeout=timeout,
                          where=lambda c: c.args.get("channel") == channel and c.args.get("thread_ts") == thread_ts)


def test_mention_is_answered_in_its_thread_with_the_owner_and_run_rate(harness: BotHarness, demo_facts: dict) -> None:
    cluster = demo_facts["cluster_20k"]
    response = harness.mention(f"who owns {cluster['resource_id']}?", user="U0MLPLAT1", channel="C0PLATFORM",
                               ts="1800000001.000001")
    assert response.status == 200
    reply = _in_thread(harness, "C0PLATFORM", "1800000001.000001")[0]
    text = reply.texts()
    assert f"team {cluster['team']}" in text and cluster["owner"] in text
    assert usd(Decimal(cluster["monthly_cost"])) in text                    # $20,160.00 a month
    blocks = reply.args["blocks"]
    assert any(b["type"] == "section" and b["text"]["text"].startswith("```") for b in blocks)   # rows behind it
    assert any(b["type"] == "context" and "Evidence: tools `who_owns`" in b["elements"][0]["text"] for b in blocks)
    assert any(b["type"] == "actions" and b["elements"][0]["text"]["text"] == "Show evidence" for b in blocks)
    assert reply.args["unfurl_links"] is False


def test_show_evidence_posts_the_sql_in_the_thread(harness: BotHarness, demo_facts: dict) -> None:
    cluster = demo_facts["cluster_20k"]
    harness.mention(f"who owns {cluster['resource_id']}?", user="U0MLPLAT1", channel="C0PLATFORM", ts="1800000002.000001")
    reply = _in_thread(harness, "C0PLATFORM", "1800000002.000001")[0]
    key = [b for b in reply.args["blocks"] if b["type"] == "actions"][0]["elements"][0]["value"]
    harness.click("finops_show_evidence", key, user="U0MLPLAT2", channel="C0PLATFORM", message_ts=reply.ts,
                  thread_ts="1800000002.000001")
    evidence = _in_thread(harness, "C0PLATFORM", "1800000002.000001", count=2)[1].texts()
    assert "tool who_owns(" in evidence and "SELECT" in evidence and "freshness: billing (FOCUS)" in evidence
    assert cluster["resource_id"] in evidence                                  # the parameter it ran with


def test_direct_message_is_answered(harness: BotHarness, demo_facts: dict) -> None:
    charge = demo_facts["charge_17k"]
    harness.dm("what's this $17K charge from last week?", user="U0RESEARCH1", channel="D0RESEARCH",
               ts="1800000003.000001")
    text = _in_thread(harness, "D0RESEARCH", "1800000003.000001")[0].texts()
    assert usd(Decimal(charge["amount"])) in text and charge["date"] in text and charge["resource_id"] in text


def test_slash_command_acks_at_once_and_answers_in_a_thread(harness: BotHarness, module_demo: Path) -> None:
    started = time.monotonic()
    response = harness.command("how much did team search spend last month?", user="U0SEARCH1", channel="C0SEARCH")
    assert response.status == 200 and time.monotonic() - started < 3
    assert "Working on it" in response.body
    opening = harness.api.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "C0SEARCH")[0]
    assert not opening.args.get("thread_ts") and "<@U0SEARCH1> asked" in opening.texts()
    answer = _in_thread(harness, "C0SEARCH", opening.ts)[0].texts()
    october = _team_spend(module_demo, "search", date(2026, 10, 1), date(2026, 11, 1))
    assert usd(october) in answer


def test_follow_up_in_the_same_thread_keeps_the_conversation(harness: BotHarness, module_demo: Path) -> None:
    harness.mention("how much did team search spend last month?", user="U0SEARCH1", channel="C0SEARCH",
                    ts="1800000004.000001")
    first = _in_thread(harness, "C0SEARCH", "1800000004.000001")[0].texts()
    assert usd(_team_spend(module_demo, "search", date(2026, 10, 1), date(2026, 11, 1))) in first
    harness.mention("and the month before?", user="U0SEARCH1", channel="C0SEARCH", ts="1800000004.000002",
                    thread_ts="1800000004.000001")
    second = _in_thread(harness, "C0SEARCH", "1800000004.000001", count=2)[1].texts()
    september = _team_spend(module_demo, "search", date(2026, 9, 1), date(2026, 10, 1))
    assert usd(september) in second and "team search" in second
    # the same words in a new thread have no conversation to follow: no search figure there
    harness.mention("and the month before?", user="U0SEARCH1", channel="C0SEARCH", ts="1800000004.000003")
    fresh = _in_thread(harness, "C0SEARCH", "1800000004.000003")[0].texts()
    assert usd(september) not in fresh


def test_instructions_in_a_tag_are_shown_as_data(harness: BotHarness, demo_facts: dict) -> None:
    planted = demo_facts["prompt_injection"]
    harness.dm("how much of our spend is untagged?", user="U0FINOPS1", channel="D0FINOPS", ts="1800000005.000001")
    replies = _in_thread(harness, "D0FINOPS", "1800000005.000001")
    harness.bot.workers.wait_idle(30)
    text = "\n".join(c.texts() for c in harness.api.of("chat.postMessage"))
    assert f'"{planted["tag_value"]}"' in text                                # quoted, verbatim, as a value
    assert not any("Approve?" in c.texts() or "Approved" in c.texts() for c in harness.api.of("chat.postMessage"))
    assert {c.args["channel"] for c in harness.api.of("chat.postMessage")} == {"D0FINOPS"}
    assert all(c.args.get("thread_ts") == "1800000005.000001" for c in replies)
    assert "system prompt:" not in text.lower()


def test_an_estimate_question_over_the_threshold_gets_approval_buttons(harness: BotHarness, module_demo: Path) -> None:
    harness.mention("This training will cost $50K. Approve? 64 H100 for 72 hours for team search",
                    user="U0SEARCH1", channel="C0SEARCH", ts="1800000006.000001")
    request = harness.api.wait_for("chat.postMessage", timeout=60,
                                   where=lambda c: c.args.get("thread_ts") == "1800000006.000001" and "Approve?" in c.texts())[0]
    estimate_id = [b for b in request.args["blocks"] if b["type"] == "actions"][0]["elements"][0]["value"]
    con = duckdb_connect(str(module_demo), read_only=True)
    try:
        team, cost = con.execute("SELECT team, expected_cost FROM estimates WHERE estimate_id = ?", [estimate_id]).fetchone()
        approvers = con.execute("SELECT approvers FROM teams WHERE team = 'search'").fetchone()[0]
    finally:
        con.close()
    assert team == "search" and f"*{usd(cost, 0)}*" in request.texts()
    assert all(f"<@{u.strip()}>" in request.texts() for u in approvers.split(","))


def test_a_redelivered_event_is_answered_once(harness: BotHarness) -> None:
    body = event_body({"type": "message", "channel_type": "im", "user": "U0DATA1", "text": "any zombie jobs?",
                       "channel": "D0DATA", "ts": "1800000007.000001"}, event_id="EvRETRY1")
    assert harness.dispatch(body, "application/json").status == 200
    assert harness.dispatch(body, "application/json").status == 200          # Slack's retry of the same event
    _in_thread(harness, "D0DATA", "1800000007.000001")
    harness.bot.workers.wait_idle(30)
    texts = [c.texts() for c in harness.api.of("chat.postMessage")]
    assert len(texts) == len(set(texts))


def test_the_bots_own_messages_are_ignored(harness: BotHarness) -> None:
    body = event_body({"type": "message", "channel_type": "im", "bot_id": BOT_ID, "user": "UFINOPSBOT",
                       "text": "any zombie jobs?", "channel": "D0DATA", "ts": "1800000008.000001"}, event_id="EvSELF1")
    assert harness.dispatch(body, "application/json").status == 200
    harness.bot.workers.wait_idle(30)
    assert harness.api.of("chat.postMessage") == []

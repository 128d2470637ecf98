"""Requests to the bot must carry Slack's signature: unsigned, wrongly signed and stale ones get 401."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fakes.slack_api import BOT_USER_ID, BotHarness, FakeSlackApi, event_body, signed_headers
from slack_bolt import BoltRequest


@pytest.fixture
def harness(tmp_path: Path):
    with BotHarness.running(tmp_path / "no-store.duckdb") as h:
        yield h


def _mention_body() -> str:
    return event_body({"type": "app_mention", "user": "U0SEARCH1", "text": f"<@{BOT_USER_ID}> help",
                       "channel": "C0FINOPS", "ts": "1800000000.000001"}, event_id="EvSIG1")


def test_unsigned_request_is_rejected(harness: BotHarness) -> None:
    body = _mention_body()
    response = harness.bot.app.dispatch(BoltRequest(body=body, headers={"content-type": ["application/json"]}))
    assert response.status == 401
    assert harness.api.of("chat.postMessage") == []


def test_wrong_signature_is_rejected(harness: BotHarness) -> None:
    body = _mention_body()
    other = signed_headers("some-other-secret", body)["x-slack-signature"][0]
    assert harness.dispatch(body, "application/json", signature=other).status == 401
    # a signature over a different body (tampered request) fails too
    tampered = signed_headers(BotHarness.SECRET, body.replace("help", "help!"))["x-slack-signature"][0]
    assert harness.dispatch(body, "application/json", signature=tampered).status == 401
    assert harness.api.of("chat.postMessage") == []


def test_stale_timestamp_is_rejected(harness: BotHarness) -> None:
    body = _mention_body()
    # Slack's rule (and Bolt's): a request older than five minutes is a replay, even when correctly signed.
    response = harness.dispatch(body, "application/json", timestamp=int(time.time()) - 6 * 60)
    assert response.status == 401
    assert harness.api.of("chat.postMessage") == []


def test_signed_request_is_accepted_and_answered(harness: BotHarness) -> None:
    response = harness.dispatch(_mention_body(), "application/json")
    assert response.status == 200
    posted = harness.api.wait_for("chat.postMessage")[0]
    assert posted.args["channel"] == "C0FINOPS" and posted.args["thread_ts"] == "1800000000.000001"
    assert "/finops" in posted.texts()            # the help text


def test_command_where_the_bot_cannot_post_answers_privately(tmp_path: Path) -> None:
    """`/finops` in a channel the bot is not in: Slack refuses chat.postMessage, so the user is told
    privately (through the command's response_url) how to fix it, instead of silence."""
    with FakeSlackApi(failing={"chat.postMessage": "not_in_channel"}) as api:
        h = BotHarness(api, tmp_path / "no-store.duckdb")
        try:
            assert h.command("who owns i-0abc?", user="U0SEARCH1", channel="C0ELSEWHERE").status == 200
            reply = api.wait_for("response/", prefix=True)[0]
            assert "invite me to the channel" in reply.args["text"]
            assert reply.args["response_type"] == "ephemeral"
        finally:
            h.close()

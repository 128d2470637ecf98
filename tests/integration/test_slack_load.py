"""50 questions at once over the bot's real HTTP server: all acknowledged, all answered in their own
thread with their own figures, none lost or duplicated. (Latency figures: benchmarks/slack.py.)"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fakes.slack_api import FakeSlackApi, run_load

from apps.slack.app import create_bot
from apps.slack.http_server import EVENTS_PATH, SlackHTTPServer
from apps.slack.settings import SlackSettings
from tests.conftest import usd

SECRET = "load-secret"


@pytest.mark.slow
def test_fifty_concurrent_questions_are_all_answered_once(writable_demo: Path, demo_facts: dict) -> None:
    cluster, charge = demo_facts["cluster_20k"], demo_facts["charge_17k"]
    kinds = [(f"who owns {cluster['resource_id']}?", cluster["owner"]),
             ("what's this $17K charge from last week?", usd(Decimal(charge["amount"])))]
    questions = [kinds[i % 2][0] for i in range(50)]
    with FakeSlackApi() as api:
        bot = create_bot(SlackSettings(bot_token="xoxb-load", signing_secret=SECRET, api_url=api.url,
                                       db=writable_demo, planner="offline"))
        server = SlackHTTPServer(bot.app, "127.0.0.1", 0)
        server.start_background()
        try:
            result = run_load(api, f"http://127.0.0.1:{server.port}{EVENTS_PATH}", SECRET, questions, timeout=300)
        finally:
            server.shutdown()
            server.server_close()
            bot.close()
        assert result.acked == 50 and max(result.ack_ms) < 3000
        assert result.answered == 50 and result.duplicated == 0
        for i, (_, expected) in enumerate(kinds[i % 2] for i in range(50)):
            thread = f"1900000000.{i:06d}"
            first = [c for c in api.of("chat.postMessage") if c.args.get("thread_ts") == thread][0]
            assert expected in first.texts(), (i, first.texts()[:200])

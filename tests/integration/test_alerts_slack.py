"""Alerts delivered over HTTP to a loopback Slack Web API, and the buttons clicked through the real Bolt app
with signed requests: post → Acknowledge → the next run is quiet; Show evidence answers in the thread; a new
state (the next threshold) posts again. Names from the data are escaped (mrkdwn injection)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from apps.slack.alerts import ACK_ACTION, EVIDENCE_ACTION, REMEDIATION_ACTION, SNOOZE_ACTION
from tests.cli import Ran, finops_cli
from tests.conftest import duckdb_connect
from tests.fakes.slack_api import BotHarness, Call, FakeSlackApi

INJECTED = "<!channel> *URGENT* <https://evil.example|approve all>"


def run_alerts(db: Path, api: FakeSlackApi, **extra: str) -> Ran:
    """`finops alerts run` in-process (tests/cli.py), posting to the loopback Slack Web API over HTTP."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(db.parent), "SLACK_BOT_TOKEN": "xoxb-test-token",
           "SLACK_API_URL": api.url, **extra}
    p = finops_cli("alerts", "run", "--db", str(db), "--json", "--now", "2026-11-25T09:00", env=env)
    assert p.returncode == 0, p.stderr + p.stdout
    return p


def buttons(call: Call) -> list[dict]:
    return [e for b in call.args["blocks"] if b["type"] == "actions" for e in b["elements"]]


def ledger_messages(db: Path) -> int:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(DISTINCT ts) FROM alert_ledger").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def store(writable_demo: Path, facts: dict) -> Path:
    con = duckdb_connect(str(writable_demo))          # a resource name carrying Slack markup (untrusted data)
    con.execute("UPDATE endpoints SET name = ? WHERE endpoint_id = ?", [INJECTED, facts["idle_endpoint"]["endpoint_id"]])
    con.close()
    return writable_demo


def test_post_click_acknowledge_then_quiet(store: Path, facts: dict) -> None:
    over = facts["budget_over_80"]
    with FakeSlackApi() as api:
        report = json.loads(run_alerts(store, api).stdout)
        posts = api.of("chat.postMessage")
        assert len(posts) == ledger_messages(store) > 0 == report["counts"].get("failed", 0)
        assert all(p.token == "xoxb-test-token" for p in posts)
        budget = next(p for p in posts if f"Budget team:{over['team']} past 80%" in p.texts())
        assert budget.args["channel"] == "#team-support"
        assert [b["action_id"] for b in buttons(budget)] == [ACK_ACTION, SNOOZE_ACTION, EVIDENCE_ACTION, REMEDIATION_ACTION]
        assert f"${Decimal(over['spent']):,}" in budget.texts()

        idle = next(p for p in posts if "idle endpoint" in p.texts())
        assert "&lt;!channel&gt;" in idle.texts() and "<!channel>" not in json.dumps(idle.args["blocks"])
        assert "<https://evil.example" not in json.dumps(idle.args["blocks"])

        run_alerts(store, api)                                           # a second run posts nothing new
        assert len(api.of("chat.postMessage")) == len(posts)

        harness = BotHarness(api, store)
        try:
            ack = buttons(budget)[0]
            response = harness.click(ACK_ACTION, ack["value"], user="U0SUPPORT1", channel=budget.args["channel"],
                                     message_ts=budget.ts)
            assert response.status == 200
            update = api.wait_for("chat.update")[0]
            assert update.args["ts"] == budget.ts and "*Acknowledged* by <@U0SUPPORT1>" in update.texts()
            assert not any(b["type"] == "actions" for b in update.args["blocks"])

            evidence = buttons(idle)[2]
            harness.click(EVIDENCE_ACTION, evidence["value"], user="U0SUPPORT1", channel=idle.args["channel"],
                          message_ts=idle.ts)
            shown = api.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == idle.ts)[0]
            assert "SELECT" in shown.texts() and "Evidence for" in shown.texts()

            harness.click(REMEDIATION_ACTION, buttons(idle)[3]["value"], user="U0SUPPORT1", channel=idle.args["channel"],
                          message_ts=idle.ts)
            fix = api.wait_for("chat.postMessage", count=2, where=lambda c: c.args.get("thread_ts") == idle.ts)[1]
            assert "delete-endpoint" in fix.texts() and "Nothing is executed" in fix.texts()
            assert "<!channel>" not in json.dumps(fix.args["blocks"])

            harness.click(SNOOZE_ACTION, buttons(idle)[1]["value"], user="U0SUPPORT1", channel=idle.args["channel"],
                          message_ts=idle.ts)
            snoozed = api.wait_for("chat.update", where=lambda c: c.args["ts"] == idle.ts)[0]
            assert "*Snoozed* by <@U0SUPPORT1> until" in snoozed.texts()
            harness.bot.workers.wait_idle(10)
        finally:
            harness.close()
        con = duckdb_connect(str(store), read_only=True)
        decided = con.execute("SELECT alert_key, state, decision, decided_by FROM alert_decisions "
                              "WHERE decision = 'acknowledged'").fetchall()
        snooze = con.execute("SELECT alert_key, until_ts - ts FROM alert_decisions WHERE decision = 'snoozed'").fetchall()
        assert [(k, d.days) for k, d in snooze] == [(json.loads(buttons(idle)[1]["value"])["k"], 7)]
        spent = Decimal(next(a for a in report["alerts"] if a["key"] == json.loads(ack["value"])["k"])["amounts"]["spent"])
        con.close()
        assert decided == [(f"budget:team:{over['team']}:{over['period_start']}", "80%", "acknowledged", "U0SUPPORT1")]

        before = len(api.of("chat.postMessage"))
        run_alerts(store, api)                                           # acknowledged and already posted: quiet
        assert len(api.of("chat.postMessage")) == before

        con = duckdb_connect(str(store))                                 # the condition changes: past 90%
        con.execute("UPDATE budgets SET amount = ? WHERE scope_kind = 'team' AND scope_name = ? AND period_start = ?",
                    [(spent / Decimal("0.95")).quantize(Decimal("0.01")), over["team"], over["period_start"]])
        con.close()
        last = json.loads(run_alerts(store, api).stdout)
        new = api.of("chat.postMessage")[before:]
        posted = sorted((a["key"], a["state"]) for a in last["alerts"] if a["status"] == "posted")
        assert len(new) == len(posted) and {c.args["channel"] for c in new} == {"#team-support"}
        assert (f"budget:team:{over['team']}:{over['period_start']}", "90%") in posted
        assert {k.split(":", 1)[0] for k, _ in posted} <= {"budget", "forecast"}   # the forecast moved closer too
        assert any(f"Budget team:{over['team']} past 90%" in c.texts() for c in new)


def test_digest_mode_sends_one_message_per_channel(store: Path) -> None:
    with FakeSlackApi() as api:
        report = json.loads(run_alerts(store, api, FINOPS_ALERTS_DIGEST="low,medium").stdout)
        posts = api.of("chat.postMessage")
        digested = [a for a in report["alerts"] if a["status"] == "digested"]
        assert digested and all(a["severity"] in ("low", "medium") for a in digested)
        for channel in {a["channel"] for a in digested}:
            mine = [a for a in digested if a["channel"] == channel]
            digests = [p for p in posts if p.args["channel"] == channel and "Digest:" in p.texts()]
            assert len(digests) == 1 and not buttons(digests[0])
            assert f"Digest: {len(mine)} alerts" in digests[0].texts()
            assert {a["ts"] for a in mine} == {digests[0].ts}
            for a in mine:
                assert a["key"] in digests[0].texts()
        high = [a for a in report["alerts"] if a["severity"] == "high"]
        assert all(a["status"] == "posted" for a in high)

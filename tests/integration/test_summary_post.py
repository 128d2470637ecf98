"""`finops summary --post` against a loopback stand-in for the Slack Web API: the company channel and each
team's channel get the week's summary with its chart in the thread; a second run posts nothing new
(one post per channel, recorded in `summary_posts`); a failed post is reported and retried next run."""

from __future__ import annotations

import io
import os
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from PIL import Image

from apps.report.slack_post import PostSettings, post_summaries
from apps.report.week import resolve_week
from knowledge.store import open_store
from tests.cli import Ran, finops_cli
from tests.conftest import DEMO_AS_OF, duckdb_connect, usd
from tests.fakes.slack_api import FakeSlackApi

COMPANY_CHANNEL = "#finops-weekly"


def finops(*args: str, env: dict[str, str]) -> Ran:
    """The real CLI, in-process (tests/cli.py)."""
    return finops_cli(*args, env={**os.environ, **env})


def keep_channels(db: Path, teams: list[str]) -> dict[str, str]:
    """Only these teams keep their Slack channel (a team without one is skipped): fewer summaries to build."""
    con = duckdb_connect(str(db))
    try:
        con.execute("UPDATE teams SET slack_channel = NULL WHERE NOT list_contains(?, team)", [teams])
        return dict(con.execute("SELECT team, slack_channel FROM teams WHERE slack_channel IS NOT NULL").fetchall())
    finally:
        con.close()


def team_spend_before(db: Path, team: str, start: str, end: str) -> Decimal:
    con = duckdb_connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? "
                          "AND ChargePeriodStart >= CAST(? AS TIMESTAMP) AND ChargePeriodStart < CAST(? AS TIMESTAMP)",
                          [team, start, end]).fetchone()
        return row[0]
    finally:
        con.close()


def test_post_twice_gives_one_post_per_channel(writable_demo: Path, demo_facts: dict):
    over_budget, spike = demo_facts["budget_over_80"], demo_facts["anomaly_spike"]
    channels = keep_channels(writable_demo, sorted({over_budget["team"], spike["team"]}))
    assert len(channels) == 2
    expected = {COMPANY_CHANNEL, *channels.values()}
    args = ["summary", "--db", str(writable_demo), "--post", "--week", "2026-W47", "--as-of", DEMO_AS_OF]
    with FakeSlackApi() as api:
        env = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": api.url,
               "FINOPS_SUMMARY_CHANNEL": COMPANY_CHANNEL}
        first = finops(*args, env=env)
        assert first.returncode == 0, first.stderr
        assert first.stdout.count(": posted (") == 3
        second = finops(*args, env=env)
        assert second.returncode == 0, second.stderr
        assert second.stdout.count(": already posted (") == 3 and ": posted (" not in second.stdout

        posts = api.of("chat.postMessage")
        assert sorted(c.args["channel"] for c in posts) == sorted(expected), "exactly one post per channel"
        assert all(c.token == "xoxb-test-token" for c in posts)
        # The chart goes into each message's thread (files_upload_v2: URL, upload, complete).
        completes = api.of("files.completeUploadExternal")
        assert sorted((c.args["channel_id"], c.args["thread_ts"]) for c in completes) == \
            sorted((c.response["channel"], c.response["ts"]) for c in posts)
        assert len(api.uploads) == 3
        for data in api.uploads.values():
            image = Image.open(io.BytesIO(data))
            assert image.format == "PNG" and image.width > 400

        company = next(c for c in posts if c.args["channel"] == COMPANY_CHANNEL).texts()
        assert "Weekly cost summary 2026-W47" in company
        assert f"{spike['scope']} (service) spiked" in company
        # Budgets are as of the week's end (Mon 2026-11-23), not of the later --as-of date.
        assert f"{over_budget['team']} (team) has spent" in company
        assert usd(team_spend_before(writable_demo, over_budget["team"], "2026-11-01", "2026-11-23")) in company
        assert "% of the week's billed spend" in company and "has no team tag" in company
        team_post = next(c for c in posts if c.args["channel"] == channels[over_budget["team"]]).texts()
        assert f"Weekly cost summary 2026-W47: team {over_budget['team']}" in team_post
        assert f"--team {over_budget['team']}" in team_post          # the evidence pointer names the scope
        assert len(next(c for c in posts if c.args["channel"] == COMPANY_CHANNEL).args["blocks"]) <= 50

    con = duckdb_connect(str(writable_demo), read_only=True)
    rows = con.execute("SELECT week, scope, channel, ts, file_id FROM summary_posts ORDER BY channel").fetchall()
    con.close()
    assert sorted(r[2] for r in rows) == sorted(expected)
    assert {r[0] for r in rows} == {"2026-W47"} and all(r[3] and r[4] for r in rows)
    assert {r[1] for r in rows} == {"(company)", *channels}


def test_a_failed_post_is_reported_and_retried(writable_demo: Path, demo_facts: dict):
    team = demo_facts["budget_over_80"]["team"]
    week = resolve_week("2026-W47", date.fromisoformat(DEMO_AS_OF))
    with FakeSlackApi(failing={"chat.postMessage": "not_in_channel"}) as api, open_store(writable_demo) as store:
        settings = PostSettings(token="xoxb-test-token", api_url=api.url, company_channel=COMPANY_CHANNEL)
        cache: dict = {}
        failed = post_summaries(store, week, settings, team=team, cache=cache)
        assert [(o.channel, o.status, o.error) for o in failed] == [(f"#team-{team}", "failed", "not_in_channel")]
        assert store.con.execute("SELECT count(*) FROM summary_posts").fetchone()[0] == 0
        api.failing.clear()
        retried = post_summaries(store, week, settings, team=team, cache=cache)
        assert [(o.channel, o.status) for o in retried] == [(f"#team-{team}", "posted")]
        assert retried[0].file_id in api.uploads
        again = post_summaries(store, week, settings, team=team, cache=cache)
        assert [o.status for o in again] == ["already posted"]
        assert len(api.of("chat.postMessage", where=lambda c: isinstance(c.response, dict) and c.response["ok"])) == 1


def test_a_malformed_upload_answer_after_the_post_is_reported_not_raised(writable_demo: Path, demo_facts: dict):
    """The message is posted and recorded; a chart upload whose answer lacks its fields is an error in the
    outcome (the next run does not post the message again), never an uncaught exception."""
    team = demo_facts["budget_over_80"]["team"]
    week = resolve_week("2026-W47", date.fromisoformat(DEMO_AS_OF))
    for method in ("files.getUploadURLExternal", "files.completeUploadExternal"):
        with FakeSlackApi(malformed={method}) as api, open_store(copy_of(writable_demo, method)) as store:
            settings = PostSettings(token="xoxb-test-token", api_url=api.url, company_channel=COMPANY_CHANNEL)
            [outcome] = post_summaries(store, week, settings, team=team)
            assert outcome.status == "posted" and outcome.error is not None, method
            assert outcome.error.startswith("message posted, chart upload failed"), outcome.error
            assert store.con.execute("SELECT count(*) FROM summary_posts").fetchone()[0] == 1
            [again] = post_summaries(store, week, settings, team=team)
            assert again.status == "already posted"
            assert len(api.of("chat.postMessage")) == 1


def copy_of(db: Path, tag: str) -> Path:
    dst = db.with_name(f"{db.stem}-{tag.replace('.', '-')}.duckdb")
    shutil.copy(db, dst)
    return dst

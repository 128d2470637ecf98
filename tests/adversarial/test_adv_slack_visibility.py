"""Issue 16 #8 through the real Bolt app fed signed requests, on the demo company: a user who may see
only team search gets no other team's resource in "Other close matches", and no other team's name in a
"did you mean" list. Which team a resource belongs to is read with plain SQL over the store (the tag,
else the ownership rule), not from the code under test."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from fakes.slack_api import BotHarness

from agent.service import ask
from tests.conftest import duckdb_connect, usd

ACCESS = """\
default: []
users:
  U0SEARCH1: [search]
  U0FINOPS1: ["*"]
"""


@pytest.fixture
def harness(writable_demo: Path, tmp_path: Path):
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS)
    with BotHarness.running(writable_demo, access_file=access, planner="offline") as h:
        yield h


def teams_of(db: Path, resource_id: str) -> set[str | None]:
    con = duckdb_connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """
            SELECT DISTINCT coalesce(nullif(c.Tags['team'], ''),
                   (SELECT o.team FROM ownership o WHERE o.match_kind = 'resource_id' AND o.pattern = c.ResourceId
                    ORDER BY o.priority LIMIT 1))
            FROM focus_charges c WHERE c.ResourceId = ?
            """, [resource_id]).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def reply(h: BotHarness, question: str, user: str, ts: str) -> str:
    h.mention(question, user=user, channel="C0GENERAL", ts=ts)
    return h.api.wait_for("chat.postMessage", timeout=60, where=lambda c: c.args.get("thread_ts") == ts)[0].texts()


def test_other_close_matches_of_other_teams_are_left_out(harness: BotHarness, writable_demo: Path,
                                                          demo_facts: dict) -> None:
    cluster = demo_facts["cluster_20k"]
    assert cluster["team"] == "search"
    question = "who owns the $20K cluster?"
    unfiltered = ask(question, db=writable_demo, planner="offline")
    alternatives = unfiltered.results[0]["alternatives"]
    foreign = [a for a in alternatives if teams_of(writable_demo, a["resource_id"]) != {"search"}]
    assert foreign, "the demo question must have another team's resource among its close matches"

    admin = reply(harness, question, "U0FINOPS1", "1810000000.000001")
    assert "Other close matches" in admin and all(a["resource_id"] in admin for a in foreign)

    shown = reply(harness, question, "U0SEARCH1", "1810000000.000002")
    assert "sorry" not in shown.lower()
    assert usd(Decimal(cluster["monthly_cost"])) in shown and cluster["resource_id"] in shown
    for a in foreign:
        assert a["resource_id"] not in shown
        if a.get("resource_name"):
            assert a["resource_name"] not in shown
        assert f"{usd(Decimal(a['run_rate_monthly']))}/month" not in shown
    assert "you can't see here left out" in shown
    # Nothing else posted in that thread (table, evidence) names them either.
    harness.bot.workers.wait_idle(10)
    thread = [c.texts() for c in harness.api.of("chat.postMessage") if c.args.get("thread_ts") == "1810000000.000002"]
    for a in foreign:
        assert all(a["resource_id"] not in t for t in thread)


def test_did_you_mean_lists_only_names_the_user_may_see(harness: BotHarness) -> None:
    question = "how much did serch spend last week?"
    admin = reply(harness, question, "U0FINOPS1", "1810000000.000003")
    assert "research" in admin and "search" in admin
    shown = reply(harness, question, "U0SEARCH1", "1810000000.000004")
    assert "'search'" in shown
    assert not re.search(r"\bresearch\b", shown)

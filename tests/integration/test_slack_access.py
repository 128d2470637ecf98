"""Who may see what: a user (or channel) mapped to other teams gets a polite refusal, not the numbers."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from fakes.slack_api import BotHarness

from apps.slack.access import AccessError, AccessPolicy
from tests.conftest import catalog_store, usd

ACCESS = """\
default: []
users:
  U0SEARCH1: [search]
  U0RESEARCH1: [research]
  U0FINOPS1: ["*"]
channels:
  C0RESEARCH: [research]
"""
ESTIMATE = ("estimate --name llama-sft --team search --instance-type p5.48xlarge --gpu-count 64 --hours 72 "
            "--region us-east-1 --budget 40000")


@pytest.fixture(scope="module")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return catalog_store(tmp_path_factory.mktemp("access") / "access.duckdb",
                         "('search', 'CC-1', '#team-search', 'l@acme.ai', 'U0SEARCH1'),"
                         " ('research', 'CC-2', '#team-research', 'r@acme.ai', 'U0RESEARCH1')")


@pytest.fixture
def harness(template_store: Path, tmp_path: Path):
    db = Path(shutil.copy(template_store, tmp_path / "access.duckdb"))
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS)
    with BotHarness.running(db, access_file=access) as h:
        yield h


def _thread_replies(h: BotHarness) -> list:
    return [c for c in h.api.of("chat.postMessage") if c.args.get("thread_ts")]


def test_user_of_another_team_gets_a_refusal_without_numbers(harness: BotHarness) -> None:
    harness.command(ESTIMATE, user="U0RESEARCH1", channel="C0GENERAL")
    harness.api.wait_for("chat.postMessage", count=2)
    harness.bot.workers.wait_idle(10)
    replies = _thread_replies(harness)
    assert len(replies) == 1
    text = replies[0].texts()
    assert "<@U0RESEARCH1>, sorry" in text and "team `search`" in text and "research" in text
    assert "$" not in text                                              # no figure leaks
    assert not any("Approve?" in c.texts() for c in harness.api.of("chat.postMessage"))


def test_user_outside_the_mapping_gets_a_refusal(harness: BotHarness) -> None:
    harness.command(ESTIMATE, user="U0STRANGER", channel="C0GENERAL")
    harness.api.wait_for("chat.postMessage", count=2)
    harness.bot.workers.wait_idle(10)
    text = _thread_replies(harness)[0].texts()
    assert "sorry" in text and "covers no team" in text and "$" not in text


def test_user_of_the_team_sees_the_answer(harness: BotHarness) -> None:
    harness.command(ESTIMATE, user="U0SEARCH1", channel="C0GENERAL")
    harness.api.wait_for("chat.postMessage", where=lambda c: "Approve?" in c.texts())
    assert any("This run will cost $" in c.texts() for c in _thread_replies(harness))


def test_channel_mapping_narrows_what_even_an_admin_sees_there(harness: BotHarness) -> None:
    """An answer in #research is read by everyone there: search's costs are refused even for an admin."""
    harness.command(ESTIMATE, user="U0FINOPS1", channel="C0RESEARCH")
    harness.api.wait_for("chat.postMessage", count=2)
    harness.bot.workers.wait_idle(10)
    text = _thread_replies(harness)[0].texts()
    assert "team `search`" in text and "$" not in text
    # ...while in a DM the admin's own access applies
    harness.dm(ESTIMATE, user="U0FINOPS1", channel="D0ADMIN")
    harness.api.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "D0ADMIN" and "This run will cost $" in c.texts())


def test_policy_scopes(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(ACCESS)
    policy = AccessPolicy.load(path)
    assert policy.scope_for("U0SEARCH1", "C0GENERAL").teams == {"search"}
    assert policy.scope_for("U0FINOPS1", "C0GENERAL").all
    assert policy.scope_for("U0FINOPS1", "C0RESEARCH").teams == {"research"}
    assert policy.scope_for("U0SEARCH1", "C0RESEARCH").teams == set()
    assert policy.scope_for("U0NOBODY", "D0X").teams == set()
    assert AccessPolicy.load(None).scope_for("anyone", "C1").all          # no mapping: everyone sees all


def test_bad_mapping_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("users: [U1, U2]\n")
    with pytest.raises(AccessError, match="users"):
        AccessPolicy.load(path)
    with pytest.raises(AccessError, match="cannot read"):
        AccessPolicy.load(tmp_path / "missing.yaml")


@pytest.fixture
def demo_harness(writable_demo: Path, tmp_path: Path):
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS)
    with BotHarness.running(writable_demo, access_file=access, planner="offline") as h:
        yield h


def test_questions_about_another_teams_resource_are_refused(demo_harness: BotHarness, demo_facts: dict) -> None:
    cluster = demo_facts["cluster_20k"]
    assert cluster["team"] == "search"
    question = f"who owns {cluster['resource_id']}?"
    demo_harness.mention(question, user="U0RESEARCH1", channel="C0GENERAL", ts="1810000000.000001")
    refused = demo_harness.api.wait_for("chat.postMessage", timeout=60,
                                        where=lambda c: c.args.get("thread_ts") == "1810000000.000001")[0].texts()
    assert "sorry" in refused and "team `search`" in refused
    assert "$" not in refused and cluster["owner"] not in refused
    demo_harness.mention("how much did we spend last month by team?", user="U0SEARCH1", channel="C0GENERAL",
                         ts="1810000000.000002")
    company = demo_harness.api.wait_for("chat.postMessage", timeout=60,
                                        where=lambda c: c.args.get("thread_ts") == "1810000000.000002")[0].texts()
    assert "sorry" in company and "$" not in company                       # other teams' figures in it
    demo_harness.mention(question, user="U0SEARCH1", channel="C0GENERAL", ts="1810000000.000003")
    shown = demo_harness.api.wait_for("chat.postMessage", timeout=60,
                                      where=lambda c: c.args.get("thread_ts") == "1810000000.000003")[0].texts()
    assert usd(Decimal(cluster["monthly_cost"])) in shown and cluster["owner"] in shown

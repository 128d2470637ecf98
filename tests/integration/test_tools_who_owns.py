"""who_owns: by id, name or loose text (an amount matches resources by monthly run rate)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from test_tools_support import INJECTION, focus_db, focus_store, mini_db, mini_store  # noqa: F401 - fixtures

from knowledge.store import Store
from tests.conftest import duckdb_connect
from tools.contract import UnknownNameError
from tools.registry import run_tool
from tools.who_owns import WhoOwnsResult

AS_OF = date(2026, 11, 25)


def _cost_30d(store: Store, rid: str) -> Decimal:
    return store.con.execute(
        "SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ? AND ChargePeriodStart >= ? AND ChargePeriodStart < ?",
        [rid, datetime.combine(AS_OF - timedelta(days=30), datetime.min.time()), datetime.combine(AS_OF, datetime.min.time())],
    ).fetchone()[0]


@pytest.mark.parametrize("text", ["the $20K cluster", "who owns the $20K/month inference cluster?", "20k gpu cluster"])
def test_the_20k_cluster(demo_store: Store, demo_facts: dict, text: str) -> None:
    fact = demo_facts["cluster_20k"]
    r = run_tool(demo_store, "who_owns", {"resource": text})
    assert isinstance(r, WhoOwnsResult)
    assert r.resource.resource_id == fact["resource_id"]
    assert (r.team, r.owner) == (fact["team"], fact["owner"])
    assert r.resource.run_rate_monthly == Decimal(fact["monthly_cost"])
    assert r.resource.cost_last_30d == _cost_30d(demo_store, fact["resource_id"])
    channel = demo_store.con.execute("SELECT slack_channel FROM teams WHERE team = ?", [fact["team"]]).fetchone()[0]
    assert r.slack_channel == channel
    # how it is known: the ownership rule first (0.9), and the job that created it (0.7); no tag
    rule = r.sources[0]
    assert rule.source == "ownership_rule" and f"#{fact['rule_id']}" in rule.detail and rule.confidence == Decimal("0.9")
    job = next(s for s in r.sources if s.source == "gpu_job")
    assert fact["created_by_job"] in job.detail and job.confidence == Decimal("0.7") and job.team == fact["team"]
    assert not any(s.source == "tag" for s in r.sources)
    text_out = r.summary()
    assert text_out.startswith("The $20,160.00/month resource")
    assert f"team {fact['team']}" in text_out and "ownership rule" in text_out and "no team tag" in text_out


def test_same_answer_by_id_and_by_name(demo_store: Store, demo_facts: dict) -> None:
    fact = demo_facts["cluster_20k"]
    by_id = run_tool(demo_store, "who_owns", {"resource": fact["resource_id"]})
    by_name = run_tool(demo_store, "who_owns", {"resource": fact["resource_name"].upper()})
    assert by_id.resource.resource_id == by_name.resource.resource_id == fact["resource_id"]
    assert by_id.resource.matched_by == "id or name"
    # the team agrees with the store's own allocation view
    allocated = demo_store.con.execute(
        "SELECT DISTINCT x_team FROM charges_allocated WHERE ResourceId = ?", [fact["resource_id"]]).fetchall()
    assert allocated == [(by_id.team,)]


def test_the_8k_endpoint_by_amount_and_kind(demo_store: Store, demo_facts: dict) -> None:
    fact = demo_facts["idle_endpoint"]
    r = run_tool(demo_store, "who_owns", {"resource": "the $8K endpoint"})
    assert r.resource.resource_id == fact["resource_id"]
    assert r.team == fact["team"]
    endpoint = next(s for s in r.sources if s.source == "endpoint")
    assert fact["endpoint_id"] in endpoint.detail and endpoint.confidence == Decimal("0.8")


def test_tag_values_come_back_unchanged(demo_store: Store, demo_facts: dict) -> None:
    fact = demo_facts["prompt_injection"]
    r = run_tool(demo_store, "who_owns", {"resource": fact["resource_id"]})
    assert r.tags[fact["tag_key"]] == fact["tag_value"]
    assert fact["tag_value"] not in r.summary()  # not spliced into the answer's sentences


def test_loose_text_without_amount(mini_store: Store) -> None:
    r = run_tool(mini_store, "who_owns", {"resource": "llama 70b endpoint"})
    assert r.resource.resource_id == "ep-res-llama" and r.team == "recsys"
    assert "endpoint" in r.resource.matched_by
    # a team tag that is not a team, shown quoted
    r = run_tool(mini_store, "who_owns", {"resource": "logs-bucket"})
    assert r.team == INJECTION and not r.team_in_registry
    assert '"Ignore previous instructions' in r.summary() and "not a team in the teams table" in r.summary()


def test_focus_sample_owner_only_from_tags(focus_store: Store) -> None:
    rid, name = focus_store.con.execute(
        "SELECT ResourceId, min(ResourceName) FROM focus_charges WHERE Tags['business_unit'] IS NOT NULL "
        "GROUP BY ResourceId ORDER BY sum(BilledCost) DESC, ResourceId LIMIT 1").fetchone()
    r = run_tool(focus_store, "who_owns", {"resource": rid})
    assert r.team is None
    assert [s.source for s in r.sources] and all(s.source == "tag_hint" for s in r.sources)
    assert "has no known owner" in r.summary()
    # costs are for the last 30 days of data (September 2024), not of the calendar
    assert r.window.end == date(2024, 10, 1)


def test_unknown_resource_is_a_typed_error(demo_store: Store) -> None:
    with pytest.raises(UnknownNameError, match="unknown resource 'zzzz-qqqq'"):
        run_tool(demo_store, "who_owns", {"resource": "zzzz-qqqq"})


@pytest.mark.parametrize("description", [
    # written after the fix: names that share a word with real resources but are none of them
    "the payments-ledger-db database",
    "bucket acme-finance-exports",
    "the recsys-ranker-z endpoint",
])
def test_a_named_resource_that_does_not_exist_is_unknown_not_a_lookalike(demo_db, description: str):
    from knowledge.store import open_store

    with open_store(demo_db, read_only=True) as store, pytest.raises(UnknownNameError) as err:
        run_tool(store, "who_owns", {"resource": description})
    assert "did you mean" in str(err.value)


def test_a_named_resource_that_exists_is_still_found_by_its_name(demo_db):
    from knowledge.store import open_store

    with open_store(demo_db, read_only=True) as store:
        result = run_tool(store, "who_owns", {"resource": "the recsys-ranker-a endpoint"})
    assert isinstance(result, WhoOwnsResult) and result.resource.resource_name == "recsys-ranker-a"


def test_the_tags_shown_are_the_latest_tagged_charge_s_even_when_the_latest_charge_is_untagged(
        writable_demo: Path) -> None:
    """who_owns reads the latest charge's tag map only; when that charge carries no tags it falls back to the
    latest tagged one (expected values from SQL over the same file, before the untagged charge is added)."""
    from knowledge.store import open_store

    con = duckdb_connect(str(writable_demo))
    rid, tags, last = con.execute(
        "SELECT ResourceId, Tags, ChargePeriodStart FROM focus_charges "
        "WHERE cardinality(Tags) > 0 AND x_tag_team IS NOT NULL AND ResourceId IS NOT NULL "
        "ORDER BY ChargePeriodStart DESC, ResourceId, CAST(Tags AS VARCHAR) LIMIT 1").fetchone()
    # a later, untagged charge of the same resource (a copy of its latest row, one hour on, no tags)
    con.execute(
        "INSERT INTO focus_charges SELECT * REPLACE (ChargePeriodStart + INTERVAL 1 HOUR AS ChargePeriodStart, "
        "NULL AS Tags, NULL AS x_tag_team, NULL AS x_tag_owner, NULL AS x_tag_project, NULL AS x_tag_env, "
        "NULL AS x_tag_app, NULL AS x_tag_model) FROM focus_charges "
        "WHERE ResourceId = ? AND ChargePeriodStart = ? LIMIT 1", [rid, last])
    con.close()
    with open_store(writable_demo, read_only=True) as store:
        r = run_tool(store, "who_owns", {"resource": rid})
    assert r.resource.resource_id == rid
    assert r.tags == dict(tags) and r.tags
    assert any(s.source == "tag" for s in r.sources)

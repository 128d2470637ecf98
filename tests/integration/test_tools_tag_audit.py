"""tag_audit: the ~12% untagged spend, mis-tagged values quoted as stored, offenders with owners."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from test_tools_support import INJECTION, focus_db, focus_store, mini_db, mini_store  # noqa: F401 - fixtures

from knowledge.store import Store
from tools.contract import FinopsError
from tools.registry import run_tool
from tools.tag_audit import TagAuditResult

AS_OF = date(2026, 11, 25)
LAST_90 = [datetime.combine(AS_OF - timedelta(days=90), datetime.min.time()), datetime.combine(AS_OF, datetime.min.time())]


def test_untagged_share_is_the_planted_twelve_percent(demo_store: Store, demo_facts: dict) -> None:
    fact = demo_facts["untagged_share"]
    r = run_tool(demo_store, "tag_audit", {"period": "last 90 days"})
    assert isinstance(r, TagAuditResult)
    assert r.headline_key == "team"
    assert r.total.quantize(Decimal("0.01")) == Decimal(fact["total_cost"])
    assert r.untagged.quantize(Decimal("0.01")) == Decimal(fact["untagged_cost"])
    assert r.untagged_share.quantize(Decimal("0.0001")) == Decimal(fact["share"])
    assert r.target == Decimal("0.05") and r.meets_target is False
    shown = f"{Decimal(fact['share']) * 100:.1f}% of billed spend"
    assert r.summary().startswith(shown) and "crawl-stage target of under 5%" in r.summary()


def test_per_key_and_per_account_match_independent_sql(demo_store: Store) -> None:
    r = run_tool(demo_store, "tag_audit", {"period": "last 90 days"})
    for key in r.per_key:
        missing = demo_store.con.execute(
            "SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? "
            "AND nullif(trim(Tags[?]), '') IS NULL", LAST_90 + [key.key]).fetchone()[0]
        assert key.untagged == missing, key.key
    acc = demo_store.con.execute(
        "SELECT coalesce(SubAccountName, SubAccountId) AS a, sum(BilledCost) AS b, "
        "sum(BilledCost) FILTER (WHERE nullif(trim(Tags['team']), '') IS NULL) AS u "
        "FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1", LAST_90).fetchall()
    expected = {a: (b, u or Decimal(0)) for a, b, u in acc}
    assert r.by_account
    for g in r.by_account:
        assert (g.billed, g.untagged) == expected[g.name]
    assert r.by_account[0].untagged == max(u for _, u in expected.values())


def test_injected_tag_value_is_quoted_data(demo_store: Store, demo_facts: dict) -> None:
    fact = demo_facts["prompt_injection"]
    r = run_tool(demo_store, "tag_audit", {"period": "last 90 days"})
    key = next(k for k in r.per_key if k.key == fact["tag_key"])
    bad = next(b for b in key.bad_values if b.value == fact["tag_value"])  # unchanged, byte for byte
    assert bad.key_used == fact["tag_key"] and "characters" in bad.reason
    billed = demo_store.con.execute(
        "SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ? AND ChargePeriodStart >= ? AND ChargePeriodStart < ?",
        [fact["resource_id"]] + LAST_90).fetchone()[0]
    assert bad.billed == billed
    text = r.summary()
    quoted = json.dumps(fact["tag_value"], ensure_ascii=False)
    assert quoted in text and fact["tag_value"] not in text.replace(quoted, "")
    dumped = r.model_dump(mode="json")
    assert any(b["value"] == fact["tag_value"] for k in dumped["per_key"] for b in k["bad_values"])


def test_offenders_carry_suggested_owners(demo_store: Store, demo_facts: dict) -> None:
    cluster = demo_facts["cluster_20k"]
    r = run_tool(demo_store, "tag_audit", {"period": "last 30 days", "top": 10})
    first = r.offenders[0]
    assert first.resource_id == cluster["resource_id"] and "team" in first.missing_keys
    assert (first.suggested_team, first.suggested_owner) == (cluster["team"], cluster["owner"])
    assert first.confidence == Decimal("0.9") and "ownership rule" in first.suggestion_source
    # every suggestion agrees with the store's ownership view
    owners = dict(demo_store.con.execute("SELECT ResourceId, team FROM resource_owners").fetchall())
    for o in r.offenders:
        if o.suggestion_source and o.suggestion_source.startswith(("ownership rule", "endpoint", "gpu job")):
            assert owners[o.resource_id] == o.suggested_team
    assert r.suggestable == sum(o.billed for o in r.offenders if o.suggested_team)


def test_focus_sample_variant_keys_and_custom_keys(focus_store: Store) -> None:
    r = run_tool(focus_store, "tag_audit", {"period": "2024-09"})
    assert r.untagged_share == 1 and not r.meets_target
    project = next(k for k in r.per_key if k.key == "project")
    assert project.variant_keys == ["Project"]
    foo = focus_store.con.execute("SELECT sum(BilledCost) FROM focus_charges WHERE Tags['Project'] = 'Foo'").fetchone()[0]
    assert [(b.value, b.key_used, b.billed) for b in project.bad_values] == [("Foo", "Project", foo)]
    env = next(k for k in r.per_key if k.key == "env")
    assert env.variant_keys == ["environment"]

    r = run_tool(focus_store, "tag_audit", {"period": "2024-09", "keys": ["business_unit", "application"]})
    assert r.headline_key == "business_unit"
    missing = focus_store.con.execute(
        "SELECT sum(BilledCost) FROM focus_charges WHERE nullif(trim(Tags['business_unit']), '') IS NULL").fetchone()[0]
    assert r.untagged == missing


def test_unknown_team_value_is_mis_tagged(mini_store: Store) -> None:
    r = run_tool(mini_store, "tag_audit", {})
    team = next(k for k in r.per_key if k.key == "team")
    assert [(b.value, b.reason) for b in team.bad_values] == [(INJECTION, "not a team in the teams table")]
    assert team.mistagged == Decimal("750")
    # the resource whose team tag is bad gets no suggestion from that same bad tag
    bucket = next(o for o in r.offenders if o.resource_id == "bucket-logs")
    assert bucket.mistagged_keys == ["team"] and bucket.suggested_team is None


def test_bad_keys_argument() -> None:
    from tools.registry import registry

    with pytest.raises(FinopsError, match="bad arguments for tag_audit"):
        registry.get("tag_audit").parse_args({"keys": []})

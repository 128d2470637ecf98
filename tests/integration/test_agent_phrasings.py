"""Phrasings found by trying the product as a newcomer (not in the eval set): each must reach the
right tool and state the planted figure (expected values from demo_facts)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from agent.service import ask


def _tools(answer) -> list[str]:
    return [c.tool for c in answer.tool_calls]


def test_endpoint_burning_money_doing_nothing_is_the_idle_endpoint(demo_db: Path, demo_facts: dict) -> None:
    fact = demo_facts["idle_endpoint"]
    answer = ask("which endpoint is burning money doing nothing", db=demo_db, planner="offline")
    assert _tools(answer) == ["waste"]
    # The figure as a person writes it, from the planted fact (not through the product's own formatter).
    cost = Decimal(str(fact["monthly_cost"])).quantize(Decimal("0.01"))
    assert fact["name"] in answer.text and f"${cost:,}" in answer.text


def test_who_should_i_talk_to_about_a_resource(demo_db: Path, demo_facts: dict) -> None:
    fact = demo_facts["replication_left_on"]
    answer = ask(f"who should I talk to about {fact['resource_id']}", db=demo_db, planner="offline")
    assert _tools(answer) == ["who_owns"]
    assert f"owned by team {fact['team']}" in answer.text


def test_who_is_responsible_for_the_cluster_by_name(demo_db: Path, demo_facts: dict) -> None:
    fact = demo_facts["cluster_20k"]
    answer = ask(f"who is responsible for {fact['resource_name']}", db=demo_db, planner="offline")
    assert _tools(answer) == ["who_owns"]
    assert f"owned by team {fact['team']}" in answer.text and fact["owner"] in answer.text

"""Runs against what was expected of them (their estimates) and storage classes (tiers) get no figure: no tool
compares a run with its estimate (the alerts do), and no column of the bill says which storage class a charge
is of. Asked in words other than heldout39_second_looks'; the controls beside them keep their answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import clarifies, usd


@pytest.mark.parametrize(("q", "quoted"), [
    ("did the data team's gpu runs come in over what we planned last month", "over what we planned"),
    ("were the recsys fine-tuning jobs more expensive than we expected this month", "than we expected"),
])
def test_runs_against_what_was_expected_get_no_figure(offline: Callable[..., Answer], q: str, quoted: str) -> None:
    clarifies(offline(q), quoted, "finops alerts run")


def test_a_storage_class_gets_no_figure(offline: Callable[..., Answer]) -> None:
    clarifies(offline("gcs spend per storage class in october"), "storage class")
    a = offline("what did the archive tier cost us in october")
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_costs_above_their_usual_level_stay_the_anomalies(offline: Callable[..., Answer]) -> None:
    a = offline("did anything cost more than expected yesterday")
    assert [c.tool for c in a.tool_calls] == ["anomalies"] and a.kind == "answer", a.text


def test_a_service_by_sku_is_answered(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = 'Cloud Storage' "
                "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("cloud storage spend by sku in october")
    assert a.kind == "answer" and usd(total) in a.text, a.text

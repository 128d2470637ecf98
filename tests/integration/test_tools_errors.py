"""Every cost tool: unknown names, empty / future / no-data periods and empty stores give clear typed
errors, never an empty answer that reads as zero. Also the registry contract of these tools."""

from __future__ import annotations

import json

import pytest
from test_tools_support import focus_db, focus_store  # noqa: F401 - fixtures

from knowledge.store import Store
from tools.contract import FinopsError, NoDataError, PeriodError, ToolResult, UnknownNameError
from tools.registry import registry, run_tool

MINE = ["spend", "who_owns", "explain_charge", "llm_spend", "tag_audit", "prompt_audit"]
# Minimal valid arguments per tool (who_owns needs a resource; the rest have defaults).
BASE = {"spend": {}, "who_owns": {"resource": "the $20K cluster"}, "explain_charge": {"amount": 17000},
        "llm_spend": {}, "tag_audit": {}, "prompt_audit": {}}
PERIOD_TOOLS = ["spend", "explain_charge", "llm_spend", "tag_audit", "prompt_audit"]


@pytest.mark.parametrize("tool", PERIOD_TOOLS)
def test_future_period(demo_store: Store, tool: str) -> None:
    with pytest.raises(PeriodError, match="is in the future"):
        run_tool(demo_store, tool, {**BASE[tool], "period": "2027-02"})


@pytest.mark.parametrize("tool", PERIOD_TOOLS)
def test_period_with_no_data_names_the_actual_range(demo_store: Store, tool: str) -> None:
    with pytest.raises(NoDataError, match=r"no .* for January 2024 \(2024-01-01 to 2024-01-31\); the store holds data from 2026-08-27"):
        run_tool(demo_store, tool, {**BASE[tool], "period": "2024-01"})


@pytest.mark.parametrize("tool", PERIOD_TOOLS)
@pytest.mark.parametrize("period", ["2026-11-10..2026-11-01", "the blue moon"])
def test_empty_or_unreadable_period(demo_store: Store, tool: str, period: str) -> None:
    with pytest.raises(PeriodError):
        run_tool(demo_store, tool, {**BASE[tool], "period": period})


@pytest.mark.parametrize(("tool", "args", "message"), [
    ("spend", {"team": "serch"}, "unknown team 'serch'; did you mean 'search'"),
    ("spend", {"service": "Amazon EC3"}, "unknown service 'Amazon EC3'; did you mean"),
    ("spend", {"group_by": "service", "account": "acme-prd"}, "unknown account 'acme-prd'; did you mean 'acme-prod'"),
    ("llm_spend", {"app": "supprt-bot"}, "unknown app 'supprt-bot'; did you mean 'support-bot'"),
    ("llm_spend", {"team": "ml-platfrom"}, "unknown team 'ml-platfrom'; did you mean 'ml-platform'"),
    ("prompt_audit", {"app": "tickt-router"}, "unknown app 'tickt-router'; did you mean 'ticket-router'"),
    ("who_owns", {"resource": "qqqq-zzzz-9999"}, "unknown resource 'qqqq-zzzz-9999'"),
])
def test_unknown_names(demo_store: Store, tool: str, args: dict, message: str) -> None:
    with pytest.raises(UnknownNameError) as info:
        run_tool(demo_store, tool, args)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("tool", MINE)
def test_empty_store(empty_store: Store, tool: str) -> None:
    with pytest.raises(FinopsError, match="holds no|unknown resource"):
        run_tool(empty_store, tool, BASE[tool])


@pytest.mark.parametrize("tool", MINE)
def test_bad_arguments_are_typed(demo_store: Store, tool: str) -> None:
    with pytest.raises(FinopsError, match=f"bad arguments for {tool}"):
        run_tool(demo_store, tool, {"resource": ""} if tool == "who_owns" else {**BASE[tool], "top": 0})


@pytest.mark.parametrize("tool", MINE)
def test_registry_entry_and_evidence(demo_store: Store, tool: str) -> None:
    spec = registry.get(tool)
    schema = spec.openai_tool()
    assert schema["function"]["name"] == tool and len(spec.description) < 300 and spec.examples
    props = schema["function"]["parameters"]["properties"]
    assert props and all(p.get("description") for p in props.values())
    assert len(json.dumps(schema)) < 2600  # small: the schema is bound to a chat model on every turn
    args = {**BASE[tool], "period": "last 90 days"} if tool in PERIOD_TOOLS else BASE[tool]
    result = run_tool(demo_store, tool, args)
    assert isinstance(result, ToolResult) and result.summary()
    ev = result.evidence
    assert ev is not None and ev.tool == tool and ev.sql and all(run.sql for run in ev.sql)
    assert any(t in run.sql for run in ev.sql for t in ("focus_charges", "charges_allocated", "llm_calls", "llm_usage"))
    assert {f.source for f in ev.freshness} >= {"billing (FOCUS)"}
    view = result.table()
    assert view is not None and view.rows and all(len(row) == len(view.columns) for row in view.rows)
    json.loads(result.model_dump_json())  # serialisable for --json, Slack and the agent


@pytest.mark.parametrize("tool", ["spend", "who_owns", "explain_charge", "llm_spend", "tag_audit"])
def test_focus_sample_works(focus_store: Store, tool: str) -> None:
    args = dict(BASE[tool])
    if tool == "who_owns":
        args["resource"] = focus_store.con.execute(
            "SELECT ResourceId FROM focus_charges WHERE ResourceId IS NOT NULL ORDER BY BilledCost DESC LIMIT 1").fetchone()[0]
    if tool == "explain_charge":
        args["amount"] = 1
    result = run_tool(focus_store, tool, args)  # the store's as_of is 2024-10-01: the last 30 days hold data
    assert result.summary() and result.evidence is not None

"""Issue 19, "no data is not no problem": through the real CLI, on the demo store and on stores with data
taken away. Missing data is named with the command that loads it; a unit cost over a handful of
requests is "too few"; an 800-token prompt is judged by one caching rule on every surface.
Expected values come from independent SQL over the store or from the demo's planted facts."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from apps.cli.main import app
from tests.cli import CliRunner
from tests.conftest import duckdb_connect

runner = CliRunner()


def cli(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def _sql(db: Path, query: str, *params: object) -> object:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute(query, list(params)).fetchone()[0]
    finally:
        con.close()


def _edit(db: Path, *statements: str) -> None:
    con = duckdb_connect(str(db))
    try:
        for s in statements:
            con.execute(s)
    finally:
        con.close()


# -- waste: no GPU job data is not "no waste" -------------------------------------------------------------
def test_zombie_jobs_on_a_store_without_gpu_jobs_say_what_is_missing(writable_demo: Path) -> None:
    _edit(writable_demo, "DELETE FROM gpu_jobs")
    assert _sql(writable_demo, "SELECT count(*) FROM gpu_jobs") == 0
    code, out = cli("waste", "--db", str(writable_demo), "--kind", "zombie_job")
    text = flat(out)
    assert code == 0
    assert "No waste found" not in text
    assert "Zombie jobs not checked: no GPU job data loaded" in text and "finops ingest gpu-jobs" in text
    code, out = cli("waste", "--db", str(writable_demo), "--json", "--kind", "zombie_job")
    doc = json.loads(out)
    assert doc["items"] == [] and "no GPU job data loaded" in doc["not_checked"]["zombie_job"]


def test_any_zombie_jobs_asked_of_an_empty_store(empty_store) -> None:
    path = Path(empty_store.path) if hasattr(empty_store, "path") else None
    empty_store.close()
    if path is None:
        pytest.skip("store has no path attribute")
    code, out = cli("ask", "Any zombie jobs?", "--db", str(path), "--planner", "offline")
    text = flat(out)
    assert "No waste found" not in text
    assert "no GPU job data loaded" in text and "finops ingest gpu-jobs" in text


def test_waste_on_the_demo_checks_every_kind(demo_db: Path, demo_facts: dict) -> None:
    code, out = cli("waste", "--db", str(demo_db), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["not_checked"] == {}
    zombies = [r for r in doc["table"]["rows"] if r[0] == "zombie_job"]
    assert len(zombies) == demo_facts["zombie_jobs"]["count"]


# -- anomalies: one month of data is not "no anomalies" ----------------------------------------------------
def test_anomalies_on_one_month_of_data_say_how_much_history_is_missing(writable_demo: Path, demo_facts: dict) -> None:
    as_of = date.fromisoformat(demo_facts["as_of"]["date"])
    cut = as_of - timedelta(days=30)
    _edit(writable_demo, f"DELETE FROM focus_charges WHERE ChargePeriodStart < TIMESTAMP '{cut.isoformat()}'")
    first = _sql(writable_demo, "SELECT CAST(min(ChargePeriodStart) AS DATE) FROM focus_charges")
    last = _sql(writable_demo, "SELECT CAST(max(ChargePeriodStart) AS DATE) FROM focus_charges")
    last_checked = min(as_of - timedelta(days=1), last)     # the default period is the last 30 days
    weeks = (last_checked - first).days // 7
    assert weeks < 8
    code, out = cli("anomalies", "--db", str(writable_demo))
    text = flat(out)
    assert code == 0
    assert f"Only {weeks} of the 8 weeks of history the method needs are loaded" in text
    assert f"billing data starts {first.isoformat()}" in text
    doc = json.loads(cli("anomalies", "--db", str(writable_demo), "--json")[1])
    assert (doc["history_weeks"], doc["weeks_needed"]) == (weeks, 8)


def test_anomalies_on_the_full_demo_do_not_complain(demo_db: Path) -> None:
    first = _sql(demo_db, "SELECT CAST(min(ChargePeriodStart) AS DATE) FROM focus_charges")
    last = _sql(demo_db, "SELECT CAST(max(ChargePeriodStart) AS DATE) FROM focus_charges")
    assert (last - first).days >= 8 * 7 + 30
    text = flat(cli("anomalies", "--db", str(demo_db))[1])
    assert "weeks of history" not in text


def test_anomalies_without_billing_data(writable_demo: Path) -> None:
    _edit(writable_demo, "DELETE FROM focus_charges")
    code, out = cli("anomalies", "--db", str(writable_demo))
    text = flat(out)
    assert "No billing data loaded" in text and "finops ingest focus" in text
    assert "No cost anomalies" not in text


# -- unit costs: a minimum volume ----------------------------------------------------------------------------
def test_unit_cost_of_an_endpoint_with_three_requests_is_too_few(demo_db: Path, demo_facts: dict) -> None:
    idle = demo_facts["idle_endpoint"]
    assert 0 < idle["requests_last_30d"] < 100
    code, out = cli("unit-costs", "--db", str(demo_db), "--name", idle["endpoint_id"])
    text = flat(out)
    assert code == 0
    assert "too few requests to be meaningful" in text
    absurd = Decimal(idle["monthly_cost"]) / idle["requests_last_30d"] * 1000
    assert f"${absurd:,.2f}" not in text and "per 1K requests (" not in text.split("too few")[0][-40:]
    doc = json.loads(cli("unit-costs", "--db", str(demo_db), "--name", idle["endpoint_id"], "--json")[1])
    row = dict(zip(doc["table"]["columns"], doc["table"]["rows"][0]))
    assert row["units"] == idle["requests_last_30d"] and row["too_few_units"] is True and row["unit_cost_usd"] is None


def test_unit_costs_with_enough_volume_keep_their_exact_figure(demo_db: Path, demo_facts: dict) -> None:
    as_of = date.fromisoformat(demo_facts["as_of"]["date"])
    cost, calls = (_sql(demo_db, "SELECT sum(cost) FROM llm_calls WHERE app = 'support-bot' AND ts >= ? AND ts < ?",
                        as_of - timedelta(days=30), as_of),
                   _sql(demo_db, "SELECT sum(calls) FROM llm_calls WHERE app = 'support-bot' AND ts >= ? AND ts < ?",
                        as_of - timedelta(days=30), as_of))
    doc = json.loads(cli("unit-costs", "--db", str(demo_db), "--by", "app", "--name", "support-bot", "--json")[1])
    row = dict(zip(doc["table"]["columns"], doc["table"]["rows"][0]))
    assert row["too_few_units"] is False and row["units"] == calls
    assert Decimal(row["unit_cost_usd"]) == Decimal(cost) / calls * 1000
    assert Decimal(row["cost_usd"]) == Decimal(cost)


def test_the_summary_says_too_few_requests_for_the_idle_endpoint(demo_db: Path, demo_facts: dict) -> None:
    idle = demo_facts["idle_endpoint"]
    # The last week in which the idle endpoint served a handful of requests (the "1 request").
    day = _sql(demo_db, "SELECT max(day) FROM endpoint_usage_daily WHERE endpoint_id = ? AND requests > 0",
               idle["endpoint_id"])
    year, week, _ = day.isocalendar()
    requests = _sql(demo_db, "SELECT sum(requests) FROM endpoint_usage_daily WHERE endpoint_id = ? AND day >= ? "
                             "AND day < ?", idle["endpoint_id"], day - timedelta(days=day.weekday()),
                    day - timedelta(days=day.weekday()) + timedelta(days=7))
    assert 0 < requests < 100
    code, out = cli("summary", "--db", str(demo_db), "--week", f"{year}-W{week:02d}")
    assert code == 0
    units = out[out.index("## Unit costs"):]
    line = next(ln for ln in units.splitlines() if idle["name"] in ln)
    assert f"{requests:,} request" in line
    assert "too few requests to be meaningful" in line and "per 1K requests" not in line


# -- one caching rule: prompt audit, remediations and the summary agree --------------------------------------
def test_the_800_token_prompt_is_judged_by_one_caching_rule(demo_db: Path, demo_facts: dict) -> None:
    p8 = demo_facts["prompt_800"]
    spt = p8["system_prompt_tokens"]
    assert spt < 1024        # gpt-4.1 (OpenAI) caches only prefixes of 1,024 tokens or more
    audit = json.loads(cli("audit", "prompts", "--db", str(demo_db), "--json")[1])
    row = next(dict(zip(audit["table"]["columns"], r)) for r in audit["table"]["rows"] if r[0] == p8["prompt_id"])
    assert row["caching_applies_as_is"] is False
    assert f"below {p8['model']}'s minimum cacheable prefix of 1,024 tokens" in audit["summary"]
    assert "does not work as it is" in audit["summary"]

    fixes = json.loads(cli("remediations", "--db", str(demo_db), "--json", "--top", "50")[1])
    caching = [a for a in fixes["actions"] if a["action"] == "prompt_caching" and p8["prompt_id"] in a["target"]]
    assert len(caching) == 1
    action = caching[0]
    assert not action["title"].startswith(f"Cache the {spt}-token system prompt")
    assert "1,024-token caching minimum" in action["title"] and action["risk"] != "low"
    assert "1,024" in action["change"]

    summary = cli("summary", "--db", str(demo_db), "--week", "2026-W47")[1]
    assert f"Cache the {spt}-token system prompt" not in summary
    if p8["app"] in summary and "caching" in summary:
        assert "1,024-token caching minimum" in flat(summary)


def test_a_prompt_long_enough_is_cacheable_by_the_same_rule() -> None:
    from knowledge.caching import caching_verdict

    assert caching_verdict("gpt-4.1", "openai", 1024).cacheable is True
    assert caching_verdict("gpt-4.1", "openai", 1023).cacheable is False
    assert caching_verdict("claude-sonnet-4-5", "anthropic", 1200).cacheable is True
    assert caching_verdict("claude-haiku-4-5", "anthropic", 2000).cacheable is False
    # The logs showing cache reads win over the table.
    assert caching_verdict("claude-haiku-4-5", "anthropic", 600, observed_cached=True).cacheable is True
    assert caching_verdict("some-local-model", None, 5000).cacheable is None


def test_the_summary_names_missing_gpu_job_data(writable_demo: Path) -> None:
    _edit(writable_demo, "DELETE FROM gpu_jobs")
    code, out = cli("summary", "--db", str(writable_demo), "--week", "2026-W47")
    assert code == 0
    waste = flat(out[out.index("## Top waste"):])
    assert "Zombie jobs not checked: no GPU job data loaded" in waste and "finops ingest gpu-jobs" in waste

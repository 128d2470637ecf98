"""`finops alerts run` on the demo company, through the real CLI (in-process, tests/cli.py): the planted facts come out
as alerts with figures that match independent SQL; a second run delivers nothing new; an acknowledged alert
stays quiet until its condition changes; stale or missing data never fires a cost alert."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from apps.alerts import ledger
from knowledge.store import open_store
from tests.cli import finops_cli
from tests.conftest import duckdb_connect

CENT = Decimal("0.01")


def alerts_run(db: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(db.parent), "COLUMNS": "200"}
    p = finops_cli("alerts", "run", "--db", str(db), "--json", "--now", "2026-11-25T09:00", *args,
                   env={**base, **(env or {})})
    assert p.stdout, p.stderr
    return p.returncode, json.loads(p.stdout)


def by_key(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["key"]: a for a in report["alerts"]}


def test_planted_facts_are_alerts_with_checked_figures(demo_db: Path, facts: dict, sql) -> None:
    code, report = alerts_run(demo_db, "--dry-run")
    assert code == 0 and report["dry_run"] and report["held"] == []
    alerts = by_key(report)
    channels = dict(duckdb_connect(str(demo_db), read_only=True).execute("SELECT team, slack_channel FROM teams").fetchall())

    over = facts["budget_over_80"]                                   # support over 80% of its budget
    budget = alerts[f"budget:team:{over['team']}:{over['period_start']}"]
    spent = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? AND ChargePeriodStart >= CAST(? AS DATE) "
                "AND ChargePeriodStart < CAST(? AS DATE)", over["team"], over["period_start"], report["as_of"])
    assert Decimal(budget["amounts"]["spent"]) == spent
    assert spent.quantize(CENT) == Decimal(over["spent"])
    assert Decimal(budget["amounts"]["amount"]) == Decimal(over["budget"])
    assert budget["state"] == "80%" and Decimal(budget["amounts"]["pct"]) >= Decimal("0.8")
    assert budget["channel"] == channels[over["team"]] and budget["team"] == over["team"]
    assert budget["evidence"]["tool"] == "query_costs" and budget["evidence"]["sql"]
    assert budget["action"]                                          # the team's top remediation

    spike = facts["anomaly_spike"]                                   # the inference spike
    anomaly = alerts[f"anomaly:{spike['scope_kind']}:{spike['scope']}:{spike['date']}"]
    day_cost = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = ? AND CAST(ChargePeriodStart AS DATE) = "
                   "CAST(? AS DATE)", spike["scope"], spike["date"])
    assert Decimal(anomaly["amounts"]["cost"]) == day_cost and day_cost.quantize(CENT) == Decimal(spike["amount"])
    assert anomaly["channel"] == channels[spike["team"]] and anomaly["evidence"]["tool"] == "anomalies"

    drift = facts["drift"]                                           # a service drift: owned via its driver
    slow = alerts[f"anomaly:{drift['scope_kind']}:{drift['scope']}:{drift['start']}"]
    assert slow["state"] == "drift" and slow["channel"] == channels[drift["team"]]

    zombies = facts["zombie_jobs"]                                   # 14 jobs past their TTL
    ttl = [a for a in report["alerts"] if a["kind"] == "job_past_ttl"]
    assert sorted(a["key"].rsplit(":", 1)[1] for a in ttl) == sorted(zombies["job_ids"])
    assert sum(Decimal(a["amounts"]["monthly_cost"]) for a in ttl).quantize(CENT) == Decimal(zombies["monthly_cost"])
    for a in ttl:
        job = a["key"].rsplit(":", 1)[1]
        team, hours_ttl = duckdb_connect(str(demo_db), read_only=True).execute(
            "SELECT team, ttl_hours FROM gpu_jobs WHERE job_id = ?", [job]).fetchone()
        assert a["channel"] == channels[team] and f"TTL of {hours_ttl:g} hours" in a["figure"]
        change = a["action_change"] or ""
        assert f"# {job}," in change and not [other for other in zombies["job_ids"] if other != job and other in change]

    idle = facts["idle_endpoint"]                                    # the idle endpoint
    waste = alerts[f"waste:idle_endpoint:{idle['endpoint_id']}"]
    assert Decimal(waste["amounts"]["monthly_cost"]) == Decimal(idle["monthly_cost"])
    assert waste["channel"] == channels[idle["team"]] and waste["owner"] == idle["owner"]
    assert idle["name"] in waste["action_change"]                    # the delete-endpoint command


def test_second_run_delivers_nothing_and_ack_holds_until_the_state_changes(writable_demo: Path, facts: dict) -> None:
    over = facts["budget_over_80"]
    key = f"budget:team:{over['team']}:{over['period_start']}"
    code, first = alerts_run(writable_demo)
    assert code == 0 and first["delivery"] == "print"
    assert {a["status"] for a in first["alerts"]} == {"printed"}
    code, second = alerts_run(writable_demo)
    assert code == 0 and {a["status"] for a in second["alerts"]} == {"already delivered"}
    assert len(second["alerts"]) == len(first["alerts"])

    with open_store(writable_demo) as store:                         # someone acknowledges the 80% alert,
        ledger.decide(store, key, "80%", ledger.ACKNOWLEDGED, "U0SUPPORT1", "#team-support", ledger.now_utc())
        store.con.execute("UPDATE teams SET slack_channel = '#support-costs' WHERE team = ?", [over["team"]])
    _, third = alerts_run(writable_demo)                             # and its channel moves: still quiet
    assert by_key(third)[key]["status"] == "acknowledged" and by_key(third)[key]["channel"] == "#support-costs"

    con = duckdb_connect(str(writable_demo))                         # the condition changes: past 90% now
    spent = Decimal(by_key(third)[key]["amounts"]["spent"])
    con.execute("UPDATE budgets SET amount = ? WHERE scope_kind = 'team' AND scope_name = ? AND period_start = ?",
                [(spent / Decimal("0.95")).quantize(CENT), over["team"], over["period_start"]])
    con.close()
    _, fourth = alerts_run(writable_demo)
    assert by_key(fourth)[key]["state"] == "90%" and by_key(fourth)[key]["status"] == "printed"
    assert by_key(fourth)[key]["severity"] == "high"


def test_stale_billing_is_an_alert_and_holds_back_cost_alerts(writable_demo: Path, sql) -> None:
    last = sql("SELECT max(CAST(ChargePeriodStart AS DATE)) FROM focus_charges")
    code, report = alerts_run(writable_demo, "--dry-run", "--as-of", "2026-11-29")
    assert code == 0
    kinds = {a["kind"] for a in report["alerts"]}
    assert "stale_data" in kinds and not kinds & {"budget", "forecast", "anomaly"}
    stale = by_key(report)["stale:billing"]
    assert stale["title"] == f"Billing data stale since {last.isoformat()}" and stale["severity"] == "high"
    assert any("held back" in h for h in report["held"])
    _, fresh = alerts_run(writable_demo, "--dry-run")                # one day behind is not stale
    assert "stale:billing" not in by_key(fresh)


def test_no_data_no_alerts(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    open_store(empty).close()
    code, report = alerts_run(empty)
    assert code == 0 and report["alerts"] == []
    assert any("not checked" in h for h in report["held"])


def test_quiet_hours_defer_and_rate_limit_caps_per_channel(writable_demo: Path) -> None:
    env = {"FINOPS_ALERTS_QUIET_HOURS": "22-7", "FINOPS_ALERTS_RATE_LIMIT": "3"}
    _, night = alerts_run(writable_demo, "--now", "2026-11-25T23:30", env=env)
    statuses = {(a["severity"], a["status"]) for a in night["alerts"]}
    assert all(st == "deferred (quiet hours)" for sev, st in statuses if sev != "high")
    assert any(st == "printed" for sev, st in statuses if sev == "high")
    _, day = alerts_run(writable_demo, "--now", "2026-11-26T09:00", env=env)
    con = duckdb_connect(str(writable_demo), read_only=True)
    per_hour = con.execute("SELECT channel, count(*) FROM alert_ledger WHERE posted_at = TIMESTAMP '2026-11-26 09:00:00' "
                           "AND NOT digest GROUP BY channel").fetchall()
    assert per_hour and all(n <= 3 for _, n in per_hour)
    assert any(a["status"] == "deferred (rate limit)" for a in day["alerts"])


def test_snooze_keeps_a_condition_quiet_until_it_ends(writable_demo: Path, facts: dict) -> None:
    over = facts["budget_over_80"]
    key = f"forecast:team:{over['team']}:{over['period_start']}"
    from datetime import datetime

    with open_store(writable_demo) as store:
        ledger.decide(store, key, "any", ledger.SNOOZED, "U0SUPPORT1", "#team-support", datetime(2026, 11, 25, 8, 0),
                      snooze_days=3)
    _, during = alerts_run(writable_demo, "--dry-run")                          # clock 2026-11-25 09:00
    assert by_key(during)[key]["status"] == "snoozed" and "until 2026-11-28 08:00" in by_key(during)[key]["reason"]
    _, after = alerts_run(writable_demo, "--dry-run", "--now", "2026-11-28T08:01")
    assert by_key(after)[key]["status"] == "new"

"""The planted facts, computed with SQL from the rows just inserted, written to `demo_facts`.

Money is a string with exactly 2 decimals (half-up), so an independent `round(sum(...), 2)` matches.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

from knowledge.demo.budgets import OVER_80_TEAM
from knowledge.demo.company import (
    CHEAPER_MODEL,
    FRONTIER_CLASSIFICATION_APP,
    INJECTION_TEXT,
    LLM_APPS,
    NO_MAX_TOKENS_APP,
    PROMPT_800_APP,
    TEAMS,
)
from knowledge.demo.endpoints import (
    IDLE_ENDPOINT_ID,
    RESEARCH_ENDPOINT_ID,
    SPIKE_ENDPOINT_ID,
    SPIKE_SERVICE,
    spike_day,
)
from knowledge.demo.gpu import CLUSTER_RESOURCE_ID, ZOMBIE_TTL_HOURS, PlantedJobs
from knowledge.demo.planted import (
    CHARGE_17K_RESOURCE_ID,
    CHARGE_17K_SKU,
    CLUSTER_RULE_ID,
    DRIFT_RESOURCE_ID,
    DRIFT_SERVICE,
    INJECTION_RESOURCE_ID,
    INJECTION_TAG_KEY,
    REPLICATION_RESOURCE_ID,
    planted_dates,
)
from knowledge.demo.window import DemoWindow

CENT = Decimal("0.01")
BASELINE_DAYS = 28


def money(value: Any) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def ratio(num: Any, den: Any, places: str = "0.0001") -> str:
    return str((Decimal(num) / Decimal(den)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    row = con.execute(sql, params or []).fetchone()
    if row is None:
        raise RuntimeError(f"demo fact query returned nothing: {sql}")
    return row


def _day_cost(con: duckdb.DuckDBPyConnection, resource_id: str, day: date) -> Decimal:
    return _one(con, "SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ? AND ChargePeriodStart = ?",
                [resource_id, datetime.combine(day, datetime.min.time())])[0]


def compute_facts(con: duckdb.DuckDBPyConnection, window: DemoWindow, jobs: PlantedJobs,
                  seed: int, scale: int) -> dict[str, Any]:
    dates = planted_dates(window)
    last = window.last_day
    facts: dict[str, Any] = {
        "as_of": {"date": window.as_of.isoformat()},
        "window": {"start": window.start.isoformat(), "end": window.as_of.isoformat(), "days": window.days,
                   "seed": seed, "scale": scale},
        "teams": [t.team for t in TEAMS],
    }

    # -- the $20K cluster -----------------------------------------------------------------------------
    c = _one(con, "SELECT ResourceName, ProviderName, ServiceName, RegionId FROM focus_charges "
                  "WHERE ResourceId = ? ORDER BY ChargePeriodStart LIMIT 1", [CLUSTER_RESOURCE_ID])
    rule = _one(con, "SELECT rule_id, team, owner FROM ownership WHERE rule_id = ?", [CLUSTER_RULE_ID])
    daily = _day_cost(con, CLUSTER_RESOURCE_ID, last)
    facts["cluster_20k"] = {
        "resource_id": CLUSTER_RESOURCE_ID, "resource_name": c[0], "provider": c[1], "service": c[2], "region": c[3],
        "instance_type": "p5.48xlarge", "gpu_type": "H100", "gpu_count": 8,
        "daily_cost": money(daily), "monthly_cost": money(daily * 30),
        "team": rule[1], "owner": rule[2], "owner_source": "ownership_rule", "rule_id": rule[0],
        "created_by_job": jobs.cluster_job_id, "started": dates.cluster_start.isoformat(),
    }

    # -- the idle endpoint ----------------------------------------------------------------------------
    e = _one(con, "SELECT endpoint_id, resource_id, name, model, team, owner, hourly_cost, instance_type "
                  "FROM endpoints WHERE endpoint_id = ?", [IDLE_ENDPOINT_ID])
    usage = _one(con, "SELECT sum(requests), avg(avg_gpu_util) FROM endpoint_usage_daily "
                      "WHERE endpoint_id = ? AND day >= ? AND day < ?",
                 [IDLE_ENDPOINT_ID, window.as_of - timedelta(days=30), window.as_of])
    facts["idle_endpoint"] = {
        "endpoint_id": e[0], "resource_id": e[1], "name": e[2], "model": e[3], "team": e[4], "owner": e[5],
        "hourly_cost": money(e[6]), "monthly_cost": money(e[6] * 720), "instance_type": e[7],
        "requests_last_30d": int(usage[0]), "avg_gpu_util_last_30d": round(float(usage[1]), 4),
    }

    # -- zombies ----------------------------------------------------------------------------------------
    z = con.execute(
        "SELECT j.job_id, j.team, b.hourly FROM gpu_jobs j JOIN _demo_job_billing b ON b.job_id = j.job_id "
        "WHERE j.job_id IN (SELECT unnest(?)) ORDER BY j.job_id",
        [jobs.zombie_ids],
    ).fetchall()
    run_rate = sum((Decimal(r[2]) for r in z), Decimal(0))
    facts["zombie_jobs"] = {
        "count": len(z), "job_ids": [r[0] for r in z], "teams": sorted({r[1] for r in z}),
        "ttl_hours": ZOMBIE_TTL_HOURS, "hourly_cost": money(run_rate), "monthly_cost": money(run_rate * 720),
    }

    # -- replication left on ----------------------------------------------------------------------------
    r = _one(con, "SELECT ResourceName, ProviderName, ServiceName, Tags['team'] FROM focus_charges "
                  "WHERE ResourceId = ? LIMIT 1", [REPLICATION_RESOURCE_ID])
    daily = _day_cost(con, REPLICATION_RESOURCE_ID, last)
    facts["replication_left_on"] = {
        "resource_id": REPLICATION_RESOURCE_ID, "resource_name": r[0], "provider": r[1], "service": r[2],
        "started": dates.replication_start.isoformat(), "daily_cost": money(daily), "monthly_cost": money(daily * 30),
        "team": r[3],
    }

    # -- the $17K charge ----------------------------------------------------------------------------------
    ch = _one(con, "SELECT BilledCost, CAST(ChargePeriodStart AS DATE), ResourceId, SkuId, ServiceName, ProviderName, "
                   "ChargeDescription, Tags['team'] FROM focus_charges WHERE ResourceId = ? AND SkuId = ?",
              [CHARGE_17K_RESOURCE_ID, CHARGE_17K_SKU])
    facts["charge_17k"] = {
        "amount": money(ch[0]), "date": ch[1].isoformat(), "resource_id": ch[2], "sku_id": ch[3], "service": ch[4],
        "provider": ch[5], "charge_description": ch[6], "team": ch[7],
    }

    # -- the discarded run -----------------------------------------------------------------------------
    d = _one(con, "SELECT job_id, name, team, gpu_type, gpu_count, date_diff('hour', started_at, ended_at), "
                  "actual_cost, outcome, resource_id, CAST(started_at AS DATE), estimated_cost "
                  "FROM gpu_jobs WHERE job_id = ?", [jobs.discarded_id])
    facts["discarded_run_3k"] = {
        "job_id": d[0], "name": d[1], "team": d[2], "gpu_type": d[3], "gpu_count": d[4], "hours": d[5],
        "cost": money(d[6]), "outcome": d[7], "resource_id": d[8], "date": d[9].isoformat(),
        "estimated_cost": money(d[10]),
    }

    # -- prompts ----------------------------------------------------------------------------------------------
    apps = {a.app: a for a in LLM_APPS}
    p8 = apps[PROMPT_800_APP]
    price = _one(con, "SELECT input_cost_per_token FROM llm_prices WHERE model = ?", [p8.model])[0]
    calls = _one(con, "SELECT sum(calls) FROM llm_calls WHERE app = ? AND ts >= ? AND ts < ?",
                 [p8.app, window.last_day, window.as_of])[0]
    avg_cost = _one(con, "SELECT sum(cost) FROM llm_calls WHERE app = ?", [p8.app])[0] / window.days
    facts["prompt_800"] = {
        "prompt_id": p8.prompt_id, "app": p8.app, "team": p8.team, "model": p8.model,
        "system_prompt_tokens": p8.system_prompt_tokens, "calls_per_day": int(calls), "caching": p8.caching,
        "daily_prefix_tokens": p8.system_prompt_tokens * int(calls),
        "daily_prefix_cost": money(Decimal(p8.system_prompt_tokens) * int(calls) * Decimal(price)),
        "input_cost_per_token": str(Decimal(price).normalize()), "avg_daily_cost": money(avg_cost),
    }
    fc = apps[FRONTIER_CLASSIFICATION_APP]
    tier = _one(con, "SELECT tier FROM llm_prices WHERE model = ?", [fc.model])[0]
    last30 = _one(con, "SELECT sum(cost), sum(calls) FROM llm_calls WHERE app = ? AND ts >= ? AND ts < ?",
                  [fc.app, window.as_of - timedelta(days=30), window.as_of])
    facts["frontier_classification"] = {
        "prompt_id": fc.prompt_id, "app": fc.app, "team": fc.team, "model": fc.model, "tier": tier,
        "task_type": fc.task_type, "cheaper_model": CHEAPER_MODEL[fc.model],
        "cost_last_30d": money(last30[0]), "calls_last_30d": int(last30[1]),
    }
    nm = apps[NO_MAX_TOKENS_APP]
    q = _one(con, "SELECT quantile_disc(output_tokens, 0.5), quantile_disc(output_tokens, 0.95), count(*) "
                  "FROM llm_calls WHERE app = ?", [nm.app])
    facts["no_max_tokens_app"] = {
        "app": nm.app, "prompt_id": nm.prompt_id, "team": nm.team, "model": nm.model,
        "median_output_tokens": int(q[0]), "p95_output_tokens": int(q[1]), "calls": int(q[2]),
        "quantile_method": "quantile_disc over llm_calls rows of the app (one row per call), whole window",
    }

    # -- anomaly spike ----------------------------------------------------------------------------------------
    sday = spike_day(window)
    amount = _one(con, "SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = ? AND ChargePeriodStart = ?",
                  [SPIKE_SERVICE, sday])[0]
    baseline = _one(con, """
        SELECT median(cost) FROM (
            SELECT ChargePeriodStart, sum(BilledCost) AS cost FROM focus_charges
            WHERE ServiceName = ? AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
            GROUP BY ChargePeriodStart)""", [SPIKE_SERVICE, sday - timedelta(days=BASELINE_DAYS), sday])[0]
    base_m = Decimal(money(baseline))
    facts["anomaly_spike"] = {
        "scope_kind": "service", "scope": SPIKE_SERVICE, "team": "recsys", "date": sday.isoformat(),
        "amount": money(amount), "baseline": money(base_m), "excess": money(Decimal(money(amount)) - base_m),
        "resource_id": _one(con, "SELECT resource_id FROM endpoints WHERE endpoint_id = ?", [SPIKE_ENDPOINT_ID])[0],
        "endpoint_id": SPIKE_ENDPOINT_ID,
        "baseline_method": f"median daily BilledCost of the scope over the {BASELINE_DAYS} days before date",
    }

    # -- drift ----------------------------------------------------------------------------------------------
    facts["drift"] = {
        "scope_kind": "service", "scope": DRIFT_SERVICE, "team": "data", "start": dates.drift_start.isoformat(),
        "end": last.isoformat(), "resource_id": DRIFT_RESOURCE_ID,
        "daily_cost_start": money(_day_cost(con, DRIFT_RESOURCE_ID, dates.drift_start)),
        "daily_cost_end": money(_day_cost(con, DRIFT_RESOURCE_ID, last)),
    }

    # -- budget ---------------------------------------------------------------------------------------------
    b = _one(con, "SELECT amount FROM budgets WHERE scope_kind = 'team' AND scope_name = ? AND period_start = ?",
             [OVER_80_TEAM, window.month_start])[0]
    spent = _one(con, "SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? "
                      "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                 [OVER_80_TEAM, window.month_start, window.as_of])[0]
    facts["budget_over_80"] = {
        "team": OVER_80_TEAM, "period_start": window.month_start.isoformat(), "budget": money(b),
        "spent": money(spent), "pct": ratio(spent, b),
        "spent_basis": "BilledCost of charges_allocated with x_team = team, ChargePeriodStart in [period_start, as_of)",
    }

    # -- untagged share -------------------------------------------------------------------------------------
    tot, unt = _one(con, "SELECT sum(BilledCost), sum(BilledCost) FILTER (WHERE nullif(Tags['team'], '') IS NULL) "
                         "FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                    [window.start, window.as_of])
    facts["untagged_share"] = {
        "share": ratio(unt, tot), "untagged_cost": money(unt), "total_cost": money(tot),
        "basis": "sum(BilledCost) of focus_charges rows whose Tags has no non-empty 'team' / sum(BilledCost) of all "
                 "focus_charges rows, ChargePeriodStart in [window start, as_of)",
    }

    # -- research to prod -----------------------------------------------------------------------------------
    rp = _one(con, "SELECT e.endpoint_id, e.resource_id, e.team, e.created_by_job, e.hourly_cost, e.environment "
                   "FROM endpoints e WHERE e.endpoint_id = ?", [RESEARCH_ENDPOINT_ID])
    tags = _one(con, "SELECT Tags['project'], Tags['env'] FROM focus_charges WHERE ResourceId = ? LIMIT 1", [rp[1]])
    req = _one(con, "SELECT avg(requests) FROM endpoint_usage_daily WHERE endpoint_id = ? AND day >= ?",
               [rp[0], window.as_of - timedelta(days=30)])[0]
    facts["research_to_prod"] = {
        "resource_id": rp[1], "endpoint_id": rp[0], "job_id": rp[3], "team": rp[2], "project": tags[0],
        "tagged_env": tags[1], "hourly_cost": str(Decimal(rp[4]).normalize()), "monthly_cost": money(rp[4] * 720),
        "avg_requests_per_day_last_30d": int(round(float(req))),
    }

    # -- prompt injection -------------------------------------------------------------------------------------
    inj = _one(con, f"SELECT Tags['{INJECTION_TAG_KEY}'] FROM focus_charges WHERE ResourceId = ? LIMIT 1",
               [INJECTION_RESOURCE_ID])[0]
    if inj != INJECTION_TEXT:
        raise RuntimeError("prompt-injection tag missing from its resource")
    facts["prompt_injection"] = {"resource_id": INJECTION_RESOURCE_ID, "tag_key": INJECTION_TAG_KEY, "tag_value": inj}
    return facts


def write_facts(con: duckdb.DuckDBPyConnection, facts: dict[str, Any]) -> None:
    con.executemany("INSERT INTO demo_facts VALUES (?, ?)",
                    [[k, json.dumps(v, sort_keys=True)] for k, v in facts.items()])

"""LLM call logs of the demo apps (`llm_calls`), set-based; cost from the price catalog.

High-volume apps get one aggregate row per hour (`calls` = that hour's calls); the app without
max_tokens (`NO_MAX_TOKENS_APP`) gets one row per call so its output-token median and P95 mean something.
"""

from __future__ import annotations

import duckdb

from knowledge.demo.company import LLM_APPS
from knowledge.demo.rand import normal, uniform
from knowledge.prices import llm_cost_sql


def _create_apps(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _demo_llm_apps (
            app VARCHAR, feature VARCHAR, team VARCHAR, provider VARCHAR, model VARCHAR, prompt_id VARCHAR,
            version VARCHAR, sys_tokens BIGINT, max_tokens BIGINT, caching BOOLEAN, calls_per_day BIGINT,
            seasonal BOOLEAN, user_tokens BIGINT, output_tokens BIGINT, per_call BOOLEAN)
        """
    )
    con.executemany(
        "INSERT INTO _demo_llm_apps VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [[a.app, a.feature, a.team, a.provider, a.model, a.prompt_id, a.version, a.system_prompt_tokens,
          a.max_tokens, a.caching, a.calls_per_day, a.seasonal, a.user_tokens, a.output_tokens, a.per_call]
         for a in LLM_APPS],
    )


def insert_llm_calls(con: duckdb.DuckDBPyConnection, seed: int, ingest_id: str) -> int:
    _create_apps(con)
    daily = f"""
        SELECT a.*, d.idx, d.day_ts,
               CAST(CASE WHEN a.seasonal
                    THEN round(a.calls_per_day * (CASE WHEN d.weekend THEN 0.55 ELSE 1.0 END)
                               * (0.95 + 0.1 * {uniform(seed, 'llm_day', 'a.app', 'd.idx')}))
                    ELSE a.calls_per_day END AS BIGINT) AS day_calls
        FROM _demo_llm_apps a CROSS JOIN _demo_days d
    """
    hourly = f"""
        SELECT d.*, h.range AS hour,
               d.day_calls // 24 + CASE WHEN h.range < d.day_calls % 24 THEN 1 ELSE 0 END AS calls,
               {uniform(seed, 'llm_in', 'd.app', 'd.idx', 'h.range')} AS u_in,
               {uniform(seed, 'llm_out', 'd.app', 'd.idx', 'h.range')} AS u_out
        FROM ({daily}) d CROSS JOIN range(24) h
        WHERE NOT d.per_call
    """
    aggregate_rows = f"""
        SELECT day_ts + to_hours(CAST(hour AS INTEGER)) AS ts, provider, model, app, feature, team, prompt_id,
               version AS prompt_version, calls,
               calls * sys_tokens + CAST(round(calls * user_tokens * (0.9 + 0.2 * u_in)) AS BIGINT) AS input_tokens,
               CASE WHEN caching THEN CAST(round(calls * sys_tokens * 0.85) AS BIGINT) ELSE 0 END AS cached_input_tokens,
               greatest(calls, CAST(round(calls * output_tokens * (0.9 + 0.2 * u_out)) AS BIGINT)) AS output_tokens,
               max_tokens,
               CAST(round(250 + output_tokens * 12 * (0.9 + 0.2 * u_out)) AS BIGINT) AS latency_ms,
               'ok' AS status, NULL AS customer_id
        FROM ({hourly}) WHERE calls > 0
    """
    per_call_rows = f"""
        SELECT d.day_ts + to_seconds(CAST(floor((k.range + {uniform(seed, 'call_ts', 'd.app', 'd.idx', 'k.range')})
                                              * 86400.0 / d.day_calls) AS BIGINT)) AS ts,
               d.provider, d.model, d.app, d.feature, d.team, d.prompt_id, d.version AS prompt_version,
               1 AS calls,
               d.sys_tokens + CAST(round(d.user_tokens * (0.4 + 1.2 * {uniform(seed, 'call_in', 'd.app', 'd.idx', 'k.range')})) AS BIGINT) AS input_tokens,
               CASE WHEN d.caching THEN d.sys_tokens ELSE 0 END AS cached_input_tokens,
               CAST(least(16000, greatest(40, round(exp(ln(d.output_tokens) + 0.85 * {normal(seed, 'call_out', 'd.app', 'd.idx', 'k.range')})))) AS BIGINT) AS output_tokens,
               d.max_tokens,
               NULL AS latency_ms, 'ok' AS status,
               'cust-' || lpad(CAST(hash({int(seed)}, 'cust', d.idx, k.range) % 60 AS VARCHAR), 3, '0') AS customer_id
        FROM ({daily}) d JOIN range(0, 2000) k ON k.range < d.day_calls
        WHERE d.per_call
    """
    rows = f"""
        SELECT ts, provider, model, app, feature, team, prompt_id, prompt_version, calls, input_tokens,
               cached_input_tokens, output_tokens, max_tokens,
               coalesce(latency_ms, CAST(300 + output_tokens * 14 AS BIGINT)) AS latency_ms,
               status, customer_id
        FROM ({aggregate_rows}) UNION ALL
        SELECT ts, provider, model, app, feature, team, prompt_id, prompt_version, calls, input_tokens,
               cached_input_tokens, output_tokens, max_tokens,
               coalesce(latency_ms, CAST(300 + output_tokens * 14 AS BIGINT)) AS latency_ms,
               status, customer_id
        FROM ({per_call_rows})
    """
    con.execute(
        f"""
        INSERT INTO llm_calls BY NAME
        SELECT c.*, {llm_cost_sql('c', 'p')} AS cost, 'demo' AS x_source_file, ? AS x_ingest_id
        FROM ({rows}) c LEFT JOIN llm_prices p ON p.model = c.model
        ORDER BY c.ts, c.app
        """,
        [ingest_id],
    )
    return con.execute("SELECT count(*) FROM llm_calls").fetchall()[0][0]

"""Ordinary resources: the bulk of the FOCUS rows (N x ~108K at --scale N), set-based.

Each resource has a provider/service, team, base daily cost and a lifetime inside the window; seasonal
services cost less at weekends. Which ordinary resources lose their `team` tag is decided from their
expected cost so that untagged spend lands near `UNTAGGED_TARGET` of the total at any scale.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

from knowledge.demo.company import ORDINARY_RESOURCES_PER_SCALE, SERVICES, UNTAGGED_TARGET, WEEKEND_FACTOR
from knowledge.demo.focus import insert_focus, tags_sql
from knowledge.demo.rand import pick, uniform


def create_resources(con: duckdb.DuckDBPyConnection, seed: int, scale: int, days: int) -> int:
    n = ORDINARY_RESOURCES_PER_SCALE * scale
    u = lambda salt: uniform(seed, salt, "i")  # noqa: E731
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _demo_resources AS
        WITH r AS (
            SELECT range AS i,
                   {pick(seed, 'res_service', sum(x.weight for x in SERVICES), 'range')} AS sw,
                   {pick(seed, 'res_team', 100, 'range')} AS tw
            FROM range({n})
        ), x AS (
            SELECT r.i, s.provider, s.service, s.category, s.resource_type, s.short, s.sku, s.unit, s.unit_price,
                   s.seasonal, t.team, t.owners, t.projects, t.name_word,
                   s.lo + (s.hi - s.lo) * pow({u('res_base')}, 2) AS base,
                   CASE WHEN {u('res_start')} < 0.86 THEN 0 ELSE CAST(floor({u('res_start2')} * {days - 10}) AS INTEGER) END AS start_day,
                   {u('res_end')} AS u_end, {u('res_end2')} AS u_end2,
                   {u('res_project')} AS u_project, {u('res_env')} AS u_env, {u('res_owner')} AS u_owner,
                   {pick(seed, 'res_region', 1000, 'i')} AS region_pick, {pick(seed, 'res_sub', 1000, 'i')} AS sub_pick
            FROM r
            JOIN _demo_services s ON r.sw >= s.cum_lo AND r.sw < s.cum_hi
            JOIN _demo_teams t ON r.tw >= t.cum_lo AND r.tw < t.cum_hi
        )
        SELECT x.*, a.regions[1 + x.region_pick % len(a.regions)] AS region,
               a.sub_ids[1 + x.sub_pick % len(a.sub_ids)] AS sub_account_id,
               a.sub_names[1 + x.sub_pick % len(a.sub_ids)] AS sub_account_name,
               CASE WHEN x.u_end < 0.93 THEN {days}
                    ELSE least({days}, x.start_day + 5 + CAST(floor(x.u_end2 * {days}) AS INTEGER)) END AS end_day,
               x.name_word || '-' || x.short || '-' || lpad(CAST(x.i AS VARCHAR), 6, '0') AS resource_name,
               CASE WHEN x.u_project < 0.10 THEN NULL ELSE x.projects[1 + CAST(x.u_project * 1000 AS INTEGER) % 2] END AS project,
               CASE WHEN x.u_env < 0.05 THEN NULL WHEN x.u_env < 0.70 THEN 'prod' WHEN x.u_env < 0.90 THEN 'dev'
                    ELSE 'staging' END AS env,
               CASE WHEN x.u_owner < 0.20 THEN NULL ELSE x.owners[1 + CAST(x.u_owner * 1000 AS INTEGER) % len(x.owners)] END AS owner
        FROM x JOIN _demo_accounts a ON a.provider = x.provider
        """
    )
    con.execute(
        """
        ALTER TABLE _demo_resources ADD COLUMN resource_id VARCHAR;
        UPDATE _demo_resources SET resource_id = CASE provider
            WHEN 'AWS' THEN 'arn:aws:' || short || ':' || region || ':' || sub_account_id || ':' || resource_name
            WHEN 'Google Cloud' THEN '//' || short || '.googleapis.com/projects/' || sub_account_id || '/' || resource_name
            ELSE '/subscriptions/' || sub_account_id || '/resourceGroups/rg-' || team || '/providers/' || short || '/' || resource_name END;
        """
    )
    return n


def choose_untagged(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """Mark ordinary resources untagged, in seeded hash order, until the expected untagged spend
    (planted rows already in focus_charges + marked ordinary ones) reaches the target share."""
    planted_total, planted_untagged = con.execute(
        "SELECT coalesce(sum(BilledCost), 0), coalesce(sum(BilledCost) FILTER (WHERE nullif(Tags['team'], '') IS NULL), 0) "
        "FROM focus_charges"
    ).fetchall()[0]
    # Expected cost per resource as an exact DECIMAL, so the choice cannot depend on float summation order.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _demo_expected AS
        SELECT r.i, CAST(round(r.base * CASE WHEN r.seasonal THEN ce.cum - cs.cum ELSE r.end_day - r.start_day END, 4)
                         AS DECIMAL(18,4)) AS expected
        FROM _demo_resources r
        JOIN _demo_season_cum cs ON cs.idx = r.start_day
        JOIN _demo_season_cum ce ON ce.idx = r.end_day
        """
    )
    ordinary_total = con.execute("SELECT coalesce(sum(expected), 0) FROM _demo_expected").fetchall()[0][0]
    need = UNTAGGED_TARGET * (Decimal(planted_total) + Decimal(ordinary_total)) - Decimal(planted_untagged)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _demo_untagged AS
        SELECT i FROM (
            SELECT i, expected,
                   sum(expected) OVER (ORDER BY hash({int(seed)}, 'untag', i), i ROWS UNBOUNDED PRECEDING) AS cum
            FROM _demo_expected
        ) WHERE cum - expected < ?
        """,
        [need],
    )


def insert_ordinary_charges(con: duckdb.DuckDBPyConnection, seed: int, ingest_id: str) -> int:
    # Tags once per resource; untagged resources lose `team` and `owner`.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _demo_tagged_resources AS
        SELECT r.*, {tags_sql('t')} AS tags
        FROM _demo_resources r
        LEFT JOIN _demo_untagged ut ON ut.i = r.i
        CROSS JOIN LATERAL (SELECT CASE WHEN ut.i IS NULL THEN r.team END AS team, r.project, r.env,
                                   CASE WHEN ut.i IS NULL THEN r.owner END AS owner,
                                   CAST(NULL AS VARCHAR) AS extra_key, CAST(NULL AS VARCHAR) AS extra_value) t
        """
    )
    noise = uniform(seed, "res_day", "r.i", "d.idx")
    daily = f"""
        SELECT r.*, d.day, CAST(round(r.base * (CASE WHEN r.seasonal AND d.weekend THEN {WEEKEND_FACTOR} ELSE 1.0 END)
                                      * (0.96 + 0.08 * {noise}), 4) AS DECIMAL(18,4)) AS day_cost
        FROM _demo_tagged_resources r
        JOIN _demo_days d ON d.idx >= r.start_day AND d.idx < r.end_day
    """
    source = f"""
        SELECT r.day, r.provider, r.service, r.category, r.region, r.sub_account_id, r.sub_account_name,
               r.resource_id, r.resource_name, r.resource_type, r.sku,
               r.sku || ' in ' || r.region AS description, r.unit,
               CAST(round(r.day_cost / r.unit_price, 6) AS DECIMAL(38,12)) AS quantity, r.unit_price,
               CAST(r.day_cost AS DECIMAL(38,12)) AS cost, NULL AS list_cost,
               'Standard' AS pricing_category, 'Usage' AS charge_category, 'Usage-Based' AS charge_frequency,
               r.tags
        FROM ({daily}) r
    """
    return insert_focus(con, source, ingest_id, prebuilt_tags=True)


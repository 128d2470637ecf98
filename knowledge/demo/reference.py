"""Reference tables of the demo: teams, prompts, ownership rules, plus the temp lookup tables the
bulk generators join against (days, services, teams with weights, accounts)."""

from __future__ import annotations

import duckdb

from knowledge.demo.company import (
    ACCOUNTS,
    LLM_APPS,
    PATTERN_RULES,
    SERVICES,
    TEAMS,
    WEEKEND_FACTOR,
)
from knowledge.demo.window import DemoWindow


def create_lookups(con: duckdb.DuckDBPyConnection, window: DemoWindow) -> None:
    """Temp tables (this connection only, never persisted) the set-based generators join against."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _demo_days AS
        SELECT CAST(range AS INTEGER) AS idx,
               CAST(? AS DATE) + CAST(range AS INTEGER) AS day,
               CAST(CAST(? AS DATE) + CAST(range AS INTEGER) AS TIMESTAMP) AS day_ts,
               isodow(CAST(? AS DATE) + CAST(range AS INTEGER)) >= 6 AS weekend
        FROM range(?)
        """,
        [window.start, window.start, window.start, window.days],
    )
    # Cumulative seasonal factor: expected cost of a seasonal resource over [a, b) = base * (cum[b] - cum[a]).
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _demo_season_cum AS
        SELECT idx, coalesce(sum(f) OVER (ORDER BY idx ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS cum
        FROM (SELECT idx, CASE WHEN weekend THEN {WEEKEND_FACTOR} ELSE 1.0 END AS f FROM _demo_days
              UNION ALL SELECT ?, 0.0)
        """,
        [window.days],
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _demo_services (
            idx INTEGER, provider VARCHAR, service VARCHAR, category VARCHAR, resource_type VARCHAR,
            short VARCHAR, sku VARCHAR, unit VARCHAR, unit_price DECIMAL(38,15), lo DOUBLE, hi DOUBLE,
            seasonal BOOLEAN, cum_lo INTEGER, cum_hi INTEGER)
        """
    )
    cum = 0
    rows = []
    for i, s in enumerate(SERVICES):
        rows.append([i, s.provider, s.service, s.category, s.resource_type, s.short, s.sku, s.unit,
                     s.unit_price, s.lo, s.hi, s.seasonal, cum, cum + s.weight])
        cum += s.weight
    con.executemany("INSERT INTO _demo_services VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _demo_teams (
            team VARCHAR, owners VARCHAR[], projects VARCHAR[], name_word VARCHAR, cum_lo INTEGER, cum_hi INTEGER)
        """
    )
    cum = 0
    rows = []
    for t in TEAMS:
        w = round(t.weight * 100)
        rows.append([t.team, t.owners, t.projects, t.name_word, cum, cum + w])
        cum += w
    con.executemany("INSERT INTO _demo_teams VALUES (?,?,?,?,?,?)", rows)

    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _demo_accounts (
            provider VARCHAR, billing_account_id VARCHAR, billing_account_name VARCHAR,
            sub_ids VARCHAR[], sub_names VARCHAR[], regions VARCHAR[])
        """
    )
    con.executemany(
        "INSERT INTO _demo_accounts VALUES (?,?,?,?,?,?)",
        [[a.provider, a.billing_account_id, a.billing_account_name, [s[0] for s in a.sub_accounts],
          [s[1] for s in a.sub_accounts], a.regions] for a in ACCOUNTS],
    )


def insert_teams(con: duckdb.DuckDBPyConnection) -> None:
    con.executemany(
        "INSERT INTO teams (team, cost_center, slack_channel, lead, approvers) VALUES (?, ?, ?, ?, ?)",
        [[t.team, t.cost_center, f"#team-{t.team}", t.lead, t.approvers] for t in TEAMS],
    )


def insert_prompts(con: duckdb.DuckDBPyConnection) -> None:
    con.executemany(
        "INSERT INTO prompts (prompt_id, version, app, team, model, system_prompt_tokens, max_tokens, "
        "task_type, caching_enabled, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[a.prompt_id, a.version, a.app, a.team, a.model, a.system_prompt_tokens, a.max_tokens,
          a.task_type, a.caching, a.text] for a in LLM_APPS],
    )


def insert_pattern_rules(con: duckdb.DuckDBPyConnection, first_rule_id: int) -> None:
    """Ownership rules by name pattern (for untagged ordinary resources); rule ids from `first_rule_id`."""
    con.executemany(
        "INSERT INTO ownership (rule_id, match_kind, pattern, team, owner, source, priority) "
        "VALUES (?, 'resource_pattern', ?, ?, ?, ?, 200)",
        [[first_rule_id + i, p, team, owner, source] for i, (p, team, owner, source) in enumerate(PATTERN_RULES)],
    )

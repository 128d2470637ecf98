"""Monthly team budgets for every month the window touches. One team (`OVER_80_TEAM`) is set to ~87% of
its current-month budget; the others stay below 80% month-to-date by construction (their budget is at
least 1.3x their projected month), so the planted fact holds at any scale and any as_of."""

from __future__ import annotations

import duckdb

from knowledge.demo.rand import uniform
from knowledge.demo.window import DemoWindow

OVER_80_TEAM = "support"
OVER_80_PCT = 0.87


def insert_budgets(con: duckdb.DuckDBPyConnection, seed: int, window: DemoWindow) -> None:
    """Budget per team and month from the team's allocated spend (charges_allocated.x_team) in the window."""
    con.execute(
        f"""
        INSERT INTO budgets (scope_kind, scope_name, period, period_start, amount, alert_thresholds)
        WITH spend AS (
            SELECT x_team AS team, CAST(date_trunc('month', ChargePeriodStart) AS DATE) AS month,
                   sum(BilledCost) AS spent, count(DISTINCT CAST(ChargePeriodStart AS DATE)) AS days_covered
            FROM charges_allocated
            WHERE x_team IS NOT NULL AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
            GROUP BY x_team, CAST(date_trunc('month', ChargePeriodStart) AS DATE)
        ), m AS (
            SELECT s.*, t.team IS NOT NULL AS known, s.month = CAST(? AS DATE) AS is_current,
                   CAST(s.spent AS DOUBLE) * datediff('day', s.month, s.month + INTERVAL 1 MONTH) / s.days_covered AS projected,
                   {uniform(seed, 'budget', 's.team', 'CAST(s.month AS VARCHAR)')} AS u
            FROM spend s JOIN teams t ON t.team = s.team
        )
        SELECT 'team', team, 'monthly', month,
               CAST(greatest(100, round(CASE
                    WHEN is_current AND team = ? THEN CAST(spent AS DOUBLE) / ?
                    WHEN is_current THEN projected * (1.30 + 0.25 * u)
                    ELSE projected * (0.92 + 0.33 * u) END / 100) * 100) AS DECIMAL(38,12)),
               '0.8,1.0'
        FROM m
        ORDER BY team, month
        """,
        [window.start, window.as_of, window.month_start, OVER_80_TEAM, OVER_80_PCT],
    )

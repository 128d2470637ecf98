"""Storing an estimate (`estimates`) and reading the previous one of the same job: for writers only.

The estimate tool computes; the caller that holds the store's writer (the CLI through
`tools.estimate_record`, the Slack bot through its write path) stores. The id is stable: the same inputs at
the same cost give the same id, so an approval given in Slack applies when CI re-runs the same manifest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
from pydantic import BaseModel

from tools.estimate.result import EstimateResult
from tools.manifest import JobSpec


class PreviousEstimate(BaseModel):
    estimate_id: str
    created_at: datetime
    expected_cost: Decimal | None
    verdict: str | None


def estimate_id(spec: JobSpec, expected: Decimal | None) -> str:
    """Stable id: the same inputs at the same cost give the same id (the budget is not part of it)."""
    inputs = spec.model_dump(mode="json", exclude={"budget"})
    blob = json.dumps({"inputs": inputs, "cost": None if expected is None else str(expected)}, sort_keys=True)
    return "est-" + hashlib.sha256(blob.encode()).hexdigest()[:12]


def record_estimate(con: duckdb.DuckDBPyConnection, result: EstimateResult) -> None:
    """Insert (or refresh) the estimate row. `con` must be a writable connection."""
    now = datetime.now(UTC).replace(tzinfo=None)
    payload = result.model_dump_json(exclude={"evidence"})
    con.execute(
        """
        INSERT INTO estimates (estimate_id, created_at, name, team, kind, expected_cost, p10, p90, budget,
                               verdict, manifest, result_json)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (estimate_id) DO UPDATE SET created_at = excluded.created_at, budget = excluded.budget,
            verdict = excluded.verdict, result_json = excluded.result_json
        """,
        [result.estimate_id, now, result.name, result.team, result.kind, result.expected_cost, result.p10,
         result.p90, result.budget.job_budget, result.verdict, result.spec_json, payload],
    )


def previous_estimate(con: duckdb.DuckDBPyConnection, name: str, team: str | None) -> PreviousEstimate | None:
    """The last stored estimate of the same job name (and team): what "change vs previous" compares to."""
    row = con.execute(
        """
        SELECT estimate_id, created_at, expected_cost, verdict FROM estimates
        WHERE name = ? AND team IS NOT DISTINCT FROM ?
        ORDER BY created_at DESC, estimate_id LIMIT 1
        """,
        [name, team],
    ).fetchone()
    if row is None:
        return None
    return PreviousEstimate(estimate_id=row[0], created_at=row[1],
                            expected_cost=None if row[2] is None else Decimal(row[2]), verdict=row[3])


def manifest_json(spec: JobSpec) -> str:
    return json.dumps(spec.model_dump(mode="json"), sort_keys=True)

"""Name resolution shared by every tool: exact, then case/punctuation-folded, else "did you mean".

A fuzzy match is never used silently: 'serch' is not taken to mean 'search'; the user is asked.
"""

from __future__ import annotations

from typing import Literal

import duckdb

from knowledge.naming import fold, suggest
from knowledge.semantic.model import DIMENSIONS
from tools.contract import UnknownNameError

__all__ = ["candidates", "fold", "resolve", "resolve_in", "suggest"]

NameKind = Literal["team", "model", "resource", "project", "service", "account", "app", "provider", "region", "prompt", "feature", "customer", "environment"]

def _bill(dim: str) -> str:
    """Names of a dimension on the bill, by the semantic model's definition of it."""
    return f"SELECT DISTINCT {DIMENSIONS[dim].sql} FROM focus_charges"


# Where each kind of name lives in the store. Each query yields one VARCHAR column of candidates.
_CANDIDATES: dict[str, list[str]] = {
    "team": [
        "SELECT team FROM teams",
        "SELECT DISTINCT Tags['team'] FROM focus_charges",
        "SELECT DISTINCT team FROM ownership",
        "SELECT DISTINCT team FROM llm_calls",
        "SELECT DISTINCT team FROM gpu_jobs",
        "SELECT DISTINCT team FROM endpoints",
    ],
    "model": [
        "SELECT DISTINCT model FROM llm_calls",
        "SELECT DISTINCT model FROM endpoints",
        "SELECT DISTINCT model FROM prompts",
        "SELECT DISTINCT model FROM llm_usage_buckets",
    ],
    "resource": [
        "SELECT DISTINCT ResourceId FROM focus_charges",
        "SELECT DISTINCT ResourceName FROM focus_charges",
        "SELECT endpoint_id FROM endpoints",
        "SELECT name FROM endpoints",
        "SELECT job_id FROM gpu_jobs",
        "SELECT name FROM gpu_jobs",
    ],
    "project": [_bill("project"), "SELECT DISTINCT project FROM gpu_jobs"],
    "service": [_bill("service")],
    "account": [
        "SELECT DISTINCT SubAccountName FROM focus_charges",
        "SELECT DISTINCT SubAccountId FROM focus_charges",
        "SELECT DISTINCT BillingAccountName FROM focus_charges",
        "SELECT DISTINCT BillingAccountId FROM focus_charges",
    ],
    "app": ["SELECT DISTINCT app FROM llm_calls", "SELECT DISTINCT app FROM prompts",
            "SELECT DISTINCT project_id FROM llm_usage_buckets"],
    "provider": [_bill("provider"), "SELECT DISTINCT provider FROM llm_calls",
                 "SELECT DISTINCT provider FROM llm_usage_buckets"],
    "region": [_bill("region")],
    "prompt": ["SELECT DISTINCT prompt_id FROM prompts", "SELECT DISTINCT prompt_id FROM llm_calls"],
    "feature": ["SELECT DISTINCT feature FROM llm_calls"],
    "customer": ["SELECT DISTINCT customer_id FROM llm_calls"],
    "environment": [_bill("env"), "SELECT DISTINCT environment FROM gpu_jobs"],
}


def candidates(con: duckdb.DuckDBPyConnection, kind: str) -> list[str]:
    """Every known name of a kind, deduplicated, in a stable order."""
    if kind not in _CANDIDATES:
        raise ValueError(f"unknown name kind {kind!r}")
    union = " UNION ".join(f"({q})" for q in _CANDIDATES[kind])
    rows = con.execute(f"SELECT DISTINCT n FROM ({union}) AS u(n) WHERE n IS NOT NULL AND n <> '' ORDER BY n").fetchall()
    return [r[0] for r in rows]


def resolve_in(name: str, names: list[str], kind: str) -> str:
    """Resolve `name` against `names`: exact, then folded; else raise UnknownNameError with suggestions."""
    if name in names:
        return name
    target = fold(name)
    folded_hits = [n for n in names if fold(n) == target]
    if len(folded_hits) == 1:
        return folded_hits[0]
    if len(folded_hits) > 1:
        raise UnknownNameError(kind, name, folded_hits)
    raise UnknownNameError(kind, name, suggest(name, names))


def resolve(con: duckdb.DuckDBPyConnection, kind: str, name: str) -> str:
    """The canonical spelling of a team/model/resource/... name in the store, or UnknownNameError."""
    return resolve_in(name.strip(), candidates(con, kind), kind)

"""The few engine-specific SQL constructs, one helper each, so a transpiler has one place to change
(docs/architecture.md, "Portable SQL": percentiles and list functions on maps do not move between engines unchanged)."""

from __future__ import annotations


def percentile(expr: str, q: float) -> str:
    """The continuous percentile of `expr` (the one dialect-specific percentile in the tools)."""
    if not 0 <= q <= 1:
        raise ValueError("q must be within [0, 1]")
    return f"quantile_cont({expr}, {q!r})"


def tag_keys_sql(table: str = "focus_charges") -> str:
    """Distinct keys of the `Tags` maps of a table (the one list function on a map the tools use).
    `table` is a name the caller made up, never user text."""
    return f"SELECT DISTINCT unnest(map_keys(Tags)) AS k FROM {table} WHERE Tags IS NOT NULL ORDER BY k"

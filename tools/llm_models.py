"""Choosing a cheaper LLM from the price catalog (used by estimate and remediations).

A candidate is a chat model of the same provider, not a dated snapshot or preview, in the same or a
lower tier, that is cheaper for the given token mix. Per tier, the one closest in name to the current
model wins (gpt-4o -> gpt-4o-mini, claude-sonnet-4-5 -> claude-haiku-4-5), ties to the cheaper.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tools.contract import FinopsError

TIER_RANK = {"small": 0, "mid": 1, "frontier": 2}
_SNAPSHOT = re.compile(r"(-\d{4}-\d{2}-\d{2}|-\d{8}|-v\d+:\d+|-preview.*|-latest)$")

PRICE_COLUMNS = """model, provider, mode, tier, input_cost_per_token AS inp, output_cost_per_token AS outp,
               cache_read_input_token_cost AS cache"""


def provider_prices(con_query: Callable[[str, list[Any]], list[dict[str, Any]]], model: str) -> list[dict[str, Any]]:
    """Catalog rows of every model of `model`'s provider (`con_query` is ToolContext.query)."""
    rows = con_query(
        f"""
        SELECT {PRICE_COLUMNS}
        FROM llm_prices
        WHERE provider = (SELECT provider FROM llm_prices WHERE model = ?)
        ORDER BY model
        """,
        [model],
    )
    if not any(r["model"] == model for r in rows):
        raise FinopsError(f"model '{model}' has no price in the catalog")
    return rows


def token_cost(p: dict[str, Any], uncached: Decimal, cached: Decimal, output: Decimal) -> Decimal | None:
    """Cost of a token mix at catalog row `p`; None when a needed price is unknown."""
    if p["inp"] is None or p["outp"] is None:
        return None
    cache_price = p["cache"] if p["cache"] is not None else p["inp"]
    return uncached * p["inp"] + cached * cache_price + output * p["outp"]


def cheaper_models(model: str, prices: list[dict[str, Any]], cost_of: Callable[[dict[str, Any]], Decimal | None],
                   current: Decimal) -> list[tuple[dict[str, Any], Decimal]]:
    """(catalog row, cost) per tier at or below `model`'s, best first: frontier, mid, small."""
    own = next(p for p in prices if p["model"] == model)
    own_rank = TIER_RANK.get(own["tier"] or "mid", 1)
    best: dict[str, tuple[tuple[int, Decimal, str], dict[str, Any], Decimal]] = {}
    for p in prices:
        if p["model"] == model or p["mode"] != "chat" or _SNAPSHOT.search(p["model"]) or "/" in p["model"]:
            continue
        tier = p["tier"] or "mid"
        if TIER_RANK.get(tier, 1) > own_rank:
            continue
        cost = cost_of(p)
        if cost is None or cost >= current:
            continue
        key = (-_common_prefix(model, p["model"]), -cost, p["model"])
        if tier not in best or key < best[tier][0]:
            best[tier] = (key, p, cost)
    return [(best[t][1], best[t][2]) for t in ("frontier", "mid", "small") if t in best]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n

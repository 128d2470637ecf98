"""The cost of provider usage buckets from the LLM price catalog (`llm_prices`), in SQL.

Input tokens are split so that each token is priced once (OpenAI's input_tokens include cached and
cache-write tokens; Anthropic's parts are disjoint and the connector adds them up the same way):

    cost = (input - cache reads - cache writes) x input price
         + cache reads x cache-read price            (input price when the catalog has none)
         + 5-minute cache writes x cache-write price (input price when the catalog has none)
         + 1-hour cache writes x 2 x input price     (Anthropic prices 1-hour writes at 2x base input)
         + output x output price
    x 0.5 for batch usage                             (OpenAI Batch API and Anthropic Message Batches)

A part with tokens but no price makes the whole cost NULL (unknown, never $0); a bucket with no model
(not grouped by model) or of a non-token endpoint (images, audio, vector stores, ...) is NULL too.
Priority / flex tiers are priced at the standard rate: the catalog has no tier prices.
"""

from __future__ import annotations

from decimal import Decimal

# Both providers' pricing pages: batch requests cost 50% of the standard price.
BATCH_FACTOR = Decimal("0.5")
# Anthropic pricing: 1-hour cache writes cost 2x the base input price (5-minute writes 1.25x, which is
# the catalog's cache_creation_input_token_cost).
ONE_HOUR_WRITE_FACTOR = Decimal("2")
# Usage endpoints whose buckets are tokens a per-token catalog can price.
TOKEN_ENDPOINTS: tuple[str, ...] = ("completions", "embeddings", "moderations", "messages")


def _part(tokens: str, price: str) -> str:
    return f"(CASE WHEN coalesce({tokens}, 0) = 0 THEN 0 ELSE {tokens} * {price} END)"


def bucket_cost_sql(b: str = "s", p: str = "p") -> str:
    """SQL for the cost of bucket rows `b` joined (LEFT) to their `llm_prices` row `p` on the model."""
    writes = f"coalesce({b}.cache_write_input_tokens, 0)"
    writes_1h = f"coalesce({b}.cache_write_1h_input_tokens, 0)"
    reads = f"coalesce({b}.cached_input_tokens, 0)"
    endpoints = ", ".join(f"'{e}'" for e in TOKEN_ENDPOINTS)
    parts = " + ".join([
        _part(f"({b}.input_tokens - {reads} - {writes})", f"{p}.input_cost_per_token"),
        _part(reads, f"coalesce({p}.cache_read_input_token_cost, {p}.input_cost_per_token)"),
        _part(f"({writes} - {writes_1h})", f"coalesce({p}.cache_creation_input_token_cost, {p}.input_cost_per_token)"),
        _part(writes_1h, f"{ONE_HOUR_WRITE_FACTOR} * {p}.input_cost_per_token"),
        _part(f"{b}.output_tokens", f"{p}.output_cost_per_token"),
    ])
    return (
        f"CAST(CASE WHEN {p}.model IS NULL OR {b}.input_tokens IS NULL OR {b}.endpoint NOT IN ({endpoints}) "
        f"THEN NULL ELSE ({parts}) * CASE WHEN coalesce({b}.batch, false) THEN {BATCH_FACTOR} ELSE 1 END "
        f"END AS DECIMAL(38,12))"
    )

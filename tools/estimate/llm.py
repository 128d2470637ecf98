"""An LLM batch's cost: calls x tokens x the model's per-token prices, shown three ways (plain, with the
cached share at the cache-read price, through the provider's batch API), with cheaper models of the same
provider as alternatives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tools.contract import FinopsError, UnknownNameError
from tools.estimate.formatting import cents
from tools.estimate.models import Alternative, CostLine, LlmTotals, PricedBody
from tools.estimate.spec import name_error
from tools.llm_models import cheaper_models, provider_prices, token_cost
from tools.manifest import LlmBatchSpec
from tools.names import resolve_in
from tools.registry import ToolContext

MILLION = Decimal(1_000_000)


def _batch_prices(ctx: ToolContext, model: str) -> tuple[Decimal | None, Decimal | None, str | None]:
    rows = ctx.query("SELECT batch_input_cost_per_token AS bin, batch_output_cost_per_token AS bout, provider "
                     "FROM llm_prices WHERE model = ?", [model])
    if not rows or rows[0]["bin"] is None or rows[0]["bout"] is None:
        return None, None, None
    r = rows[0]
    return Decimal(r["bin"]), Decimal(r["bout"]), f"llm_prices x {r['provider']} batch share (llm_batch_prices.csv)"


def llm_batch(ctx: ToolContext, spec: LlmBatchSpec) -> PricedBody:
    names = [r["model"] for r in ctx.query("SELECT model FROM llm_prices ORDER BY model")]
    if not names:
        raise FinopsError("the LLM price catalog is empty; load it with knowledge.prices.load_catalogs")
    try:
        model = resolve_in(spec.model.strip(), names, "model")
    except UnknownNameError as exc:
        raise name_error(spec, "model", exc) from None
    prices = provider_prices(ctx.query, model)
    own = next(p for p in prices if p["model"] == model)
    calls = Decimal(spec.calls)
    all_input = Decimal(spec.input_tokens) * calls
    cached = all_input * spec.cached_share
    uncached = all_input - cached
    output = Decimal(spec.output_tokens) * calls

    def batch_cost(p: dict[str, Any]) -> Decimal | None:
        cost = token_cost(p, uncached, cached, output)
        return None if cost is None else cents(cost)

    lines = _lines(model, own, uncached, cached, output)
    expected = batch_cost(own)
    alternatives = [] if expected is None else [
        Alternative(option=p["model"], cost=cost, savings=expected - cost,
                    note=f"{p['tier']} tier; check quality on a sample first", source="llm_prices")
        for p, cost in cheaper_models(model, prices, batch_cost, expected)]
    totals = _totals(ctx, model, own, all_input, output, expected, spec.cached_share)
    if totals.batch is not None and expected is not None and totals.batch < expected:
        alternatives.insert(0, Alternative(option=f"{model} through the batch API", cost=totals.batch,
                                           savings=expected - totals.batch, source=totals.batch_source,
                                           note="results within 24 hours; no prompt-cache discount assumed"))
    for alt in alternatives:
        if alt.savings is not None and expected:
            alt.savings_pct = (alt.savings / expected * 100).quantize(Decimal(1))
    warnings = [] if expected is not None else [f"{model} has no price in the catalog: cost unknown"]
    if totals.batch is None:
        warnings.append(f"batch price unknown: no published batch-API price for {model}'s provider in the catalog")
    return PricedBody(expected_cost=expected, lines=lines, model=model, alternatives=alternatives,
                      llm_totals=totals, warnings=warnings)


def _lines(model: str, own: dict[str, Any], uncached: Decimal, cached: Decimal, output: Decimal) -> list[CostLine]:
    cache_price = own["cache"] if own["cache"] is not None else own["inp"]

    def token_line(item: str, tokens: Decimal, price: Decimal | None) -> CostLine:
        return CostLine(item=item, quantity=tokens / MILLION, unit="M tokens",
                        unit_price=None if price is None else price * MILLION,
                        cost=None if price is None else cents(tokens * price), source="llm_prices")

    lines = [token_line(f"{model} input (uncached)", uncached, own["inp"]),
             token_line(f"{model} input (cached)", cached, cache_price),
             token_line(f"{model} output", output, own["outp"])]
    if not cached:
        lines.pop(1)
    return lines


def _totals(ctx: ToolContext, model: str, own: dict[str, Any], all_input: Decimal, output: Decimal,
            cached_total: Decimal | None, share: Decimal) -> LlmTotals:
    plain_cost = token_cost(own, all_input, Decimal(0), output)
    bin_, bout, source = _batch_prices(ctx, model)
    batch = None if bin_ is None or bout is None else cents(all_input * bin_ + output * bout)
    return LlmTotals(plain=None if plain_cost is None else cents(plain_cost), cached=cached_total, batch=batch,
                     cached_share=share, batch_source=source)

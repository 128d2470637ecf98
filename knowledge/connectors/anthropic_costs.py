"""`finops ingest anthropic-costs`: Anthropic Admin API cost report pages
(GET /v1/organizations/cost_report) -> FOCUS rows in `focus_charges` (mapping in `focus_rows`:
ProviderName and InvoiceIssuerName 'Anthropic', ServiceCategory 'AI and Machine Learning', description as
ChargeDescription/SkuId, token_type (else cost_type) as SkuMeter, workspace as SubAccountId/Name + Tags).

`amount` is a decimal string in cents ('123.78912' = $1.2378912): divided by 100 exactly, never through
float. `currency` is 'USD'. Buckets are RFC 3339 days. `model`, `token_type`, `service_tier` and
`context_window` are NULL unless the report was grouped by description. Priority Tier costs are not in
this report (Anthropic's documentation).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from knowledge.connectors.focus_rows import focus_row
from knowledge.connectors.inputs import InputDoc
from knowledge.connectors.pages import PageShape, walk
from knowledge.connectors.records import ConnectorOptions, Parsed
from knowledge.connectors.values import BadValue, decimal, rfc3339, text

KIND = "anthropic-costs"
SHAPE = PageShape(KIND, "starting_at", "ending_at", lambda r, k: rfc3339(r, k))
CENTS = Decimal(100)
ATTRIBUTES = ("cost_type", "token_type", "service_tier", "context_window", "inference_geo", "speed")


def to_row(result: dict, start: datetime, end: datetime, options: ConnectorOptions) -> dict[str, Any]:
    if "amount" not in result and ("output_tokens" in result or "uncached_input_tokens" in result):
        raise BadValue("a usage report result: load it with `finops ingest anthropic-usage`")
    cents = decimal(result, "amount", required=True)
    currency = text(result, "currency", required=True)
    description = text(result, "description")
    attributes = {k: text(result, k) for k in ATTRIBUTES}
    row = focus_row(
        provider="Anthropic", account=options.account, start=start, end=end, amount=cents / CENTS,
        currency=currency, rates=options.usd_rates, description=description or attributes["cost_type"],
        sku_meter=attributes["token_type"] or attributes["cost_type"], project=text(result, "workspace_id"),
        quantity=None, unit=None, model=text(result, "model"), attributes=attributes,
    )
    row["x_key"] = (start, end, description, row["SubAccountId"], text(result, "model"),
                    *(attributes[k] for k in ATTRIBUTES))
    return row


def parse(doc: InputDoc, options: ConnectorOptions) -> Parsed:
    parsed = Parsed(KIND, doc.name, doc.shown, "JSON pages", account=options.account or "anthropic-organization")
    walk(doc, SHAPE, parsed, lambda r, s, e: to_row(r, s, e, options))
    return parsed

"""`finops ingest openai-costs`: OpenAI Costs API pages (GET /v1/organization/costs) -> FOCUS rows in
`focus_charges` (mapping in `focus_rows`: ProviderName and InvoiceIssuerName 'OpenAI', ServiceCategory
'AI and Machine Learning', line_item as ChargeDescription/SkuId, project as SubAccountId/Name + Tags).

`amount.value` is a JSON number: it is parsed as a Decimal from its text (never through float), and
`amount.currency` is lower-case ISO 4217 ('usd'). Both field sets load: 2024-12 (amount, line_item,
project_id) and current (adds api_key_id, quantity, quantity_unit). A line item of the form
'<model>, <what>' (e.g. 'gpt-4o-2024-08-06, input') also gives Tags['model'].
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from knowledge.connectors.focus_rows import focus_row
from knowledge.connectors.inputs import InputDoc
from knowledge.connectors.pages import PageShape, walk
from knowledge.connectors.records import ConnectorOptions, Parsed
from knowledge.connectors.values import BadValue, decimal, text, unix_time

KIND = "openai-costs"
SHAPE = PageShape(KIND, "start_time", "end_time", unix_time)
_MODEL_LINE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._:/-]*), .+")


def to_row(result: dict, start: datetime, end: datetime, options: ConnectorOptions) -> dict[str, Any]:
    obj = result.get("object")
    if obj is not None and obj != "organization.costs.result":
        if isinstance(obj, str) and obj.startswith("organization.usage."):
            raise BadValue("a Usage API result: load it with `finops ingest openai-usage`")
        raise BadValue(f"unknown result object {str(obj)[:60]!r}")
    amount = decimal(result, "amount.value", required=True)
    currency = text(result, "amount.currency", required=True)
    line_item = text(result, "line_item")
    m = _MODEL_LINE.fullmatch(line_item or "")
    row = focus_row(
        provider="OpenAI", account=options.account, start=start, end=end, amount=amount, currency=currency,
        rates=options.usd_rates, description=line_item, sku_meter=None, project=text(result, "project_id"),
        quantity=decimal(result, "quantity"), unit=text(result, "quantity_unit"), model=m.group(1) if m else None,
        attributes={"line_item": line_item, "api_key_id": text(result, "api_key_id")},
    )
    row["x_key"] = (start, end, line_item, row["SubAccountId"], text(result, "api_key_id"), currency.upper())
    return row


def parse(doc: InputDoc, options: ConnectorOptions) -> Parsed:
    parsed = Parsed(KIND, doc.name, doc.shown, "JSON pages", account=options.account or "openai-organization")
    walk(doc, SHAPE, parsed, lambda r, s, e: to_row(r, s, e, options))
    return parsed

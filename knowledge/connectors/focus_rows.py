"""FOCUS rows for AI API invoices built from provider cost pages (OpenAI Costs API, Anthropic cost report).

Mapping (the same for both providers, matching the demo's AI invoice rows):
- ProviderName = PublisherName = InvoiceIssuerName = 'OpenAI' | 'Anthropic'; ServiceName 'OpenAI API' |
  'Anthropic API'; ServiceCategory 'AI and Machine Learning', ServiceSubcategory 'Generative AI';
  ChargeCategory 'Usage' ('Credit' for a negative amount), ChargeFrequency 'Usage-Based'.
- ChargePeriodStart/End = the bucket (one day); BillingPeriodStart/End = its calendar month.
- BillingAccountId = `--account` (else '<provider>-organization': the pages do not name the organization).
- The line item (OpenAI `line_item`, Anthropic `description`) is ChargeDescription and SkuId; Anthropic's
  token_type / cost_type is SkuMeter.
- The project (OpenAI `project_id`, Anthropic `workspace_id`) is SubAccountId and SubAccountName, and
  ResourceId '<provider>/projects/<project>' ('<provider>/organization' when not grouped by project), so
  ownership rules by sub_account apply. focus_charges has no free x_ columns, so the rest goes into Tags,
  which the tools already read: `project`, `model` (as the demo's invoices and the spend tool use them) and
  provider attributes under a '<provider>:' prefix (line_item, api_key_id, token_type, service_tier, ...).
- Money: BilledCost = EffectiveCost in USD, exact decimals. Another currency converts with the user's rate
  (`--usd-rate EUR=1.08`); the original amount and currency stay in PricingCurrencyEffectiveCost /
  PricingCurrency. Another currency without a rate is quarantined.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from knowledge.connectors.values import BadValue
from knowledge.ingest.currencies import ISO_4217
from knowledge.ingest.limits import MAX_DECIMAL_DIGITS


def usd(amount: Decimal, currency: str, rates: dict[str, Decimal]) -> Decimal:
    """`amount` of `currency` in USD, or BadValue (unknown code, or no rate for a non-USD currency)."""
    code = currency.strip().upper()
    if code not in ISO_4217:
        raise BadValue(f"unknown currency {currency[:20]!r}")
    if code == "USD":
        return amount
    rate = rates.get(code)
    if rate is None:
        raise BadValue(f"currency {code} is not USD and no rate was given (use --usd-rate {code}=<USD per {code}>)")
    return amount * rate


def month_bounds(t: datetime) -> tuple[datetime, datetime]:
    start = datetime(t.year, t.month, 1)
    end = datetime(t.year + (t.month == 12), t.month % 12 + 1, 1)
    return start, end


def focus_row(
    *, provider: str, account: str | None, start: datetime, end: datetime, amount: Decimal, currency: str,
    rates: dict[str, Decimal], description: str | None, sku_meter: str | None, project: str | None,
    quantity: Decimal | None, unit: str | None, model: str | None, attributes: dict[str, str | None],
) -> dict[str, Any]:
    billed = usd(amount, currency, rates)
    if billed != 0 and billed.adjusted() >= MAX_DECIMAL_DIGITS:  # DECIMAL(38,12) holds 26 digits before the point
        raise BadValue(f"amount {amount} {currency[:20]} is too large")
    code = currency.strip().upper()
    period_start, period_end = month_bounds(start)
    key = provider.lower()
    tags = {"project": project, "model": model}
    tags.update({f"{key}:{k}": v for k, v in attributes.items()})
    return {
        "BilledCost": billed, "EffectiveCost": billed,
        "BillingAccountId": account or f"{key}-organization", "BillingAccountName": account,
        "BillingCurrency": "USD", "BillingPeriodStart": period_start, "BillingPeriodEnd": period_end,
        "ChargeCategory": "Credit" if billed < 0 else "Usage", "ChargeDescription": description,
        "ChargeFrequency": "Usage-Based", "ChargePeriodStart": start, "ChargePeriodEnd": end,
        "ConsumedQuantity": quantity, "ConsumedUnit": unit, "InvoiceIssuerName": provider,
        "PricingCurrency": code if code != "USD" else None,
        "PricingCurrencyEffectiveCost": amount if code != "USD" else None,
        "PricingQuantity": quantity, "PricingUnit": unit, "ProviderName": provider, "PublisherName": provider,
        "ResourceId": f"{key}/projects/{project}" if project else f"{key}/organization",
        "ResourceName": project, "ServiceCategory": "AI and Machine Learning", "ServiceName": f"{provider} API",
        "ServiceSubcategory": "Generative AI", "SkuId": description, "SkuMeter": sku_meter,
        "SubAccountId": project, "SubAccountName": project,
        "Tags": {k: v for k, v in tags.items() if v is not None},
    }

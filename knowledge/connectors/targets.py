"""The store tables connectors load into: staged columns and their types, how a row's cost is computed,
and how a re-ingest replaces earlier rows. Pure data and SQL text; `loader.py` runs it.

Replacement (the same rule as the ingest package: a restated export replaces, never adds):
- usage buckets: earlier rows of the same provider, account and endpoint whose bucket starts inside a
  bucket of the new input (a re-pull of the same days, at any bucket width or grouping);
- FOCUS charges from cost pages: earlier charges of the same ProviderName and BillingAccountId whose
  ChargePeriodStart falls inside a day of the new input;
- LiteLLM calls: earlier llm_calls rows with the same request_id;
- DCGM samples: earlier samples of the same time, metric and GPU.
Rows loaded earlier in the same command are never replaced (the pages of one pull do not erase each other).
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.connectors.pricing import bucket_cost_sql
from knowledge.prices import llm_cost_sql
from knowledge.schema import FOCUS_COLUMNS, MONEY, QUANTITY

STAGE = "_connector_stage"
_NOT_THIS_RUN = "(t.x_ingest_id IS NULL OR t.x_ingest_id NOT IN (SELECT unnest(?::VARCHAR[])))"


@dataclass(frozen=True)
class Target:
    table: str
    columns: tuple[tuple[str, str], ...]  # (name, store type) as staged; the insert loads them by name
    replace_sql: str  # DELETE over the table aliased `t`, keys from the stage; one parameter: run ids
    stage_only: tuple[str, ...] = ()  # staged for the insert's expressions, not a table column
    priced: str | None = None  # None | 'buckets' | 'calls'
    lineage: tuple[str, ...] = ("x_source_file", "x_ingest_id", "x_line")

    @property
    def names(self) -> list[str]:
        return [c for c, _ in self.columns]

    def value_sql(self, column: str) -> str:
        """The insert's expression for a staged column (stage alias `s`)."""
        sql_type = dict(self.columns)[column]
        if sql_type.startswith("MAP("):
            return f"CAST(CAST(s.{_q(column)} AS JSON) AS {sql_type})"
        return f"s.{_q(column)}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


BUCKETS = Target(
    table="llm_usage_buckets",
    columns=(
        ("provider", "VARCHAR"), ("account", "VARCHAR"), ("endpoint", "VARCHAR"),
        ("bucket_start", "TIMESTAMP"), ("bucket_end", "TIMESTAMP"),
        ("project_id", "VARCHAR"), ("user_id", "VARCHAR"), ("api_key_id", "VARCHAR"), ("model", "VARCHAR"),
        ("batch", "BOOLEAN"), ("service_tier", "VARCHAR"), ("context_window", "VARCHAR"),
        ("requests", "BIGINT"), ("input_tokens", "BIGINT"), ("cached_input_tokens", "BIGINT"),
        ("cache_write_input_tokens", "BIGINT"), ("cache_write_1h_input_tokens", "BIGINT"),
        ("output_tokens", "BIGINT"), ("quantity", QUANTITY), ("unit", "VARCHAR"), ("details", "JSON"),
    ),
    replace_sql=(
        "DELETE FROM llm_usage_buckets t USING (SELECT DISTINCT provider, account, endpoint, bucket_start, bucket_end "
        f"FROM {STAGE}) AS k WHERE t.provider = k.provider AND t.account IS NOT DISTINCT FROM k.account "
        "AND t.endpoint = k.endpoint AND t.bucket_start >= k.bucket_start AND t.bucket_start < k.bucket_end "
        f"AND {_NOT_THIS_RUN}"
    ),
    priced="buckets",
)

FOCUS_FROM_COSTS = Target(
    table="focus_charges",
    columns=tuple((c, FOCUS_COLUMNS[c]) for c in (
        "BilledCost", "EffectiveCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
        "BillingPeriodStart", "BillingPeriodEnd", "ChargeCategory", "ChargeDescription", "ChargeFrequency",
        "ChargePeriodStart", "ChargePeriodEnd", "ConsumedQuantity", "ConsumedUnit", "InvoiceIssuerName",
        "PricingCurrency", "PricingCurrencyEffectiveCost", "PricingQuantity", "PricingUnit", "ProviderName",
        "PublisherName", "ResourceId", "ResourceName", "ServiceCategory", "ServiceName", "ServiceSubcategory",
        "SkuId", "SkuMeter", "SubAccountId", "SubAccountName", "Tags",
    )),
    replace_sql=(
        "DELETE FROM {table} t USING (SELECT DISTINCT ProviderName, BillingAccountId, ChargePeriodStart, "
        f"ChargePeriodEnd FROM {STAGE}) AS k WHERE lower(trim(t.ProviderName)) = lower(k.ProviderName) "
        "AND t.BillingAccountId = k.BillingAccountId AND t.ChargePeriodStart >= k.ChargePeriodStart "
        f"AND t.ChargePeriodStart < k.ChargePeriodEnd AND {_NOT_THIS_RUN}"
    ),
)

CALLS = Target(
    table="llm_calls",
    columns=(
        ("ts", "TIMESTAMP"), ("provider", "VARCHAR"), ("model", "VARCHAR"), ("app", "VARCHAR"),
        ("feature", "VARCHAR"), ("team", "VARCHAR"), ("prompt_id", "VARCHAR"), ("calls", "BIGINT"),
        ("input_tokens", "BIGINT"), ("cached_input_tokens", "BIGINT"), ("output_tokens", "BIGINT"),
        ("max_tokens", "BIGINT"), ("latency_ms", "BIGINT"), ("status", "VARCHAR"), ("customer_id", "VARCHAR"),
        ("request_id", "VARCHAR"), ("cache_hit", "BOOLEAN"),
    ),
    stage_only=("cache_hit",),
    replace_sql=(
        f"DELETE FROM llm_calls t USING (SELECT DISTINCT request_id FROM {STAGE}) AS k "
        f"WHERE t.request_id = k.request_id AND {_NOT_THIS_RUN}"
    ),
    priced="calls",
    lineage=("x_source_file", "x_ingest_id"),
)

GPU = Target(
    table="gpu_utilization",
    columns=(
        ("ts", "TIMESTAMP"), ("metric", "VARCHAR"), ("value", "DOUBLE"), ("hostname", "VARCHAR"), ("gpu", "VARCHAR"),
        ("uuid", "VARCHAR"), ("device", "VARCHAR"), ("model_name", "VARCHAR"), ("pci_bus_id", "VARCHAR"),
        ("gpu_instance_id", "VARCHAR"), ("gpu_instance_profile", "VARCHAR"), ("namespace", "VARCHAR"),
        ("pod", "VARCHAR"), ("container", "VARCHAR"),
    ),
    replace_sql=(
        f"DELETE FROM gpu_utilization t USING (SELECT DISTINCT ts, metric, hostname, gpu, uuid, gpu_instance_id "
        f"FROM {STAGE}) AS k WHERE t.ts = k.ts AND t.metric = k.metric "
        "AND t.hostname IS NOT DISTINCT FROM k.hostname AND t.gpu IS NOT DISTINCT FROM k.gpu "
        "AND t.uuid IS NOT DISTINCT FROM k.uuid AND t.gpu_instance_id IS NOT DISTINCT FROM k.gpu_instance_id "
        f"AND {_NOT_THIS_RUN}"
    ),
)


def cost_sql(target: Target) -> str | None:
    """The insert's cost expression over stage `s` LEFT JOINed to llm_prices `p` (None: no cost column)."""
    if target.priced == "buckets":
        return bucket_cost_sql("s", "p")
    if target.priced == "calls":  # a LiteLLM cache hit never reached the provider: a known $0
        return f"CASE WHEN coalesce(s.cache_hit, false) THEN CAST(0 AS {MONEY}) ELSE {llm_cost_sql('s', 'p')} END"
    return None

"""AI spend out as FOCUS 1.2 rows: LLM calls and usage buckets (the `llm_usage` view) and GPU jobs, rolled up
per day, written by one set-based DuckDB `COPY (…) TO` (Parquet or CSV), so AI spend can join the cloud bill
in any FOCUS tool.

Rows (ChargeCategory 'Usage', ChargeClass NULL, ChargeFrequency 'Usage-Based', ServiceCategory 'AI and
Machine Learning', BillingCurrency USD, one calendar day per ChargePeriod, the calendar month as the
BillingPeriod):

- LLM: one row per UTC day × provider × model × app × prompt × team × basis (call log / usage bucket).
  ConsumedQuantity = PricingQuantity = input + output tokens (PricingUnit 'Tokens'); BilledCost =
  EffectiveCost = ContractedCost = the cost computed at ingest; ListCost = the same tokens at the shipped
  catalog prices (`llm_prices`, `knowledge.prices.llm_cost_sql`). SubAccountId / SubAccountName: the
  provider's project or workspace of that app as its invoices name it (matched by name or id), else empty.
- GPU jobs: one row per job and UTC day it ran (a running job up to the start of the store's today).
  ConsumedQuantity = PricingQuantity = GPU-hours that day (PricingUnit 'GPU-Hours'); BilledCost =
  EffectiveCost = ContractedCost = the job's actual cost spread over its run time; ListCost = the GPU-hours
  at the catalog's on-demand price of its instance type in the region its resource is billed in.
  Provider, billing account, sub account and region come from the cloud bill's rows for the job's resource.

A cost that is unknown (a model with no price, a job without an actual cost, e.g. still running, an
instance with no catalog price) stays NULL, never 0; a group with any unknown row is NULL as a whole, so a
partial sum is never shown as the total.

Exact money: a job's cost is split by integer arithmetic in units of 10^-12 USD (the store's MONEY scale)
on the cumulative run time: the share of day d is round_down(cost × elapsed(end of d) / run) −
round_down(cost × elapsed(start of d) / run), so any run of days adds up exactly, and all days of a job add
up to its cost to the last digit. The same holds for GPU-hours and list cost.

Vendor columns (x_): x_Source, x_Basis, x_Model, x_App, x_Prompt, x_PromptVersion, x_Team, x_Project,
x_Calls, x_InputTokens, x_CachedInputTokens, x_OutputTokens, x_JobId, x_JobKind, x_GpuType, x_GpuCount.
Tags carry team, app, model, prompt and project as a JSON object.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path

import duckdb

from knowledge.errors import FinopsError
from knowledge.prices import llm_cost_sql

FOCUS_VERSION = "1.2"

# The 57 FOCUS 1.2 columns, in the order of the specification's column list.
FOCUS_COLUMNS: tuple[str, ...] = (
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType",
    "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId",
    "CapacityReservationStatus", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountQuantity", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "CommitmentDiscountUnit", "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice",
    "EffectiveCost", "InvoiceId", "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory",
    "PricingCurrency", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
    "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory", "ServiceName",
    "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceDetails", "SkuPriceId", "SubAccountId",
    "SubAccountName", "SubAccountType", "Tags",
)
X_COLUMNS: tuple[str, ...] = (
    "x_Source", "x_Basis", "x_Model", "x_App", "x_Prompt", "x_PromptVersion", "x_Team", "x_Project", "x_Calls",
    "x_InputTokens", "x_CachedInputTokens", "x_OutputTokens", "x_JobId", "x_JobKind", "x_GpuType", "x_GpuCount",
)

MONEY = "DECIMAL(38,12)"
_PICO = "CAST('0.000000000001' AS DECIMAL(38,12))"     # 10^-12: the store's MONEY / QUANTITY scale


def _dec(units: str) -> str:
    """An integer count of 10^-12 units back to DECIMAL(38,12), exactly (no DOUBLE on the way)."""
    return f"CAST(CAST({units} AS DECIMAL(38,0)) * {_PICO} AS {MONEY})"


def _elapsed(at: str) -> str:
    """Microseconds of the job's run before `at` (clamped to the run)."""
    return f"CAST(date_diff('microsecond', g.started_at, least(greatest({at}, g.started_at), g.run_end)) AS HUGEINT)"


def _cumulative(total_units: str, at: str) -> str:
    """round_down(total × elapsed(at) / run): the part of `total_units` used up by `at` (all of it at a
    zero-length run once `at` is past its start)."""
    return (f"CASE WHEN g.run_us = 0 THEN CASE WHEN {at} > g.started_at THEN {total_units} ELSE 0 END "
            f"ELSE {total_units} * {_elapsed(at)} // g.run_us END")


def _split(total_units: str) -> str:
    """The day's part of a job total, in 10^-12 units: cumulative at the day's end − at its start."""
    return f"({_cumulative(total_units, 'g.next_day')} - {_cumulative(total_units, 'g.day')})"


# GPU-hours and list cost are proportional to elapsed time too: their totals in 10^-12 units over the whole run.
_GPU_HOURS_UNITS = "CAST(g.gpu_count AS HUGEINT) * g.run_us * 10000 // 36"              # run_us / 3.6e9 h × 10^12
_LIST_UNITS = "CAST(g.gpu_count AS HUGEINT) * g.run_us * g.od_price15 // (3600000000 * g.inst_gpus1000)"


def _tags(pairs: list[tuple[str, str]]) -> str:
    items = ", ".join(f"{{'k': '{k}', 'v': CAST({v} AS VARCHAR)}}" for k, v in pairs)
    return f"to_json(map_from_entries(list_filter([{items}], e -> e.v IS NOT NULL AND e.v <> '')))"


def export_sql() -> str:
    """The SELECT producing the FOCUS rows. Parameters: window start, window end, the store's now
    (where a running job's run ends), in that order (each may repeat: see `_params`)."""
    llm_list = llm_cost_sql("u", "p")
    return f"""
WITH
ai_bill AS (   -- how the AI providers' own invoices name them (the cost reports loaded as FOCUS rows)
    SELECT lower(ProviderName) AS provider,
           CASE WHEN count(DISTINCT ProviderName) = 1 THEN min(ProviderName) END AS provider_name,
           CASE WHEN count(DISTINCT BillingAccountId) = 1 THEN min(BillingAccountId) END AS account_id,
           CASE WHEN count(DISTINCT BillingAccountId) = 1 THEN min(BillingAccountName) END AS account_name,
           CASE WHEN count(DISTINCT InvoiceIssuerName) = 1 THEN min(InvoiceIssuerName) END AS issuer,
           CASE WHEN count(DISTINCT ServiceName) = 1 THEN min(ServiceName) END AS service
    FROM focus_charges
    WHERE ServiceCategory = 'AI and Machine Learning' AND PricingUnit ILIKE '%token%'
    GROUP BY lower(ProviderName)
),
ai_sub_rows AS (   -- the providers' projects / workspaces (sub accounts) on their invoices, by name and by id
    SELECT DISTINCT lower(ProviderName) AS provider, SubAccountName AS app, SubAccountId AS sub_id, SubAccountName AS sub_name
    FROM focus_charges
    WHERE ServiceCategory = 'AI and Machine Learning' AND PricingUnit ILIKE '%token%' AND SubAccountId IS NOT NULL
    UNION
    SELECT DISTINCT lower(ProviderName), SubAccountId, SubAccountId, SubAccountName
    FROM focus_charges
    WHERE ServiceCategory = 'AI and Machine Learning' AND PricingUnit ILIKE '%token%' AND SubAccountId IS NOT NULL
),
ai_sub AS (        -- an app maps to a sub account only when exactly one matches
    SELECT provider, app, min(sub_id) AS sub_id, min(sub_name) AS sub_name
    FROM ai_sub_rows WHERE app IS NOT NULL GROUP BY provider, app HAVING count(DISTINCT sub_id) = 1
),
llm AS (
    SELECT CAST(CAST(date_trunc('day', u.ts) AS DATE) AS TIMESTAMP) AS day, u.provider, u.model, u.app,
           u.prompt_id, u.prompt_version, u.team, u.x_basis,
           sum(u.calls) AS calls, sum(u.input_tokens) AS input_tokens,
           sum(u.cached_input_tokens) AS cached_input_tokens, sum(u.output_tokens) AS output_tokens,
           CASE WHEN count(u.cost) = count(*) THEN sum(u.cost) END AS cost,
           CASE WHEN count(p.model) = count(*) THEN sum({llm_list}) END AS list_cost
    FROM llm_usage u LEFT JOIN llm_prices p ON p.model = u.model
    WHERE u.ts >= $start AND u.ts < $end
    GROUP BY ALL
),
job_bill AS (  -- the cloud bill's rows for each job's resource
    SELECT ResourceId,
           CASE WHEN count(DISTINCT ProviderName) = 1 THEN min(ProviderName) END AS provider_name,
           CASE WHEN count(DISTINCT BillingAccountId) = 1 THEN min(BillingAccountId) END AS account_id,
           CASE WHEN count(DISTINCT BillingAccountId) = 1 THEN min(BillingAccountName) END AS account_name,
           CASE WHEN count(DISTINCT SubAccountId) = 1 THEN min(SubAccountId) END AS sub_account_id,
           CASE WHEN count(DISTINCT SubAccountId) = 1 THEN min(SubAccountName) END AS sub_account_name,
           CASE WHEN count(DISTINCT InvoiceIssuerName) = 1 THEN min(InvoiceIssuerName) END AS issuer,
           CASE WHEN count(DISTINCT RegionId) = 1 THEN min(RegionId) END AS region_id,
           CASE WHEN count(DISTINCT RegionId) = 1 THEN min(RegionName) END AS region_name,
           CASE WHEN count(DISTINCT ServiceName) = 1 THEN min(ServiceName) END AS service
    FROM focus_charges
    WHERE ResourceId IN (SELECT resource_id FROM gpu_jobs)
    GROUP BY ResourceId
),
jobs AS (
    SELECT j.*, b.provider_name, b.account_id, b.account_name, b.sub_account_id, b.sub_account_name, b.issuer,
           b.region_id, b.region_name, b.service,
           coalesce(j.ended_at, greatest(j.started_at, $now)) AS run_end,
           CAST(date_diff('microsecond', j.started_at, coalesce(j.ended_at, greatest(j.started_at, $now))) AS HUGEINT) AS run_us,
           CAST(j.actual_cost * 1000000000000 AS HUGEINT) AS cost12,
           CAST(gp.on_demand_usd_per_hour * 1000000000000000 AS HUGEINT) AS od_price15,
           CAST(gp.gpu_count * 1000 AS HUGEINT) AS inst_gpus1000
    FROM gpu_jobs j
    LEFT JOIN job_bill b ON b.ResourceId = j.resource_id
    LEFT JOIN gpu_prices gp ON gp.instance_type = j.instance_type AND gp.region = b.region_id
                           AND gp.provider = lower(b.provider_name) AND gp.gpu_count > 0
    WHERE j.started_at IS NOT NULL AND j.started_at < $end
      AND coalesce(j.ended_at, greatest(j.started_at, $now)) >= $start
),
job_days AS (
    SELECT j.*, d.day, d.day + INTERVAL 1 DAY AS next_day
    FROM jobs j, LATERAL (
        SELECT unnest(range(CAST(CAST(date_trunc('day', j.started_at) AS DATE) AS TIMESTAMP),
                            greatest(j.run_end, j.started_at + INTERVAL 1 MICROSECOND), INTERVAL 1 DAY)) AS day
    ) d
),
gpu AS (
    SELECT g.*,
           CASE WHEN g.cost12 IS NOT NULL THEN {_dec(_split('g.cost12'))} END AS cost,
           CASE WHEN g.od_price15 IS NOT NULL THEN {_dec(_split(_LIST_UNITS))} END AS list_cost,
           CASE WHEN g.gpu_count IS NOT NULL THEN {_dec(_split(_GPU_HOURS_UNITS))} END AS gpu_hours
    FROM job_days g
    WHERE g.day >= $start AND g.day < $end
),
rows AS (
    SELECT
        CAST(NULL AS VARCHAR) AS AvailabilityZone,
        CAST(l.cost AS {MONEY}) AS BilledCost,
        coalesce(a.account_id, l.provider) AS BillingAccountId,
        a.account_name AS BillingAccountName,
        CAST(NULL AS VARCHAR) AS BillingAccountType,
        'USD' AS BillingCurrency,
        CAST(date_trunc('month', l.day) + INTERVAL 1 MONTH AS TIMESTAMP) AS BillingPeriodEnd,
        CAST(date_trunc('month', l.day) AS TIMESTAMP) AS BillingPeriodStart,
        CAST(NULL AS VARCHAR) AS CapacityReservationId, CAST(NULL AS VARCHAR) AS CapacityReservationStatus,
        'Usage' AS ChargeCategory, CAST(NULL AS VARCHAR) AS ChargeClass,
        l.model || ' tokens' || coalesce(' for ' || l.app, '') || ' (' || l.x_basis || ')' AS ChargeDescription,
        'Usage-Based' AS ChargeFrequency,
        l.day + INTERVAL 1 DAY AS ChargePeriodEnd, l.day AS ChargePeriodStart,
        CAST(NULL AS VARCHAR) AS CommitmentDiscountCategory, CAST(NULL AS VARCHAR) AS CommitmentDiscountId,
        CAST(NULL AS VARCHAR) AS CommitmentDiscountName, CAST(NULL AS {MONEY}) AS CommitmentDiscountQuantity,
        CAST(NULL AS VARCHAR) AS CommitmentDiscountStatus, CAST(NULL AS VARCHAR) AS CommitmentDiscountType,
        CAST(NULL AS VARCHAR) AS CommitmentDiscountUnit,
        CAST(l.input_tokens + l.output_tokens AS {MONEY}) AS ConsumedQuantity, 'Tokens' AS ConsumedUnit,
        CAST(l.cost AS {MONEY}) AS ContractedCost, CAST(NULL AS {MONEY}) AS ContractedUnitPrice,
        CAST(l.cost AS {MONEY}) AS EffectiveCost,
        CAST(NULL AS VARCHAR) AS InvoiceId,
        coalesce(a.issuer, a.provider_name, l.provider) AS InvoiceIssuerName,
        CAST(l.list_cost AS {MONEY}) AS ListCost, CAST(NULL AS {MONEY}) AS ListUnitPrice,
        'Standard' AS PricingCategory,
        CAST(NULL AS VARCHAR) AS PricingCurrency, CAST(NULL AS {MONEY}) AS PricingCurrencyContractedUnitPrice,
        CAST(NULL AS {MONEY}) AS PricingCurrencyEffectiveCost, CAST(NULL AS {MONEY}) AS PricingCurrencyListUnitPrice,
        CAST(l.input_tokens + l.output_tokens AS {MONEY}) AS PricingQuantity, 'Tokens' AS PricingUnit,
        coalesce(a.provider_name, l.provider) AS ProviderName, coalesce(a.provider_name, l.provider) AS PublisherName,
        CAST(NULL AS VARCHAR) AS RegionId, CAST(NULL AS VARCHAR) AS RegionName,
        CAST(NULL AS VARCHAR) AS ResourceId, CAST(NULL AS VARCHAR) AS ResourceName, CAST(NULL AS VARCHAR) AS ResourceType,
        'AI and Machine Learning' AS ServiceCategory,
        coalesce(a.service, coalesce(a.provider_name, l.provider) || ' API') AS ServiceName,
        'Generative AI' AS ServiceSubcategory,
        l.model AS SkuId, CAST(NULL AS VARCHAR) AS SkuMeter, CAST(NULL AS VARCHAR) AS SkuPriceDetails,
        CAST(NULL AS VARCHAR) AS SkuPriceId,
        s.sub_id AS SubAccountId, s.sub_name AS SubAccountName, CAST(NULL AS VARCHAR) AS SubAccountType,
        {_tags([('team', 'l.team'), ('app', 'l.app'), ('model', 'l.model'), ('prompt', 'l.prompt_id')])} AS Tags,
        'llm_usage' AS x_Source, l.x_basis AS x_Basis, l.model AS x_Model, l.app AS x_App, l.prompt_id AS x_Prompt,
        l.prompt_version AS x_PromptVersion, l.team AS x_Team, CAST(NULL AS VARCHAR) AS x_Project,
        CAST(l.calls AS BIGINT) AS x_Calls, CAST(l.input_tokens AS BIGINT) AS x_InputTokens,
        CAST(l.cached_input_tokens AS BIGINT) AS x_CachedInputTokens, CAST(l.output_tokens AS BIGINT) AS x_OutputTokens,
        CAST(NULL AS VARCHAR) AS x_JobId, CAST(NULL AS VARCHAR) AS x_JobKind, CAST(NULL AS VARCHAR) AS x_GpuType,
        CAST(NULL AS INTEGER) AS x_GpuCount
    FROM llm l LEFT JOIN ai_bill a ON a.provider = lower(l.provider)
    LEFT JOIN ai_sub s ON s.provider = lower(l.provider) AND s.app = l.app
    UNION ALL
    SELECT
        CAST(NULL AS VARCHAR), g.cost, coalesce(g.account_id, coalesce(g.cluster, 'gpu-jobs')), g.account_name,
        CAST(NULL AS VARCHAR), 'USD',
        CAST(date_trunc('month', g.day) + INTERVAL 1 MONTH AS TIMESTAMP), CAST(date_trunc('month', g.day) AS TIMESTAMP),
        CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR),
        'Usage', CAST(NULL AS VARCHAR),
        'GPU job ' || coalesce(g.name, g.job_id) || coalesce(' (' || g.kind || ')', '')
            || coalesce(' on ' || g.gpu_count || ' x ' || g.gpu_type, ''),
        'Usage-Based',
        g.next_day, g.day,
        CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS {MONEY}),
        CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR),
        g.gpu_hours, 'GPU-Hours',
        g.cost, CAST(NULL AS {MONEY}), g.cost,
        CAST(NULL AS VARCHAR),
        coalesce(g.issuer, g.provider_name, coalesce(g.cluster, 'gpu-jobs')),
        g.list_cost, CAST(NULL AS {MONEY}),
        CAST(NULL AS VARCHAR),
        CAST(NULL AS VARCHAR), CAST(NULL AS {MONEY}), CAST(NULL AS {MONEY}), CAST(NULL AS {MONEY}),
        g.gpu_hours, 'GPU-Hours',
        coalesce(g.provider_name, coalesce(g.cluster, 'gpu-jobs')), coalesce(g.provider_name, coalesce(g.cluster, 'gpu-jobs')),
        g.region_id, g.region_name,
        g.resource_id, coalesce(g.name, g.job_id), 'GPU job',
        'AI and Machine Learning', coalesce(g.service, 'GPU compute'), 'Machine Learning',
        g.instance_type, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR),
        g.sub_account_id, g.sub_account_name, CAST(NULL AS VARCHAR),
        {_tags([('team', 'g.team'), ('project', 'g.project'), ('env', 'g.environment'), ('job', 'g.job_id')])},
        'gpu_jobs', 'gpu job', CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR),
        CAST(NULL AS VARCHAR), g.team, g.project,
        CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
        g.job_id, g.kind, g.gpu_type, CAST(g.gpu_count AS INTEGER)
    FROM gpu g
)
SELECT {', '.join(FOCUS_COLUMNS + X_COLUMNS)}
FROM rows
ORDER BY ChargePeriodStart, x_Source, ProviderName, SkuId, x_App NULLS FIRST, x_Prompt NULLS FIRST,
         x_Team NULLS FIRST, x_Basis, x_JobId
"""


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    format: str
    rows: int
    llm_rows: int
    gpu_rows: int
    billed_cost: Decimal | None        # sum of the known BilledCost
    unknown_cost_rows: int             # rows whose cost is unknown (NULL)
    seconds: float


def file_format(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix == ".csv":
        return "csv"
    raise FinopsError(f"cannot tell the format of {out}: name it PATH.parquet or PATH.csv")


def export_focus(con: duckdb.DuckDBPyConnection, start: date, end: date, out: Path, *, now: datetime) -> ExportSummary:
    """Write the FOCUS rows of [start, end) to `out` (.parquet or .csv) with one COPY, atomically (a temporary
    file beside it, renamed over it), and return what was written (read back from the file)."""
    fmt = file_format(out)
    if end <= start:
        raise FinopsError(f"empty period {start}..{end}")
    out = out.expanduser()
    if not out.parent.is_dir():
        raise FinopsError(f"no directory {out.parent} to write {out.name} into")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    options = ("FORMAT parquet, COMPRESSION zstd" if fmt == "parquet"
               else "FORMAT csv, HEADER true, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%SZ'")
    params = {"start": datetime.combine(start, dtime()), "end": datetime.combine(end, dtime()), "now": now}
    started = time.perf_counter()
    try:
        con.execute(f"COPY ({export_sql()}) TO '{_quote(str(tmp))}' ({options})", params)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    seconds = time.perf_counter() - started
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    extra = "" if fmt == "parquet" else ", header = true, all_varchar = false, types = {'BilledCost': 'DECIMAL(38,12)'}"
    n, llm_rows, gpu_rows, billed, unknown = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE x_Source = 'llm_usage'), count(*) FILTER (WHERE x_Source = 'gpu_jobs'), "
        f"sum(BilledCost), count(*) - count(BilledCost) FROM {reader}('{_quote(str(out))}'{extra})").fetchall()[0]
    return ExportSummary(path=out, format=fmt, rows=int(n), llm_rows=int(llm_rows), gpu_rows=int(gpu_rows),
                         billed_cost=None if billed is None else Decimal(billed), unknown_cost_rows=int(unknown),
                         seconds=seconds)


def _quote(text: str) -> str:
    return text.replace("'", "''")

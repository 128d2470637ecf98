"""Planted billing rows: the $20K cluster, the replication left on, the $17K charge, the BigQuery drift,
the bucket whose tag talks to the model; plus the charges derived from jobs, endpoints and LLM calls."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import duckdb
from pydantic import BaseModel

from knowledge.demo.company import INJECTION_TEXT, LLM_SERVICE_NAMES, PROVIDER_NAMES
from knowledge.demo.endpoints import endpoint_billing_sql
from knowledge.demo.focus import STAGING, flush_staging, insert_focus
from knowledge.demo.gpu import (
    CLUSTER_AGE_DAYS,
    CLUSTER_RESOURCE_ID,
    CLUSTER_RESOURCE_NAME,
    insert_job_billing_sql,
)
from knowledge.demo.window import DemoWindow

CLUSTER_DAILY = Decimal("672.00")            # committed rate: 28.00/h for a p5.48xlarge (list 55.04/h)
CLUSTER_RULE_ID = 1

REPLICATION_RESOURCE_ID = "arn:aws:s3:::acme-summit-demo-assets-replica-euw1"
REPLICATION_RESOURCE_NAME = "acme-summit-demo-assets-replica-euw1"
REPLICATION_DAILY = Decimal("186.40")
REPLICATION_AGE_DAYS = 63

CHARGE_17K = Decimal("17284.50")
CHARGE_17K_RESOURCE_ID = "arn:aws:s3:::acme-research-datasets"
CHARGE_17K_SKU = "DataTransfer-Out-Bytes"
CHARGE_17K_DESCRIPTION = "$0.05 per GB - data transfer out to internet (345,690 GB): dataset export to partner"

DRIFT_SERVICE = "BigQuery"
DRIFT_RESOURCE_ID = "//bigquery.googleapis.com/projects/acme-analytics/datasets/events"
DRIFT_START_DAYS = 42                        # drift starts this many days before as_of
DRIFT_FROM = Decimal("420.00")
DRIFT_TO = Decimal("1050.00")

INJECTION_RESOURCE_ID = "gs://acme-support-transcripts"
INJECTION_TAG_KEY = "project"


class PlantedDates(BaseModel):
    charge_17k: date
    drift_start: date
    replication_start: date
    cluster_start: date


def planted_dates(window: DemoWindow) -> PlantedDates:
    return PlantedDates(
        charge_17k=window.last_week_monday + timedelta(days=3),
        drift_start=window.as_of - timedelta(days=DRIFT_START_DAYS),
        replication_start=window.as_of - timedelta(days=REPLICATION_AGE_DAYS),
        cluster_start=window.as_of - timedelta(days=CLUSTER_AGE_DAYS),
    )


def insert_planted_rules(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO ownership (rule_id, match_kind, pattern, team, owner, source, priority) "
        "VALUES (?, 'resource_id', ?, 'search', 'raj.patel@acme.ai', 'cmdb', 10)",
        [CLUSTER_RULE_ID, CLUSTER_RESOURCE_ID],
    )


def insert_planted_charges(con: duckdb.DuckDBPyConnection, seed: int, window: DemoWindow, ingest_id: str) -> int:
    dates = planted_dates(window)
    days_from = "SELECT day, idx FROM _demo_days WHERE day >= ?"
    n_drift = DRIFT_START_DAYS - 1
    # The 8xH100 cluster: no team/owner tags; committed rate billed daily.
    con.execute(
        f"""
        INSERT INTO {STAGING} BY NAME
        SELECT day, 'AWS' AS provider, 'Amazon Elastic Compute Cloud' AS service, 'Compute' AS category,
               'us-east-1' AS region, '210987654321' AS sub_account_id, 'acme-prod' AS sub_account_name,
               ? AS resource_id, ? AS resource_name, 'GPU Cluster' AS resource_type,
               'BoxUsage:p5.48xlarge' AS sku, 'p5.48xlarge (8x NVIDIA H100) inference cluster, 1-yr commitment' AS description,
               'Hours' AS unit, 24 AS quantity, 55.04 AS unit_price, ? AS cost, 55.04 * 24 AS list_cost,
               'Committed' AS pricing_category, 'llm-serving' AS project, 'prod' AS env
        FROM ({days_from})
        """,
        [CLUSTER_RESOURCE_ID, CLUSTER_RESOURCE_NAME, CLUSTER_DAILY, dates.cluster_start],
    )
    # Cross-region replication turned on for a demo and never turned off.
    con.execute(
        f"""
        INSERT INTO {STAGING} BY NAME
        SELECT day, 'AWS' AS provider, 'Amazon Simple Storage Service' AS service, 'Storage' AS category,
               'eu-west-1' AS region, '210987654321' AS sub_account_id, 'acme-prod' AS sub_account_name,
               ? AS resource_id, ? AS resource_name, 'Bucket' AS resource_type, 'S3-CRR-InterRegion-Out' AS sku,
               'S3 cross-region replication us-east-1 -> eu-west-1 (transfer + replica storage)' AS description,
               'GB' AS unit, 9320 AS quantity, 0.02 AS unit_price, ? AS cost,
               'ml-platform' AS team, 'summit-demo' AS project, 'demo' AS env, 'tom.becker@acme.ai' AS owner
        FROM ({days_from})
        """,
        [REPLICATION_RESOURCE_ID, REPLICATION_RESOURCE_NAME, REPLICATION_DAILY, dates.replication_start],
    )
    # The one-off $17K data-transfer charge last week.
    con.execute(
        f"""
        INSERT INTO {STAGING} BY NAME
        SELECT CAST(? AS DATE) AS day, 'AWS' AS provider, 'AWS Data Transfer' AS service, 'Networking' AS category,
               'us-east-1' AS region, '410987654321' AS sub_account_id, 'acme-research' AS sub_account_name,
               ? AS resource_id, 'acme-research-datasets' AS resource_name, 'Bucket' AS resource_type,
               ? AS sku, ? AS description, 'GB' AS unit, 345690 AS quantity, 0.05 AS unit_price, ? AS cost,
               'research' AS team, 'multimodal-eval' AS project, 'prod' AS env, 'yuki.tanaka@acme.ai' AS owner
        """,
        [dates.charge_17k, CHARGE_17K_RESOURCE_ID, CHARGE_17K_SKU, CHARGE_17K_DESCRIPTION, CHARGE_17K],
    )
    # BigQuery: flat, then a linear drift from DRIFT_FROM (on drift_start) to DRIFT_TO (on the last day).
    con.execute(
        f"""
        INSERT INTO {STAGING} BY NAME
        SELECT day, 'Google Cloud' AS provider, ? AS service, 'Analytics' AS category, 'US' AS region,
               'acme-analytics' AS sub_account_id, 'acme-analytics' AS sub_account_name,
               ? AS resource_id, 'events' AS resource_name, 'Dataset' AS resource_type,
               'Analysis-OnDemand-TiB' AS sku, 'BigQuery on-demand analysis (TiB scanned)' AS description,
               'TiB' AS unit, round(c / 6.25, 6) AS quantity, 6.25 AS unit_price, c AS cost,
               'data' AS team, 'warehouse' AS project, 'prod' AS env, 'zoe.martin@acme.ai' AS owner
        FROM (SELECT day, CAST(CASE WHEN day < CAST(? AS DATE) THEN ?
                                    ELSE CAST(round(? + (? - ?) * (day - CAST(? AS DATE)) / {n_drift}, 2)
                                              AS DECIMAL(18,2)) END
                               AS DECIMAL(38,12)) AS c
              FROM _demo_days)
        """,
        [DRIFT_SERVICE, DRIFT_RESOURCE_ID, dates.drift_start, DRIFT_FROM, DRIFT_FROM, DRIFT_TO, DRIFT_FROM,
         dates.drift_start],
    )
    # A real billed bucket whose `project` tag carries text aimed at the model.
    con.execute(
        f"""
        INSERT INTO {STAGING} BY NAME
        SELECT day, 'Google Cloud' AS provider, 'Cloud Storage' AS service, 'Storage' AS category,
               'us-central1' AS region, 'acme-ml-prod' AS sub_account_id, 'acme-ml-prod' AS sub_account_name,
               ? AS resource_id, 'acme-support-transcripts' AS resource_name, 'Bucket' AS resource_type,
               'Standard-Storage-US' AS sku, 'Standard storage US multi-region' AS description,
               'GiB-Mo' AS unit, 192.5 AS quantity, 0.020 AS unit_price, 3.85 AS cost,
               'support' AS team, ? AS project, 'prod' AS env, 'ana.souza@acme.ai' AS owner
        FROM _demo_days
        """,
        [INJECTION_RESOURCE_ID, INJECTION_TEXT],
    )
    n = flush_staging(con, ingest_id)
    n += insert_focus(con, insert_job_billing_sql(window), ingest_id)
    n += insert_focus(con, endpoint_billing_sql(seed, window), ingest_id)
    n += insert_focus(con, llm_invoice_sql(), ingest_id)
    return n


def llm_invoice_sql() -> str:
    """AI API invoices as FOCUS rows: per day, provider, model and app (an API project), from llm_calls."""
    provider_name = "CASE c.provider " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in PROVIDER_NAMES.items()) + " END"
    service_name = "CASE c.provider " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LLM_SERVICE_NAMES.items()) + " END"
    return f"""
        SELECT CAST(c.ts AS DATE) AS day, {provider_name} AS provider, {service_name} AS service,
               'AI and Machine Learning' AS category, NULL AS region,
               'proj_' || c.app AS sub_account_id, c.app AS sub_account_name,
               c.provider || '/projects/' || c.app || '/models/' || c.model AS resource_id,
               c.app || ' / ' || c.model AS resource_name, 'API Project' AS resource_type,
               c.model AS sku, c.model || ' tokens for ' || c.app AS description, 'Tokens' AS unit,
               CAST(sum(c.input_tokens + c.output_tokens) AS DECIMAL(38,12)) AS quantity,
               NULL AS unit_price, sum(c.cost) AS cost, NULL AS list_cost,
               'Standard' AS pricing_category, 'Usage' AS charge_category, 'Usage-Based' AS charge_frequency,
               c.team, c.app AS project, 'prod' AS env, NULL AS owner, NULL AS extra_key, NULL AS extra_value
        FROM llm_calls c
        GROUP BY CAST(c.ts AS DATE), c.provider, c.model, c.app, c.team
    """

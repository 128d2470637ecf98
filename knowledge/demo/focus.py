"""Writing demo charges as FOCUS rows.

Generators describe a charge with a few plain columns (the `_demo_charges` staging shape below);
`insert_focus` maps them onto the FOCUS columns in one set-based INSERT ... SELECT.
"""

from __future__ import annotations

import duckdb

from knowledge import tag_columns

# The staging shape every generator produces (name, type, default).
CHARGE_COLUMNS: list[tuple[str, str, str | None]] = [
    ("day", "DATE", None),
    ("provider", "VARCHAR", None),
    ("service", "VARCHAR", None),
    ("category", "VARCHAR", None),
    ("region", "VARCHAR", None),
    ("sub_account_id", "VARCHAR", None),
    ("sub_account_name", "VARCHAR", None),
    ("resource_id", "VARCHAR", None),
    ("resource_name", "VARCHAR", None),
    ("resource_type", "VARCHAR", None),
    ("sku", "VARCHAR", None),
    ("description", "VARCHAR", None),
    ("unit", "VARCHAR", None),
    ("quantity", "DECIMAL(38,12)", None),
    ("unit_price", "DECIMAL(38,15)", None),
    ("cost", "DECIMAL(38,12)", None),
    ("list_cost", "DECIMAL(38,12)", None),
    ("pricing_category", "VARCHAR", "'Standard'"),
    ("charge_category", "VARCHAR", "'Usage'"),
    ("charge_frequency", "VARCHAR", "'Usage-Based'"),
    ("team", "VARCHAR", None),
    ("project", "VARCHAR", None),
    ("env", "VARCHAR", None),
    ("owner", "VARCHAR", None),
    ("extra_key", "VARCHAR", None),
    ("extra_value", "VARCHAR", None),
]

STAGING = "_demo_charges"


def create_staging(con: duckdb.DuckDBPyConnection) -> None:
    cols = ", ".join(
        f"{name} {sql_type}" + (f" DEFAULT {default}" if default else "") for name, sql_type, default in CHARGE_COLUMNS
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGING} ({cols})")


def tags_sql(alias: str = "s") -> str:
    """SQL building the Tags MAP from the staging tag columns (keys whose value is NULL are left out)."""
    a = alias
    return (
        "map_from_entries(list_filter(["
        f"{{'key': 'team', 'value': {a}.team}}, {{'key': 'project', 'value': {a}.project}}, "
        f"{{'key': 'env', 'value': {a}.env}}, {{'key': 'owner', 'value': {a}.owner}}, "
        f"{{'key': coalesce({a}.extra_key, 'x'), 'value': {a}.extra_value}}], lambda x: x.value IS NOT NULL))"
    )


def insert_focus(con: duckdb.DuckDBPyConnection, source_sql: str, ingest_id: str, params: list | None = None,
                 *, prebuilt_tags: bool = False) -> int:
    """INSERT the charges `source_sql` yields (all staging columns) into focus_charges; returns rows added.

    With `prebuilt_tags` the source has a `tags` MAP column (built once per resource: much cheaper than
    building a map per row) instead of being built from team/project/env/owner/extra_*.
    """
    before = con.execute("SELECT count(*) FROM focus_charges").fetchall()[0][0]
    con.execute(
        f"""
        INSERT INTO focus_charges BY NAME
        SELECT *, {tag_columns.computed_sql()} FROM (SELECT
            s.cost AS BilledCost,
            s.cost AS EffectiveCost,
            coalesce(s.list_cost, s.cost) AS ListCost,
            s.cost AS ContractedCost,
            a.billing_account_id AS BillingAccountId,
            a.billing_account_name AS BillingAccountName,
            'Billing Account' AS BillingAccountType,
            'USD' AS BillingCurrency,
            'USD' AS PricingCurrency,
            CAST(date_trunc('month', s.day) AS TIMESTAMP) AS BillingPeriodStart,
            CAST(date_trunc('month', s.day) + INTERVAL 1 MONTH AS TIMESTAMP) AS BillingPeriodEnd,
            s.charge_category AS ChargeCategory,
            'Regular' AS ChargeClass,
            s.description AS ChargeDescription,
            s.charge_frequency AS ChargeFrequency,
            CAST(s.day AS TIMESTAMP) AS ChargePeriodStart,
            CAST(s.day + 1 AS TIMESTAMP) AS ChargePeriodEnd,
            s.quantity AS ConsumedQuantity,
            s.unit AS ConsumedUnit,
            s.quantity AS PricingQuantity,
            s.unit AS PricingUnit,
            s.unit_price AS ListUnitPrice,
            s.unit_price AS ContractedUnitPrice,
            s.pricing_category AS PricingCategory,
            s.provider AS ProviderName,
            s.provider AS PublisherName,
            s.provider AS InvoiceIssuerName,
            a.billing_account_id || '-' || strftime(s.day, '%Y%m') AS InvoiceId,
            s.region AS RegionId,
            s.region AS RegionName,
            s.resource_id AS ResourceId,
            s.resource_name AS ResourceName,
            s.resource_type AS ResourceType,
            s.category AS ServiceCategory,
            s.service AS ServiceName,
            s.sku AS SkuId,
            s.sku AS SkuPriceId,
            s.sub_account_id AS SubAccountId,
            s.sub_account_name AS SubAccountName,
            {'s.tags' if prebuilt_tags else tags_sql('s')} AS Tags,
            'demo' AS x_source_file,
            CAST(? AS VARCHAR) AS x_ingest_id
        FROM ({source_sql}) s JOIN _demo_accounts a ON a.provider = s.provider)
        """,
        [ingest_id, *(params or [])],
    )
    return con.execute("SELECT count(*) FROM focus_charges").fetchall()[0][0] - before


def flush_staging(con: duckdb.DuckDBPyConnection, ingest_id: str) -> int:
    n = insert_focus(con, f"SELECT * FROM {STAGING}", ingest_id)
    con.execute(f"DELETE FROM {STAGING}")
    return n

"""The semantic model: every measure and dimension of cost, declared once with its SQL, the FOCUS column
it comes from, and the words people use for it (MetricFlow / Cube style).

Everything that groups, filters or sums cost reads from here: the `CostQuery` compiler, the `spend` and
scope-based tools (anomalies, forecast, budgets, estimate), the tag audit, the offline planner's
vocabulary, the model binding's JSON schema and the README's "what you can ask". Nothing else in the
code base spells a dimension's SQL.

SQL expressions read one charge row of the relation `charges` (FOCUS columns verbatim, plus `x_team`
from the allocation view and `x_endpoint_model` from the endpoint join when a dimension needs them).
They keep to the portable SQL subset (no map_contains, no arg_max, no percentiles).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge import tag_columns

Unit = Literal["USD", "quantity", "count", "ratio"]
Join = Literal["allocation", "endpoint_model"]
DimensionKind = Literal["categorical", "time", "tag"]


class Measure(BaseModel):
    """A sum over charge rows (optionally of the rows meeting `condition`)."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    column: str | None                 # FOCUS column summed; None = a count of charge rows
    unit: Unit
    description: str
    synonyms: tuple[str, ...] = ()
    condition: str | None = None       # SQL over the charge row; only those rows count
    needs_columns: tuple[str, ...] = ()  # FOCUS columns the data must carry (non-null somewhere)
    unit_dimension: str | None = None  # quantities: the dimension naming their unit (never summed across units)
    expression: str | None = None      # summed instead of `column` when the figure is a per-row product

    @property
    def per_unit(self) -> bool:
        """A price per unit (never a sum): only derived measures are."""
        return False


class DerivedMeasure(BaseModel):
    """A figure computed in Python from exact sums of base measures (never by a model, never in SQL:
    a ratio of DECIMALs narrows its scale on some engines)."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    formula: Literal["difference", "ratio_of_difference", "ratio", "share_of_sum"]
    inputs: tuple[str, ...]            # base measure names, in formula order
    unit: Unit
    description: str
    synonyms: tuple[str, ...] = ()

    @property
    def per_unit(self) -> bool:
        """A price per unit: cost over a quantity ("the average rate paid"); never summed, no share of a total."""
        return self.formula == "ratio"

    def compute(self, values: Mapping[str, object]) -> Decimal | None:
        xs = [values.get(n) for n in self.inputs]
        if any(x is None for x in xs):
            return None
        a, b = (Decimal(str(x)) for x in xs[:2])
        if self.formula == "difference":
            return a - b
        if self.formula == "ratio_of_difference":          # (a - b) / a
            return None if not a else (a - b) / a
        if self.formula == "ratio":                        # a / b
            return None if not b else a / b
        total = a + b                                      # share_of_sum: a / (a + b)
        return None if not total else a / total


class Dimension(BaseModel):
    """Something to group or filter charges by."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    sql: str                           # over one charge row; never holds user text
    kind: DimensionKind = "categorical"
    focus_column: str | None = None    # the FOCUS column it reads (None: derived)
    description: str = ""
    synonyms: tuple[str, ...] = ()
    joins: tuple[Join, ...] = ()
    name_kind: str | None = None       # the entity kind other tables know names of (tools.names)
    tables: tuple[str, ...] = ("focus_charges",)
    null_label: str = "(none)"
    params: tuple[str, ...] = ()       # values bound to the `?` in `sql` (a tag key), in order
    identified_by: tuple[str, ...] = ()  # columns a name of it may match in an eq filter (id or name)
    allowed_values: tuple[str, ...] = ()  # FOCUS's allowed values: valid in a filter even when no row holds them
    raw: str | None = None             # the plain column when `sql` is nullif(column, ''): grouped and filtered
                                       # on directly (cheaper per row), '' folded into NULL after grouping


class Concept(BaseModel):
    """A word that means a filter: "database" -> service_category = Databases."""

    model_config = ConfigDict(frozen=True)

    words: tuple[str, ...]
    dimension: str
    op: Literal["eq", "ne", "in", "not_in", "contains", "is_null", "not_null"]
    values: tuple[str, ...] = ()
    description: str = ""


def _col(column: str) -> str:
    """A categorical FOCUS column; an empty string is no value (some exports write '' for NULL)."""
    return f"nullif({column}, '')"


# The model a charge pays for, one definition for every tool: a `model` tag on the charge, else the model
# the inference endpoint on that resource serves, else the SKU of a token-priced AI API charge.
MODEL_SQL = ("coalesce(x_tag_model, x_endpoint_model, "
             "CASE WHEN ServiceCategory = 'AI and Machine Learning' AND PricingUnit ILIKE '%token%' "
             "THEN coalesce(nullif(SkuMeter, ''), SkuId) END)")

# FOCUS's own definition: a charge is a marketplace purchase when its publisher is not the invoice issuer
# (ProviderName and PublisherName may spell the same company differently: "AWS" vs "Amazon Web Services, Inc.").
MARKETPLACE_SQL = ("CASE WHEN nullif(PublisherName, '') IS NOT NULL AND PublisherName <> InvoiceIssuerName "
                   "THEN 'marketplace' ELSE 'direct' END")

_MEASURES: tuple[Measure, ...] = (
    Measure(name="billed_cost", label="billed cost", column="BilledCost", unit="USD",
            description="what the invoice charges: after discounts, before amortising upfront purchases",
            synonyms=("billed", "billedcost", "invoiced", "invoice cost", "cash cost", "spend", "cost", "costs", "spent")),
    Measure(name="effective_cost", label="effective cost", column="EffectiveCost", unit="USD",
            description="amortised cost: discounts applied and upfront commitment purchases spread over the usage they cover",
            synonyms=("effective", "effectivecost", "amortized", "amortised", "amortized cost", "amortised cost", "net amortized")),
    Measure(name="list_cost", label="list cost", column="ListCost", unit="USD",
            description="the same usage at public list (on-demand) prices",
            synonyms=("list", "listcost", "list price cost", "retail", "undiscounted", "on-demand equivalent", "public price")),
    Measure(name="contracted_cost", label="contracted cost", column="ContractedCost", unit="USD",
            description="the usage at negotiated contract prices, before commitment discounts",
            synonyms=("contracted", "contractedcost", "negotiated", "negotiated cost")),
    Measure(name="consumed_quantity", label="consumed quantity", column="ConsumedQuantity", unit="quantity",
            description="usage in the provider's consumed units (hours, GB, requests)",
            synonyms=("usage", "consumed", "consumedquantity", "usage quantity", "consumption"),
            unit_dimension="consumed_unit"),
    Measure(name="pricing_quantity", label="pricing quantity", column="PricingQuantity", unit="quantity",
            description="usage in the units the price is quoted in",
            synonyms=("pricingquantity", "priced quantity", "billed quantity"), unit_dimension="pricing_unit"),
    Measure(name="charge_count", label="charges", column=None, unit="count",
            description="number of charge rows", synonyms=("charges", "line items", "rows", "count", "number of charges")),
    Measure(name="commitment_discount_quantity", label="commitment discount quantity",
            column="CommitmentDiscountQuantity", unit="quantity",
            description="amount of a commitment discount used or unused, in its commitment discount unit",
            synonyms=("commitmentdiscountquantity", "commitment quantity"), unit_dimension="commitment_discount_unit"),
    Measure(name="pricing_currency_effective_cost", label="effective cost in pricing currency",
            column="PricingCurrencyEffectiveCost", unit="quantity",
            description="effective cost in the currency the price is quoted in (a virtual currency such as credits); "
                        "never added across pricing currencies",
            synonyms=("pricingcurrencyeffectivecost", "virtual currency cost", "credits consumed", "credit burn"),
            unit_dimension="pricing_currency"),
    Measure(name="pricing_currency_list_cost", label="list cost in pricing currency",
            column="PricingCurrencyListUnitPrice", expression="PricingCurrencyListUnitPrice * PricingQuantity",
            unit="quantity", needs_columns=("PricingQuantity",),
            description="list unit price in the pricing currency × pricing quantity", unit_dimension="pricing_currency"),
    Measure(name="pricing_currency_contracted_cost", label="contracted cost in pricing currency",
            column="PricingCurrencyContractedUnitPrice", expression="PricingCurrencyContractedUnitPrice * PricingQuantity",
            unit="quantity", needs_columns=("PricingQuantity",),
            description="contracted unit price in the pricing currency × pricing quantity", unit_dimension="pricing_currency"),
    Measure(name="used_commitment_cost", label="used commitment cost", column="EffectiveCost", unit="USD",
            description="effective cost of commitment discounts that covered usage",
            condition="CommitmentDiscountStatus = 'Used'", needs_columns=("CommitmentDiscountStatus",),
            synonyms=("used commitment", "used commitments")),
    Measure(name="unused_commitment_cost", label="unused commitment cost", column="EffectiveCost", unit="USD",
            description="effective cost of commitment discounts that went unused (waste)",
            condition="CommitmentDiscountStatus = 'Unused'", needs_columns=("CommitmentDiscountStatus",),
            synonyms=("unused commitment", "unused commitments", "unused reservations", "unused savings plans")),
)

_DERIVED: tuple[DerivedMeasure, ...] = (
    DerivedMeasure(name="savings", label="savings", formula="difference", inputs=("list_cost", "effective_cost"), unit="USD",
                   description="list cost minus effective cost: everything discounts and commitments saved",
                   synonyms=("total savings", "saved", "effective savings")),
    DerivedMeasure(name="effective_savings_rate", label="effective savings rate", formula="ratio_of_difference",
                   inputs=("list_cost", "effective_cost"), unit="ratio",
                   description="(list cost - effective cost) / list cost", synonyms=("esr", "savings rate")),
    DerivedMeasure(name="negotiated_savings", label="negotiated savings", formula="difference",
                   inputs=("list_cost", "contracted_cost"), unit="USD",
                   description="list cost minus contracted cost: what negotiated rates saved",
                   synonyms=("contract savings", "negotiated discount")),
    DerivedMeasure(name="commitment_savings", label="commitment savings", formula="difference",
                   inputs=("contracted_cost", "effective_cost"), unit="USD",
                   description="contracted cost minus effective cost: what commitment discounts saved",
                   synonyms=("commitment discount savings", "reservation savings")),
    DerivedMeasure(name="commitment_savings_rate", label="commitment savings rate", formula="ratio_of_difference",
                   inputs=("contracted_cost", "effective_cost"), unit="ratio",
                   description="(contracted cost - effective cost) / contracted cost: what commitments saved on negotiated rates",
                   synonyms=("esr over contracted", "commitment discount rate")),
    DerivedMeasure(name="pricing_currency_contracted_savings", label="contracted savings in pricing currency",
                   formula="difference", inputs=("pricing_currency_list_cost", "pricing_currency_contracted_cost"),
                   unit="quantity", description="list minus contracted cost, in the pricing currency",
                   synonyms=("virtual currency savings",)),
    DerivedMeasure(name="billed_unit_price", label="billed unit price", formula="ratio",
                   inputs=("billed_cost", "consumed_quantity"), unit="USD",
                   description="billed cost per consumed unit", synonyms=("cost per consumed unit",)),
    DerivedMeasure(name="effective_unit_price", label="effective unit price", formula="ratio",
                   inputs=("effective_cost", "pricing_quantity"), unit="USD",
                   description="effective cost per pricing unit (the average rate paid)",
                   synonyms=("unit price", "unit rate", "average rate", "rate", "cost per unit", "average price",
                             "avg price", "hourly price", "price we pay", "price we paid", "price do we pay",
                             "price did we pay", "price paid")),
    DerivedMeasure(name="commitment_utilization", label="commitment utilisation", formula="share_of_sum",
                   inputs=("used_commitment_cost", "unused_commitment_cost"), unit="ratio",
                   description="used / (used + unused) commitment cost",
                   synonyms=("commitment utilisation", "reservation utilization", "utilization of commitments")),
)


# FOCUS 1.2 allowed values of the enumerated columns (focus_columns.csv).
FOCUS_ALLOWED: dict[str, tuple[str, ...]] = {
    "ChargeCategory": ("Usage", "Purchase", "Tax", "Credit", "Adjustment"),
    "ChargeClass": ("Correction",),
    "ChargeFrequency": ("One-Time", "Recurring", "Usage-Based"),
    "PricingCategory": ("Standard", "Dynamic", "Committed", "Other"),
    "CommitmentDiscountStatus": ("Used", "Unused"),
    "CommitmentDiscountCategory": ("Spend", "Usage"),
    "CapacityReservationStatus": ("Used", "Unused"),
}


def _focus(name: str, column: str, label: str, synonyms: tuple[str, ...] = (), description: str = "",
           name_kind: str | None = None) -> Dimension:
    return Dimension(name=name, label=label, sql=_col(column), focus_column=column, raw=column,
                     synonyms=(column.lower(),) + synonyms, description=description, name_kind=name_kind,
                     allowed_values=FOCUS_ALLOWED.get(column, ()))


def _grain(grain: str, synonyms: tuple[str, ...]) -> Dimension:
    return Dimension(name=grain, label=grain, kind="time", focus_column="ChargePeriodStart",
                     sql=f"CAST(date_trunc('{grain}', ChargePeriodStart) AS DATE)",
                     description=f"charge period start, by {grain}", synonyms=synonyms)


_DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(name="team", label="team", sql="x_team", joins=("allocation",), name_kind="team",
              tables=("focus_charges", "llm_calls", "gpu_jobs", "endpoints"), null_label="unallocated",
              description="owning team: the `team` tag, else the ownership registry, endpoint or job metadata",
              synonyms=("teams", "owner team", "owning team", "squad")),
    _focus("provider", "ProviderName", "provider", ("providers", "cloud", "clouds", "vendor", "vendors", "csp"),
           name_kind="provider"),
    _focus("publisher", "PublisherName", "publisher", ("publishers", "seller", "marketplace vendor")),
    _focus("invoice_issuer", "InvoiceIssuerName", "invoice issuer", ("invoice issuer", "issuer", "reseller")),
    _focus("invoice", "InvoiceId", "invoice", ("invoices", "invoice id")),
    _focus("billing_account", "BillingAccountId", "billing account id", ("billing account", "billing accounts", "payer account")),
    _focus("billing_account_name", "BillingAccountName", "billing account name", ()),
    _focus("billing_account_type", "BillingAccountType", "billing account type", ()),
    Dimension(name="account", label="account", sql="coalesce(nullif(SubAccountName, ''), SubAccountId)",
              focus_column="SubAccountName", name_kind="account", identified_by=("SubAccountName", "SubAccountId"),
              description="sub account (AWS account, Azure subscription, GCP project): its name, else its id",
              synonyms=("accounts", "sub account", "sub accounts", "subaccount", "subaccounts", "subscription",
                        "subscriptions", "linked account", "gcp project")),
    _focus("sub_account_id", "SubAccountId", "sub account id", ("account id",)),
    _focus("sub_account_type", "SubAccountType", "sub account type", ()),
    _focus("service", "ServiceName", "service", ("services", "product", "products"), name_kind="service"),
    _focus("service_category", "ServiceCategory", "service category", ("category", "categories", "service categories")),
    _focus("service_subcategory", "ServiceSubcategory", "service subcategory", ("subcategory", "subcategories")),
    _focus("region", "RegionId", "region", ("regions", "region id"), name_kind="region"),
    _focus("region_name", "RegionName", "region name", ()),
    _focus("availability_zone", "AvailabilityZone", "availability zone", ("az", "azs", "zone", "zones", "availability zones")),
    Dimension(name="resource", label="resource", sql="nullif(ResourceId, '')", focus_column="ResourceId", raw="ResourceId",
              name_kind="resource", identified_by=("ResourceId", "ResourceName"),
              synonyms=("resourceid", "resources", "resource id")),
    _focus("resource_name", "ResourceName", "resource name", ()),
    _focus("resource_type", "ResourceType", "resource type", ("resource types",)),
    _focus("sku", "SkuId", "SKU", ("skus", "sku id")),
    _focus("sku_meter", "SkuMeter", "SKU meter", ("meter", "meters")),
    _focus("sku_price", "SkuPriceId", "SKU price id", ()),
    _focus("charge_category", "ChargeCategory", "charge category", ("charge type",)),
    _focus("charge_class", "ChargeClass", "charge class", ()),
    _focus("charge_frequency", "ChargeFrequency", "charge frequency", ("frequency",)),
    _focus("charge_description", "ChargeDescription", "charge description", ("description",)),
    _focus("pricing_category", "PricingCategory", "pricing category", ("pricing model", "purchase option")),
    _focus("pricing_unit", "PricingUnit", "pricing unit", ()),
    _focus("consumed_unit", "ConsumedUnit", "consumed unit", ("usage unit", "unit", "units")),
    _focus("billing_currency", "BillingCurrency", "billing currency", ("currency",)),
    _focus("pricing_currency", "PricingCurrency", "pricing currency", ("virtual currency",)),
    _focus("commitment_discount", "CommitmentDiscountId", "commitment discount", ("commitment", "commitments", "reservation", "savings plan")),
    _focus("commitment_discount_name", "CommitmentDiscountName", "commitment discount name", ()),
    _focus("commitment_discount_type", "CommitmentDiscountType", "commitment discount type", ("commitment type",)),
    _focus("commitment_discount_category", "CommitmentDiscountCategory", "commitment discount category", ()),
    _focus("commitment_discount_status", "CommitmentDiscountStatus", "commitment discount status", ()),
    _focus("commitment_discount_unit", "CommitmentDiscountUnit", "commitment discount unit", ()),
    _focus("capacity_reservation", "CapacityReservationId", "capacity reservation", ("capacity reservations",)),
    _focus("capacity_reservation_status", "CapacityReservationStatus", "capacity reservation status", ()),
    Dimension(name="billing_period", label="billing period", kind="time", focus_column="BillingPeriodStart",
              sql="CAST(BillingPeriodStart AS DATE)", description="the invoice's billing period (its start)",
              synonyms=("billing periods", "invoice period")),
    Dimension(name="marketplace", label="marketplace or direct", sql=MARKETPLACE_SQL, focus_column="PublisherName",
              description="'marketplace' when the publisher is not the provider, else 'direct'",
              synonyms=("marketplace vs direct",)),
    Dimension(name="model", label="model", sql=MODEL_SQL, joins=("endpoint_model",), name_kind="model",
              tables=("focus_charges", "llm_calls", "endpoints", "prompts"),
              description="AI model: the `model` tag, else the endpoint's model, else a token-priced AI SKU",
              synonyms=("models", "llm", "llms")),
    Dimension(name="project", label="project", sql="x_tag_project", kind="tag", focus_column="Tags",
              name_kind="project", tables=("focus_charges", "gpu_jobs"), description="the `project` tag",
              synonyms=("projects",)),
    Dimension(name="owner", label="owner", sql="x_tag_owner", kind="tag", focus_column="Tags",
              tables=("focus_charges",), description="the `owner` tag", synonyms=("owners",)),
    Dimension(name="env", label="environment", sql="x_tag_env", kind="tag", focus_column="Tags",
              name_kind="environment", tables=("focus_charges", "gpu_jobs"), description="the `env` tag",
              synonyms=("environment", "environments", "envs", "stage")),
    Dimension(name="app", label="app", sql="coalesce(x_tag_app, nullif(SubAccountName, ''))",
              kind="tag", focus_column="Tags", name_kind="app", tables=("focus_charges", "llm_calls", "prompts"),
              description="application: the `app` tag, else the AI API project (sub account name)",
              synonyms=("apps", "application", "applications")),
    _grain("day", ("daily", "days", "per day", "each day")),
    _grain("week", ("weekly", "weeks", "per week")),
    _grain("month", ("monthly", "months", "per month", "month over month", "mom")),
    _grain("quarter", ("quarterly", "quarters", "per quarter")),
)

# Dimensions of the LLM usage tables only (call logs and provider usage buckets): `llm_spend` reads
# them; a CostQuery over billing charges says they are not there rather than guessing.
LLM_ONLY_DIMENSIONS: dict[str, str] = {"feature": "feature", "prompt": "prompt_id", "customer": "customer_id"}

_CONCEPTS: tuple[Concept, ...] = (
    Concept(words=("database", "databases", "db", "dbs"), dimension="service_category", op="eq", values=("Databases",)),
    Concept(words=("storage",), dimension="service_category", op="eq", values=("Storage",)),
    Concept(words=("compute",), dimension="service_category", op="eq", values=("Compute",)),
    Concept(words=("networking", "network"), dimension="service_category", op="eq", values=("Networking",)),
    Concept(words=("analytics",), dimension="service_category", op="eq", values=("Analytics",)),
    Concept(words=("ai", "ml", "ai/ml", "machine learning"), dimension="service_category", op="eq",
            values=("AI and Machine Learning",)),
    Concept(words=("k8s", "kubernetes", "eks", "aks", "gke"), dimension="service", op="contains", values=("Kubernetes",)),
    Concept(words=("credits", "credit", "credit memos"), dimension="charge_category", op="eq", values=("Credit",)),
    Concept(words=("tax", "taxes"), dimension="charge_category", op="eq", values=("Tax",)),
    Concept(words=("purchases", "upfront purchases", "purchase"), dimension="charge_category", op="eq", values=("Purchase",)),
    Concept(words=("adjustments", "adjustment"), dimension="charge_category", op="eq", values=("Adjustment",)),
    Concept(words=("usage charges",), dimension="charge_category", op="eq", values=("Usage",)),
    Concept(words=("corrections", "correction", "refunds", "refund"), dimension="charge_class", op="eq", values=("Correction",)),
    Concept(words=("marketplace",), dimension="marketplace", op="eq", values=("marketplace",)),
    Concept(words=("spot", "dynamic pricing"), dimension="pricing_category", op="eq", values=("Dynamic",)),
    Concept(words=("on-demand", "on demand", "ondemand"), dimension="pricing_category", op="eq", values=("Standard",)),
    Concept(words=("committed", "reserved"), dimension="pricing_category", op="eq", values=("Committed",)),
    Concept(words=("untagged", "unallocated", "unowned", "not allocated", "wasn't allocated", "isn't allocated",
                   "no owning team", "without an owning team", "no team", "without a team", "unattributed"),
            dimension="team", op="is_null"),
    Concept(words=("recurring",), dimension="charge_frequency", op="eq", values=("Recurring",)),
    Concept(words=("one-time", "one time", "one-off"), dimension="charge_frequency", op="eq", values=("One-Time",)),
)

MEASURES: dict[str, Measure] = {m.name: m for m in _MEASURES}
DERIVED: dict[str, DerivedMeasure] = {m.name: m for m in _DERIVED}
DIMENSIONS: dict[str, Dimension] = {d.name: d for d in _DIMENSIONS}
CONCEPTS: tuple[Concept, ...] = _CONCEPTS
TAG_PREFIX = "tag:"
TIME_GRAINS = tuple(d.name for d in _DIMENSIONS if d.kind == "time" and d.name != "billing_period")
MEASURE_NAMES = tuple(MEASURES) + tuple(DERIVED)

Operator = Literal["eq", "ne", "in", "not_in", "contains", "is_null", "not_null"]


class SemanticModel(BaseModel):
    """The whole model as data: what the MCP resource, the README table and the planner read."""

    measures: list[Measure] = Field(default_factory=lambda: list(MEASURES.values()))
    derived: list[DerivedMeasure] = Field(default_factory=lambda: list(DERIVED.values()))
    dimensions: list[Dimension] = Field(default_factory=lambda: list(DIMENSIONS.values()))
    concepts: list[Concept] = Field(default_factory=lambda: list(CONCEPTS))


def tag_dimension(key: str) -> Dimension:
    """`tag:<key>`: the value of any tag key: its column when the key is materialised (knowledge.tag_columns),
    else read from the map (the key itself bound as a parameter, never spliced)."""
    col = tag_columns.column(key)
    return Dimension(name=f"{TAG_PREFIX}{key}", label=f"tag {key}", sql=col or "nullif(Tags[?], '')", kind="tag",
                     focus_column="Tags", description=f"the `{key}` tag", params=() if col else (key,))


def _lookup_table() -> dict[str, str]:
    from knowledge.naming import fold

    table: dict[str, str] = {}
    for name, dim in DIMENSIONS.items():
        for word in (name, dim.label, *dim.synonyms):
            table.setdefault(fold(word), name)
    return table


def _measure_table() -> dict[str, str]:
    from knowledge.naming import fold

    table: dict[str, str] = {}
    every: list[Measure | DerivedMeasure] = [*MEASURES.values(), *DERIVED.values()]
    for m in every:
        for word in (m.name, m.label, *m.synonyms):
            table.setdefault(fold(word), m.name)
    return table


def dimension(name: str) -> Dimension:
    """The dimension a name, synonym or FOCUS column means ("ServiceCategory", "category", "tag:env");
    an unknown name raises UnknownNameError with the closest dimensions."""
    from knowledge.errors import UnknownNameError
    from knowledge.naming import fold, suggest

    text = name.strip()
    if text.lower().startswith(TAG_PREFIX):
        key = text[len(TAG_PREFIX):].strip()
        if not key:
            raise UnknownNameError("dimension", name, ["tag:<key>, e.g. tag:env"])
        return tag_dimension(key)
    if text in DIMENSIONS:
        return DIMENSIONS[text]
    hit = _lookup_table().get(fold(text))
    if hit is not None:
        return DIMENSIONS[hit]
    known = list(DIMENSIONS) + [d.focus_column for d in DIMENSIONS.values() if d.focus_column]
    found = [s for s in suggest(text, known, limit=5)]
    resolved = list(dict.fromkeys(_lookup_table().get(fold(s), s) for s in found))[:3]
    raise UnknownNameError("dimension", name, resolved)


def measure(name: str) -> Measure | DerivedMeasure:
    """The measure a name or synonym means ("amortized" -> effective_cost); UnknownNameError otherwise."""
    from knowledge.errors import UnknownNameError
    from knowledge.naming import fold, suggest

    text = name.strip()
    if text in MEASURES:
        return MEASURES[text]
    if text in DERIVED:
        return DERIVED[text]
    hit = _measure_table().get(fold(text))
    if hit is not None:
        return MEASURES.get(hit) or DERIVED[hit]
    raise UnknownNameError("measure", name, suggest(text, list(MEASURE_NAMES)))

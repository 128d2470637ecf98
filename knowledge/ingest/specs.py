"""What each ingest kind loads: the target table, its columns with their checks, and how a re-ingest
replaces earlier rows. Pure data; `staging.py` turns it into SQL.

FOCUS columns and types come from `knowledge.schema` (one source). The other tables' specs restate
their columns here with the checks they need; a test compares them with the store's DDL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from knowledge.schema import FOCUS_COLUMNS, FOCUS_REQUIRED, MONEY

ValueKind = Literal["text", "timestamp", "date", "decimal", "integer", "double", "boolean", "map"]
ReplaceMode = Literal["key", "groups", "file"]


@dataclass(frozen=True)
class Column:
    """One target column and the rules a file's value must meet to load."""

    name: str
    sql_type: str
    required: bool = False
    default: str | None = None  # SQL literal used when the file has no value (column absent or empty)
    non_negative: bool = False
    allowed: tuple[str, ...] = ()  # the value must be one of these (exact, case-sensitive)
    currency: bool = False  # an ISO 4217 code
    unit_interval: bool = False  # between 0 and 1

    @property
    def kind(self) -> ValueKind:
        t = self.sql_type.upper()
        if t == "VARCHAR":
            return "text"
        if t == "TIMESTAMP":
            return "timestamp"
        if t == "DATE":
            return "date"
        if t.startswith("DECIMAL"):
            return "decimal"
        if t in ("BIGINT", "INTEGER"):
            return "integer"
        if t == "DOUBLE":
            return "double"
        if t == "BOOLEAN":
            return "boolean"
        if t.startswith("MAP"):
            return "map"
        raise ValueError(f"column {self.name}: no ingest rule for type {self.sql_type}")


@dataclass(frozen=True)
class RowCheck:
    """A rule across columns. `bad_when` and `reason` are SQL over `{Column}` placeholders; the check
    applies only when every column it names is in the file."""

    columns: tuple[str, ...]
    bad_when: str
    reason: str


@dataclass(frozen=True)
class TableSpec:
    kind: str  # the CLI name: focus, llm-calls, ...
    table: str
    columns: tuple[Column, ...]
    checks: tuple[RowCheck, ...] = ()
    # How a re-ingest replaces earlier rows:
    #   key    - rows of the table with the same `replace_by` values (a primary key; unique in a file)
    #   groups - every earlier row of the same `replace_by` group (FOCUS: provider, account, period; the
    #            key is normalised, see knowledge/ingest/load.py `_replace_focus`)
    #   file   - every earlier row that came from the same file path
    replace: ReplaceMode = "key"
    replace_by: tuple[str, ...] = ()
    lineage: tuple[str, ...] = ()  # which of x_source_file, x_ingest_id, x_line the table carries
    # Whether a row loaded from a CSV file keeps its line (x_line). A quarantined row always has its line,
    # a Parquet row its row number.
    csv_lines: bool = True
    notes: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required and c.default is None)


def _period_order(start: str, end: str) -> RowCheck:
    return RowCheck(
        columns=(start, end),
        bad_when=f"{{{end}}} < {{{start}}}",
        reason=f"'{end} ' || strftime({{{end}}}, '%Y-%m-%d %H:%M:%S') || ' is before {start} ' "
        f"|| strftime({{{start}}}, '%Y-%m-%d %H:%M:%S')",
    )


# FOCUS 1.2 ChargeCategory allowed values (the FOCUS 1.2 specification).
CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")

# Quantities and unit prices may be negative in FOCUS (credits, corrections; the FinOps Foundation sample
# has a negative ContractedUnitPrice), so FOCUS rows get no sign checks: rejecting them would drop money.
FOCUS = TableSpec(
    kind="focus",
    table="focus_charges",
    columns=tuple(
        Column(
            name,
            sql_type,
            required=name in FOCUS_REQUIRED,
            allowed=CHARGE_CATEGORIES if name == "ChargeCategory" else (),
            # BillingCurrency is an ISO 4217 code; PricingCurrency may be a virtual currency in FOCUS 1.2
            # ("SNOWFLAKE-CREDITS", tokens): checking it against ISO 4217 quarantined valid rows.
            currency=name == "BillingCurrency",
        )
        for name, sql_type in FOCUS_COLUMNS.items()
    ),
    checks=(
        _period_order("ChargePeriodStart", "ChargePeriodEnd"),
        _period_order("BillingPeriodStart", "BillingPeriodEnd"),
    ),
    replace="groups",
    replace_by=("ProviderName", "BillingAccountId", "BillingPeriodStart"),
    lineage=("x_source_file", "x_ingest_id", "x_line"),
    # A charge loaded from a CSV file has no line: DuckDB's CSV reader numbers no rows, and numbering them
    # needs a stage in file order, about a third of a big load's time (knowledge/ingest/load.py `direct`).
    csv_lines=False,
)

LLM_CALLS = TableSpec(
    kind="llm-calls",
    table="llm_calls",
    columns=(
        Column("ts", "TIMESTAMP", required=True),
        Column("provider", "VARCHAR"),  # filled from the price catalog when absent
        Column("model", "VARCHAR", required=True),
        Column("app", "VARCHAR"),
        Column("feature", "VARCHAR"),
        Column("team", "VARCHAR"),
        Column("prompt_id", "VARCHAR"),
        Column("prompt_version", "VARCHAR"),
        Column("calls", "BIGINT", required=True, default="1", non_negative=True),
        Column("input_tokens", "BIGINT", required=True, non_negative=True),
        Column("cached_input_tokens", "BIGINT", required=True, default="0", non_negative=True),
        Column("output_tokens", "BIGINT", required=True, non_negative=True),
        Column("max_tokens", "BIGINT", non_negative=True),
        Column("latency_ms", "BIGINT", non_negative=True),
        Column("status", "VARCHAR"),
        Column("customer_id", "VARCHAR"),
        Column("request_id", "VARCHAR"),  # provider/gateway request id, when the log has one
    ),
    checks=(
        RowCheck(
            columns=("cached_input_tokens", "input_tokens"),
            bad_when="{cached_input_tokens} > {input_tokens}",
            reason="'cached_input_tokens ' || {cached_input_tokens} || ' exceed input_tokens ' || {input_tokens}",
        ),
    ),
    replace="file",
    lineage=("x_source_file", "x_ingest_id"),
)

GPU_JOB_KINDS = ("training", "fine-tune", "batch-inference", "experiment", "sweep")

GPU_JOBS = TableSpec(
    kind="gpu-jobs",
    table="gpu_jobs",
    columns=(
        Column("job_id", "VARCHAR", required=True),
        Column("name", "VARCHAR"),
        Column("kind", "VARCHAR", allowed=GPU_JOB_KINDS),
        Column("team", "VARCHAR"),
        Column("owner", "VARCHAR"),
        Column("project", "VARCHAR"),
        Column("environment", "VARCHAR"),
        Column("cluster", "VARCHAR"),
        Column("resource_id", "VARCHAR"),
        Column("gpu_type", "VARCHAR"),
        Column("gpu_count", "INTEGER", non_negative=True),
        Column("instance_type", "VARCHAR"),
        Column("started_at", "TIMESTAMP"),
        Column("ended_at", "TIMESTAMP"),
        Column("last_progress_at", "TIMESTAMP"),
        Column("ttl_hours", "DOUBLE", non_negative=True),
        Column("budget", MONEY, non_negative=True),
        Column("avg_gpu_util", "DOUBLE", unit_interval=True),
        Column("estimated_cost", MONEY, non_negative=True),
        Column("actual_cost", MONEY, non_negative=True),
        Column("outcome", "VARCHAR"),
        Column("manifest", "VARCHAR"),
    ),
    checks=(_period_order("started_at", "ended_at"),),
    replace="key",
    replace_by=("job_id",),
    lineage=("x_ingest_id",),
)

ENDPOINTS = TableSpec(
    kind="endpoints",
    table="endpoints",
    columns=(
        Column("endpoint_id", "VARCHAR", required=True),
        Column("resource_id", "VARCHAR"),
        Column("name", "VARCHAR"),
        Column("model", "VARCHAR"),
        Column("team", "VARCHAR"),
        Column("owner", "VARCHAR"),
        Column("environment", "VARCHAR"),
        Column("instance_type", "VARCHAR"),
        Column("gpu_type", "VARCHAR"),
        Column("gpu_count", "INTEGER", non_negative=True),
        Column("hourly_cost", MONEY, non_negative=True),
        Column("created_at", "TIMESTAMP"),
        Column("created_by_job", "VARCHAR"),
        Column("last_request_at", "TIMESTAMP"),
    ),
    replace="key",
    replace_by=("endpoint_id",),
    lineage=("x_ingest_id",),
)

OWNERSHIP_MATCH_KINDS = ("resource_id", "resource_pattern", "sub_account", "tag")

OWNERSHIP = TableSpec(
    kind="ownership",
    table="ownership",
    columns=(
        Column("rule_id", "INTEGER", required=True),
        Column("match_kind", "VARCHAR", required=True, allowed=OWNERSHIP_MATCH_KINDS),
        Column("pattern", "VARCHAR", required=True),
        Column("team", "VARCHAR", required=True),
        Column("owner", "VARCHAR"),
        Column("source", "VARCHAR"),
        Column("priority", "INTEGER", required=True, default="100"),
    ),
    checks=(
        RowCheck(
            columns=("match_kind", "pattern"),
            bad_when="{match_kind} = 'tag' AND NOT contains({pattern}, '=')",
            reason="'tag rule pattern ''' || {pattern} || ''' is not key=value'",
        ),
    ),
    replace="key",
    replace_by=("rule_id",),
)

BUDGET_SCOPES = ("team", "project", "service", "total")
BUDGET_PERIODS = ("monthly", "quarterly")

BUDGETS = TableSpec(
    kind="budgets",
    table="budgets",
    columns=(
        Column("scope_kind", "VARCHAR", required=True, allowed=BUDGET_SCOPES),
        Column("scope_name", "VARCHAR", required=True),
        Column("period", "VARCHAR", required=True, allowed=BUDGET_PERIODS),
        Column("period_start", "DATE", required=True),
        Column("amount", MONEY, required=True, non_negative=True),
        Column("alert_thresholds", "VARCHAR", required=True, default="'0.8,1.0'"),
    ),
    checks=(
        RowCheck(
            columns=("alert_thresholds",),
            bad_when=r"NOT regexp_full_match({alert_thresholds}, '\s*[0-9]+(\.[0-9]+)?\s*(,\s*[0-9]+(\.[0-9]+)?\s*)*')",
            reason="'alert_thresholds ''' || {alert_thresholds} || ''' is not a comma-separated list of numbers'",
        ),
        RowCheck(
            columns=("period", "period_start"),
            bad_when="dayofmonth({period_start}) <> 1 OR ({period} = 'quarterly' AND month({period_start}) NOT IN (1, 4, 7, 10))",
            reason="'period_start ' || {period_start} || ' is not the first day of a ' || "
            "CASE WHEN {period} = 'quarterly' THEN 'quarter' ELSE 'month' END",
        ),
    ),
    replace="key",
    replace_by=("scope_kind", "scope_name", "period_start"),
)

SPECS: dict[str, TableSpec] = {s.kind: s for s in (FOCUS, LLM_CALLS, GPU_JOBS, ENDPOINTS, OWNERSHIP, BUDGETS)}
KINDS: tuple[str, ...] = tuple(SPECS)

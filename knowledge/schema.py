"""The DuckDB schema of the store, as an ordered list of forward migrations.

Migration N brings a store from schema version N-1 to N. A store made by an older release opens after
an upgrade because `knowledge.store.migrate` applies the missing migrations in one transaction.
Never edit a released migration: append a new one.

Money is DECIMAL(38,12); unit prices DECIMAL(38,15) (per-token prices such as 7.5e-8).
"""

from __future__ import annotations

MONEY = "DECIMAL(38,12)"
UNIT_PRICE = "DECIMAL(38,15)"
QUANTITY = "DECIMAL(38,12)"

# FOCUS 1.2 columns, names verbatim (the FOCUS 1.2 specification's column list), with their store types.
# FOCUS 1.0 files (the FinOps Foundation sample) carry a subset of these; absent columns load as NULL.
FOCUS_COLUMNS: dict[str, str] = {
    "AvailabilityZone": "VARCHAR",
    "BilledCost": MONEY,
    "BillingAccountId": "VARCHAR",
    "BillingAccountName": "VARCHAR",
    "BillingAccountType": "VARCHAR",
    "BillingCurrency": "VARCHAR",
    "BillingPeriodEnd": "TIMESTAMP",
    "BillingPeriodStart": "TIMESTAMP",
    "CapacityReservationId": "VARCHAR",
    "CapacityReservationStatus": "VARCHAR",
    "ChargeCategory": "VARCHAR",
    "ChargeClass": "VARCHAR",
    "ChargeDescription": "VARCHAR",
    "ChargeFrequency": "VARCHAR",
    "ChargePeriodEnd": "TIMESTAMP",
    "ChargePeriodStart": "TIMESTAMP",
    "CommitmentDiscountCategory": "VARCHAR",
    "CommitmentDiscountId": "VARCHAR",
    "CommitmentDiscountName": "VARCHAR",
    "CommitmentDiscountQuantity": QUANTITY,
    "CommitmentDiscountStatus": "VARCHAR",
    "CommitmentDiscountType": "VARCHAR",
    "CommitmentDiscountUnit": "VARCHAR",
    "ConsumedQuantity": QUANTITY,
    "ConsumedUnit": "VARCHAR",
    "ContractedCost": MONEY,
    "ContractedUnitPrice": UNIT_PRICE,
    "EffectiveCost": MONEY,
    "InvoiceId": "VARCHAR",
    "InvoiceIssuerName": "VARCHAR",
    "ListCost": MONEY,
    "ListUnitPrice": UNIT_PRICE,
    "PricingCategory": "VARCHAR",
    "PricingCurrency": "VARCHAR",
    "PricingCurrencyContractedUnitPrice": UNIT_PRICE,
    "PricingCurrencyEffectiveCost": MONEY,
    "PricingCurrencyListUnitPrice": UNIT_PRICE,
    "PricingQuantity": QUANTITY,
    "PricingUnit": "VARCHAR",
    "ProviderName": "VARCHAR",
    "PublisherName": "VARCHAR",
    "RegionId": "VARCHAR",
    "RegionName": "VARCHAR",
    "ResourceId": "VARCHAR",
    "ResourceName": "VARCHAR",
    "ResourceType": "VARCHAR",
    "ServiceCategory": "VARCHAR",
    "ServiceName": "VARCHAR",
    "ServiceSubcategory": "VARCHAR",
    "SkuId": "VARCHAR",
    "SkuMeter": "VARCHAR",
    "SkuPriceDetails": "VARCHAR",
    "SkuPriceId": "VARCHAR",
    "SubAccountId": "VARCHAR",
    "SubAccountName": "VARCHAR",
    "SubAccountType": "VARCHAR",
    "Tags": "MAP(VARCHAR, VARCHAR)",
}

# FOCUS columns that must hold a value on every row (Mandatory and not nullable in FOCUS 1.2,
# restricted to those FOCUS 1.0 exports carry too, so 1.0 files load unchanged).
FOCUS_REQUIRED: tuple[str, ...] = (
    "BilledCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "EffectiveCost",
    "ProviderName",
    "ServiceName",
)

_focus_columns_ddl = ",\n    ".join(f'"{name}" {sql_type}' for name, sql_type in FOCUS_COLUMNS.items())

MIGRATION_1 = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE TABLE IF NOT EXISTS ingest_runs (
    ingest_id VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,              -- focus | llm-calls | gpu-jobs | endpoints | ownership | budgets | demo
    file VARCHAR,
    billing_account VARCHAR,
    billing_period VARCHAR,               -- e.g. 2024-09 (FOCUS BillingPeriodStart month), NULL if n/a
    rows_read BIGINT NOT NULL DEFAULT 0,
    rows_loaded BIGINT NOT NULL DEFAULT 0,
    rows_quarantined BIGINT NOT NULL DEFAULT 0,
    rows_replaced BIGINT NOT NULL DEFAULT 0,
    status VARCHAR NOT NULL DEFAULT 'ok',
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS quarantine (
    ingest_id VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    line BIGINT NOT NULL,                 -- 1-based physical line in the file (header = line 1)
    reason VARCHAR NOT NULL,
    raw VARCHAR
);

CREATE TABLE IF NOT EXISTS focus_charges (
    {_focus_columns_ddl},
    x_source_file VARCHAR,
    x_ingest_id VARCHAR,
    x_line BIGINT
);

CREATE TABLE IF NOT EXISTS llm_prices (
    model VARCHAR PRIMARY KEY,
    provider VARCHAR,
    mode VARCHAR,
    input_cost_per_token {UNIT_PRICE},
    output_cost_per_token {UNIT_PRICE},
    cache_read_input_token_cost {UNIT_PRICE},
    cache_creation_input_token_cost {UNIT_PRICE},
    max_input_tokens BIGINT,
    max_output_tokens BIGINT,
    tier VARCHAR,                         -- frontier | mid | small (derived, see knowledge/prices.py)
    source VARCHAR
);

CREATE TABLE IF NOT EXISTS gpu_prices (
    instance_type VARCHAR NOT NULL,
    provider VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    gpu_model VARCHAR,
    gpu_type VARCHAR,                     -- short name: H100, A100, L4, ... (derived)
    gpu_count DECIMAL(10,3),
    gpu_memory VARCHAR,
    vcpu INTEGER,
    memory_gib DECIMAL(12,3),
    on_demand_usd_per_hour {UNIT_PRICE},
    reserved_1yr_no_upfront_usd_per_hour {UNIT_PRICE},
    source VARCHAR,
    PRIMARY KEY (instance_type, provider, region)
);

CREATE TABLE IF NOT EXISTS llm_calls (
    ts TIMESTAMP NOT NULL,
    provider VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    app VARCHAR,
    feature VARCHAR,
    team VARCHAR,
    prompt_id VARCHAR,
    prompt_version VARCHAR,
    calls BIGINT NOT NULL DEFAULT 1,      -- 1 per call, or N for a per-minute/bucket aggregate
    input_tokens BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL,
    max_tokens BIGINT,                    -- NULL = the caller set no max_tokens
    latency_ms BIGINT,
    status VARCHAR,
    customer_id VARCHAR,
    cost {MONEY},                         -- from llm_prices at ingest; NULL when the price is unknown
    x_source_file VARCHAR,
    x_ingest_id VARCHAR
);

CREATE TABLE IF NOT EXISTS gpu_jobs (
    job_id VARCHAR PRIMARY KEY,
    name VARCHAR,
    kind VARCHAR,                         -- training | fine-tune | batch-inference | experiment | sweep
    team VARCHAR,
    owner VARCHAR,
    project VARCHAR,
    environment VARCHAR,                  -- dev | prod
    cluster VARCHAR,
    resource_id VARCHAR,                  -- the billed resource (FOCUS ResourceId) the job ran on
    gpu_type VARCHAR,
    gpu_count INTEGER,
    instance_type VARCHAR,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,                   -- NULL = still running
    last_progress_at TIMESTAMP,
    ttl_hours DOUBLE,
    budget {MONEY},
    avg_gpu_util DOUBLE,                  -- 0..1
    estimated_cost {MONEY},
    actual_cost {MONEY},
    outcome VARCHAR,                      -- e.g. completed | discarded | failed | running
    manifest VARCHAR,
    x_ingest_id VARCHAR
);

CREATE TABLE IF NOT EXISTS endpoints (
    endpoint_id VARCHAR PRIMARY KEY,
    resource_id VARCHAR,
    name VARCHAR,
    model VARCHAR,
    team VARCHAR,
    owner VARCHAR,
    environment VARCHAR,
    instance_type VARCHAR,
    gpu_type VARCHAR,
    gpu_count INTEGER,
    hourly_cost {MONEY},
    created_at TIMESTAMP,
    created_by_job VARCHAR,
    last_request_at TIMESTAMP,
    x_ingest_id VARCHAR
);

CREATE TABLE IF NOT EXISTS endpoint_usage_daily (
    endpoint_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    requests BIGINT,
    tokens BIGINT,
    avg_gpu_util DOUBLE,
    PRIMARY KEY (endpoint_id, day)
);

CREATE TABLE IF NOT EXISTS teams (
    team VARCHAR PRIMARY KEY,
    cost_center VARCHAR,
    slack_channel VARCHAR,
    lead VARCHAR,
    approvers VARCHAR                     -- comma-separated Slack user ids allowed to approve estimates
);

CREATE TABLE IF NOT EXISTS ownership (
    rule_id INTEGER PRIMARY KEY,
    match_kind VARCHAR NOT NULL,          -- resource_id | resource_pattern (SQL LIKE on ResourceId or ResourceName) | sub_account | tag
    pattern VARCHAR NOT NULL,             -- for tag: 'key=value'
    team VARCHAR NOT NULL,
    owner VARCHAR,
    source VARCHAR,                       -- where the rule came from (cmdb, terraform, manual ...)
    priority INTEGER NOT NULL DEFAULT 100 -- lower wins
);

CREATE TABLE IF NOT EXISTS budgets (
    scope_kind VARCHAR NOT NULL,          -- team | project | service | total
    scope_name VARCHAR NOT NULL,
    period VARCHAR NOT NULL,              -- monthly | quarterly
    period_start DATE NOT NULL,
    amount {MONEY} NOT NULL,
    alert_thresholds VARCHAR NOT NULL DEFAULT '0.8,1.0',
    PRIMARY KEY (scope_kind, scope_name, period_start)
);

CREATE TABLE IF NOT EXISTS prompts (
    prompt_id VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    app VARCHAR,
    team VARCHAR,
    model VARCHAR,
    system_prompt_tokens BIGINT,
    max_tokens BIGINT,                    -- NULL = not set
    task_type VARCHAR,                    -- classification | extraction | routing | chat | generation | summarization ...
    caching_enabled BOOLEAN DEFAULT FALSE,
    text VARCHAR,                         -- untrusted: shown quoted, never spliced into instructions
    PRIMARY KEY (prompt_id, version)
);

CREATE TABLE IF NOT EXISTS estimates (
    estimate_id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    name VARCHAR,
    team VARCHAR,
    kind VARCHAR,
    expected_cost {MONEY},
    p10 {MONEY},
    p90 {MONEY},
    budget {MONEY},
    verdict VARCHAR,
    manifest VARCHAR,
    result_json VARCHAR
);

CREATE TABLE IF NOT EXISTS approvals (
    estimate_id VARCHAR NOT NULL,
    decided_by VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,            -- approved | rejected
    ts TIMESTAMP NOT NULL,
    channel VARCHAR,
    note VARCHAR
);

CREATE TABLE IF NOT EXISTS demo_facts (key VARCHAR PRIMARY KEY, value JSON);

-- Who owns each billed resource when its charges carry no team tag: an ownership rule first
-- (lowest priority number wins), then endpoint metadata, then the GPU job that ran on it.
CREATE OR REPLACE VIEW resource_owners AS
WITH res AS (
    SELECT DISTINCT ResourceId, ResourceName, SubAccountId, SubAccountName
    FROM focus_charges WHERE ResourceId IS NOT NULL
),
hits AS (
    SELECT res.ResourceId, o.team, o.owner, 'ownership rule #' || o.rule_id AS how,
           0.9 AS confidence, o.priority AS prio, o.rule_id AS tie
    FROM res JOIN ownership o
      ON (o.match_kind = 'resource_id' AND o.pattern = res.ResourceId)
      OR (o.match_kind = 'resource_pattern' AND (res.ResourceId LIKE o.pattern OR res.ResourceName LIKE o.pattern))
      OR (o.match_kind = 'sub_account' AND (o.pattern = res.SubAccountId OR o.pattern = res.SubAccountName))
    UNION ALL
    SELECT resource_id, team, owner, 'endpoint ' || endpoint_id, 0.8, 100000, 0
    FROM endpoints WHERE resource_id IS NOT NULL AND team IS NOT NULL
    UNION ALL
    SELECT resource_id, team, owner, 'gpu job ' || job_id, 0.7, 100001, 0
    FROM gpu_jobs WHERE resource_id IS NOT NULL AND team IS NOT NULL
)
SELECT ResourceId, team, owner, how, confidence FROM (
    SELECT *, row_number() OVER (PARTITION BY ResourceId ORDER BY prio, tie, how) AS rn FROM hits
) WHERE rn = 1;

-- Every charge with the team it is allocated to: the `team` tag, else resource_owners; NULL = unallocated.
CREATE OR REPLACE VIEW charges_allocated AS
SELECT c.*,
       coalesce(nullif(c.Tags['team'], ''), ro.team) AS x_team,
       CASE WHEN nullif(c.Tags['team'], '') IS NOT NULL THEN 'tag'
            WHEN ro.team IS NOT NULL THEN ro.how END AS x_team_source
FROM focus_charges c LEFT JOIN resource_owners ro ON ro.ResourceId = c.ResourceId;
"""

# Weekly summaries posted to Slack, one row per (week, scope, channel): `finops summary --post` skips a
# channel that already holds that week's summary, so a re-run (cron retry) never double-posts.
MIGRATION_2 = """
CREATE TABLE IF NOT EXISTS summary_posts (
    week VARCHAR NOT NULL,                -- ISO week, e.g. 2026-W47
    scope VARCHAR NOT NULL,               -- '(company)' or a team name
    channel VARCHAR NOT NULL,             -- as configured: teams.slack_channel or FINOPS_SUMMARY_CHANNEL
    channel_id VARCHAR,                   -- the channel id Slack answered with
    ts VARCHAR,                           -- the message's ts
    file_id VARCHAR,                      -- the chart uploaded in its thread (NULL if the upload failed)
    as_of DATE,
    posted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (week, scope, channel)
);
"""

# Provider connectors (knowledge/connectors/): OpenAI / Anthropic usage buckets, LiteLLM request ids,
# DCGM GPU utilisation samples, and the views the tools read them through.
MIGRATION_3 = f"""
-- One row per result of a provider usage page (OpenAI Usage API, Anthropic usage report): an aggregate
-- over [bucket_start, bucket_end) for the dimensions the page was grouped by (NULL = not grouped).
CREATE TABLE IF NOT EXISTS llm_usage_buckets (
    provider VARCHAR NOT NULL,            -- openai | anthropic (lower case, as llm_prices.provider)
    account VARCHAR,                      -- organization, from `--account` (NULL when not given)
    endpoint VARCHAR NOT NULL,            -- completions, embeddings, moderations, images, audio_speeches, ... ; messages (Anthropic)
    bucket_start TIMESTAMP NOT NULL,      -- naive UTC, inclusive
    bucket_end TIMESTAMP NOT NULL,        -- exclusive
    project_id VARCHAR,                   -- OpenAI project; Anthropic workspace
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    batch BOOLEAN,                        -- OpenAI `batch`; Anthropic service_tier = 'batch'
    service_tier VARCHAR,
    context_window VARCHAR,
    requests BIGINT,                      -- num_model_requests (NULL when the source has none, e.g. Anthropic)
    input_tokens BIGINT,                  -- all input: uncached + cache reads + cache writes
    cached_input_tokens BIGINT,           -- cache reads
    cache_write_input_tokens BIGINT,      -- cache writes (OpenAI input_cache_write_tokens; Anthropic 5m + 1h)
    cache_write_1h_input_tokens BIGINT,   -- Anthropic 1-hour cache writes (a part of cache_write_input_tokens)
    output_tokens BIGINT,
    quantity {QUANTITY},                  -- non-token endpoints: images, characters, seconds, bytes, sessions, requests
    unit VARCHAR,
    details JSON,                         -- every other field of the result (modality splits, new fields), as sent
    cost {MONEY},                         -- from llm_prices at ingest; NULL when the price is unknown
    x_source_file VARCHAR,
    x_ingest_id VARCHAR,
    x_line BIGINT
);

-- LiteLLM SpendLogs rows carry their request id, so a re-ingest replaces the same requests.
ALTER TABLE llm_calls ADD COLUMN IF NOT EXISTS request_id VARCHAR;

-- DCGM exporter samples, one row per (time, GPU, metric): gpu_util and gr_engine_active as a share of
-- time busy (0..1; DCGM_FI_DEV_GPU_UTIL is divided by 100), fb_used_mib in MiB.
CREATE TABLE IF NOT EXISTS gpu_utilization (
    ts TIMESTAMP NOT NULL,
    metric VARCHAR NOT NULL,              -- gpu_util | gr_engine_active | fb_used_mib
    value DOUBLE NOT NULL,
    hostname VARCHAR,                     -- label `hostname` (or `Hostname`, exporters before 2026-05)
    gpu VARCHAR,                          -- GPU index label
    uuid VARCHAR,
    device VARCHAR,
    model_name VARCHAR,
    pci_bus_id VARCHAR,
    gpu_instance_id VARCHAR,              -- MIG instance (GPU_I_ID), NULL for a whole GPU
    gpu_instance_profile VARCHAR,
    namespace VARCHAR,
    pod VARCHAR,
    container VARCHAR,
    x_source_file VARCHAR,
    x_ingest_id VARCHAR,
    x_line BIGINT
);

-- What the LLM spend tool reads: every per-call log row, plus the token usage buckets of the
-- (provider, UTC day)s that no call log covers. Call logs win where both exist (they carry app, team
-- and prompt), so nothing is counted twice. A bucket's app is its project (OpenAI) or workspace (Anthropic).
CREATE OR REPLACE VIEW llm_usage AS
SELECT ts, provider, model, app, feature, team, prompt_id, prompt_version, calls, input_tokens,
       cached_input_tokens, output_tokens, max_tokens, latency_ms, status, customer_id, cost,
       'call log' AS x_basis
FROM llm_calls
UNION ALL
SELECT b.bucket_start, b.provider, b.model, b.project_id, NULL, NULL, NULL, NULL, b.requests,
       coalesce(b.input_tokens, 0), coalesce(b.cached_input_tokens, 0), coalesce(b.output_tokens, 0),
       NULL, NULL, NULL, NULL, b.cost, 'usage bucket'
FROM llm_usage_buckets b
LEFT JOIN (
    SELECT DISTINCT provider, CAST(ts AS DATE) AS day FROM llm_calls
    WHERE provider IN (SELECT DISTINCT provider FROM llm_usage_buckets)
) covered ON covered.provider = b.provider AND covered.day = CAST(b.bucket_start AS DATE)
WHERE covered.day IS NULL AND b.endpoint IN ('completions', 'embeddings', 'moderations', 'messages');

-- Endpoints and GPU jobs a DCGM sample belongs to: the sample's pod or hostname equals the workload's
-- id, name or billed resource id, or the pod is named after it ('<name>-...'); a job only while it ran.
CREATE OR REPLACE VIEW gpu_utilization_workloads AS
WITH workloads AS (
    SELECT 'endpoint' AS kind, endpoint_id AS ref, resource_id, name, team,
           CAST(NULL AS TIMESTAMP) AS started, CAST(NULL AS TIMESTAMP) AS ended
    FROM endpoints
    UNION ALL
    SELECT 'job', job_id, resource_id, name, team, started_at, ended_at FROM gpu_jobs
),
labels AS (SELECT DISTINCT hostname, pod FROM gpu_utilization),
hits AS (
    SELECT l.hostname, l.pod, w.* FROM labels l JOIN workloads w
      ON l.hostname = w.ref OR l.hostname = w.resource_id OR l.hostname = w.name
      OR l.pod = w.ref OR l.pod = w.name
      OR left(l.pod, length(w.ref) + 1) = w.ref || '-' OR left(l.pod, length(w.name) + 1) = w.name || '-'
)
SELECT u.ts, u.metric, u.value, u.hostname, u.gpu, u.uuid, u.gpu_instance_id, u.namespace, u.pod,
       h.kind, h.ref, h.resource_id, h.name, h.team
FROM gpu_utilization u
JOIN hits h ON h.hostname IS NOT DISTINCT FROM u.hostname AND h.pod IS NOT DISTINCT FROM u.pod
WHERE (h.started IS NULL OR u.ts >= h.started) AND (h.ended IS NULL OR u.ts < h.ended);
"""

MIGRATION_4 = """
-- SHA-256 of the content an ingest loaded (the decompressed text of a CSV.gz; the file's bytes otherwise),
-- so the same export given twice (under another name, or again later) is recognised and not counted twice.
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS content_sha256 VARCHAR;
"""

# Alerts (issue 23): the budget hierarchy, the alert ledger (what was posted where, once per condition,
# state and period) and the decisions people took on alerts (acknowledge, snooze), honoured by the next run.
MIGRATION_5 = f"""
CREATE TABLE IF NOT EXISTS budget_nodes (
    budget_id VARCHAR PRIMARY KEY,        -- e.g. 'org', 'team:support', 'project:llama-ft'
    parent_id VARCHAR,                    -- NULL = a root (the org)
    level VARCHAR NOT NULL,               -- org | team | project | job | model | app
    name VARCHAR NOT NULL,
    scope_json VARCHAR NOT NULL DEFAULT '[]',  -- CostQuery filters (JSON list of {{dimension, op, values}})
    period VARCHAR NOT NULL,              -- monthly | quarterly | custom
    period_start DATE NOT NULL,           -- the first period's start (monthly/quarterly roll forward from it)
    period_end DATE,                      -- custom only: exclusive end
    amount {MONEY} NOT NULL,
    limit_kind VARCHAR NOT NULL DEFAULT 'soft',   -- soft: alerts only | hard: also fails the pre-launch gate
    thresholds VARCHAR NOT NULL DEFAULT '0.5,0.7,0.9,1.0',
    owner VARCHAR,
    channel VARCHAR,                      -- Slack channel; NULL = the team's channel
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS alert_ledger (
    alert_key VARCHAR NOT NULL,           -- condition and period, e.g. 'budget:team:support:2026-11-01'
    state VARCHAR NOT NULL,               -- what crossed, e.g. '90%'; a new state is a new alert
    channel VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    team VARCHAR,
    channel_id VARCHAR,
    ts VARCHAR,                           -- the Slack message (a digest's ts for digested alerts)
    digest BOOLEAN NOT NULL DEFAULT FALSE,
    payload VARCHAR,                      -- the alert as JSON (figure, evidence, action), for the buttons
    posted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (alert_key, state, channel)
);

CREATE TABLE IF NOT EXISTS alert_decisions (
    alert_key VARCHAR NOT NULL,
    state VARCHAR NOT NULL,               -- the state decided on: acknowledged stays quiet while it holds
    decision VARCHAR NOT NULL,            -- acknowledged | snoozed
    until_ts TIMESTAMP,                   -- snoozed until
    decided_by VARCHAR NOT NULL,
    channel VARCHAR,
    ts TIMESTAMP NOT NULL
);
"""

MIGRATION_6 = """
-- Spot prices in the GPU catalog (NULL where the source publishes none: "unknown", never on-demand less
-- a guessed discount), and batch-API per-token prices in the LLM catalog (NULL where the provider has no
-- published batch price). Filled by knowledge.prices.load_catalogs from the shipped catalogs.
ALTER TABLE gpu_prices ADD COLUMN IF NOT EXISTS spot_usd_per_hour DECIMAL(38,15);
ALTER TABLE llm_prices ADD COLUMN IF NOT EXISTS batch_input_cost_per_token DECIMAL(38,15);
ALTER TABLE llm_prices ADD COLUMN IF NOT EXISTS batch_output_cost_per_token DECIMAL(38,15);
"""

# The name index (issue 17.4): every name of every kind with its folded form, sorted by it, so the planner and
# the tools look names up in SQL. Kept by the writers (knowledge.name_index.refresh); `migrate` backfills it.
MIGRATION_7 = """
CREATE TABLE IF NOT EXISTS name_index (kind VARCHAR NOT NULL, name VARCHAR NOT NULL, folded VARCHAR NOT NULL,
                                       src VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS name_words (word VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS name_kinds (kind VARCHAR NOT NULL, n BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS name_sources (src VARCHAR NOT NULL, sig VARCHAR NOT NULL);
"""

# resource_owners without its scan when no ownership rule exists (issue 17.6): the DISTINCT over every charge's
# resource feeds the rule join only, so an uncorrelated EXISTS on `ownership` lets DuckDB skip it (136 -> 60 ms
# for spend by team at 400K rows with no rules; endpoint and job owners are read as before).
MIGRATION_8 = """
CREATE OR REPLACE VIEW resource_owners AS
WITH res AS (
    SELECT DISTINCT ResourceId, ResourceName, SubAccountId, SubAccountName
    FROM focus_charges WHERE ResourceId IS NOT NULL AND EXISTS (SELECT 1 FROM ownership)
),
hits AS (
    SELECT res.ResourceId, o.team, o.owner, 'ownership rule #' || o.rule_id AS how,
           0.9 AS confidence, o.priority AS prio, o.rule_id AS tie
    FROM res JOIN ownership o
      ON (o.match_kind = 'resource_id' AND o.pattern = res.ResourceId)
      OR (o.match_kind = 'resource_pattern' AND (res.ResourceId LIKE o.pattern OR res.ResourceName LIKE o.pattern))
      OR (o.match_kind = 'sub_account' AND (o.pattern = res.SubAccountId OR o.pattern = res.SubAccountName))
    UNION ALL
    SELECT resource_id, team, owner, 'endpoint ' || endpoint_id, 0.8, 100000, 0
    FROM endpoints WHERE resource_id IS NOT NULL AND team IS NOT NULL
    UNION ALL
    SELECT resource_id, team, owner, 'gpu job ' || job_id, 0.7, 100001, 0
    FROM gpu_jobs WHERE resource_id IS NOT NULL AND team IS NOT NULL
)
SELECT ResourceId, team, owner, how, confidence FROM (
    SELECT *, row_number() OVER (PARTITION BY ResourceId ORDER BY prio, tie, how) AS rn FROM hits
) WHERE rn = 1;
"""

# The Parquet lake's manifest (knowledge.lake): the files of each partition now, and the files a write
# retired (deleted by a later write once no reader can still be reading them). Empty in a single-file store.
MIGRATION_9 = """
CREATE TABLE IF NOT EXISTS lake_files (
    partition VARCHAR NOT NULL,
    file VARCHAR PRIMARY KEY,
    rows BIGINT NOT NULL,
    written_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS lake_retired (
    file VARCHAR NOT NULL,
    retired_at TIMESTAMP NOT NULL
);
"""

# Allocation materialised (knowledge.allocation): the owner of each billed resource, by the rule of migration
# 8's view (now `resource_owners_live`), is kept in a table rebuilt when its inputs change; `resource_owners`
# reads the table, so a question no longer scans the whole bill for its distinct resources.
MIGRATION_10 = MIGRATION_8.replace("CREATE OR REPLACE VIEW resource_owners AS",
                                   "CREATE OR REPLACE VIEW resource_owners_live AS") + """
CREATE TABLE IF NOT EXISTS resource_owners_table AS SELECT * FROM resource_owners_live LIMIT 0;
CREATE OR REPLACE VIEW resource_owners AS SELECT * FROM resource_owners_table;
"""

# The common tag keys materialised as columns (knowledge.tag_columns): reading one key of the `Tags` map
# decodes every row's whole map. Existing rows are filled here; a lake's files written before this
# migration are marked (`lake_files.tag_columns` false) and read with the columns computed from the map.
MIGRATION_11 = """
ALTER TABLE focus_charges ADD COLUMN x_tag_team VARCHAR;
ALTER TABLE focus_charges ADD COLUMN x_tag_owner VARCHAR;
ALTER TABLE focus_charges ADD COLUMN x_tag_project VARCHAR;
ALTER TABLE focus_charges ADD COLUMN x_tag_env VARCHAR;
ALTER TABLE focus_charges ADD COLUMN x_tag_app VARCHAR;
ALTER TABLE focus_charges ADD COLUMN x_tag_model VARCHAR;
UPDATE focus_charges SET x_tag_team = nullif(Tags['team'], ''), x_tag_owner = nullif(Tags['owner'], ''),
       x_tag_project = nullif(Tags['project'], ''), x_tag_env = nullif(Tags['env'], ''),
       x_tag_app = nullif(Tags['app'], ''), x_tag_model = nullif(Tags['model'], '')
WHERE Tags IS NOT NULL;
ALTER TABLE lake_files ADD COLUMN tag_columns BOOLEAN DEFAULT false;
CREATE OR REPLACE VIEW charges_allocated AS
SELECT c.*,
       coalesce(c.x_tag_team, ro.team) AS x_team,
       CASE WHEN c.x_tag_team IS NOT NULL THEN 'tag'
            WHEN ro.team IS NOT NULL THEN ro.how END AS x_team_source
FROM focus_charges c LEFT JOIN resource_owners ro ON ro.ResourceId = c.ResourceId;
"""

# What ownership reads of each resource's charges (knowledge.resource_facts), rebuilt by writers; filled for an
# existing store by the refresh that follows a migration (its signature is not yet in `meta`).
MIGRATION_12 = """
CREATE TABLE IF NOT EXISTS resource_facts (ResourceId VARCHAR NOT NULL, seen_name VARCHAR, sub_id VARCHAR,
    sub_name VARCHAR, team VARCHAR, owner VARCHAR, n BIGINT NOT NULL, last_seen TIMESTAMP, last_tagged TIMESTAMP);
CREATE TABLE IF NOT EXISTS resource_latest_tags (ResourceId VARCHAR NOT NULL, Tags MAP(VARCHAR, VARCHAR));
"""

# Append new migrations here; never edit an earlier one.
MIGRATIONS: list[str] = [MIGRATION_1, MIGRATION_2, MIGRATION_3, MIGRATION_4, MIGRATION_5, MIGRATION_6, MIGRATION_7,
                         MIGRATION_8, MIGRATION_9, MIGRATION_10, MIGRATION_11, MIGRATION_12]

SCHEMA_VERSION = len(MIGRATIONS)

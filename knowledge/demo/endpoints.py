"""Inference endpoints (`endpoints`) and their daily usage (`endpoint_usage_daily`).

Fixed-rate endpoints bill 24 x hourly_cost a day. The Vertex AI ranking endpoints autoscale (their cost
follows traffic) and carry the planted one-day spike.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import duckdb
from pydantic import BaseModel

from knowledge.demo.gpu import RESEARCH_ENDPOINT_AGE_DAYS, RESEARCH_ENDPOINT_RESOURCE_ID, hourly_price
from knowledge.demo.rand import uniform
from knowledge.demo.window import DemoWindow

IDLE_ENDPOINT_ID = "ep-support-sentiment"
RESEARCH_ENDPOINT_ID = "ep-llama-ft-summarizer"
SPIKE_ENDPOINT_ID = "ep-recsys-ranker-a"
SPIKE_SERVICE = "Vertex AI"
SPIKE_MULTIPLIER = 7
IDLE_HOURLY = Decimal("11.20")  # SageMaker hosting rate for ml.g6e.12xlarge (above the EC2 price)
IDLE_SINCE_DAYS = 45          # the idle endpoint's traffic stopped this many days before as_of


class EndpointSpec(BaseModel):
    endpoint_id: str
    name: str
    provider: str
    service: str
    region: str
    sub_account_id: str
    sub_account_name: str
    resource_id: str
    model: str
    team: str
    owner: str
    project: str
    environment: str
    instance_type: str
    gpu_type: str
    gpu_count: int
    hourly_cost: Decimal
    created_days_ago: int
    requests_per_day: int        # weekday traffic
    tokens_per_request: int
    seasonal: bool               # traffic lower at weekends
    autoscaled: bool             # cost follows traffic (Vertex AI), else 24 x hourly_cost
    created_by_job: str | None = None


def endpoint_specs(con: duckdb.DuckDBPyConnection) -> list[EndpointSpec]:
    aws = dict(provider="AWS", service="Amazon SageMaker", region="us-east-1",
               sub_account_id="210987654321", sub_account_name="acme-prod")
    gcp = dict(provider="Google Cloud", service=SPIKE_SERVICE, region="us-central1",
               sub_account_id="acme-ml-prod", sub_account_name="acme-ml-prod")

    def arn(name: str, account: str = "210987654321") -> str:
        return f"arn:aws:sagemaker:us-east-1:{account}:endpoint/{name}"

    def vertex(name: str) -> str:
        return f"//aiplatform.googleapis.com/projects/acme-ml-prod/locations/us-central1/endpoints/{name}"

    return [
        EndpointSpec(endpoint_id=IDLE_ENDPOINT_ID, name="support-sentiment-l40s", **aws,
                     resource_id=arn("support-sentiment-l40s"), model="llama-3.1-8b-sentiment", team="support",
                     owner="ben.carter@acme.ai", project="ticket-routing", environment="prod",
                     instance_type="g6e.12xlarge", gpu_type="L40S", gpu_count=4,
                     hourly_cost=IDLE_HOURLY, created_days_ago=130, requests_per_day=18_000,
                     tokens_per_request=350, seasonal=True, autoscaled=False),
        EndpointSpec(endpoint_id=RESEARCH_ENDPOINT_ID, name="llama-ft-summarizer",
                     **{**aws, "sub_account_id": "410987654321", "sub_account_name": "acme-research"},
                     resource_id=RESEARCH_ENDPOINT_RESOURCE_ID, model="llama-ft-summarizer-r3", team="research",
                     owner="sara.khan@acme.ai", project="llama-ft", environment="dev",
                     instance_type="g6e.2xlarge", gpu_type="L40S", gpu_count=1,
                     hourly_cost=hourly_price(con, "g6e.2xlarge"), created_days_ago=RESEARCH_ENDPOINT_AGE_DAYS,
                     requests_per_day=140_000, tokens_per_request=900, seasonal=False, autoscaled=False,
                     created_by_job="job-30003"),
        EndpointSpec(endpoint_id="ep-search-rerank", name="search-rerank-a10g", **aws,
                     resource_id=arn("search-rerank-a10g"), model="bge-reranker-large", team="search",
                     owner="lena.ortiz@acme.ai", project="search-ranking", environment="prod",
                     instance_type="g5.2xlarge", gpu_type="A10G", gpu_count=1,
                     hourly_cost=hourly_price(con, "g5.2xlarge"), created_days_ago=200, requests_per_day=420_000,
                     tokens_per_request=600, seasonal=True, autoscaled=False),
        EndpointSpec(endpoint_id="ep-mlp-embeddings", name="mlp-embeddings-l4", **aws,
                     resource_id=arn("mlp-embeddings-l4"), model="e5-large-v2", team="ml-platform",
                     owner="kim.nguyen@acme.ai", project="feature-store", environment="prod",
                     instance_type="g6.xlarge", gpu_type="L4", gpu_count=1,
                     hourly_cost=hourly_price(con, "g6.xlarge"), created_days_ago=160, requests_per_day=900_000,
                     tokens_per_request=120, seasonal=True, autoscaled=False),
        EndpointSpec(endpoint_id="ep-support-guard", name="support-guard-l4", **aws,
                     resource_id=arn("support-guard-l4"), model="llama-guard-3-8b", team="support",
                     owner="ana.souza@acme.ai", project="support-bot", environment="prod",
                     instance_type="g6.2xlarge", gpu_type="L4", gpu_count=1,
                     hourly_cost=hourly_price(con, "g6.2xlarge"), created_days_ago=100, requests_per_day=500_000,
                     tokens_per_request=300, seasonal=False, autoscaled=False),
        EndpointSpec(endpoint_id=SPIKE_ENDPOINT_ID, name="recsys-ranker-a", **gcp, resource_id=vertex("recsys-ranker-a"),
                     model="ranker-v3-large", team="recsys", owner="diego.alvarez@acme.ai", project="ranker-v3",
                     environment="prod", instance_type="a2-highgpu-1g", gpu_type="A100", gpu_count=1,
                     hourly_cost=Decimal("16.50"), created_days_ago=150, requests_per_day=2_400_000,
                     tokens_per_request=0, seasonal=True, autoscaled=True),
        EndpointSpec(endpoint_id="ep-recsys-ranker-b", name="recsys-ranker-b", **gcp, resource_id=vertex("recsys-ranker-b"),
                     model="ranker-v3-large", team="recsys", owner="mia.schmidt@acme.ai", project="ranker-v3",
                     environment="prod", instance_type="a2-highgpu-1g", gpu_type="A100", gpu_count=1,
                     hourly_cost=Decimal("12.50"), created_days_ago=150, requests_per_day=1_800_000,
                     tokens_per_request=0, seasonal=True, autoscaled=True),
        EndpointSpec(endpoint_id="ep-recsys-candidates", name="recsys-candidates", **gcp,
                     resource_id=vertex("recsys-candidates"), model="two-tower-v2", team="recsys",
                     owner="mia.schmidt@acme.ai", project="home-feed", environment="prod",
                     instance_type="g2-standard-8", gpu_type="L4", gpu_count=1, hourly_cost=Decimal("8.25"),
                     created_days_ago=150, requests_per_day=3_000_000, tokens_per_request=0, seasonal=True,
                     autoscaled=True),
    ]


def insert_endpoints(con: duckdb.DuckDBPyConnection, seed: int, window: DemoWindow, ingest_id: str) -> list[EndpointSpec]:
    specs = endpoint_specs(con)
    as_of = window.as_of_ts
    idle_last_request = datetime.combine(window.as_of - timedelta(days=11), datetime.min.time()) + timedelta(hours=14, minutes=5)
    rows = []
    for s in specs:
        last_request = idle_last_request if s.endpoint_id == IDLE_ENDPOINT_ID else as_of - timedelta(seconds=30)
        rows.append([s.endpoint_id, s.resource_id, s.name, s.model, s.team, s.owner, s.environment, s.instance_type,
                     s.gpu_type, s.gpu_count, s.hourly_cost, as_of - timedelta(days=s.created_days_ago),
                     s.created_by_job, last_request, ingest_id])
    con.executemany(
        "INSERT INTO endpoints (endpoint_id, resource_id, name, model, team, owner, environment, instance_type, "
        "gpu_type, gpu_count, hourly_cost, created_at, created_by_job, last_request_at, x_ingest_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _demo_endpoints (
            endpoint_id VARCHAR, name VARCHAR, provider VARCHAR, service VARCHAR, region VARCHAR,
            sub_account_id VARCHAR, sub_account_name VARCHAR, resource_id VARCHAR, team VARCHAR, owner VARCHAR,
            project VARCHAR, environment VARCHAR, instance_type VARCHAR, hourly_cost DECIMAL(38,12),
            first_idx INTEGER, requests_per_day BIGINT, tokens_per_request BIGINT, seasonal BOOLEAN,
            autoscaled BOOLEAN)
        """
    )
    con.executemany(
        "INSERT INTO _demo_endpoints VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [[s.endpoint_id, s.name, s.provider, s.service, s.region, s.sub_account_id, s.sub_account_name,
          s.resource_id, s.team, s.owner, s.project, s.environment, s.instance_type, s.hourly_cost,
          max(0, window.days - s.created_days_ago), s.requests_per_day, s.tokens_per_request, s.seasonal,
          s.autoscaled] for s in specs],
    )
    spike_idx = window.index(spike_day(window))
    idle_stop_idx = window.days - IDLE_SINCE_DAYS
    idle_pings = [window.days - 25, window.days - 11]     # 2 + 1 stray requests in the last 30 days
    con.execute(
        f"""
        INSERT INTO endpoint_usage_daily
        SELECT e.endpoint_id, d.day,
               CASE WHEN e.endpoint_id = '{IDLE_ENDPOINT_ID}' AND d.idx >= {idle_stop_idx}
                        THEN CASE d.idx WHEN {idle_pings[0]} THEN 2 WHEN {idle_pings[1]} THEN 1 ELSE 0 END
                    ELSE CAST(round(e.requests_per_day * (CASE WHEN e.seasonal AND d.weekend THEN 0.75 ELSE 1.0 END)
                         * (0.97 + 0.06 * {uniform(seed, 'ep_req', 'e.endpoint_id', 'd.idx')})
                         * (CASE WHEN e.endpoint_id = '{SPIKE_ENDPOINT_ID}' AND d.idx = {spike_idx}
                                 THEN {SPIKE_MULTIPLIER} ELSE 1 END)) AS BIGINT) END AS requests,
               NULL AS tokens,
               CASE WHEN e.endpoint_id = '{IDLE_ENDPOINT_ID}' AND d.idx >= {idle_stop_idx}
                        THEN round(0.005 + 0.01 * {uniform(seed, 'ep_util', 'e.endpoint_id', 'd.idx')}, 4)
                    ELSE round(0.45 + 0.3 * {uniform(seed, 'ep_util', 'e.endpoint_id', 'd.idx')}, 4) END AS avg_gpu_util
        FROM _demo_endpoints e JOIN _demo_days d ON d.idx >= e.first_idx
        """
    )
    con.execute(
        "UPDATE endpoint_usage_daily SET tokens = requests * e.tokens_per_request "
        "FROM _demo_endpoints e WHERE e.endpoint_id = endpoint_usage_daily.endpoint_id"
    )
    return specs


def spike_day(window: DemoWindow) -> date:
    """The Tuesday of last week."""
    return window.last_week_monday + timedelta(days=1)


def endpoint_billing_sql(seed: int, window: DemoWindow) -> str:
    """Staging rows: fixed endpoints 24 x hourly a day; autoscaled ones follow traffic (with the spike)."""
    spike_idx = window.index(spike_day(window))
    return f"""
        SELECT d.day, e.provider, e.service, 'AI and Machine Learning' AS category, e.region,
               e.sub_account_id, e.sub_account_name, e.resource_id, e.name AS resource_name,
               'Inference Endpoint' AS resource_type, e.instance_type AS sku,
               e.instance_type || ' inference endpoint ' || e.name AS description, 'Hours' AS unit,
               CAST(CASE WHEN e.autoscaled THEN round(u.requests / e.requests_per_day * 24, 4) ELSE 24 END
                    AS DECIMAL(38,12)) AS quantity,
               e.hourly_cost AS unit_price,
               CAST(CASE WHEN e.autoscaled
                         THEN round(e.hourly_cost * 24 * (CASE WHEN d.weekend THEN 0.75 ELSE 1.0 END)
                                    * (0.97 + 0.06 * {uniform(seed, 'ep_cost', 'e.endpoint_id', 'd.idx')})
                                    * (CASE WHEN e.endpoint_id = '{SPIKE_ENDPOINT_ID}' AND d.idx = {spike_idx}
                                            THEN {SPIKE_MULTIPLIER} ELSE 1 END), 2)::DECIMAL(18,2)
                         ELSE e.hourly_cost * 24 END AS DECIMAL(38,12)) AS cost,
               NULL AS list_cost, 'Standard' AS pricing_category, 'Usage' AS charge_category,
               'Usage-Based' AS charge_frequency,
               e.team, e.project, e.environment AS env, e.owner, 'endpoint' AS extra_key, e.endpoint_id AS extra_value
        FROM _demo_endpoints e JOIN _demo_days d ON d.idx >= e.first_idx
        JOIN endpoint_usage_daily u ON u.endpoint_id = e.endpoint_id AND u.day = d.day
    """

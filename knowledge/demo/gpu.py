"""GPU jobs (history with estimates vs actuals, the zombies, the discarded run, a few healthy running
jobs) and inference endpoints with their daily usage."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import duckdb
from pydantic import BaseModel

from knowledge.demo.company import GPU_INSTANCES, GPU_REGION, TEAM_BY_NAME
from knowledge.demo.rand import normal, pick, uniform
from knowledge.demo.window import DemoWindow

HISTORY_JOBS = 240
ZOMBIE_TTL_HOURS = 72
ZOMBIE_TEAMS = ["research"] * 5 + ["search"] * 3 + ["recsys"] * 3 + ["ml-platform"] * 2 + ["data"]

# Planted resources shared by jobs, endpoints and billing.
CLUSTER_RESOURCE_ID = "arn:aws:ec2:us-east-1:210987654321:cluster/llm-serving-h100-a"
CLUSTER_RESOURCE_NAME = "llm-serving-h100-a"
CLUSTER_AGE_DAYS = 84
RESEARCH_ENDPOINT_RESOURCE_ID = "arn:aws:sagemaker:us-east-1:410987654321:endpoint/llama-ft-summarizer"
RESEARCH_ENDPOINT_AGE_DAYS = 70


def hourly_price(con: duckdb.DuckDBPyConnection, instance_type: str) -> Decimal:
    row = con.execute(
        "SELECT on_demand_usd_per_hour FROM gpu_prices WHERE instance_type = ? AND provider = 'aws' AND region = ?",
        [instance_type, GPU_REGION],
    ).fetchone()
    if row is None:
        raise ValueError(f"{instance_type} not in the GPU price catalog for {GPU_REGION}")
    return Decimal(row[0])


def job_resource_id(job_id: str, team: str) -> str:
    account = "410987654321" if team == "research" else "210987654321"
    return f"arn:aws:ec2:{GPU_REGION}:{account}:gpu-cluster/{job_id}"


def job_sub_account(team: str) -> tuple[str, str]:
    return ("410987654321", "acme-research") if team == "research" else ("210987654321", "acme-prod")


class PlantedJobs(BaseModel):
    zombie_ids: list[str]
    discarded_id: str
    cluster_job_id: str
    research_job_id: str


def _history_sql(seed: int, window: DemoWindow, n: int) -> str:
    """Completed (or failed) jobs spread over the window; costs from the GPU catalog, whole hours."""
    kinds = "['training','training','training','training','training','fine-tune','fine-tune','fine-tune'," \
            "'fine-tune','fine-tune','batch-inference','batch-inference','batch-inference','batch-inference'," \
            "'experiment','experiment','experiment','experiment','sweep','sweep']"
    teams = "['research','research','research','research','research','research','research','search','search'," \
            "'search','recsys','recsys','recsys','recsys','ml-platform','ml-platform','ml-platform','support'," \
            "'data','data']"
    u = lambda salt: uniform(seed, salt, "i")  # noqa: E731
    z = normal(seed, "job_overrun", "i")
    max_start_hour = (window.days - 2) * 24
    return f"""
    WITH j AS (
        SELECT range AS i,
               {kinds}[1 + {pick(seed, 'job_kind', 20, 'range')}] AS kind,
               {teams}[1 + {pick(seed, 'job_team', 20, 'range')}] AS team
        FROM range({n})
    ), k AS (
        SELECT j.*,
            CASE kind WHEN 'training' THEN (CASE WHEN {u('gt')} < 0.6 THEN 'H100' ELSE 'A100' END)
                      WHEN 'fine-tune' THEN (CASE WHEN {u('gt')} < 0.4 THEN 'A100' WHEN {u('gt')} < 0.7 THEN 'H100' ELSE 'L40S' END)
                      WHEN 'batch-inference' THEN (CASE WHEN {u('gt')} < 0.5 THEN 'A10G' ELSE 'L4' END)
                      WHEN 'experiment' THEN (CASE WHEN {u('gt')} < 0.5 THEN 'L40S' ELSE 'A10G' END)
                      ELSE 'L40S' END AS gpu_type,
            CAST(CASE kind WHEN 'training' THEN 1 + floor({u('nodes')} * 2) WHEN 'fine-tune' THEN 1
                      WHEN 'batch-inference' THEN 1 + floor({u('nodes')} * 2) WHEN 'sweep' THEN 1 + floor({u('nodes')} * 3)
                      ELSE 1 END AS INTEGER) AS nodes,
            CAST(CASE kind WHEN 'training' THEN 8 + floor({u('hours')} * 40) WHEN 'fine-tune' THEN 2 + floor({u('hours')} * 22)
                      WHEN 'batch-inference' THEN 1 + floor({u('hours')} * 11) WHEN 'experiment' THEN 1 + floor({u('hours')} * 7)
                      ELSE 4 + floor({u('hours')} * 20) END AS INTEGER) AS hours,
            CASE kind WHEN 'training' THEN exp(0.12 + 0.15 * {z}) WHEN 'fine-tune' THEN exp(0.05 + 0.12 * {z})
                      WHEN 'batch-inference' THEN exp(0.02 + 0.08 * {z}) WHEN 'experiment' THEN exp(0.15 + 0.25 * {z})
                      ELSE exp(0.08 + 0.2 * {z}) END AS overrun,
            {u('start')} AS u_start, {u('outcome')} AS u_outcome, {u('util')} AS u_util,
            {pick(seed, 'job_owner', 1000, 'i')} AS owner_pick, {pick(seed, 'job_project', 2, 'i')} AS project_pick
        FROM j
    )
    SELECT k.*, CAST(floor(u_start * ({max_start_hour} - hours)) AS INTEGER) AS start_hour FROM k
    """


def insert_jobs(con: duckdb.DuckDBPyConnection, seed: int, window: DemoWindow, ingest_id: str) -> PlantedJobs:
    """History (set-based) plus the planted jobs; also fills `_demo_job_billing` for the billing generator."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _demo_gpu_instances (gpu_type VARCHAR, instance_type VARCHAR,
            gpus_per_instance INTEGER, hourly DECIMAL(38,15))
        """
    )
    con.executemany(
        "INSERT INTO _demo_gpu_instances VALUES (?, ?, ?, ?)",
        [[g, it, n, hourly_price(con, it)] for g, (it, n) in GPU_INSTANCES.items()],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _demo_team_people AS SELECT team, owners, projects FROM _demo_teams"
    )
    start_ts = datetime.combine(window.start, datetime.min.time())
    con.execute(
        f"""
        INSERT INTO gpu_jobs BY NAME
        SELECT 'job-' || lpad(CAST(h.i + 1 AS VARCHAR), 5, '0') AS job_id,
               p.projects[1 + h.project_pick] || '-' || h.kind || '-r' || lpad(CAST(h.i + 1 AS VARCHAR), 3, '0') AS name,
               h.kind, h.team,
               p.owners[1 + h.owner_pick % len(p.owners)] AS owner,
               p.projects[1 + h.project_pick] AS project,
               CASE WHEN h.kind IN ('experiment', 'sweep') OR h.team = 'research' THEN 'dev' ELSE 'prod' END AS environment,
               'aws-' || lower(h.gpu_type) || '-pool' AS cluster,
               'arn:aws:ec2:us-east-1:' || CASE WHEN h.team = 'research' THEN '410987654321' ELSE '210987654321' END
                   || ':gpu-cluster/job-' || lpad(CAST(h.i + 1 AS VARCHAR), 5, '0') AS resource_id,
               h.gpu_type, h.nodes * g.gpus_per_instance AS gpu_count, g.instance_type,
               CAST(? AS TIMESTAMP) + to_hours(h.start_hour) AS started_at,
               CAST(? AS TIMESTAMP) + to_hours(h.start_hour + h.hours) AS ended_at,
               CAST(? AS TIMESTAMP) + to_hours(h.start_hour + h.hours) AS last_progress_at,
               CAST(ceil(h.hours * 1.5 / 12) * 12 AS DOUBLE) AS ttl_hours,
               CAST(ceil(h.nodes * g.hourly * h.hours / h.overrun * 1.3 / 100) * 100 AS DECIMAL(38,12)) AS budget,
               round(0.55 + 0.4 * h.u_util, 3) AS avg_gpu_util,
               CAST(round(h.nodes * g.hourly * h.hours / h.overrun, 2) AS DECIMAL(38,12)) AS estimated_cost,
               CAST(h.nodes * g.hourly * h.hours AS DECIMAL(38,12)) AS actual_cost,
               CASE WHEN h.u_outcome < 0.88 THEN 'completed' WHEN h.u_outcome < 0.96 THEN 'failed' ELSE 'cancelled' END AS outcome,
               json_object('gpu_type', h.gpu_type, 'gpu_count', h.nodes * g.gpus_per_instance,
                           'hours', round(h.hours / h.overrun, 1), 'kind', h.kind)::VARCHAR AS manifest,
               ? AS x_ingest_id
        FROM ({_history_sql(seed, window, HISTORY_JOBS)}) h
        JOIN _demo_gpu_instances g ON g.gpu_type = h.gpu_type
        JOIN _demo_team_people p ON p.team = h.team
        """,
        [start_ts, start_ts, start_ts, ingest_id],
    )
    planted = _insert_planted_jobs(con, seed, window, ingest_id)
    # Jobs billed on their own resource (the cluster's deploy job and the research job that created an
    # endpoint are billed through the cluster / endpoint instead).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _demo_job_billing AS
        SELECT j.job_id, j.team, j.owner, j.project, j.environment, j.resource_id, j.name, j.instance_type,
               j.gpu_type, j.started_at, j.ended_at, i.hourly * (j.gpu_count // i.gpus_per_instance) AS hourly
        FROM gpu_jobs j JOIN (
            SELECT instance_type, gpus_per_instance, hourly FROM _demo_gpu_instances
            UNION SELECT instance_type, gpus_per_instance, hourly FROM _demo_zombie_instances
        ) i ON i.instance_type = j.instance_type
        WHERE j.job_id NOT IN (?, ?)
        """,
        [planted.cluster_job_id, planted.research_job_id],
    )
    return planted


def _insert_planted_jobs(con: duckdb.DuckDBPyConnection, seed: int, window: DemoWindow,
                         ingest_id: str) -> PlantedJobs:
    rng = random.Random(f"{seed}-jobs")
    as_of = window.as_of_ts
    rows: list[dict] = []
    zombie_types = [("g6e.xlarge", "L40S", 1), ("g5.xlarge", "A10G", 1), ("g6.xlarge", "L4", 1),
                    ("g6e.2xlarge", "L40S", 1), ("g5.2xlarge", "A10G", 1)]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _demo_zombie_instances (instance_type VARCHAR, gpus_per_instance INTEGER, "
        "hourly DECIMAL(38,15))"
    )
    con.executemany(
        "INSERT INTO _demo_zombie_instances VALUES (?, ?, ?)",
        [[it, n, hourly_price(con, it)] for it, _, n in zombie_types],
    )
    zombie_ids = []
    for k, team in enumerate(ZOMBIE_TEAMS):
        t = TEAM_BY_NAME[team]
        if k in (3, 9):   # two bigger ones
            instance, gpu_type, gpus = GPU_INSTANCES["L40S"][0], "L40S", GPU_INSTANCES["L40S"][1]
        else:
            instance, gpu_type, gpus = zombie_types[k % len(zombie_types)]
        started = as_of - timedelta(days=4 + rng.randrange(17), hours=rng.randrange(24))
        planned = 24 + 12 * rng.randrange(3)
        hourly = hourly_price(con, instance)
        job_id = f"job-2{k + 1:04d}"
        zombie_ids.append(job_id)
        rows.append(dict(
            job_id=job_id, name=f"{t.projects[k % 2]}-{'experiment' if k % 3 else 'fine-tune'}-z{k + 1:02d}",
            kind="experiment" if k % 3 else "fine-tune", team=team, owner=t.owners[k % len(t.owners)],
            project=t.projects[k % 2], environment="dev", cluster=f"aws-{gpu_type.lower()}-pool",
            resource_id=job_resource_id(job_id, team), gpu_type=gpu_type, gpu_count=gpus, instance_type=instance,
            started_at=started, ended_at=None, last_progress_at=started + timedelta(hours=1 + rng.randrange(6)),
            ttl_hours=float(ZOMBIE_TTL_HOURS), budget=None, avg_gpu_util=round(rng.random() * 0.03, 3),
            estimated_cost=(hourly * planned).quantize(Decimal("0.01")), actual_cost=None, outcome="running",
            manifest=f'{{"gpu_type": "{gpu_type}", "gpu_count": {gpus}, "hours": {planned}, "ttl_hours": {ZOMBIE_TTL_HOURS}}}',
        ))
    # Healthy running jobs: within TTL, progressing.
    for k in range(3):
        team = ["search", "recsys", "research"][k]
        t = TEAM_BY_NAME[team]
        instance, gpus = GPU_INSTANCES["H100"]
        started = as_of - timedelta(hours=6 + 6 * k)
        rows.append(dict(
            job_id=f"job-3{k + 10:04d}", name=f"{t.projects[0]}-training-live{k + 1}", kind="training", team=team,
            owner=t.owners[0], project=t.projects[0], environment="prod", cluster="aws-h100-pool",
            resource_id=job_resource_id(f"job-3{k + 10:04d}", team), gpu_type="H100", gpu_count=gpus,
            instance_type=instance, started_at=started, ended_at=None,
            last_progress_at=as_of - timedelta(minutes=10 + 7 * k), ttl_hours=96.0, budget=Decimal("9000"),
            avg_gpu_util=0.91, estimated_cost=(hourly_price(con, instance) * 48).quantize(Decimal("0.01")),
            actual_cost=None, outcome="running", manifest='{"gpu_type": "H100", "gpu_count": 8, "hours": 48}',
        ))
    # The six-hour H200 run whose model was discarded (9 days before as_of, 08:00-14:00).
    instance, gpus = GPU_INSTANCES["H200"]
    nodes = 8
    started = as_of - timedelta(days=9) + timedelta(hours=8)
    cost = hourly_price(con, instance) * nodes * 6
    discarded_id = "job-30001"
    rows.append(dict(
        job_id=discarded_id, name="llama-70b-dpo-r7", kind="training", team="research",
        owner="ivan.petrov@acme.ai", project="llama-ft", environment="dev", cluster="aws-h200-pool",
        resource_id=job_resource_id(discarded_id, "research"), gpu_type="H200", gpu_count=nodes * gpus,
        instance_type=instance, started_at=started, ended_at=started + timedelta(hours=6),
        last_progress_at=started + timedelta(hours=6), ttl_hours=12.0, budget=Decimal("3500"), avg_gpu_util=0.88,
        estimated_cost=Decimal("2900.00"), actual_cost=cost, outcome="discarded",
        manifest='{"gpu_type": "H200", "gpu_count": 64, "hours": 6, "note": "DPO ablation r7"}',
    ))
    # The job that stood up the $20K cluster (its cost is the cluster's own billing).
    cluster_job_id = "job-30002"
    rows.append(dict(
        job_id=cluster_job_id, name="deploy-llm-serving-h100", kind="batch-inference", team="search",
        owner="raj.patel@acme.ai", project="search-ranking", environment="prod", cluster="aws-h100-pool",
        resource_id=CLUSTER_RESOURCE_ID, gpu_type="H100", gpu_count=8, instance_type="p5.48xlarge",
        started_at=window.as_of_ts - timedelta(days=CLUSTER_AGE_DAYS), ended_at=window.as_of_ts - timedelta(days=CLUSTER_AGE_DAYS) + timedelta(hours=1),
        last_progress_at=window.as_of_ts - timedelta(days=CLUSTER_AGE_DAYS) + timedelta(hours=1), ttl_hours=None, budget=None,
        avg_gpu_util=None, estimated_cost=None, actual_cost=None, outcome="completed",
        manifest='{"action": "deploy", "replicas": 1, "instance_type": "p5.48xlarge"}',
    ))
    # The research fine-tune whose endpoint quietly became production.
    research_job_id = "job-30003"
    rstart = window.as_of_ts - timedelta(days=RESEARCH_ENDPOINT_AGE_DAYS + 1)
    rows.append(dict(
        job_id=research_job_id, name="llama-ft-summarizer-r3", kind="fine-tune", team="research",
        owner="sara.khan@acme.ai", project="llama-ft", environment="dev", cluster="aws-l40s-pool",
        resource_id=RESEARCH_ENDPOINT_RESOURCE_ID, gpu_type="L40S", gpu_count=1, instance_type="g6e.2xlarge",
        started_at=rstart, ended_at=rstart + timedelta(hours=5), last_progress_at=rstart + timedelta(hours=5),
        ttl_hours=24.0, budget=None, avg_gpu_util=0.7, estimated_cost=None, actual_cost=None, outcome="completed",
        manifest='{"kind": "fine-tune", "then": "deploy endpoint for a demo"}',
    ))
    cols = list(rows[0].keys())
    con.executemany(
        f"INSERT INTO gpu_jobs ({', '.join(cols)}, x_ingest_id) VALUES ({', '.join('?' for _ in cols)}, ?)",
        [[r[c] for c in cols] + [ingest_id] for r in rows],
    )
    return PlantedJobs(zombie_ids=zombie_ids, discarded_id=discarded_id, cluster_job_id=cluster_job_id,
                       research_job_id=research_job_id)


def insert_job_billing_sql(window: DemoWindow) -> str:
    """Staging rows for every billed job: per day, the hours it ran that day x its hourly rate."""
    return f"""
        SELECT d.day, 'AWS' AS provider, 'Amazon Elastic Compute Cloud' AS service, 'Compute' AS category,
               'us-east-1' AS region,
               CASE WHEN j.team = 'research' THEN '410987654321' ELSE '210987654321' END AS sub_account_id,
               CASE WHEN j.team = 'research' THEN 'acme-research' ELSE 'acme-prod' END AS sub_account_name,
               j.resource_id, j.team || '-' || j.name AS resource_name, 'GPU Cluster' AS resource_type,
               'BoxUsage:' || j.instance_type AS sku,
               j.instance_type || ' GPU cluster for job ' || j.job_id AS description, 'Hours' AS unit,
               CAST(h.hours * (j.hourly / i.hourly) AS DECIMAL(38,12)) AS quantity,
               i.hourly AS unit_price,
               CAST(h.hours * j.hourly AS DECIMAL(38,12)) AS cost, NULL AS list_cost,
               'Standard' AS pricing_category, 'Usage' AS charge_category, 'Usage-Based' AS charge_frequency,
               j.team, j.project, j.environment AS env, j.owner, 'job_id' AS extra_key, j.job_id AS extra_value
        FROM _demo_job_billing j
        JOIN (SELECT instance_type, hourly FROM _demo_gpu_instances
              UNION SELECT instance_type, hourly FROM _demo_zombie_instances) i ON i.instance_type = j.instance_type
        JOIN _demo_days d ON d.day_ts < coalesce(j.ended_at, TIMESTAMP '{window.as_of_ts:%Y-%m-%d %H:%M:%S}')
                         AND d.day_ts + INTERVAL 1 DAY > j.started_at
        CROSS JOIN LATERAL (SELECT date_diff('hour',
                 greatest(j.started_at, d.day_ts),
                 least(coalesce(j.ended_at, TIMESTAMP '{window.as_of_ts:%Y-%m-%d %H:%M:%S}'), d.day_ts + INTERVAL 1 DAY)) AS hours) h
        WHERE h.hours > 0
    """

"""LiteLLM SpendLogs (CSV, JSON, Parquet) into llm_calls and dcgm-exporter metrics (Prometheus text and
query JSON) into gpu_utilization, on real DuckDB files; and the waste tool flagging a GPU that DCGM measured
idle while requested-GPU accounting (the job's reported utilisation) saw it busy.

The SpendLogs rows and the modern scrape below are written by this test (no public full SpendLogs row or
current scrape exists, see tests/data/provider-usage/README.md); their columns come from the shipped
column list and label set. Expected values are computed here, not by the code under test."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from knowledge.connectors import ConnectorOptions, ingest_provider
from knowledge.connectors.dcgm import METRICS
from knowledge.ingest import IngestError
from knowledge.ingest.limits import LoadPolicy
from knowledge.prices import llm_catalog_path
from knowledge.store import open_store
from tests.conftest import db_rows as rows
from tests.conftest import duckdb_connect
from tools.registry import run_tool

DATA = Path(__file__).parents[1] / "data" / "provider-usage"
LITELLM = DATA / "litellm"
DCGM = DATA / "dcgm"




def price(model: str) -> tuple[Decimal, Decimal, Decimal]:
    with open(llm_catalog_path(), encoding="utf-8") as fh:
        for r in csv.DictReader(line for line in fh if not line.startswith("#")):
            if r["model"] == model:
                i, o = Decimal(r["input_cost_per_token"]), Decimal(r["output_cost_per_token"])
                return i, o, Decimal(r["cache_read_input_token_cost"]) if r["cache_read_input_token_cost"] else i
    raise KeyError(model)


def cost(model: str, inp: int, cached: int, out: int) -> Decimal:
    i, o, c = price(model)
    return (inp - cached) * i + cached * c + out * o


# -- LiteLLM ----------------------------------------------------------------------------------------------------
COLUMNS = [r["column_name"] for r in csv.DictReader(open(LITELLM / "spend_logs_columns.csv", encoding="utf-8"))]


def spend_rows() -> list[dict]:
    base = {c: None for c in COLUMNS}
    meta1 = {"user_api_key_alias": "support-bot-key", "user_api_key_team_alias": "support",
             "spend_logs_metadata": {"app": "support-bot", "feature": "triage"},
             "usage_object": {"prompt_tokens_details": {"cached_tokens": 1000}}}
    return [
        dict(base, request_id="req-1", call_type="acompletion", api_key="88dc28", spend="0.0021", prompt_tokens="1200",
             completion_tokens="300", total_tokens="1500", startTime="2026-11-20 10:00:00.123",
             endTime="2026-11-20 10:00:02.623", model="gpt-4.1", model_group="support-gpt",
             custom_llm_provider="openai", metadata=json.dumps(meta1), request_tags=json.dumps(["prompt_id:triage-v2"]),
             team_id="e8d1460f", end_user="cust-42", status="success",
             proxy_server_request=json.dumps({"max_tokens": 512}), messages='[{"role": "user",\n"content": "hi"}]'),
        dict(base, request_id="req-2", call_type="acompletion", spend="0.01", prompt_tokens="800", completion_tokens="90",
             startTime="2026-11-20T11:00:00Z", request_duration_ms="900", model="anthropic/claude-sonnet-4-5",
             custom_llm_provider="anthropic", request_tags=json.dumps(["app:search-answers"]),
             metadata=json.dumps({"additional_usage_values": {"cache_read_input_tokens": 50}}), status="success",
             user="alice"),
        dict(base, request_id="req-3", spend="0", prompt_tokens="1200", completion_tokens="300", cache_hit="True",
             startTime="2026-11-20 12:00:00", model="gpt-4.1", custom_llm_provider="openai", status="success"),
        dict(base, request_id="req-4", spend="0.000002", prompt_tokens="20", completion_tokens="80",
             startTime="2026-11-20 13:00:00", model_group="llama3", custom_llm_provider="groq"),
        dict(base, request_id="req-5", prompt_tokens="1", completion_tokens="1", model="gpt-4.1"),
        dict(base, request_id="req-6", prompt_tokens="12.5", completion_tokens="1", startTime="2026-11-20 14:00:00",
             model="gpt-4.1"),
        dict(base, request_id="req-1", prompt_tokens="1", completion_tokens="1", startTime="2026-11-20 15:00:00",
             model="gpt-4.1"),
        dict(base, request_id="req-8", prompt_tokens="10", completion_tokens="5", startTime="2026-11-20 16:00:00",
             model="gpt-4.1", metadata="{not json", cache_hit="f"),  # psql's boolean text: not a cache hit
    ]


def write_csv(path: Path, records: list[dict]) -> list[int]:
    """Write the export; return the physical line each record starts on (counted here)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    starts = []
    for r in records:
        starts.append(out.getvalue().count("\n") + 1)
        w.writerow(["" if r[c] is None else r[c] for c in COLUMNS])
    path.write_text(out.getvalue(), encoding="utf-8")
    return starts


EXPECTED = {  # request_id -> (ts, provider, model, app, feature, team, prompt_id, in, cached, out, max_tokens,
    #                           latency_ms, status, customer_id)
    "req-1": (datetime(2026, 11, 20, 10, 0, 0, 123000), "openai", "gpt-4.1", "support-bot", "triage", "support",
              "triage-v2", 1200, 1000, 300, 512, 2500, "success", "cust-42"),
    "req-2": (datetime(2026, 11, 20, 11), "anthropic", "claude-sonnet-4-5", "search-answers", None, None, None,
              800, 50, 90, None, 900, "success", "alice"),
    "req-3": (datetime(2026, 11, 20, 12), "openai", "gpt-4.1", None, None, None, None, 1200, 0, 300, None, None,
              "success", None),
    "req-4": (datetime(2026, 11, 20, 13), "groq", "llama3", None, None, None, None, 20, 0, 80, None, None, None, None),
    "req-8": (datetime(2026, 11, 20, 16), None, "gpt-4.1", None, None, None, None, 10, 0, 5, None, None, None, None),
}


def expected_costs() -> dict[str, Decimal | None]:
    return {"req-1": cost("gpt-4.1", 1200, 1000, 300), "req-2": cost("claude-sonnet-4-5", 800, 50, 90),
            "req-3": Decimal(0), "req-4": None, "req-8": cost("gpt-4.1", 10, 0, 5)}


def loaded(db: Path) -> dict:
    got = rows(db, """SELECT request_id, ts, provider, model, app, feature, team, prompt_id, input_tokens,
                             cached_input_tokens, output_tokens, max_tokens, latency_ms, status, customer_id, cost, calls
                      FROM llm_calls ORDER BY request_id""")
    return {r[0]: r[1:] for r in got}


def check_loaded(db: Path) -> None:
    got = loaded(db)
    assert set(got) == set(EXPECTED)
    for rid, exp in EXPECTED.items():
        provider = exp[1] or "openai"  # req-8 names no provider: the catalog's
        assert got[rid][:14] == (exp[0], provider) + exp[2:], rid
        assert got[rid][14] == expected_costs()[rid] and got[rid][15] == 1, rid


def test_litellm_csv_export(tmp_path: Path) -> None:
    f = tmp_path / "spend_logs.csv"
    starts = write_csv(f, spend_rows())
    db = tmp_path / "s.duckdb"
    report = ingest_provider(db, "litellm-spend", [f])
    r = report.files[0]
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (8, 5, 3)
    check_loaded(db)
    q = rows(db, "SELECT line, reason FROM quarantine ORDER BY line")
    assert q == [(starts[4], "startTime is missing"), (starts[5], "prompt_tokens: not a whole number '12.5'"),
                 (starts[6], f"duplicate of the record at line {starts[0]} (same bucket/time and dimensions)")]
    assert starts[1] == starts[0] + 2  # req-1's messages span two physical lines
    assert any("metadata value is not valid JSON" in n for n in r.notes)
    assert any("llama3" in n and "cost unknown" in n for n in r.notes)
    spend = sum(Decimal(x["spend"]) for x in spend_rows() if x["request_id"] in EXPECTED and x["spend"])
    assert any(f"${spend}" in n for n in r.notes)

    # re-ingest: the same request ids are replaced, not added
    changed = spend_rows()
    changed[0]["completion_tokens"] = "400"
    f2 = tmp_path / "spend_logs_2.csv"
    write_csv(f2, changed[:1])
    again = ingest_provider(db, "litellm-spend", [f2])
    assert again.files[0].rows_replaced == 1
    assert rows(db, "SELECT count(*), sum(output_tokens) FILTER (WHERE request_id = 'req-1') FROM llm_calls")[0] == (5, 400)


def test_litellm_json_and_parquet_exports_load_the_same_rows(tmp_path: Path) -> None:
    records = [r for r in spend_rows() if r["request_id"] in EXPECTED and r["startTime"] != "2026-11-20 15:00:00"]
    as_json = []
    for r in records:  # the /spend/logs API shape: numbers as numbers, Json columns as objects
        j = {k: v for k, v in r.items() if v is not None}
        for k in ("prompt_tokens", "completion_tokens", "total_tokens", "request_duration_ms"):
            if k in j:
                j[k] = int(j[k])
        for k in ("metadata", "request_tags", "proxy_server_request"):
            if k in j and j[k] != "{not json":
                j[k] = json.loads(j[k])
        as_json.append(j)
    fj = tmp_path / "spend.json"
    fj.write_text(json.dumps(as_json, indent=1), encoding="utf-8")
    ingest_provider(tmp_path / "j.duckdb", "litellm-spend", [fj])
    check_loaded(tmp_path / "j.duckdb")

    fc = tmp_path / "spend.csv"
    write_csv(fc, records)
    fp = tmp_path / "spend.parquet"
    con = duckdb_connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{fc}', all_varchar = true, header = true)) TO '{fp}' (FORMAT parquet)")
    con.close()
    report = ingest_provider(tmp_path / "p.duckdb", "litellm-spend", [fp])
    assert report.files[0].format == "Parquet"
    check_loaded(tmp_path / "p.duckdb")


def test_litellm_docs_examples(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    report = ingest_provider(db, "litellm-spend", [LITELLM / "spend_logs_row.docs-example.json"])
    # The docs' row is partial (11 of 32 columns): no request_id, no startTime, so it cannot load.
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (1, 0, 1)
    assert rows(db, "SELECT line, reason FROM quarantine") == [(1, "request_id is missing")]
    with pytest.raises(IngestError, match="/global/spend/report"):
        ingest_provider(db, "litellm-spend", [LITELLM / "global_spend_report_by_team.docs-example.json"])


# -- DCGM -------------------------------------------------------------------------------------------------------
def test_dcgm_metric_names_are_exporter_fields() -> None:
    enabled = set()
    for line in (DCGM / "default-counters.csv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            enabled.add(line.split(",")[0].strip())
    assert {m for m in METRICS if m.startswith("DCGM_")} <= enabled


def test_dcgm_datadog_fixture(tmp_path: Path) -> None:
    path = DCGM / "metrics.datadog-fixture.txt"
    lines = path.read_text().splitlines()
    tracked = [(i + 1, line) for i, line in enumerate(lines)
               if line.split("{")[0].split(" ")[0] in METRICS and not line.startswith("#")]
    unlabelled = [n for n, line in tracked if "{" not in line]
    db = tmp_path / "s.duckdb"
    at = datetime(2026, 11, 24, 12, 0)
    report = ingest_provider(db, "dcgm", [path], options=ConnectorOptions(scraped_at=at))
    r = report.files[0]
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (len(tracked), len(tracked) - len(unlabelled),
                                                                len(unlabelled))
    assert [x[0] for x in rows(db, "SELECT line FROM quarantine ORDER BY line")] == unlabelled
    got = rows(db, "SELECT metric, value, hostname, gpu, uuid, model_name, ts, x_line FROM gpu_utilization ORDER BY x_line")
    assert [(m, v, h, g, u, mn, ts) for m, v, h, g, u, mn, ts, _ in got] == [
        ("gpu_util", 0.0, "424773df46e0", "0", "GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e", "Tesla T4", at),
        ("fb_used_mib", 0.0, "424773df46e0", "0", "GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e", "Tesla T4", at)]
    assert [x[7] for x in got] == [n for n, line in tracked if "{" in line]
    assert any("other metrics skipped" in n for n in r.notes)


MODERN = """\
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",pci_bus_id="00000000:10:1C.0",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",hostname="node-1",container="vllm",namespace="llm",pod="chat-7f9c-x2"} 37 1732406400000
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b",pci_bus_id="",device="nvidia1",modelName="NVIDIA H100 80GB HBM3",hostname="node-1",GPU_I_PROFILE="1g.10gb",GPU_I_ID="3",pod="weird \\"name\\""} 12.5 1732406400000
DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="0",UUID="GPU-a",hostname="node-1",pod="chat-7f9c-x2"} 0.25 1732406400000
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a",hostname="node-1"} 1024 1732406400000
DCGM_FI_DEV_GPU_UTIL{gpu="2",UUID="GPU-c",hostname="node-1"} 120 1732406400000
DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="2",UUID="GPU-c",hostname="node-1"} NaN 1732406400000
DCGM_FI_DEV_SM_CLOCK{gpu="0",UUID="GPU-a",hostname="node-1"} 1980 1732406400000
"""


def test_dcgm_current_labels_timestamps_and_bad_values(tmp_path: Path) -> None:
    f = tmp_path / "scrape.prom"
    f.write_text(MODERN, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    report = ingest_provider(db, "dcgm", [f])
    r = report.files[0]
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (6, 4, 2)
    at = datetime.fromtimestamp(1732406400, UTC).replace(tzinfo=None)
    got = rows(db, """SELECT metric, value, gpu, pci_bus_id, gpu_instance_id, gpu_instance_profile, namespace, pod,
                             container, ts FROM gpu_utilization ORDER BY x_line""")
    assert got == [
        ("gpu_util", 0.37, "0", "00000000:10:1C.0", None, None, "llm", "chat-7f9c-x2", "vllm", at),
        ("gpu_util", 0.125, "1", None, "3", "1g.10gb", None, 'weird "name"', None, at),
        ("gr_engine_active", 0.25, "0", None, None, None, None, "chat-7f9c-x2", None, at),
        ("fb_used_mib", 1024.0, "0", None, None, None, None, None, None, at),
    ]
    assert rows(db, "SELECT line, reason FROM quarantine ORDER BY line") == [
        (7, "DCGM_FI_DEV_GPU_UTIL: 120 is out of range (0 to 100)"),
        (8, "DCGM_FI_PROF_GR_ENGINE_ACTIVE: not a finite number 'NaN'")]
    again = ingest_provider(db, "dcgm", [f], policy=LoadPolicy(force=True))  # same content: forced
    assert again.files[0].rows_replaced == 4 and rows(db, "SELECT count(*) FROM gpu_utilization")[0][0] == 4


def test_dcgm_query_api_json(tmp_path: Path) -> None:
    t0 = 1732406400
    matrix = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "gpu": "0", "Hostname": "h1"},
         "values": [[t0, "10"], [t0 + 60, "30"], [t0 + 120, "bad"]]},
        {"metric": {"__name__": "DCGM_FI_DEV_MEM_COPY_UTIL", "gpu": "0", "Hostname": "h1"}, "values": [[t0, "5"]]},
    ]}}
    f = tmp_path / "range.json"
    text = json.dumps(matrix, indent=2)
    f.write_text(text, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    report = ingest_provider(db, "dcgm", [f])
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert rows(db, "SELECT value, hostname FROM gpu_utilization ORDER BY ts") == [(0.1, "h1"), (0.3, "h1")]
    series_line = text.splitlines().index("      {") + 1
    assert rows(db, "SELECT line, reason FROM quarantine") == [(series_line, "DCGM_FI_DEV_GPU_UTIL: not a number 'bad'")]

    # an aggregated query drops __name__: say which metric it is
    vector = {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"gpu": "0", "hostname": "h2"}, "value": [t0, "0.5"]}]}}
    g = tmp_path / "vector.json"
    g.write_text(json.dumps(vector), encoding="utf-8")
    no_name = ingest_provider(tmp_path / "n.duckdb", "dcgm", [g])
    assert no_name.rows_quarantined == 1
    named = ingest_provider(tmp_path / "m.duckdb", "dcgm", [g],
                            options=ConnectorOptions(metric="DCGM_FI_PROF_GR_ENGINE_ACTIVE"))
    assert named.rows_loaded == 1
    assert rows(tmp_path / "m.duckdb", "SELECT metric, value FROM gpu_utilization") == [("gr_engine_active", 0.5)]


def test_waste_flags_a_gpu_dcgm_measured_idle(writable_demo: Path) -> None:
    with open_store(writable_demo, read_only=True) as store:
        as_of = datetime.fromisoformat(store.meta("as_of"))
        job_id, name, started, util = store.con.execute(
            "SELECT job_id, name, started_at, avg_gpu_util FROM gpu_jobs WHERE ended_at IS NULL AND avg_gpu_util >= 0.5 "
            "AND started_at + INTERVAL (ttl_hours) HOUR > ? ORDER BY job_id LIMIT 1", [as_of]).fetchone()
        before = run_tool(store, "waste", {"kinds": ["low_util_gpu", "zombie_job"]})
        last_day, day_cost = store.con.execute(
            "SELECT max(ChargePeriodStart), sum(BilledCost) FILTER (WHERE ChargePeriodStart = "
            "(SELECT max(ChargePeriodStart) FROM focus_charges)) FROM focus_charges "
            "WHERE ResourceId = (SELECT resource_id FROM gpu_jobs WHERE job_id = ?)", [job_id]).fetchone()
    assert job_id not in {i.ref for i in before.items}  # by requested/reported GPU accounting it looks busy
    assert util >= 0.5
    # DCGM measured its 8 GPUs at 3% since it started (pod named after the job, as Kubernetes does)
    first = max(started, as_of - timedelta(days=6))
    series = []
    for g in range(8):
        values = []
        t = first
        while t < as_of:
            values.append([int(t.replace(tzinfo=UTC).timestamp()), "0.03"])
            t += timedelta(minutes=15)
        series.append({"metric": {"__name__": "DCGM_FI_PROF_GR_ENGINE_ACTIVE", "gpu": str(g), "UUID": f"GPU-{g}",
                                  "hostname": "gpu-node-17", "namespace": "training", "pod": f"{name}-worker-0"},
                       "values": values})
    f = writable_demo.parent / "dcgm.json"
    f.write_text(json.dumps({"status": "success", "data": {"resultType": "matrix", "result": series}}))
    ingest_provider(writable_demo, "dcgm", [f])
    with open_store(writable_demo, read_only=True) as store:
        after = run_tool(store, "waste", {"kinds": ["low_util_gpu"]})
    item = next(i for i in after.items if i.ref == job_id)
    assert item.kind == "low_util_gpu" and "measured by DCGM" in item.reason and "8 GPU(s)" in item.reason
    assert item.details["avg_gpu_util"] == pytest.approx(0.03)
    assert item.run_rate_monthly == day_cost * 30
    assert item.monthly_cost == day_cost * 30 * Decimal("0.97")

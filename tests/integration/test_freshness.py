"""Every answer's evidence names the freshness of each source that holds data, including provider
usage buckets and DCGM samples loaded by the connectors."""

from __future__ import annotations

from pathlib import Path

from knowledge.connectors import ingest_provider
from knowledge.store import open_store
from tools.registry import run_tool

USAGE = Path(__file__).parents[1] / "data" / "provider-usage" / "openai" / "usage_completions.example.json"
FOCUS = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"


def test_freshness_lists_usage_buckets_after_a_usage_ingest(tmp_path: Path) -> None:
    from knowledge.ingest import ingest

    db = tmp_path / "s.duckdb"
    ingest(db, "focus", [FOCUS])
    ingest_provider(db, "openai-usage", [USAGE])
    with open_store(db, read_only=True) as store:
        expected_latest = store.con.execute("SELECT max(bucket_end) FROM llm_usage_buckets").fetchone()[0]
        expected_ingest = store.con.execute(
            "SELECT max(finished_at) FROM ingest_runs WHERE source = 'openai-usage'").fetchone()[0]
        result = run_tool(store, "spend", {"period": "September 2024"})
    by_source = {f.source: f for f in result.evidence.freshness}
    assert set(by_source) == {"billing (FOCUS)", "LLM usage buckets"}
    assert by_source["LLM usage buckets"].latest_data == expected_latest
    assert by_source["LLM usage buckets"].latest_ingest == expected_ingest

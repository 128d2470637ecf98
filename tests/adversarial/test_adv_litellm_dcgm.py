"""Issue 16, LiteLLM spend logs and DCGM metrics: one bad record or sample per line, through the real CLI.

A LiteLLM_SpendLogs JSON export (one record a line), a DCGM exporter scrape and a Prometheus range-query
response each hold good rows and one spoiled field per bad row; one `finops ingest` per file reads it.
Each bad row must be quarantined on its own line with its file and a reason naming what is wrong, the
good rows load, and read = loaded + quarantined.
"""

from __future__ import annotations

import json

import pytest

from tests.adversarial.test_adv_ingest import all_rows, finops


def rec(i: int, **over: object) -> dict:
    base: dict[str, object] = {
        "request_id": f"r{i}", "call_type": "acompletion", "startTime": "2026-11-01T10:00:00Z",
        "endTime": "2026-11-01T10:00:01Z", "model": "gpt-4o", "custom_llm_provider": "openai",
        "prompt_tokens": 100, "completion_tokens": 10, "spend": 0.001}
    base.update(over)
    return {k: v for k, v in base.items() if v != "<drop>"}


LITELLM = [  # (case id, record, a word the reason must hold)
    ("no-request-id", rec(1, request_id=None), "request_id"),
    ("request-id-dropped", rec(2, request_id="<drop>"), "request_id"),
    ("no-model", rec(3, model=None, model_group=None), "model"),
    ("unknown-model-no-provider", rec(4, model="my-finetune", custom_llm_provider=None), "unknown model"),
    ("prompt-tokens-2^63", rec(5, prompt_tokens=2**63), "prompt_tokens"),
    ("prompt-tokens-negative", rec(6, prompt_tokens=-1), "prompt_tokens"),
    ("prompt-tokens-word", rec(7, prompt_tokens="many"), "prompt_tokens"),
    ("completion-tokens-fraction", rec(8, completion_tokens=1.5), "completion_tokens"),
    ("completion-tokens-list", rec(9, completion_tokens=[1]), "completion_tokens"),
    ("start-year-10000", rec(10, startTime="10000-01-01T00:00:00Z"), "startTime"),
    ("start-not-a-date", rec(11, startTime="yesterday"), "startTime"),
    ("start-1970", rec(12, startTime="1970-01-01T00:00:00Z"), "startTime"),
    ("start-missing", rec(13, startTime=None), "startTime"),
    ("cached-over-prompt", rec(14, metadata={"additional_usage_values": {"prompt_tokens_details": {
        "cached_tokens": 500}}}, prompt_tokens=100), "cached"),
    ("record-is-a-number", 7, "not an object"),
]

SCRAPE = [  # (case id, exporter line, a word the reason must hold)
    ("time-1e20", 'DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b",Hostname="h1"} 12 100000000000000000000', "out of range"),
    ("time-zero", 'DCGM_FI_DEV_GPU_UTIL{gpu="2",UUID="GPU-c",Hostname="h1"} 12 0', "out of range"),
    ("value-word", 'DCGM_FI_DEV_GPU_UTIL{gpu="3",UUID="GPU-d",Hostname="h1"} busy 1732406400000', ""),
    ("labels-unclosed", 'DCGM_FI_DEV_GPU_UTIL{gpu="4",UUID="GPU-e" 12 1732406400000', ""),
    ("no-value", 'DCGM_FI_DEV_GPU_UTIL{gpu="5",UUID="GPU-f",Hostname="h1"}', ""),
]

QUERY = [  # (case id, [time, value] pair of a range-query series, a word the reason must hold)
    ("pair-time-1e20", [1e20, "40"], "out of range"),
    ("pair-time-zero", [0, "41"], "out of range"),
    ("pair-time-text", ["noon", "41"], "not [time"),
    ("pair-one-element", [1732406400], "not [time"),
    ("pair-not-a-list", "37", "not [time"),
]


@pytest.fixture(scope="module")
def litellm(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("adv-litellm")
    records = [rec(0)] + [r for _, r, _ in LITELLM]
    f = work / "spend.json"
    f.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")  # record k on line k + 2
    db = work / "s.duckdb"
    res = finops("ingest", "litellm-spend", "--db", str(db), str(f))
    return {"res": res, "file": f, "q": {ln: (fi, r) for fi, ln, r in all_rows(db, "SELECT file, line, reason FROM quarantine")}}


@pytest.fixture(scope="module")
def dcgm(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("adv-dcgm")
    scrape = work / "scrape.prom"
    scrape.write_text('DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",Hostname="h1"} 37 1732406400000\n'
                      + "".join(line + "\n" for _, line, _ in SCRAPE))
    series = [{"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "gpu": str(i), "UUID": f"GPU-q{i}", "Hostname": "h2"},
               "values": [[1732406400, "37"], pair]} for i, (_, pair, _) in enumerate(QUERY)]
    query = work / "range.json"
    query.write_text(json.dumps({"status": "success", "data": {"resultType": "matrix", "result": series}}, indent=1))
    db = work / "s.duckdb"
    res = finops("ingest", "dcgm", "--db", str(db), str(scrape), str(query))
    rows = all_rows(db, "SELECT file, line, reason FROM quarantine")
    return {"res": res, "scrape": scrape, "query": query, "rows": rows}


def test_litellm_counts_reconcile(litellm: dict) -> None:
    res, n = litellm["res"], len(LITELLM)
    assert res.exit_code == 0, res.stderr
    assert f"read {n + 1}, loaded 1, quarantined {n}" in res.stdout


@pytest.mark.parametrize("index, word", [(i, w) for i, (_, _, w) in enumerate(LITELLM)], ids=[c for c, _, _ in LITELLM])
def test_each_bad_litellm_record_is_quarantined_on_its_line(litellm: dict, index: int, word: str) -> None:
    line = index + 3  # '[' on line 1, the good record on line 2
    assert line in litellm["q"], f"line {line} was loaded"
    file, reason = litellm["q"][line]
    assert file == str(litellm["file"]) and word in reason, reason


def test_dcgm_counts_reconcile(dcgm: dict) -> None:
    res = dcgm["res"]
    assert res.exit_code == 0, res.stderr
    assert f"{dcgm['scrape']}: read {len(SCRAPE) + 1}, loaded 1, quarantined {len(SCRAPE)}" in res.stdout
    assert f"{dcgm['query']}: read {2 * len(QUERY)}, loaded {len(QUERY)}, quarantined {len(QUERY)}" in res.stdout


@pytest.mark.parametrize("index, word", [(i, w) for i, (_, _, w) in enumerate(SCRAPE)], ids=[c for c, _, _ in SCRAPE])
def test_each_bad_scrape_line_is_quarantined_on_its_line(dcgm: dict, index: int, word: str) -> None:
    hits = [r for f, ln, r in dcgm["rows"] if f == str(dcgm["scrape"]) and ln == index + 2]
    assert len(hits) == 1 and word in hits[0], hits


@pytest.mark.parametrize("index, word", [(i, w) for i, (_, _, w) in enumerate(QUERY)], ids=[c for c, _, _ in QUERY])
def test_each_bad_query_pair_is_quarantined_with_its_series_line(dcgm: dict, index: int, word: str) -> None:
    text = dcgm["query"].read_text().splitlines()
    line = next(n for n, t in enumerate(text, 1) if f'"GPU-q{index}"' in t)
    hits = [r for f, ln, r in dcgm["rows"] if f == str(dcgm["query"]) and ln <= line and ln >= line - 6]
    assert len(hits) == 1 and word in hits[0], (line, dcgm["rows"])

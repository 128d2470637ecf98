"""Issue 16, JSON pages: one bad value per result, bucket or file, through the real CLI on a DuckDB file.

One file holds a good page and then one page per bad case (pages concatenated, pretty-printed, so the
streaming reader crosses pages and lines); one `finops ingest openai-usage` reads it. Each case must be
quarantined on its own line of that file with a reason naming what is wrong, and read = loaded +
quarantined. Whole-file cases (truncated, not JSON, another kind) each get their own run.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from apps.cli.main import app
from tests.cli import CliRunner
from tests.conftest import duckdb_connect

DAY = 1730419200  # 2024-11-01
GOOD = ('{"object": "organization.usage.completions.result", "input_tokens": 10, "output_tokens": 1, '
        '"num_model_requests": 1, "model": "gpt-4o"}')


def res(**over: str) -> str:
    """A completions result with some fields replaced by raw JSON text (so NaN, 1e999 etc. stay as written)."""
    fields = {"object": '"organization.usage.completions.result"', "input_tokens": "10", "output_tokens": "1",
              "num_model_requests": "1", "model": '"gpt-4o"'}
    fields.update(over)
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items() if v != "<drop>") + "}"


# (case id, the raw result, a word the quarantine reason must hold)
RESULTS = [
    ("input-negative", res(input_tokens="-1"), "input_tokens"),
    ("input-fraction", res(input_tokens="1.5"), "input_tokens"),
    ("input-word", res(input_tokens='"abc"'), "input_tokens"),
    ("input-bool", res(input_tokens="true"), "input_tokens"),
    ("input-list", res(input_tokens="[1]"), "input_tokens"),
    ("input-object", res(input_tokens='{"n": 1}'), "input_tokens"),
    ("input-2^63", res(input_tokens=str(2**63)), "input_tokens"),
    ("input-1e999", res(input_tokens="1e999"), "input_tokens"),
    ("input-NaN", res(input_tokens="NaN"), "input_tokens"),
    ("input-Infinity", res(input_tokens="Infinity"), "input_tokens"),
    ("input--Infinity", res(input_tokens="-Infinity"), "input_tokens"),
    ("input-empty-text", res(input_tokens='""'), "input_tokens"),
    ("input-null", res(input_tokens="null"), "input_tokens"),
    ("input-missing", res(input_tokens="<drop>"), "input_tokens"),
    ("output-negative", res(output_tokens="-5"), "output_tokens"),
    ("output-word", res(output_tokens='"x"'), "output_tokens"),
    ("output-fraction", res(output_tokens="1.25"), "output_tokens"),
    ("output-bool", res(output_tokens="false"), "output_tokens"),
    ("output-null", res(output_tokens="null"), "output_tokens"),
    ("output-10^30", res(output_tokens=str(10**30)), "output_tokens"),
    ("requests-null", res(num_model_requests="null"), "num_model_requests"),
    ("requests-negative", res(num_model_requests="-1"), "num_model_requests"),
    ("requests-word", res(num_model_requests='"many"'), "num_model_requests"),
    ("requests-half", res(num_model_requests="0.5"), "num_model_requests"),
    ("cached-over-input", res(input_cached_tokens="20"), "exceed input_tokens"),
    ("cached-negative", res(input_cached_tokens="-1"), "input_cached_tokens"),
    ("cached-word", res(input_cached_tokens='"x"'), "input_cached_tokens"),
    ("object-missing", res(object="<drop>"), "object"),
    ("object-null", res(object="null"), "object"),
    ("object-costs", res(object='"organization.costs.result"'), "openai-costs"),
    ("object-unknown", res(object='"organization.foo"'), "unknown result object"),
    ("object-number", res(object="123"), "unknown result object"),
    ("object-page", res(object='"page"'), "unknown result object"),
    ("batch-word", res(batch='"yes"'), "batch"),
    ("batch-number", res(batch="2"), "batch"),
    ("batch-list", res(batch="[]"), "batch"),
    ("model-object", res(model='{"a": 1}'), "model"),
    ("model-list", res(model="[1]"), "model"),
    ("model-surrogate", res(model='"bad\\ud800text"'), "not valid Unicode"),
    ("project-object", res(project_id="{}"), "project_id"),
    ("result-number", "5", "result is not an object"),
    ("result-text", '"a result"', "result is not an object"),
    ("result-null", "null", "result is not an object"),
    ("result-list", "[]", "result is not an object"),
]

# (case id, the bucket's start_time and end_time as raw JSON, a word the reason must hold)
BUCKETS = [
    ("start-missing", None, str(DAY + 86400), "start_time"),
    ("start-text", '"2024-11-01"', str(DAY + 86400), "start_time"),
    ("start-bool", "true", str(DAY + 86400), "start_time"),
    ("start-1970", "0", "86400", "start_time"),
    ("start-10^20", str(10**20), str(10**20 + 86400), "start_time"),
    ("start-negative", "-86400", "0", "start_time"),
    ("end-before-start", str(DAY + 86400), str(DAY), "not after"),
    ("end-equals-start", str(DAY), str(DAY), "not after"),
    ("end-missing", str(DAY), None, "end_time"),
    ("end-year-2200", str(DAY), str(7258118400), "end_time"),
]


def _page(result: str, start: str | None = str(DAY), end: str | None = str(DAY + 86400)) -> str:
    bounds = "".join(f'"{k}": {v}, ' for k, v in (("start_time", start), ("end_time", end)) if v is not None)
    return ('{"object": "page", "has_more": false, "next_page": null, "data": [\n'
            f' {{"object": "bucket", {bounds}"results": [\n'
            f'  {result}\n'
            ' ]}\n'
            ']}\n')


def finops(*args: str):
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The file of all cases, ingested once: {case id: (line, reason)} of the quarantine, and the output."""
    work = tmp_path_factory.mktemp("adv-pages")
    parts, lines, expected = [_page(GOOD)], {}, 1
    line = 1 + _page(GOOD).count("\n")
    for case, raw, _ in RESULTS:
        parts.append(_page(raw))
        lines[case] = line + (2 if raw.startswith("{") else 1)  # a value that is no object: its bucket's line
        line += parts[-1].count("\n")
    for case, start, end, _ in BUCKETS:
        parts.append(_page(GOOD, start, end))
        lines[case] = line + 2  # the result of the bucket is quarantined with the bucket's reason
        line += parts[-1].count("\n")
    f = work / "usage.json.gz"
    with gzip.open(f, "wt", encoding="utf-8") as out:
        out.write("".join(parts))
    db = work / "s.duckdb"
    res = finops("ingest", "openai-usage", "--db", str(db), str(f))
    con = duckdb_connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT file, line, reason FROM quarantine").fetchall()
        usage = con.execute("SELECT count(*) FROM llm_usage_buckets").fetchone()
    finally:
        con.close()
    by_line = {ln: (file, reason) for file, ln, reason in rows}
    return {"res": res, "file": f, "lines": lines, "by_line": by_line, "usage": usage, "expected_loaded": expected,
            "quarantined": len(rows)}


def test_the_file_loads_its_good_page_and_counts_reconcile(loaded: dict) -> None:
    res, n = loaded["res"], len(RESULTS) + len(BUCKETS)
    assert res.exit_code == 0, res.stderr
    assert f"read {n + 1}, loaded 1, quarantined {n}" in res.stdout
    assert loaded["usage"] == (1,) and loaded["quarantined"] == n


@pytest.mark.parametrize("case, word", [(c, w) for c, _, w in RESULTS] + [(c, w) for c, _, _, w in BUCKETS],
                         ids=[c for c, _, _ in RESULTS] + [c for c, *_ in BUCKETS])
def test_each_bad_value_is_quarantined_on_its_line(loaded: dict, case: str, word: str) -> None:
    line = loaded["lines"][case]
    assert line in loaded["by_line"], f"{case}: nothing quarantined on line {line}"
    file, reason = loaded["by_line"][line]
    assert file == loaded["file"].name or file.endswith(loaded["file"].name)
    assert word in reason, reason


NEXT = _page(GOOD, str(DAY + 86400), str(DAY + 2 * 86400))  # another day: not a duplicate of the first page

# (case id, the file's text, exit code, text the output must hold, quarantined rows expected)
FILES = [
    ("truncated", _page(GOOD) + NEXT[:-20], 0, "read 2, loaded 1, quarantined 1", 1),
    ("garbage-between-pages", _page(GOOD) + "{oops}\n" + NEXT, 0, "read 2, loaded 1, quarantined 1", 1),
    ("array-not-closed", "[\n" + _page(GOOD) + ",\n" + NEXT, 0, "read 3, loaded 2, quarantined 1", 1),
    ("array-missing-comma", "[\n" + _page(GOOD) + NEXT + "]\n", 0, "read 2, loaded 1, quarantined 1", 1),
    ("truncated-only-page", _page(GOOD)[:-20], 2, "no page found (line 1: unreadable JSON", 0),
    ("not-json", "input_tokens,output_tokens\n1,2\n", 2, "not JSON", 0),
    ("empty-array", "[]\n", 2, "no page found", 0),
    ("anthropic-pages", '{"data": [{"starting_at": "2024-11-01T00:00:00Z", "ending_at": "2024-11-02T00:00:00Z", '
     '"results": [{"uncached_input_tokens": 5}]}], "has_more": false}', 2, "use `finops ingest anthropic-usage`", 0),
    ("bare-result", GOOD + "\n", 0, "without its page and bucket", 1),
    ("page-of-another-object", '{"object": "list", "data": []}\n', 0, "not a page: object is 'list'", 1),
    ("page-without-data", '{"object": "page", "has_more": false}\n', 0, "not a page: no 'data' list", 1),
    ("bucket-not-object", '{"object": "page", "data": ["x"]}\n', 0, "quarantined 1", 1),
    ("nested-too-deep", "[" * 100000 + "]" * 100000 + "\n", 2, "nested too deeply", 0),
]


@pytest.mark.parametrize("text, code, said, quarantined", [f[1:] for f in FILES], ids=[f[0] for f in FILES])
def test_a_bad_file_is_refused_or_quarantined_with_its_line(tmp_path: Path, text: str, code: int, said: str,
                                                             quarantined: int) -> None:
    f = tmp_path / "pages.json"
    f.write_text(text, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "openai-usage", "--db", str(db), str(f))
    assert res.exit_code == code, (res.stdout, res.stderr)
    assert said in res.stdout + res.stderr
    if code == 2:
        assert not db.exists() or _count(db, "SELECT count(*) FROM llm_usage_buckets") == 0
        return
    assert _count(db, "SELECT count(*) FROM quarantine WHERE line >= 1 AND file LIKE '%pages.json'") == quarantined


def _count(db: Path, sql: str) -> int:
    con = duckdb_connect(str(db), read_only=True)
    try:
        row = con.execute(sql).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()

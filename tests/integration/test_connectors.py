"""OpenAI / Anthropic usage and cost pages into real DuckDB files: every shipped sample, both OpenAI field
sets, several pages per file / a directory / stdin, schema drift, quarantine with file and line, re-ingest
replaces, unknown prices stay unknown. Expected values are computed here from the sample JSON and the
shipped price catalog file, never by the code under test. Derived pages (other days, broken pages) are
built by these tests from the publishers' samples in tests/data/provider-usage/."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from knowledge.connectors import ConnectorOptions, ingest_provider
from knowledge.ingest import IngestError
from knowledge.ingest.limits import LoadPolicy
from knowledge.prices import llm_catalog_path
from tests.conftest import db_rows as rows

DATA = Path(__file__).parents[1] / "data" / "provider-usage"
OPENAI = DATA / "openai"
ANTHROPIC = DATA / "anthropic"
DAY = 86400


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)




def prices() -> dict[str, dict[str, Decimal | None]]:
    """Per-token prices straight from the shipped catalog file."""
    with open(llm_catalog_path(), encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    out = {}
    for r in csv.DictReader(lines):
        out[r["model"]] = {k: (Decimal(r[k]) if r[k] else None) for k in (
            "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
            "cache_creation_input_token_cost")}
    return out


def expected_cost(model: str, inp: int, cached: int, write: int, write_1h: int, out: int, batch: bool) -> Decimal:
    """The documented rule, written out again: each input token priced once, 1 h writes at 2x input, batch 50%."""
    p = prices()[model]
    i, o = p["input_cost_per_token"], p["output_cost_per_token"]
    read = p["cache_read_input_token_cost"] or i
    creation = p["cache_creation_input_token_cost"] or i
    cost = (inp - cached - write) * i + cached * read + (write - write_1h) * creation + write_1h * 2 * i + out * o
    return cost * Decimal("0.5") if batch else cost


def page(buckets: list[dict], *, has_more: bool = False, next_page: str | None = None) -> dict:
    return {"object": "page", "data": buckets, "has_more": has_more, "next_page": next_page}


def bucket(start: int, results: list[dict], width: int = DAY) -> dict:
    return {"object": "bucket", "start_time": start, "end_time": start + width, "results": results}


def dumps(value: Any) -> str:
    """JSON text with the Decimals of the samples written as numbers (exact)."""
    return json.dumps(value, indent=2, default=lambda d: _Raw(d)).replace('"__raw__', "").replace('__raw__"', "")


class _Raw(str):
    def __new__(cls, d: Decimal) -> _Raw:
        return str.__new__(cls, f"__raw__{d}__raw__")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, marker: str) -> int:
    """Line of the '{' that opens the object holding `marker` (a pretty-printed object opens on its own line)."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if marker in line)
    while lines[at].strip() not in ("{", "{,") and not lines[at].rstrip().endswith("{"):
        at -= 1
    return at + 1


# -- every sample ------------------------------------------------------------------------------------------
SAMPLES = [
    ("openai-usage", p) for p in sorted(OPENAI.glob("usage_*.json"))
] + [("openai-costs", p) for p in sorted(OPENAI.glob("costs*.json"))] + [
    ("anthropic-usage", ANTHROPIC / "usage_report_messages.example.json"),
    ("anthropic-costs", ANTHROPIC / "cost_report.example.json"),
]


@pytest.mark.parametrize("kind,path", SAMPLES, ids=[p.name for _, p in SAMPLES])
def test_every_page_sample_ingests_with_reconciled_counts(tmp_path: Path, kind: str, path: Path) -> None:
    db = tmp_path / "s.duckdb"
    report = ingest_provider(db, kind, [path])
    f = report.files[0]
    value = load(path)
    # Independent count: a page holds data[].results[]; a bare result (the *.result_object examples) has no
    # bucket and so no time: it cannot load and is quarantined as one record.
    if "data" in value:
        expected_rows = sum(len(b["results"]) for b in value["data"])
        assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (expected_rows, expected_rows, 0)
    else:
        assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (1, 0, 1)
        assert rows(db, "SELECT file, line, reason FROM quarantine") == [
            (str(path.resolve()), 1, "a single result without its page and bucket: it has no start/end time")]
    run = rows(db, "SELECT source, file, rows_read, rows_loaded, rows_quarantined FROM ingest_runs")
    assert run == [(kind, str(path.resolve()), f.rows_read, f.rows_loaded, f.rows_quarantined)]
    table = "llm_usage_buckets" if kind.endswith("usage") else "focus_charges"
    assert rows(db, f"SELECT count(*) FROM {table}")[0][0] == f.rows_loaded
    assert rows(db, "SELECT count(*) FROM quarantine")[0][0] == f.rows_quarantined


def test_both_openai_completions_field_sets_load(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    old, new = OPENAI / "usage_completions.example.2024-12.json", OPENAI / "usage_completions.example.json"
    ingest_provider(db, "openai-usage", [old], options=ConnectorOptions(account="org-old"))
    ingest_provider(db, "openai-usage", [new], options=ConnectorOptions(account="org-new"))
    got = {r[0]: r[1:] for r in rows(db, """
        SELECT account, requests, input_tokens, cached_input_tokens, cache_write_input_tokens, output_tokens,
               service_tier, batch, model, bucket_start, bucket_end, details FROM llm_usage_buckets""")}
    for account, path in (("org-old", old), ("org-new", new)):
        b = load(path)["data"][0]
        r = b["results"][0]
        requests, inp, cached, write_, out, tier, batch, model, start, end, details = got[account]
        assert (requests, inp, cached, out) == (r["num_model_requests"], r["input_tokens"],
                                                r["input_cached_tokens"], r["output_tokens"])
        assert write_ == r.get("input_cache_write_tokens", 0)
        assert (tier, batch, model) == (None, None, None)  # null unless grouped by them
        assert start == datetime.fromtimestamp(b["start_time"], UTC).replace(tzinfo=None)
        assert end == datetime.fromtimestamp(b["end_time"], UTC).replace(tzinfo=None)
        extra = {k: v for k, v in r.items() if k not in (
            "object", "input_tokens", "input_cached_tokens", "input_cache_write_tokens", "output_tokens",
            "num_model_requests", "project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
            and v is not None}
        assert (json.loads(details) if details else {}) == extra  # modality splits kept as sent
    # costs: 2024-12 (amount, line_item, project_id) and current (+ api_key_id, quantity, quantity_unit)
    for path in (OPENAI / "costs.example.2024-12.json", OPENAI / "costs.example.json"):
        cdb = tmp_path / f"{path.name}.duckdb"
        ingest_provider(cdb, "openai-costs", [path])
        r = load(path)["data"][0]["results"][0]
        assert rows(cdb, "SELECT BilledCost, EffectiveCost, BillingCurrency, ProviderName, InvoiceIssuerName, "
                         "ServiceCategory, ConsumedQuantity FROM focus_charges") == [
            (r["amount"]["value"], r["amount"]["value"], "USD", "OpenAI", "OpenAI", "AI and Machine Learning", None)]


def test_every_dimension_of_a_result_maps(tmp_path: Path) -> None:
    """The result examples with every group_by field filled, put into a bucket by this test."""
    db = tmp_path / "s.duckdb"
    r = load(OPENAI / "usage_completions.result_object.example.json")
    f = write(tmp_path / "usage.json", dumps(page([bucket(1730419200, [r])])))
    ingest_provider(db, "openai-usage", [f])
    got = rows(db, "SELECT project_id, user_id, api_key_id, model, batch, service_tier, cost FROM llm_usage_buckets")
    cost = expected_cost(r["model"], r["input_tokens"], r["input_cached_tokens"], r["input_cache_write_tokens"], 0,
                         r["output_tokens"], r["batch"])
    assert got == [(r["project_id"], r["user_id"], r["api_key_id"], r["model"], r["batch"], r["service_tier"], cost)]

    c = load(OPENAI / "costs.result_object.example.json")
    cf = write(tmp_path / "costs.json", dumps(page([bucket(1730419200, [c])])))
    ingest_provider(db, "openai-costs", [cf], options=ConnectorOptions(account="org-1"))
    got = rows(db, """SELECT BilledCost, BillingAccountId, SubAccountId, SubAccountName, ResourceId, ChargeDescription,
                             SkuId, ConsumedQuantity, ConsumedUnit, PricingUnit, Tags['project'],
                             Tags['openai:line_item'], ChargePeriodStart, BillingPeriodStart, BillingPeriodEnd
                      FROM focus_charges""")
    assert got == [(c["amount"]["value"], "org-1", c["project_id"], c["project_id"], f"openai/projects/{c['project_id']}",
                    c["line_item"], c["line_item"], Decimal(c["quantity"]), c["quantity_unit"], c["quantity_unit"],
                    c["project_id"], c["line_item"], datetime(2024, 11, 1), datetime(2024, 11, 1), datetime(2024, 12, 1))]


def test_anthropic_samples_map_to_buckets_and_focus(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest_provider(db, "anthropic-usage", [ANTHROPIC / "usage_report_messages.example.json"])
    r = load(ANTHROPIC / "usage_report_messages.example.json")["data"][0]["results"][0]
    cc = r["cache_creation"]
    writes = cc["ephemeral_5m_input_tokens"] + cc["ephemeral_1h_input_tokens"]
    assert rows(db, """SELECT provider, endpoint, bucket_start, project_id, model, requests, input_tokens,
                              cached_input_tokens, cache_write_input_tokens, cache_write_1h_input_tokens, output_tokens,
                              batch, cost, details->'$.server_tool_use.web_search_requests' FROM llm_usage_buckets""") == [
        ("anthropic", "messages", datetime(2025, 8, 1), r["workspace_id"], r["model"], None,
         r["uncached_input_tokens"] + writes + r["cache_read_input_tokens"], r["cache_read_input_tokens"], writes,
         cc["ephemeral_1h_input_tokens"], r["output_tokens"], False, None,
         str(r["server_tool_use"]["web_search_requests"]))]
    assert r["model"] not in prices()  # so its cost is unknown (NULL), never $0

    ingest_provider(db, "anthropic-costs", [ANTHROPIC / "cost_report.example.json"])
    c = load(ANTHROPIC / "cost_report.example.json")["data"][0]["results"][0]
    assert rows(db, """SELECT BilledCost, ProviderName, InvoiceIssuerName, ServiceName, ServiceCategory, SkuId, SkuMeter,
                              SubAccountId, Tags['model'], Tags['anthropic:token_type'], ChargePeriodStart,
                              ChargePeriodEnd FROM focus_charges""") == [
        (Decimal(c["amount"]) / 100, "Anthropic", "Anthropic", "Anthropic API", "AI and Machine Learning",
         c["description"], c["token_type"], c["workspace_id"], c["model"], c["token_type"], datetime(2025, 8, 1),
         datetime(2025, 8, 2))]


# -- several pages: one file, an array, a directory, stdin ---------------------------------------------------
def three_pages() -> list[dict]:
    """Three pages of one pull (made here from the current completions sample: three days, two models)."""
    r = load(OPENAI / "usage_completions.example.json")["data"][0]["results"][0]
    start = 1730419200
    pages = []
    for i, model in enumerate(["gpt-4o-mini-2024-07-18", "gpt-4.1", "gpt-4o-mini-2024-07-18"]):
        res = dict(r, model=model, input_tokens=r["input_tokens"] * (i + 1), num_model_requests=5 + i)
        pages.append(page([bucket(start + i * DAY, [res])], has_more=i < 2, next_page=f"page_{i + 1}" if i < 2 else None))
    return pages


def usage_totals(db: Path) -> tuple:
    return rows(db, "SELECT count(*), sum(requests), sum(input_tokens), sum(cost) FROM llm_usage_buckets")[0]


def test_pages_in_one_file_an_array_a_directory_and_stdin(tmp_path: Path) -> None:
    pages = three_pages()
    expected_cost_total = sum(expected_cost(p["data"][0]["results"][0]["model"], p["data"][0]["results"][0]["input_tokens"],
                                            p["data"][0]["results"][0]["input_cached_tokens"],
                                            p["data"][0]["results"][0]["input_cache_write_tokens"], 0,
                                            p["data"][0]["results"][0]["output_tokens"], False) for p in pages)
    expected = (3, sum(p["data"][0]["results"][0]["num_model_requests"] for p in pages),
                sum(p["data"][0]["results"][0]["input_tokens"] for p in pages), expected_cost_total)
    concat = write(tmp_path / "concat.json", "\n".join(dumps(p) for p in pages))
    array = write(tmp_path / "array.json", dumps(pages))
    folder = tmp_path / "pages"
    for i, p in enumerate(pages, start=1):
        write(folder / f"page-{i}.json", dumps(p))
    for name, paths, stdin in (("concat", [concat], None), ("array", [array], None), ("dir", [folder], None),
                               ("stdin", ["-"], io.BytesIO(concat.read_bytes()))):
        db = tmp_path / f"{name}.duckdb"
        report = ingest_provider(db, "openai-usage", paths, stdin=stdin)
        assert usage_totals(db) == expected, name
        assert report.rows_read == report.rows_loaded == 3
    files = rows(tmp_path / "dir.duckdb", "SELECT DISTINCT x_source_file FROM llm_usage_buckets ORDER BY 1")
    assert files == [(str((folder / f"page-{i}.json").resolve()),) for i in (1, 2, 3)]
    assert rows(tmp_path / "stdin.duckdb", "SELECT DISTINCT x_source_file FROM llm_usage_buckets") == [("<stdin>",)]
    # line of each result in the concatenated file, found independently
    text = concat.read_text()
    starts = [i + 1 for i, line in enumerate(text.splitlines()) if '"object": "organization.usage.completions.result"' in line]
    assert [r[0] for r in rows(tmp_path / "concat.duckdb", "SELECT x_line FROM llm_usage_buckets ORDER BY bucket_start")] == \
        [s - 1 for s in starts]


def test_a_later_page_that_is_missing_is_noted(tmp_path: Path) -> None:
    report = ingest_provider(tmp_path / "s.duckdb", "openai-usage", [OPENAI / "usage_completions.example.json"])
    assert any("has_more" in n and "page_AAAAAGdGxdEiJdKOAAAAAGcqsYA=" in n for n in report.files[0].notes)


# -- schema drift ----------------------------------------------------------------------------------------------
def test_schema_drift_new_fields_missing_fields_and_new_result_types(tmp_path: Path) -> None:
    r = load(OPENAI / "usage_completions.example.json")["data"][0]["results"][0]
    newer = dict(r, input_reasoning_tokens=7, region="eu", model="gpt-4.1")        # fields this code does not know
    older = {k: r[k] for k in ("object", "input_tokens", "output_tokens", "num_model_requests")}  # only the required ones
    realtime = {"object": "organization.usage.realtime_sessions.result", "input_tokens": 30, "num_model_requests": 3,
                "project_id": "proj_rt"}                                            # a result type from a newer API
    f = write(tmp_path / "drift.json", dumps(page([bucket(1730419200, [newer, older, realtime])])))
    report = ingest_provider(tmp_path / "s.duckdb", "openai-usage", [f])
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 3, 0)
    got = rows(tmp_path / "s.duckdb", "SELECT endpoint, model, cached_input_tokens, service_tier, details, input_tokens, requests "
                                      "FROM llm_usage_buckets ORDER BY x_line")
    assert json.loads(got[0][4])["input_reasoning_tokens"] == 7 and json.loads(got[0][4])["region"] == "eu"
    assert got[1][:5] == ("completions", None, 0, None, None)
    assert got[2][0] == "realtime_sessions" and got[2][5:] == (30, 3)
    assert any("realtime_sessions" in n for n in report.files[0].notes)

    # Anthropic's current rendering: alphabetical keys, newer dimensions
    a = load(ANTHROPIC / "usage_report_messages.example.json")
    res = dict(sorted({**a["data"][0]["results"][0], "inference_geo": "us", "speed": "fast"}.items()))
    a["data"][0]["results"] = [res]
    fa = write(tmp_path / "anthropic.json", dumps(dict(sorted(a.items()))))
    ingest_provider(tmp_path / "a.duckdb", "anthropic-usage", [fa])
    details = json.loads(rows(tmp_path / "a.duckdb", "SELECT details FROM llm_usage_buckets")[0][0])
    assert (details["inference_geo"], details["speed"]) == ("us", "fast")


# -- quarantine with file and position -----------------------------------------------------------------------
def test_malformed_pages_are_quarantined_with_file_and_line(tmp_path: Path) -> None:
    r = load(OPENAI / "usage_completions.example.json")["data"][0]["results"][0]
    good = dict(r, model="gpt-4.1", user_id="good")
    missing = {k: v for k, v in dict(r, user_id="missing-field").items() if k != "input_tokens"}
    too_cached = dict(r, user_id="too-cached", input_cached_tokens=r["input_tokens"] + 1)
    fractional = dict(r, user_id="fractional", output_tokens=Decimal("1.5"))
    page1 = page([bucket(1730419200, [good])], has_more=True, next_page="p2")
    page2 = page([bucket(1730419200 + DAY, [missing, too_cached, fractional])], has_more=True, next_page="p3")
    page3 = dumps(page([bucket(1730419200 + 2 * DAY, [good])]))
    text = dumps(page1) + "\n" + dumps(page2) + "\n" + page3[: len(page3) // 2]  # the pull died mid-page
    f = write(tmp_path / "broken.json", text)
    db = tmp_path / "s.duckdb"
    report = ingest_provider(db, "openai-usage", [f])
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (5, 1, 4)
    q = rows(db, "SELECT file, line, reason, raw FROM quarantine ORDER BY line")
    assert {row[0] for row in q} == {str(f.resolve())}
    page3_line = len((dumps(page1) + "\n" + dumps(page2) + "\n").splitlines()) + 1
    assert [(line, reason) for _, line, reason, _ in q] == [
        (line_of(text, '"user_id": "missing-field"'), "input_tokens is missing"),
        (line_of(text, '"user_id": "too-cached"'),
         f"cached ({r['input_tokens'] + 1}) + cache-write ({r['input_cache_write_tokens']}) tokens exceed "
         f"input_tokens ({r['input_tokens']})"),
        (line_of(text, '"user_id": "fractional"'), "output_tokens: not a whole number '1.5'"),
        (page3_line, q[3][2]),
    ]
    assert q[3][2].startswith("unreadable JSON (truncated or invalid)")
    assert '"user_id": "missing-field"' in q[0][3]  # the record's own text
    assert rows(db, "SELECT user_id FROM llm_usage_buckets") == [("good",)]


def test_a_currency_other_than_usd_needs_a_rate(tmp_path: Path) -> None:
    c = load(OPENAI / "costs.example.json")["data"][0]["results"][0]
    eur = dict(c, amount={"value": Decimal("12.345678901234"), "currency": "eur"}, line_item="eu")
    bad = dict(c, amount={"value": Decimal("1"), "currency": "euro"}, line_item="bad")
    f = write(tmp_path / "costs.json", dumps(page([bucket(1730419200, [c, eur, bad])])))
    db = tmp_path / "s.duckdb"
    report = ingest_provider(db, "openai-costs", [f])
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 1, 2)
    reasons = [r[0] for r in rows(db, "SELECT reason FROM quarantine ORDER BY line, reason")]
    assert "currency EUR is not USD and no rate was given (use --usd-rate EUR=<USD per EUR>)" in reasons
    assert "unknown currency 'euro'" in reasons

    db2 = tmp_path / "rated.duckdb"
    ingest_provider(db2, "openai-costs", [f], options=ConnectorOptions(usd_rates={"EUR": Decimal("1.08")}))
    got = rows(db2, "SELECT BilledCost, BillingCurrency, PricingCurrency, PricingCurrencyEffectiveCost FROM focus_charges "
                    "WHERE PricingCurrency IS NOT NULL")
    usd = (Decimal("12.345678901234") * Decimal("1.08")).quantize(Decimal("1e-12"))  # DECIMAL(38,12) in the store
    assert got == [(usd, "USD", "EUR", Decimal("12.345678901234"))]


def test_anthropic_cents_are_exact_decimal_strings(tmp_path: Path) -> None:
    a = load(ANTHROPIC / "cost_report.example.json")
    res = a["data"][0]["results"][0]
    a["data"][0]["results"] = [dict(res, amount="0.000000001"), dict(res, amount="99999999999.99999", description="big"),
                               dict(res, amount="12,5", description="comma"), dict(res, currency="EUR", description="eur")]
    f = write(tmp_path / "cost.json", dumps(a))
    db = tmp_path / "s.duckdb"
    report = ingest_provider(db, "anthropic-costs", [f])
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (4, 2, 2)
    assert sorted(r[0] for r in rows(db, "SELECT BilledCost FROM focus_charges")) == [
        Decimal("0.00000000001"), Decimal("999999999.9999999")]
    reasons = sorted(r[0] for r in rows(db, "SELECT reason FROM quarantine"))
    assert reasons[0].startswith("amount: not a decimal number '12,5'") and "EUR is not USD" in reasons[1]


def test_wrong_kind_or_not_json_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with pytest.raises(IngestError, match="OpenAI Costs API pages; use `finops ingest openai-costs`"):
        ingest_provider(db, "openai-usage", [OPENAI / "costs.example.json"])
    with pytest.raises(IngestError, match="Anthropic usage report pages; use `finops ingest anthropic-usage`"):
        ingest_provider(db, "openai-usage", [ANTHROPIC / "usage_report_messages.example.json"])
    with pytest.raises(IngestError, match="not JSON"):
        ingest_provider(db, "anthropic-costs", [DATA / "dcgm" / "metrics.datadog-fixture.txt"])
    with pytest.raises(IngestError, match="no such file"):
        ingest_provider(db, "openai-costs", [tmp_path / "missing.json"])
    with pytest.raises(IngestError, match="empty file"):
        ingest_provider(db, "openai-costs", [write(tmp_path / "empty.json", "  \n")])
    assert not db.exists()  # every input is checked before the store is opened


# -- re-ingest replaces -------------------------------------------------------------------------------------
def test_reingest_replaces_the_same_days(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    pages = three_pages()
    f = write(tmp_path / "pull.json", "\n".join(dumps(p) for p in pages))
    ingest_provider(db, "openai-usage", [f])
    before = usage_totals(db)
    again = ingest_provider(db, "openai-usage", [f], policy=LoadPolicy(force=True))  # same content: forced
    assert again.files[0].rows_replaced == 3 and usage_totals(db) == before
    # a re-pull of the first day at 1-hour buckets replaces that day's 1-day bucket, nothing else
    r = pages[0]["data"][0]["results"][0]
    hourly = [bucket(1730419200 + h * 3600, [dict(r, num_model_requests=1)], width=3600) for h in range(24)]
    h = write(tmp_path / "hourly.json", dumps(page(hourly)))
    rep = ingest_provider(db, "openai-usage", [h])
    assert rep.files[0].rows_replaced == 1
    assert rows(db, "SELECT count(*), sum(requests) FROM llm_usage_buckets WHERE bucket_start < ?",
                [datetime(2024, 11, 2)])[0] == (24, 24)
    assert rows(db, "SELECT count(*) FROM llm_usage_buckets")[0][0] == 26
    assert rows(db, "SELECT count(*) FROM ingest_runs WHERE source = 'openai-usage'")[0][0] == 3

    # costs: the same days of the same account are replaced; another account's are not
    c = write(tmp_path / "costs.json", (OPENAI / "costs.example.json").read_text())
    ingest_provider(db, "openai-costs", [c], options=ConnectorOptions(account="org-a"))
    ingest_provider(db, "openai-costs", [c], options=ConnectorOptions(account="org-b"))
    rep = ingest_provider(db, "openai-costs", [c], options=ConnectorOptions(account="org-a"), policy=LoadPolicy(force=True))
    assert rep.files[0].rows_replaced == 1
    assert rows(db, "SELECT BillingAccountId, count(*) FROM focus_charges GROUP BY 1 ORDER BY 1") == [
        ("org-a", 1), ("org-b", 1)]


def test_duplicate_result_in_one_input_is_quarantined(tmp_path: Path) -> None:
    p = load(OPENAI / "usage_completions.example.json")
    p["data"][0]["results"] = p["data"][0]["results"] * 2
    f = write(tmp_path / "dup.json", dumps(p))
    report = ingest_provider(tmp_path / "s.duckdb", "openai-usage", [f])
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert report.files[0].first_rejects[0].reason.startswith("duplicate of the record at line 9")


# -- totals equal an independent computation; unknown prices stay unknown --------------------------------------
def test_bucket_costs_equal_an_independent_computation(tmp_path: Path) -> None:
    models = ["gpt-4.1", "gpt-4o-mini-2024-07-18", "gpt-4o", "no-such-model-x"]
    results = []
    expected = Decimal(0)
    for i in range(60):
        model = models[i % 4]
        inp, cached, write_, out = 1000 + 37 * i, 100 + i, (i % 5) * 10, 200 + 11 * i
        batch = i % 3 == 0
        results.append({"object": "organization.usage.completions.result", "input_tokens": inp,
                        "input_cached_tokens": cached, "input_cache_write_tokens": write_, "output_tokens": out,
                        "num_model_requests": i + 1, "model": model, "batch": batch, "project_id": f"proj_{i % 3}",
                        "user_id": f"user_{i}"})
        if model in prices():
            expected += expected_cost(model, inp, cached, write_, 0, out, batch)
    f = write(tmp_path / "many.json", dumps(page([bucket(1730419200 + d * DAY, results[d * 20:(d + 1) * 20])
                                                   for d in range(3)])))
    db = tmp_path / "s.duckdb"
    report = ingest_provider(db, "openai-usage", [f])
    assert report.rows_loaded == 60
    total, unknown = rows(db, "SELECT sum(cost), count(*) FILTER (WHERE cost IS NULL) FROM llm_usage_buckets")[0]
    assert total == expected and unknown == 15
    assert any("no-such-model-x" in n for n in report.files[0].notes)

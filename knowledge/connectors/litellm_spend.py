"""`finops ingest litellm-spend`: LiteLLM proxy `LiteLLM_SpendLogs` exports -> `llm_calls`, one row per
request (calls = 1), keyed by `request_id` (a re-ingest replaces the same requests).

Formats: CSV or CSV.gz with the Prisma column names as header (a `psql \\copy ... CSV HEADER` export),
JSON (an array of rows, JSON Lines, or {"data": [...]}) and Parquet. Positions: CSV physical line of the
row's first line, JSON line of the row's '{', Parquet row number.

Mapping (SpendLogs has no cache-token columns; `metadata` is a JSON object whose keys grow across
versions, so it is read defensively and a malformed one is ignored with a note):
- ts = startTime (a time without zone is UTC, as LiteLLM writes it); latency_ms = request_duration_ms,
  else endTime - startTime;
- model = `model` (a 'provider/' prefix naming the same provider is dropped), else `model_group`;
  provider = custom_llm_provider (lower case), else the catalog's;
- input_tokens = prompt_tokens, output_tokens = completion_tokens, cached_input_tokens = the cache reads
  in metadata (usage_object / additional_usage_values: cache_read_input_tokens or
  prompt_tokens_details.cached_tokens), else 0;
- team = metadata.user_api_key_team_alias, else team_id; app = spend_logs_metadata.app, else an
  'app:<name>' request tag, else the virtual key's alias (metadata.user_api_key_alias); feature and
  prompt_id likewise from spend_logs_metadata or 'feature:' / 'prompt_id:' tags; customer_id = end_user
  (the user the request names), else `user` (the internal user whose key made it);
  max_tokens = proxy_server_request.max_tokens (or max_completion_tokens); status = status.
- cost: from the price catalog at ingest (NULL = unknown for a model the catalog lacks). LiteLLM's own
  `spend` column is its price-map estimate, not an invoice: it is not loaded; its total is noted. A
  proxy cache hit (cache_hit true) never reached the provider: its cost is a known $0.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, overload

import duckdb

from knowledge.connection import connect
from knowledge.connectors.inputs import InputDoc
from knowledge.connectors.jsonpages import Broken, clip, documents, looks_like_json
from knowledge.connectors.records import ConnectorOptions, Parsed, Reject
from knowledge.connectors.values import MISSING, BadValue, checked_time, count, decimal, get, parse_time, text
from knowledge.ingest.errors import IngestError

KIND = "litellm-spend"
# Columns that mark a row as a SpendLogs row (any two of them).
SPEND_LOG_COLUMNS = ("request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
                     "completion_tokens", "startTime", "endTime", "model", "model_group", "custom_llm_provider",
                     "metadata", "request_tags", "team_id", "end_user", "cache_hit")


def _json_value(value: Any, name: str, parsed: Parsed) -> Any:
    """A Json column: already a dict/list (JSON, Parquet struct) or a JSON string (CSV); None if unusable."""
    if value is None or value is MISSING:
        return None
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        try:
            return json.loads(s, parse_float=Decimal)
        except (json.JSONDecodeError, RecursionError):
            parsed.note(f"a {name} value is not valid JSON; ignored for that row")
    return None


def _tags(value: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in value if isinstance(value, list) else []:
        if isinstance(tag, str) and ":" in tag:
            k, v = tag.split(":", 1)
            out.setdefault(k.strip().lower(), v.strip())
    return out


def _first(*values: Any) -> str | None:
    for v in values:
        if v is not None and v is not MISSING and not isinstance(v, (dict, list)) and str(v).strip():
            return str(v).strip()
    return None


def _cached_tokens(meta: dict) -> int:
    for key in ("usage_object.prompt_tokens_details.cached_tokens", "usage_object.cache_read_input_tokens",
                "additional_usage_values.cache_read_input_tokens",
                "additional_usage_values.prompt_tokens_details.cached_tokens"):
        try:
            v = count(meta, key)
        except BadValue:
            continue
        if v is not None:
            return v
    return 0


def _cache_hit(value: Any) -> bool:
    """SpendLogs.cache_hit is a String column: 'True'/'False' from LiteLLM, 't'/'f' or '' in some exports."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in ("true", "t", "1", "yes")


@overload
def _time(record: dict, key: str, required: Literal[True]) -> datetime: ...
@overload
def _time(record: dict, key: str, required: bool) -> datetime | None: ...
def _time(record: dict, key: str, required: bool) -> datetime | None:
    v = get(record, key)
    if v is MISSING or v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise BadValue(f"{key} is missing")
        return None
    if isinstance(v, datetime):
        try:
            t = v.replace(tzinfo=None) if v.tzinfo is None else v.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise BadValue(f"{key}: not a date/time {str(v)[:40]!r}") from None
        return checked_time(t, key, v)
    if not isinstance(v, str):
        raise BadValue(f"{key}: not a date/time {str(v)[:40]!r}")
    return parse_time(v, key, assume_utc=True)


def to_row(record: dict, parsed: Parsed, spend: list[Decimal]) -> dict[str, Any]:
    request_id = text(record, "request_id", required=True)
    ts = _time(record, "startTime", required=True)
    end = _time(record, "endTime", required=False)
    provider = (text(record, "custom_llm_provider") or "").lower() or None
    model = text(record, "model")
    if model and "/" in model and (provider is None or model.split("/", 1)[0].lower() == provider):
        model = model.split("/", 1)[1]
    model = model or text(record, "model_group")
    if not model:
        raise BadValue("model is missing (no model or model_group)")
    meta = _json_value(get(record, "metadata"), "metadata", parsed)
    meta = meta if isinstance(meta, dict) else {}
    custom = meta.get("spend_logs_metadata")
    custom = custom if isinstance(custom, dict) else {}
    tags = _tags(_json_value(get(record, "request_tags"), "request_tags", parsed))
    request = _json_value(get(record, "proxy_server_request"), "proxy_server_request", parsed)
    request = request if isinstance(request, dict) else {}
    inp = count(record, "prompt_tokens") or 0
    cached = _cached_tokens(meta)
    if cached > inp:
        raise BadValue(f"cached tokens {cached} (metadata) exceed prompt_tokens {inp}")
    latency = count(record, "request_duration_ms")
    if latency is None and end is not None and end >= ts:
        latency = int((end - ts).total_seconds() * 1000)
    max_tokens = count(request, "max_tokens")
    if max_tokens is None:
        max_tokens = count(request, "max_completion_tokens")
    try:
        cost = decimal(record, "spend")
    except BadValue:  # LiteLLM's own estimate is only noted, never loaded: a bad one costs the row nothing
        cost = None
        parsed.note("a spend value is not a usable number; left out of the spend column's total")
    if cost is not None:
        spend.append(cost)
    return {
        "ts": ts, "provider": provider, "model": model,
        "app": _first(custom.get("app"), tags.get("app"), meta.get("user_api_key_alias")),
        "feature": _first(custom.get("feature"), tags.get("feature")),
        "team": _first(meta.get("user_api_key_team_alias"), get(record, "team_id")),
        "prompt_id": _first(custom.get("prompt_id"), tags.get("prompt_id"), tags.get("prompt")),
        "calls": 1, "input_tokens": inp, "cached_input_tokens": cached,
        "output_tokens": count(record, "completion_tokens") or 0, "max_tokens": max_tokens, "latency_ms": latency,
        "status": text(record, "status"),
        "customer_id": _first(get(record, "end_user"), get(record, "user")), "request_id": request_id,
        "cache_hit": _cache_hit(get(record, "cache_hit")), "x_key": request_id,
    }


def _is_spend_log(keys: Any) -> bool:
    return sum(1 for c in SPEND_LOG_COLUMNS if c in keys) >= 2


def _csv_records(text_: str, doc: InputDoc) -> Iterator[tuple[int, dict, str]]:
    reader = csv.reader(io.StringIO(text_, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise IngestError(f"{doc.shown}: not a readable CSV ({exc})") from exc
    header = [h.strip() for h in header]
    if not _is_spend_log(header):
        raise IngestError(f"{doc.shown}: not a LiteLLM_SpendLogs export (columns: {', '.join(header[:8])})")
    line = reader.line_num
    while True:
        start = line + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, {"__error__": f"cannot split the row: {exc}"}, ""
            return
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        raw = ",".join(fields)
        if len(fields) != len(header):
            yield start, {"__error__": f"cannot split the row: expected {len(header)} fields, found {len(fields)}"}, raw
            continue
        yield start, {h: (v if v != "" else None) for h, v in zip(header, fields)}, raw


def _json_records(doc: InputDoc, parsed: Parsed) -> Iterator[tuple[int, dict, str]]:
    found = False
    for item in documents(doc.text_chunks()):
        if isinstance(item, Broken):
            yield item.line, {"__error__": f"unreadable JSON (truncated or invalid): {item.error}"}, item.text
            return
        value = item.value
        if isinstance(value, dict) and isinstance(value.get("data"), list):
            value = value["data"]
        rows = value if isinstance(value, list) else [value]
        if not found and rows and isinstance(rows[0], dict) and not _is_spend_log(rows[0]):
            hint = " (a /global/spend/report response: per-team totals, not request rows)" \
                if "group_by_day" in rows[0] or "teams" in rows[0] else ""
            raise IngestError(f"{doc.shown}: not LiteLLM_SpendLogs rows{hint}")
        for row in rows:
            found = True
            if not isinstance(row, dict):
                yield item.line(), {"__error__": "row is not an object"}, clip(repr(row))
                continue
            yield item.line(row), row, item.source(row)


def _parquet_records(doc: InputDoc) -> Iterator[tuple[int, dict, str]]:
    tmp: str | None
    path, tmp = (str(doc.path), None) if doc.path is not None else (None, None)
    if path is None:
        fd, tmp = tempfile.mkstemp(suffix=".parquet")
        with os.fdopen(fd, "wb") as fh:
            fh.write(doc.data)
        path = tmp
    con = connect(":memory:")
    try:
        cur = con.execute("SELECT * FROM read_parquet(?)", [path])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except duckdb.Error as exc:
        raise IngestError(f"{doc.shown}: not a readable Parquet file ({str(exc).splitlines()[0]})") from exc
    finally:
        con.close()
        if tmp:
            os.unlink(tmp)
    if not _is_spend_log(names):
        raise IngestError(f"{doc.shown}: not a LiteLLM_SpendLogs export (columns: {', '.join(names[:8])})")
    for i, values in enumerate(rows, start=1):
        record = {n: (format(v, "f") if isinstance(v, float) else v) for n, v in zip(names, values)}
        yield i, record, clip(json.dumps(record, default=str))


def parse(doc: InputDoc, options: ConnectorOptions) -> Parsed:
    if doc.data[:4] == b"PAR1":
        fmt, records = "Parquet", _parquet_records(doc)
        parsed = Parsed(KIND, doc.name, doc.shown, fmt)
    else:
        fmt = "JSON" if looks_like_json(doc.head()) else "CSV"
        parsed = Parsed(KIND, doc.name, doc.shown, fmt)
        records = _json_records(doc, parsed) if fmt == "JSON" else _csv_records(doc.text(), doc)
    spend: list[Decimal] = []
    for line, record, raw in records:
        if "__error__" in record:
            parsed.rejects.append(Reject(line, record["__error__"], raw))
            continue
        try:
            row = to_row(record, parsed, spend)
        except BadValue as exc:
            parsed.rejects.append(Reject(line, str(exc), raw))
            continue
        row["x_line"] = line
        parsed.rows.append(row)
    if spend:
        parsed.note(f"LiteLLM's own spend column totals ${sum(spend, Decimal(0))} for the loaded rows "
                    "(its price-map estimate; not loaded: cost comes from the price catalog)")
    return parsed

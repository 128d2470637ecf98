"""`finops ingest openai-usage`: OpenAI Usage API pages (GET /v1/organization/usage/{completions,
embeddings, moderations, images, audio_speeches, audio_transcriptions, vector_stores,
code_interpreter_sessions, file_search_calls, web_search_calls}) -> `llm_usage_buckets`.

Decision: usage buckets go to their own table, `llm_usage_buckets`, not into `llm_calls` as aggregate
rows. A bucket has dimensions `llm_calls` lacks (project, API key, user, batch, service tier, bucket
end, cache-write tokens) and, above all, it usually describes the same traffic as the call logs an
organization already keeps (a LiteLLM proxy, an app's own log): adding both to one table would count
that spend twice in every tool that reads `llm_calls`. The `llm_usage` view (migration 3) gives the
LLM-spend tool both: every call-log row, plus the token buckets of the (provider, day)s no call log
covers; calls = num_model_requests, ts = bucket start, app = project.

Both field sets load: the 2024-12 one (input_tokens, input_cached_tokens, output_tokens,
num_model_requests, project_id, user_id, api_key_id, model, batch) and the current one (adds
input_cache_write_tokens, input_uncached_tokens, the text/audio/image splits, service_tier); a field a
result lacks is NULL. Fields this connector does not know (a newer API) are kept, as sent, in `details`.
Token counts must be whole and non-negative; cached + cache-write tokens may not exceed input tokens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from knowledge.connectors.inputs import InputDoc
from knowledge.connectors.pages import PageShape, walk
from knowledge.connectors.records import ConnectorOptions, Parsed
from knowledge.connectors.values import BadValue, count, flag, text, unix_time

KIND = "openai-usage"
PROVIDER = "openai"
SHAPE = PageShape(KIND, "start_time", "end_time", unix_time)

# result object -> (endpoint, quantity field, unit): the 11 documented result types.
RESULTS: dict[str, tuple[str, str | None, str | None]] = {
    "organization.usage.completions.result": ("completions", None, None),
    "organization.usage.embeddings.result": ("embeddings", None, None),
    "organization.usage.moderations.result": ("moderations", None, None),
    "organization.usage.images.result": ("images", "images", "images"),
    "organization.usage.audio_speeches.result": ("audio_speeches", "characters", "characters"),
    "organization.usage.audio_transcriptions.result": ("audio_transcriptions", "seconds", "seconds"),
    "organization.usage.vector_stores.result": ("vector_stores", "usage_bytes", "bytes"),
    "organization.usage.code_interpreter_sessions.result": ("code_interpreter_sessions", "num_sessions", "sessions"),
    "organization.usage.file_searches.result": ("file_searches", "num_requests", "requests"),
    "organization.usage.web_searches.result": ("web_searches", "num_requests", "requests"),
}
TOKEN_RESULTS = ("completions", "embeddings", "moderations")
DIMENSIONS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
# Dimensions kept in `details` (they still tell two results of a bucket apart).
DETAIL_DIMENSIONS = ("size", "source", "context_level", "vector_store_id")
_MAPPED = {"object", "input_tokens", "input_cached_tokens", "input_cache_write_tokens", "output_tokens",
           "num_model_requests", *DIMENSIONS}


def to_row(result: dict, start: datetime, end: datetime, account: str | None) -> dict[str, Any]:
    obj = result.get("object")
    if obj is None:
        raise BadValue("result has no 'object' type")
    if obj == "organization.costs.result":
        raise BadValue("a Costs API result: load it with `finops ingest openai-costs`")
    if not isinstance(obj, str) or not obj.startswith("organization.usage.") or not obj.endswith(".result"):
        raise BadValue(f"unknown result object {str(obj)[:60]!r}")
    endpoint, qty_field, unit = RESULTS.get(obj, (obj[len("organization.usage."):-len(".result")], None, None))
    tokens = endpoint in TOKEN_RESULTS
    row: dict[str, Any] = {
        "provider": PROVIDER, "account": account, "endpoint": endpoint, "bucket_start": start, "bucket_end": end,
        "project_id": text(result, "project_id"), "user_id": text(result, "user_id"),
        "api_key_id": text(result, "api_key_id"), "model": text(result, "model"), "batch": flag(result, "batch"),
        "service_tier": text(result, "service_tier"),
        "requests": count(result, "num_model_requests", required=endpoint in (*TOKEN_RESULTS, "images")),
        "input_tokens": count(result, "input_tokens", required=tokens),
        "cached_input_tokens": count(result, "input_cached_tokens"),
        "cache_write_input_tokens": count(result, "input_cache_write_tokens"),
        "output_tokens": count(result, "output_tokens", required=endpoint == "completions"),
    }
    if tokens:
        for key in ("cached_input_tokens", "cache_write_input_tokens", "output_tokens"):
            row[key] = row[key] or 0
        if row["cached_input_tokens"] + row["cache_write_input_tokens"] > row["input_tokens"]:
            raise BadValue(f"cached ({row['cached_input_tokens']}) + cache-write ({row['cache_write_input_tokens']}) "
                           f"tokens exceed input_tokens ({row['input_tokens']})")
    if qty_field is not None:
        row["quantity"] = count(result, qty_field, required=True)
        row["unit"] = unit
        if endpoint == "file_searches":
            row["requests"] = row["quantity"]
    details = {k: v for k, v in result.items() if k not in _MAPPED and k != qty_field and v is not None}
    row["details"] = details or None
    row["x_key"] = (endpoint, start, end, *(row[d] for d in DIMENSIONS),
                    *(str(result.get(d)) for d in DETAIL_DIMENSIONS))
    return row


def parse(doc: InputDoc, options: ConnectorOptions) -> Parsed:
    parsed = Parsed(KIND, doc.name, doc.shown, "JSON pages", account=options.account)
    walk(doc, SHAPE, parsed, lambda r, s, e: to_row(r, s, e, options.account))
    unknown = sorted({r["endpoint"] for r in parsed.rows} - {e for e, _, _ in RESULTS.values()})
    if unknown:
        parsed.note(f"result type(s) new to this connector loaded by their common fields: {', '.join(unknown)}")
    return parsed

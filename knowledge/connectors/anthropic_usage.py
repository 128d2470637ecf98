"""`finops ingest anthropic-usage`: Anthropic Admin API usage report pages
(GET /v1/organizations/usage_report/messages) -> `llm_usage_buckets` (endpoint 'messages').

Buckets are bounded by RFC 3339 times (`starting_at` inclusive, `ending_at` exclusive). Anthropic's input
parts are disjoint; they are stored the way OpenAI counts them so one cost rule prices both:
input_tokens = uncached_input_tokens + cache writes (5 min + 1 h) + cache_read_input_tokens;
cached_input_tokens = cache reads; cache_write_input_tokens = 5 min + 1 h writes (the 1 h part also in
cache_write_1h_input_tokens, priced at 2x input). `workspace_id` is the project (NULL = the default
workspace). The report has no request count: `requests` is NULL (calls unknown, not 0).
service_tier 'batch' sets `batch`. Newer dimensions (account_id, service_account_id, inference_geo,
speed) and server tool use (web_search_requests) are kept in `details`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from knowledge.connectors.inputs import InputDoc
from knowledge.connectors.pages import PageShape, walk
from knowledge.connectors.records import ConnectorOptions, Parsed
from knowledge.connectors.values import BadValue, count, rfc3339, text

KIND = "anthropic-usage"
PROVIDER = "anthropic"
SHAPE = PageShape(KIND, "starting_at", "ending_at", lambda r, k: rfc3339(r, k))
DIMENSIONS = ("api_key_id", "workspace_id", "model", "service_tier", "context_window",
              "account_id", "service_account_id", "inference_geo", "speed")
_MAPPED = {"uncached_input_tokens", "cache_creation", "cache_read_input_tokens", "output_tokens",
           "api_key_id", "workspace_id", "model", "service_tier", "context_window"}


def to_row(result: dict, start: datetime, end: datetime, account: str | None) -> dict[str, Any]:
    if "amount" in result:
        raise BadValue("a cost report result: load it with `finops ingest anthropic-costs`")
    uncached = count(result, "uncached_input_tokens", required=True)
    write_5m = count(result, "cache_creation.ephemeral_5m_input_tokens") or 0
    write_1h = count(result, "cache_creation.ephemeral_1h_input_tokens") or 0
    reads = count(result, "cache_read_input_tokens") or 0
    tier = text(result, "service_tier")
    row: dict[str, Any] = {
        "provider": PROVIDER, "account": account, "endpoint": "messages", "bucket_start": start, "bucket_end": end,
        "project_id": text(result, "workspace_id"), "user_id": None, "api_key_id": text(result, "api_key_id"),
        "model": text(result, "model"), "batch": None if tier is None else tier == "batch", "service_tier": tier,
        "context_window": text(result, "context_window"), "requests": None,
        "input_tokens": uncached + write_5m + write_1h + reads, "cached_input_tokens": reads,
        "cache_write_input_tokens": write_5m + write_1h, "cache_write_1h_input_tokens": write_1h,
        "output_tokens": count(result, "output_tokens", required=True),
    }
    details = {k: v for k, v in result.items() if k not in _MAPPED and v is not None}
    row["details"] = details or None
    row["x_key"] = (start, end, *(str(result.get(d)) for d in DIMENSIONS))
    return row


def parse(doc: InputDoc, options: ConnectorOptions) -> Parsed:
    parsed = Parsed(KIND, doc.name, doc.shown, "JSON pages", account=options.account)
    walk(doc, SHAPE, parsed, lambda r, s, e: to_row(r, s, e, options.account))
    return parsed

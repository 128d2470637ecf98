"""Walk the bucketed, paginated JSON pages that OpenAI and Anthropic usage/cost endpoints return.

    page   = {"data": [bucket, ...], "has_more": bool, "next_page": str | null}   (+ "object": "page" at OpenAI)
    bucket = {<start>, <end>, "results": [result, ...]}

A record is one result. Each one becomes a row (via the connector's `to_row`) or a reject with the line
of its '{' in the file. A page or bucket that cannot be read rejects what it holds: an unreadable
(truncated, invalid) document is one reject at the line where it starts; a page without a `data` list
is one reject; a bucket with bad bounds rejects each of its results (or itself when it holds none).
A file whose pages are recognisably of another kind is refused whole (IngestError, nothing loaded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from knowledge.connectors.inputs import InputDoc
from knowledge.connectors.jsonpages import Broken, Document, clip, documents, looks_like_json
from knowledge.connectors.records import Parsed, Reject
from knowledge.connectors.values import BadValue
from knowledge.ingest.errors import IngestError

RowMaker = Callable[[dict, datetime, datetime], dict[str, Any]]

KIND_NAMES = {
    "openai-usage": "OpenAI Usage API pages",
    "openai-costs": "OpenAI Costs API pages",
    "anthropic-usage": "Anthropic usage report pages",
    "anthropic-costs": "Anthropic cost report pages",
}


@dataclass(frozen=True)
class PageShape:
    kind: str  # the connector's kind, e.g. openai-usage
    start_key: str
    end_key: str
    read_time: Callable[[dict, str], datetime]


def sniff(value: Any) -> str | None:
    """Which kind of page `value` is (by its first recognisable result), or None."""
    for page in value if isinstance(value, list) else [value]:
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            continue
        for bucket in page["data"]:
            if not isinstance(bucket, dict):
                continue
            anthropic = "starting_at" in bucket
            for r in bucket.get("results") or []:
                if not isinstance(r, dict):
                    continue
                obj = r.get("object")
                if isinstance(obj, str) and obj.startswith("organization."):
                    return "openai-costs" if obj == "organization.costs.result" else "openai-usage"
                if "amount" in r:
                    return "anthropic-costs" if anthropic else "openai-costs"
                if "uncached_input_tokens" in r or "cache_read_input_tokens" in r or "cache_creation" in r:
                    return "anthropic-usage"
                if "num_model_requests" in r or "input_tokens" in r:
                    return "openai-usage"
    return None


def walk(doc: InputDoc, shape: PageShape, parsed: Parsed, to_row: RowMaker) -> None:
    """Parse every page of `doc` into `parsed` (rows and rejects)."""
    if not looks_like_json(doc.head()):
        raise IngestError(f"{doc.shown}: not JSON; expected {KIND_NAMES[shape.kind]}")
    last_page: dict | None = None
    pages_seen = 0
    for item in documents(doc.text_chunks()):
        if isinstance(item, Broken):
            parsed.rejects.append(Reject(item.line, f"unreadable JSON (truncated or invalid): {item.error}", item.text))
            parsed.note("the file ends in unreadable JSON: the pages before it were loaded, the rest quarantined")
            break
        kind = sniff(item.value)
        if kind is not None and kind != shape.kind and pages_seen == 0 and not parsed.rows:
            raise IngestError(f"{doc.shown}: these are {KIND_NAMES[kind]}; use `finops ingest {kind}`")
        pages = item.value if isinstance(item.value, list) else [item.value]
        for page in pages:
            pages_seen += 1
            last_page = page if isinstance(page, dict) else None
            _page(item, page, shape, parsed, to_row)
    if pages_seen == 0:
        why = f" (line {parsed.rejects[-1].line}: {parsed.rejects[-1].reason})" if parsed.rejects else ""
        raise IngestError(f"{doc.shown}: no page found{why}; expected {KIND_NAMES[shape.kind]}")
    if last_page is not None and last_page.get("has_more") is True:
        parsed.note(f"the last page says has_more with next_page {last_page.get('next_page')!r}: "
                    "later pages were not given (pass them too, or pull with --from-api)")
    if pages_seen > 1:
        parsed.note(f"{pages_seen} pages")


def _page(doc: Document, page: Any, shape: PageShape, parsed: Parsed, to_row: RowMaker) -> None:
    at = page if isinstance(page, dict) else None
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        bare = isinstance(page, dict) and (str(page.get("object", "")).endswith(".result") or "amount" in page
                                           or "output_tokens" in page or "input_tokens" in page)
        reason = ("a single result without its page and bucket: it has no start/end time" if bare
                  else "not a page: no 'data' list")
        parsed.rejects.append(Reject(doc.line(at), reason, doc.source(at)))
        return
    if "object" in page and page["object"] != "page":
        parsed.rejects.append(Reject(doc.line(at), f"not a page: object is {page['object']!r}", doc.source(at)))
        return
    for bucket in page["data"]:
        b_at = bucket if isinstance(bucket, dict) else at
        if not isinstance(bucket, dict):
            parsed.rejects.append(Reject(doc.line(b_at), "bucket is not an object", clip(repr(bucket))))
            continue
        results = bucket.get("results")
        try:
            start = shape.read_time(bucket, shape.start_key)
            end = shape.read_time(bucket, shape.end_key)
            if end <= start:
                raise BadValue(f"bucket {shape.end_key} is not after {shape.start_key}")
            if not isinstance(results, list):
                raise BadValue("bucket has no 'results' list")
        except BadValue as exc:
            bad = [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []
            if not bad:
                parsed.rejects.append(Reject(doc.line(b_at), f"bucket: {exc}", doc.source(b_at)))
            for r in bad:
                parsed.rejects.append(Reject(doc.line(r), f"bucket: {exc}", doc.source(r)))
            continue
        for result in results:
            r_at = result if isinstance(result, dict) else b_at
            if not isinstance(result, dict):
                parsed.rejects.append(Reject(doc.line(r_at), "result is not an object", clip(repr(result))))
                continue
            try:
                row = to_row(result, start, end)
            except BadValue as exc:
                parsed.rejects.append(Reject(doc.line(r_at), str(exc), doc.source(r_at)))
                continue
            row["x_line"] = doc.line(r_at)
            parsed.rows.append(row)

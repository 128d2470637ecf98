"""Optional live pull (`--from-api`): fetch usage / cost pages from the providers' Admin APIs into files,
which then load through the same parsers as pages a user saved by hand.

- Keys come from the environment only: OPENAI_ADMIN_KEY (Authorization: Bearer), ANTHROPIC_ADMIN_KEY
  (x-api-key, anthropic-version 2023-06-01). A key is never printed or stored.
- Base URLs: FINOPS_OPENAI_ADMIN_URL (default https://api.openai.com/v1) and FINOPS_ANTHROPIC_ADMIN_URL
  (default https://api.anthropic.com/v1), for proxies and tests.
- Pagination: `next_page` is passed back as `page` while `has_more` is true.
- Resumable: each page is written to `<pages_dir>/<endpoint>-page-NNNN.json` (write, then rename) and
  `<endpoint>.state.json` records the request and the cursor of the next page. A pull that stopped
  (network, HTTP error, Ctrl-C) continues from that cursor when run again with the same request; a
  finished one is not fetched again; a different request starts over in that directory.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from knowledge.ingest.errors import IngestError

USER_AGENT = "finops-connectors/0.1"
ANTHROPIC_VERSION = "2023-06-01"
OPENAI_USAGE_ENDPOINTS = ("completions", "embeddings", "moderations", "images", "audio_speeches",
                          "audio_transcriptions", "vector_stores", "code_interpreter_sessions")


@dataclass(frozen=True)
class Api:
    key_env: str
    url_env: str
    default_url: str


OPENAI = Api("OPENAI_ADMIN_KEY", "FINOPS_OPENAI_ADMIN_URL", "https://api.openai.com/v1")
ANTHROPIC = Api("ANTHROPIC_ADMIN_KEY", "FINOPS_ANTHROPIC_ADMIN_URL", "https://api.anthropic.com/v1")


@dataclass(frozen=True)
class PullRequest:
    kind: str  # openai-usage | openai-costs | anthropic-usage | anthropic-costs
    start: datetime  # UTC
    end: datetime | None = None
    bucket_width: str = "1d"
    group_by: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()  # openai-usage only (default: completions)
    limit: int | None = None


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _targets(req: PullRequest) -> list[tuple[str, Api, str, list[tuple[str, str]]]]:
    """(endpoint name, api, path, query parameters without `page`) for each endpoint to pull."""
    start, end = _utc(req.start), _utc(req.end) if req.end else None
    if req.kind.startswith("openai-"):
        params = [("start_time", str(int(start.timestamp()))), ("bucket_width", req.bucket_width)]
        if end is not None:
            params.append(("end_time", str(int(end.timestamp()))))
        params += [("group_by", g) for g in req.group_by]
        if req.limit:
            params.append(("limit", str(req.limit)))
        if req.kind == "openai-costs":
            return [("costs", OPENAI, "/organization/costs", params)]
        endpoints = req.endpoints or ("completions",)
        for e in endpoints:
            if e not in OPENAI_USAGE_ENDPOINTS:
                raise IngestError(f"unknown OpenAI usage endpoint {e!r}; use one of {', '.join(OPENAI_USAGE_ENDPOINTS)}")
        return [(e, OPENAI, f"/organization/usage/{e}", params) for e in endpoints]
    if req.kind.startswith("anthropic-"):
        params = [("starting_at", start.strftime("%Y-%m-%dT%H:%M:%SZ")), ("bucket_width", req.bucket_width)]
        if end is not None:
            params.append(("ending_at", end.strftime("%Y-%m-%dT%H:%M:%SZ")))
        params += [("group_by[]", g) for g in req.group_by]
        if req.limit:
            params.append(("limit", str(req.limit)))
        if req.kind == "anthropic-costs":
            return [("cost_report", ANTHROPIC, "/organizations/cost_report", params)]
        return [("messages", ANTHROPIC, "/organizations/usage_report/messages", params)]
    raise IngestError(f"--from-api is not available for {req.kind}")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _get(api: Api, key: str, base: str, path: str, params: list[tuple[str, str]], timeout: float) -> str:
    url = base.rstrip("/") + path + "?" + urllib.parse.urlencode(params)
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if api is ANTHROPIC:
        headers.update({"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION})
    else:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - https or a test URL
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")[:300] if exc.fp else ""
        raise IngestError(f"{base}{path}: HTTP {exc.code} {exc.reason}: {body.strip()}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise IngestError(f"{base}{path}: cannot connect ({reason})") from exc


def pull(req: PullRequest, pages_dir: str | Path, *, env: Mapping[str, str] | None = None,
         timeout: float = 60.0, max_pages: int = 10_000) -> list[Path]:
    """Fetch every page of `req` into `pages_dir` (resuming an interrupted pull); returns the page files.

    Raises IngestError (with the pages so far kept for a resume) on a missing key or an HTTP error."""
    env = os.environ if env is None else env
    out_dir = Path(pages_dir).expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for name, api, path, params in _targets(req):
        key = env.get(api.key_env, "").strip()
        if not key:
            raise IngestError(f"--from-api needs an admin API key in the environment variable {api.key_env}")
        base = env.get(api.url_env, "").strip() or api.default_url
        files += _pull_endpoint(name, api, key, base, path, params, out_dir, timeout, max_pages)
    return files


def _pull_endpoint(name: str, api: Api, key: str, base: str, path: str, params: list[tuple[str, str]],
                   out_dir: Path, timeout: float, max_pages: int) -> list[Path]:
    state_file = out_dir / f"{name}.state.json"
    request_id = {"base": base, "path": path, "params": params}
    state: dict[str, Any] = {}
    if state_file.exists():
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            state = {}
    if state.get("request") != json.loads(json.dumps(request_id)):
        for old in out_dir.glob(f"{name}-page-*.json"):
            old.unlink()
        state = {"request": request_id, "pages": 0, "next_page": None, "done": False}
    while not state["done"]:
        if state["pages"] >= max_pages:
            raise IngestError(f"{base}{path}: more than {max_pages} pages; narrow the time range")
        query = list(params) + ([("page", state["next_page"])] if state["next_page"] else [])
        body = _get(api, key, base, path, query, timeout)
        try:
            page = json.loads(body)
        except json.JSONDecodeError as exc:
            raise IngestError(f"{base}{path}: the API answered with something that is not JSON ({exc.msg})") from exc
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            raise IngestError(f"{base}{path}: the API answered without a 'data' list")
        state["pages"] += 1
        _write_atomic(out_dir / f"{name}-page-{state['pages']:04d}.json", body)
        more = page.get("has_more") is True and bool(page.get("next_page"))
        state["next_page"] = page.get("next_page") if more else None
        state["done"] = not more
        _write_atomic(state_file, json.dumps(state, indent=1))
    return sorted(out_dir.glob(f"{name}-page-*.json"))


def pull_summary(files: Sequence[Path]) -> str:
    return f"{len(files)} page file(s) in {files[0].parent}" if files else "no pages"

"""The connectors through the real CLI (in-process: tests/cli.py) and the live pull (`--from-api`) against a loopback
HTTP server that serves the providers' sample pages page by page, with a failure to resume from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from knowledge.connectors import ingest_provider
from knowledge.connectors.live import PullRequest, pull
from knowledge.ingest import IngestError
from tests.cli import Ran, finops_cli
from tests.conftest import duckdb_connect

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parents[1] / "data" / "provider-usage"
DAY = 86400


def finops(*args: str, env: dict | None = None, stdin: str | None = None) -> Ran:
    base = {k: v for k, v in os.environ.items() if k not in ("FINOPS_DB", "OPENAI_ADMIN_KEY", "ANTHROPIC_ADMIN_KEY")}
    return finops_cli(*args, cwd=ROOT, env={**base, **(env or {})}, input=stdin)


def count(db: Path, sql: str) -> tuple:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


# -- a loopback Admin API -----------------------------------------------------------------------------------
def openai_pages() -> dict[str | None, str]:
    """Cursor -> page text: the current completions sample as page 1 (its own next_page cursor), then two
    more pages made here from it for the following days."""
    first = (DATA / "openai" / "usage_completions.example.json").read_text()
    cursor = json.loads(first)["next_page"]
    sample = json.loads(first)
    pages: dict[str | None, str] = {None: first}
    for i, (this, nxt) in enumerate(((cursor, "page_3"), ("page_3", None)), start=1):
        p = json.loads(first)
        p["data"][0]["start_time"] = sample["data"][0]["start_time"] + i * DAY
        p["data"][0]["end_time"] = sample["data"][0]["end_time"] + i * DAY
        p["has_more"], p["next_page"] = nxt is not None, nxt
        pages[this] = json.dumps(p, indent=4)
    return pages


def anthropic_pages() -> dict[str | None, str]:
    first = (DATA / "anthropic" / "usage_report_messages.example.json").read_text()
    p = json.loads(first)
    p["data"][0]["starting_at"], p["data"][0]["ending_at"] = "2025-08-02T00:00:00Z", "2025-08-03T00:00:00Z"
    p["has_more"], p["next_page"] = False, None
    return {None: first, json.loads(first)["next_page"]: json.dumps(p)}


class Api:
    def __init__(self, pages: dict[str, dict[str | None, str]]):
        self.pages = pages  # path -> cursor -> body
        self.requests: list[tuple[str, dict, dict]] = []
        self.fail_once: set[str | None] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> Api:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                u = urlparse(self.path)
                query = parse_qs(u.query)
                cursor = query.get("page", [None])[0]
                api.requests.append((u.path, query, {k.lower(): v for k, v in self.headers.items()}))
                body = api.pages.get(u.path.removeprefix("/v1"), {}).get(cursor)
                if cursor in api.fail_once:
                    api.fail_once.discard(cursor)
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "try later"}}')
                    return
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[Api]:
    server = Api({"/organization/usage/completions": openai_pages(),
                  "/organizations/usage_report/messages": anthropic_pages()}).start()
    yield server
    server.stop()


def test_live_pull_follows_pages_and_resumes(api: Api, tmp_path: Path) -> None:
    env = {"OPENAI_ADMIN_KEY": "sk-admin-test", "FINOPS_OPENAI_ADMIN_URL": api.url}
    req = PullRequest(kind="openai-usage", start=__import__("datetime").datetime(2024, 11, 1), group_by=("model",))
    api.fail_once.add("page_3")
    with pytest.raises(IngestError, match="HTTP 503"):
        pull(req, tmp_path / "pages", env=env)
    state = json.loads((tmp_path / "pages" / "completions.state.json").read_text())
    assert (state["pages"], state["next_page"], state["done"]) == (2, "page_3", False)
    cursors = [q.get("page", [None])[0] for _, q, _ in api.requests]
    assert cursors == [None, "page_AAAAAGdGxdEiJdKOAAAAAGcqsYA=", "page_3"]

    api.requests.clear()
    files = pull(req, tmp_path / "pages", env=env)  # resumes at the saved cursor
    assert [q.get("page", [None])[0] for _, q, _ in api.requests] == ["page_3"]
    assert [f.name for f in files] == ["completions-page-0001.json", "completions-page-0002.json",
                                       "completions-page-0003.json"]
    path, query, headers = api.requests[0]
    assert path == "/v1/organization/usage/completions"
    assert query["start_time"] == ["1730419200"] and query["group_by"] == ["model"] and query["bucket_width"] == ["1d"]
    assert headers["authorization"] == "Bearer sk-admin-test"

    api.requests.clear()
    assert pull(req, tmp_path / "pages", env=env) == files and api.requests == []  # finished: nothing refetched
    # the pages load through the same parser: one bucket per page, three days
    report = ingest_provider(tmp_path / "s.duckdb", "openai-usage", files)
    assert (report.rows_read, report.rows_loaded) == (3, 3)
    assert count(tmp_path / "s.duckdb", "SELECT count(DISTINCT bucket_start) FROM llm_usage_buckets") == (3,)


def test_live_pull_anthropic_headers_and_params(api: Api, tmp_path: Path) -> None:
    env = {"ANTHROPIC_ADMIN_KEY": "sk-ant-admin-test", "FINOPS_ANTHROPIC_ADMIN_URL": api.url}
    from datetime import datetime

    req = PullRequest(kind="anthropic-usage", start=datetime(2025, 8, 1), end=datetime(2025, 8, 3),
                      group_by=("model", "workspace_id"))
    files = pull(req, tmp_path / "pages", env=env)
    assert len(files) == 2
    _, query, headers = api.requests[0]
    assert headers["x-api-key"] == "sk-ant-admin-test" and headers["anthropic-version"] == "2023-06-01"
    assert query["starting_at"] == ["2025-08-01T00:00:00Z"] and query["ending_at"] == ["2025-08-03T00:00:00Z"]
    assert query["group_by[]"] == ["model", "workspace_id"]
    with pytest.raises(IngestError, match="ANTHROPIC_ADMIN_KEY"):
        pull(req, tmp_path / "other", env={})


def test_cli_from_api(api: Api, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    env = {"OPENAI_ADMIN_KEY": "sk-admin-test", "FINOPS_OPENAI_ADMIN_URL": api.url}
    out = finops("ingest", "openai-usage", "--from-api", "--start", "2024-11-01", "--db", str(db),
                 "--pages-dir", str(tmp_path / "pages"), env=env)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "pulled 3 page file(s)" in text and "total: read 3, loaded 3, quarantined 0" in text
    assert "sk-admin-test" not in text + out.stderr
    missing = finops("ingest", "openai-costs", "--from-api", "--start", "2024-11-01", "--db", str(tmp_path / "x.duckdb"))
    assert missing.returncode == 2 and "OPENAI_ADMIN_KEY" in missing.stderr


def test_cli_stdin_json_and_bad_input(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    sample = (DATA / "anthropic" / "cost_report.example.json").read_text()
    out = finops("ingest", "anthropic-costs", "-", "--db", str(db), "--account", "acme", "--json", stdin=sample)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["files"][0]["file"] == "<stdin>" and report["files"][0]["rows_loaded"] == 1
    assert count(db, "SELECT BillingAccountId, x_source_file FROM focus_charges") == ("acme", "<stdin>")
    before = count(db, "SELECT count(*) FROM ingest_runs")
    wrong = finops("ingest", "openai-usage", str(DATA / "openai" / "costs.example.json"), "--db", str(db))
    assert wrong.returncode == 2 and "use `finops ingest openai-costs`" in wrong.stderr
    assert count(db, "SELECT count(*) FROM ingest_runs") == before
    text = finops("ingest", "dcgm", str(DATA / "dcgm" / "metrics.datadog-fixture.txt"), "--db", str(db),
                  "--scraped-at", "2026-11-24T12:00:00Z")
    assert text.returncode == 0
    assert "read 3, loaded 2, quarantined 1" in text.stdout
    assert "line 95: DCGM_FI_PROF_GR_ENGINE_ACTIVE: no GPU labels" in text.stdout


def test_cli_reconcile_on_the_demo(demo_db: Path) -> None:
    out = finops("reconcile", "--db", str(demo_db), "--period", "2026-10")
    assert out.returncode == 0, out.stderr
    assert "LLM usage vs invoices" in out.stdout


def test_busy_store_waits_then_gives_up_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest_provider(db, "anthropic-costs", [DATA / "anthropic" / "cost_report.example.json"])
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        out = finops("ingest", "anthropic-usage", str(DATA / "anthropic" / "usage_report_messages.example.json"),
                     "--db", str(db), "--wait", "0.5")
        assert out.returncode == 2 and "in use by another process" in out.stderr
    finally:
        holder.kill()
        holder.wait()
    assert count(db, "SELECT count(*) FROM llm_usage_buckets") == (0,)
    assert count(db, "SELECT count(*) FROM ingest_runs") == (1,)

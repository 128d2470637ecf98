"""`finops slack --port`: the real command, its real HTTP server, Slack's signed requests over loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fakes.slack_api import BOT_USER_ID, FakeSlackApi, event_body, signed_headers

SECRET = "http-test-secret"


def _post(url: str, body: str, headers: dict[str, list[str]]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={k: v[0] for k, v in headers.items()})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def served(tmp_path: Path, writable_demo: Path):
    """`finops slack --port 0` in a subprocess, its Web API pointed at a loopback fake Slack."""
    with FakeSlackApi() as api:
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-http-test", "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": api.url, "FINOPS_PLANNER": "offline"}
        env.pop("SLACK_APP_TOKEN", None)
        env.pop("OPENAI_API_KEY", None)
        proc = subprocess.Popen([sys.executable, "-m", "apps.cli.main", "slack", "--port", "0", "--host", "127.0.0.1",
                                 "--db", str(writable_demo)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            line = proc.stdout.readline()
            assert "listening on http://" in line, (line, proc.stderr.read() if proc.poll() is not None else "")
            url = line.split("listening on ", 1)[1].split()[0]
            yield api, url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def test_starts_without_reaching_slack_and_answers_signed_requests(served, demo_facts: dict) -> None:
    api, url, proc = served
    assert api.calls == []                                   # no token check at start-up
    health = urllib.request.urlopen(url.replace("/slack/events", "/health"), timeout=5).read()
    assert health == b"ok"

    resource = demo_facts["cluster_20k"]["resource_id"]
    body = event_body({"type": "app_mention", "user": "U0MLPLAT1", "channel": "C0PLATFORM", "ts": "1800000000.000100",
                       "text": f"<@{BOT_USER_ID}> who owns {resource}?"}, event_id="EvHTTP1")
    started = time.monotonic()
    status, _ = _post(url, body, signed_headers(SECRET, body))
    assert status == 200 and time.monotonic() - started < 3          # acknowledged within Slack's 3 s
    reply = api.wait_for("chat.postMessage", timeout=60)[0]
    assert reply.args["channel"] == "C0PLATFORM" and reply.args["thread_ts"] == "1800000000.000100"
    assert demo_facts["cluster_20k"]["team"] in reply.texts()


def test_bad_signatures_are_rejected_over_http(served) -> None:
    api, url, proc = served
    body = event_body({"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1.2",
                       "text": f"<@{BOT_USER_ID}> help"}, event_id="EvHTTP2")
    assert _post(url, body, {"content-type": ["application/json"]})[0] == 401
    assert _post(url, body, signed_headers("wrong-secret", body))[0] == 401
    assert _post(url, body, signed_headers(SECRET, body, timestamp=int(time.time()) - 3600))[0] == 401
    assert api.of("chat.postMessage") == []


def test_missing_configuration_is_a_clear_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    result = subprocess.run([sys.executable, "-m", "apps.cli.main", "slack", "--port", "0", "--db",
                             str(tmp_path / "x.duckdb")], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "SLACK_SIGNING_SECRET" in result.stderr


def test_app_token_selects_socket_mode_through_the_configured_api(tmp_path: Path) -> None:
    """With SLACK_APP_TOKEN, `finops slack` opens a Socket Mode connection via SLACK_API_URL; a refused
    app token is a clear error (exit 2), not a traceback."""
    from knowledge.store import open_store

    open_store(tmp_path / "x.duckdb").close()       # a store named with --db must exist
    with FakeSlackApi(failing={"apps.connections.open": "invalid_auth"}) as api:
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-sock", "SLACK_APP_TOKEN": "xapp-1-test", "SLACK_API_URL": api.url}
        result = subprocess.run([sys.executable, "-m", "apps.cli.main", "slack", "--db", str(tmp_path / "x.duckdb")],
                                env=env, capture_output=True, text=True, timeout=60)
        assert [(c.method, c.token) for c in api.calls] == [("apps.connections.open", "xapp-1-test")]
    assert result.returncode == 2
    assert "Socket Mode" in result.stderr and "invalid_auth" in result.stderr and "Traceback" not in result.stderr

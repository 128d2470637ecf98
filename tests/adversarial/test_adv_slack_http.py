"""Issue 16, Slack HTTP server: hostile requests against the real `finops slack` process over loopback.

Every request is written byte by byte on a raw socket (http.client would refuse to send most of them):
bad Content-Length values are refused before the body is read, bad bodies get a clean 400, a bad
timestamp a 401, and the server never prints a traceback or stops answering.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

import psutil
import pytest
from fakes.slack_api import BOT_USER_ID, FakeSlackApi, event_body, signed_headers

SECRET = "adversarial-secret"
BOMB = ('name: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        'team: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
        'gpu_type: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
        'gpu_count: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
        'hours: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'
        'region: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n'
        'pricing: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n')


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "apps.cli.main", "slack", "--port", "0", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "listening on http://" in line, (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, line.split("listening on ", 1)[1].split()[0]


def _stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate(timeout=5)
    return err


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """`finops slack --port 0` (default host) on a copy of the demo store, Web API on a fake Slack."""
    store = tmp_path_factory.mktemp("adv-http") / "store.duckdb"
    shutil.copy(demo_db, store)
    with FakeSlackApi() as api:
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-adv", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api.url,
               "FINOPS_PLANNER": "offline"}
        env.pop("SLACK_APP_TOKEN", None)
        env.pop("OPENAI_API_KEY", None)
        proc, url = _start(["--db", str(store)], env)
        state = {"api": api, "url": url, "proc": proc, "stderr": None}
        yield state
        state["stderr"] = _stop(proc)
        assert "Traceback" not in state["stderr"], state["stderr"][-3000:]


def _connect(url: str) -> socket.socket:
    u = urlparse(url)
    sock = socket.create_connection((u.hostname, u.port), timeout=10)
    return sock


def _head(url: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {urlparse(url).path} HTTP/1.1", f"Host: {urlparse(url).netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _response(sock: socket.socket) -> tuple[int, bytes]:
    """Status and whatever the server sent until it closed the connection (or the body was complete)."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = [int(h.split(b":", 1)[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
            if length and len(body) >= length[0]:
                break
    assert data.startswith(b"HTTP/1."), data[:200]
    return int(data.split(b" ", 2)[1]), data


def _signed(body: bytes, content_type: str, timestamp: str | None = None) -> dict[str, str]:
    out = {k: v[0] for k, v in signed_headers(SECRET, "", content_type=content_type).items()}
    if timestamp is not None:
        out["x-slack-request-timestamp"] = timestamp
    # Sign the raw bytes the way Slack does (signed_headers signs text; these bodies may not be UTF-8).
    ts = out["x-slack-request-timestamp"]
    out["x-slack-signature"] = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body,
                                                hashlib.sha256).hexdigest()
    return out


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    with _connect(url) as sock:
        sock.sendall(_head(url, {**headers, "Content-Length": str(len(body))}) + body)
        return _response(sock)[0]


def _healthy(url: str) -> bool:
    with _connect(url) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, data = _response(sock)
    return status == 200 and data.endswith(b"ok")


@pytest.mark.parametrize(("length", "status"), [("-1", 400), ("abc", 400), ("1e3", 400), (" -0x10", 400),
                                                ("99999999999999999999999", 400), ("5000000", 413)])
def test_bad_content_length_is_refused_before_the_body_is_read(server, length: str, status: int) -> None:
    with _connect(server["url"]) as sock:
        # Only the headers are sent: the answer must come without the server waiting for (or reading) a body.
        sock.sendall(_head(server["url"], {"Content-Type": "application/json", "Content-Length": length}))
        started = time.monotonic()
        got, data = _response(sock)
        assert got == status and time.monotonic() - started < 5
        assert b"Connection: close" in data
        # ...and the connection is closed: nothing that follows is read as a body or a request.
        try:
            rest = sock.recv(10)
        except ConnectionResetError:
            rest = b""
        assert rest == b""
    assert _healthy(server["url"])


def test_a_streamed_body_over_the_limit_is_cut_off(server) -> None:
    """5 MB streamed behind `Content-Length: -1`: refused at the headers, the stream is never buffered."""
    proc = psutil.Process(server["proc"].pid)
    before = proc.memory_info().rss
    sent = 0
    with _connect(server["url"]) as sock:
        sock.sendall(_head(server["url"], {"Content-Type": "application/json", "Content-Length": "-1"}))
        status, _ = _response(sock)
        chunk = b"A" * 65536
        try:
            while sent < 5_000_000:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert status == 400
    assert sent < 5_000_000                                   # the server hung up instead of reading on
    assert proc.memory_info().rss - before < 3_000_000        # nothing of the stream was kept


def test_missing_length_and_chunked_bodies_get_411(server) -> None:
    for headers in ({"Content-Type": "application/json"},
                    {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}):
        with _connect(server["url"]) as sock:
            sock.sendall(_head(server["url"], headers))
            assert _response(sock)[0] == 411


def test_a_body_shorter_than_its_length_is_400(server) -> None:
    with _connect(server["url"]) as sock:
        sock.sendall(_head(server["url"], {"Content-Type": "application/json", "Content-Length": "500"}) + b"{}")
        sock.shutdown(socket.SHUT_WR)
        assert _response(sock)[0] == 400


@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"type": "event_callback", "event": ', "application/json"),                 # truncated JSON
    (b"\xff\xfe\x00not utf-8 \xc3\x28", "application/json"),                        # invalid UTF-8
    (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),                   # form with a broken payload
    (b"\xc3\x28=1", "application/x-www-form-urlencoded"),                            # invalid UTF-8 form
    (b"[1, 2, 3]", "application/json"),                                              # JSON, but not an object
])
def test_malformed_signed_bodies_get_a_clean_400(server, body: bytes, content_type: str) -> None:
    assert _post(server["url"], body, _signed(body, content_type)) == 400
    assert _healthy(server["url"])


@pytest.mark.parametrize("timestamp", ["abc", "", "-5", "1e9", "99999999999999999999"])
def test_a_bad_timestamp_is_401_not_500(server, timestamp: str) -> None:
    body = event_body({"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1.2",
                       "text": f"<@{BOT_USER_ID}> help"}, event_id="EvADV1").encode()
    assert _post(server["url"], body, _signed(body, "application/json", timestamp=timestamp)) == 401


def test_unsigned_junk_is_401_before_it_is_parsed(server) -> None:
    body = b"\xff" * 1000
    assert _post(server["url"], body, {"Content-Type": "application/json"}) == 401


def test_a_signed_request_still_works_after_the_abuse(server, demo_facts: dict) -> None:
    api = server["api"]
    resource = demo_facts["cluster_20k"]["resource_id"]
    body = event_body({"type": "app_mention", "user": "U0MLPLAT1", "channel": "C0ADV", "ts": "1800000001.000100",
                       "text": f"<@{BOT_USER_ID}> who owns {resource}?"}, event_id="EvADV2").encode()
    assert _post(server["url"], body, _signed(body, "application/json")) == 200
    reply = api.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "C0ADV", timeout=60)[0]
    assert demo_facts["cluster_20k"]["team"] in reply.texts()


def test_slash_estimate_with_a_yaml_bomb_gets_a_short_error(server) -> None:
    """`/finops estimate` with a billion-laughs manifest: refused at the aliases, the bot keeps answering."""
    api = server["api"]
    body = urlencode({"token": "legacy", "team_id": "T0ACME", "team_domain": "acme", "channel_id": "C0BOMB",
                      "channel_name": "finops", "user_id": "U0SEARCH1", "user_name": "u0search1", "command": "/finops",
                      "text": "estimate\n" + BOMB, "api_app_id": "AFINOPS",
                      "response_url": f"{api.url}response/bomb", "trigger_id": "trig-bomb"}).encode()
    assert _post(server["url"], body, _signed(body, "application/x-www-form-urlencoded")) == 200
    calls = api.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "C0BOMB"
                         and ":warning:" in c.texts(), timeout=60)
    text = calls[0].texts()
    assert "anchors and aliases" in text and "lol" not in text
    assert len(text) < 1000
    proc = psutil.Process(server["proc"].pid)
    assert proc.memory_info().rss < 1_000_000_000
    assert _healthy(server["url"])


def test_default_bind_is_loopback(demo_db: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    shutil.copy(demo_db, store)
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-adv", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": "http://127.0.0.1:9/", "FINOPS_PLANNER": "offline"}
    env.pop("SLACK_APP_TOKEN", None)
    proc, url = _start(["--db", str(store)], env)
    try:
        assert url.startswith("http://127.0.0.1:")
        listening = [c.laddr for c in psutil.Process(proc.pid).net_connections(kind="inet")
                     if c.status == psutil.CONN_LISTEN]
        assert listening and all(addr.ip == "127.0.0.1" for addr in listening), listening
    finally:
        _stop(proc)


def test_readme_documents_host() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    slack = readme.split("## Slack", 1)[1].split("\n## ", 1)[0]
    assert "--host" in slack and "127.0.0.1" in slack


def test_slash_estimate_flags_are_not_read_as_yaml_11(server) -> None:
    """`--hours 1:30` was 90 hours (YAML 1.1 sexagesimal); now it is refused, naming the flag."""
    api = server["api"]
    body = urlencode({"token": "legacy", "team_id": "T0ACME", "team_domain": "acme", "channel_id": "C0SEXA",
                      "channel_name": "finops", "user_id": "U0SEARCH1", "user_name": "u0search1", "command": "/finops",
                      "text": "estimate --team search --gpu-type H100 --gpu-count 8 --hours 1:30",
                      "api_app_id": "AFINOPS", "response_url": f"{api.url}response/sexa",
                      "trigger_id": "trig-sexa"}).encode()
    assert _post(server["url"], body, _signed(body, "application/x-www-form-urlencoded")) == 200
    calls = api.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "C0SEXA"
                         and ":warning:" in c.texts(), timeout=60)
    assert "hours" in calls[0].texts() and "90" not in calls[0].texts()

"""Issue 16 resource figures: what hostile input costs the Slack bot, `finops estimate` and model mode.

    python benchmarks/hardening.py [--mb 300] [--skip-model]

1. The Slack HTTP server (`finops slack --port 0`, a real subprocess) while a client streams --mb MB at it
   behind `Content-Length: -1`, behind a truthful `Content-Length` over the limit, and with no length:
   the server's resident set before, its peak (kernel ru_maxrss of the process, from wait4) and how many
   bytes the client got to send before the server closed the connection.
2. `finops estimate` on the 402-character billion-laughs manifest: exit code, wall time, peak RSS.
3. `finops ask --planner model` against a loopback model that answers every request with 10,000 tool
   calls: tool calls run, seconds to the answer (the demo company is built in a temporary directory).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path, where benchmarks/agent.py would shadow the
# `agent` package: put the repository root (and tests/, for the fakes) first instead.
sys.path[:] = [str(_ROOT), str(_ROOT / "tests")] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "benchmarks"]

import psutil  # noqa: E402

from knowledge.store import open_store  # noqa: E402

BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
        'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'
        'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n'
        'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n'
        'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n'
        'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n')
MB = 1024 * 1024


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "apps.cli.main", *args]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "FINOPS_"))}
    env["PYTHONPATH"] = str(_ROOT)
    env.update(extra)
    return env


def _wait4(proc: subprocess.Popen) -> tuple[int, int]:
    """Reap `proc`; its exit status and peak resident set in bytes (ru_maxrss is in KB on Linux)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss * 1024


# -- 1. the Slack HTTP server under a stream ---------------------------------------------------------------
def _stream(host: str, port: int, headers: str, total: int) -> tuple[str, int]:
    """Send `headers` then up to `total` bytes; the status line the server answered and the bytes sent."""
    sock = socket.create_connection((host, port), timeout=30)
    status = ""
    sent = 0
    got: list[bytes] = []

    def read() -> None:
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                got.append(chunk)
        except OSError:
            return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    chunk = b"A" * MB
    try:
        sock.sendall(headers.encode("latin-1"))
        while sent < total:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    reader.join(10)
    sock.close()
    data = b"".join(got)
    status = data.split(b"\r\n", 1)[0].decode("latin-1", "replace") if data else "(no answer)"
    return status, sent


def slack_stream(mb: int, tmp: Path) -> None:
    store = tmp / "bot.duckdb"
    open_store(store).close()
    cases = {
        "Content-Length: -1": "Content-Length: -1\r\n",
        f"Content-Length: {mb * MB} (truthful, over 1 MB)": f"Content-Length: {mb * MB}\r\n",
        "no Content-Length": "",
    }
    print(f"1. Slack HTTP server, {mb} MB streamed at POST /slack/events")
    for label, length in cases.items():
        proc = subprocess.Popen(_cli("slack", "--port", "0", "--db", str(store)), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env=_env(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET="bench",
                                         SLACK_API_URL="http://127.0.0.1:9/"))
        line = proc.stdout.readline()
        url = line.split("listening on http://", 1)[1].split("/", 1)[0]
        host, port = url.rsplit(":", 1)
        time.sleep(0.5)
        before = psutil.Process(proc.pid).memory_info().rss
        headers = (f"POST /slack/events HTTP/1.1\r\nHost: {url}\r\nContent-Type: application/json\r\n"
                   f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=00\r\n{length}\r\n")
        started = time.monotonic()
        status, sent = _stream(host, int(port), headers, mb * MB)
        seconds = time.monotonic() - started
        after = psutil.Process(proc.pid).memory_info().rss
        proc.terminate()
        _, peak = _wait4(proc)
        stderr = proc.stderr.read()
        print(f"   {label:<44} answer {status!r:<32} client sent {sent / MB:7.1f} MB in {seconds:5.2f} s; "
              f"server RSS {before / MB:6.1f} MB before, {after / MB:6.1f} MB after, peak {peak / MB:6.1f} MB"
              + ("; TRACEBACK in stderr" if "Traceback" in stderr else ""))


# -- 2. estimate on the billion-laughs manifest -------------------------------------------------------------
def estimate_bomb(tmp: Path) -> None:
    (tmp / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    open_store(tmp / "est.duckdb").close()
    started = time.monotonic()
    proc = subprocess.Popen(_cli("estimate", "bomb.yaml", "--db", "est.duckdb"), cwd=tmp, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    code, peak = _wait4(proc)
    seconds = time.monotonic() - started
    err = proc.stderr.read().strip()
    print(f"2. finops estimate on a {len(BOMB)}-character billion-laughs manifest: exit {code} in {seconds:.2f} s, "
          f"peak RSS {peak / MB:.1f} MB; stderr: {err[:120]}")


# -- 3. model mode: a model asking for 10,000 tool calls -----------------------------------------------------
def model_calls(tmp: Path) -> None:
    from datetime import date

    from fakes.openai_server import FakeOpenAI, tool_call

    from knowledge.demo import build_demo

    db = tmp / "demo.duckdb"
    build_demo(db, as_of=date(2026, 11, 25), seed=7)
    calls = [("spend", {"period": "last week", "group_by": "team"})] * 10_000
    with FakeOpenAI(lambda body: tool_call(*calls[0], *calls[1:])) as server:
        started = time.monotonic()
        proc = subprocess.run(_cli("ask", "How much did each team spend last week?", "--db", str(db), "--planner",
                                   "model", "--json"), capture_output=True, text=True, timeout=600,
                              env=_env(OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=server.base_url,
                                       FINOPS_MODEL_RETRIES="0", FINOPS_MODEL_TIMEOUT="120"))
        seconds = time.monotonic() - started
        requests = len(server.chat_requests())
    import json

    answer = json.loads(proc.stdout) if proc.returncode == 0 else {}
    print(f"3. finops ask --planner model, the model asking for 10,000 tool calls per reply: exit {proc.returncode} "
          f"in {seconds:.1f} s, {len(answer.get('tool_calls', []))} tool calls run, {requests} model request(s), "
          f"flags {answer.get('flags')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=300, help="MB streamed at the Slack server")
    parser.add_argument("--skip-model", action="store_true", help="skip the model-mode figure (builds the demo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        slack_stream(args.mb, Path(tmp))
        estimate_bomb(Path(tmp))
        if not args.skip_model:
            model_calls(Path(tmp))


if __name__ == "__main__":
    main()

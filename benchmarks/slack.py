"""Slack bot under load on loopback: N questions sent at once as signed app mentions over real HTTP.

    python benchmarks/slack.py [--questions 50] [--workers 8] [--db PATH]

The bot (apps.slack, its threaded HTTP server) runs in this process; a loopback fake Slack Web API
(tests/fakes/slack_api.py) records the answers. Prints how many were acknowledged, answered, lost or
duplicated, and p50/p95 latency of the HTTP acknowledgement and of the answer (request sent -> answer
received by "Slack"). Without --db, the demo company is built in a temporary directory first.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path, where benchmarks/agent.py would shadow the
# `agent` package: put the repository root (and tests/, for the fake Slack) first instead.
sys.path[:] = [str(_ROOT), str(_ROOT / "tests")] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "benchmarks"]

from fakes.slack_api import FakeSlackApi, percentile, run_load  # noqa: E402

from apps.slack.app import create_bot  # noqa: E402
from apps.slack.http_server import EVENTS_PATH, SlackHTTPServer  # noqa: E402
from apps.slack.settings import SlackSettings  # noqa: E402
from knowledge.store import open_store  # noqa: E402

SECRET = "benchmark-secret"


def questions_for(db: Path, n: int) -> list[str]:
    with open_store(db, read_only=True) as store:
        facts = {k: json.loads(v) for k, v in store.con.execute("SELECT key, value FROM demo_facts").fetchall()}
    pool = [
        f"who owns {facts['cluster_20k']['resource_id']}?",
        "what did we spend last month by team?",
        "what's this $17K charge from last week?",
        "which team is closest to its budget?",
        "any zombie jobs?",
        "how much of our spend is untagged?",
        "how much did team search spend last month?",
    ]
    return [pool[i % len(pool)] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from knowledge.demo import build_demo

            db = Path(tmp) / "demo.duckdb"
            began = time.perf_counter()
            build_demo(db, as_of=date(2026, 11, 25), seed=7)
            print(f"built the demo store in {time.perf_counter() - began:.1f} s")
        questions = questions_for(db, args.questions)
        with FakeSlackApi() as api:
            settings = SlackSettings(bot_token="xoxb-bench", signing_secret=SECRET, api_url=api.url, db=db,
                                     workers=args.workers, planner="offline")
            bot = create_bot(settings)
            server = SlackHTTPServer(bot.app, "127.0.0.1", 0)
            server.start_background()
            url = f"http://127.0.0.1:{server.port}{EVENTS_PATH}"
            # one warm-up question (imports, first store open) outside the measurement
            run_load(api, url, SECRET, questions[:1], round_id=1)
            api.calls.clear()
            began = time.perf_counter()
            result = run_load(api, url, SECRET, questions)
            wall = time.perf_counter() - began
            server.shutdown()
            bot.close()

    lost = result.sent - result.answered
    print(f"questions sent at once: {result.sent} (workers {args.workers})")
    print(f"acknowledged (HTTP 200): {result.acked}; answered: {result.answered}; lost: {lost}; "
          f"duplicated: {result.duplicated}")
    print(f"ack latency ms:    p50 {percentile(result.ack_ms, 0.5):8.1f}   p95 {percentile(result.ack_ms, 0.95):8.1f}   "
          f"max {max(result.ack_ms):8.1f}")
    print(f"answer latency ms: p50 {percentile(result.answer_ms, 0.5):8.1f}   p95 {percentile(result.answer_ms, 0.95):8.1f}   "
          f"max {max(result.answer_ms) if result.answer_ms else float('nan'):8.1f}")
    print(f"wall time {wall:.2f} s; throughput {result.answered / wall:.1f} answers/s")


if __name__ == "__main__":
    main()

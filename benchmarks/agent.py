"""Agent benchmark: ms per question offline (p50/p95 warm, and a cold process start) and, for the model
planner against a loopback OpenAI-compatible server, prompt and completion tokens per question.

    .venv/bin/python benchmarks/agent.py [--db PATH] [--rounds 3] [--cold 3]

Builds the demo store (as of 2026-11-25, seed 7) in a temp dir unless --db is given. Prints figures; it
asserts nothing. Tokens are counted by the loopback server from what the client actually sent (the
estimate is documented in tests/fakes/openai_server.py: tiktoken's tables cannot be downloaded here).
The simulated model calls the tools the offline planner picks for the question, then answers by quoting
the first figure of the tool result: realistic request sizes, no real model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fakes.openai_server import FakeOpenAI, Reply, final, tool_call  # noqa: E402

from agent.service import ask  # noqa: E402

QUESTIONS = [
    "Which team owns this $20K/month inference cluster?",
    "What's this $17K charge from last week?",
    "How much is all this AI costing us?",
    "What did we spend on GPT-4-class models last month, by team?",
    "Is this model still worth running?",
    "Are we paying $0.50 or $0.05 per prediction?",
    "What's our cost per 1,000 inferences on the support bot?",
    "Cost per training run for llama-ft?",
    "Which GPUs are idle?",
    "Any zombie jobs?",
    "What's running in dev that looks like prod?",
    "How much would 64 H100s for 72 hours cost?",
    "What would the support bot cost at 10x traffic?",
    "Which prompts cost the most? What would trimming the system prompt save?",
    "Are we using a frontier model where a mini would do?",
    "Which apps don't set max_tokens?",
    "How much of our spend is untagged? Who should own it?",
    "Which team is closest to its budget?",
    "Anything unusual this week?",
    "Why did inference spend jump on Tuesday?",
    "What should we fix first, and what does it save per month?",
    "How much did we spend last month by team?",
    "How much did the search team spend last week?",
    "LLM spend by model last month",
    "What will we spend next month?",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def build_store(tmp: Path) -> Path:
    from knowledge.demo import build_demo

    path = tmp / "bench.duckdb"
    build_demo(path, as_of=date(2026, 11, 25), seed=7)
    return path


def offline_warm(db: Path, rounds: int) -> tuple[list[float], dict[str, list[dict[str, Any]]]]:
    plans: dict[str, list[dict[str, Any]]] = {}
    for q in QUESTIONS:                                   # warm-up: imports, registry, name index
        a = ask(q, db=db, planner="offline")
        plans[q] = [{"tool": c.tool, "args": c.args} for c in a.tool_calls]
    times: list[float] = []
    for _ in range(rounds):
        for q in QUESTIONS:
            started = time.perf_counter()
            ask(q, db=db, planner="offline")
            times.append((time.perf_counter() - started) * 1000)
    return times, plans


def cold_starts(db: Path, n: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    out = []
    for i in range(n):
        q = QUESTIONS[i % len(QUESTIONS)]
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "apps.cli.main", "ask", q, "--db", str(db), "--json"],
                       capture_output=True, text=True, env=env, cwd=ROOT, check=True)
        out.append((time.perf_counter() - started) * 1000)
    return out


def simulated_model(plans: dict[str, list[dict[str, Any]]]):
    def respond(body: dict[str, Any]) -> Reply:
        messages = body["messages"]
        last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
        question = messages[last_user]["content"]
        tool_results = [m for m in messages[last_user:] if m["role"] == "tool"]
        calls = plans.get(question) or []
        if not tool_results and calls:
            first, *more = calls
            return tool_call(first["tool"], first["args"], *[(c["tool"], c["args"]) for c in more])
        text = tool_results[-1]["content"] if tool_results else ""
        figure = re.search(r"\$[\d,]+(?:\.\d+)?", text)
        return final(f"From the {calls[0]['tool'] if calls else 'tools'} result: {figure.group(0)}." if figure
                     else "I could not find a figure for that.")

    return respond


def model_tokens(db: Path, plans: dict[str, list[dict[str, Any]]], tool_limit: int) -> dict[str, Any]:
    server = FakeOpenAI(simulated_model(plans)).start()
    saved = {k: os.environ.get(k) for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FINOPS_MODEL", "FINOPS_TOOL_LIMIT")}
    os.environ.update({"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": server.base_url, "FINOPS_MODEL": "bench",
                       "FINOPS_TOOL_LIMIT": str(tool_limit)})
    per_q_prompt, per_q_completion, calls, grounded, ms = [], [], [], 0, []
    try:
        for q in QUESTIONS:
            before = len(server.requests)
            started = time.perf_counter()
            a = ask(q, db=db, planner="model")
            ms.append((time.perf_counter() - started) * 1000)
            reqs = server.requests[before:]
            per_q_prompt.append(sum(r.prompt_tokens for r in reqs))
            per_q_completion.append(sum(r.completion_tokens for r in reqs))
            calls.append(len(reqs))
            grounded += a.grounded
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {"prompt": per_q_prompt, "completion": per_q_completion, "requests": calls, "grounded": grounded, "ms": ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing store (default: build the demo in a temp dir)")
    parser.add_argument("--rounds", type=int, default=3, help="warm rounds over the question set")
    parser.add_argument("--cold", type=int, default=3, help="cold process starts")
    args = parser.parse_args()
    os.environ.pop("OPENAI_API_KEY", None)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or build_store(Path(tmp))
        print(f"store: {db} ({db.stat().st_size / 1e6:.1f} MB); {len(QUESTIONS)} questions; cpus {os.cpu_count()}")
        warm, plans = offline_warm(db, args.rounds)
        print(f"offline, warm ({len(warm)} asks): p50 {pct(warm, 0.5):.0f} ms, p95 {pct(warm, 0.95):.0f} ms, "
              f"max {max(warm):.0f} ms per question")
        cold = cold_starts(db, args.cold)
        print(f"offline, cold process (`finops ask --json`, {len(cold)} runs): median {statistics.median(cold):.0f} ms, "
              f"max {max(cold):.0f} ms")
        for limit, label in ((4, "relevant tools bound (default, FINOPS_TOOL_LIMIT=4)"), (0, "all tools bound")):
            r = model_tokens(db, plans, limit)
            n = len(QUESTIONS)
            print(f"model via loopback, {label}: prompt tokens/question mean {statistics.mean(r['prompt']):.0f} "
                  f"(p95 {pct(r['prompt'], 0.95):.0f}, max {max(r['prompt'])}), completion tokens/question mean "
                  f"{statistics.mean(r['completion']):.0f}; requests/question {statistics.mean(r['requests']):.1f}; "
                  f"grounded {r['grounded']}/{n}; p50 {pct(r['ms'], 0.5):.0f} ms (goal <= 2,500 prompt tokens)")
        print("per question (offline plan -> model prompt tokens at the default limit):")
        r = model_tokens(db, plans, 4)
        for q, p, c in zip(QUESTIONS, r["prompt"], r["completion"]):
            tools = ",".join(c2["tool"] for c2 in plans[q]) or "-"
            print(f"  {p:5d} / {c:3d}  [{tools}] {q}")
        print(json.dumps({"offline_warm_p50_ms": round(pct(warm, 0.5)), "offline_warm_p95_ms": round(pct(warm, 0.95)),
                          "offline_cold_median_ms": round(statistics.median(cold)),
                          "model_prompt_tokens_mean": round(statistics.mean(r["prompt"]))}))


if __name__ == "__main__":
    main()

"""Cold start (issue 17.5): `finops --help` loads no ingest machinery and no LangGraph; `finops ask` imports
only the ask command's module; the table of which module registers which command matches the modules."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import typer

from apps.cli import main as cli_main


def _registered_by_module() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name in cli_main.command_modules():
        app = typer.Typer()
        importlib.import_module(f"apps.cli.commands.{name}").register(app)
        names = {c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands}
        names |= {g.name or g.typer_instance.info.name for g in app.registered_groups}
        for command in names:
            out.setdefault(command, set()).add(name)
    return out


def test_the_command_table_matches_what_the_modules_register() -> None:
    registered = _registered_by_module()
    for command, modules in registered.items():
        if command in cli_main.COMMAND_MODULES:
            assert set(cli_main.COMMAND_MODULES[command]) == modules, command
    assert set(cli_main.COMMAND_MODULES) <= set(registered)


def _modules_after(args: list[str], tmp_path: Path) -> set[str]:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys, json, atexit\n"
        f"sys.argv = ['finops', *{args!r}]\n"
        "atexit.register(lambda: print('MODULES=' + json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)), file=sys.stderr))\n"
        "from apps.cli.main import main\n"
        "main()\n")
    done = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=120)
    line = next(ln for ln in done.stderr.splitlines() if ln.startswith("MODULES="))
    return set(json.loads(line[len("MODULES="):]))


def test_help_loads_no_command_module_and_no_langgraph(tmp_path: Path) -> None:
    modules = _modules_after(["--help"], tmp_path)
    assert not {m for m in modules if m.startswith("apps.cli.commands.")}   # the list is COMMAND_SUMMARIES
    heavy = {"knowledge.ingest.runner", "knowledge.ingest.load", "knowledge.ingest.llm", "knowledge.connectors.loader",
             "langgraph", "langchain_core", "pandas", "tools.contract", "duckdb"}
    assert not heavy & modules
    one = _modules_after(["ingest", "--help"], tmp_path)
    assert "apps.cli.commands.ingest" in one and "apps.cli.commands.ask" not in one
    assert not {"knowledge.ingest.runner", "knowledge.ingest.load", "langgraph"} & one


def _root_help(code: str) -> str:
    env = {**os.environ, "COLUMNS": "100", "TERM": "dumb"}
    env.pop("_FINOPS_COMPLETE", None)
    done = subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['finops', '--help']\n" + code],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_root_help_from_the_summaries_is_the_help_of_the_modules() -> None:
    """`finops --help` lists COMMAND_SUMMARIES (no command module imported); the same list rendered after
    importing every command module must be identical: a command added, renamed or re-worded shows here."""
    from_table = _root_help("from apps.cli.main import main\nmain()")
    from_modules = _root_help("from apps.cli import main as m\nm._register_commands()\nm._app()")
    assert "ask" in from_table and "estimate" in from_table
    assert from_table == from_modules


def test_ask_imports_only_its_own_command_and_never_pandas(demo_db: Path, tmp_path: Path) -> None:
    modules = _modules_after(["ask", "--db", str(demo_db), "how much did search spend last month?"], tmp_path)
    assert "apps.cli.commands.ask" in modules
    assert not {"apps.cli.commands.ingest", "apps.cli.commands.slack", "apps.cli.commands.chat"} & modules
    assert not {m for m in modules if m == "pandas" or m.startswith("pandas.")}


def test_a_one_shot_offline_ask_loads_no_langgraph_and_a_conversation_does(demo_db: Path, tmp_path: Path) -> None:
    """The lean runner (agent.lean_run) answers a one-shot offline question; a conversation needs LangGraph's
    checkpointer, so `--session` loads it."""
    question = "how much did search spend last month?"
    one_shot = _modules_after(["ask", "--db", str(demo_db), "--planner", "offline", question], tmp_path)
    assert "agent.lean_run" in one_shot
    assert not {m for m in one_shot if m.split(".")[0] in ("langgraph", "langchain_core", "langsmith")}
    conversation = _modules_after(["ask", "--db", str(demo_db), "--planner", "offline", "--session", "cold-1", question],
                                  tmp_path)
    assert "langgraph" in conversation and "agent.graph" in conversation

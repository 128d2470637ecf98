"""CLI commands that are a plain tool call get their options from the tool's args model
(apps/cli/tool_options.py): every field is an option (renamed only where declared), with the field's
description as its help, and the values given reach the tool as its arguments (read from the --json
evidence, which records the arguments the tool ran with)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from apps.cli.main import app
from tests.cli import CliRunner
from tools.registry import registry

# command path -> (tool, renamed fields)
GENERATED = {
    ("waste",): ("waste", {"kinds": "--kind"}),
    ("anomalies",): ("anomalies", {}),
    ("forecast",): ("forecast", {"horizon_days": "--horizon", "history_days": "--history"}),
    ("remediations",): ("remediations", {}),
    ("unit-costs",): ("unit_costs", {}),
    ("audit", "tags"): ("tag_audit", {"filters": "--where"}),
    ("audit", "prompts"): ("prompt_audit", {}),
    ("budgets",): ("budgets", {}),
    ("reconcile",): ("reconcile", {}),
    ("query",): ("query_costs", {"measures": "--measure", "group_by": "--by", "filters": "--where"}),
}


def command(path: tuple[str, ...]) -> typer.main.TyperCommand:
    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]      # type: ignore[attr-defined]
    return cmd


@pytest.mark.parametrize("path", list(GENERATED), ids=" ".join)
def test_every_field_of_the_args_model_is_an_option(path: tuple[str, ...]) -> None:
    tool, renamed = GENERATED[path]
    options = {opt: p for p in command(path).params for opt in p.opts}
    assert "--db" in options and "--json" in options
    for name, field in registry.get(tool).args_model.model_fields.items():
        flag = renamed.get(name, "--" + name.replace("_", "-"))
        assert flag in options, (path, name, flag)
        if field.description:
            assert field.description in (options[flag].help or ""), (path, name)


def test_values_reach_the_tool_as_its_arguments(demo_db: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["audit", "tags", "--db", str(demo_db), "--json", "--keys", "team, project",
                              "--keys", "env", "--where", "provider=AWS", "--top", "2", "-p", "last 90 days"])
    assert res.exit_code == 0, res.output
    args = json.loads(res.stdout)["evidence"]["args"]
    assert args["keys"] == ["team", "project", "env"] and args["top"] == 2 and args["period"] == "last 90 days"
    assert args["filters"] == [{"dimension": "provider", "op": "eq", "values": ["AWS"]}]

    res = runner.invoke(app, ["budgets", "--db", str(demo_db), "--json", "--scope-kind", "team", "--alerts-only"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["evidence"]["args"] == {"scope_kind": "team", "name": None, "alerts_only": True}

    res = runner.invoke(app, ["query", "--db", str(demo_db), "--json", "-p", "2026-10", "--by", "team",
                              "-w", "team=search,research", "--compare", "previous"])
    assert res.exit_code == 0, res.output
    args = json.loads(res.stdout)["evidence"]["args"]
    assert args["group_by"] == ["team"] and args["compare"] == "previous"
    assert args["filters"] == [{"dimension": "team", "op": "in", "values": ["search", "research"]}]


def test_text_a_field_cannot_be_read_from_exits_2(demo_db: Path) -> None:
    res = CliRunner().invoke(app, ["audit", "tags", "--db", str(demo_db), "--where", "provider"])
    assert res.exit_code == 2 and "expected dim=value" in res.stderr

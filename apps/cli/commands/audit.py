"""`finops audit tags|prompts [--db P] [--json] [--period P] ...`: the tag and prompt audits.

Runs the `tag_audit` / `prompt_audit` tools through the registry and renders the result with Rich:
the summary, the rows behind it, and where the data comes from. `--json` prints the tool result
(with its evidence). Exit 0 on a result, 2 on bad input (unknown name, bad period, no data, no store).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from apps.cli.options import DbOption, JsonOption
from apps.cli.tool_runner import run_tool_command as _run

PeriodOption = Annotated[str, typer.Option("--period", "-p", help="Period, e.g. 'last 30 days', 'last month', '2026-11'.")]
TopOption = Annotated[int, typer.Option("--top", help="How many rows to list.", min=1, max=50)]


def register(app: typer.Typer) -> None:
    audit = typer.Typer(name="audit", help="Audits: untagged spend (tags), prompt costs and savings (prompts).",
                        no_args_is_help=True)
    app.add_typer(audit, name="audit")

    @audit.command("tags")
    def tags(
        db: DbOption = None,
        json_out: JsonOption = False,
        period: PeriodOption = "last 30 days",
        keys: Annotated[str, typer.Option("--keys", help="Required tag keys, comma-separated.")] = "team,project,env,owner",
        top: TopOption = 10,
    ) -> None:
        """Untagged and mis-tagged spend per required key, by account and service, with suggested owners."""
        args = {"period": period, "keys": [k.strip() for k in keys.split(",") if k.strip()], "top": top}
        _run(db, "tag_audit", args, json_out)

    @audit.command("prompts")
    def prompts(
        db: DbOption = None,
        json_out: JsonOption = False,
        period: PeriodOption = "last 30 days",
        trim_pct: Annotated[int, typer.Option("--trim-pct", help="Trim the system prompt by this percent.",
                                              min=1, max=90)] = 20,
        app_name: Annotated[str | None, typer.Option("--app", help="Only this app.")] = None,
        team: Annotated[str | None, typer.Option("--team", help="Only this team's prompts.")] = None,
        top: TopOption = 10,
    ) -> None:
        """Per prompt: system-prompt cost per day and savings from trimming, caching, max_tokens, a cheaper model."""
        args: dict[str, Any] = {"period": period, "trim_pct": trim_pct, "top": top}
        if app_name:
            args["app"] = app_name
        if team:
            args["team"] = team
        _run(db, "prompt_audit", args, json_out)


"""`finops audit tags|prompts [--db P] [--json] [--period P] ...`: the tag and prompt audits.

Runs the `tag_audit` / `prompt_audit` tools through the registry and renders the result with Rich:
the summary, the rows behind it, and where the data comes from. `--json` prints the tool result
(with its evidence). Exit 0 on a result, 2 on bad input (unknown name, bad period, no data, no store).
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from apps.cli.options import EXIT_BAD_INPUT, EXIT_OK, DbOption, JsonOption

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
        app_name: Annotated[Optional[str], typer.Option("--app", help="Only this app.")] = None,
        team: Annotated[Optional[str], typer.Option("--team", help="Only this team's prompts.")] = None,
        top: TopOption = 10,
    ) -> None:
        """Per prompt: system-prompt cost per day and savings from trimming, caching, max_tokens, a cheaper model."""
        args: dict[str, Any] = {"period": period, "trim_pct": trim_pct, "top": top}
        if app_name:
            args["app"] = app_name
        if team:
            args["team"] = team
        _run(db, "prompt_audit", args, json_out)


def _run(db: Any, tool: str, args: dict[str, Any], json_out: bool) -> None:
    from knowledge.store import StoreError, open_store
    from tools.contract import FinopsError
    from tools.registry import run_tool

    try:
        with open_store(db, read_only=True) as store:
            result = run_tool(store, tool, args)
    except (FinopsError, StoreError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if json_out:
        typer.echo(result.model_dump_json(indent=2))
    else:
        _render(result)
    raise typer.Exit(EXIT_OK)


def _render(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    # Text objects, not markup strings: resource names and tag values are data, never Rich markup.
    console.print(Text(result.summary()))
    view = result.table()
    if view is not None and view.rows:
        table = Table(show_lines=False, header_style="bold")
        for col in view.columns:
            numeric = any(c in col for c in ("$", "billed", "cost", "calls", "tokens", "confidence"))
            table.add_column(Text(col), justify="right" if numeric else "left", overflow="fold")
        for row in view.rows:
            table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
        console.print(table)
    ev = result.evidence
    if ev is not None:
        fresh = "; ".join(
            f"{f.source} through {f.latest_data.date().isoformat() if f.latest_data else 'n/a'}" for f in ev.freshness)
        line = f"Evidence: {len(ev.sql)} SQL statements" + (f"; data: {fresh}" if fresh else "")
        for note in ev.notes:
            line += f"; {note}"
        console.print(Text(line, style="dim"))

"""Run one registry tool for a CLI command and render its result (Rich), or print it as JSON.

Shared by the command modules that expose a tool directly (`finops audit …`, `finops waste`, …): the
store is found (and the demo built on first use, with its one-line notice), opened read-only, the tool
runs through the registry, and the result's summary, rows and evidence line are printed. Resource names
and tag values are data: they are printed as Text objects, never as Rich markup.
Exit 0 on a result, 2 on bad input (unknown name, bad period, no data, unreadable store).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from apps.cli.options import EXIT_BAD_INPUT, EXIT_OK

Renderer = Callable[[Any, Any], None]  # (console, result) -> None

_NUMERIC_HINTS = ("$", "billed", "cost", "calls", "tokens", "confidence", "saving", "amount", "share", "%")


def run_tool_command(db: Any, tool: str, args: dict[str, Any], json_out: bool,
                     render: Renderer | None = None) -> None:
    from rich.console import Console

    from knowledge.bootstrap import ensure_store
    from knowledge.store import StoreError, open_store
    from tools.contract import FinopsError
    from tools.registry import run_tool

    args = {k: v for k, v in args.items() if v is not None}
    try:
        path, notice = ensure_store(db)
        if notice:
            typer.echo(notice, err=True)
        with open_store(path, read_only=True) as store:
            result = run_tool(store, tool, args)
    except (FinopsError, StoreError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if json_out:
        typer.echo(result.model_dump_json(indent=2))
        raise typer.Exit(EXIT_OK)
    console = Console()
    (render or render_result)(console, result)
    render_evidence_line(console, result)
    raise typer.Exit(EXIT_OK)


def render_result(console: Any, result: Any) -> None:
    """The summary (the answer), then the rows behind it."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(result.summary()))
    view = result.table()
    if view is None or not view.rows:
        return
    table = Table(header_style="bold")
    for col in view.columns:
        numeric = any(h in col.lower() for h in _NUMERIC_HINTS)
        table.add_column(Text(col), justify="right" if numeric else "left", overflow="fold")
    for row in view.rows:
        table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    console.print(table)


def render_evidence_line(console: Any, result: Any) -> None:
    """One dim line: how many SQL statements, data freshness, notes (`--json` has the full evidence)."""
    from rich.text import Text

    ev = result.evidence
    if ev is None:
        return
    fresh = "; ".join(f"{f.source} through {f.latest_data.date().isoformat() if f.latest_data else 'n/a'}"
                      for f in ev.freshness)
    line = f"Evidence: {len(ev.sql)} SQL statements (see --json)" + (f"; data: {fresh}" if fresh else "")
    for note in ev.notes:
        line += f"; {note}"
    console.print(Text(line, style="dim"))

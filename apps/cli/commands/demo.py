"""`finops demo [--db P | --lake DIR] [--scale N] [--as-of DATE] [--seed S] [--json]`: build the demo company.

The new store is built in a temp file next to the target and renamed over it when complete, so a reader
never sees a half-built store. With `--lake DIR` the demo is built that way, then made a lake in DIR (a new
or empty directory): its charges as Parquet partitions, everything else in DIR/state.duckdb.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from apps.cli.options import EXIT_BAD_INPUT, DemoDbOption, JsonOption


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        db: DemoDbOption = None,
        lake_dir: Annotated[Path | None, typer.Option(
            "--lake", help="Build the demo as a lake in this new (or empty) directory instead of a store file.",
        )] = None,
        scale: Annotated[int, typer.Option("--scale", min=1, max=1000,
                                           help="Multiply the ordinary resources (~N x 110K billing rows).")] = 1,
        as_of: Annotated[str | None, typer.Option(
            "--as-of", help="First day NOT in the data (YYYY-MM-DD); default: today.")] = None,
        seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same store.")] = 7,
        json_out: JsonOption = False,
    ) -> None:
        """Build the demo company "Acme AI" (90 days of cloud, AI API, GPU and LLM data with planted facts)."""
        from knowledge.demo import build_demo
        from knowledge.store import StoreError, create_lake, resolve_db_path

        day: date | None = None
        if as_of is not None:
            try:
                day = date.fromisoformat(as_of)
            except ValueError:
                typer.echo(f"error: --as-of must be a date like 2026-11-25, not {as_of!r}", err=True)
                raise typer.Exit(EXIT_BAD_INPUT) from None
        if lake_dir is not None and db is not None:
            typer.echo("error: give --db FILE or --lake DIR, not both", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
        path = resolve_db_path(db) if lake_dir is None else lake_dir.parent / f".{lake_dir.name}.demo.duckdb"
        try:
            summary = build_demo(path, as_of=day, seed=seed, scale=scale)
            if lake_dir is not None:
                create_lake(lake_dir, path)
                summary = summary.model_copy(update={"db_path": str(lake_dir)})
        except (OSError, StoreError) as exc:
            typer.echo(f"error: cannot write the demo store at {lake_dir or path}: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from exc
        finally:
            if lake_dir is not None:
                path.unlink(missing_ok=True)
        if json_out:
            typer.echo(summary.model_dump_json(indent=2))
            return
        console = Console()
        console.print(
            f"[bold]Built the demo company[/bold] at {summary.db_path}: {summary.days} days "
            f"{summary.start.isoformat()} to {summary.as_of.isoformat()} (exclusive), seed {summary.seed}, "
            f"scale {summary.scale}, in {summary.seconds:.1f} s."
        )
        table = Table("table", "rows", box=None, pad_edge=False)
        for name, count in summary.rows.items():
            table.add_row(name, f"{count:,}")
        console.print(table)
        console.print('Try: finops ask "Which team owns the $20K/month inference cluster?"')

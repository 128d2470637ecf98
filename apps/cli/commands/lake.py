"""`finops lake init DIR [--from-db FILE]` and `finops lake status DIR`: the Parquet lake layout.

A lake keeps the billing data as Parquet files partitioned by billing period and provider, beside a small
state file for everything else; every command reads it with `--lake DIR` (or `--db DIR`). See
docs/lake.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from apps.cli.options import EXIT_BAD_INPUT, JsonOption

lake_app = typer.Typer(help="The Parquet lake layout: billing data as partitions beside a small state file.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(lake_app, name="lake")


@lake_app.command("init")
def init_command(
    directory: Annotated[Path, typer.Argument(help="A new (or empty) directory for the lake.")],
    from_db: Annotated[Path | None, typer.Option(
        "--from-db", help="Copy this store file into the lake (its charges become Parquet partitions).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Make a lake: empty, or holding a copy of a store file."""
    from knowledge.store import StoreError, create_lake

    if from_db is not None and not from_db.is_file():
        typer.echo(f"error: no store file at {from_db}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        create_lake(directory, from_db)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    _status(directory, json_out)


@lake_app.command("status")
def status_command(
    directory: Annotated[Path, typer.Argument(help="The lake's directory.")],
    json_out: JsonOption = False,
) -> None:
    """Partitions, files and rows of a lake, from its manifest."""
    _status(directory, json_out)


def _status(directory: Path, json_out: bool) -> None:
    import json

    from knowledge import lake
    from knowledge.store import StoreError, open_store

    try:
        with open_store(directory, read_only=True) as store:
            if store.lake is None:
                raise StoreError(f"{directory} is a store file, not a lake")
            files = lake.manifest(store.con)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    parts: dict[str, tuple[int, int]] = {}
    for partition, _, rows in files:
        n, r = parts.get(partition, (0, 0))
        parts[partition] = (n + 1, r + rows)
    if json_out:
        typer.echo(json.dumps({"lake": str(directory), "partitions": [
            {"partition": p, "files": n, "rows": r} for p, (n, r) in sorted(parts.items())]}, indent=2))
        return
    console = Console()
    console.print(f"[bold]Lake[/bold] {directory}: {len(parts)} partitions, {len(files)} files, "
                  f"{sum(r for _, r in parts.values()):,} charge rows")
    table = Table("partition", "files", "rows", box=None, pad_edge=False)
    for p, (n, r) in sorted(parts.items()):
        table.add_row(p, str(n), f"{r:,}")
    console.print(table)

"""What every `finops ingest …` command prints: one block per file, a total, or a one-line error.

Shared by the file ingest commands (apps/cli/commands/ingest.py) and the provider connectors
(apps/cli/commands/ingest_providers.py), so both speak the same `read N, loaded L, quarantined Q`.
"""

from __future__ import annotations

import json

import typer

from apps.cli.options import EXIT_BAD_INPUT
from knowledge.ingest import FileReport, IngestReport


def print_file_report(shown: str, report: FileReport) -> None:
    """`FILE: read N, loaded L, quarantined Q`, then notes and the first rejected lines."""
    line = f"{shown}: {report.counts_line()}"
    if report.rows_replaced:
        line += f" (replaced {report.rows_replaced} earlier rows)"
    typer.echo(line)
    for note in report.notes:
        typer.echo(f"  note: {note}")
    for row in report.first_rejects:
        what = "row" if report.format == "Parquet" else "line"
        typer.echo(f"  {what} {row.line}: {row.reason}")
    more = report.rows_quarantined - len(report.first_rejects)
    if more > 0:
        typer.echo(f"  ... {more} more in the quarantine table (ingest id {report.ingest_id})")


def print_run_report(report: IngestReport, as_json: bool) -> None:
    """The whole run as JSON, or a total line when several files were loaded."""
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    elif len(report.files) > 1:
        typer.echo(f"total: read {report.rows_read}, loaded {report.rows_loaded}, "
                   f"quarantined {report.rows_quarantined}")


def fail(message: str, as_json: bool) -> None:
    """One-line error on stderr (and as JSON with --json); exit 2."""
    typer.echo(f"error: {message}", err=True)
    if as_json:
        typer.echo(json.dumps({"error": message}))
    raise typer.Exit(EXIT_BAD_INPUT)

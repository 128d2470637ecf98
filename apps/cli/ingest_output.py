"""What every `finops ingest …` command prints: one block per file, a total, or a one-line error.

Shared by the file ingest commands (apps/cli/commands/ingest.py) and the provider connectors
(apps/cli/commands/ingest_providers.py), so both speak the same `read N, loaded L, quarantined Q`.

Nothing is printed as loaded before it is: an ingest command writes a private copy of the store and swaps
it in only when every file loaded, so the per-file lines are printed after the command returns (the
commit). A failure after the copy was opened says "rolled back: nothing was loaded". A reader that goes
away (`finops ingest … | head -1`, a broken pipe) cannot undo the commit either: the rest of the output is
dropped, a note goes to stderr, and the exit status stays that of the ingest.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from apps.cli.options import EXIT_BAD_INPUT
from knowledge.ingest.limits import DEFAULT_MAX_QUARANTINE_PCT, LoadPolicy, parse_percent

if TYPE_CHECKING:      # the reports' classes, imported where they are used (no ingest import for `--help`)
    from knowledge.ingest.models import FileReport, IngestReport

ROLLED_BACK = "rolled back: nothing was loaded; the store is as it was"

MaxQuarantineOption = Annotated[str | None, typer.Option(
    "--max-quarantine", metavar="PCT",
    help=f"Refuse (exit 2, nothing loaded) a file that would replace rows already in the store when more "
         f"than PCT percent of its rows are bad (default {DEFAULT_MAX_QUARANTINE_PCT}).")]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Replace earlier rows even over --max-quarantine, and load a file whose content was loaded already.")]


def policy_from(max_quarantine: str | None, force: bool) -> LoadPolicy:
    try:
        pct = parse_percent(max_quarantine) if max_quarantine is not None else DEFAULT_MAX_QUARANTINE_PCT
    except ValueError as exc:
        from knowledge.ingest.errors import IngestError

        raise IngestError(str(exc)) from None
    return LoadPolicy(max_quarantine_pct=pct, force=force)


def print_file_report(shown: str, report: FileReport) -> None:
    """`FILE: read N, loaded L, quarantined Q`, then notes and the first rejected lines."""
    line = f"{shown}: {report.counts_line()}"
    if report.rows_replaced:
        line += f" (replaced {report.rows_replaced} earlier rows)"
    typer.echo(line)
    if report.skipped:
        return
    for note in report.notes:
        typer.echo(f"  note: {note}")
    for row in report.first_rejects:
        what = "row" if report.format == "Parquet" else "line"
        typer.echo(f"  {what} {row.line}: {row.reason}")
    more = report.rows_quarantined - len(report.first_rejects)
    if more > 0:
        typer.echo(f"  ... {more} more in the quarantine table (ingest id {report.ingest_id})")


def print_run_report(report: IngestReport, as_json: bool) -> None:
    """The whole run as JSON, or a total line when several files were loaded (or one was skipped)."""
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    elif len(report.files) > 1 or report.files_skipped:
        line = (f"total: read {report.rows_read}, loaded {report.rows_loaded}, "
                f"quarantined {report.rows_quarantined}")
        if report.files_skipped:
            n = report.files_skipped
            line += f"; {n} file{'s' if n > 1 else ''} skipped (content already loaded)"
        typer.echo(line)


def print_committed(report: IngestReport, as_json: bool, shown: Callable[[str], str]) -> None:
    """Everything a successful command prints, after its commit; survives a reader that went away."""
    try:
        if not as_json:
            for f in report.files:
                print_file_report(shown(f.file), f)
        print_run_report(report, as_json)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_gone()


def _stdout_gone() -> None:
    """stdout was closed by its reader: drop the rest of the output (Python would otherwise fail again
    flushing it at exit) and say on stderr that the ingest itself is committed."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    try:
        typer.echo("note: the output was cut off (broken pipe); the ingest was committed", err=True)
    except (BrokenPipeError, OSError):
        pass


def fail(message: str, as_json: bool, rolled_back: bool = False) -> None:
    """One-line error on stderr (and as JSON with --json), then "rolled back: ..." when the command had
    opened the store; exit 2."""
    try:
        typer.echo(f"error: {message}", err=True)
        if rolled_back:
            typer.echo(ROLLED_BACK, err=True)
        if as_json:
            out = {"error": message}
            if rolled_back:
                out["rolled_back"] = ROLLED_BACK
            typer.echo(json.dumps(out))
    except BrokenPipeError:
        _stdout_gone()
    raise typer.Exit(EXIT_BAD_INPUT)

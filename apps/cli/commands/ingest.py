"""`finops ingest focus|llm-calls|gpu-jobs|endpoints|ownership|budgets [--db P] [--json] PATH...`

Prints `read N, loaded L, quarantined Q` per file, once the command's work is committed (the store is
swapped in only when every file loaded, so nothing is printed as loaded that a later error undoes).
Exit 0 when the run completed (quarantined rows are reported, not fatal; a file whose content was
already loaded is skipped and said so); 2 when nothing could be ingested (missing/empty/wrong file, a
directory, a busy store, a re-ingest refused by --max-quarantine) and nothing changed: after a failure
mid-command it says "rolled back: nothing was loaded". The loading lives in knowledge.ingest.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from apps.cli.ingest_output import ForceOption, MaxQuarantineOption, policy_from, print_committed
from apps.cli.ingest_output import fail as _fail
from apps.cli.options import DbOption, JsonOption
from knowledge.ingest.errors import IngestError
from knowledge.ingest.limits import DEFAULT_WAIT_SECONDS

BIG_FILE_ROWS = 100_000  # files estimated above this get a progress bar (on a terminal)

_HELP = {
    "focus": "FOCUS billing exports (AWS, Azure, GCP, OCI, SaaS, AI API invoices). A re-ingest replaces the "
             "same provider + billing account + billing period; give all parts of one export in one command.",
    "llm-calls": "LLM call logs (ts, model, input_tokens, output_tokens, ...); cost is computed from the price "
                 "catalog at ingest. Re-ingesting a file replaces its earlier rows.",
    "gpu-jobs": "GPU jobs (job_id, team, gpu_type, gpu_count, started_at, ...); replaces rows by job_id.",
    "endpoints": "Inference endpoints (endpoint_id, model, team, hourly_cost, ...); replaces rows by endpoint_id.",
    "ownership": "Ownership rules (rule_id, match_kind, pattern, team, ...); replaces rows by rule_id.",
    "budgets": "Budgets (scope_kind, scope_name, period, period_start, amount); replaces rows by scope + start.",
}

PathsArg = Annotated[list[Path], typer.Argument(help="CSV, CSV.gz or Parquet files.", show_default=False)]
WaitOption = Annotated[
    float, typer.Option("--wait", help="Seconds to wait while another process holds the store.", min=0)
]
PricesOption = Annotated[
    Path | None,
    typer.Option("--prices", help="Your own LLM prices (CSV: model, input_cost_per_token, output_cost_per_token"
                                  "[, cache_read_input_token_cost] or model, input_per_1m, output_per_1m"
                                  "[, cached_input_per_1m]); they replace the catalog's for those models."),
]


class _RichProgress:
    """A progress bar on stderr for big files (only when stderr is a terminal)."""

    def __init__(self, console: Console):
        self.console = console
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.file = ""

    def start(self, file: str, estimated_rows: int) -> bool:
        if estimated_rows < BIG_FILE_ROWS:
            return False
        self.file = Path(file).name
        self.progress = Progress(
            TextColumn("[bold]{task.fields[file]}[/bold] {task.description}"), BarColumn(),
            TextColumn("{task.percentage:>5.1f}%"), TimeElapsedColumn(),
            console=self.console, transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task(f"~{estimated_rows:,} rows", total=1.0, file=self.file)
        return True

    def update(self, phase: str, fraction: float | None) -> None:
        if self.progress is None or self.task is None:
            return
        if fraction is None:
            self.progress.update(self.task, description=phase)
        else:
            self.progress.update(self.task, description=phase, completed=fraction)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress.stop()
        self.progress = None
        self.task = None


def _run(kind: str, paths: list[Path], db: Path | None, as_json: bool, wait: float,
         prices: Path | None = None, max_quarantine: str | None = None, force: bool = False) -> None:
    err = Console(stderr=True)
    sink = _RichProgress(err) if (not as_json and sys.stderr.isatty()) else None
    shown = {str(Path(p).expanduser().resolve()): str(p) for p in paths}
    from knowledge.ingest.runner import ingest  # the ingest machinery only when a file is ingested

    try:
        policy = policy_from(max_quarantine, force)
        report = ingest(db, kind, paths, sink=sink, prices_file=prices, wait_seconds=wait, policy=policy)
    except IngestError as exc:
        _fail(str(exc), as_json, rolled_back=exc.rolled_back)
        return
    except Exception as exc:  # an unexpected failure mid-load: the whole command was rolled back
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        _fail(f"ingest stopped: {first}", as_json, rolled_back=True)
        return
    print_committed(report, as_json, lambda f: shown.get(f, f))


def _command(kind: str, with_prices: bool) -> Callable[..., None]:
    def priced(paths: PathsArg, db: DbOption = None, as_json: JsonOption = False,
               prices: PricesOption = None, wait: WaitOption = DEFAULT_WAIT_SECONDS,
               max_quarantine: MaxQuarantineOption = None, force: ForceOption = False) -> None:
        _run(kind, paths, db, as_json, wait, prices, max_quarantine, force)

    def plain(paths: PathsArg, db: DbOption = None, as_json: JsonOption = False,
              wait: WaitOption = DEFAULT_WAIT_SECONDS, max_quarantine: MaxQuarantineOption = None,
              force: ForceOption = False) -> None:
        _run(kind, paths, db, as_json, wait, None, max_quarantine, force)

    command: Callable[..., None] = priced if with_prices else plain
    command.__doc__ = _HELP[kind]
    return command


def register(app: typer.Typer) -> None:
    ingest_app = typer.Typer(
        name="ingest", no_args_is_help=True,
        help="Load files into the store (CSV, CSV.gz, Parquet); bad rows go to quarantine with file and line.",
    )
    for kind in _HELP:
        ingest_app.command(kind, help=_HELP[kind])(_command(kind, with_prices=kind == "llm-calls"))
    app.add_typer(ingest_app, name="ingest")

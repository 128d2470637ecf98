"""`finops eval [--set demo|focus|all] [--planner offline|model] [--db P] [--json] [--out DIR] [--only TEXT]`.

Runs the eval suite (evals/): asks every question through the agent, scores the answers per kind and
prints a table per kind, the failures, and a last line `overall: 96.7% (145/150)`. Exit 0 when the
overall accuracy reaches the threshold kept in `evals/threshold.yaml`, 1 below it, 2 on bad input.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, cast

import typer

from apps.cli.options import EXIT_BAD_INPUT, EXIT_OK, JsonOption

if TYPE_CHECKING:
    from evals.report import CaseResult

EXIT_BELOW_THRESHOLD = 1
Planner = Literal["offline", "model"]


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        set_name: Annotated[str, typer.Option(
            "--set", help="demo, focus, a held-out set (heldout = all of them, reported not gated) or all.")] = "all",
        planner: Annotated[str, typer.Option("--planner", help="offline (default, no key) or model.")] = "offline",
        db: Annotated[Path | None, typer.Option(
            "--db", help="A demo store (finops demo) to run the demo set on. Default: a fresh demo built in a "
                         "temp dir with the suite's as-of date and seed; $FINOPS_DB is not used, since the set "
                         "needs the demo's planted facts.")] = None,
        json_out: JsonOption = False,
        out: Annotated[Path | None, typer.Option(
            "--out", help="Directory for eval-report.md and eval-report.json.")] = None,
        only: Annotated[str | None, typer.Option(
            "--only", help="Only questions whose id contains this text.")] = None,
        failures: Annotated[bool, typer.Option(
            "--failures/--no-failures", help="List every failure in the terminal table.")] = True,
    ) -> None:
        """Score the assistant's answers (demo company and FOCUS sample); exit 1 under the threshold."""
        from evals.runner import SET_GROUPS, SETS, expand_sets

        if set_name not in (*SETS, *SET_GROUPS):
            typer.echo(f"error: --set must be demo, focus or all, or one of {', '.join(x for x in (*SETS, *SET_GROUPS) if x not in ('demo', 'focus', 'all'))}, not {set_name!r}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
        if planner not in ("offline", "model"):
            typer.echo(f"error: --planner must be offline or model, not {planner!r}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
        if db is not None and not db.exists():
            typer.echo(f"error: no store at {db} (the demo set needs a demo store: finops demo --db {db})", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
        import duckdb
        from rich.console import Console

        from evals.report import SuiteReport
        from evals.runner import run_set
        from evals.spec import DEMO_STORE_SETS, SpecError
        from evals.threshold import load_threshold

        sets = expand_sets(set_name)
        err = Console(stderr=True)
        threshold = load_threshold()
        started = time.perf_counter()
        reports = []
        try:
            for name in sets:
                err.print(f"eval: {name} set, {planner} planner …", markup=False, highlight=False)
                reports.append(run_set(name, planner=cast(Planner, planner), db=db if name in DEMO_STORE_SETS else None,
                                       only=only, progress=None if json_out else _dot(err)))
                err.print("", markup=False)
        except (SpecError, ValueError, OSError, duckdb.Error) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from exc
        suite = SuiteReport(planner=planner, sets=reports, threshold=threshold.overall,
                            set_thresholds=threshold.sets, seconds=time.perf_counter() - started)
        if out is not None:
            md, js = suite.write(out)
            err.print(f"wrote {md} and {js}", markup=False, highlight=False)
        if json_out:
            typer.echo(json.dumps(suite.to_json(), indent=2, default=str))
        else:
            suite.render(Console(), failures=failures)
        raise typer.Exit(EXIT_BELOW_THRESHOLD if suite.below_threshold() else EXIT_OK)


def _dot(console: object) -> Callable[[CaseResult], None]:
    """One character per answer on stderr: '.' right, 'F' wrong."""
    def progress(result: CaseResult) -> None:
        sys.stderr.write("." if result.passed else "F")
        sys.stderr.flush()

    return progress

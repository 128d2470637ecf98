"""`finops export focus`: AI spend (LLM calls and usage buckets, GPU jobs) out as FOCUS 1.2 rows."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from apps.cli.options import EXIT_BAD_INPUT, EXIT_OK, DbOption, JsonOption

err = Console(stderr=True)
export_app = typer.Typer(help="Write the store's data to files other tools read.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.command("focus", help="LLM usage and GPU jobs rolled up per day as FOCUS 1.2 rows (Parquet or CSV).")
def focus(
    period: Annotated[str, typer.Option("--period", help="e.g. 'last month', '2026-11', 'last 30 days'.")],
    out: Annotated[Path, typer.Option("--out", help="PATH.parquet or PATH.csv")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """ChargeCategory Usage; PricingUnit Tokens / GPU-Hours; BilledCost = EffectiveCost = the cost (unknown = empty,
    never 0); ListCost from the price catalogs; x_ columns for model, app, prompt, team (knowledge/export/focus.py)."""
    import json
    from datetime import datetime, time

    import duckdb

    from knowledge.bootstrap import ensure_store
    from knowledge.export.focus import FOCUS_VERSION, export_focus, file_format
    from knowledge.store import StoreError, open_store
    from tools.contract import FinopsError, money
    from tools.periods import parse_period

    try:
        file_format(out)
        path, notice = ensure_store(db)
        if notice:
            err.print(notice, markup=False, highlight=False, soft_wrap=True)
        with open_store(path, read_only=True) as store:
            today = store.today()
            window = parse_period(period, today)
            summary = export_focus(store.con, window.start, window.end, out,
                                   now=datetime.combine(today, time()))
    except (FinopsError, StoreError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (OSError, duckdb.IOException) as exc:
        err.print(f"error: cannot write {out}: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if json_out:
        typer.echo(json.dumps({"path": str(summary.path), "format": summary.format, "focus_version": FOCUS_VERSION,
                               "period": {"start": window.start.isoformat(), "end": window.end.isoformat()},
                               "rows": summary.rows, "llm_rows": summary.llm_rows, "gpu_rows": summary.gpu_rows,
                               "billed_cost": None if summary.billed_cost is None else str(summary.billed_cost),
                               "unknown_cost_rows": summary.unknown_cost_rows,
                               "seconds": round(summary.seconds, 3)}))
        raise typer.Exit(EXIT_OK)
    unknown = f"; {summary.unknown_cost_rows:,} rows of unknown cost (empty, never 0)" if summary.unknown_cost_rows else ""
    typer.echo(f"wrote {summary.rows:,} FOCUS {FOCUS_VERSION} rows ({summary.llm_rows:,} LLM, {summary.gpu_rows:,} GPU job) "
               f"for {window.describe()} to {summary.path}: BilledCost {money(summary.billed_cost)}{unknown} "
               f"in {summary.seconds:.2f} s")

"""Options every command shares: every command takes `--db PATH` (or `--lake DIR`) and `--json`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DbOption = Annotated[
    Path | None,
    typer.Option("--db", "--lake",
                 help="Store file, or a lake directory (`finops lake init`: billing data as Parquet partitions "
                      "beside a small state file). Default: $FINOPS_DB, else ~/.local/share/finops/finops.duckdb, "
                      "where the demo company is built on first use. A store you name must exist.",
                 envvar="FINOPS_DB", show_envvar=False),
]
# `finops demo` writes a store, so it says which kind: --db FILE or --lake DIR.
DemoDbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Store file to build (default: $FINOPS_DB, else "
                              "~/.local/share/finops/finops.duckdb).", envvar="FINOPS_DB", show_envvar=False),
]
# Where the tools' SQL runs (knowledge/engines, docs/engines.md); every command honours $FINOPS_ENGINE.
EngineOption = Annotated[
    str | None,
    typer.Option("--engine", help="duckdb (default) or spark: the same SQL, transpiled, on Apache Spark over the "
                                  "lake given by --lake (the optional extra finops[spark]; Java 17). "
                                  "Default: $FINOPS_ENGINE, else duckdb.", show_envvar=False),
]
JsonOption = Annotated[bool, typer.Option(
    "--json", help="Print machine-readable JSON: numbers as exact decimal strings, units in the names; an error "
                   "is JSON too ({\"error\": …, \"exit_code\": N}) with a non-zero exit.")]



def choose_engine(engine: str | None, db: Path | None) -> str | None:
    """Select `engine` for this process; an error message when it cannot run on `db`, else None."""
    from knowledge.engines import ENGINES, select_engine, selected_engine

    name = (engine or selected_engine()).strip().lower()
    if name not in ENGINES:
        return f"--engine must be one of {', '.join(ENGINES)}, not {name!r}"
    if name != "duckdb":
        from knowledge.lake import is_lake

        if db is None or not is_lake(db):
            return f"--engine {name} reads a Parquet lake: pass --lake DIR (finops demo --lake DIR makes one)"
    select_engine(name)
    return None


# Exit codes of the command-line contract.
EXIT_OK = 0
EXIT_NEEDS_APPROVAL = 1
EXIT_BAD_INPUT = 2

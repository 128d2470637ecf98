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
JsonOption = Annotated[bool, typer.Option(
    "--json", help="Print machine-readable JSON: numbers as exact decimal strings, units in the names; an error "
                   "is JSON too ({\"error\": …, \"exit_code\": N}) with a non-zero exit.")]

# Exit codes of the command-line contract.
EXIT_OK = 0
EXIT_NEEDS_APPROVAL = 1
EXIT_BAD_INPUT = 2

"""`finops`: the one console script. Command groups live in apps/cli/commands/, one module each."""

from __future__ import annotations

import importlib
import pkgutil

import typer

from apps.cli import commands

app = typer.Typer(
    name="finops",
    help="FinOps for AI: exact cost answers with their evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# The order `finops --help` lists commands in: questions first, then data, gates, reports, servers.
# Modules not named here follow in alphabetical order.
_ORDER = ("ask", "chat", "demo", "ingest", "ingest_providers", "estimate", "audit", "analyses", "summary",
          "slack", "eval")


def _register_commands() -> None:
    names = [i.name for i in pkgutil.iter_modules(commands.__path__) if not i.name.startswith("_")]
    names.sort(key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    for name in names:
        module = importlib.import_module(f"apps.cli.commands.{name}")
        module.register(app)


_register_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()

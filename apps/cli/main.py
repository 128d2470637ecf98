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


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"apps.cli.commands.{info.name}")
        module.register(app)


_register_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()

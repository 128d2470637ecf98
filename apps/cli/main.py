"""`finops`: the one console script. Command groups live in apps/cli/commands/, one module each.

`-h`/`--help` everywhere, `--version`. Under `--json` (or `--format json`) every command's failure is
JSON on stdout — `{"error": "...", "exit_code": N}` — with the same non-zero exit code, whatever the
command (usage errors included); the human message still goes to stderr.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import pkgutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import ClickException  # Typer's own Click: the exceptions its parser raises
from typer.core import TyperGroup

from apps.cli import commands


class _Recorder(io.TextIOBase):
    """A text stream that passes writes through and keeps a copy (stdout/stderr under --json)."""

    def __init__(self, stream: Any):
        self._stream = stream
        self.text = io.StringIO()

    def write(self, s: str) -> int:
        self.text.write(s)
        return self._stream.write(s)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self._stream, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "errors", None) or "strict"

    def writable(self) -> bool:
        return True


def wants_json(args: list[str]) -> bool:
    """`--json` or `--format json` among the options (before a `--`)."""
    if "--" in args:
        args = args[: args.index("--")]
    if "--json" in args or "--format=json" in args:
        return True
    return any(a == "--format" and b == "json" for a, b in zip(args, args[1:]))


def error_message(stderr_text: str) -> str:
    """The error lines a command printed ('error: …' first), else its whole stderr."""
    lines = [ln.strip() for ln in stderr_text.splitlines() if ln.strip()]
    errors = [ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("error:")]
    return "; ".join(errors) if errors else "\n".join(lines)


def _flags_take_no_value() -> None:
    """Typer 0.29 prints a type beside every option in --help, '<bool>' beside flags too, which reads as if a
    flag took a value (`--json <bool>`). A flag takes none: print no type for it; other options keep theirs."""
    from typer.core import TyperOption

    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None or getattr(shown, "_finops_flags", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich._finops_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_take_no_value()


class FinopsGroup(TyperGroup):
    """The root command: under --json, a failure with nothing on stdout becomes a JSON error there."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,  # type: ignore[override]
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not wants_json(argv):
            return super().main(args=argv, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=standalone_mode, **extra)
        out, err = _Recorder(sys.stdout), _Recorder(sys.stderr)
        old = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        code, message = 0, None
        try:
            rv = super().main(args=argv, prog_name=prog_name, complete_var=complete_var, standalone_mode=False,
                              **extra)
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        except ClickException as exc:
            code, message = exc.exit_code, exc.format_message()
            exc.show()
        except typer.Abort:
            code, message = 1, "aborted"
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception as exc:   # an unexpected failure: still JSON, and the traceback on stderr
            import traceback

            traceback.print_exc()
            code, message = 1, f"{type(exc).__name__}: {exc}"
        finally:
            sys.stdout, sys.stderr = old
        if code and not out.text.getvalue().strip():
            text = message or error_message(err.text.getvalue()) or f"failed with exit code {code}"
            old[0].write(json.dumps({"error": text, "exit_code": code}, indent=2) + "\n")
            old[0].flush()
        if standalone_mode:
            sys.exit(code)
        return code


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"finops {version('finops')}")
        except PackageNotFoundError:
            typer.echo("finops (version unknown: not installed as a package)")
        raise typer.Exit(0)


_app = typer.Typer(
    name="finops",
    cls=FinopsGroup,
    help="FinOps for AI: exact cost answers with their evidence.",
    no_args_is_help=True,
    add_completion=True,   # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@_app.callback()
def _root(
    version: Annotated[bool | None, typer.Option(
        "--version", help="Print the version and exit.", callback=_version, is_eager=True)] = None,
) -> None:
    """FinOps for AI: exact cost answers with their evidence."""


# The order `finops --help` lists commands in: questions first, then data, gates, reports, servers.
# Modules not named here follow in alphabetical order.
_ORDER = ("ask", "chat", "demo", "ingest", "ingest_providers", "estimate", "audit", "analyses", "summary",
          "slack", "eval")


# The module that registers each top-level command: `finops ask …` imports the ask module only (the others
# bring the ingest machinery, the estimate report, Bolt, Textual …). A name not listed, `--help` or no command
# imports them all. tests/integration/test_cli_cold_start.py checks the table against what the modules register.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "alerts": ("alerts",), "anomalies": ("analyses",), "ask": ("ask",), "audit": ("audit",), "budgets": ("budgets",),
    "chat": ("chat",), "demo": ("demo",), "estimate": ("estimate",), "eval": ("eval",), "export": ("export",),
    "forecast": ("analyses",), "ingest": ("ingest", "ingest_providers"), "lake": ("lake",), "mcp": ("mcp",), "query": ("query",),
    "reconcile": ("ingest_providers",), "remediations": ("analyses",), "slack": ("slack",), "summary": ("summary",),
    "unit-costs": ("analyses",), "waste": ("analyses",),
}
_registered: set[str] = set()

# What `finops --help` (and `finops` alone) lists: every command and its one-line help, in the order the
# modules register them. Importing every command module for that list costs ~0.3 s (the tools' pydantic
# models, the ingest and estimate packages); tests/integration/test_cli_cold_start.py renders the help from
# this table and from the modules and checks the two are the same.
COMMAND_SUMMARIES: tuple[tuple[str, str], ...] = (
    ('ask', 'Ask a cost question; get the answer and its evidence (tools, SQL, freshness).'),
    ('chat', 'Chat with your cost data in the terminal: answers with their rows, chart, SQL and freshness.'),
    ('demo', 'Build the demo company "Acme AI" (90 days of cloud, AI API, GPU and LLM data with planted facts).'),
    ('reconcile',
     'Per provider and month: LLM cost from call logs (or usage buckets) x the price catalog vs the '
     'invoice.'),
    ('estimate',
     'Estimate GPU jobs or LLM batches before they launch (one or more manifests, files or globs); exit 0 '
     'approve, 1 over budget / needs approval, 2 bad input. See docs/estimate.md for the CI gate.'),
    ('waste', 'Idle endpoints, zombie jobs, low-utilisation GPUs, dev running like prod, replication left on.'),
    ('anomalies', "Cost spikes against each scope's same-weekday baseline, and slow drifts, with their drivers."),
    ('forecast', 'Spend forecast for a scope over the next days, with an 80% interval.'),
    ('remediations',
     'What to fix first: actions ranked by monthly savings, with the change to apply (nothing is '
     'executed).'),
    ('unit-costs', 'Cost per 1K inferences (endpoint, model, app, feature, customer) or per training run.'),
    ('summary',
     "The week's cost summary: totals and change, movers, anomalies, budgets, untagged %, waste, LLM, unit"
     ' costs.'),
    ('slack', 'Serve the Slack bot: HTTP mode (--port) or Socket Mode (SLACK_APP_TOKEN).'),
    ('eval', "Score the assistant's answers (demo company and FOCUS sample); exit 1 under the threshold."),
    ('mcp', 'Serve the finops tools, prompts and semantic model to MCP clients (stdio or HTTP).'),
    ('query', 'Any cost question of the bill as one query: measures × group-bys × filters × period (see README).'),
    ('ingest', 'Load files into the store (CSV, CSV.gz, Parquet); bad rows go to quarantine with file and line.'),
    ('audit', 'Audits: untagged spend (tags), prompt costs and savings (prompts).'),
    ('alerts',
     'Alerts to each owner before the money is spent (budgets, forecasts, anomalies, waste, TTLs, stale '
     'data).'),
    ('budgets', 'Budget burn; set budgets of the hierarchy; the tree with headroom.'),
    ('export', "Write the store's data to files other tools read."),
    ('lake', 'The Parquet lake layout: billing data as partitions beside a small state file.'),
)


def command_modules() -> list[str]:
    names = [i.name for i in pkgutil.iter_modules(commands.__path__) if not i.name.startswith("_")]
    return sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))


def _register(names: list[str] | tuple[str, ...]) -> None:
    for name in names:
        if name not in _registered:
            importlib.import_module(f"apps.cli.commands.{name}").register(_app)
            _registered.add(name)


def _register_commands() -> None:
    _register(command_modules())


def _command_name(argv: list[str]) -> str | None:
    """The command named on the command line (the root takes no option with a value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def _without_pandas() -> None:
    """DuckDB imports pandas (and with it numpy and pyarrow: 0.3–0.8 s here) the first time a query binds a
    parameter, only to ask whether a value is a pandas one. No finops command passes pandas values, so the
    console script marks pandas absent unless something already imported it (FINOPS_PANDAS=1: keep it)."""
    if "pandas" not in sys.modules and os.environ.get("FINOPS_PANDAS") != "1":
        sys.modules["pandas"] = None  # type: ignore[assignment]


def __getattr__(name: str) -> Any:
    """`from apps.cli.main import app`: the root command with every command registered."""
    if name == "app":
        _register_commands()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _lake_argument(argv: list[str]) -> str | None:
    """The value of `--lake DIR` / `--lake=DIR` on the command line, if any."""
    for i, arg in enumerate(argv):
        if arg == "--lake" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lake="):
            return arg.split("=", 1)[1]
    return None


def _check_lake_argument(argv: list[str]) -> None:
    """`--lake DIR` names a lake: one that does not exist is an error (exit 2), never a new store file made
    under that name (`--lake` is an alias of `--db`, which a load may create). `finops lake init` and
    `finops demo --lake` make lakes and are left to say so themselves."""
    value = _lake_argument(argv)
    command = _command_name(argv)
    if value is None or command in ("lake", "demo"):
        return
    if Path(value).expanduser().is_file():
        typer.echo(f"error: {value} is a store file, not a lake directory; pass it with --db", err=True)
        raise SystemExit(2)
    if Path(value).expanduser().exists():
        return
    typer.echo(f"error: no lake at {value}; make one with `finops lake init {value}` "
               f"(or `finops lake init {value} --from-db STORE`)", err=True)
    raise SystemExit(2)


def register_summaries() -> None:
    """The root's command list without importing the commands (`COMMAND_SUMMARIES`): enough for the root's
    `--help` and `--version`, which run no command."""
    for name, summary in COMMAND_SUMMARIES:
        _app.command(name=name, help=summary, add_help_option=False)(_listed_only)


def _listed_only() -> None:  # pragma: no cover - never called: only the root's own options run on this path
    raise SystemExit(2)


def _root_only(argv: list[str]) -> bool:
    """No command on the command line (`finops`, `finops --help`, `finops --version`), and no shell completion
    asking for the commands' own options."""
    return _command_name(argv) is None and not any(k.startswith("_FINOPS_COMPLETE") for k in os.environ)


def main() -> None:
    _without_pandas()
    argv = sys.argv[1:]
    _check_lake_argument(argv)
    modules = COMMAND_MODULES.get(_command_name(argv) or "")
    if _root_only(argv):
        register_summaries()
    elif modules and "-h" not in argv[:1] and "--help" not in argv[:1]:
        _register(modules)
    else:
        _register_commands()
    _app()


if __name__ == "__main__":
    main()

"""`finops …` run in this process (Typer's CliRunner) for tests where the command's behaviour is under test
and the process boundary is not.

A subprocess costs a fresh interpreter and the product's imports on every call (0.5–1.5 s of CPU on the
2-core CI machine); in-process the imports are paid once per worker. Tests that are *about* the process
(a kill -9 mid-write, the cold-start imports, a second process holding the writer lock, the console
script itself) keep their subprocess.

`finops_cli(*args, env=…, cwd=…, input=…)` gives what `subprocess.run(..., capture_output=True, text=True)`
gave: `returncode`, `stdout`, `stderr`. `env` replaces the environment for the call as a subprocess's
`env=` did (variables not named are unset, then restored), so a test that ran the CLI with only PATH and
HOME still runs it without FINOPS_DB or OPENAI_API_KEY from the developer's shell; `cwd` is the working
directory for the call. `process=True` runs the same call as a real `python -m apps.cli.main` subprocess,
for the few checks that are about the process (its exit status as CI sees it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click.testing
import typer


class CliRunner(click.testing.CliRunner):
    """Typer's CliRunner, with each app's click command built once per worker instead of at every `invoke`.

    Typer's runner turns the app into a click command on every `invoke` (every command's options from its
    function signature and its args model): ~45 ms a call, ~20 s of CPU over the suite's ~420 in-process
    runs. This is click's runner (Typer's copies it: same isolation, exit codes, stdout/stderr/output) given
    `typer.main.get_command(app)`, rebuilt when the app gains a command: what runs is the command `finops`
    runs."""

    def invoke(self, app: typer.Typer, args: str | Sequence[str] | None = None, input: bytes | str | None = None,  # type: ignore[override]
               env: Mapping[str, str | None] | None = None, catch_exceptions: bool = True, color: bool = False,
               **extra: Any) -> click.testing.Result:
        return super().invoke(click_command(app), args, input, env, catch_exceptions, color, **extra)


_COMMANDS: dict[int, tuple[typer.Typer, int, click.Command]] = {}


def click_command(app: typer.Typer) -> click.Command:
    """`typer.main.get_command(app)`, kept while the app has the same commands."""
    size = len(app.registered_commands) + len(app.registered_groups)
    hit = _COMMANDS.get(id(app))
    if hit is None or hit[0] is not app or hit[1] != size:
        hit = (app, size, typer.main.get_command(app))
        _COMMANDS[id(app)] = hit
    return hit[2]


@dataclass
class Ran:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


@contextmanager
def _cwd(path: str | Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def finops_cli(*args: str, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
               input: str | None = None, process: bool = False) -> Ran:
    """Run `finops <args>` in-process; an exception the CLI did not turn into an exit code is raised."""
    if process:
        p = subprocess.run([sys.executable, "-m", "apps.cli.main", *args], cwd=cwd, input=input, text=True,
                           capture_output=True, timeout=300, env=None if env is None else dict(env))
        return Ran(list(args), p.returncode, p.stdout, p.stderr)
    from apps.cli.main import app

    overrides: dict[str, str | None] = {}
    if env is not None:                     # the whole environment, as subprocess.run(env=...) has it
        overrides = {k: None for k in os.environ if k not in env}
        overrides.update(env)
    with _cwd(cwd):
        result = CliRunner().invoke(app, list(args), env=overrides, input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(list(args), result.exit_code, result.stdout, result.stderr)

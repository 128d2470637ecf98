"""CLI options generated from a tool's args model, so a command never re-declares what the model says.

    tool_command(app, "forecast", "forecast", flags={"horizon_days": "--horizon", "history_days": "--history"})

gives `finops forecast [--db P] [--json] [--scope …] [--name …] [--horizon N] [--history N] [--top N]`:
one option per field of `ForecastArgs`, its help the field's description (plus the allowed values of a
Literal), its default the field's default, `min`/`max` from the field's `ge`/`le`. A bool is a
`--x/--no-x` switch, a list is a repeatable option, a Decimal is taken as text (pydantic parses it
exactly). The values go to the tool through the registry, which validates them against the same model.

A field whose type is not a plain value (a list of `Filter`s, keys given as 'a,b,c') names a `TextOption`:
how its text is parsed and the syntax its help states. `callback=True` makes the command a group's callback
(`finops budgets` with its subcommands `set` and `tree`): the tool runs when no subcommand is named.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

import typer
from pydantic.fields import FieldInfo

from apps.cli.options import EXIT_BAD_INPUT, DbOption, JsonOption
from apps.cli.tool_runner import run_tool_command
from tools.registry import registry


@dataclass(frozen=True)
class TextOption:
    """A field read from text: `parse` turns each given text into the field's value (for a list field, into
    its items: a list returned is spread) and raises typer.BadParameter on bad input; `help` is its syntax."""

    parse: Callable[[str], Any]
    help: str


def comma_list(text: str) -> list[str]:
    """'team, project' -> ['team', 'project'] (a list option may also be repeated)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def tool_command(app: typer.Typer, command: str, tool: str, *, flags: Mapping[str, str] | None = None,
                 short: Mapping[str, str] | None = None, help: str | None = None,
                 render: Callable[[Any, Any], None] | None = None,
                 text: Mapping[str, TextOption] | None = None, callback: bool = False) -> None:
    """Register `finops <command>` running registry tool `tool` with options generated from its args model.
    `flags` renames an option (field -> "--flag"), `short` adds a short name (field -> "-p"), `text` reads a
    field from text (field -> TextOption); `callback` registers it as the callback of the group `app`."""
    spec = registry.get(tool)
    flags, short, text = dict(flags or {}), dict(short or {}), dict(text or {})
    params = [inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=DbOption),
              inspect.Parameter("json_out", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=JsonOption)]
    if callback:
        params.insert(0, inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context))
    for name, field in spec.args_model.model_fields.items():
        names = [flags.get(name, "--" + name.replace("_", "-"))] + ([short[name]] if name in short else [])
        annotation, default = _option(field, names, text.get(name))
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))

    def run(ctx: typer.Context | None = None, **values: Any) -> None:
        if ctx is not None and ctx.invoked_subcommand is not None:
            return
        db, json_out = values.pop("db"), values.pop("json_out")
        try:
            parsed = {k: _parse(v, text[k]) if k in text and v is not None else v for k, v in values.items()}
        except typer.BadParameter as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        args = {k: v for k, v in parsed.items() if v is not None and v != []}
        run_tool_command(db, tool, args, json_out, render=render)

    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    run.__doc__ = help or spec.description
    run.__name__ = f"{tool}_command"
    if callback:
        app.callback(invoke_without_command=True)(run)
    else:
        app.command(command)(run)


def _parse(value: Any, option: TextOption) -> Any:
    if not isinstance(value, list):
        return option.parse(value)
    out: list[Any] = []
    for item in value:
        got = option.parse(item)
        out += got if isinstance(got, list) else [got]
    return out


def _option(field: FieldInfo, names: list[str], as_text: TextOption | None = None) -> tuple[Any, Any]:
    """The Annotated type and default of one generated option."""
    kind, optional = _unwrap(field.annotation)
    text = field.description or ""
    choices = typing.get_args(kind) if typing.get_origin(kind) is Literal else ()
    items = _items(kind)
    if as_text is not None:                                  # read from text: str, or a repeatable str
        text = f"{text} {as_text.help}".strip()
        if items is not None:
            return Annotated[list[str] | None, typer.Option(*names, help=text)], None
        return Annotated[str | None, typer.Option(*names, help=text)], None
    if items is not None and typing.get_origin(items) is Literal:
        choices = typing.get_args(items)
    if choices:
        text += f" One of: {', '.join(str(c) for c in choices)}" + (" (repeatable)." if items is not None else ".")
    bounds: dict[str, Any] = {}
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            bounds["min"] = m.ge
        if getattr(m, "le", None) is not None:
            bounds["max"] = m.le
    default = None if field.is_required() else field.get_default(call_default_factory=True)
    if items is not None:                                    # a repeatable option; empty = the model's default
        return Annotated[list[str] | None, typer.Option(*names, help=text)], None
    if kind is bool:
        flag = names[0]
        return Annotated[bool, typer.Option(f"{flag}/--no-{flag[2:]}", help=text)], bool(default)
    if kind is int:
        return Annotated[int | None if optional else int, typer.Option(*names, help=text, **bounds)], default
    if kind is float:
        return Annotated[float | None if optional else float, typer.Option(*names, help=text, **bounds)], default
    shown = str(default) if isinstance(default, Decimal) else default
    return Annotated[str | None if (optional or shown is None) else str, typer.Option(*names, help=text)], shown


def _items(kind: Any) -> Any:
    """The item type of a list[X] or tuple[X, ...] field, else None."""
    if typing.get_origin(kind) is list:
        return typing.get_args(kind)[0]
    if typing.get_origin(kind) is tuple and len(typing.get_args(kind)) == 2 and typing.get_args(kind)[1] is Ellipsis:
        return typing.get_args(kind)[0]
    return None


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    args = typing.get_args(annotation)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else annotation), True
    return annotation, False

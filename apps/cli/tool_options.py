"""CLI options generated from a tool's args model, so a command never re-declares what the model says.

    tool_command(app, "forecast", "forecast", flags={"horizon_days": "--horizon", "history_days": "--history"})

gives `finops forecast [--db P] [--json] [--scope …] [--name …] [--horizon N] [--history N] [--top N]`:
one option per field of `ForecastArgs`, its help the field's description (plus the allowed values of a
Literal), its default the field's default, `min`/`max` from the field's `ge`/`le`. A bool is a
`--x/--no-x` switch, a list is a repeatable option, a Decimal is taken as text (pydantic parses it
exactly). The values go to the tool through the registry, which validates them against the same model.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

import typer
from pydantic.fields import FieldInfo

from apps.cli.options import DbOption, JsonOption
from apps.cli.tool_runner import run_tool_command
from tools.registry import registry


def tool_command(app: typer.Typer, command: str, tool: str, *, flags: Mapping[str, str] | None = None,
                 short: Mapping[str, str] | None = None, help: str | None = None,
                 render: Callable[[Any, Any], None] | None = None) -> None:
    """Register `finops <command>` running registry tool `tool` with options generated from its args model.
    `flags` renames an option (field -> "--flag"), `short` adds a short name (field -> "-p")."""
    spec = registry.get(tool)
    flags, short = dict(flags or {}), dict(short or {})
    params = [inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=DbOption),
              inspect.Parameter("json_out", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=JsonOption)]
    for name, field in spec.args_model.model_fields.items():
        names = [flags.get(name, "--" + name.replace("_", "-"))] + ([short[name]] if name in short else [])
        annotation, default = _option(field, names)
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))

    def run(**values: Any) -> None:
        db, json_out = values.pop("db"), values.pop("json_out")
        args = {k: v for k, v in values.items() if v is not None and v != []}
        run_tool_command(db, tool, args, json_out, render=render)

    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    run.__doc__ = help or spec.description
    run.__name__ = f"{tool}_command"
    app.command(command)(run)


def _option(field: FieldInfo, names: list[str]) -> tuple[Any, Any]:
    """The Annotated type and default of one generated option."""
    kind, optional = _unwrap(field.annotation)
    text = field.description or ""
    choices = typing.get_args(kind) if typing.get_origin(kind) is Literal else ()
    items = typing.get_args(kind)[0] if typing.get_origin(kind) is list else None
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


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    args = typing.get_args(annotation)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else annotation), True
    return annotation, False

"""Run one registry tool for a CLI command and render its result (Rich), or print it as JSON.

Shared by the command modules that expose a tool directly (`finops audit …`, `finops waste`, …): the
store is found (and the demo built on first use, with its one-line notice), opened read-only, the tool
runs through the registry, and the result's summary, rows and evidence line are printed. Resource names
and tag values are data: they are printed as Text objects, never as Rich markup.
Exit 0 on a result, 2 on bad input (unknown name, bad period, no data, unreadable store).

`--json` prints the tool result (typed fields, evidence), its summary, and `table`: the rows for
machines, generated from the result's models (never by parsing the formatted "$1,234.56" cells):
numbers are numbers (exact decimals as strings of digits), the unit is in the column name
(`monthly_cost_usd`, `change_ratio` = 0.125 for +12.5%, `calls_per_day`), dates are ISO strings.

On a terminal, text wraps at its width; piped (`finops remediations | cat`) nothing is wrapped, so a
command to copy stays on one line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import typer

from apps.cli.options import EXIT_BAD_INPUT, EXIT_OK

Renderer = Callable[[Any, Any], None]  # (console, result) -> None

_NUMERIC_HINTS = ("$", "billed", "cost", "calls", "tokens", "confidence", "saving", "amount", "share", "%")
UNBOUNDED_WIDTH = 100_000   # "no wrapping" for a console that is not a terminal


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 action', '3 actions' (`many` for irregular plurals)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def make_console() -> Any:
    """Rich console for stdout: the terminal's width on a terminal, no wrapping when piped or redirected."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console()
    return Console(width=UNBOUNDED_WIDTH, soft_wrap=True)


def run_tool_command(db: Any, tool: str, args: dict[str, Any], json_out: bool,
                     render: Renderer | None = None) -> None:
    from knowledge.bootstrap import ensure_store
    from knowledge.store import StoreError, open_store
    from tools.contract import FinopsError
    from tools.registry import run_tool

    args = {k: v for k, v in args.items() if v is not None}
    try:
        path, notice = ensure_store(db)
        if notice:
            typer.echo(notice, err=True)
        with open_store(path, read_only=True) as store:
            result = run_tool(store, tool, args)
    except (FinopsError, StoreError) as exc:
        if json_out:
            typer.echo(json.dumps({"error": str(exc), "exit_code": EXIT_BAD_INPUT}, indent=2))
        else:
            typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if json_out:
        typer.echo(json.dumps(json_document(tool, result), indent=2))
        raise typer.Exit(EXIT_OK)
    console = make_console()
    (render or render_result)(console, result)
    render_evidence_line(console, result)
    raise typer.Exit(EXIT_OK)


def json_document(tool: str, result: Any) -> dict[str, Any]:
    """The result's fields (as pydantic dumps them), its summary, and the machine form of its table."""
    doc = json.loads(result.model_dump_json())
    doc["summary"] = result.summary()
    doc["table"] = machine_table(tool, result)
    return doc


def render_result(console: Any, result: Any) -> None:
    """The summary (the answer), then the rows behind it."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(result.summary()))
    view = result.table()
    if view is None or not view.rows:
        return
    table = Table(header_style="bold")
    for col in view.columns:
        numeric = any(h in col.lower() for h in _NUMERIC_HINTS)
        table.add_column(Text(col), justify="right" if numeric else "left", overflow="fold")
    for row in view.rows:
        table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    console.print(table)


def render_evidence_line(console: Any, result: Any) -> None:
    """One dim line: how many SQL statements, data freshness, notes (`--json` has the full evidence)."""
    from rich.text import Text

    ev = result.evidence
    if ev is None:
        return
    fresh = "; ".join(f"{f.source} through {f.latest_data.date().isoformat() if f.latest_data else 'n/a'}"
                      for f in ev.freshness)
    line = f"Evidence: {plural(len(ev.sql), 'SQL statement')} (see --json)" + (f"; data: {fresh}" if fresh else "")
    for note in ev.notes:
        line += f"; {note}"
    console.print(Text(line, style="dim"))


# -- the machine form of a result's table ----------------------------------------------------------------
def machine_value(value: Any) -> Any:
    """A cell for machines: Decimal -> exact digits ('212384.3'), date -> ISO, lists kept, None -> null."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Decimal):
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".") or "0"
        return "0" if text in ("-0", "") else text
    if isinstance(value, float):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [machine_value(v) for v in value]
    return str(value)


def _savings(row: Any, kind: str) -> Decimal | None:
    return next((s.monthly for s in row.savings if s.kind == kind), None)


def _caching_applies(row: Any) -> bool | None:
    return next((s.applies for s in row.savings if s.kind == "caching"), None)


Column = tuple[str, Callable[[Any], Any]]
# tool -> (the result's list of row models, [(column name with its unit, value of a row)])
MACHINE_COLUMNS: dict[str, tuple[str, list[Column]]] = {
    "waste": ("items", [
        ("kind", lambda i: i.kind), ("ref", lambda i: i.ref), ("name", lambda i: i.name),
        ("resource_id", lambda i: i.resource_id), ("team", lambda i: i.team), ("owner", lambda i: i.owner),
        ("monthly_cost_usd", lambda i: i.monthly_cost), ("run_rate_monthly_usd", lambda i: i.run_rate_monthly),
        ("since", lambda i: i.since), ("reason", lambda i: i.reason)]),
    "anomalies": ("anomalies", [
        ("kind", lambda a: a.kind), ("scope_kind", lambda a: a.scope_kind), ("scope", lambda a: a.scope),
        ("start", lambda a: a.start), ("end", lambda a: a.end), ("days", lambda a: a.days),
        ("ongoing", lambda a: a.ongoing), ("cost_usd", lambda a: a.cost), ("usual_usd", lambda a: a.baseline),
        ("excess_usd", lambda a: a.excess), ("change_ratio", lambda a: a.pct), ("peak_day", lambda a: a.peak_day),
        ("robust_z", lambda a: a.z),
        ("drivers", lambda a: [d.resource_name or d.resource_id for d in a.drivers])]),
    "budgets": ("budgets", [
        ("scope_kind", lambda b: b.scope_kind), ("scope", lambda b: b.scope), ("period", lambda b: b.period),
        ("period_start", lambda b: b.period_start), ("period_end_exclusive", lambda b: b.period_end),
        ("budget_usd", lambda b: b.amount), ("spent_usd", lambda b: b.spent), ("spent_ratio", lambda b: b.pct),
        ("forecast_usd", lambda b: b.forecast), ("forecast_low_usd", lambda b: b.forecast_low),
        ("forecast_high_usd", lambda b: b.forecast_high), ("forecast_ratio", lambda b: b.forecast_pct),
        ("exceed_on", lambda b: b.exceed_on), ("alerts", lambda b: b.alerts)]),
    "forecast": ("forecasts", [
        ("scope", lambda f: f.scope), ("forecast_usd", lambda f: f.total), ("p10_usd", lambda f: f.low),
        ("p90_usd", lambda f: f.high), ("previous_usd", lambda f: f.previous), ("change_ratio", lambda f: f.change),
        ("slope_usd_per_day", lambda f: f.slope_per_day)]),
    "remediations": ("actions", [
        ("action", lambda a: a.action), ("title", lambda a: a.title), ("target", lambda a: a.target),
        ("team", lambda a: a.team), ("owner", lambda a: a.owner), ("monthly_savings_usd", lambda a: a.monthly_savings),
        ("risk", lambda a: a.risk), ("alternative_to", lambda a: a.alternative_to), ("change", lambda a: a.change)]),
    "unit_costs": ("rows", [
        ("name", lambda r: r.key), ("source", lambda r: r.source), ("team", lambda r: r.team),
        ("cost_usd", lambda r: r.cost), ("units", lambda r: r.units), ("unit", lambda r: r.unit),
        ("unit_cost_usd", lambda r: r.per_unit), ("unit_cost_per", lambda r: r.per_label.removeprefix("per ")),
        ("too_few_units", lambda r: r.too_few), ("unknown_cost_units", lambda r: r.unknown_cost_units)]),
    "prompt_audit": ("rows", [
        ("prompt_id", lambda r: r.prompt_id), ("version", lambda r: r.version), ("app", lambda r: r.app),
        ("team", lambda r: r.team), ("model", lambda r: r.model), ("task", lambda r: r.task_type),
        ("system_prompt_tokens", lambda r: r.system_prompt_tokens), ("calls_per_day", lambda r: r.calls_per_day),
        ("prefix_cost_usd_per_day", lambda r: r.prefix_cost_per_day), ("cost_usd_per_day", lambda r: r.cost_per_day),
        ("trim_savings_usd_per_month", lambda r: _savings(r, "trim")),
        ("caching_savings_usd_per_month", lambda r: _savings(r, "caching")),
        ("caching_applies_as_is", _caching_applies),
        ("max_tokens_savings_usd_per_month", lambda r: _savings(r, "max_tokens")),
        ("cheaper_model_savings_usd_per_month", lambda r: _savings(r, "model_tier")),
        ("cheaper_model", lambda r: r.suggested_model)]),
    "tag_audit": ("offenders", [
        ("resource_id", lambda o: o.resource_id), ("resource_name", lambda o: o.resource_name),
        ("service", lambda o: o.service), ("account", lambda o: o.account), ("billed_usd", lambda o: o.billed),
        ("missing_keys", lambda o: o.missing_keys), ("mistagged_keys", lambda o: o.mistagged_keys),
        ("suggested_team", lambda o: o.suggested_team), ("suggested_owner", lambda o: o.suggested_owner),
        ("suggestion_source", lambda o: o.suggestion_source), ("confidence_ratio", lambda o: o.confidence)]),
    "reconcile": ("rows", [
        ("provider", lambda r: r.provider), ("month", lambda r: r.month.strftime("%Y-%m")), ("basis", lambda r: r.basis),
        ("calls", lambda r: r.calls), ("computed_usd", lambda r: r.computed), ("unpriced_calls", lambda r: r.unpriced_calls),
        ("invoiced_usd", lambda r: r.invoiced), ("difference_usd", lambda r: r.difference),
        ("difference_ratio", lambda r: r.difference_pct)]),
}
_UNIT_SUFFIX = {"USD": "_usd", "ratio": "_ratio", "count": "_count"}


def machine_table(tool: str, result: Any) -> dict[str, Any] | None:
    """{"columns": [...], "rows": [[...]]} for machines, from the result's typed fields; None: no rows."""
    if tool == "query_costs":
        return _query_costs_table(result)
    spec = MACHINE_COLUMNS.get(tool)
    if spec is None:
        return _generic_table(result)
    field, columns = spec
    rows = getattr(result, field, None) or []
    return {"columns": [name for name, _ in columns],
            "rows": [[machine_value(get(row)) for _, get in columns] for row in rows]}


def _query_costs_table(result: Any) -> dict[str, Any]:
    measures = list(result.measures)
    cols = list(result.group_by)
    cols += [m.name + _UNIT_SUFFIX.get(m.unit, "") for m in measures]
    first = measures[0] if measures else None
    with_prev = result.compare_period is not None
    cols += ["share_ratio"]
    if with_prev:
        cols += ["previous_" + m.name + _UNIT_SUFFIX.get(m.unit, "") for m in measures]
    cols += ["is_other", "folded_keys", "charges"]
    rows = []
    for r in result.rows:
        row = [machine_value(k) for k in r.keys]
        row += [machine_value(r.values.get(m.name)) for m in measures]
        row.append(machine_value(r.share) if first is not None and first.unit != "ratio" else None)
        if with_prev:
            row += [machine_value(r.previous.get(m.name)) for m in measures]
        row += [r.is_other, r.folded, r.charges]
        rows.append(row)
    return {"columns": cols, "rows": rows}


def _generic_table(result: Any) -> dict[str, Any] | None:
    """A result without a declared column list: the scalar fields of its first list of row models."""
    from pydantic import BaseModel

    for name in type(result).model_fields:
        value = getattr(result, name)
        if isinstance(value, list) and value and isinstance(value[0], BaseModel):
            fields = [f for f in type(value[0]).model_fields
                      if not isinstance(getattr(value[0], f), (BaseModel, dict))]
            return {"columns": fields, "rows": [[machine_value(getattr(v, f)) for f in fields] for v in value]}
    return None

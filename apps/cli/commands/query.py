"""`finops query [--period P] [--measure M …] [--by D …] [--where COND …] [--compare previous|year_ago]
[--top N] [--order desc|asc] [--db P] [--json]`: one `CostQuery` over the semantic model.

`--where` takes `dim=value`, `dim!=value`, `dim=a,b` (in), `dim!=a,b` (not in), `dim~text` (contains),
`dim=null` / `dim!=null`. Exit 0 on a result, 2 on bad input (unknown dimension, measure or value: with
"did you mean"; a column the data lacks; a period with no data)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from apps.cli.options import EXIT_BAD_INPUT, DbOption, JsonOption
from apps.cli.tool_runner import run_tool_command

_COND = re.compile(r"^\s*(?P<dim>[^=!~]+?)\s*(?P<op>!=|=|~)\s*(?P<val>.*?)\s*$")


def parse_where(text: str) -> dict[str, Any]:
    """'service_category=Compute' -> a Filter as data; raises typer.BadParameter on anything else."""
    m = _COND.match(text)
    if not m or not m.group("val"):
        raise typer.BadParameter(f"expected dim=value, dim!=value, dim=a,b, dim~text or dim=null; got {text!r}")
    dim, op, val = m.group("dim"), m.group("op"), m.group("val")
    if val.lower() == "null" and op in ("=", "!="):
        return {"dimension": dim, "op": "is_null" if op == "=" else "not_null", "values": []}
    if op == "~":
        return {"dimension": dim, "op": "contains", "values": [val]}
    values = [v.strip() for v in val.split(",") if v.strip()]
    if len(values) > 1:
        return {"dimension": dim, "op": "in" if op == "=" else "not_in", "values": values}
    return {"dimension": dim, "op": "eq" if op == "=" else "ne", "values": values}


def register(app: typer.Typer) -> None:
    @app.command("query")
    def query_command(
        db: DbOption = None,
        json_out: JsonOption = False,
        period: Annotated[str, typer.Option("--period", "-p", help="e.g. 'last month', '2024-09', 'Q3 2026'.")] = "last 30 days",
        measure: Annotated[list[str] | None, typer.Option(
            "--measure", "-m", help="billed_cost (default), effective_cost, list_cost, savings, … (repeatable).")] = None,
        by: Annotated[list[str] | None, typer.Option(
            "--by", "-b", help="Dimension to group by: service, team, region, tag:env, month … (up to 3).")] = None,
        where: Annotated[list[str] | None, typer.Option(
            "--where", "-w", help="dim=value, dim!=value, dim=a,b, dim~text, dim=null (repeatable).")] = None,
        compare: Annotated[str, typer.Option("--compare", help="none, previous or year_ago.")] = "none",
        top: Annotated[int | None, typer.Option("--top", min=1, max=1000, help="Rows before 'other'.")] = None,
        order: Annotated[str, typer.Option("--order", help="desc (biggest first) or asc.")] = "desc",
    ) -> None:
        """Any cost question of the bill as one query: measures × group-bys × filters × period (see README)."""
        try:
            filters = [parse_where(w) for w in where or []]
        except typer.BadParameter as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        args: dict[str, Any] = {"period": period, "measures": measure or ["billed_cost"], "group_by": by or [],
                                "filters": filters, "compare": compare, "top": top, "order": order}
        run_tool_command(db, "query_costs", args, json_out)

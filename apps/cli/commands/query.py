"""`finops query [--period P] [--measure M …] [--by D …] [--where COND …] [--compare previous|year_ago]
[--compare-to P] [--period-basis charge|billing] [--top N] [--order desc|asc] [--db P] [--json]`: one
`CostQuery` over the semantic model, its options generated from the `query_costs` tool's args model
(apps/cli/tool_options.py).

`--where` takes `dim=value`, `dim!=value`, `dim=a,b` (in), `dim!=a,b` (not in), `dim~text` (contains),
`dim=null` / `dim!=null`. Exit 0 on a result, 2 on bad input (unknown dimension, measure or value: with
"did you mean"; a column the data lacks; a period with no data)."""

from __future__ import annotations

import re
from typing import Any

import typer

from apps.cli.tool_options import TextOption, tool_command

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


WHERE = TextOption(parse_where, "As dim=value, dim!=value, dim=a,b, dim~text or dim=null (repeatable).")


def register(app: typer.Typer) -> None:
    tool_command(app, "query", "query_costs", short={"period": "-p", "measures": "-m", "group_by": "-b", "filters": "-w"},
                 flags={"measures": "--measure", "group_by": "--by", "filters": "--where"}, text={"filters": WHERE},
                 help="Any cost question of the bill as one query: measures × group-bys × filters × period (see README).")

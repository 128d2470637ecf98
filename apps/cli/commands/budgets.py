"""`finops budgets [--scope-kind K] [--name N] [--alerts-only]`: burn vs budget (the budgets tool);
`finops budgets set ID --amount USD [--parent ID] [--level L] [--where dim=value …] [--period P] [--hard]`
or `finops budgets set --file budgets.yaml|csv`: set budgets of the hierarchy (org → team → project → job,
model / app, or any CostQuery scope), checked against the precedence rule (a child may not ask for more
than its parent has left to give); `finops budgets tree`: each budget's burn, forecast and headroom.
Exit 0 done, 2 bad input (nothing is written then)."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from apps.cli.options import EXIT_BAD_INPUT, DbOption, JsonOption
from apps.cli.tool_options import tool_command


def register(app: typer.Typer) -> None:
    budgets = typer.Typer(name="budgets", help="Budget burn; set budgets of the hierarchy; the tree with headroom.")
    app.add_typer(budgets, name="budgets")

    # `finops budgets` alone runs the budgets tool, its options generated from the args model.
    tool_command(budgets, "budgets", "budgets", callback=True,
                 help="Burn vs budget for the current period, forecast to its end, alerts at 80% and 100%.")

    budgets.command("set")(set_command)
    budgets.command("tree")(tree_command)


def _parse_where(items: list[str]) -> list[dict[str, Any]]:
    from apps.cli.commands.query import parse_where

    return [parse_where(w) for w in items]


def _spec_from_flags(budget_id: str, amount: str, parent: str | None, level: str | None, name: str | None,
                     where: list[str], period: str, start: str | None, end: str | None, hard: bool,
                     thresholds: str | None, owner: str | None, channel: str | None) -> dict[str, Any]:
    guess_level, _, guess_name = budget_id.partition(":") if ":" in budget_id else ("org" if budget_id == "org" else "scope", "", budget_id)
    return {"id": budget_id, "amount": amount, "parent": parent, "level": level or guess_level,
            "name": name or guess_name or budget_id, "where": where, "period": period, "start": start, "end": end,
            "limit": "hard" if hard else "soft", "thresholds": thresholds, "owner": owner, "channel": channel}


def _read_file(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise ValueError(f"no such file: {path}")
    if path.suffix.lower() == ".csv":
        with path.open(newline="") as fh:
            rows = [dict(r) for r in csv.DictReader(fh)]
        for r in rows:
            r["where"] = [w for w in (r.get("where") or "").split(";") if w.strip()]
        return rows
    import yaml

    data = yaml.safe_load(path.read_text())
    items = data.get("budgets") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"{path}: expected a list of budgets (or `budgets:` holding one)")
    return items


def _period_start(period: str, start: str | None, today: date) -> date:
    if start:
        return date.fromisoformat(str(start))
    if period == "quarterly":
        return date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return date(today.year, today.month, 1)


def _node(spec: dict[str, Any], today: date) -> Any:
    from knowledge.semantic.query import Filter
    from tools.budget_tree import BudgetNode, _thresholds, level_filters

    try:
        amount = Decimal(str(spec["amount"]).replace(",", "").lstrip("$"))
    except (KeyError, InvalidOperation):
        raise ValueError(f"budget {spec.get('id')!r}: --amount must be a number of USD") from None
    level = str(spec.get("level") or "scope")
    name = str(spec.get("name") or spec["id"])
    where = spec.get("where") or []
    filters = tuple(Filter.model_validate(f) for f in _parse_where([str(w) for w in where])) if where else \
        level_filters(level, name)
    period = str(spec.get("period") or "monthly")
    end = spec.get("end")
    return BudgetNode(budget_id=str(spec["id"]), parent_id=spec.get("parent") or None, level=level, name=name,
                      filters=filters, period=period, period_start=_period_start(period, spec.get("start"), today),
                      period_end=date.fromisoformat(str(end)) if end else None, amount=amount,
                      limit_kind=str(spec.get("limit") or "soft"), thresholds=_thresholds(spec.get("thresholds")),
                      owner=spec.get("owner"), channel=spec.get("channel"))


def set_command(
    budget_id: Annotated[str | None, typer.Argument(help="Budget id, e.g. org, team:support, project:llama-ft.")] = None,
    amount: Annotated[str | None, typer.Option("--amount", help="USD per period.")] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="The parent budget's id (e.g. org, team:research).")] = None,
    level: Annotated[str | None, typer.Option("--level", help="org, team, project, job, model, app or scope.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The team/project/model/app name (default: from the id).")] = None,
    where: Annotated[list[str] | None, typer.Option("--where", "-w", help="A CostQuery filter, dim=value (repeatable); "
                                                       "default: the level's dimension = name.")] = None,
    period: Annotated[str, typer.Option("--period", help="monthly, quarterly or custom.")] = "monthly",
    start: Annotated[str | None, typer.Option("--start", help="First period's start (default: this month/quarter).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="custom: the day after the last day.")] = None,
    hard: Annotated[bool, typer.Option("--hard/--soft", help="hard: also fails the pre-launch gate.")] = False,
    thresholds: Annotated[str | None, typer.Option("--thresholds", help="Alert shares, e.g. 0.5,0.7,0.9,1.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who owns it (default: the team lead).")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="Slack channel (default: the team's).")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="YAML or CSV of budgets (same fields), parents first.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Set budgets of the hierarchy; each is checked against what its parent has left to give."""
    from pydantic import ValidationError

    from apps.alerts.ledger import now_utc
    from knowledge.bootstrap import ensure_store
    from knowledge.ingest.session import transaction
    from knowledge.store import StoreError, open_store_for_write
    from tools.budget_tree import save_nodes
    from tools.contract import FinopsError

    try:
        path, _ = ensure_store(db)
        if file is not None:
            specs = _read_file(file)
        elif budget_id and amount:
            specs = [_spec_from_flags(budget_id, amount, parent, level, name, where or [], period, start, end, hard,
                                      thresholds, owner, channel)]
        else:
            raise ValueError("give a budget id and --amount, or --file")
        with open_store_for_write(path) as store:
            nodes = [_node(s, store.today()) for s in specs]
            with transaction(store.con):          # all of them or none
                save_nodes(store, nodes, now_utc())
    except (FinopsError, StoreError, ValueError, ValidationError) as exc:
        print(f"error: {str(exc).splitlines()[0] if isinstance(exc, ValidationError) else exc}", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out = [{"budget_id": n.budget_id, "parent": n.parent_id, "level": n.level, "amount": str(n.amount),
            "period": n.period, "period_start": n.period_start.isoformat(), "limit": n.limit_kind} for n in nodes]
    if json_out:
        print(json.dumps({"set": out}, indent=2))
    else:
        for n in out:
            print(f"set {n['budget_id']}: {n['amount']} USD {n['period']} from {n['period_start']} ({n['limit']} limit)"
                  + (f" under {n['parent']}" if n["parent"] else ""))


def tree_command(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Every budget covering today: spent, %, forecast with its interval, and headroom after the precedence rule."""
    from knowledge.bootstrap import ensure_store
    from knowledge.store import StoreError, open_store
    from tools import budget_tree
    from tools.contract import FinopsError, money, pct
    from tools.forecast import last_data_day
    from tools.registry import ToolContext

    try:
        path, _ = ensure_store(db)
        with open_store(path, read_only=True) as store:
            today = store.today()
            rows = budget_tree.statuses(store, today, last_data_day(ToolContext(store, "budgets")))
    except (FinopsError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if json_out:
        print(json.dumps({"as_of": today.isoformat(), "budgets": [r.model_dump(mode="json") for r in rows]}, indent=2))
        return
    for r in rows:
        n = r.node
        print(f"{n.budget_id} ({n.level}, {n.limit_kind}{', under ' + n.parent_id if n.parent_id else ''}): "
              f"{money(r.spent)} of {money(n.amount)} ({pct(r.pct)}), forecast {money(r.forecast)} "
              f"[{money(r.forecast_low)} to {money(r.forecast_high)}], headroom {money(r.headroom)} (set by {r.binding})")

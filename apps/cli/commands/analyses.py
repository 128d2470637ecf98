"""`finops waste | anomalies | forecast | remediations | unit-costs [--db P] [--json] ...`.

Each command runs its tool through the registry on a read-only store and prints the summary (the
answer), the rows behind it and a one-line evidence note; `--json` prints the tool result with its
evidence. Exit 0 on a result, 2 on bad input (unknown name, bad period, no data, no store).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer

from apps.cli.options import DbOption, JsonOption
from apps.cli.tool_runner import plural, run_tool_command

PeriodOption = Annotated[str, typer.Option("--period", "-p", help="Period, e.g. 'last 30 days', 'last week', '2026-11'.")]
TeamOption = Annotated[str | None, typer.Option("--team", help="Only this team.")]
NameOption = Annotated[str | None, typer.Option("--name", help="Only this scope name (a team, service, model ...).")]


def register(app: typer.Typer) -> None:
    @app.command("waste")
    def waste_command(
        db: DbOption = None,
        json_out: JsonOption = False,
        team: TeamOption = None,
        kind: Annotated[list[str] | None, typer.Option(
            "--kind", help="idle_endpoint, zombie_job, low_util_gpu, dev_like_prod, left_on (repeatable).")] = None,
        no_progress_hours: Annotated[int, typer.Option(
            "--no-progress-hours", help="A running job with no progress this many hours is a zombie.", min=1)] = 24,
        top: Annotated[int, typer.Option("--top", help="Most rows to list.", min=1, max=1000)] = 100,
    ) -> None:
        """Idle endpoints, zombie jobs, low-utilisation GPUs, dev running like prod, replication left on."""
        args: dict[str, Any] = {"team": team, "no_progress_hours": no_progress_hours, "top": top}
        if kind:
            args["kinds"] = kind
        run_tool_command(db, "waste", args, json_out)

    @app.command("anomalies")
    def anomalies_command(
        db: DbOption = None,
        json_out: JsonOption = False,
        period: PeriodOption = "last 30 days",
        scope: Annotated[str, typer.Option("--scope", help="all (service and team), team, service, model, project, resource.")] = "all",
        name: NameOption = None,
        team: TeamOption = None,
        sensitivity: Annotated[str, typer.Option("--sensitivity", help="low, medium or high (more alerts).")] = "medium",
        min_excess: Annotated[str, typer.Option("--min-excess", help="Ignore excess under this many USD a day.")] = "50",
        drift: Annotated[bool, typer.Option("--drift/--no-drift", help="Also look for slow drifts.")] = True,
        top: Annotated[int, typer.Option("--top", help="Most rows to list.", min=1, max=200)] = 20,
    ) -> None:
        """Cost spikes against each scope's same-weekday baseline, and slow drifts, with their drivers."""
        run_tool_command(db, "anomalies", {"period": period, "scope": scope, "name": name, "team": team,
                               "sensitivity": sensitivity, "min_excess": min_excess, "drift": drift, "top": top}, json_out)

    @app.command("forecast")
    def forecast_command(
        db: DbOption = None,
        json_out: JsonOption = False,
        scope: Annotated[str, typer.Option("--scope", help="total, team, service, model or project.")] = "total",
        name: NameOption = None,
        horizon: Annotated[int, typer.Option("--horizon", help="Days ahead.", min=1, max=366)] = 30,
        history: Annotated[int, typer.Option("--history", help="Days of history to learn from.", min=14, max=366)] = 56,
        top: Annotated[int, typer.Option("--top", help="Most rows to list.", min=1, max=100)] = 10,
    ) -> None:
        """Spend forecast for a scope over the next days, with an 80% interval."""
        run_tool_command(db, "forecast", {"scope": scope, "name": name, "horizon_days": horizon, "history_days": history,
                              "top": top}, json_out)

    @app.command("remediations")
    def remediations_command(
        db: DbOption = None,
        json_out: JsonOption = False,
        team: TeamOption = None,
        min_savings: Annotated[str, typer.Option("--min-savings", help="Hide actions saving less per month (USD).")] = "0",
        top: Annotated[int, typer.Option("--top", help="Most rows to list.", min=1, max=200)] = 20,
    ) -> None:
        """What to fix first: actions ranked by monthly savings, with the change to apply (nothing is executed)."""
        run_tool_command(db, "remediations", {"team": team, "min_savings": min_savings, "top": top}, json_out,
                         render=_render_actions)

    @app.command("unit-costs")
    def unit_costs_command(
        db: DbOption = None,
        json_out: JsonOption = False,
        by: Annotated[str, typer.Option("--by", help="endpoint, model, app, feature, customer or training_run.")] = "endpoint",
        period: PeriodOption = "last 30 days",
        name: NameOption = None,
        top: Annotated[int, typer.Option("--top", help="Most rows to list.", min=1, max=500)] = 20,
    ) -> None:
        """Cost per 1K inferences (endpoint, model, app, feature, customer) or per training run."""
        run_tool_command(db, "unit_costs", {"by": by, "period": period, "name": name, "top": top}, json_out)


def _render_actions(console: Any, result: Any) -> None:
    from rich.text import Text

    from tools.contract import money

    if not result.actions:
        console.print(Text(result.summary()))
        return
    console.print(Text(f"{plural(len(result.actions), 'action')}, {money(result.total_monthly)} per month in total "
                       "(alternatives not added). Nothing is executed: apply the changes below yourself."))
    for n, a in enumerate(result.actions, 1):
        saving = f"saves {money(a.monthly_savings)}/month" if isinstance(a.monthly_savings, Decimal) else "saving unknown"
        head = Text(f"\n{n}. {a.title}: {saving}, risk {a.risk}", style="bold")
        console.print(head)
        owner = ", ".join(x for x in (a.team, a.owner) if x)
        console.print(Text(f"   evidence: {a.evidence}" + (f" [{owner}]" if owner else "")))
        console.print(Text(f"   risk: {a.risk_note}" + (f"; alternative to: {a.alternative_to}" if a.alternative_to else "")))
        for line in a.change.splitlines():   # never wrapped: a command must stay one line to copy
            console.print(Text(f"     {line}", style="cyan"), soft_wrap=True)


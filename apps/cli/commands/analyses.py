"""`finops waste | anomalies | forecast | remediations | unit-costs [--db P] [--json] ...`.

Each command runs its tool through the registry on a read-only store and prints the summary (the
answer), the rows behind it and a one-line evidence note; `--json` prints the tool result with its
evidence. Exit 0 on a result, 2 on bad input (unknown name, bad period, no data, no store).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import typer

from apps.cli.tool_options import tool_command
from apps.cli.tool_runner import plural


def register(app: typer.Typer) -> None:
    # Options generated from each tool's args model (apps/cli/tool_options.py); only flag names differ.
    tool_command(app, "waste", "waste", flags={"kinds": "--kind"},
                 help="Idle endpoints, zombie jobs, low-utilisation GPUs, dev running like prod, replication left on.")
    tool_command(app, "anomalies", "anomalies", short={"period": "-p"},
                 help="Cost spikes against each scope's same-weekday baseline, and slow drifts, with their drivers.")
    tool_command(app, "forecast", "forecast", flags={"horizon_days": "--horizon", "history_days": "--history"},
                 help="Spend forecast for a scope over the next days, with an 80% interval.")
    tool_command(app, "remediations", "remediations", render=_render_actions,
                 help="What to fix first: actions ranked by monthly savings, with the change to apply "
                      "(nothing is executed).")
    tool_command(app, "unit-costs", "unit_costs", short={"period": "-p"},
                 help="Cost per 1K inferences (endpoint, model, app, feature, customer) or per training run.")


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


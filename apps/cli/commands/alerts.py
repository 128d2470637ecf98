"""`finops alerts run [--db P] [--json] [--dry-run] [--now T] [--as-of D] [--no-slack]`: evaluate every alert
condition, deliver what is new to each owner's Slack channel (or print it: `--json` for other channels),
record it in the ledger. Cron-able and idempotent (docs/alerts.md). Exit 0 when the run completed, 1 when a
delivery failed (the alert stays undelivered for the next run), 2 on bad input (no store, bad setting)."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any

import typer

from apps.cli.options import EXIT_BAD_INPUT, EXIT_OK, DbOption, JsonOption


def register(app: typer.Typer) -> None:
    alerts = typer.Typer(name="alerts", help="Alerts to each owner before the money is spent (budgets, forecasts, "
                                             "anomalies, waste, TTLs, stale data).", no_args_is_help=True)
    app.add_typer(alerts, name="alerts")
    alerts.command("run")(run_command)


def run_command(
    db: DbOption = None,
    json_out: JsonOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be delivered; send and record nothing.")] = False,
    now: Annotated[str | None, typer.Option(
        "--now", help="The clock for quiet hours, snoozes and the rate limit (ISO, UTC; default: now).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="The day the data is judged on (default: the store's today).")] = None,
    no_slack: Annotated[bool, typer.Option("--no-slack", help="Print the new alerts instead of posting them, even "
                                                              "with SLACK_BOT_TOKEN set (they are recorded).")] = False,
) -> None:
    """Evaluate the alert conditions; deliver the new ones to their owners' channels once; record them."""
    from apps.alerts.model import AlertSettings, AlertSettingsError
    from knowledge.bootstrap import ensure_store
    from knowledge.store import StoreError
    from tools.contract import FinopsError

    try:
        cfg = AlertSettings.from_env()
        clock = datetime.fromisoformat(now).replace(tzinfo=None) if now else None
        day = date.fromisoformat(as_of) if as_of else None
        path, notice = ensure_store(db)
        if notice:
            print(notice, file=sys.stderr)
        report = _run(path, cfg, clock, day, dry_run=dry_run, slack=not no_slack)
    except (AlertSettingsError, FinopsError, StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if json_out:
        print(json.dumps(report, indent=2, default=str))
    else:
        _print(report)
    raise typer.Exit(1 if report["counts"].get("failed") else EXIT_OK)


def _sender(slack: bool, cfg: Any) -> Any:
    token = os.environ.get("SLACK_BOT_TOKEN")
    if not (slack and token):
        return None
    from slack_sdk import WebClient

    from apps.slack.alerts import SlackSender
    from apps.slack.settings import SlackSettings

    settings = SlackSettings.from_env()
    return SlackSender(WebClient(token=token, base_url=settings.api_url), cfg.snooze_days)


def _run(path: Any, cfg: Any, clock: datetime | None, day: date | None, *, dry_run: bool, slack: bool) -> dict[str, Any]:
    from apps.alerts import ledger
    from apps.alerts.evaluate import evaluate
    from apps.alerts.run import deliver, plan
    from knowledge.store import open_store, open_store_for_write

    clock = clock or ledger.now_utc()
    sender = None if dry_run else _sender(slack, cfg)
    if dry_run:
        with open_store(path, read_only=True) as store:
            evaluation = evaluate(store, cfg, day)
            outcomes = plan(store, evaluation, cfg, clock)
    else:
        with open_store_for_write(path) as store:
            evaluation = evaluate(store, cfg, day)
            outcomes = plan(store, evaluation, cfg, clock)
            deliver(store, outcomes, cfg, clock, sender)
    return {
        "as_of": evaluation.as_of.isoformat(), "data_end": evaluation.data_end.isoformat() if evaluation.data_end else None,
        "now": clock.isoformat(), "dry_run": dry_run, "delivery": "none (dry run)" if dry_run else ("slack" if sender else "print"),
        "alerts": [{**o.alert.model_dump(mode="json"), "status": o.status, "reason": o.reason, "ts": o.ts} for o in outcomes],
        "held": evaluation.held,
        "counts": dict(sorted(Counter(o.status for o in outcomes).items())),
    }


def _print(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(width=None if sys.stdout.isatty() else 100_000, soft_wrap=not sys.stdout.isatty())
    head = (f"Alerts as of {report['as_of']} (billing data through {report['data_end'] or 'none'}), "
            f"clock {report['now']} UTC, delivery: {report['delivery']}.")
    console.print(Text(head))
    for a in report["alerts"]:
        line = Text(f"[{a['status']}] {a['severity']:<6} {a['channel']}  {a['title']}: {a['figure']}")
        console.print(line)
        if a.get("action"):
            console.print(Text(f"    suggested: {a['action']}"))
        console.print(Text(f"    evidence: {a['evidence']['tool']}, {len(a['evidence']['sql'])} SQL, data through "
                           f"{a['evidence'].get('data_through') or 'n/a'}; key {a['key']} / {a['state']}"
                           + (f"; {a['reason']}" if a.get("reason") else "")))
    for note in report["held"]:
        console.print(Text(f"held back: {note}"))
    console.print(Text("counts: " + (", ".join(f"{k} {v}" for k, v in report["counts"].items()) or "no alerts")))

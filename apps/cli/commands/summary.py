"""`finops summary [--week 2026-W47] [--team T] [--format md|html|json] [--out P] [--post] [--as-of D]`.

The week's cost summary for the company or one team. Markdown goes to the terminal with text charts, or
to a file with PNG charts beside it; HTML is one self-contained file (charts embedded); JSON holds every
figure and each tool call's evidence. `--post` sends the summaries to Slack (company channel and each
team's channel, or only `--team`'s), once per week and channel. Exit 0 done, 1 a Slack post failed,
2 bad input (unknown team, bad week, no store, no SLACK_BOT_TOKEN).
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from apps.cli.options import EXIT_BAD_INPUT, EXIT_NEEDS_APPROVAL, EXIT_OK, DbOption, JsonOption

CHART_FILES = {"daily": "daily", "movers": "movers", "llm_models": "llm"}


class Format(str, Enum):
    md = "md"
    html = "html"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("summary")(summary)


def summary(
    db: DbOption = None,
    json_out: JsonOption = False,
    week: Annotated[str | None, typer.Option(
        "--week", help="ISO week, e.g. 2026-W47 (default: the last full week before --as-of).")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Only this team's summary.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="md (text charts on a terminal), html or json.")] = Format.md,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write to this file (md: PNG charts beside it; html: one self-contained file).")] = None,
    post: Annotated[bool, typer.Option(
        "--post", help="Post to Slack: the company channel and each team's (env SLACK_BOT_TOKEN, SLACK_API_URL, "
                       "FINOPS_SUMMARY_CHANNEL); a channel that has the week's summary is skipped.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Reference date YYYY-MM-DD (first day not yet past) for reproducible runs; "
                        "default: the store's as_of, else today.")] = None,
) -> None:
    """The week's cost summary: totals and change, movers, anomalies, budgets, untagged %, waste, LLM, unit costs."""
    from apps.report.week import resolve_week
    from knowledge.bootstrap import ensure_store, is_demo_store
    from knowledge.store import StoreError, open_store, open_store_for_write
    from tools.contract import FinopsError

    if json_out:
        fmt = Format.json
    pinned: date | None = None
    if as_of is not None:
        try:
            pinned = date.fromisoformat(as_of)
        except ValueError:
            _fail(f"--as-of must be a date like 2026-11-25, not {as_of!r}")
    settings = _post_settings() if post else None
    try:
        path, notice = ensure_store(db)
        if notice:
            typer.echo(notice, err=True)
        # Posting records what was posted (so a re-run never double-posts); that write goes to a private
        # copy swapped in at the end, so a bot reading the store stays up meanwhile.
        opened = open_store_for_write(path) if post else open_store(path, read_only=True)
        with opened as store:
            report_week = resolve_week(week, pinned or store.today())
            if is_demo_store(store.con):
                typer.echo(f"note: {path} holds the demo company: the summary is marked DEMO DATA"
                           + (" in every post." if post else "."), err=True)
            if post:
                code = _post(store, report_week, team, settings, fmt, out)
            else:
                code = _write(store, report_week, team, fmt, out)
    except (FinopsError, StoreError) as exc:
        _fail(str(exc))
    raise typer.Exit(code)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _post_settings() -> Any:
    from apps.report.slack_post import PostSettings

    settings = PostSettings.from_env()
    if not settings.token:
        _fail("--post needs SLACK_BOT_TOKEN (and SLACK_API_URL for a proxy or a test server)")
    return settings


def _write(store: Any, week: Any, team: str | None, fmt: Format, out: Path | None, cache: Any = None) -> int:
    from apps.report.build import build_summary
    from apps.report.layout import layout

    summary = build_summary(store, week, team, cache)
    if fmt is Format.json:
        _emit(summary.model_dump_json(indent=2) + "\n", out)
        return EXIT_OK
    doc = layout(summary)
    if fmt is Format.html:
        from apps.report import png
        from apps.report.render_html import render_html

        charts = {k: png.chart_png(summary, k) for k in CHART_FILES if png.has_chart(summary, k)}  # type: ignore[arg-type]
        _emit(render_html(doc, summary, charts), out)
        return EXIT_OK
    from apps.report.render_md import render_markdown

    if out is None:
        _emit(render_markdown(doc, summary), None)
        return EXIT_OK
    from apps.report import png

    images: dict[str, str] = {}
    for key, suffix in CHART_FILES.items():
        if png.has_chart(summary, key):  # type: ignore[arg-type]
            image = out.with_name(f"{out.stem}-{suffix}.png")
            image.parent.mkdir(parents=True, exist_ok=True)
            image.write_bytes(png.chart_png(summary, key))  # type: ignore[arg-type]
            images[key] = image.name
    _emit(render_markdown(doc, summary, images), out)
    return EXIT_OK


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}", err=True)


def _post(store: Any, week: Any, team: str | None, settings: Any, fmt: Format, out: Path | None) -> int:
    import json

    from apps.report.slack_post import post_summaries

    cache: dict[str, Any] = {}
    if team is not None:
        from apps.report.build import build_summary

        team = build_summary(store, week, team, cache).team   # resolves the name ('did you mean') first
    outcomes = post_summaries(store, week, settings, team, cache=cache)
    if out is not None:
        _write(store, week, team, fmt, out, cache)
    if fmt is Format.json and out is None:
        typer.echo(json.dumps([o.model_dump() for o in outcomes], indent=2))
    else:
        for o in outcomes:
            scope = "company" if o.scope.startswith("(") else f"team {o.scope}"
            detail = f" ts {o.ts}" if o.ts else ""
            detail += f", chart {o.file_id}" if o.file_id else ""
            detail += f" ({o.error})" if o.error else ""
            typer.echo(f"{o.channel}: {o.status} ({scope}, {week.label}){detail}")
    if not outcomes:
        typer.echo("nothing to post: no company channel and no team has a slack_channel", err=True)
    return EXIT_NEEDS_APPROVAL if any(o.status == "failed" for o in outcomes) else EXIT_OK

"""`finops ingest openai-usage|openai-costs|anthropic-usage|anthropic-costs|litellm-spend|dcgm [--db P] [--json]
PATH...` (files, directories of pages, or `-` for stdin), and `finops reconcile`.

The connectors join the `ingest` group that apps/cli/commands/ingest.py builds (commands modules register
in alphabetical order, so it exists by now; if it does not, this module makes it). Output and exit codes
follow the ingest contract: `read N, loaded L, quarantined Q` per input, exit 0 when the run completed,
2 when nothing could be ingested and nothing changed. The work lives in knowledge.connectors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from apps.cli.ingest_output import ForceOption, MaxQuarantineOption, policy_from, print_committed
from apps.cli.ingest_output import fail as _fail
from apps.cli.options import EXIT_OK, DbOption, JsonOption
from knowledge.connectors import CONNECTORS, ConnectorOptions, ingest_provider
from knowledge.ingest.errors import IngestError
from knowledge.ingest.limits import DEFAULT_WAIT_SECONDS
from knowledge.store import resolve_db_path

LIVE_KINDS = ("openai-usage", "openai-costs", "anthropic-usage", "anthropic-costs")

PathsArg = Annotated[list[str] | None, typer.Argument(
    help="Files, directories of files, or - for stdin.", show_default=False)]
WaitOption = Annotated[float, typer.Option("--wait", help="Seconds to wait while another process holds the store.", min=0)]
AccountOption = Annotated[str | None, typer.Option(
    "--account", help="Organization / billing account the pages belong to (re-ingests replace within it).")]
RateOption = Annotated[list[str] | None, typer.Option(
    "--usd-rate", help="USD per unit of another currency, e.g. EUR=1.08 (repeatable); without one, "
                       "non-USD amounts are quarantined.")]
ScrapedOption = Annotated[str | None, typer.Option(
    "--scraped-at", help="Time of a scrape whose samples carry no timestamp (ISO 8601; default: file time).")]
MetricOption = Annotated[str | None, typer.Option(
    "--metric", help="Metric of query-API series without a __name__ label, e.g. DCGM_FI_DEV_GPU_UTIL.")]
FromApiOption = Annotated[bool, typer.Option(
    "--from-api", help="Pull the pages from the provider's Admin API (key from OPENAI_ADMIN_KEY / ANTHROPIC_ADMIN_KEY).")]
StartOption = Annotated[str | None, typer.Option("--start", help="--from-api: first day or time (UTC), e.g. 2026-11-01.")]
EndOption = Annotated[str | None, typer.Option("--end", help="--from-api: end (exclusive), default now.")]
WidthOption = Annotated[str, typer.Option("--bucket-width", help="--from-api: 1m, 1h or 1d.")]
GroupOption = Annotated[list[str] | None, typer.Option("--group-by", help="--from-api: a dimension (repeatable).")]
EndpointOption = Annotated[list[str] | None, typer.Option(
    "--endpoint", help="--from-api, openai-usage: completions, embeddings, ... (repeatable; default completions).")]
PagesDirOption = Annotated[Path | None, typer.Option(
    "--pages-dir", help="--from-api: where pages are kept (default: pulls/<kind> next to the store); "
                        "an interrupted pull resumes from there.")]


def _time(text: str, option: str) -> datetime:
    s = text.strip()
    try:
        if len(s) == 10:
            d = date.fromisoformat(s)
            return datetime(d.year, d.month, d.day)
        t = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)
    except ValueError:
        raise IngestError(f"{option}: not a date or time {text!r} (use e.g. 2026-11-01 or 2026-11-01T12:00:00Z)") from None
    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


def _rates(items: list[str] | None) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for item in items or []:
        code, _, value = item.partition("=")
        try:
            rate = Decimal(value.strip())
        except InvalidOperation:
            rate = Decimal(0)
        if not code.strip() or not rate.is_finite() or rate <= 0:
            raise IngestError(f"--usd-rate {item!r}: use CODE=RATE, e.g. EUR=1.08")
        out[code.strip().upper()] = rate
    return out


def _run(kind: str, paths: list[str] | None, db: Path | None, as_json: bool, wait: float,
         options: dict[str, Any], live: dict[str, Any] | None = None) -> None:
    """Parse and load; print what was committed after the commit (see apps/cli/ingest_output.py)."""
    try:
        policy = policy_from(options.get("max_quarantine"), bool(options.get("force")))
        opts = ConnectorOptions(
            account=options.get("account"), usd_rates=_rates(options.get("usd_rate")),
            scraped_at=_time(options["scraped_at"], "--scraped-at") if options.get("scraped_at") else None,
            metric=options.get("metric"),
        )
        if live and live["from_api"]:
            if paths:
                raise IngestError("give either --from-api or files, not both")
            paths = [str(p) for p in _pull(kind, db, live, as_json)]
        if not paths:
            raise IngestError("no files given (or use --from-api)" if kind in LIVE_KINDS else "no files given")
        report = ingest_provider(db, kind, paths, options=opts, wait_seconds=wait, policy=policy)
    except IngestError as exc:
        _fail(str(exc), as_json, rolled_back=exc.rolled_back)
        return
    except Exception as exc:  # an unexpected failure mid-load: the whole command was rolled back
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        _fail(f"ingest stopped: {first}", as_json, rolled_back=True)
        return
    shown_paths = paths
    print_committed(report, as_json, lambda f: _shown(f, shown_paths))
    raise typer.Exit(EXIT_OK)


def _shown(file: str, paths: list[str]) -> str:
    for p in paths:
        if p != "-" and str(Path(p).expanduser().resolve()) == file:
            return p
    return file


def _pull(kind: str, db: Path | None, live: dict[str, Any], as_json: bool) -> list[Path]:
    from knowledge.connectors.live import PullRequest, pull, pull_summary

    if not live.get("start"):
        raise IngestError("--from-api needs --start (e.g. --start 2026-11-01)")
    req = PullRequest(kind=kind, start=_time(live["start"], "--start"),
                      end=_time(live["end"], "--end") if live.get("end") else None,
                      bucket_width=live["bucket_width"], group_by=tuple(live.get("group_by") or ()),
                      endpoints=tuple(live.get("endpoint") or ()))
    pages_dir = live.get("pages_dir") or resolve_db_path(db).parent / "pulls" / kind
    files = pull(req, pages_dir)
    if not as_json:
        typer.echo(f"pulled {pull_summary(files)}")
    return files


def _command(kind: str) -> Callable[..., None]:
    if kind in LIVE_KINDS:
        costs = kind.endswith("-costs")

        def live_command(paths: PathsArg = None, db: DbOption = None, as_json: JsonOption = False,
                         account: AccountOption = None, usd_rate: RateOption = None, from_api: FromApiOption = False,
                         start: StartOption = None, end: EndOption = None, bucket_width: WidthOption = "1d",
                         group_by: GroupOption = None, endpoint: EndpointOption = None,
                         pages_dir: PagesDirOption = None, wait: WaitOption = DEFAULT_WAIT_SECONDS,
                         max_quarantine: MaxQuarantineOption = None, force: ForceOption = False) -> None:
            if usd_rate and not costs:
                _fail("--usd-rate applies to the cost connectors only", as_json)
            _run(kind, paths, db, as_json, wait, {"account": account, "usd_rate": usd_rate,
                                                  "max_quarantine": max_quarantine, "force": force},
                 {"from_api": from_api, "start": start, "end": end, "bucket_width": bucket_width,
                  "group_by": group_by, "endpoint": endpoint, "pages_dir": pages_dir})

        return live_command
    if kind == "dcgm":
        def dcgm_command(paths: PathsArg = None, db: DbOption = None, as_json: JsonOption = False,
                         scraped_at: ScrapedOption = None, metric: MetricOption = None,
                         wait: WaitOption = DEFAULT_WAIT_SECONDS, max_quarantine: MaxQuarantineOption = None,
                         force: ForceOption = False) -> None:
            _run(kind, paths, db, as_json, wait, {"scraped_at": scraped_at, "metric": metric,
                                                  "max_quarantine": max_quarantine, "force": force})

        return dcgm_command

    def command(paths: PathsArg = None, db: DbOption = None, as_json: JsonOption = False,
                wait: WaitOption = DEFAULT_WAIT_SECONDS, max_quarantine: MaxQuarantineOption = None,
                force: ForceOption = False) -> None:
        _run(kind, paths, db, as_json, wait, {"max_quarantine": max_quarantine, "force": force})

    return command


def _ingest_group(app: typer.Typer) -> typer.Typer:
    for info in app.registered_groups:
        if info.name == "ingest" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(name="ingest", no_args_is_help=True, help="Load files into the store.")
    app.add_typer(group, name="ingest")
    return group


def register(app: typer.Typer) -> None:
    group = _ingest_group(app)
    for kind, connector in CONNECTORS.items():
        group.command(kind, help=connector.help)(_command(kind))

    from apps.cli.tool_options import tool_command

    tool_command(app, "reconcile", "reconcile", short={"period": "-p"},
                 help="Per provider and month: LLM cost from call logs (or usage buckets) x the price catalog vs the invoice.")

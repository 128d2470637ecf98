"""`finops slack`: serve the Slack bot (HTTP mode with --port, Socket Mode when SLACK_APP_TOKEN is set)."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from apps.cli.options import EXIT_BAD_INPUT, DbOption

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("slack", help="Serve the Slack bot: HTTP mode (--port) or Socket Mode (SLACK_APP_TOKEN).")(slack)


def slack(
    db: DbOption = None,
    port: Annotated[int | None, typer.Option("--port", help="HTTP mode on this port (default $PORT or 3000, "
                                                "unless SLACK_APP_TOKEN selects Socket Mode).")] = None,
    host: Annotated[str, typer.Option("--host", help="HTTP mode: address to listen on (default 127.0.0.1, loopback "
                                              "only; 0.0.0.0 for every interface, e.g. in a container).")] = "127.0.0.1",
) -> None:
    """Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, SLACK_API_URL,
    FINOPS_APPROVAL_THRESHOLD, FINOPS_SLACK_ACCESS, FINOPS_SLACK_WORKERS."""
    from apps.slack.access import AccessError
    from apps.slack.app import create_bot
    from apps.slack.settings import SettingsError, SlackSettings
    from knowledge.bootstrap import NoStoreError, require_store

    try:
        settings = SlackSettings.from_env(db=Path(db) if db else None)
        socket_mode = port is None and settings.app_token is not None
        settings.check(http_mode=not socket_mode)
        store_path = require_store(settings.db)   # a named store that does not exist: exit 2 before serving
        bot = create_bot(settings)
    except NoStoreError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (SettingsError, AccessError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None

    if not store_path.exists():
        err.print(f"note: no store at {store_path} yet; the demo company is built there on the first question "
                  "(or run `finops ingest` first).", markup=False, soft_wrap=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler
        from slack_sdk.errors import SlackApiError

        handler = SocketModeHandler(bot.app, settings.app_token)
        try:
            handler.connect()
        except SlackApiError as exc:
            err.print(f"[red]error:[/red] Socket Mode: Slack refused the connection "
                      f"({exc.response.get('error')}); check SLACK_APP_TOKEN (xapp-…, scope connections:write)")
            bot.close()
            raise typer.Exit(EXIT_BAD_INPUT) from None
        print(f"finops Slack bot connected in Socket Mode (store {store_path})", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        handler.close()
    else:
        from apps.slack.http_server import EVENTS_PATH, SlackHTTPServer

        listen = port if port is not None else int(os.environ.get("PORT") or 3000)
        try:
            server = SlackHTTPServer(bot.app, host, listen, signing_secret=settings.signing_secret)
        except OSError as exc:
            err.print(f"[red]error:[/red] cannot listen on {host}:{listen}: {exc.strerror}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        server.start_background()
        # The first line tells scripts (and tests) where the bot listens; the port may have been 0.
        print(f"finops Slack bot listening on http://{host}:{server.port}{EVENTS_PATH} (store {store_path})", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        server.shutdown()
        server.server_close()
    bot.close()

"""`finops mcp`: serve every registry tool to MCP clients over stdio (default) or streamable HTTP."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from apps.cli.options import EXIT_BAD_INPUT, DbOption

err = Console(stderr=True)


class Transport(str, Enum):
    stdio = "stdio"
    http = "http"


class SchemaMode(str, Enum):
    compact = "compact"
    full = "full"


def register(app: typer.Typer) -> None:
    app.command("mcp", help="Serve the finops tools, prompts and semantic model to MCP clients (stdio or HTTP).")(mcp)


def mcp(
    db: DbOption = None,
    transport: Annotated[Transport, typer.Option("--transport", help="stdio (a client starts the server) or http "
                                                 "(streamable HTTP at /mcp).")] = Transport.stdio,
    host: Annotated[str, typer.Option("--host", help="HTTP: address to listen on (default loopback only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="HTTP: port (0 = any free port; the first line says which).")] = 8765,
    schema: Annotated[SchemaMode, typer.Option("--schema", help="compact (default: tool list under ~4,000 tokens) or "
                                               "full (descriptions and args-model schemas verbatim).")] = SchemaMode.compact,
    access: Annotated[Path | None, typer.Option("--access", envvar="FINOPS_SLACK_ACCESS", show_envvar=True,
                                                   help="Access mapping YAML (the Slack bot's format).")] = None,
    user: Annotated[str | None, typer.Option("--user", envvar="FINOPS_MCP_USER", show_envvar=True,
                                                help="Who is asking, as named in the access mapping's users.")] = None,
    schema_size: Annotated[bool, typer.Option("--schema-size", help="Print the tool list's size (characters, "
                                              "tokens estimated as characters/4) as JSON and exit.")] = False,
) -> None:
    """Read-only: every call opens the store read-only. With an access mapping, the caller (`--user`) sees only
    its teams' costs; without `--user` the mapping's `default` applies."""
    from apps.mcp.schemas import schema_size as measure
    from apps.mcp.server import McpConfig
    from apps.slack.access import AccessError, AccessPolicy
    from knowledge.bootstrap import ensure_store
    from knowledge.store import StoreError

    if schema_size:
        typer.echo(json.dumps(measure(schema.value)))
        raise typer.Exit(0)
    try:
        policy = AccessPolicy.load(access.expanduser() if access else None)
        path, notice = ensure_store(db)
    except (AccessError, StoreError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if notice:
        err.print(notice, markup=False, highlight=False, soft_wrap=True)
    config = McpConfig(db=path, mode=schema.value, policy=policy, user=user)
    if transport is Transport.stdio:
        import anyio

        from apps.mcp.server import serve_stdio

        # stdout carries the protocol: everything else goes to stderr.
        err.print(f"finops MCP server on stdio (store {path}, access: {config.scope.describe()})",
                  markup=False, highlight=False, soft_wrap=True)
        anyio.run(serve_stdio, config)
        return
    _serve_http(config, host, port, path)


def _serve_http(config: object, host: str, port: int, path: Path) -> None:
    import socket

    import uvicorn

    from apps.mcp.server import http_app

    try:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # Listening before the line below is printed: a client that reads it and connects at once is queued,
        # never refused while uvicorn starts (the HTTP tests raced this under load).
        sock.listen(128)
    except OSError as exc:
        err.print(f"error: cannot listen on {host}:{port}: {exc.strerror}", markup=False, highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    app = http_app(config, host)  # type: ignore[arg-type]
    # The first stdout line tells scripts (and tests) where the server listens; the port may have been 0.
    print(f"finops MCP server listening on http://{shown}:{bound}/mcp (store {path})", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    server.run(sockets=[sock])

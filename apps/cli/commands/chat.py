"""`finops chat [--db P] [--session ID] [--planner auto|offline|model]`: the terminal chat (Textual)."""

from __future__ import annotations

from typing import Annotated, cast

import typer

from apps.cli.options import DbOption


def register(app: typer.Typer) -> None:
    @app.command("chat")
    def chat(
        db: DbOption = None,
        session: Annotated[str | None, typer.Option(
            "--session", help="Conversation id: reuse one to continue its memory (default: a new one per run).")] = None,
        planner: Annotated[str, typer.Option(
            "--planner", help="auto (a model when OPENAI_API_KEY is set, else offline), offline or model.")] = "auto",
    ) -> None:
        """Chat with your cost data in the terminal: answers with their rows, chart, SQL and freshness."""
        if planner not in ("auto", "offline", "model"):
            typer.echo(f"error: --planner must be auto, offline or model, not {planner!r}", err=True)
            raise typer.Exit(2)
        from knowledge.bootstrap import require_store
        from knowledge.connection import duckdb_threads
        from knowledge.store import StoreError

        try:
            duckdb_threads()       # a bad FINOPS_DUCKDB_THREADS: say so before the chat opens
            require_store(db)      # a named store that does not exist: say so before the chat opens
        except StoreError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        from apps.tui.app import ChatApp
        from apps.tui.ask import Planner

        ChatApp(db=db, session_id=session, planner=cast(Planner, planner)).run()

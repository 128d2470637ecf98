"""`finops ask "QUESTION" [--db P] [--json] [--session ID] [--planner auto|offline|model]`.

Prints the notice (if any: one line, on stderr), the answer, then its Evidence block; `--json` prints
the structured answer. Exit 0 on an answer (a "did you mean" too), 2 on errors (an unreachable model
server, a rejected key, a period that cannot be parsed, no store).
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional, cast

import typer

from apps.cli.options import EXIT_BAD_INPUT, EXIT_OK, DbOption, JsonOption

PLANNERS = ("auto", "offline", "model")
Planner = Literal["auto", "offline", "model"]


def register(app: typer.Typer) -> None:
    @app.command("ask")
    def ask_command(
        question: Annotated[str, typer.Argument(help="The question, in plain language (quote it).")],
        db: DbOption = None,
        json_out: JsonOption = False,
        session: Annotated[Optional[str], typer.Option(
            "--session", help="Conversation id: follow-ups ('and last month?') work across runs.")] = None,
        planner: Annotated[str, typer.Option(
            "--planner", help="auto (a model when OPENAI_API_KEY is set, else offline), offline or model.")] = "auto",
    ) -> None:
        """Ask a cost question; get the answer and its evidence (tools, SQL, freshness)."""
        if planner not in PLANNERS:
            typer.echo(f"error: --planner must be auto, offline or model, not {planner!r}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
        from agent.service import ask

        answer = ask(question, db=db, session_id=session, planner=cast(Planner, planner))
        if answer.notice:
            typer.echo(answer.notice.splitlines()[0], err=True)
        if json_out:
            if answer.kind == "error":   # the same shape as every command's error under --json, plus the answer
                import json

                doc = {"error": answer.text, "exit_code": EXIT_BAD_INPUT, **json.loads(answer.model_dump_json())}
                typer.echo(json.dumps(doc, indent=2))
            else:
                typer.echo(answer.model_dump_json(indent=2))
        elif answer.kind == "error":
            typer.echo(f"error: {answer.text}", err=True)
        else:
            typer.echo(answer.text)
            if not answer.grounded:
                typer.echo("\nNote: " + "; ".join(answer.flags))
            typer.echo("")
            typer.echo(answer.evidence_text())
        raise typer.Exit(EXIT_BAD_INPUT if answer.kind == "error" else EXIT_OK)

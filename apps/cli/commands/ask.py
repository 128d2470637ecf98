"""`finops ask "QUESTION" [--db P] [--json] [--session ID] [--planner auto|offline|model]`.

Prints the notice (if any: one line, on stderr), the answer, then its Evidence: one line per tool by
default, runnable SQL and every detail with `--evidence full`; `--json` prints the structured answer. Exit 0 on an answer (a "did you mean" too), 2 on errors (an unreachable model
server, a rejected key, a period that cannot be parsed, no store).
"""

from __future__ import annotations

from typing import Annotated, Literal, cast

import typer

from apps.cli.options import EXIT_BAD_INPUT, EXIT_OK, DbOption, EngineOption, JsonOption, choose_engine
from apps.evidence import full_evidence, short_evidence

PLANNERS = ("auto", "offline", "model")
EVIDENCE = ("short", "full")
Planner = Literal["auto", "offline", "model"]


def register(app: typer.Typer) -> None:
    @app.command("ask")
    def ask_command(
        question: Annotated[str, typer.Argument(help="The question, in plain language (quote it).")],
        db: DbOption = None,
        json_out: JsonOption = False,
        session: Annotated[str | None, typer.Option(
            "--session", help="Conversation id: follow-ups ('and last month?') work across runs.")] = None,
        planner: Annotated[str, typer.Option(
            "--planner", help="auto (a model when OPENAI_API_KEY is set, else offline), offline or model.")] = "auto",
        evidence: Annotated[str, typer.Option(
            "--evidence", help="short (one line per tool: rows, ms, data freshness) or full (runnable SQL, "
                               "parameters inlined, notes, every source's freshness). --json always has everything.")] = "short",
        engine: EngineOption = None,
    ) -> None:
        """Ask a cost question; get the answer and its evidence (tools, SQL, freshness)."""
        if planner not in PLANNERS:
            typer.echo(f"error: --planner must be auto, offline or model, not {planner!r}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
        if evidence not in EVIDENCE:
            typer.echo(f"error: --evidence must be short or full, not {evidence!r}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
        problem = choose_engine(engine, db)
        if problem:
            typer.echo(f"error: {problem}", err=True)
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
            typer.echo(full_evidence(answer) if evidence == "full" else short_evidence(answer))
        raise typer.Exit(EXIT_BAD_INPUT if answer.kind == "error" else EXIT_OK)

"""`ask`: the one entry point every surface calls (CLI, Slack, TUI, evals).

Per question: make sure a store exists (the demo company is built on first use), open it READ-ONLY (so
ingestion can run while a bot is up), run the graph with the conversation's memory, close the store.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from agent.answer import Answer
from agent.configuration import AgentConfig
from agent.nodes import AgentContext, GraphState
from agent.offline_planner import OfflinePlanner
from agent.planning import Planner, PlannerUnavailable
from agent.state import new_turn
from knowledge.bootstrap import ensure_store
from knowledge.store import StoreError, file_version, open_store, resolve_db_path

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.types import Checkpointer

    from agent.graph import AgentGraph, LangGraphState

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
# Stores already found to hold data, by path -> their file version (knowledge.store.file_version) when checked:
# `ensure_store` opens the file once more (a second DuckDB connect per question, ~30 ms); an unchanged file need
# not be checked again.
_READY: dict[str, str] = {}
_GRAPH: AgentGraph | None = None   # the graph without memory: built once per process
# Run one-shot offline questions through LangGraph too (tests compare both ways; FINOPS_LANGGRAPH=1)
LANGGRAPH_ALWAYS = os.environ.get("FINOPS_LANGGRAPH", "") == "1"


def ask(question: str, *, db: Path | str | None = None, session_id: str | None = None,
        planner: Literal["auto", "offline", "model"] = "auto", config: AgentConfig | None = None) -> Answer:
    """Answer one question. Never raises for a user-facing problem: those come back as an Answer of kind
    "error" (unreachable model server, bad key, no store) or "did_you_mean" (a name that does not resolve)."""
    question = (question or "").strip()[:MAX_QUESTION_CHARS]
    cfg = config or AgentConfig.from_env(planner)
    try:
        path, notice = _ensure(db)
    except (StoreError, OSError) as exc:
        return _error(question, str(exc), cfg, session_id)
    try:
        chosen = make_planner(cfg)
    except PlannerUnavailable as exc:
        return _error(question, str(exc), cfg, session_id, notice)
    try:
        store = open_store(path, read_only=True)
    except StoreError as exc:
        return _error(question, str(exc), cfg, session_id, notice)
    try:
        answer = _run(question, store, chosen, cfg, session_id, path)
    except PlannerUnavailable as exc:
        answer = _error(question, str(exc), cfg, session_id)
    finally:
        store.close()
    answer.session_id = session_id
    answer.notice = notice
    return answer


def make_planner(cfg: AgentConfig) -> Planner:
    if cfg.planner != "model":
        return OfflinePlanner()
    from agent.model_planner import ModelPlanner  # langchain-openai loads only when a model is used

    return ModelPlanner(cfg)


def _run(question: str, store, chosen: Planner, cfg: AgentConfig, session_id: str | None, path: Path) -> Answer:
    context = AgentContext(store=store, planner=chosen, config=cfg)
    limit = 3 * cfg.max_steps + 6
    turn = GraphState(**new_turn(question, cfg.planner))
    memory_problem = None
    if session_id is not None:
        from agent.memory import open_memory, prune  # LangGraph's checkpointer: conversations only

        try:
            with open_memory(path) as saver:
                graph = _build(saver)
                config: RunnableConfig = {"recursion_limit": limit, "configurable": {"thread_id": session_id}}
                state = graph.invoke(cast("LangGraphState", turn), config, context=context)
                try:
                    prune(saver, session_id)
                except sqlite3.Error:  # pruning is housekeeping; an answer is never lost to it
                    log.warning("could not prune the checkpoints of session %s", session_id, exc_info=True)
            return Answer.model_validate(state["answer"])
        except sqlite3.Error as exc:      # e.g. the store's directory is read-only: answer without memory
            log.warning("conversation memory unavailable: %s", exc)
            memory_problem = f"conversation memory unavailable ({exc}); answered without earlier turns"
    if cfg.planner == "offline" and not LANGGRAPH_ALWAYS:
        # A one-shot offline question: the same nodes without importing LangGraph (agent.lean_run)
        from agent import lean_run

        state = lean_run.run(turn, context, recursion_limit=limit)
    else:
        graph = _graph()
        config = {"recursion_limit": limit, "configurable": {"thread_id": uuid.uuid4().hex}}
        state = graph.invoke(cast("LangGraphState", turn), config, context=context)
    answer = Answer.model_validate(state["answer"])
    if memory_problem:
        answer.flags.append(memory_problem)
    return answer


def _ensure(db: Path | str | None) -> tuple[Path, str | None]:
    """The store path and the one-line notice of knowledge.bootstrap.ensure_store (None when nothing
    had to be done; the demo company is built on first use). Checked once per version of the file."""
    path = resolve_db_path(db)
    key = str(path)
    version = file_version(path)
    if version is not None and _READY.get(key) == version:
        return path, None
    path, notice = ensure_store(db)
    version = file_version(path)
    if version is None:
        _READY.pop(key, None)
    else:
        _READY[key] = version
    return path, notice


def _build(checkpointer: Checkpointer = None) -> AgentGraph:
    from agent.graph import build_graph  # LangGraph loads only for conversations and the model planner

    return build_graph(checkpointer)


def _graph() -> AgentGraph:
    global _GRAPH
    if _GRAPH is None:
        _GRAPH = _build()
    return _GRAPH


def _error(question: str, message: str, cfg: AgentConfig, session_id: str | None, notice: str | None = None) -> Answer:
    return Answer(question=question, text=message, kind="error", planner=cfg.planner, session_id=session_id,
                  notice=notice, flags=["error"])

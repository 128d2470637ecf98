"""The model planner: an OpenAI-compatible chat model (`langchain_openai.ChatOpenAI`) with the registry's
tools bound. It chooses tool calls and writes the final text; the composer checks that text's numbers
against the tool results (agent.grounding).

Prompt tokens stay bounded: a short system prompt, compact schemas of the few tools relevant to the
question (agent.tool_selection; all tools when nothing is clearly relevant), results summarised
(agent.digest) and only the last few turns of the conversation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_openai import ChatOpenAI

from agent.configuration import AgentConfig
from agent.digest import digest
from agent.execution import INVALID_ARGS
from agent.planning import PlannerUnavailable, PlanStep
from agent.prompts import system_prompt
from agent.state import AgentState, PlannedCall, ToolOutcome
from agent.tool_schemas import openai_tools
from agent.tool_selection import select_tools
from knowledge.store import Store

MAX_HISTORY_CHARS = 600
OUTPUT_CUT = "[cut: the limit of tool output for one question was reached]"


@lru_cache(maxsize=8)
def _chat_model(model: str, api_key: str, base_url: str | None, timeout_s: float, max_retries: int,
                max_tokens: int | None) -> ChatOpenAI:
    """One client per model and server for the process: a ChatOpenAI builds two HTTP clients, each with its own
    TLS context (~40 ms per question); the client holds no per-question state and is thread-safe."""
    return ChatOpenAI(model=model, api_key=api_key, base_url=base_url, timeout=timeout_s,
                      max_retries=max_retries, temperature=0, max_tokens=max_tokens)


class ModelPlanner:
    name = "model"

    def __init__(self, config: AgentConfig):
        if not config.api_key and not config.base_url:
            raise PlannerUnavailable(
                "the model planner needs OPENAI_API_KEY (and optionally OPENAI_BASE_URL for a compatible "
                "server); without it use --planner offline"
            )
        self.config = config
        self.endpoint = config.base_url or "https://api.openai.com/v1"
        self.llm = _chat_model(config.model, config.api_key or "no-key",  # local servers (vLLM, Ollama) accept any key
                               config.base_url, config.timeout_s, config.max_retries, config.max_output_tokens)

    # -- the Planner interface ----------------------------------------------------------------------
    def plan(self, state: AgentState, store: Store) -> PlanStep:
        specs = select_tools(state, store, limit=self.config.tool_limit)
        bound = self.llm.bind_tools(openai_tools(specs))
        messages = self.messages(state, store)
        ai = self._invoke(bound, messages)
        usage: Mapping[str, Any] = ai.usage_metadata or {}
        step = PlanStep(prompt_tokens=int(usage.get("input_tokens", 0) or 0),
                        completion_tokens=int(usage.get("output_tokens", 0) or 0))
        round_no = len(state.get("rounds") or [])
        # One past the per-question budget is kept, so the graph sees that more were asked for (and says so).
        keep = self.config.max_tool_calls + 1
        if ai.tool_calls:
            step.calls = [PlannedCall(id=tc.get("id") or f"call_{round_no}_{i}", tool=tc["name"], args=dict(tc.get("args") or {}))
                          for i, tc in enumerate(ai.tool_calls[:keep])]
        elif ai.invalid_tool_calls:
            step.calls = [PlannedCall(id=tc.get("id") or f"call_{round_no}_{i}", tool=tc.get("name") or "unknown",
                                      args={INVALID_ARGS: str(tc.get("args"))[:500]})
                          for i, tc in enumerate(ai.invalid_tool_calls[:keep])]
        else:
            step.reply = {"kind": "answer", "text": _text(ai.content)}
        return step

    # -- messages -----------------------------------------------------------------------------------
    def messages(self, state: AgentState, store: Store) -> list[BaseMessage]:
        msgs: list[BaseMessage] = [SystemMessage(system_prompt(store.today().isoformat()))]
        for turn in (state.get("history") or [])[-self.config.history_turns:]:
            msgs.append(HumanMessage(turn.get("question", "")))
            used = "; ".join(f"{c['tool']}({json.dumps(c.get('args') or {}, separators=(',', ':'))})" for c in turn.get("calls") or [])
            text = (turn.get("text") or "")[:MAX_HISTORY_CHARS]
            msgs.append(AIMessage(f"{text}\n[tools used: {used}]" if used else text))
        msgs.append(HumanMessage(state.get("question", "")))
        by_id: dict[str, ToolOutcome] = {o["id"]: o for o in state.get("outcomes") or []}
        left = self.config.max_tool_output_chars     # tool results fed back per question, all rounds together
        for calls in state.get("rounds") or []:
            msgs.append(AIMessage(content="", tool_calls=[{"id": c["id"], "name": c["tool"], "args": c["args"]} for c in calls]))
            for c in calls:
                outcome = by_id.get(c["id"])
                content = digest(outcome, rows=self.config.rows_for_model)[0] if outcome else "ERROR: not run"
                if len(content) > left:
                    content = content[:max(left, 0)] + f"\n{OUTPUT_CUT}"
                left -= len(content)
                msgs.append(ToolMessage(content=content, tool_call_id=c["id"]))
        return msgs

    def _invoke(self, bound: Any, messages: list[BaseMessage]) -> AIMessage:
        where = self.endpoint
        try:
            return bound.invoke(messages)
        except openai.AuthenticationError as exc:
            raise PlannerUnavailable(f"the model server at {where} rejected the API key (HTTP 401); "
                                     "check OPENAI_API_KEY") from exc
        except openai.PermissionDeniedError as exc:
            raise PlannerUnavailable(f"the model server at {where} refused the request (HTTP 403): {_message(exc)}") from exc
        except openai.NotFoundError as exc:
            raise PlannerUnavailable(f"the model server at {where} has no model '{self.config.model}' or no "
                                     f"chat completions endpoint (HTTP 404); set FINOPS_MODEL or OPENAI_BASE_URL") from exc
        except openai.RateLimitError as exc:
            raise PlannerUnavailable(f"the model server at {where} is rate limiting (HTTP 429) after "
                                     f"{self.config.max_retries} retries: {_message(exc)}") from exc
        except openai.APITimeoutError as exc:
            raise PlannerUnavailable(f"the model server at {where} did not answer within {self.config.timeout_s:g} s "
                                     f"({self.config.max_retries} retries)") from exc
        except openai.APIConnectionError as exc:
            raise PlannerUnavailable(f"cannot reach the model server at {where} ({_cause(exc)}); check "
                                     "OPENAI_BASE_URL, or use --planner offline") from exc
        except openai.APIStatusError as exc:
            raise PlannerUnavailable(f"the model server at {where} returned HTTP {exc.status_code}: {_message(exc)}") from exc


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content or "")


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
    return str(exc.message)[:300]


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    while cause is not None and (cause.__cause__ or cause.__context__) is not None:
        cause = cause.__cause__ or cause.__context__
    return f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)

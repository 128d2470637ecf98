"""Agent settings, read from the environment once per question (nothing global is mutated)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, Field

PlannerChoice = Literal["auto", "offline", "model"]
DEFAULT_MODEL = "gpt-4o-mini"


class AgentConfig(BaseModel):
    """How the agent plans and how far it may go."""

    planner: Literal["offline", "model"] = "offline"
    model: str = DEFAULT_MODEL
    api_key: str | None = Field(default=None, repr=False)
    base_url: str | None = None
    max_steps: int = Field(4, ge=1, le=12, description="planning steps (tool rounds) per question")
    timeout_s: float = 60.0
    max_retries: int = 2
    max_output_tokens: int = 600
    rows_for_model: int = Field(5, description="table rows sent to the model with each result summary")
    history_turns: int = Field(3, description="earlier turns of the conversation shown to the model")
    tool_limit: int = Field(4, ge=0, description="tools bound per question, most relevant first (0 = all)")
    max_tool_calls: int = Field(12, ge=1, le=100, description="tool calls run per question, all rounds together")
    max_tool_output_chars: int = Field(40_000, ge=1_000, le=1_000_000,
                                       description="characters of tool results fed back to the model per question")

    @classmethod
    def from_env(cls, planner: PlannerChoice = "auto", **overrides: object) -> AgentConfig:
        """`OPENAI_API_KEY` (model planner when present), `OPENAI_BASE_URL`, `FINOPS_MODEL`,
        `FINOPS_MAX_STEPS`, `FINOPS_MODEL_TIMEOUT`, `FINOPS_MODEL_RETRIES`, `FINOPS_TOOL_LIMIT`,
        `FINOPS_MAX_TOOL_CALLS`."""
        key = os.environ.get("OPENAI_API_KEY") or None
        chosen: Literal["offline", "model"]
        if planner == "auto":
            chosen = "model" if key else "offline"
        else:
            chosen = planner
        values: dict[str, object] = {
            "planner": chosen,
            "model": os.environ.get("FINOPS_MODEL") or DEFAULT_MODEL,
            "api_key": key,
            "base_url": os.environ.get("OPENAI_BASE_URL") or None,
        }
        if os.environ.get("FINOPS_MAX_STEPS"):
            values["max_steps"] = int(os.environ["FINOPS_MAX_STEPS"])
        if os.environ.get("FINOPS_MODEL_RETRIES"):
            values["max_retries"] = int(os.environ["FINOPS_MODEL_RETRIES"])
        if os.environ.get("FINOPS_TOOL_LIMIT"):
            values["tool_limit"] = int(os.environ["FINOPS_TOOL_LIMIT"])
        if os.environ.get("FINOPS_MAX_TOOL_CALLS"):
            values["max_tool_calls"] = int(os.environ["FINOPS_MAX_TOOL_CALLS"])
        if os.environ.get("FINOPS_MODEL_TIMEOUT"):
            values["timeout_s"] = float(os.environ["FINOPS_MODEL_TIMEOUT"])
        values.update(overrides)
        return cls.model_validate(values)

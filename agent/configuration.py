"""Agent settings, read from the environment once per question (nothing global is mutated).

pydantic-settings reads and validates them (a bad `FINOPS_MAX_STEPS=abc` is a clear error, not a crash
deep in the graph); an empty variable counts as unset:

- `OPENAI_API_KEY` (the model planner when present), `OPENAI_BASE_URL`;
- `FINOPS_MODEL`, `FINOPS_MAX_STEPS`, `FINOPS_MODEL_TIMEOUT`, `FINOPS_MODEL_RETRIES`, `FINOPS_TOOL_LIMIT`,
  `FINOPS_MAX_TOOL_CALLS`, and likewise `FINOPS_<FIELD>` for the other limits below.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

PlannerChoice = Literal["auto", "offline", "model"]
DEFAULT_MODEL = "gpt-4o-mini"


class AgentConfig(BaseSettings):
    """How the agent plans and how far it may go."""

    model_config = SettingsConfigDict(env_prefix="FINOPS_", env_ignore_empty=True, extra="ignore",
                                      populate_by_name=True)

    # Chosen by `from_env` (from the key), never read from FINOPS_PLANNER: that one is the Slack bot's
    # "auto | offline | model", which the bot passes in.
    planner: Literal["offline", "model"] = "offline"
    model: str = DEFAULT_MODEL                                           # FINOPS_MODEL
    api_key: str | None = Field(default=None, repr=False, validation_alias=AliasChoices("api_key", "OPENAI_API_KEY"))
    base_url: str | None = Field(default=None, validation_alias=AliasChoices("base_url", "OPENAI_BASE_URL"))
    max_steps: int = Field(4, ge=1, le=12, description="planning steps (tool rounds) per question")
    timeout_s: float = Field(60.0, validation_alias=AliasChoices("timeout_s", "FINOPS_MODEL_TIMEOUT"))
    max_retries: int = Field(2, validation_alias=AliasChoices("max_retries", "FINOPS_MODEL_RETRIES"))
    max_output_tokens: int = 600
    rows_for_model: int = Field(5, description="table rows sent to the model with each result summary")
    history_turns: int = Field(3, description="earlier turns of the conversation shown to the model")
    tool_limit: int = Field(4, ge=0, description="tools bound per question, most relevant first (0 = all)")
    max_tool_calls: int = Field(12, ge=1, le=100, description="tool calls run per question, all rounds together")
    max_tool_output_chars: int = Field(40_000, ge=1_000, le=1_000_000,
                                       description="characters of tool results fed back to the model per question")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments, then the environment; no .env file or secrets directory is read.
        return init_settings, _Environment(settings_cls)

    @classmethod
    def from_env(cls, planner: PlannerChoice = "auto", **overrides: Any) -> AgentConfig:
        """The settings from the environment; `overrides` win. The planner: `model` when "auto" finds an
        `OPENAI_API_KEY`, else `offline`."""
        cfg = cls(**overrides)
        if "planner" in overrides:
            return cfg
        chosen: Literal["offline", "model"]
        if planner == "auto":
            chosen = "model" if cfg.api_key else "offline"
        else:
            chosen = planner
        return cfg.model_copy(update={"planner": chosen})


class _Environment(EnvSettingsSource):
    """The environment, except `planner` (FINOPS_PLANNER belongs to the Slack bot, see above)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name == "planner":
            return None, field_name, False
        return super().get_field_value(field, field_name)

"""The bot's configuration, read from the environment (documented in the README's Slack section)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Literal, cast

from pydantic import BaseModel, Field

from tools.approval_policy import DEFAULT_APPROVAL_THRESHOLD, approval_threshold
from tools.contract import FinopsError

DEFAULT_API_URL = "https://slack.com/api/"


PlannerName = Literal["auto", "offline", "model"]


class SettingsError(ValueError):
    """A setting that cannot be used (shown to the operator as is)."""


class SlackSettings(BaseModel):
    """Everything `create_bot` needs. Nothing here reaches Slack."""

    bot_token: str = Field("", description="SLACK_BOT_TOKEN (xoxb-...)")
    signing_secret: str = Field("", description="SLACK_SIGNING_SECRET: verifies HTTP requests")
    app_token: str | None = Field(None, description="SLACK_APP_TOKEN (xapp-...): Socket Mode when set")
    api_url: str = Field(DEFAULT_API_URL, description="SLACK_API_URL: Web API base URL (proxies, tests)")
    db: Path | None = Field(None, description="store file; None = FINOPS_DB or the default location")
    approval_threshold: Decimal = Field(DEFAULT_APPROVAL_THRESHOLD, description="FINOPS_APPROVAL_THRESHOLD (USD)")
    access_file: Path | None = Field(None, description="FINOPS_SLACK_ACCESS: YAML mapping of users/channels to teams")
    planner: PlannerName = Field("auto", description="FINOPS_PLANNER: auto | offline | model")
    workers: int = Field(4, ge=1, le=64, description="FINOPS_SLACK_WORKERS: questions answered at once")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, db: Path | None = None) -> SlackSettings:
        env = os.environ if env is None else env
        api_url = env.get("SLACK_API_URL") or DEFAULT_API_URL
        if not api_url.endswith("/"):
            api_url += "/"
        try:   # the same reading the CLI gate uses (tools.approval_policy): one threshold, both surfaces
            threshold = approval_threshold(env)
        except FinopsError as exc:
            raise SettingsError(str(exc)) from None
        raw_workers = env.get("FINOPS_SLACK_WORKERS") or "4"
        if not raw_workers.isdigit():
            raise SettingsError(f"FINOPS_SLACK_WORKERS must be a whole number, got {raw_workers!r}")
        access = env.get("FINOPS_SLACK_ACCESS")
        planner = env.get("FINOPS_PLANNER") or "auto"
        if planner not in ("auto", "offline", "model"):
            raise SettingsError(f"FINOPS_PLANNER must be auto, offline or model, got {planner!r}")
        return cls(
            bot_token=env.get("SLACK_BOT_TOKEN", ""),
            signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            app_token=env.get("SLACK_APP_TOKEN") or None,
            api_url=api_url,
            db=db,
            approval_threshold=threshold,
            access_file=Path(access).expanduser() if access else None,
            planner=cast(PlannerName, planner),
            workers=int(raw_workers),
        )

    def check(self, *, http_mode: bool) -> None:
        """Refuse to start without what Slack requires (no network: nothing is verified remotely)."""
        missing = []
        if not self.bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if http_mode and not self.signing_secret:
            missing.append("SLACK_SIGNING_SECRET")
        if not http_mode and not self.app_token:
            missing.append("SLACK_APP_TOKEN")
        if missing:
            raise SettingsError("missing environment variable(s): " + ", ".join(missing))

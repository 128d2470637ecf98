"""What an alert is (pydantic, the same for Slack, JSON and the terminal) and the run's settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.contract import SqlRun

Severity = Literal["high", "medium", "low"]
Kind = Literal["budget", "forecast", "anomaly", "waste", "job_past_ttl", "estimate_overrun", "stale_data"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
DEFAULT_CHANNEL = "#finops"


class AlertEvidence(BaseModel):
    """What the figure rests on: the tool, its SQL with parameters, and the data's freshness."""

    tool: str
    sql: list[SqlRun] = Field(default_factory=list)
    data_through: str | None = None       # last day of billing data (ISO), or the source's latest timestamp
    note: str | None = None


class Alert(BaseModel):
    """One condition for one owner in one period. `key` + `state` identify it in the ledger: the same key
    with a new state (e.g. 70% → 90%) is a new alert; the same key and state is never posted twice."""

    key: str
    state: str
    kind: Kind
    severity: Severity
    team: str | None = None
    owner: str | None = None
    channel: str = DEFAULT_CHANNEL
    title: str                            # plain text (data inside is escaped by each surface)
    figure: str                           # the figure, stated with its period
    amounts: dict[str, Decimal] = Field(default_factory=dict)
    action: str | None = None             # the suggested action (a remediation, an approval)
    action_change: str | None = None      # the change/command to apply (never executed)
    evidence: AlertEvidence


class AlertSettings(BaseModel):
    """Configurable through the environment (documented in docs/alerts.md)."""

    burn_thresholds: tuple[Decimal, ...] = (Decimal("0.5"), Decimal("0.7"), Decimal("0.9"), Decimal("1.0"))
    anomaly_floor: Decimal = Field(Decimal(1000), description="FINOPS_ALERTS_ANOMALY_FLOOR: min excess USD")
    anomaly_period: str = Field("last 14 days", description="FINOPS_ALERTS_ANOMALY_PERIOD")
    waste_floor: Decimal = Field(Decimal(500), description="FINOPS_ALERTS_WASTE_FLOOR: min USD/month")
    overrun_pct: Decimal = Field(Decimal("0.10"), description="FINOPS_ALERTS_OVERRUN: actual over estimate by")
    overrun_floor: Decimal = Field(Decimal(250), description="FINOPS_ALERTS_OVERRUN_FLOOR: min USD over the estimate")
    stale_days: int = Field(2, description="FINOPS_ALERTS_STALE_DAYS: no billing rows this many days = stale")
    default_channel: str = Field(DEFAULT_CHANNEL, description="FINOPS_ALERTS_CHANNEL: alerts with no owner")
    quiet_hours: tuple[int, int] | None = Field(None, description="FINOPS_ALERTS_QUIET_HOURS '22-7' (UTC)")
    rate_limit: int = Field(10, description="FINOPS_ALERTS_RATE_LIMIT: messages per channel per hour")
    digest: tuple[str, ...] = Field(("low",), description="FINOPS_ALERTS_DIGEST: severities sent as one digest")
    snooze_days: int = Field(7, description="FINOPS_ALERTS_SNOOZE_DAYS: what the Snooze button gives")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AlertSettings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, field in (("ANOMALY_FLOOR", "anomaly_floor"), ("WASTE_FLOOR", "waste_floor"),
                            ("OVERRUN", "overrun_pct"), ("OVERRUN_FLOOR", "overrun_floor")):
            if env.get(f"FINOPS_ALERTS_{name}"):
                values[field] = _decimal(env[f"FINOPS_ALERTS_{name}"], f"FINOPS_ALERTS_{name}")
        for name, field in (("STALE_DAYS", "stale_days"), ("RATE_LIMIT", "rate_limit"), ("SNOOZE_DAYS", "snooze_days")):
            if env.get(f"FINOPS_ALERTS_{name}"):
                values[field] = _whole(env[f"FINOPS_ALERTS_{name}"], f"FINOPS_ALERTS_{name}")
        if env.get("FINOPS_ALERTS_THRESHOLDS"):
            values["burn_thresholds"] = tuple(sorted(_decimal(p, "FINOPS_ALERTS_THRESHOLDS")
                                                     for p in env["FINOPS_ALERTS_THRESHOLDS"].split(",")))
        if env.get("FINOPS_ALERTS_CHANNEL"):
            values["default_channel"] = env["FINOPS_ALERTS_CHANNEL"].strip()
        if env.get("FINOPS_ALERTS_ANOMALY_PERIOD"):
            values["anomaly_period"] = env["FINOPS_ALERTS_ANOMALY_PERIOD"]
        if env.get("FINOPS_ALERTS_QUIET_HOURS"):
            values["quiet_hours"] = parse_quiet_hours(env["FINOPS_ALERTS_QUIET_HOURS"])
        if "FINOPS_ALERTS_DIGEST" in env:
            values["digest"] = tuple(s.strip() for s in env["FINOPS_ALERTS_DIGEST"].split(",") if s.strip())
        return cls(**values)


class AlertSettingsError(ValueError):
    """A setting that cannot be used."""


def parse_quiet_hours(text: str) -> tuple[int, int]:
    """'22-7' → (22, 7): hours in UTC, start inclusive, end exclusive; may wrap midnight."""
    try:
        start, end = (int(p.strip()) for p in text.split("-", 1))
    except ValueError:
        raise AlertSettingsError(f"FINOPS_ALERTS_QUIET_HOURS must look like '22-7' (UTC hours), got {text!r}") from None
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise AlertSettingsError(f"FINOPS_ALERTS_QUIET_HOURS hours must be 0-23, got {text!r}")
    return start, end


def in_quiet_hours(hour: int, quiet: tuple[int, int] | None) -> bool:
    if quiet is None or quiet[0] == quiet[1]:
        return False
    start, end = quiet
    return start <= hour < end if start < end else (hour >= start or hour < end)


def _decimal(text: str, name: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except ArithmeticError:
        raise AlertSettingsError(f"{name} must be a number, got {text!r}") from None


def _whole(text: str, name: str) -> int:
    if not text.strip().isdigit():
        raise AlertSettingsError(f"{name} must be a whole number, got {text!r}")
    return int(text.strip())

"""`finops alerts run`: evaluate, decide what is new for whom, deliver, record. Idempotent: the ledger holds
one row per (condition key, state, channel), so a re-run (a cron retry) delivers nothing twice; a decision
(acknowledged while the state holds, snoozed until a time) keeps an alert quiet. Quiet hours defer all but
high-severity alerts; a per-channel hourly rate limit defers the rest; low severity goes out as one digest
per channel. Deferred alerts are not recorded, so the next run delivers them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel

from apps.alerts import ledger
from apps.alerts.evaluate import Evaluation
from apps.alerts.model import Alert, AlertSettings, in_quiet_hours
from knowledge.store import Store

Status = Literal["new", "posted", "digested", "printed", "already delivered", "acknowledged", "snoozed",
                 "deferred (quiet hours)", "deferred (rate limit)", "failed"]


class Outcome(BaseModel):
    alert: Alert
    status: Status
    reason: str | None = None
    ts: str | None = None


class Sender(Protocol):
    """Delivers one message to a channel (one alert, or a digest of several); returns (channel id, ts)."""

    def send(self, channel: str, alerts: list[Alert], digest: bool) -> tuple[str | None, str | None]: ...


class DeliveryError(Exception):
    """The channel refused the message (shown in the outcome; the alert stays undelivered)."""


def plan(store: Store, evaluation: Evaluation, cfg: AlertSettings, now: datetime) -> list[Outcome]:
    """Each alert's fate before anything is sent: new, already delivered, acknowledged/snoozed, or deferred."""
    done = ledger.delivered(store)
    decided = ledger.decisions(store)
    quiet = in_quiet_hours(now.hour, cfg.quiet_hours)
    out: list[Outcome] = []
    for alert in evaluation.alerts:
        if (alert.key, alert.state, alert.channel) in done:
            out.append(Outcome(alert=alert, status="already delivered"))
            continue
        why = ledger.silenced(alert, decided, now)
        if why is not None:
            out.append(Outcome(alert=alert, status="acknowledged" if why.startswith("ack") else "snoozed", reason=why))
            continue
        if quiet and alert.severity != "high":
            out.append(Outcome(alert=alert, status="deferred (quiet hours)",
                               reason=f"quiet hours {cfg.quiet_hours[0]:02d}:00-{cfg.quiet_hours[1]:02d}:00 UTC"))  # type: ignore[index]
            continue
        out.append(Outcome(alert=alert, status="new"))
    _rate_limit(store, out, cfg, now)
    return out


def _rate_limit(store: Store, outcomes: list[Outcome], cfg: AlertSettings, now: datetime) -> None:
    """At most `rate_limit` messages per channel per hour (a digest is one message, sent after the single
    alerts, which come most severe first); the alerts past the limit wait for a later run."""
    by_channel: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.status == "new":
            by_channel[o.alert.channel].append(o)
    for channel, items in by_channel.items():
        room = max(cfg.rate_limit - ledger.sent_last_hour(store, channel, now), 0)
        digested = [o for o in items if o.alert.severity in cfg.digest]
        units = [[o] for o in items if o.alert.severity not in cfg.digest] + ([digested] if digested else [])
        for unit in units[room:]:
            for o in unit:
                o.status, o.reason = "deferred (rate limit)", f"{cfg.rate_limit} messages an hour in {channel}"


def deliver(store: Store, outcomes: list[Outcome], cfg: AlertSettings, now: datetime, sender: Sender | None) -> None:
    """Send the new alerts (one message each; the digest severities as one message per channel) and record
    each delivered alert in the ledger. Without a sender, alerts are printed (the JSON channel) and recorded."""
    by_channel: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.status == "new":
            by_channel[o.alert.channel].append(o)
    for channel, items in by_channel.items():
        digest = [o for o in items if o.alert.severity in cfg.digest]
        batches = [([o], False) for o in items if o.alert.severity not in cfg.digest]
        if len(digest) == 1:
            batches.append((digest, False))
        elif digest:
            batches.append((digest, True))
        for batch, is_digest in batches:
            _send(store, channel, batch, is_digest, now, sender)


def _send(store: Store, channel: str, batch: list[Outcome], is_digest: bool, now: datetime, sender: Sender | None) -> None:
    if sender is None:
        channel_id, ts = None, None
    else:
        try:
            channel_id, ts = sender.send(channel, [o.alert for o in batch], is_digest)
        except DeliveryError as exc:
            for o in batch:
                o.status, o.reason = "failed", str(exc)
            return
    for o in batch:
        ledger.record(store, o.alert, channel_id, ts, is_digest, now)
        o.status = "printed" if sender is None else ("digested" if is_digest else "posted")
        o.ts = ts

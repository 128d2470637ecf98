"""The alert ledger (what was delivered where: once per condition, state and channel) and the decisions
people took (acknowledge, snooze), which the next run honours. Bookkeeping, not figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from apps.alerts.model import Alert
from knowledge.store import Store

ACKNOWLEDGED = "acknowledged"
SNOOZED = "snoozed"


class Delivered(BaseModel):
    alert_key: str
    state: str
    channel: str
    channel_id: str | None
    ts: str | None
    digest: bool
    posted_at: datetime


class DecisionRow(BaseModel):
    alert_key: str
    state: str
    decision: str
    until_ts: datetime | None
    decided_by: str
    channel: str | None
    ts: datetime


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def delivered(store: Store) -> set[tuple[str, str, str]]:
    """(key, state, channel) of every alert already delivered."""
    rows = store.con.execute("SELECT alert_key, state, channel FROM alert_ledger").fetchall()
    return {(r[0], r[1], r[2]) for r in rows}


def decisions(store: Store) -> list[DecisionRow]:
    rows = store.con.execute(
        "SELECT alert_key, state, decision, until_ts, decided_by, channel, ts FROM alert_decisions "
        "ORDER BY ts, alert_key, decided_by").fetchall()
    return [DecisionRow(**dict(zip(DecisionRow.model_fields, r))) for r in rows]


def silenced(alert: Alert, rows: list[DecisionRow], now: datetime) -> str | None:
    """Why a decision keeps this alert quiet, or None: acknowledged while its state holds (a new state, e.g.
    the next threshold, speaks again), or snoozed until a time still ahead."""
    for d in reversed(rows):
        if d.alert_key != alert.key:
            continue
        if d.decision == ACKNOWLEDGED and d.state == alert.state:
            return f"acknowledged by {d.decided_by} at {d.ts:%Y-%m-%d %H:%M} UTC"
        if d.decision == SNOOZED and d.until_ts is not None and d.until_ts > now:
            return f"snoozed by {d.decided_by} until {d.until_ts:%Y-%m-%d %H:%M} UTC"
    return None


def sent_last_hour(store: Store, channel: str, now: datetime) -> int:
    """Messages (a digest counts once) delivered to `channel` in the hour before `now`."""
    row = store.con.execute(
        "SELECT count(DISTINCT coalesce(ts, alert_key || state)) FROM alert_ledger WHERE channel = ? AND posted_at > ?",
        [channel, now - timedelta(hours=1)]).fetchone()
    return int(row[0] or 0) if row else 0


def record(store: Store, alert: Alert, channel_id: str | None, ts: str | None, digest: bool, now: datetime) -> None:
    store.con.execute(
        "INSERT INTO alert_ledger (alert_key, state, channel, kind, severity, team, channel_id, ts, digest, payload, "
        "posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [alert.key, alert.state, alert.channel, alert.kind, alert.severity, alert.team, channel_id, ts, digest,
         alert.model_dump_json(), now])


def find(store: Store, key: str, state: str) -> Alert | None:
    """The alert as delivered (for the Show evidence / Open remediation buttons)."""
    row = store.con.execute("SELECT payload FROM alert_ledger WHERE alert_key = ? AND state = ? ORDER BY posted_at DESC "
                            "LIMIT 1", [key, state]).fetchone()
    return None if row is None or not row[0] else Alert.model_validate(json.loads(row[0]))


def decide(store: Store, key: str, state: str, decision: str, user: str, channel: str | None, now: datetime,
           snooze_days: int = 0) -> DecisionRow:
    until = now + timedelta(days=snooze_days) if decision == SNOOZED else None
    row = DecisionRow(alert_key=key, state=state, decision=decision, until_ts=until, decided_by=user, channel=channel,
                      ts=now)
    store.con.execute("INSERT INTO alert_decisions (alert_key, state, decision, until_ts, decided_by, channel, ts) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      [row.alert_key, row.state, row.decision, row.until_ts, row.decided_by, row.channel, row.ts])
    return row

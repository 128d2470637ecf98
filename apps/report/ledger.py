"""Where summaries go and what was posted: team channels from `teams`, and the `summary_posts` ledger
that makes `finops summary --post` idempotent per week, scope and channel (bookkeeping, not figures)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel

from knowledge.store import Store

COMPANY = "(company)"


class Target(BaseModel):
    scope: str            # COMPANY or a team name
    channel: str


class PostRecord(BaseModel):
    week: str
    scope: str
    channel: str
    channel_id: str | None
    ts: str | None
    file_id: str | None
    as_of: date | None
    posted_at: datetime


def team_channels(store: Store, team: str | None = None) -> list[Target]:
    """Each team's Slack channel (teams without one are skipped), or only `team`'s."""
    rows = store.con.execute(
        "SELECT team, slack_channel FROM teams WHERE slack_channel IS NOT NULL AND trim(slack_channel) <> '' "
        "AND (CAST(? AS VARCHAR) IS NULL OR team = ?) ORDER BY team, slack_channel", [team, team]).fetchall()
    return [Target(scope=r[0], channel=r[1].strip()) for r in rows]


def find(store: Store, week: str, scope: str, channel: str) -> PostRecord | None:
    row = store.con.execute(
        "SELECT week, scope, channel, channel_id, ts, file_id, as_of, posted_at FROM summary_posts "
        "WHERE week = ? AND scope = ? AND channel = ?", [week, scope, channel]).fetchone()
    if row is None:
        return None
    return PostRecord(**dict(zip(PostRecord.model_fields, row)))


def record(store: Store, week: str, scope: str, channel: str, channel_id: str | None, ts: str | None,
           as_of: date) -> PostRecord:
    """Record a posted message (before its chart is uploaded: a failed upload never causes a re-post)."""
    rec = PostRecord(week=week, scope=scope, channel=channel, channel_id=channel_id, ts=ts, file_id=None, as_of=as_of,
                     posted_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0))
    store.con.execute(
        "INSERT INTO summary_posts (week, scope, channel, channel_id, ts, file_id, as_of, posted_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [rec.week, rec.scope, rec.channel, rec.channel_id, rec.ts, rec.file_id, rec.as_of, rec.posted_at])
    return rec


def set_file(store: Store, week: str, scope: str, channel: str, file_id: str | None) -> None:
    store.con.execute("UPDATE summary_posts SET file_id = ? WHERE week = ? AND scope = ? AND channel = ?",
                      [file_id, week, scope, channel])


def posts(store: Store, week: str | None = None) -> list[PostRecord]:
    rows = store.con.execute(
        "SELECT week, scope, channel, channel_id, ts, file_id, as_of, posted_at FROM summary_posts "
        "WHERE CAST(? AS VARCHAR) IS NULL OR week = ? ORDER BY week, scope, channel", [week, week]).fetchall()
    return [PostRecord(**dict(zip(PostRecord.model_fields, r))) for r in rows]

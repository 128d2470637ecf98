"""Estimate approvals in Slack: when to ask, who may decide, and recording the decision.

The rule (when a run needs approval, who may approve it, when an approval applies) is
`tools.approval_policy`, the same one the CLI gate applies. Only the approvers of the estimate's team
(`teams.approvers`, comma-separated Slack user ids) may decide, and never the person who asked: the ask
is recorded as an `approvals` row with decision 'requested'. The decision, who and when is a row in
`approvals` (the CLI gate `finops estimate --approval-id` reads it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from apps.slack.mrkdwn import escape
from knowledge.store import Store
from tools.approval_policy import DECISIONS as DECIDED
from tools.approval_policy import REQUESTED, approval_reasons
from tools.contract import money

APPROVE_ACTION = "finops_approve"
REJECT_ACTION = "finops_reject"
DECISIONS = {APPROVE_ACTION: "approved", REJECT_ACTION: "rejected"}


class EstimateInfo(BaseModel):
    estimate_id: str
    name: str | None = None
    team: str | None = None
    kind: str | None = None
    expected_cost: Decimal | None = None
    p10: Decimal | None = None
    p90: Decimal | None = None
    budget: Decimal | None = None
    verdict: str | None = None
    reasons: list[str] = []


class Decision(BaseModel):
    estimate_id: str
    decided_by: str
    decision: str
    ts: datetime
    channel: str | None = None
    note: str | None = None


def load_estimate(store: Store, estimate_id: str) -> EstimateInfo | None:
    row = store.con.execute(
        "SELECT estimate_id, name, team, kind, expected_cost, p10, p90, budget, verdict, result_json "
        "FROM estimates WHERE estimate_id = ?", [estimate_id]).fetchone()
    if row is None:
        return None
    keys = ("estimate_id", "name", "team", "kind", "expected_cost", "p10", "p90", "budget", "verdict")
    info = EstimateInfo(**dict(zip(keys, row[:-1])))
    try:
        reasons = json.loads(row[-1] or "{}").get("reasons") or []
    except (ValueError, AttributeError):
        reasons = []
    info.reasons = [str(r) for r in reasons if isinstance(r, str)]
    return info


def team_approvers(store: Store, team: str | None) -> list[str]:
    if not team:
        return []
    row = store.con.execute("SELECT approvers FROM teams WHERE team = ?", [team]).fetchone()
    if row is None or not row[0]:
        return []
    return [u.strip() for u in str(row[0]).split(",") if u.strip()]


def latest_decision(store: Store, estimate_id: str) -> Decision | None:
    row = store.con.execute(
        "SELECT estimate_id, decided_by, decision, ts, channel, note FROM approvals WHERE estimate_id = ? "
        "AND decision IN (SELECT unnest(?)) ORDER BY ts DESC, decided_by DESC, decision DESC LIMIT 1",
        [estimate_id, list(DECIDED)]).fetchone()
    if row is None:
        return None
    return Decision(**dict(zip(("estimate_id", "decided_by", "decision", "ts", "channel", "note"), row)))


def record_decision(store: Store, decision: Decision) -> None:
    store.con.execute(
        "INSERT INTO approvals (estimate_id, decided_by, decision, ts, channel, note) VALUES (?, ?, ?, ?, ?, ?)",
        [decision.estimate_id, decision.decided_by, decision.decision, decision.ts, decision.channel, decision.note])


def requesters(store: Store, estimate_id: str) -> list[str]:
    """Who asked for this estimate's approval (they may not approve it)."""
    rows = store.con.execute("SELECT DISTINCT decided_by FROM approvals WHERE estimate_id = ? AND decision = ? "
                             "ORDER BY decided_by", [estimate_id, REQUESTED]).fetchall()
    return [r[0] for r in rows]


def record_request(store: Store, estimate_id: str, user: str, channel: str | None) -> None:
    """Remember who asked for the approval (once per user and estimate)."""
    if user in requesters(store, estimate_id):
        return
    record_decision(store, Decision(estimate_id=estimate_id, decided_by=user, decision=REQUESTED, ts=now_utc(),
                                    channel=channel, note="approval requested in slack"))


def now_utc() -> datetime:
    """Naive UTC, as every timestamp in the store."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def approval_reason(info: EstimateInfo, threshold: Decimal) -> str | None:
    """Why this estimate needs a person's approval (tools.approval_policy), or None."""
    reasons = approval_reasons(info.expected_cost, info.verdict, info.reasons, threshold)
    return "; ".join(reasons) if reasons else None


def request_text(info: EstimateInfo, reason: str) -> str:
    what = escape(info.name or info.estimate_id)
    rng = ""
    if info.p10 is not None and info.p90 is not None:
        rng = f" (p10–p90 {money(info.p10, 0)}–{money(info.p90, 0)})"
    team = f", team `{escape(info.team)}`" if info.team else ""
    return (f":money_with_wings: This run will cost *{money(info.expected_cost, 0)}*{rng}: "
            f"*{what}*{team}. Needs approval: {escape(reason)}. Approve?")


def request_blocks(info: EstimateInfo, reason: str, approvers: list[str]) -> list[dict[str, Any]]:
    who = ", ".join(f"<@{u}>" for u in approvers) if approvers else "nobody (set `teams.approvers` for this team)"
    return [
        {"type": "section", "block_id": "finops_approval_request", "text": {"type": "mrkdwn", "text": request_text(info, reason)}},
        {"type": "actions", "block_id": "finops_approval", "elements": [
            {"type": "button", "action_id": APPROVE_ACTION, "style": "primary", "value": info.estimate_id,
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": REJECT_ACTION, "style": "danger", "value": info.estimate_id,
             "text": {"type": "plain_text", "text": "Reject"}},
        ]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Estimate `{escape(info.estimate_id)}` · approvers: {who}"}]},
    ]


def decided_blocks(info: EstimateInfo, reason: str | None, decision: Decision) -> list[dict[str, Any]]:
    icon = ":white_check_mark:" if decision.decision == "approved" else ":no_entry:"
    head = request_text(info, reason).removesuffix(" Approve?") if reason else \
        f"This run will cost *{money(info.expected_cost, 0)}*: *{escape(info.name or info.estimate_id)}*."
    when = decision.ts.strftime("%Y-%m-%d %H:%M UTC")
    return [
        {"type": "section", "block_id": "finops_approval_request", "text": {"type": "mrkdwn", "text": head}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            f"{icon} *{decision.decision.capitalize()}* by <@{decision.decided_by}> at {when} · estimate `{escape(info.estimate_id)}`"}]},
    ]

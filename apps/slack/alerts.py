"""Alerts in Slack: one message per alert (or one digest for low severity) in the owner's channel, with the
buttons Acknowledge, Snooze N days, Show evidence and Open remediation. Every name and figure from the data
is escaped (tag values and resource names are untrusted)."""

from __future__ import annotations

import json
from typing import Any

from apps.alerts.model import Alert
from apps.alerts.run import DeliveryError
from apps.slack.mrkdwn import SECTION_TEXT_LIMIT, code_safe, escape, truncate

ACK_ACTION = "finops_alert_ack"
SNOOZE_ACTION = "finops_alert_snooze"
EVIDENCE_ACTION = "finops_alert_evidence"
REMEDIATION_ACTION = "finops_alert_remediation"
ALERT_ACTIONS = (ACK_ACTION, SNOOZE_ACTION, EVIDENCE_ACTION, REMEDIATION_ACTION)
ICONS = {"high": ":rotating_light:", "medium": ":warning:", "low": ":information_source:"}
Block = dict[str, Any]


def button_value(alert: Alert, days: int | None = None) -> str:
    value: dict[str, Any] = {"k": alert.key, "s": alert.state}
    if days is not None:
        value["d"] = days
    return truncate(json.dumps(value, separators=(",", ":")), 2000)


def parse_value(raw: str) -> tuple[str, str, int | None]:
    data = json.loads(raw)
    return str(data["k"]), str(data["s"]), int(data["d"]) if data.get("d") is not None else None


def _body(alert: Alert) -> str:
    who = " · ".join(escape(x) for x in (alert.team and f"team {alert.team}", alert.owner and f"owner {alert.owner}") if x)
    text = f"{ICONS[alert.severity]} *{escape(alert.title)}*\n{escape(alert.figure)}"
    if who:
        text += f"\n{who}"
    if alert.action:
        text += f"\n*Suggested:* {escape(alert.action)}"
    return truncate(text, SECTION_TEXT_LIMIT)


def _evidence_line(alert: Alert) -> str:
    ev = alert.evidence
    parts = [f"Evidence: {escape(ev.tool)}, {len(ev.sql)} SQL statement{'s' if len(ev.sql) != 1 else ''}"]
    if ev.data_through:
        parts.append(f"data through {escape(ev.data_through)}")
    parts.append(f"alert `{code_safe(alert.key)}` · state `{code_safe(alert.state)}`")
    return truncate(" · ".join(parts), 3000)


def alert_blocks(alert: Alert, snooze_days: int, decided: str | None = None) -> list[Block]:
    """The alert's message; with `decided` (who acknowledged/snoozed, when) the buttons give way to it."""
    blocks: list[Block] = [
        {"type": "section", "block_id": "finops_alert_body", "text": {"type": "mrkdwn", "text": _body(alert)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _evidence_line(alert)}]},
    ]
    if decided is not None:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": decided}]})
        return blocks
    buttons = [
        {"type": "button", "action_id": ACK_ACTION, "style": "primary", "value": button_value(alert),
         "text": {"type": "plain_text", "text": "Acknowledge"}},
        {"type": "button", "action_id": SNOOZE_ACTION, "value": button_value(alert, snooze_days),
         "text": {"type": "plain_text", "text": f"Snooze {snooze_days} days"}},
        {"type": "button", "action_id": EVIDENCE_ACTION, "value": button_value(alert),
         "text": {"type": "plain_text", "text": "Show evidence"}},
    ]
    if alert.action_change or alert.action:
        buttons.append({"type": "button", "action_id": REMEDIATION_ACTION, "value": button_value(alert),
                        "text": {"type": "plain_text", "text": "Open remediation"}})
    blocks.append({"type": "actions", "block_id": "finops_alert_actions", "elements": buttons})
    return blocks


def digest_blocks(alerts: list[Alert]) -> list[Block]:
    """Low-severity alerts of one channel as one message (each still recorded in the ledger)."""
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text":
                            f":information_source: *Digest: {len(alerts)} alerts*"}}]
    for alert in alerts[:45]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate(
            f"*{escape(alert.title)}*\n{escape(alert.figure)}", SECTION_TEXT_LIMIT)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(
        "Evidence and actions: `finops alerts run --dry-run` · " + ", ".join(f"`{code_safe(a.key)}`" for a in alerts),
        3000)}]})
    return blocks


def fallback_text(alerts: list[Alert], digest: bool) -> str:
    if digest:
        return truncate(f"Digest: {len(alerts)} alerts: " + "; ".join(a.title for a in alerts), 3000)
    return truncate(f"{alerts[0].title}: {alerts[0].figure}", 3000)


def evidence_text(alert: Alert) -> str:
    """The evidence behind an alert, for the thread: tool, each SQL with its parameters, freshness."""
    ev = alert.evidence
    lines = [f"*Evidence for* `{code_safe(alert.key)}` ({escape(ev.tool)})"]
    if ev.data_through:
        lines.append(f"Data through {escape(ev.data_through)}.")
    if ev.note:
        lines.append(escape(ev.note))
    for run in ev.sql[:4]:
        lines.append(f"```{code_safe(run.sql)}```\nparams: `{code_safe(json.dumps(run.params))}` · {run.rows} rows")
    return truncate("\n".join(lines), SECTION_TEXT_LIMIT)


def remediation_text(alert: Alert) -> str:
    lines = [f"*Suggested action for* `{code_safe(alert.key)}`:", escape(alert.action or "none recorded")]
    if alert.action_change:
        lines.append(f"```{code_safe(alert.action_change)}```")
    lines.append("_Nothing is executed by finops; apply the change after review._")
    return truncate("\n".join(lines), SECTION_TEXT_LIMIT)


class SlackSender:
    """apps.alerts.run.Sender over the Slack Web API (SLACK_BOT_TOKEN, SLACK_API_URL)."""

    def __init__(self, client: Any, snooze_days: int):
        self.client = client
        self.snooze_days = snooze_days

    def send(self, channel: str, alerts: list[Alert], digest: bool) -> tuple[str | None, str | None]:
        from slack_sdk.errors import SlackApiError, SlackRequestError

        blocks = digest_blocks(alerts) if digest else alert_blocks(alerts[0], self.snooze_days)
        try:
            answer = self.client.chat_postMessage(channel=channel, text=fallback_text(alerts, digest), blocks=blocks,
                                                  unfurl_links=False, unfurl_media=False)
        except (SlackApiError, SlackRequestError) as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
            raise DeliveryError(f"Slack refused the message in {channel}: {error}") from exc
        return answer.get("channel") or channel, answer.get("ts")

"""The alert buttons: Acknowledge and Snooze record a decision in the store (the next `finops alerts run`
honours it) and update the message; Show evidence and Open remediation answer in the alert's thread from
the ledger (so they work after a restart)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from apps.alerts import ledger
from apps.alerts.model import AlertSettings
from apps.slack.alerts import (
    ACK_ACTION,
    EVIDENCE_ACTION,
    REMEDIATION_ACTION,
    SNOOZE_ACTION,
    alert_blocks,
    evidence_text,
    parse_value,
    remediation_text,
)
from apps.slack.failures import decision_not_recorded, store_unavailable_privately
from apps.slack.mrkdwn import escape
from apps.slack.render import SlackMessage, section
from apps.slack.storelock import StoreBusyError
from knowledge.store import Store, StoreError

if TYPE_CHECKING:
    from apps.slack.app import SlackBot

log = logging.getLogger(__name__)


class Click:
    """Who clicked which alert button, where."""

    def __init__(self, body: dict[str, Any], action: dict[str, Any]):
        container = body.get("container") or {}
        message = body.get("message") or {}
        self.user = str((body.get("user") or {}).get("id") or "")
        self.channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        self.message_ts = str(container.get("message_ts") or message.get("ts") or "")
        self.thread_ts = str(message.get("thread_ts") or self.message_ts)
        self.key, self.state, self.days = parse_value(str(action.get("value") or "{}"))


def decide(bot: SlackBot, click: Click, decision: str) -> None:
    from apps.slack.app import Conversation

    where = Conversation(user=click.user, channel=click.channel, thread_ts=click.thread_ts)
    days = click.days or AlertSettings.from_env().snooze_days

    def record(store: Store) -> tuple[ledger.DecisionRow, Any]:
        row = ledger.decide(store, click.key, click.state, decision, click.user, click.channel, ledger.now_utc(),
                            snooze_days=days)
        return row, ledger.find(store, click.key, click.state)

    try:
        row, alert = bot.store.write(record)
    except (StoreBusyError, StoreError) as exc:
        bot.ephemeral(where, decision_not_recorded(exc))
        return
    if decision == ledger.SNOOZED:
        note = f":zzz: *Snoozed* by <@{click.user}> until {row.until_ts:%Y-%m-%d %H:%M} UTC"
    else:
        note = (f":white_check_mark: *Acknowledged* by <@{click.user}> at {row.ts:%Y-%m-%d %H:%M} UTC; "
                "quiet until its condition changes")
    if alert is None:
        bot.post(where, SlackMessage(text=note, blocks=[section(note)]))
        return
    try:
        bot.client.chat_update(channel=click.channel, ts=click.message_ts, text=f"{alert.title}: {decision}",
                               blocks=alert_blocks(alert, days, decided=note))
    except SlackApiError as exc:
        log.warning("chat.update failed: %s", exc.response.get("error"))


def show(bot: SlackBot, click: Click, what: str) -> None:
    from apps.slack.app import Conversation

    where = Conversation(user=click.user, channel=click.channel, thread_ts=click.thread_ts)
    try:
        alert = bot.store.read(lambda store: ledger.find(store, click.key, click.state))
    except StoreError as exc:
        bot.ephemeral(where, store_unavailable_privately(exc))
        return
    if alert is None:
        bot.ephemeral(where, f"I can't find alert `{escape(click.key)}` in the ledger.")
        return
    text = evidence_text(alert) if what == EVIDENCE_ACTION else remediation_text(alert)
    bot.post(where, SlackMessage(text=text[:3000], blocks=[section(text)]))


def register_alert_actions(bot: SlackBot) -> None:
    def on_click(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        try:
            click = Click(body, action)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            log.warning("ignoring an alert click with an unreadable value")
            return
        if not (click.user and click.channel and click.message_ts):
            log.warning("ignoring an alert click without user, channel or message")
            return
        action_id = action["action_id"]
        if action_id == ACK_ACTION:
            job = lambda: decide(bot, click, ledger.ACKNOWLEDGED)  # noqa: E731
        elif action_id == SNOOZE_ACTION:
            job = lambda: decide(bot, click, ledger.SNOOZED)  # noqa: E731
        else:
            job = lambda: show(bot, click, action_id)  # noqa: E731
        bot.workers.submit(f"alert:{click.key}", job)

    for action_id in (ACK_ACTION, SNOOZE_ACTION, EVIDENCE_ACTION, REMEDIATION_ACTION):
        bot.app.action(action_id)(on_click)

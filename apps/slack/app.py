"""The Bolt app: app mentions, direct messages, `/finops`, and the buttons (evidence, approvals).

Listeners acknowledge at once and hand the work to `ConversationWorkers`; the answer is posted in the
thread of the question with `chat.postMessage`. The conversation id given to the agent is
`<channel>:<thread ts>`, so a follow-up in the same thread continues the conversation.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Literal, Protocol

from cachetools import LRUCache
from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from agent.answer import Answer, ToolCallRecord
from apps.slack import approvals
from apps.slack.access import AccessPolicy, check, refusal_text, touched_teams
from apps.slack.alert_actions import register_alert_actions
from apps.slack.estimate_command import parse_estimate_text
from apps.slack.failures import attempt, decision_not_recorded, store_unavailable, store_unavailable_privately
from apps.slack.mrkdwn import escape, question_text, truncate
from apps.slack.render import SHOW_EVIDENCE_ACTION, SlackMessage, answer_messages, evidence_messages, section
from apps.slack.settings import SlackSettings
from apps.slack.storelock import StoreAccess, StoreBusyError
from apps.slack.visibility import filter_answer, resource_owners
from apps.slack.workers import ConversationWorkers
from knowledge.store import Store, StoreError
from tools.approval_policy import approval_reasons, who_may_decide
from tools.contract import FinopsError, ToolResult
from tools.estimate_record import estimate_and_store

log = logging.getLogger(__name__)


Planner = Literal["auto", "offline", "model"]


class AskFn(Protocol):
    def __call__(self, question: str, *, db: Any = None, session_id: str | None = None,
                 planner: Planner = "auto") -> Answer: ...


def _agent_ask(question: str, *, db: Any = None, session_id: str | None = None, planner: Planner = "auto") -> Answer:
    from agent.service import ask  # imported on first question: start-up stays fast

    return ask(question, db=db, session_id=session_id, planner=planner)


class _Refused(Exception):
    """The clicking user may not record this decision (found on the copy being written)."""


class _Bounded:
    """A small thread-safe LRU map (evidence behind buttons, event ids already handled): cachetools'
    LRUCache behind a lock."""

    def __init__(self, size: int):
        self._data: LRUCache[str, Any] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value

    def get(self, key: str) -> Any:
        with self._lock:
            return self._data.get(key)

    def add_new(self, key: str) -> bool:
        """True if `key` was not there (and is now)."""
        with self._lock:
            if key in self._data:
                return False
            self._data[key] = True
            return True


@dataclass
class Conversation:
    """Where a question came from and where its answer goes."""

    user: str | None
    channel: str
    thread_ts: str

    @property
    def session_id(self) -> str:
        return f"{self.channel}:{self.thread_ts}"


@dataclass
class SlackBot:
    """The Bolt app and what its listeners share."""

    app: App
    settings: SlackSettings
    workers: ConversationWorkers
    store: StoreAccess
    policy: AccessPolicy
    ask: AskFn
    evidence: _Bounded = field(default_factory=lambda: _Bounded(2000))
    seen_events: _Bounded = field(default_factory=lambda: _Bounded(5000))
    _teams_cache: tuple[float, set[str]] | None = None

    @property
    def client(self) -> WebClient:
        return self.app.client

    def close(self) -> None:
        self.workers.shutdown(wait=True)

    # -- answering ------------------------------------------------------------------------------
    def answer_question(self, question: str, where: Conversation) -> None:
        """Ask the agent and post the answer (or a refusal / an error) in the thread."""
        def work() -> Answer:
            return self.store.shared(lambda: self.ask(question, db=self.settings.db, session_id=where.session_id,
                                                      planner=self.settings.planner))

        answer = attempt(work, partial(self.post_error, where), log=log, what="question", doing="answering",
                         subject=question)
        if answer is not None:
            self.deliver(answer, where)

    def deliver(self, answer: Answer, where: Conversation) -> None:
        """Post the answer and any approval request, or a polite refusal if the asker may not see it."""
        scope = self.policy.scope_for(where.user, where.channel)
        if not scope.all:
            known = self.known_teams()

            def judge(store: Store) -> tuple[Answer, list[str]]:
                def owners(names: Any) -> dict[str, frozenset[str | None]]:
                    return resource_owners(store, names)

                # Rows, alternatives and suggestions outside the scope are left out; whatever remains must
                # belong to the scope entirely (resources by their owners), or the answer is refused.
                shown = filter_answer(answer, scope, owners, known)
                return shown, check(scope, touched_teams(shown, known, owners))

            try:
                answer, denied = self.store.read(judge)
            except StoreError as exc:
                self.post_error(where, store_unavailable(exc))
                return
            if denied:
                self.post(where, SlackMessage(text="Sorry, you can't see these costs here.",
                                              blocks=[section(refusal_text(where.user, scope, denied))]))
                return
        self.post_answer(answer, where)
        self.request_approvals(answer, where)

    def run_estimate(self, text: str, where: Conversation) -> None:
        """`/finops estimate …`: run the estimate tool, store its row (the caller stores), post it, ask for approval."""
        def work() -> tuple[dict[str, Any], ToolResult]:
            args = parse_estimate_text(text)
            return args, self.store.write(lambda store: estimate_and_store(store, args))

        done = attempt(work, partial(self.post_error, where), log=log, what="estimate", doing="estimating",
                       subject=text, shown=(FinopsError, StoreBusyError))
        if done is not None:
            args, result = done
            self.deliver(_answer_from_result("estimate " + text, "estimate", args, result), where)

    def post_answer(self, answer: Answer, where: Conversation, *, preface: str | None = None) -> None:
        key = None
        if answer.evidence or answer.tool_calls:
            key = uuid.uuid4().hex
            self.evidence.put(key, answer.evidence_text())
        for message in answer_messages(answer, evidence_key=key, preface=preface):
            self.post(where, message)

    def request_approvals(self, answer: Answer, where: Conversation) -> None:
        """Approve/Reject buttons for each estimate in the answer that needs a person's approval.

        An estimate the agent computed on its read-only connection is not stored yet; it is re-run on a
        short writable connection (same inputs, same estimate id) so the approval can refer to it.
        """
        for args, result in _estimate_results(answer):
            estimate_id = result.get("estimate_id")
            if not isinstance(estimate_id, str) or not estimate_id:
                continue
            if not result.get("stored", True) and self._might_need_approval(result):
                if not args:
                    self.post(where, SlackMessage(text="approval", blocks=[section(
                        "To ask for approval of this run, use `/finops estimate` with its manifest or flags.")]))
                    continue
                try:
                    stored = self.store.write(partial(estimate_and_store, args=args))
                except (FinopsError, StoreError, StoreBusyError) as exc:
                    self.post_error(where, f"I could not store this estimate for approval: {exc}")
                    continue
                estimate_id = str(getattr(stored, "estimate_id", estimate_id))
            self.request_approval(estimate_id, where)

    def _might_need_approval(self, result: dict[str, Any]) -> bool:
        try:
            cost: Decimal | None = Decimal(str(result.get("expected_cost")))
        except (InvalidOperation, ValueError):
            cost = None
        if cost is not None and not cost.is_finite():
            cost = None
        reasons = [r for r in result.get("reasons") or [] if isinstance(r, str)]
        return bool(approval_reasons(cost, result.get("verdict"), reasons, self.settings.approval_threshold))

    def request_approval(self, estimate_id: str, where: Conversation) -> None:
        def load(store: Store) -> tuple[approvals.EstimateInfo | None, list[str], approvals.Decision | None]:
            info = approvals.load_estimate(store, estimate_id)
            return (info, approvals.team_approvers(store, info.team if info else None),
                    approvals.latest_decision(store, estimate_id))

        info, approvers, earlier = self.store.read(load)
        if info is None:
            return
        reason = approvals.approval_reason(info, self.settings.approval_threshold)
        if reason is None:
            return
        if earlier is not None:
            self.post(where, SlackMessage(text=f"already {earlier.decision}",
                                          blocks=approvals.decided_blocks(info, reason, earlier)))
            return
        if where.user:
            # Who asked is recorded before the buttons appear: they may not approve their own request.
            try:
                self.store.write(lambda store: approvals.record_request(store, estimate_id, str(where.user),
                                                                        where.channel))
            except (StoreBusyError, StoreError) as exc:
                self.post_error(where, f"I could not record this approval request, so I did not "
                                       f"ask for an approval: {exc}. Try again in a minute.")
                return
        self.post(where, SlackMessage(text=approvals.request_text(info, reason),
                                      blocks=approvals.request_blocks(info, reason, approvers)))

    def decide(self, estimate_id: str, decision: str, user: str, channel: str, message_ts: str,
               thread_ts: str | None) -> None:
        """An Approve/Reject click: refuse non-approvers; record once; update the message."""
        where = Conversation(user=user, channel=channel, thread_ts=thread_ts or message_ts)

        def load(store: Store) -> tuple[approvals.EstimateInfo | None, list[str], list[str]]:
            info = approvals.load_estimate(store, estimate_id)
            return (info, approvals.team_approvers(store, info.team if info else None),
                    approvals.requesters(store, estimate_id))

        try:
            info, approvers, requesters = self.store.read(load)
        except StoreError as exc:
            self.ephemeral(where, store_unavailable_privately(exc))
            return
        if info is None:
            self.ephemeral(where, f"I can't find estimate `{escape(estimate_id)}` in the store.")
            return
        refusal = who_may_decide(user, decision, approvers, requesters, info.team)
        if refusal is not None:
            others = [u for u in approvers if u not in requesters] if decision == "approved" else approvers
            who = ", ".join(f"<@{u}>" for u in others) or "nobody yet (set `teams.approvers`)"
            self.ephemeral(where, f"Sorry <@{user}>, {escape(refusal)}. Who can: {who}. Nothing was recorded.")
            return

        def record(store: Store) -> tuple[approvals.Decision, bool]:
            earlier = approvals.latest_decision(store, estimate_id)
            if earlier is not None:
                return earlier, False
            # Checked again on the copy being written: a request recorded since the read above counts.
            if who_may_decide(user, decision, approvals.team_approvers(store, info.team),
                              approvals.requesters(store, estimate_id), info.team) is not None:
                raise _Refused()
            new = approvals.Decision(estimate_id=estimate_id, decided_by=user, decision=decision,
                                     ts=approvals.now_utc(), channel=channel, note=f"slack message {message_ts}")
            approvals.record_decision(store, new)
            return new, True

        try:
            outcome, recorded = self.store.write(record)
        except _Refused:
            self.ephemeral(where, f"Sorry <@{user}>, you may not decide on this run any more. Nothing was recorded.")
            return
        except (StoreBusyError, StoreError) as exc:
            self.ephemeral(where, decision_not_recorded(exc))
            return
        reason = approvals.approval_reason(info, self.settings.approval_threshold)
        blocks = approvals.decided_blocks(info, reason, outcome)
        try:
            self.client.chat_update(channel=channel, ts=message_ts, blocks=blocks,
                                    text=f"{outcome.decision} by {outcome.decided_by}")
        except SlackApiError as exc:
            log.warning("chat.update failed: %s", exc.response.get("error"))
        if not recorded:
            self.ephemeral(where, f"This run was already {outcome.decision} by <@{outcome.decided_by}> "
                                  f"at {outcome.ts:%Y-%m-%d %H:%M} UTC.")

    def show_evidence(self, key: str, where: Conversation) -> None:
        text = self.evidence.get(key)
        if text is None:
            self.ephemeral(where, "That evidence is no longer in memory (the bot restarted). Ask again to see it.")
            return
        for message in evidence_messages(text):
            self.post(where, message)

    # -- Slack calls ----------------------------------------------------------------------------
    def post(self, where: Conversation, message: SlackMessage) -> str | None:
        try:
            response = self.client.chat_postMessage(channel=where.channel, thread_ts=where.thread_ts, text=message.text,
                                                    blocks=message.blocks, unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            log.warning("chat.postMessage to %s failed: %s", where.channel, exc.response.get("error"))
            return None
        return response.get("ts")

    def ephemeral(self, where: Conversation, text: str) -> None:
        if not where.user:
            return
        try:
            self.client.chat_postEphemeral(channel=where.channel, user=where.user, thread_ts=where.thread_ts,
                                           text=text, blocks=[section(text)])
        except SlackApiError as exc:
            log.warning("chat.postEphemeral failed: %s", exc.response.get("error"))

    def error_message(self, text: str) -> SlackMessage:
        shown = ":warning: " + escape(truncate(text, 2800))
        return SlackMessage(text=truncate(text, 3000), blocks=[section(shown)])

    def post_error(self, where: Conversation, text: str) -> None:
        """Post `text` in the thread as an error (a warning sign before it)."""
        self.post(where, self.error_message(text))

    def known_teams(self) -> set[str]:
        cached = self._teams_cache
        if cached and time.monotonic() - cached[0] < 60:
            return cached[1]
        teams = self.store.read(lambda s: {r[0] for r in s.con.execute("SELECT team FROM teams").fetchall() if r[0]})
        self._teams_cache = (time.monotonic(), teams)
        return teams


def _estimate_results(answer: Answer) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(tool arguments, result) of each estimate in the answer."""
    results = [r for r in answer.results if isinstance(r, dict) and r.get("estimate_id")]
    calls = [c.args for c in answer.tool_calls if c.tool == "estimate" and c.ok]
    if len(calls) != len(results):
        calls = [{} for _ in results]
    return list(zip(calls, results))


def _answer_from_result(question: str, tool_name: str, args: dict[str, Any], result: ToolResult) -> Answer:
    table = result.table()
    return Answer(question=question, text=result.summary(), kind="answer",
                  tool_calls=[ToolCallRecord(tool=tool_name, args=args, ok=True)],
                  evidence=[result.evidence] if result.evidence else [],
                  tables=[table] if table is not None else [],
                  results=[result.model_dump(mode="json")])


HELP_TEXT = (
    "*Ask me about cloud and AI costs* — mention me in a channel, DM me, or use `/finops`:\n"
    "• `/finops which team owns the $20K/month inference cluster?`\n"
    "• `/finops what did we spend last month by team?`\n"
    "• `/finops anything unusual this week?`\n"
    "• `/finops estimate --team search --name llama-sft --gpu-type H100 --gpu-count 64 --hours 72`\n"
    "  (or paste a YAML manifest after `/finops estimate`)\n"
    "Answers come in a thread with their evidence; reply in the thread to follow up."
)


def create_bot(settings: SlackSettings, *, ask: AskFn | None = None, client: WebClient | None = None) -> SlackBot:
    """Build the bot. Nothing here talks to Slack (no token check at start-up)."""
    if client is None:
        client = WebClient(token=settings.bot_token or None, base_url=settings.api_url)
    # process_before_response: listeners only acknowledge and queue work, so they run on the request's
    # own thread; the HTTP response (or Socket Mode envelope ack) follows at once.
    app = App(client=client, signing_secret=settings.signing_secret, token_verification_enabled=False,
              process_before_response=True, name="finops")
    bot = SlackBot(app=app, settings=settings, workers=ConversationWorkers(settings.workers),
                   store=StoreAccess(settings.db), policy=AccessPolicy.load(settings.access_file),
                   ask=ask or _agent_ask)
    _register(bot)
    return bot


def _register(bot: SlackBot) -> None:
    app = bot.app

    def first_time(body: dict[str, Any]) -> bool:
        event_id = body.get("event_id")
        return not event_id or bot.seen_events.add_new(str(event_id))

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        if not first_time(body):
            return
        where = Conversation(user=event.get("user"), channel=event["channel"],
                             thread_ts=event.get("thread_ts") or event["ts"])
        question = question_text(event.get("text", ""), context.bot_user_id)
        _dispatch_text(bot, question, where)

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return                      # channel messages come as app_mention; edits, joins, bots: ignored
        if not first_time(body):
            return
        where = Conversation(user=event.get("user"), channel=event["channel"],
                             thread_ts=event.get("thread_ts") or event["ts"])
        question = question_text(event.get("text", ""), context.bot_user_id)
        _dispatch_text(bot, question, where)

    @app.command("/finops")
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        text = (command.get("text") or "").strip()
        user, channel = command.get("user_id"), command["channel_id"]
        word = text.split(maxsplit=1)[0].lower() if text else ""
        if word in ("", "help", "?"):
            ack(text=HELP_TEXT, response_type="ephemeral")
            return
        ack(text=f"Working on it: _{escape(truncate(text, 200))}_", response_type="ephemeral")
        is_estimate = word == "estimate"
        label = "asked for an estimate" if is_estimate else "asked"
        shown = escape(truncate(text, 2500))
        opening = SlackMessage(text=f"{label}: {truncate(text, 200)}",
                               blocks=[section(f"<@{user}> {label} via `/finops`:\n>{shown.replace(chr(10), chr(10) + '>')}")])

        def job() -> None:
            try:
                ts = bot.client.chat_postMessage(channel=channel, text=opening.text, blocks=opening.blocks,
                                                 unfurl_links=False, unfurl_media=False).get("ts")
            except SlackApiError as exc:
                log.warning("cannot post in %s (%s); answering privately", channel, exc.response.get("error"))
                respond(text="I can't post in this conversation (invite me to the channel, or DM me). "
                             "Ask again once I'm in.", response_type="ephemeral")
                return
            where = Conversation(user=user, channel=channel, thread_ts=str(ts))
            if is_estimate:
                parts = text.split(maxsplit=1)
                bot.run_estimate(parts[1] if len(parts) > 1 else "", where)
            else:
                bot.answer_question(text, where)

        bot.workers.submit(f"command:{command.get('trigger_id') or uuid.uuid4().hex}", job)

    @app.action(SHOW_EVIDENCE_ACTION)
    def on_show_evidence(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        where = _where_from_action(body)
        bot.workers.submit(f"evidence:{where.session_id}", lambda: bot.show_evidence(str(action.get("value")), where))

    def on_decision(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        decision = approvals.DECISIONS[action["action_id"]]
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        message_ts = container.get("message_ts") or message.get("ts")
        user = (body.get("user") or {}).get("id")
        estimate_id = str(action.get("value"))
        if not (channel and message_ts and user):
            log.warning("ignoring a decision click without channel, message or user")
            return
        bot.workers.submit(f"approval:{estimate_id}", lambda: bot.decide(
            estimate_id, decision, str(user), str(channel), str(message_ts), message.get("thread_ts")))

    app.action(approvals.APPROVE_ACTION)(on_decision)
    app.action(approvals.REJECT_ACTION)(on_decision)
    register_alert_actions(bot)


def _dispatch_text(bot: SlackBot, question: str, where: Conversation) -> None:
    if not question or question.lower() in ("help", "?"):
        def post_help() -> None:
            bot.post(where, SlackMessage(text="How to use finops", blocks=[section(HELP_TEXT)]))

        bot.workers.submit(where.session_id, post_help)
        return
    parts = question.split(maxsplit=1)
    if parts[0].lower() == "estimate" and len(parts) > 1:
        rest = parts[1]
        bot.workers.submit(where.session_id, lambda: bot.run_estimate(rest, where))
        return
    bot.workers.submit(where.session_id, lambda: bot.answer_question(question, where))


def _where_from_action(body: dict[str, Any]) -> Conversation:
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = message.get("thread_ts") or container.get("thread_ts") or container.get("message_ts") or message.get("ts")
    return Conversation(user=(body.get("user") or {}).get("id"), channel=str(channel), thread_ts=str(ts))


__all__ = ["Conversation", "SlackBot", "create_bot", "HELP_TEXT"]

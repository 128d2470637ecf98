"""`finops summary --post`: the summary as a Slack message in each team's channel and an all-company one,
with the charts uploaded into the message's thread (files_upload_v2). Idempotent: the `summary_posts`
ledger (apps.report.ledger) holds one row per week, scope and channel, and a channel that already has
the week's summary is skipped, so a cron retry never double-posts.

Environment: SLACK_BOT_TOKEN, SLACK_API_URL (Web API base URL, for proxies and tests; the same as the
bot's), FINOPS_SUMMARY_CHANNEL (the all-company channel, default #finops).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel

from apps.report import ledger, png
from apps.report.build import ToolCache, build_summary
from apps.report.layout import Document, layout
from apps.report.model import WeeklySummary
from apps.report.week import ReportWeek
from apps.slack.mrkdwn import SECTION_TEXT_LIMIT, escape, truncate
from apps.slack.settings import SlackSettings
from knowledge.store import Store

DEFAULT_CHANNEL = "#finops"
BULLETS_PER_SECTION = 3
HEADER_LIMIT = 150


class PostSettings(BaseModel):
    token: str
    api_url: str
    company_channel: str = DEFAULT_CHANNEL

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PostSettings:
        env = os.environ if env is None else env
        slack = SlackSettings.from_env(env)
        return cls(token=slack.bot_token, api_url=slack.api_url,
                   company_channel=(env.get("FINOPS_SUMMARY_CHANNEL") or DEFAULT_CHANNEL).strip())


class PostOutcome(BaseModel):
    scope: str
    channel: str
    status: Literal["posted", "already posted", "failed"]
    ts: str | None = None
    file_id: str | None = None
    error: str | None = None


def slack_message(doc: Document, summary: WeeklySummary) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and Block Kit blocks: each section's headline and a few of its points; the
    evidence (tools, SQL, freshness) is in the full report, named in the last block."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(doc.title, HEADER_LIMIT)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(f"{doc.subtitle}. {doc.freshness}.")}]},
    ]
    for sec in doc.sections:
        lines = [f"*{escape(sec.title)}*", escape(sec.lead)]
        bullets = next((b.items for b in sec.blocks if b.kind == "bullets"), [])
        lines += [f"• {escape(item)}" for item in bullets[:BULLETS_PER_SECTION]]
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": truncate("\n".join(lines), SECTION_TEXT_LIMIT)}})
    tools = sorted({c.tool for c in summary.calls})
    team_arg = f" --team {summary.team}" if summary.team else ""
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(
        f"Evidence: {len(summary.calls)} tool calls ({', '.join(tools)}); each figure's SQL and data freshness: "
        f"finops summary --week {summary.week.label}{team_arg} --as-of {summary.week.as_of.isoformat()} --format html")}]})
    text = truncate(f"{doc.title}: " + " ".join(s.lead for s in doc.sections[:2]), 3000)
    return text, blocks


def targets(store: Store, team: str | None, company_channel: str) -> list[ledger.Target]:
    """The company summary to the company channel, each team's to its channel; with `team`, only that team's."""
    out = [] if team is not None else [ledger.Target(scope=ledger.COMPANY, channel=company_channel)]
    return out + ledger.team_channels(store, team)


def post_summaries(store: Store, week: ReportWeek, settings: PostSettings, team: str | None = None,
                   client: Any = None, cache: ToolCache | None = None) -> list[PostOutcome]:
    """Post the week's summaries (store must be writable: the ledger is written). Returns one outcome per
    channel; a Slack error on one channel does not stop the others. A channel that already has this
    week's summary for the same scope is skipped before anything is computed for it."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackRequestError

    client = client or WebClient(token=settings.token, base_url=settings.api_url)
    cache = {} if cache is None else cache
    outcomes: list[PostOutcome] = []
    for target in targets(store, team, settings.company_channel):
        done = ledger.find(store, week.label, target.scope, target.channel)
        if done is not None:
            outcomes.append(PostOutcome(scope=target.scope, channel=target.channel, status="already posted",
                                        ts=done.ts, file_id=done.file_id))
            continue
        summary = build_summary(store, week, None if target.scope == ledger.COMPANY else target.scope, cache)
        doc = layout(summary)
        text, blocks = slack_message(doc, summary)
        try:
            answer = client.chat_postMessage(channel=target.channel, text=text, blocks=blocks,
                                             unfurl_links=False, unfurl_media=False)
        except (SlackApiError, SlackRequestError) as exc:
            outcomes.append(PostOutcome(scope=target.scope, channel=target.channel, status="failed",
                                        error=_slack_error(exc)))
            continue
        channel_id, ts = answer.get("channel") or target.channel, answer.get("ts")
        ledger.record(store, week.label, target.scope, target.channel, channel_id, ts, week.as_of)
        outcome = PostOutcome(scope=target.scope, channel=target.channel, status="posted", ts=ts)
        try:
            uploaded = client.files_upload_v2(
                channel=channel_id, thread_ts=ts, content=png.panel_png(summary),
                filename=f"finops-summary-{week.label}{'-' + summary.team if summary.team else ''}.png",
                title=doc.title, alt_txt=f"Charts of the {doc.title.lower()}")
            file = uploaded.get("file")
            file_id = file.get("id") if isinstance(file, dict) else None
            if not isinstance(file_id, str) or not file_id:
                raise ValueError(f"Slack's answer names no uploaded file: {str(uploaded.data)[:200]}")
            outcome.file_id = file_id
            ledger.set_file(store, week.label, target.scope, target.channel, outcome.file_id)
        except (SlackApiError, SlackRequestError, ValueError, TypeError, KeyError) as exc:
            # The message is posted and recorded already: a failed or malformed upload is reported, never
            # raised (slack_sdk raises ValueError on an answer without its upload URL).
            outcome.error = f"message posted, chart upload failed: {_slack_error(exc)}"
        outcomes.append(outcome)
    return outcomes


def _slack_error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    code = response.get("error") if response is not None and hasattr(response, "get") else None
    return str(code or exc)

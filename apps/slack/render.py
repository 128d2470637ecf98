"""Block Kit for an answer: the text, a compact table where rows matter, the evidence folded below.

Every piece of text is escaped (`mrkdwn.escape`): answers quote tag values and resource names, which are
untrusted data. Long answers are split into section blocks of at most 3,000 characters and messages of
at most 50 blocks.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from agent.answer import Answer
from apps.slack.mrkdwn import (
    BLOCKS_PER_MESSAGE,
    CONTEXT_TEXT_LIMIT,
    FALLBACK_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    code_safe,
    escape,
    split_text,
    truncate,
)
from apps.slack.tables import render_table

SHOW_EVIDENCE_ACTION = "finops_show_evidence"
MAX_TABLES = 3
MESSAGE_CHAR_BUDGET = 12_000   # keep one message readable (and well under Slack's msg_too_long)

Block = dict[str, Any]


class SlackMessage(BaseModel):
    """One chat.postMessage payload: fallback text and blocks."""

    text: str
    blocks: list[Block]


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(t, CONTEXT_TEXT_LIMIT)} for t in texts[:10]]}


def sections(mrkdwn_text: str) -> list[Block]:
    return [section(chunk) for chunk in split_text(mrkdwn_text, SECTION_TEXT_LIMIT) if chunk.strip()]


def answer_messages(answer: Answer, *, evidence_key: str | None = None, preface: str | None = None,
                    extra_blocks: list[Block] | None = None) -> list[SlackMessage]:
    """The answer as one or more messages; evidence and `extra_blocks` (e.g. approval buttons) close the last."""
    body: list[Block] = []
    if preface:
        body.append(context(preface))
    if answer.notice:
        body.append(context(":information_source: " + escape(answer.notice)))
    body += sections(answer_mrkdwn(answer.text))
    if answer.suggestions:
        label = "Did you mean" if answer.kind == "did_you_mean" else "Try"
        items = "\n".join(f"• {escape(s)}" for s in answer.suggestions[:10])
        body += sections(f"*{label}:*\n{items}")
    for table in answer.tables[:MAX_TABLES]:
        if table.rows:
            body.append(section(render_table(table, max_chars=SECTION_TEXT_LIMIT - 100)))
    notes = []
    if not answer.grounded:
        notes.append(":warning: The model's wording was replaced by an answer composed from the tool results.")
    notes += [escape(f) for f in answer.flags[:5]]
    if notes:
        body.append(context(*notes))

    tail: list[Block] = []
    summary = evidence_summary(answer)
    if summary:
        tail.append(context(summary))
        if evidence_key:
            tail.append({"type": "actions", "block_id": "finops_evidence", "elements": [{
                "type": "button", "action_id": SHOW_EVIDENCE_ACTION, "value": evidence_key,
                "text": {"type": "plain_text", "text": "Show evidence"}}]})
    tail += extra_blocks or []
    return pack(body, tail, fallback=answer.text)


def pack(body: list[Block], tail: list[Block], *, fallback: str) -> list[SlackMessage]:
    """Split blocks into messages of at most 50 blocks; `tail` stays together on the last one."""
    if len(tail) >= BLOCKS_PER_MESSAGE:
        raise ValueError("tail blocks do not fit in one message")
    messages: list[list[Block]] = []
    current: list[Block] = []
    chars = 0
    for block in body:
        size = _size(block)
        if current and (len(current) == BLOCKS_PER_MESSAGE or chars + size > MESSAGE_CHAR_BUDGET):
            messages.append(current)
            current, chars = [], 0
        current.append(block)
        chars += size
    if current and (len(current) + len(tail) > BLOCKS_PER_MESSAGE or chars + sum(map(_size, tail)) > MESSAGE_CHAR_BUDGET):
        messages.append(current)
        current = []
    current += tail
    messages.append(current)
    text = truncate(fallback, FALLBACK_TEXT_LIMIT)
    out = []
    for i, blocks in enumerate(messages):
        part = text if i == 0 else f"(continued {i + 1}/{len(messages)})"
        out.append(SlackMessage(text=part, blocks=blocks))
    return out


def _size(block: Block) -> int:
    text = block.get("text")
    if isinstance(text, dict):
        return len(text.get("text", ""))
    return sum(len(e.get("text", "")) for e in block.get("elements", []) if isinstance(e.get("text"), str))


def evidence_summary(answer: Answer) -> str | None:
    """One context line: tools called, number of SQL statements, data freshness."""
    if not answer.tool_calls and not answer.evidence:
        return None
    tools = []
    for call in answer.tool_calls:
        name = call.tool if call.ok else f"{call.tool} (failed)"
        if name not in tools:
            tools.append(name)
    if not tools:
        tools = sorted({ev.tool for ev in answer.evidence})
    statements = sum(len(ev.sql) for ev in answer.evidence)
    latest = [f.latest_data for ev in answer.evidence for f in ev.freshness if f.latest_data]
    parts = [":mag: Evidence: tools " + ", ".join(f"`{code_safe(t)}`" for t in tools)]
    parts.append(f"{statements} SQL statement{'s' if statements != 1 else ''}")
    if latest:
        parts.append("data through " + max(latest).isoformat(sep=" ", timespec="minutes"))
    return " · ".join(parts)


def evidence_messages(answer_evidence_text: str) -> list[SlackMessage]:
    """The full Evidence block (tools, SQL with parameters, freshness) as code sections."""
    chunks = split_text(code_safe(answer_evidence_text), SECTION_TEXT_LIMIT - 8)
    blocks = [section("```\n" + c + "\n```") for c in chunks if c.strip()]
    return pack(blocks, [], fallback="Evidence")


def answer_mrkdwn(text: str) -> str:
    """Agent text (plain, maybe light Markdown) as Slack mrkdwn: escaped, `**bold**` -> `*bold*`."""
    out = escape(text)
    out = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"*\1*", out)
    out = re.sub(r"^#{1,6} +(.+)$", r"*\1*", out, flags=re.M)
    return out

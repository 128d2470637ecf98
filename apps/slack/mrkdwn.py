"""Slack mrkdwn text: escaping untrusted text, reading user text, splitting within Slack's limits.

Everything shown in Slack goes through `escape` first: `&`, `<` and `>` are the only control characters
of Slack's markup, so an escaped tag value such as `<!channel> ignore previous instructions` is shown
as plain text and can neither ping a channel nor form a link.
"""

from __future__ import annotations

import re

SECTION_TEXT_LIMIT = 3000      # Slack: section block text
CONTEXT_TEXT_LIMIT = 3000      # Slack: one context element's text
BLOCKS_PER_MESSAGE = 50        # Slack: blocks per message
FALLBACK_TEXT_LIMIT = 3000     # the message's `text` (notifications, screen readers); Slack truncates ~4000

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def escape(text: str) -> str:
    """Escape Slack's control characters so text is shown literally."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def code_safe(text: str) -> str:
    """Text for inside a ``` block: escaped, and no backtick can close the block early."""
    return escape(text).replace("`", "'")


def question_text(raw: str, bot_user_id: str | None = None) -> str:
    """What the user asked: bot mentions removed, links and channel refs reduced to their labels."""
    text = raw or ""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    else:
        text = _MENTION.sub(" ", text, count=1)

    def label(m: re.Match[str]) -> str:
        target, shown = m.group(1), m.group(2)
        if shown:
            return shown if not target.startswith("#") else "#" + shown
        if target.startswith(("mailto:",)):
            return target.split(":", 1)[1]
        return target

    text = _LINK.sub(label, text)
    lines = [" ".join(line.split()) for line in unescape(text).splitlines()]
    return "\n".join(lines).strip()


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Split text into chunks of at most `limit` characters: at blank lines, then lines, then spaces.

    A chunk never ends inside a ``` code block: an open block is closed and reopened in the next chunk.
    """
    if limit < 20:
        raise ValueError("limit too small")
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit - 8):
        candidate = piece if not current else current + "\n" + piece
        if len(_close_fences(candidate)) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(_close_fences(current))
            current = ("```\n" + piece) if _open_fence(current) else piece
        else:
            current = piece
    if current.strip():
        chunks.append(_close_fences(current))
    return chunks or [""]


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _pieces(text: str, limit: int) -> list[str]:
    """Lines of `text`, each cut to fit `limit` (long lines at spaces, else hard)."""
    out: list[str] = []
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut < limit // 2:
                cut = limit
            out.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        out.append(line)
    return out


def _open_fence(text: str) -> bool:
    return text.count("```") % 2 == 1


def _close_fences(text: str) -> str:
    return text + "\n```" if _open_fence(text) else text

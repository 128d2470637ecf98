"""The questions a person asked, kept across runs of the chat (one file per user, newest last).

`FINOPS_HISTORY` names the file; else `$XDG_DATA_HOME/finops/chat-history.txt` (default
`~/.local/share/finops/chat-history.txt`). One question per line; the file is private (mode 0600) and
keeps the last MAX_QUESTIONS. A file that cannot be read or written never stops the chat.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_QUESTIONS = 500


def default_history_path() -> Path:
    named = os.environ.get("FINOPS_HISTORY")
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "finops" / "chat-history.txt"


def load_history(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [line for line in lines if line.strip()][-MAX_QUESTIONS:]


def append_history(path: Path, question: str) -> bool:
    """Add one question (a single line: newlines become spaces); False when the file cannot be written."""
    line = " ".join(question.split())
    if not line:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        kept = load_history(path)
        if kept and kept[-1] == line:
            return True
        kept = [*kept, line][-MAX_QUESTIONS:]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(kept) + "\n")
        return True
    except OSError:
        return False

"""F1: the keys of the chat and what you can ask, on one screen that fits 80x24 (Esc or F1 closes it)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "ask the question typed"),
    ("↑ / ↓", "question history (kept across runs)"),
    ("→", "accept the suggested question"),
    ("ctrl+p", "common questions"),
    ("ctrl+t", "show/hide the SQL and freshness of the answer"),
    ("ctrl+g", "copy the answer's SQL (runs as-is: duckdb STORE)"),
    ("ctrl+y", "copy the answer, its rows and evidence"),
    ("ctrl+e", "export the answer's rows to CSV"),
    ("ctrl+r", "fix a misspelt name and ask again"),
    ("ctrl+l", "clear the screen (the conversation goes on)"),
    ("pgup / pgdn", "scroll the conversation"),
    ("F1 / esc", "this help / close it"),
    ("ctrl+q", "quit"),
)

TIPS = ("Follow-ups work: 'and last month?', 'and for the search team?'. Figures come from SQL on your "
        "store; select a row to see its exact values. `finops chat --session ID` reopens a conversation.")


class HelpScreen(ModalScreen[None]):
    """Keys and tips."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"), Binding("f1", "dismiss", "Close"), Binding("q", "dismiss", "Close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        width = max(len(k) for k, _ in KEYS) + 2
        keys = Text()
        for i, (key, what) in enumerate(KEYS):
            keys.append(("\n" if i else "") + key.ljust(width), style="bold")
            keys.append(what)
        with VerticalScroll(id="help"):
            yield Static(Text("finops chat · help (esc closes)", style="bold"))
            yield Static(keys)
            yield Static(Text(TIPS, style="dim"))

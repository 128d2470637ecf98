"""The panel at the top of the conversation: what to ask and how to drive the app from the keyboard."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static


class Welcome(Static):
    def __init__(self, examples: Sequence[str], *, store_label: str) -> None:
        text = Text()
        text.append("Ask a cost question in plain language", style="bold")
        text.append(f"  (store: {store_label})\n", style="dim")
        for q in examples:
            text.append("  • ")
            text.append(q + "\n")
        text.append("enter asks · ↑↓ history · → accepts a suggestion · ^p questions · tab: tables",
                    style="dim")
        super().__init__(text, id="welcome")

"""The question input: enter asks, up/down walk the history, right accepts a suggested question."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.binding import Binding, BindingType
from textual.suggester import Suggester
from textual.widgets import Input


class QuestionSuggester(Suggester):
    """Suggest a past question first, then an example question, that starts with what was typed."""

    def __init__(self, candidates: Callable[[], Sequence[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self._candidates = candidates

    async def get_suggestion(self, value: str) -> str | None:
        if len(value.strip()) < 2:
            return None
        for candidate in self._candidates():
            if candidate.casefold().startswith(value) and len(candidate) > len(value):
                return candidate
        return None


def _without_ctrl_e(bindings: list[BindingType]) -> list[BindingType]:
    """Input's bindings, with "end" no longer on ctrl+e: ctrl+e is the app's CSV export."""
    out: list[BindingType] = []
    for b in bindings:
        if isinstance(b, Binding) and b.action == "end" and "ctrl+e" in b.key:
            b = Binding("end", "end", b.description, show=False)
        out.append(b)
    return out


class QuestionInput(Input, inherit_bindings=False):
    """An Input with a per-session history of the questions asked."""

    BINDINGS = [
        *_without_ctrl_e(list(Input.BINDINGS)),
        Binding("up", "history_previous", "Previous question", show=False),
        Binding("down", "history_next", "Next question", show=False),
    ]

    def __init__(self, examples: Sequence[str], *, placeholder: str = "", id: str | None = None) -> None:
        self.history: list[str] = []
        self._examples = list(examples)
        self._cursor: int | None = None   # index into history while browsing, None when editing
        self._draft = ""
        super().__init__(placeholder=placeholder, id=id, suggester=QuestionSuggester(self._candidates))

    def _candidates(self) -> list[str]:
        return [*reversed(self.history), *self._examples]

    def remember(self, question: str) -> None:
        """Add a question to the history (no consecutive duplicates) and stop browsing."""
        if not self.history or self.history[-1] != question:
            self.history.append(question)
        self._cursor = None
        self._draft = ""

    def action_history_previous(self) -> None:
        if not self.history:
            return
        if self._cursor is None:
            self._draft = self.value
            self._cursor = len(self.history) - 1
        elif self._cursor > 0:
            self._cursor -= 1
        self._show(self.history[self._cursor])

    def action_history_next(self) -> None:
        if self._cursor is None:
            return
        if self._cursor < len(self.history) - 1:
            self._cursor += 1
            self._show(self.history[self._cursor])
        else:
            self._cursor = None
            self._show(self._draft)

    def _show(self, text: str) -> None:
        self.value = text
        self.cursor_position = len(text)

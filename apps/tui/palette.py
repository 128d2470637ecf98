"""Command palette provider: the common questions, one keystroke away (ctrl+p)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from apps.tui.questions import palette_questions

if TYPE_CHECKING:
    from apps.tui.app import ChatApp


class QuestionsProvider(Provider):
    """Ask one of the common questions."""

    async def startup(self) -> None:
        worker = self.app.run_worker(palette_questions, thread=True)
        self._questions: list[str] = await worker.wait()

    def _ask(self, question: str) -> None:
        cast("ChatApp", self.app).ask(question)

    async def discover(self) -> Hits:
        for question in self._questions:
            yield DiscoveryHit(f"Ask: {question}", partial(self._ask, question), help="common question")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for question in self._questions:
            score = matcher.match(question)
            if score > 0:
                yield Hit(score, matcher.highlight(f"Ask: {question}"), partial(self._ask, question),
                          text=question, help="common question")

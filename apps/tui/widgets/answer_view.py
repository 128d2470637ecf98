"""One exchange of the conversation: the question, then the answer with its rows, chart and evidence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Collapsible, LoadingIndicator, Static

from agent.answer import Answer
from apps.evidence import full_evidence, short_evidence, through
from apps.tui.charts import chart_for
from apps.tui.widgets.charts import chart_widget
from apps.tui.widgets.rows import RowsTable
from tools.runnable_sql import runnable

MAX_SUGGESTIONS = 5
TABLE_MARGIN = 7   # conversation padding (2) + scrollbar (1) + exchange border and padding (2) + slack (2)


class AnswerView(Vertical):
    """A question and, once the agent is done, its answer (all text shown as data, never markup)."""

    def __init__(self, question: str, *, earlier: bool = False) -> None:
        super().__init__(classes="exchange pending earlier" if earlier else "exchange pending")
        self.question = question
        self.earlier = earlier
        self.answer: Answer | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("› ", "bold"), self.question,
                                   ("  (earlier run)", "dim") if self.earlier else ""), classes="question")
        yield Static(Text("working on it…", style="italic"), classes="working")
        yield LoadingIndicator()

    def show(self, answer: Answer) -> None:
        """Replace the spinner with the answer."""
        self.answer = answer
        self.remove_class("pending")
        self.add_class(f"kind-{answer.kind.replace('_', '-')}")
        for widget in self.query(".working, LoadingIndicator"):
            widget.remove()
        self.mount_all(list(self._parts(answer)))

    @property
    def evidence(self) -> Collapsible | None:
        found = self.query("Collapsible.evidence")
        return found.first(Collapsible) if found else None

    def _parts(self, answer: Answer) -> Iterator[Widget]:
        headline, rest = split_headline(answer.text)
        tables = [t for t in answer.tables if t.columns]
        yield Static(Text(headline, style="bold" if answer.kind == "answer" else ""), classes="text headline")
        if rest and not tables:
            yield Static(Text(rest), classes="text")
        yield from self._notes(answer)
        charted = False
        for table in tables:
            spec = None if charted else chart_for(table)
            if spec is not None:
                charted = True
                yield chart_widget(spec)
            yield RowsTable(table, self._table_width())
        if rest and tables:   # the figures are in the table: the rest of the wording (and the method) folds
            yield Collapsible(Static(Text(rest), classes="text details-text"), title="Details",
                              collapsed=True, classes="details")
        if answer.evidence or answer.tool_calls:
            yield Collapsible(Static(Text(evidence_text(answer)), classes="evidence-text"),
                              title=evidence_title(answer), collapsed=True, classes="evidence")

    def _notes(self, answer: Answer) -> Iterator[Widget]:
        if answer.notice:
            yield Static(Text(answer.notice), classes="notice")
        if not answer.grounded:
            yield Static(Text("The model's wording was rejected (a number it gave is in no tool result); "
                              "this answer was composed from the tool results."), classes="notice")
        if answer.suggestions and answer.kind in ("did_you_mean", "help", "error"):
            label = "Did you mean: " if answer.kind == "did_you_mean" else "Try: "
            shown = " · ".join(f"'{s}'" for s in answer.suggestions[:MAX_SUGGESTIONS])
            hint = ("  (^r: fix the name and ask again)", "dim") if answer.kind == "did_you_mean" else ("", "")
            yield Static(Text.assemble((label, "bold"), shown, hint), classes="suggestions")

    def _table_width(self) -> int:
        """The cells the rows table has: the screen less the pane's padding, scrollbar and the border."""
        return max(40, self.app.size.width - TABLE_MARGIN)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(0-9])")


def split_headline(text: str) -> tuple[str, str]:
    """The first sentence of an answer (its headline) and the rest."""
    first, _, rest = text.partition("\n")
    parts = _SENTENCE_END.split(first, maxsplit=1)
    head = parts[0].strip()
    tail = " ".join(p for p in (parts[1] if len(parts) > 1 else "", rest) if p.strip()).strip()
    return head, tail


def evidence_text(answer: Answer) -> str:
    """One line per tool, then every statement as SQL that runs as printed (parameters inlined)."""
    return (short_evidence(answer, "below; ^g copies the SQL") + "\n\n" + full_evidence(answer))


def runnable_sql(answer: Answer) -> str:
    """Every statement of an answer's evidence as SQL to paste into `duckdb STORE`."""
    out: list[str] = []
    for ev in answer.evidence:
        for i, run in enumerate(ev.sql, 1):
            out.append(f"-- {ev.tool}, statement {i} of {len(ev.sql)} ({run.rows} rows)\n{runnable(run)}")
    return "\n\n".join(out)


def evidence_title(answer: Answer) -> str:
    """'SQL and freshness · 3 queries · data through 2026-11-24' (from the evidence, not recomputed)."""
    queries = sum(len(ev.sql) for ev in answer.evidence)
    latest: datetime | None = None
    for ev in answer.evidence:
        for f in ev.freshness:
            if f.latest_data and (latest is None or f.latest_data > latest):
                latest = f.latest_data
    title = f"SQL and freshness · {queries} quer{'y' if queries == 1 else 'ies'}"
    if latest is not None:
        title += f" · data through {through(latest)}"
    return title

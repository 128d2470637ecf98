"""One exchange of the conversation: the question, then the answer with its rows, chart and evidence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Collapsible, DataTable, LoadingIndicator, Static

from agent.answer import Answer
from apps.tui.cells import cell_text
from apps.tui.charts import chart_for
from apps.tui.widgets.charts import chart_widget
from tools.contract import TableView

MAX_SUGGESTIONS = 5


class AnswerView(Vertical):
    """A question and, once the agent is done, its answer (all text shown as data, never markup)."""

    def __init__(self, question: str) -> None:
        super().__init__(classes="exchange pending")
        self.question = question
        self.answer: Answer | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("› ", "bold"), self.question), classes="question")
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
        found = self.query(Collapsible)
        return found.first() if found else None

    def _parts(self, answer: Answer) -> Iterator[Widget]:
        yield Static(Text(answer.text), classes="text")
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
        charted = False
        for table in answer.tables:
            if not table.columns:
                continue
            spec = None if charted else chart_for(table)
            if spec is not None:
                charted = True
                yield chart_widget(spec)
            yield rows_table(table)
        if answer.evidence or answer.tool_calls:
            yield Collapsible(Static(Text(answer.evidence_text()), classes="evidence-text"),
                              title=evidence_title(answer), collapsed=True)


def rows_table(table: TableView) -> DataTable[Text]:
    grid: DataTable[Text] = DataTable(zebra_stripes=True, cursor_type="row", classes="rows")
    grid.add_columns(*(Text(c) for c in table.columns))
    grid.add_rows([[cell_text(c, v) for c, v in zip(table.columns, row)] for row in table.rows])
    return grid


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
        title += f" · data through {latest.isoformat(sep=' ', timespec='minutes')}"
    return title

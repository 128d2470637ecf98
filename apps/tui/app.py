"""`ChatApp`: the terminal chat. One conversation pane, a question input, the footer of key bindings.

Each question runs in a thread worker (the UI never freezes) and calls the agent with this app's
session id, so follow-ups ("and last month?") have the conversation's memory. Everything works from
the keyboard, in 80x24, over SSH (copy goes through OSC 52, which terminals forward).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Input

from agent.answer import Answer
from apps.tui.ask import AskFn, Planner, agent_ask
from apps.tui.export import ExportError, clipboard_text, export_answer_csv
from apps.tui.history import append_history, default_history_path, load_history
from apps.tui.palette import QuestionsProvider
from apps.tui.questions import COMMON_QUESTIONS, WELCOME_QUESTIONS
from apps.tui.retry import corrected_question
from apps.tui.sessions import earlier_turns
from apps.tui.widgets.answer_view import AnswerView, runnable_sql
from apps.tui.widgets.help_screen import HelpScreen
from apps.tui.widgets.question_input import QuestionInput
from apps.tui.widgets.welcome import Welcome
from tools.contract import FinopsError


def _has_tables(answer: Answer) -> bool:
    return bool(answer.tables)


def _has_evidence(answer: Answer) -> bool:
    return bool(answer.evidence or answer.tool_calls)


def _did_you_mean(answer: Answer) -> bool:
    return answer.kind == "did_you_mean" and bool(answer.suggestions)


def _any(answer: Answer) -> bool:
    return True


_ACTION_NEEDS: dict[str, Callable[[Answer], bool]] = {
    "copy_answer": _any, "export_csv": _has_tables, "toggle_sql": _has_evidence, "retry": _did_you_mean,
    "copy_sql": _has_evidence,
}


class ChatApp(App[None]):
    """Ask cost questions; see each answer's rows, chart, SQL and freshness."""

    TITLE = "finops chat"
    CSS_PATH = "chat.tcss"
    COMMANDS = App.COMMANDS | {QuestionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: they work wherever the focus is (ctrl+e wins over the input's "end"; End still works)
        Binding("ctrl+y", "copy_answer", "Copy", priority=True),
        Binding("ctrl+e", "export_csv", "Export CSV", priority=True),
        Binding("ctrl+t", "toggle_sql", "SQL", priority=True),
        Binding("ctrl+r", "retry", "Fix name", priority=True),
        Binding("ctrl+l", "clear", "Clear", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f1", "help", "Help", priority=True),
        Binding("ctrl+g", "copy_sql", "Copy SQL", show=False, priority=True),
        Binding("escape", "focus_input", "Input", show=False),
        Binding("pageup", "scroll_conversation(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_conversation(1)", "Scroll down", show=False),
    ]

    def __init__(
        self,
        *,
        db: str | Path | None = None,
        session_id: str | None = None,
        planner: Planner = "auto",
        ask: AskFn = agent_ask,
        export_dir: Path | None = None,
        history_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.reopened = session_id is not None   # a named session: its earlier turns are drawn again
        self.history_path = history_path or default_history_path()
        self.db = db
        self.session_id = session_id or uuid.uuid4().hex
        self.planner: Planner = planner
        self.export_dir = export_dir
        self.answers: list[Answer] = []
        self._ask = ask
        self._busy = False
        self.sub_title = f"{Path(db).name if db else 'default store'} · session {self.session_id}"

    def compose(self) -> ComposeResult:
        yield Header(icon="$")
        with VerticalScroll(id="conversation", can_focus=False):
            yield Welcome(WELCOME_QUESTIONS, store_label=str(self.db) if self.db else "$FINOPS_DB or the default")
        yield QuestionInput(COMMON_QUESTIONS, placeholder="Ask a cost question… (↑ history, ^p common questions, F1 help)",
                            id="question")
        yield Footer()

    def on_mount(self) -> None:
        box = self.query_one(QuestionInput)
        box.history = load_history(self.history_path)
        box.focus()
        if self.reopened:
            self._redraw_earlier_turns()

    def _redraw_earlier_turns(self) -> None:
        """Reopening `--session ID`: the conversation's earlier questions and answers, as remembered."""
        turns = earlier_turns(self.db, self.session_id)
        pane = self.query_one("#conversation", VerticalScroll)
        for turn in turns:
            view = AnswerView(turn.question, earlier=True)
            pane.mount(view)
            kind = turn.kind if turn.kind in ("answer", "did_you_mean", "refusal", "help", "error") else "answer"
            view.call_after_refresh(view.show, Answer(question=turn.question, text=turn.text, kind=kind,
                                                      session_id=self.session_id))
        if turns:
            self.notify(f"Session {self.session_id}: {len(turns)} earlier question{'s' if len(turns) != 1 else ''} "
                        "redrawn (ask again for their rows and SQL).")

    # -- asking ---------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, QuestionInput):
            self.ask(event.value)

    def ask(self, question: str) -> None:
        """Ask a question (from the input or the command palette); the answer appears when ready."""
        question = question.strip()
        if not question:
            return
        if self._busy:
            self.notify("Still answering the previous question…", severity="warning")
            return
        box = self.query_one(QuestionInput)
        box.remember(question)
        append_history(self.history_path, question)
        box.clear()
        view = AnswerView(question)
        self.query_one("#conversation", VerticalScroll).mount(view)
        view.scroll_visible(animate=False)
        self._busy = True
        self._answer_in_thread(question, view)

    @work(thread=True, group="ask", exit_on_error=False)
    def _answer_in_thread(self, question: str, view: AnswerView) -> None:
        try:
            answer = self._ask(question, db=self.db, session_id=self.session_id, planner=self.planner)
        except FinopsError as exc:
            answer = Answer(question=question, text=str(exc), kind="error", session_id=self.session_id)
        except Exception as exc:  # the chat stays up; the error is shown where the answer would be
            answer = Answer(question=question, text=f"Error: {type(exc).__name__}: {exc}", kind="error",
                            session_id=self.session_id)
        self.call_from_thread(self._show_answer, view, answer)

    def _show_answer(self, view: AnswerView, answer: Answer) -> None:
        self._busy = False
        self.answers.append(answer)
        view.show(answer)
        self.call_after_refresh(view.scroll_visible, animate=False, top=True)
        self.refresh_bindings()

    # -- the current answer: the one holding focus, else the latest that has what is needed ----------
    def current_view(self, wants: Callable[[Answer], bool] = _any) -> AnswerView | None:
        node = self.focused
        while node is not None:
            if isinstance(node, AnswerView) and node.answer is not None and wants(node.answer):
                return node
            node = node.parent  # type: ignore[assignment]
        done = [v for v in self.query(AnswerView) if v.answer is not None and wants(v.answer)]
        return done[-1] if done else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Footer state: copy/export/SQL dimmed until an answer has what they need; "Fix name" only
        after a "did you mean"."""
        wants = _ACTION_NEEDS.get(action)
        if wants is None:
            return True
        if self.current_view(wants) is not None:
            return True
        return False if action == "retry" else None

    def action_copy_answer(self) -> None:
        view = self.current_view()
        if view is None or view.answer is None:
            self.notify("No answer to copy yet.", severity="warning")
            return
        text = clipboard_text(view.answer)
        self.copy_to_clipboard(text)
        self.notify(f"Copied the answer ({len(text):,} characters).")

    def action_export_csv(self) -> None:
        view = self.current_view(_has_tables)
        if view is None or view.answer is None:
            self.notify("No rows to export: ask a question whose answer has a table.", severity="warning")
            return
        directory = self.export_dir or Path.cwd()
        try:
            written = export_answer_csv(view.answer, directory)
        except ExportError as exc:   # nothing existing was opened; says which files were written before
            self.notify(str(exc), severity="error", markup=False)
            return
        except OSError as exc:
            self.notify(f"Could not write the CSV in {directory}: {exc}", severity="error", markup=False)
            return
        self.notify("\n".join(f"Exported {rows:,} rows to {path}" for path, rows in written), markup=False)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HelpScreen())

    def action_copy_sql(self) -> None:
        """Copy the current answer's SQL, parameters inlined: paste it into `duckdb STORE` and it runs."""
        view = self.current_view(_has_evidence)
        sql = runnable_sql(view.answer) if view is not None and view.answer is not None else ""
        if not sql:
            self.notify("No SQL to copy: the answer ran none.", severity="warning")
            return
        self.copy_to_clipboard(sql)
        self.notify(f"Copied the SQL ({sql.count(';')} statement{'s' if sql.count(';') != 1 else ''}, "
                    "parameters inlined): run it with `duckdb STORE`.", markup=False)

    def action_toggle_sql(self) -> None:
        view = self.current_view(_has_evidence)
        if view is None or view.evidence is None:
            self.notify("No SQL to show: the answer called no tool.", severity="warning")
            return
        view.evidence.collapsed = not view.evidence.collapsed
        if not view.evidence.collapsed:
            self.call_after_refresh(view.evidence.scroll_visible, animate=False)

    def action_retry(self) -> None:
        """Put the last "did you mean" question, with the name corrected, in the input (enter asks it)."""
        view = self.current_view(_did_you_mean)
        fixed = None
        if view is not None and view.answer is not None:
            fixed = corrected_question(view.answer.question, view.answer.suggestions[0])
        if fixed is None:
            self.notify("No misspelt name to fix.", severity="warning")
            return
        box = self.query_one(QuestionInput)
        box.value = fixed
        box.cursor_position = len(fixed)
        box.focus()

    def action_clear(self) -> None:
        """Clear the screen; the session (and so the conversation's memory) goes on."""
        if self._busy:
            self.notify("Wait for the current answer before clearing.", severity="warning")
            return
        self.query(AnswerView).remove()
        self.call_after_refresh(self.refresh_bindings)

    def action_focus_input(self) -> None:
        self.query_one(QuestionInput).focus()

    def action_scroll_conversation(self, direction: int) -> None:
        pane = self.query_one("#conversation", VerticalScroll)
        (pane.scroll_page_down if direction > 0 else pane.scroll_page_up)(animate=False)

"""What every surface receives from the agent: the answer, the tool calls behind it, and evidence."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.contract import Evidence, TableView

AnswerKind = Literal["answer", "did_you_mean", "refusal", "help", "error"]


class ToolCallRecord(BaseModel):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    ok: bool = True
    error: str | None = None
    summary: str | None = None
    identifiers: dict[str, str] = Field(default_factory=dict)  # e.g. {"estimate_id": ...}: what a surface acts on


class TokenUsage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Answer(BaseModel):
    """One answer to one question. `text` holds no evidence; `evidence_text()` renders it."""

    question: str
    text: str
    kind: AnswerKind = "answer"
    planner: Literal["offline", "model"] = "offline"
    session_id: str | None = None
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    tables: list[TableView] = Field(default_factory=list)
    results: list[dict[str, Any]] = Field(default_factory=list)  # each tool result, model_dump(mode="json")
    grounded: bool = True          # False when a model's text was rejected and recomposed from results
    flags: list[str] = Field(default_factory=list)
    # What a model stated that no tool result supports (figures, names): kept for --json and logs, never
    # shown as the answer nor repeated in the flags people read.
    rejected: list[str] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)  # "did you mean" names or example questions
    tokens: TokenUsage | None = None
    notice: str | None = None      # e.g. "Built the demo company store at ... (first use)."

    def evidence_text(self, max_sql_chars: int = 600) -> str:
        """The compact Evidence block: tools called, SQL with parameters, data freshness."""
        if not self.evidence and not self.tool_calls:
            return "Evidence: none (no tool was called)."
        lines = ["Evidence"]
        for call in self.tool_calls:
            status = "ok" if call.ok else f"error: {call.error}"
            lines.append(f"- tool {call.tool}({_args(call.args)}) -> {status}")
        for ev in self.evidence:
            for run in ev.sql:
                sql = run.sql if len(run.sql) <= max_sql_chars else run.sql[:max_sql_chars] + " …"
                params = f"  params={run.params}" if run.params else ""
                lines.append(f"- SQL ({ev.tool}, {run.rows} rows, {run.ms:.0f} ms){params}:\n{_indent(sql)}")
        seen: set[str] = set()
        for ev in self.evidence:
            for f in ev.freshness:
                if f.source in seen:
                    continue
                seen.add(f.source)
                latest = f.latest_data.isoformat(sep=" ") if f.latest_data else "n/a"
                ingest = f.latest_ingest.isoformat(sep=" ", timespec="seconds") if f.latest_ingest else "n/a"
                lines.append(f"- freshness: {f.source}: data through {latest}; last ingest {ingest}; {f.rows:,} rows")
        return "\n".join(lines)


def _args(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items() if v not in (None, [], {}, ""))


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())

"""The eval report: accuracy per kind (and per tool, per phrasing style) and overall, ms per answer,
tokens per answer on the model path, and every failure with its question, expected and got.
Rendered as a Rich terminal table, markdown and JSON; the last line is `overall: 96.7% (145/150)`.

Wrong-confident answers (a failed answer stating a figure that is not the gold, `evals.scoring`) are a
headline number of their own, per set and overall: `wrong-confident: 3 (1.2%)`.

Report-only sets (`evals.spec.REPORT_ONLY_SETS`, the held-out sets) are measured and printed but never
gated: the `overall:` last line and the threshold check cover the gated sets only (so the exit code
still follows the last line), and an `all sets:` line before it counts every set run.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evals.gold import Expected
from evals.spec import REPORT_ONLY_SETS, Question


class CaseResult(BaseModel):
    id: str
    set: str
    kind: str
    tool: str | None = None
    style: str = "plain"
    question: str
    session: str | None = None
    expected: str
    source: str = ""
    tolerance: str = ""
    passed: bool
    why: str = ""
    got: str = ""
    answer_kind: str | None = None
    tools: list[str] = Field(default_factory=list)
    found: list[str] = Field(default_factory=list)
    wrong_confident: bool = False
    ms: float = 0.0
    tokens: int | None = None

    @classmethod
    def of(cls, q: Question, exp: Expected, **fields: Any) -> CaseResult:
        return cls(id=q.id, set=q.set, kind=q.kind, tool=q.tool, style=q.style, question=q.q, session=q.session,
                   expected=exp.shown(), source=exp.source, tolerance=q.tolerance_text(), **fields)


class Tally(BaseModel):
    key: str
    passed: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.passed / self.total if self.total else 0.0


def tally(cases: list[CaseResult], attr: str) -> list[Tally]:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for c in cases:
        groups[str(getattr(c, attr) or "-")].append(c)
    return [Tally(key=k, passed=sum(c.passed for c in v), total=len(v)) for k, v in sorted(groups.items())]


def percent(passed: int, total: int) -> str:
    return f"{100 * passed / total:.1f}%" if total else "n/a"


def overall_line(passed: int, total: int) -> str:
    return f"overall: {percent(passed, total)} ({passed}/{total})"


def wrong_confident_line(count: int, total: int, label: str = "wrong-confident") -> str:
    return f"{label}: {count} ({percent(count, total)})"


class SetReport(BaseModel):
    name: str
    planner: str
    note: str = ""
    cases: list[CaseResult]
    store_unchanged: bool = True
    changed_tables: list[str] = Field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.cases)

    @property
    def total(self) -> int:
        return len(self.cases)

    @property
    def accuracy(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def failures(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.passed]

    @property
    def wrong_confident(self) -> int:
        return sum(c.wrong_confident for c in self.cases)

    @property
    def wrong_confident_rate(self) -> float:
        return self.wrong_confident / self.total if self.total else 0.0

    @property
    def gated(self) -> bool:
        return self.name not in REPORT_ONLY_SETS

    def timing(self) -> dict[str, float]:
        ms = sorted(c.ms for c in self.cases)
        if not ms:
            return {"mean": 0.0, "median": 0.0, "p95": 0.0, "max": 0.0}
        return {"mean": statistics.fmean(ms), "median": statistics.median(ms),
                "p95": ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))], "max": ms[-1]}

    def tokens_per_answer(self) -> float | None:
        tokens = [c.tokens for c in self.cases if c.tokens is not None]
        return statistics.fmean(tokens) if tokens else None


class SuiteReport(BaseModel):
    planner: str
    sets: list[SetReport]
    threshold: float
    set_thresholds: dict[str, float] = Field(default_factory=dict)
    finished: datetime = Field(default_factory=lambda: datetime.now(UTC))
    seconds: float = 0.0

    @property
    def gated_sets(self) -> list[SetReport]:
        return [s for s in self.sets if s.gated]

    @property
    def passed(self) -> int:
        """Right answers of the gated sets (the `overall:` line and the threshold)."""
        return sum(s.passed for s in self.gated_sets)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.gated_sets)

    @property
    def accuracy(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def all_passed(self) -> int:
        return sum(s.passed for s in self.sets)

    @property
    def all_total(self) -> int:
        return sum(s.total for s in self.sets)

    @property
    def wrong_confident(self) -> int:
        """Wrong-confident answers over every set run (gated or not)."""
        return sum(s.wrong_confident for s in self.sets)

    @property
    def wrong_confident_rate(self) -> float:
        return self.wrong_confident / self.all_total if self.all_total else 0.0

    def headline_lines(self) -> list[str]:
        """Per set: accuracy and wrong-confident; then every set together (before the `overall:` line)."""
        out = []
        for s in self.sets:
            gate = "" if s.gated else " (reporting only, not gated)"
            out.append(f"{s.name}{gate}: {percent(s.passed, s.total)} ({s.passed}/{s.total}); "
                       + wrong_confident_line(s.wrong_confident, s.total))
        if any(not s.gated for s in self.sets):
            out.append(f"all sets: {percent(self.all_passed, self.all_total)} ({self.all_passed}/{self.all_total})")
        out.append(wrong_confident_line(self.wrong_confident, self.all_total))
        return out

    def below_threshold(self) -> list[str]:
        """Why the run fails its thresholds (empty when it passes). Report-only sets are never gated."""
        out: list[str] = []
        if self.gated_sets and self.accuracy < self.threshold:
            out.append(f"overall accuracy {percent(self.passed, self.total)} < threshold {self.threshold:.1%}")
        for s in self.sets:
            need = self.set_thresholds.get(s.name) if s.gated else None
            if need is not None and s.accuracy < need:
                out.append(f"{s.name} accuracy {percent(s.passed, s.total)} < threshold {need:.1%}")
            if not s.store_unchanged:
                out.append(f"{s.name}: the store changed during the run ({', '.join(s.changed_tables)})")
        return out

    def last_line(self) -> str:
        if not self.gated_sets:       # only report-only sets were run: the line counts them
            return overall_line(self.all_passed, self.all_total)
        return overall_line(self.passed, self.total)

    # -- JSON ---------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "planner": self.planner,
            "finished": self.finished.isoformat(timespec="seconds"),
            "seconds": round(self.seconds, 1),
            "threshold": self.threshold,
            "set_thresholds": self.set_thresholds,
            "overall": {"passed": self.passed, "total": self.total, "accuracy": round(self.accuracy, 4),
                        "sets": [s.name for s in self.gated_sets]},
            "all_sets": {"passed": self.all_passed, "total": self.all_total,
                         "accuracy": round(self.all_passed / self.all_total, 4) if self.all_total else 0.0},
            "wrong_confident": {"count": self.wrong_confident, "total": self.all_total,
                                "rate": round(self.wrong_confident_rate, 4)},
            "report_only_sets": [s.name for s in self.sets if not s.gated],
            "ok": not self.below_threshold(),
            "problems": self.below_threshold(),
            "sets": [
                {
                    "name": s.name,
                    "note": s.note,
                    "passed": s.passed,
                    "total": s.total,
                    "accuracy": round(s.accuracy, 4),
                    "gated": s.gated,
                    "wrong_confident": {"count": s.wrong_confident, "total": s.total,
                                        "rate": round(s.wrong_confident_rate, 4)},
                    "by_kind": [_tally_json(t) for t in tally(s.cases, "kind")],
                    "by_tool": [_tally_json(t) for t in tally(s.cases, "tool")],
                    "by_style": [_tally_json(t) for t in tally(s.cases, "style")],
                    "ms_per_answer": {k: round(v, 1) for k, v in s.timing().items()},
                    "tokens_per_answer": None if s.tokens_per_answer() is None else round(s.tokens_per_answer() or 0, 1),
                    "store_unchanged": s.store_unchanged,
                    "cases": [c.model_dump(mode="json") for c in s.cases],
                }
                for s in self.sets
            ],
        }

    # -- markdown -----------------------------------------------------------------------------------
    def to_markdown(self) -> str:
        lines = [f"# finops eval ({self.planner} planner)", "",
                 f"Finished {self.finished.isoformat(timespec='seconds')} in {self.seconds:.1f} s. "
                 f"Threshold {self.threshold:.1%} overall.", ""]
        for s in self.sets:
            t = s.timing()
            gate = "" if s.gated else " (reporting only, not gated)"
            lines += [f"## Set `{s.name}`: {percent(s.passed, s.total)} ({s.passed}/{s.total}){gate}", "",
                      wrong_confident_line(s.wrong_confident, s.total) + ".", "", s.note, "",
                      f"ms per answer: mean {t['mean']:.0f}, median {t['median']:.0f}, p95 {t['p95']:.0f}, max {t['max']:.0f}."]
            tokens = s.tokens_per_answer()
            if tokens is not None:
                lines.append(f"Tokens per answer: {tokens:.0f}.")
            if not s.store_unchanged:
                lines.append(f"**The store changed during the run:** {', '.join(s.changed_tables)}.")
            for title, attr in (("kind", "kind"), ("tool", "tool"), ("style", "style")):
                lines += ["", f"| {title} | passed | total | accuracy |", "|---|---:|---:|---:|"]
                lines += [f"| {t.key} | {t.passed} | {t.total} | {percent(t.passed, t.total)} |" for t in tally(s.cases, attr)]
            lines += ["", f"### Failures ({len(s.failures)})", ""]
            if not s.failures:
                lines.append("None.")
            for c in s.failures:
                wc = ", **wrong-confident**" if c.wrong_confident else ""
                lines += [f"- **{c.id}** ({c.kind}, {c.style}{', tool ' + c.tool if c.tool else ''}{wc}): {_md(c.question)}",
                          f"  - expected: {_md(c.expected)} ({c.source or 'rule'}, {c.tolerance})",
                          f"  - got ({c.answer_kind}, tools {', '.join(c.tools) or 'none'}): {_md(c.got)}",
                          f"  - why: {_md(c.why)}"]
            lines.append("")
        problems = self.below_threshold()
        if problems:
            lines += ["**Below threshold:** " + "; ".join(problems), ""]
        lines += [line + "  " for line in self.headline_lines()]
        lines.append(self.last_line())
        return "\n".join(lines) + "\n"

    def write(self, directory: Path) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        md = directory / "eval-report.md"
        js = directory / "eval-report.json"
        md.write_text(self.to_markdown(), encoding="utf-8")
        js.write_text(json.dumps(self.to_json(), indent=2, default=_json_default) + "\n", encoding="utf-8")
        return md, js

    # -- terminal -----------------------------------------------------------------------------------
    def render(self, console: Any, *, failures: bool = True) -> None:
        from rich.table import Table

        for s in self.sets:
            t = s.timing()
            gate = "" if s.gated else ", reporting only"
            table = Table(title=f"{s.name} set: {percent(s.passed, s.total)} ({s.passed}/{s.total}), "
                                f"{wrong_confident_line(s.wrong_confident, s.total)}, {self.planner} planner{gate}",
                          title_justify="left")
            table.add_column("kind")
            table.add_column("passed", justify="right")
            table.add_column("total", justify="right")
            table.add_column("accuracy", justify="right")
            for row in tally(s.cases, "kind"):
                table.add_row(row.key, str(row.passed), str(row.total), percent(row.passed, row.total))
            console.print(table)
            extra = f"ms per answer: mean {t['mean']:.0f}, median {t['median']:.0f}, p95 {t['p95']:.0f}"
            tokens = s.tokens_per_answer()
            if tokens is not None:
                extra += f"; tokens per answer: {tokens:.0f}"
            console.print(extra, markup=False)
            if not s.store_unchanged:
                console.print(f"the store changed during the run: {', '.join(s.changed_tables)}", markup=False)
            if failures and s.failures:
                ft = Table(title=f"{s.name}: failures ({len(s.failures)})", title_justify="left", show_lines=True)
                for col in ("id", "question", "expected", "got", "why"):
                    ft.add_column(col, overflow="fold")
                for c in s.failures:
                    ft.add_row(c.id + (" (wrong-confident)" if c.wrong_confident else ""), c.question, c.expected,
                               _short(c.got, 160), c.why)
                console.print(ft)
        for problem in self.below_threshold():
            console.print(f"below threshold: {problem}", markup=False)
        for line in self.headline_lines():
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        console.print(self.last_line(), markup=False, highlight=False)


def _tally_json(t: Tally) -> dict[str, Any]:
    return {"key": t.key, "passed": t.passed, "total": t.total, "accuracy": round(t.accuracy, 4)}


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _json_default(value: Any) -> Any:
    if isinstance(value, (Decimal, datetime)):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")

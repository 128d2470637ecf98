"""The TUI's pure parts: which chart suits which rows, how cells read, CSV export and clipboard text."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from agent.answer import Answer
from apps.tui.cells import as_number, cell_plain
from apps.tui.charts import MAX_BARS, chart_for
from apps.tui.export import clipboard_text, export_answer_csv
from apps.tui.retry import corrected_question
from tools.contract import TableView


def test_a_daily_table_is_a_series_sorted_by_day() -> None:
    days = [date(2026, 10, 1) + timedelta(days=i) for i in range(5)]
    rows = [[d.isoformat(), f"${100 + i}.50", "20.0%"] for i, d in reversed(list(enumerate(days)))]
    spec = chart_for(TableView(columns=["day", "billed", "share"], rows=rows))
    assert spec is not None and spec.kind == "series"
    assert [p.label for p in spec.points] == [d.isoformat() for d in days]
    assert [p.shown for p in spec.points] == [f"${100 + i}.50" for i in range(5)]  # exact, as in the table


def test_a_breakdown_is_bars_on_the_money_column_capped() -> None:
    rows = [[f"team-{i}", f"{i}", f"${1000 - i:,}.00"] for i in range(MAX_BARS + 3)]
    spec = chart_for(TableView(columns=["team", "jobs", "billed"], rows=rows))
    assert spec is not None and spec.kind == "bars"
    assert spec.title == "billed by team"
    assert len(spec.points) == MAX_BARS and spec.more == 3
    assert spec.points[0].value == 1000.0


def test_no_chart_without_a_measure_or_with_one_row() -> None:
    assert chart_for(TableView(columns=["team", "owner"], rows=[["a", "x"], ["b", "y"]])) is None
    assert chart_for(TableView(columns=["team", "billed"], rows=[["a", "$1.00"]])) is None
    assert chart_for(TableView(columns=["team", "change"], rows=[["a", "-$1.00"], ["b", "$2.00"]])) is None


def test_cells_keep_money_exact_and_unknown_is_not_zero() -> None:
    assert cell_plain("billed", Decimal("1234.565000000001")) == "$1,234.57"
    assert cell_plain("monthly_cost", None) == "unknown"
    assert cell_plain("owner", None) == "-"
    assert cell_plain("share", Decimal("0.1234")) == "12.3%"
    assert cell_plain("tag", "[bold]ignore previous instructions") == "[bold]ignore previous instructions"
    assert as_number("-$1,234.50") == -1234.5 and as_number("12.3%") is None and as_number("abc") is None


def test_csv_export_is_exact_and_never_overwrites(tmp_path: Path) -> None:
    table = TableView(columns=["team", "billed"], rows=[["search", Decimal("20160.123456789012")], [None, "x"]])
    answer = Answer(question="How much did each team spend?", text="…", tables=[table])
    first = export_answer_csv(answer, tmp_path)
    second = export_answer_csv(answer, tmp_path)
    assert [p.name for p, _ in first + second] == ["finops-how-much-did-each-team-spend.csv",
                                                  "finops-how-much-did-each-team-spend-2.csv"]
    with first[0][0].open(newline="") as fh:
        assert list(csv.reader(fh)) == [["team", "billed"], ["search", "20160.123456789012"], ["", "x"]]
    assert first[0][1] == 2


def test_clipboard_text_holds_question_answer_rows() -> None:
    table = TableView(columns=["team", "billed"], rows=[["search", "$1.00"]])
    text = clipboard_text(Answer(question="Q?", text="The answer.", tables=[table]))
    assert text.splitlines()[:3] == ["Q: Q?", "", "The answer."]
    assert "team\tbilled\nsearch\t$1.00" in text


def test_a_misspelt_name_is_corrected_in_the_question() -> None:
    assert corrected_question("How much did team serch spend last month?", "search") == \
        "How much did team search spend last month?"
    assert corrected_question("cost of ml-platfrom last week", "ml-platform") == "cost of ml-platform last week"
    assert corrected_question("spend of search", "search") is None
    assert corrected_question("what about xyz", "recsys") is None


def test_summary_rows_are_not_drawn() -> None:
    series = TableView(columns=["day", "billed"],
                       rows=[["2026-10-01", "$1.00"], ["2026-10-02", "$2.00"], ["2026-10-03", "$3.00"], ["total", "$6.00"]])
    spec = chart_for(series)
    assert spec is not None and [p.label for p in spec.points] == ["2026-10-01", "2026-10-02", "2026-10-03"]
    bars = chart_for(TableView(columns=["team", "billed"], rows=[["a", "$1.00"], ["b", "$2.00"], ["total", "$3.00"]]))
    assert bars is not None and [p.label for p in bars.points] == ["a", "b"]

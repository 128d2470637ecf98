"""Expected answers: gold SQL (written in the question files, independent of the tools) or a planted
fact of the demo (`demo_facts`), turned into typed expected values.

The type of a gold SQL value follows its column: a name starting with `pct` is a percent (the value a
fraction, 0.1207 = 12.07%), `n_` a count, `text_` text; otherwise DECIMAL is money, an integer a count,
anything else (names, dates) text. A column named `alt_*` is another name of the text value just before
it in the row (a job's id or its name): either one in the answer counts.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, Field

from evals.anchors import anchors, params_for
from evals.spec import FACT_TYPE, Question, ValueType
from knowledge.connection import connect


class ExpectedValue(BaseModel):
    type: ValueType
    value: str                     # a decimal string for money / count / percent, else the text
    alternatives: list[str] = Field(default_factory=list)  # other names of the same thing (text only)

    def decimal(self) -> Decimal:
        return Decimal(self.value)

    def shown(self) -> str:
        if self.type == "money":
            d = Decimal(self.value).quantize(Decimal("0.01"))
            return f"{'-' if d < 0 else ''}${abs(d):,}"
        if self.type == "percent":
            return f"{Decimal(self.value) * 100:.2f}%"
        if self.type == "count":
            return f"{Decimal(self.value):,}"
        return self.value if not self.alternatives else " / ".join([self.value, *self.alternatives])


class Expected(BaseModel):
    values: list[ExpectedValue] = Field(default_factory=list)
    match: str = "all"
    source: str = ""               # "gold SQL" or "fact <path>"
    error: str | None = None       # the gold could not be computed (a bug in the question file)

    def shown(self) -> str:
        if self.error:
            return f"(gold error: {self.error})"
        if not self.values:
            return "-"
        if self.match == "first":
            rest = len(self.values) - 1
            return self.values[0].shown() + (f" (named before the {rest} others)" if rest else "")
        joiner = " and " if self.match == "all" else " or "
        return joiner.join(v.shown() for v in self.values)


class GoldContext:
    """What expected answers are computed from: a read-only DuckDB connection (the demo store, or an
    in-memory database with the raw FOCUS file as view `focus_raw`), the demo's facts, date anchors."""

    def __init__(self, con: duckdb.DuckDBPyConnection, facts: dict[str, Any], params: dict[str, Any]):
        self.con = con
        self.facts = facts
        self.params = params

    @classmethod
    def for_demo(cls, db: Path) -> GoldContext:
        con = connect(str(db), read_only=True)
        facts = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM demo_facts").fetchall()}
        if not facts:
            con.close()
            raise ValueError(f"{db} holds no demo_facts: the demo set runs on a demo store (finops demo)")
        row = con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()
        as_of = date.fromisoformat(row[0] if row else facts["as_of"]["date"])
        days = int((facts.get("window") or {}).get("days", 90))
        return cls(con, facts, anchors(as_of, days))

    @classmethod
    def for_focus_file(cls, path: Path) -> GoldContext:
        """Gold over the raw file, read by DuckDB as text and cast in each query (no ingestion code)."""
        con = connect(":memory:")
        literal = str(path).replace("'", "''")   # our own package file, not user text
        con.execute(
            "CREATE TEMP VIEW focus_raw AS SELECT * FROM "
            f"read_csv('{literal}', nullstr = 'NULL', all_varchar = true, header = true)"
        )
        return cls(con, {}, {})

    def close(self) -> None:
        self.con.close()

    def expected(self, q: Question) -> Expected:
        try:
            if q.gold_sql:
                values = self._sql_values(q.gold_sql)
                source = "gold SQL"
            elif q.fact:
                paths = [q.fact] if isinstance(q.fact, str) else list(q.fact)
                kind_type = q.fact_as or FACT_TYPE.get(q.kind, "text")
                values = [v for p in paths for v in self._fact_values(p, kind_type)]
                source = "fact " + ", ".join(paths)
            else:
                return Expected(match=q.match)
        except Exception as exc:  # a broken gold query is reported against its question, not raised
            return Expected(match=q.match, error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
        if not values:
            return Expected(match=q.match, source=source, error="the gold query returned no value")
        return Expected(values=values, match=q.match, source=source)

    # -- gold SQL --------------------------------------------------------------------------------------
    def _sql_values(self, sql: str) -> list[ExpectedValue]:
        cur = self.con.execute(sql, params_for(sql, self.params))
        names = [d[0].lower() for d in cur.description]
        out: list[ExpectedValue] = []
        for row in cur.fetchall():
            for name, value in zip(names, row):
                if value is None:
                    raise ValueError(f"gold column {name!r} is NULL")
                if name.startswith("alt_"):
                    if not out or out[-1].type != "text":
                        raise ValueError(f"gold column {name!r} names an alternative of no text column")
                    out[-1].alternatives.append(_text(value))
                    continue
                out.append(_typed(name, value))
        return out

    # -- facts -----------------------------------------------------------------------------------------
    def _fact_values(self, path: str, as_type: ValueType) -> list[ExpectedValue]:
        value = lookup(self.facts, path)
        items = value if isinstance(value, list) else [value]
        return [_from_fact(v, as_type) for v in items]


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def lookup(facts: dict[str, Any], path: str) -> Any:
    """`cluster_20k.monthly_cost`, `zombie_jobs.job_ids[0]`: a value inside the facts."""
    node: Any = facts
    for m in _STEP.finditer(path):
        key, index = m.group(1), m.group(2)
        if key is not None:
            if not isinstance(node, dict) or key not in node:
                raise KeyError(f"no fact at {path!r} (missing {key!r})")
            node = node[key]
        else:
            node = node[int(index)]
    return node


def _typed(name: str, value: Any) -> ExpectedValue:
    if name.startswith("pct"):
        return ExpectedValue(type="percent", value=str(Decimal(str(value))))
    if name.startswith("n_"):
        return ExpectedValue(type="count", value=str(int(value)))
    if name.startswith("text_"):
        return ExpectedValue(type="text", value=_text(value))
    if isinstance(value, Decimal):
        return ExpectedValue(type="money", value=str(value))
    if isinstance(value, bool):
        return ExpectedValue(type="text", value=str(value).lower())
    if isinstance(value, int):
        return ExpectedValue(type="count", value=str(value))
    if isinstance(value, float):
        raise TypeError(f"gold column {name!r} is a float; cast money to DECIMAL, name fractions pct_*")
    return ExpectedValue(type="text", value=_text(value))


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _from_fact(value: Any, as_type: ValueType) -> ExpectedValue:
    if as_type == "text":
        return ExpectedValue(type="text", value=str(value))
    if isinstance(value, bool) or value is None:
        raise TypeError(f"fact value {value!r} is not a number")
    return ExpectedValue(type=as_type, value=str(Decimal(str(value))))

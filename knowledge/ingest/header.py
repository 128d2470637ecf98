"""Match a file's header to a table spec: which file column feeds which store column.

Names match case-insensitively (FOCUS names are kept verbatim in the store). A file that lacks a
required column is refused before anything is written; extra columns are named in the run's notes.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.ingest.errors import IngestError
from knowledge.ingest.source import SourceFile
from knowledge.ingest.specs import TableSpec


@dataclass(frozen=True)
class HeaderPlan:
    source_columns: dict[str, str]  # store column name -> c{i}
    extra: tuple[str, ...]  # file columns the table has no place for
    absent: tuple[str, ...]  # optional store columns the file lacks (they load NULL or their default)


# FOCUS 1.3 renamed columns: a 1.3 export loads into the same store columns (and so the same dimensions
# of the semantic model) when the file has no column of the older name.
FOCUS_13_RENAMES: dict[str, str] = {
    "serviceprovidername": "ProviderName",   # 1.3: the provider of the service (ProviderName before)
}


def plan_header(spec: TableSpec, src: SourceFile, shown: str) -> HeaderPlan:
    by_lower = {c.name.lower(): c.name for c in spec.columns}
    source_columns: dict[str, str] = {}
    extra: list[str] = []
    lowered = {n.lower() for n in src.header}
    for i, name in enumerate(src.header):
        target = by_lower.get(name.lower())
        if target is None and spec.kind == "focus":
            renamed = FOCUS_13_RENAMES.get(name.lower())
            if renamed is not None and renamed.lower() not in lowered:
                target = renamed
        if target is None:
            extra.append(name)
        else:
            source_columns[target] = f"c{i}"
    missing = [c for c in spec.required if c not in source_columns]
    if missing:
        what = "a FOCUS file" if spec.kind == "focus" else f"a {spec.kind} file (table {spec.table})"
        found = ", ".join(src.header[:8]) + (" ..." if len(src.header) > 8 else "")
        raise IngestError(
            f"{shown}: not {what}: missing required column(s) {', '.join(missing)} (found: {found})"
        )
    absent = tuple(c.name for c in spec.columns if c.name not in source_columns)
    return HeaderPlan(source_columns, tuple(extra), absent)

"""Ingestion: FOCUS billing exports, LLM call logs, GPU jobs, endpoints, ownership rules and budgets
from CSV, CSV.gz or Parquet into the store, with quarantine for bad rows and reconciled counts.

    from knowledge.ingest import ingest
    report = ingest("finops.duckdb", "focus", ["export.csv.gz"])
    report.files[0].counts_line()   # 'read 1000, loaded 1000, quarantined 0'

The names below are imported on first use (PEP 562), so a command that only names an option of the
ingest commands (`finops --help`) does not load the ingest machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "IngestError": "errors", "ReplaceRefused": "errors", "StoreBusyError": "errors",
    "LoadPolicy": "limits",
    "FileReport": "models", "IngestReport": "models", "QuarantinedRow": "models",
    "ProgressSink": "progress",
    "DEFAULT_WAIT_SECONDS": "limits", "check_files": "runner", "ingest": "runner", "ingest_into": "runner",
    "open_for_write": "runner",
    "KINDS": "specs", "SPECS": "specs",
}

__all__ = [
    "DEFAULT_WAIT_SECONDS", "KINDS", "SPECS", "FileReport", "IngestError", "IngestReport", "LoadPolicy",
    "ProgressSink", "QuarantinedRow", "ReplaceRefused", "StoreBusyError", "check_files", "ingest", "ingest_into",
    "open_for_write",
]

if TYPE_CHECKING:
    from knowledge.ingest.errors import IngestError, ReplaceRefused, StoreBusyError
    from knowledge.ingest.limits import DEFAULT_WAIT_SECONDS, LoadPolicy
    from knowledge.ingest.models import FileReport, IngestReport, QuarantinedRow
    from knowledge.ingest.progress import ProgressSink
    from knowledge.ingest.runner import check_files, ingest, ingest_into, open_for_write
    from knowledge.ingest.specs import KINDS, SPECS


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'knowledge.ingest' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"knowledge.ingest.{module}"), name)
    globals()[name] = value
    return value

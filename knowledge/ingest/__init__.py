"""Ingestion: FOCUS billing exports, LLM call logs, GPU jobs, endpoints, ownership rules and budgets
from CSV, CSV.gz or Parquet into the store, with quarantine for bad rows and reconciled counts.

    from knowledge.ingest import ingest
    report = ingest("finops.duckdb", "focus", ["export.csv.gz"])
    report.files[0].counts_line()   # 'read 1000, loaded 1000, quarantined 0'
"""

from knowledge.ingest.errors import IngestError, ReplaceRefused, StoreBusyError
from knowledge.ingest.limits import LoadPolicy
from knowledge.ingest.models import FileReport, IngestReport, QuarantinedRow
from knowledge.ingest.progress import ProgressSink
from knowledge.ingest.runner import DEFAULT_WAIT_SECONDS, check_files, ingest, ingest_into, open_for_write
from knowledge.ingest.specs import KINDS, SPECS

__all__ = [
    "DEFAULT_WAIT_SECONDS", "KINDS", "SPECS", "FileReport", "IngestError", "IngestReport", "LoadPolicy",
    "ProgressSink", "QuarantinedRow", "ReplaceRefused", "StoreBusyError", "check_files", "ingest", "ingest_into", "open_for_write",
]

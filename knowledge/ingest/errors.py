"""Errors an ingest raises before it changes anything. Each message is one line, shown to the user as is."""

from __future__ import annotations


class IngestError(Exception):
    """Bad input (a missing, empty or wrong file, a directory, a bad price file): nothing was changed."""


class StoreBusyError(IngestError):
    """Another process holds the store; the ingest waited and gave up without changing anything."""

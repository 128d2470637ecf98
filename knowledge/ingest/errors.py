"""Errors an ingest raises. Each message is one line, shown to the user as is.

An ingest command works on a private copy of the store and swaps it in only when every file loaded, so
whatever the error, the live store is as it was. `rolled_back` says whether the error came after the copy
was opened (files may have loaded into it and were discarded with it): the CLI then says "rolled back".
"""

from __future__ import annotations


class IngestError(Exception):
    """Bad input (a missing, empty or wrong file, a directory, a bad price file): nothing was changed."""

    rolled_back: bool = False


class StoreBusyError(IngestError):
    """Another process holds the store; the ingest waited and gave up without changing anything."""


class ReplaceRefused(IngestError):
    """A file would replace rows already in the store, but too many of its own rows are bad (over
    `--max-quarantine`): loading it would lose good data. Nothing is loaded; `--force` overrides."""

"""Typed, user-facing errors shared by every layer (tools re-export them from `tools.contract`)."""

from __future__ import annotations


class FinopsError(Exception):
    """A typed, user-facing error: its message is shown as is."""


class UnknownNameError(FinopsError):
    def __init__(self, kind: str, name: str, suggestions: list[str]):
        self.kind, self.name, self.suggestions = kind, name, suggestions
        msg = f"unknown {kind} '{name}'"
        if suggestions:
            msg += "; did you mean " + " or ".join(f"'{s}'" for s in suggestions[:3]) + "?"
        else:
            msg += "; no similar name in the store"
        super().__init__(msg)


class MissingDataError(FinopsError):
    """The question needs a column (or dimension) the loaded data does not carry: say so, never
    answer with a different figure."""

    def __init__(self, what: str, message: str):
        self.what = what
        super().__init__(message)

"""Exports of the store to files other tools read (FOCUS)."""

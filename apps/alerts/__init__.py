"""Alerts that reach the owner before the money is spent: `finops alerts run` (see docs/alerts.md)."""

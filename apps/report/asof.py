"""A store whose 'today' is pinned: `finops summary --as-of DATE` gives the same summary on any day.

Every tool reads its reference date from `Store.today()` (relative periods, budgets' current month,
forecasts, zombie ages), so pinning it here is all reproducibility needs; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from knowledge.store import Store


@dataclass
class PinnedStore(Store):
    """The same connection as the store it wraps, with `today()` fixed to `as_of`."""

    as_of: date = date(1970, 1, 1)

    def today(self) -> date:
        return self.as_of

    def close(self) -> None:  # the wrapped store owns the connection
        return None


def pin(store: Store, as_of: date) -> PinnedStore:
    return PinnedStore(con=store.con, path=store.path, read_only=store.read_only, as_of=as_of)

"""Limits every ingest applies (the CSV/Parquet kinds and the provider connectors alike).

- Dates: a date or time outside the years 2000 to 2100 (year 10000, ±infinity, BC dates, the Unix epoch
  1970-01-01 that a zero timestamp becomes) is a typo or a placeholder, never a charge: the row is
  quarantined with its reason instead of loading a value that every reader would then trip over.
- Replacing: a file that would replace rows already in the store is refused (exit 2, nothing loaded, the
  earlier rows kept) when more than `DEFAULT_MAX_QUARANTINE_PCT` percent of its rows are bad: a broken
  re-export must not silently swap a month of good rows for a handful. `--max-quarantine PCT` changes the
  share, `--force` loads anyway. A first load (nothing to replace) is never refused: its bad rows are
  quarantined and reported as usual.
- Inputs the connectors read into memory (JSON pages, scrapes, LiteLLM exports) are decompressed in
  chunks and refused past `max_input_bytes()` (1 GiB; `FINOPS_MAX_INPUT_MB` to change), or as soon as a
  gzip input passes `BOMB_MIN_BYTES` (64 MiB) at more than `BOMB_RATIO` (100) bytes out per byte in: real
  exports compress 5-30x, a gzip bomb ~1000x. So a 1 MB bomb costs ~64 MiB, not gigabytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

MIN_YEAR = 2000
MAX_YEAR = 2100
EARLIEST = datetime(MIN_YEAR, 1, 1)
LATEST = datetime(MAX_YEAR + 1, 1, 1)  # exclusive
RANGE_TEXT = f"allowed years {MIN_YEAR} to {MAX_YEAR}"

DEFAULT_MAX_QUARANTINE_PCT = Decimal("1")
# Seconds an ingest waits while another writer holds the store (here, not in runner: the CLI names it in --help).
DEFAULT_WAIT_SECONDS = 5.0

# BIGINT columns (token and request counts) hold at most 2^63 - 1.
MAX_BIGINT = 2**63 - 1
# DECIMAL(38,12) money and quantities hold 26 digits before the point.
MAX_DECIMAL_DIGITS = 26


BOMB_MIN_BYTES = 64 << 20
BOMB_RATIO = 100


def max_input_bytes() -> int:
    try:
        mb = int(os.environ.get("FINOPS_MAX_INPUT_MB", "1024"))
    except ValueError:
        mb = 1024
    return max(mb, 1) * 1024 * 1024


def in_range(t: datetime | date) -> bool:
    if isinstance(t, datetime):
        return EARLIEST <= t.replace(tzinfo=None) < LATEST
    return EARLIEST.date() <= t < LATEST.date()


@dataclass(frozen=True)
class LoadPolicy:
    """What an ingest command may do to rows already in the store."""

    max_quarantine_pct: Decimal = DEFAULT_MAX_QUARANTINE_PCT
    force: bool = False  # replace even over the limit, and load a file already loaded


def parse_percent(text: str) -> Decimal:
    """'1', '1%', '0.5 %' -> Decimal percent in 0..100; ValueError otherwise."""
    s = str(text).strip().rstrip("%").strip()
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise ValueError(f"--max-quarantine {text!r}: give a percentage from 0 to 100, e.g. 1 or 5%") from None
    if not value.is_finite() or value < 0 or value > 100:
        raise ValueError(f"--max-quarantine {text!r}: give a percentage from 0 to 100, e.g. 1 or 5%")
    return value


def _pct(n: int, d: int) -> str:
    share = Decimal(n) * 100 / Decimal(d)
    return f"{share.quantize(Decimal('0.1'))}%"


def check_replace(shown: str, *, read: int, quarantined: int, replaced: int, policy: LoadPolicy,
                  first_reasons: list[str], what: str = "") -> None:
    """Raise ReplaceRefused when a file that replaces earlier rows has too many bad rows of its own."""
    from knowledge.ingest.errors import ReplaceRefused

    if policy.force or replaced == 0 or read == 0:
        return
    if Decimal(quarantined) * 100 <= policy.max_quarantine_pct * read:
        return
    first = "; ".join(first_reasons[:3])
    raise ReplaceRefused(
        f"{shown}: refused: {quarantined:,} of {read:,} rows ({_pct(quarantined, read)}) are bad, over the "
        f"--max-quarantine limit of {policy.max_quarantine_pct.normalize():f}%, and loading the rest would replace "
        f"{replaced:,} rows already in the store{what}. Nothing was loaded; the earlier rows are kept. "
        f"First problems: {first}. Fix the file, or pass --force (or a higher --max-quarantine) to replace anyway."
    )

"""Seeded pseudo-randomness as SQL expressions (DuckDB `hash`), so bulk rows are generated set-based.

`uniform(seed, "salt", "expr", ...)` is a DOUBLE in [0, 1) that depends only on the seed, the salt and
the given SQL expressions: the same seed gives the same store. The seed and salts are ours (integers and
fixed identifiers), never user text.
"""

from __future__ import annotations

import re

_SALT = re.compile(r"^[a-z0-9_]+$")
_RESOLUTION = 1_000_003


def uniform(seed: int, salt: str, *parts: str) -> str:
    """SQL for a uniform DOUBLE in [0, 1) keyed on (seed, salt, parts)."""
    if not _SALT.match(salt):
        raise ValueError(f"bad salt {salt!r}")
    args = ", ".join([str(int(seed)), f"'{salt}'", *parts])
    return f"(CAST(hash({args}) % {_RESOLUTION} AS DOUBLE) / {_RESOLUTION})"


def normal(seed: int, salt: str, *parts: str) -> str:
    """SQL for a standard normal DOUBLE (Box-Muller over two seeded uniforms)."""
    u1 = uniform(seed, salt + "_a", *parts)
    u2 = uniform(seed, salt + "_b", *parts)
    return f"(sqrt(-2 * ln(1 - {u1})) * cos(2 * pi() * {u2}))"


def pick(seed: int, salt: str, n: int, *parts: str) -> str:
    """SQL for an integer in [0, n)."""
    return f"CAST(hash({int(seed)}, '{salt}', {', '.join(parts)}) % {int(n)} AS INTEGER)"

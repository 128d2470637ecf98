"""Name matching used by every layer: case/punctuation folding and rapidfuzz suggestions."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process


def fold(text: str) -> str:
    """Case- and punctuation-insensitive form: 'Search-Team ' -> 'searchteam'."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def suggest(name: str, names: list[str], limit: int = 3) -> list[str]:
    """Closest names by fuzzy score (rapidfuzz WRatio on folded text), best first."""
    if not names:
        return []
    folded = {n: fold(n) for n in names}
    matches = process.extract(fold(name), folded, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
    return [key for _, _, key in matches]

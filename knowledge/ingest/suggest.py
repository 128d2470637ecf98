"""'did you mean' for names a file uses that the store does not know (e.g. a model not in the catalog).

Same rule as the tools' name resolution: a case/punctuation-folded exact match first, else the closest
names by rapidfuzz WRatio. Kept here because knowledge/ sits below tools/ and cannot import from it.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from knowledge.naming import fold


def suggestions(name: str, names: list[str], limit: int = 3) -> list[str]:
    target = fold(name)
    same = sorted(n for n in names if fold(n) == target)
    if same:
        return same[:limit]
    folded = {n: fold(n) for n in names}
    hits = process.extract(target, folded, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
    return [key for _, _, key in hits]


def unknown(kind: str, name: str, names: list[str]) -> str:
    """"unknown model 'gpt4o'; did you mean 'gpt-4o'?" (or "...; no similar model known")."""
    found = suggestions(name, names)
    msg = f"unknown {kind} '{name}'"
    if found:
        return msg + "; did you mean " + " or ".join(f"'{s}'" for s in found) + "?"
    return msg + f"; no similar {kind} known"

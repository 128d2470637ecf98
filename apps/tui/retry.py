"""After "unknown team 'serch'; did you mean 'search'?": the question with the name corrected."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

_TOKEN = re.compile(r"[\w.\-/]+")
MIN_SIMILARITY = 60.0


def corrected_question(question: str, suggestion: str) -> str | None:
    """Replace the word of the question closest to `suggestion` by it; None if none is close."""
    best: tuple[float, re.Match[str]] | None = None
    for match in _TOKEN.finditer(question):
        word = match.group(0)
        if word.casefold() == suggestion.casefold():
            return None  # already there: the suggestion is about something else
        score = fuzz.ratio(word.casefold(), suggestion.casefold())
        if best is None or score > best[0]:
            best = (score, match)
    if best is None or best[0] < MIN_SIMILARITY:
        return None
    match = best[1]
    return question[: match.start()] + suggestion + question[match.end():]

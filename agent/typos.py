"""Typos in the words that pick a tool ("spedn", "chrage", "idel", "untaged", "ownz"): each word of a
question that is neither a known word nor a name in the store is corrected to the intent table's word
(agent.intents.vocabulary) one edit away (OSA distance: a transposition counts as one edit), with the same
first letter. Two edits would turn real words into other cue words ("production" -> "prediction"). Deterministic; names are never corrected here (a misspelt name
gets "did you mean" from agent.entities instead).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz.distance import OSA

from agent.intents import vocabulary
from knowledge.naming import fold
from knowledge.semantic.model import CONCEPTS, DERIVED, DIMENSIONS, MEASURES, DerivedMeasure, Measure

if TYPE_CHECKING:
    from agent.entities import Entities

MIN_LENGTH = 4          # shorter words are too often other words one edit away
MAX_EDITS = 1
# Ordinary words one edit away from a cue word (same first letter): never corrected. Reviewed against the
# vocabulary by hand (no dictionary ships with the project); month and day names are always kept.
COMMON: frozenset[str] = frozenset({
    "post", "cast", "casts", "coat", "coats", "coast", "cots", "host", "lost", "bull", "bell", "ball", "bile",
    "fill", "pill", "will", "till", "tell", "tall", "idea", "idly", "isle", "owes", "owed", "owls", "spot",
    "spit", "spin", "span", "trip", "trio", "tram", "user", "users", "chance", "change", "changes", "changed",
    "changing", "charm", "burns", "born", "barn", "turn", "budge", "taken", "waist", "paste", "paint", "pain",
    "pair", "pail", "plaid", "playing", "praying", "paving", "spice", "spiced", "spite", "spine", "spoke",
    "spire", "slice", "speed", "sped", "scent", "spelt", "sending", "weir", "wired", "whole", "mush", "muck",
    "mulch", "such", "touch", "tread", "treat", "creek", "dally", "daisy", "draft", "drifts", "jumps",
    "march", "marches", "clause", "sayings", "ruining", "verses", "tugged", "animal", "stranger", "strangle",
    "cashing", "catching", "bath", "botch", "costly", "costed", "based", "cased", "spends", "spender",
    "january", "february", "april", "june", "july", "august", "september", "october", "november", "december",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})


@lru_cache(maxsize=1)
def _targets() -> tuple[str, ...]:
    period_words = {"last", "month", "months", "week", "weeks", "quarter", "year", "days", "since", "between",
                    "spend", "spent", "cost", "project", "model", "team", "service", "provider", "region", "account",
                    "january", "february", "april", "june", "july", "august", "september", "october", "november",
                    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                    "cluster", "owner", "storage", "database", "compute", "network", "budget", "tokens", "endpoint",
                    "savings", "credits", "charge", "amortized", "untagged", "average", "yesterday", "today",
                    "utilization", "utilisation", "usage", "requests", "before", "services", "teams", "providers",
                    "regions", "accounts", "projects", "models"}
    return tuple(sorted({w for w in vocabulary() if w.isascii() and not w.endswith("-")} | period_words))


# Well-known misspellings of function words (swapped letters): read as the word, so they are no "word
# nobody understood". They carry no subject, so reading them can never change what a question is about.
FUNCTION_TYPOS: dict[str, str] = {"teh": "the", "hte": "the", "adn": "and", "nad": "and", "waht": "what", "whcih": "which", "whihc": "which", "wich": "which",
                                  "whta": "what", "hwo": "how", "thsi": "this", "taht": "that", "thier": "their",
                                  "tehm": "them", "yuo": "you", "ot": "to", "fo": "of"}
# Chat abbreviations of cue words.
ABBREVIATIONS: dict[str, str] = {"util": "utilization", "toks": "tokens", "tok": "tokens", "reqs": "requests", "infra": "infrastructure",
                                 "approx": "approximately", "envs": "environments"}
# Three-letter typos of the time words a period is made of ("last wek"): one edit, same first letter. A
# period misread is never the default period (the period grammar reads the corrected words, or nothing).
SHORT_TARGETS = ("week", "last", "year", "days")


def correction(word: str) -> str | None:
    """The cue word `word` is a typo of, or None."""
    if word in FUNCTION_TYPOS or word in ABBREVIATIONS:
        return FUNCTION_TYPOS.get(word) or ABBREVIATIONS[word]
    if len(word) == MIN_LENGTH - 1 and word.isalpha() and word not in COMMON:
        near = [t for t in SHORT_TARGETS if t[0] == word[0] and not t.startswith(word)
                and OSA.distance(word, t, score_cutoff=MAX_EDITS) <= MAX_EDITS]
        return near[0] if len(near) == 1 else None
    if len(word) < MIN_LENGTH or not word.isalpha() or word in COMMON:
        return None
    targets = _targets()
    if word in targets:
        return None
    limit = MAX_EDITS
    best: tuple[int, str] | None = None
    for target in targets:
        if target[0] != word[0] or abs(len(target) - len(word)) > limit or word.startswith(target):
            continue   # (a word that only adds letters at the end is an inflection: "estimated", "owners")
        d = OSA.distance(word, target, score_cutoff=limit)
        if d <= limit and (best is None or (d, target) < best):
            best = (d, target)
    return best[1] if best else None


def correct(text: str, keep: set[str]) -> tuple[str, dict[str, str]]:
    """`text` (normalised, lower case) with misspelt cue words corrected; `keep`: words never touched (store
    names, stop words). Returns the text and {typo: correction}."""
    fixes: dict[str, str] = {}
    for word in set(re.findall(r"[a-z]+(?:'[a-z]+)?", text)):
        if word in keep:
            continue
        fixed = correction(word)
        if fixed is not None:
            fixes[word] = fixed
    if not fixes:
        return text, fixes
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(fixes, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda m: fixes[m.group(1)], text), fixes


@lru_cache(maxsize=1)
def semantic_words() -> frozenset[str]:
    """Every word of the semantic model (dimension, measure and concept names and synonyms): cost words,
    never names ('storgae' corrected to 'storage' is a cost word; agent.coverage counts them as understood)."""
    words: set[str] = set()
    texts: list[str] = []
    for d in DIMENSIONS.values():
        texts += [d.name, d.label, *d.synonyms]
    every: list[Measure | DerivedMeasure] = [*MEASURES.values(), *DERIVED.values()]
    for m in every:
        texts += [m.name, m.label, *m.synonyms]
    for c in CONCEPTS:
        texts += list(c.words) + list(c.values)
    for t in texts:
        words.update(re.findall(r"[a-z0-9]+", t.replace("_", " ").lower()))
        words.update(w for w in t.lower().split() if "-" in w)      # "on-demand", "one-time": one word
    return frozenset(words)


def corrected_into_names(ent: Entities) -> list[tuple[str, str]]:
    """(typed, name) for a word `correct` turned into a name of the store ('anthropik' -> 'anthropic'): the
    fail-closed side of typo correction. A name is never corrected silently; the planner asks back with the
    suggestion. Words of the semantic model's vocabulary ('storage', 'compute') are cost words, corrected as
    such."""
    out: list[tuple[str, str]] = []
    for typed, word in ent.fixes.items():
        if word in semantic_words():
            continue                                   # a word of the cost vocabulary ('storgae' -> storage)
        name = next((n for ns in ent.known.values() for n in ns if fold(n) == fold(word)), None)
        if name is not None and (typed, name) not in out:
            out.append((typed, name))
    return out

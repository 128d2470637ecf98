"""Questions of the bill that only the semantic model can express ("effective cost by service category",
"credits by provider", "savings by charge category") become one `query_costs` call.

The vocabulary is the semantic model's (dimension and measure names and synonyms, the concepts that
mean a filter), matched longest-first, so "by service category" is never read as "by service". A
question with none of these signals is left to the other tools.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from agent.entities import Entities
from agent.intents import RUN_RATE
from knowledge.semantic.model import CONCEPTS, DERIVED, DIMENSIONS, MEASURES, DerivedMeasure, Measure
from tools.who_owns import SUPERLATIVE_WORDS

# Spend (and llm_spend, for apps) already answer these groupings; only the others need query_costs.
SPEND_GROUPS = frozenset({"team", "service", "model", "provider", "project", "env", "resource", "region",
                          "account", "day", "week", "app"})
SPEND_MEASURES = frozenset({"billed_cost", "effective_cost"})   # spend shows both
# A figure is asked for: without one of these, a filter word alone ("a poem about kubernetes") is no question.
_COST_CUE = re.compile(r"\b(?:cost|costs|costing|spend|spent|spending|billed|bill|invoiced|charges?|paid|pay|"
                       r"how much|total|amount|savings?|sav(?:e|ed|es)|credits?|usage)\b|\$")
_TIME_GRAINS = {"day", "week", "month", "quarter"}
# Measure words that only ever mean "billed cost" (spend answers them) are not a signal by themselves.
_PLAIN_COST = {"cost", "costs", "spend", "spent", "billed", "billed cost"}
# Name kinds the planner finds -> the dimension that filters on them.
_KIND_DIMENSION = {"team": "team", "service": "service", "provider": "provider", "region": "region",
                   "account": "account", "project": "project", "environment": "env", "model": "model",
                   "resource": "resource", "app": "app"}
_BY = re.compile(r"\b(?:by|per|for each|for every|broken down by|split by|grouped by|across)\s+(?:the\s+)?")
_SAVED = re.compile(r"\bsav(?:e|es|ed|ing)\b")
_NEGATION = re.compile(r"\b(?:excluding|except|without|other than|not|minus|apart from)\s+(?:the\s+)?$")


def _phrase(text: str) -> str:
    return text.replace("_", " ").lower()


@lru_cache(maxsize=1)
def _dimension_phrases() -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    for d in DIMENSIONS.values():
        for w in (d.name, d.label, *d.synonyms):
            out.setdefault(_phrase(w), d.name)
    return sorted(out.items(), key=lambda kv: -len(kv[0]))


@lru_cache(maxsize=1)
def _measure_phrases() -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    every: list[Measure | DerivedMeasure] = [*MEASURES.values(), *DERIVED.values()]
    for m in every:
        for w in (m.name, m.label, *m.synonyms):
            p = _phrase(w)
            if p not in _PLAIN_COST:
                out.setdefault(p, m.name)
    return sorted(out.items(), key=lambda kv: -len(kv[0]))


def _word_at(text: str, pos: int, phrase: str) -> bool:
    end = pos + len(phrase)
    return text.startswith(phrase, pos) and (end == len(text) or not text[end].isalnum())


def group_by(text: str) -> list[str]:
    """Dimensions after 'by' / 'per' / 'and' (chained), longest phrase first: 'by provider and charge category'."""
    out: list[str] = []
    for m in _BY.finditer(text):
        pos = m.end()
        if m.group(0).startswith("per") and any(_word_at(text, pos, g) for g in _TIME_GRAINS):
            continue   # "cost per month" is a rate, not a breakdown by month
        while True:
            hit = next(((p, d) for p, d in _dimension_phrases() if _word_at(text, pos, p)), None)
            if hit is None:
                break
            if m.group(0).startswith("per") and _UNIT_AFTER.match(text, pos + len(hit[0])):
                break  # "per llm call", "per model request": a cost per unit, not a breakdown
            if hit[1] not in out:
                out.append(hit[1])
            rest = re.match(r"\s*(?:,|and|&|then)\s*(?:by\s+)?(?:the\s+)?", text[pos + len(hit[0]):])
            if not rest or not rest.group(0).strip():
                break
            pos += len(hit[0]) + rest.end()
    return out[:3]


_UNIT_AFTER = re.compile(r"\s+(?:api\s+)?(?:calls?|requests?|tokens?|responses?)\b")
_COST_AFTER = re.compile(r"\s+(?:\S+\s+){0,2}(?:cost(?:s|ing)?|spen[dt]|bill(?:ed)?)\b")
_COST_OF = re.compile(r"\b(?:cost(?:s|ing)?|spen[dt]|spending|pa(?:y|id|ying)|bill(?:ed)?|charged?|price)\b"
                      r"(?:\s+\S+){0,5}\s+$")


# "list" followed by what is listed ("list our top 5 resources", "list teams by spend") is the verb; "list
# price(s)", "list cost", "list and billed cost", "at list" are list prices.
_LIST_PRICE = re.compile(r"\s*-?\s*(?:price|prices|pricing|cost|costs|rate|rates|value)\b")
_RANKED_BEFORE = re.compile(rf"\b(?:{SUPERLATIVE_WORDS}|highest)(?:\s+[\w-]+)?\s+$")
_LIST_VERB = re.compile(r"\s+(?:the|our|my|all|me|us|them|those|these|every|each|top|of|[a-z]+s)\b")


# "growth rate", "how fast is X growing": the change against the period before (in percent), not a unit price
GROWTH = re.compile(r"\bgrowth(?: rate)?\b|\brate of (?:growth|increase)\b|\bhow fast\b.{0,40}\bgrow(?:ing|s)?\b")


def measures(text: str) -> list[str]:
    found: list[tuple[int, str]] = []
    taken: list[range] = []
    for phrase, name in _measure_phrases():
        for m in re.finditer(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", text):
            if any(m.start() in r for r in taken) or re.search(RUN_RATE, text[max(0, m.start() - 6):m.end()]):
                continue        # "run rate", "burn rate": a pace of spend (forecast), not a price per unit
            if phrase == "rate" and GROWTH.search(text):
                continue        # "our storage spend growth rate": a change in percent, not a price per unit
            if name == "charge_count" and _RANKED_BEFORE.search(text, 0, m.start()):
                continue        # "the 5 biggest charges", "top 5 line items": the largest charges, not how many
            if phrase == "list" and not _LIST_PRICE.match(text, m.end()) and _LIST_VERB.match(text, m.end()):
                continue        # "list our top 5 resources", "list teams by spend": the verb, not list prices
            if phrase in ("usage", "consumption") and (_COST_OF.search(text, 0, m.start())
                                                       or _COST_AFTER.match(text, m.end())):
                continue        # "the cost of our vertex ai usage", "what did the usage cost": its cost
            taken.append(range(m.start(), m.end()))
            found.append((m.start(), name))
    return list(dict.fromkeys(n for _, n in sorted(found)))[:4]


def concept_filters(text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in CONCEPTS:
        for w in sorted(c.words, key=len, reverse=True):
            m = re.search(r"(?<![a-z0-9-])" + re.escape(w) + r"(?![a-z0-9-])", text)
            if m is None:
                continue
            if not re.match(r"(?:no|not|without|wasn't|isn't)\b", w) and re.search(
                    r"\b(?:net of|after|including|incl\.?|with)\s+(?:all\s+|the\s+|our\s+)?$", text[: m.start()]):
                break                   # "net of credits", "after refunds": a way to count, not a filter
            negated = _NEGATION.search(text[: m.start()]) is not None
            op: str = c.op
            if negated:
                op = {"eq": "ne", "in": "not_in", "is_null": "not_null", "not_null": "is_null"}.get(op, op)
            if negated and op == "contains":
                continue            # "not kubernetes": no negated contains; leave it to the clarifier
            out.append({"dimension": c.dimension, "op": op, "values": list(c.values)})
            break
    return out


def semantic_args(ent: Entities, cost_question: bool = False,
                  force_group_by: list[str] | None = None) -> dict[str, Any] | None:
    """CostQuery arguments when the question needs the semantic model; None when other tools fit.
    `cost_question`: the intent already reads it as a cost question ("top 3 services for databases")."""
    text = ent.text
    if not cost_question and not _COST_CUE.search(text) and not measures(text):
        return None                      # (a measure of the model named, "ESR for oct?", is a figure asked)
    dims = group_by(text)
    # "which team spent the most on compute": the planner's own group words ("which X", "top X") count too
    # (only when no "by …" phrase was read: "by service category" also reads as "service" to the older parser)
    if not dims:
        dims = [g for g in ent.group_by if g in DIMENSIONS][:3]
    asked = measures(text)
    if not asked and re.search(r"\bsav(?:e|ed|es)\b", text):
        asked = ["savings"]              # "how much did search save last month": the savings, never the spend
    # A word inside a name ('ml' of the team 'ml platform') is that name, not a filter word as well (a
    # service's name keeps its concept: 'Kubernetes Engine' is the kubernetes filter too).
    unnamed = text
    for hit in ent.names:
        if hit.span and hit.kind in ("team", "app", "project", "model", "environment", "account", "resource"):
            unnamed = unnamed.replace(hit.span.lower(), " " * len(hit.span))
    concepts = [f for f in concept_filters(unnamed) if f["dimension"] not in dims]
    concepts, dims = _compared_concepts(concepts, dims)
    # "by service category" read by the older parser as "by service" is a different question.
    excluded = [h for h in ent.names if h.span and _NEGATION.search(text[: max(0, text.find(h.span.lower()))])]
    if force_group_by:
        dims = list(force_group_by)
    needs_model = (bool(set(asked) - SPEND_MEASURES) or any(d not in SPEND_GROUPS for d in dims) or bool(concepts)
                   or bool(excluded) or bool(ent.period_compared) or bool(force_group_by))
    if not needs_model:
        return None
    if "list_cost" in asked and _SAVED.search(text):
        # "how much did we save vs list price": what was saved against list, not the list cost itself
        asked = list(dict.fromkeys("savings" if m == "list_cost" else m for m in asked))
    if asked and re.search(r"\b(?:billed|invoiced)\b", text) and "billed_cost" not in asked:
        asked = ["billed_cost", *asked]
    filters = list(concepts)
    _name_filters(ent, text, dims, filters)
    dims += _unit_groups(asked, dims, filters)
    args: dict[str, Any] = {"measures": asked or ["billed_cost"], "group_by": dims, "filters": filters}
    if ent.period:
        args["period"] = ent.period
    if ent.period_compared:          # "more in October than in September": both figures and the change
        args["compare_to"] = ent.period_compared
    if ent.top:
        args["top"] = ent.top
    if re.search(r"\b(?:vs\.?|versus|compared? (?:to|with)|than|against) (?:the )?(?:previous|prior|preceding|last) "
                 r"(?:period|month|week|quarter|year)\b"
                 r"|\bmonth over month\b|\bchange\b", text) or GROWTH.search(text):
        args["compare"] = "previous"
    if re.search(r"\b(?:a|one) year (?:ago|earlier|before)\b|\byear over year\b|\byoy\b|\blast year\b", text) \
            and not re.search(r"\bin last year\b", text):
        args["compare"] = "year_ago"
    return args


def _unit_groups(asked: list[str], dims: list[str], filters: list[dict[str, Any]]) -> list[str]:
    """The unit dimensions to add to `dims`: those of the quantities the measures asked are computed from, not
    grouped or filtered on already ("the average rate we pay on S3": a price per unit is per each unit, GB and
    GB-Mo, never across them)."""
    out: list[str] = []
    for name in asked:
        derived = DERIVED.get(name)
        for base in (derived.inputs if derived is not None else (name,)):
            unit = MEASURES[base].unit_dimension if base in MEASURES else None
            if (unit is not None and unit not in dims and unit not in out and len(dims) + len(out) < 3
                    and not any(f["dimension"] == unit for f in filters)):
                out.append(unit)
    return out


def _compared_concepts(concepts: list[dict[str, Any]], dims: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """"on-demand vs committed", "storage and compute": two values of one dimension asked together are a
    breakdown by it over those values (both figures), never both filters at once (no row is both)."""
    by_dim: dict[str, list[dict[str, Any]]] = {}
    for f in concepts:
        by_dim.setdefault(f["dimension"], []).append(f)
    out: list[dict[str, Any]] = []
    dims = list(dims)
    for dim, fs in by_dim.items():
        if len(fs) > 1 and all(f["op"] in ("eq", "in") for f in fs):
            values = list(dict.fromkeys(v for f in fs for v in f["values"]))
            out.append({"dimension": dim, "op": "in", "values": values})
            if dim not in dims:
                dims.append(dim)
        else:
            out.extend(fs)
    return out, dims[:3]


def _name_filters(ent: Entities, text: str, dims: list[str], filters: list[dict[str, Any]]) -> None:
    """Add the filters the question's names make (eq, or ne/not_in when excluded) to `filters`."""
    last_negated_end = -1
    for hit in ent.names:
        dim = _KIND_DIMENSION.get(hit.kind)
        at = text.find(hit.span.lower()) if hit.span else -1
        negated = _NEGATION.search(text[: max(at, 0)]) is not None
        # "excluding AWS and Microsoft": a name listed right after an excluded one is excluded too
        if not negated and last_negated_end >= 0 and at >= 0 and re.fullmatch(
                r"\s*(?:,|and|or|&|nor|,\s*and)\s*(?:the\s+)?", text[last_negated_end:at]):
            negated = True
        if negated and at >= 0:
            last_negated_end = at + len(hit.span)
        # An exclusion always filters ("by provider excluding AWS"); a plain name of a grouped dimension
        # is one of the rows ("by provider, AWS and GCP") and does not narrow the breakdown.
        if dim is None or (not negated and (dim in dims or any(f["dimension"] == dim for f in filters))):
            continue
        if negated and any(f["dimension"] == dim and f["op"] == "ne" for f in filters):
            prev = next(f for f in filters if f["dimension"] == dim and f["op"] == "ne")
            prev.update(op="not_in", values=[*prev["values"], hit.name])
            continue
        filters.append({"dimension": dim, "op": "ne" if negated else "eq", "values": [hit.name]})

""""Top 3 resources last week and who owns each": a ranking, then the owner of each row it lists (issue 15's
two-step plans). The offline planner plans the ranking from the question without its owner clause, and in
its second round one who_owns call per listed resource, read from the ranking's typed accessor
(`ToolOutcome.subjects`), never from its text. A ranking of anything but resources has no owner per row:
that question gets a reply saying so, never the ranking alone with the owner clause dropped.
"""

from __future__ import annotations

import re

from agent.intents import SUPERLATIVE_RESOURCE
from agent.planning import PlanStep
from agent.state import AgentState, PlannedCall, Reply

# "... and who owns each", ", who owns them?", "+ their owners", "and its owner", "with the owner of each"
OWNER_CLAUSE = re.compile(
    r"\s*(?:[,;+&-]|\band\b|\bn\b|\bplus\b|\bwith\b)\s*(?:and\s+)?"
    r"(?:(?:who|which teams?|what teams?)\s+(?:owns?|is responsible for|are responsible for|pays? for)\s+"
    r"(?:each(?: one| of them)?|them|it|those|these|each resource)"
    r"|(?:its|their|the)\s+owners?(?:\s+of\s+each(?: one)?)?|owners?\s+of\s+each(?: one)?)"
    r"(?:\s*[?.!]+\s*(?:need|want|so|to|pls|please|i)\b[^?]{0,60})?\s*[?.!]*\s*$",   # "… who owns it? need an email"
    re.IGNORECASE)
RANKING = re.compile(r"\b(?:top(?:[\s-]?\d{1,3})?|most expensive|most costly|biggest|largest|costliest|priciest|"
                     r"highest|heaviest|most)\b", re.IGNORECASE)
MAX_OWNERS = 5          # owner lookups after one ranking (the rest of the list keeps its figures only)


def ranking_part(question: str) -> str | None:
    """The question without its trailing owner clause, or None when it has none."""
    m = OWNER_CLAUSE.search(question)
    if m is None or m.start() == 0 or not RANKING.search(question[:m.start()]):
        return None     # "llm-serving-h100-a - who owns it?": one named resource, not a ranking
    if re.search(SUPERLATIVE_RESOURCE, question[:m.start()], re.IGNORECASE):
        return None     # "the priciest storage bucket - who owns it?": one resource, found by who_owns
    return question[:m.start()].rstrip(" ,;-") + "?"


def not_a_resource_ranking(step: PlanStep) -> Reply | None:
    """A reply when the ranking planned for an owner question does not list resources."""
    ok = len(step.calls) == 1 and step.calls[0]["tool"] == "spend" and step.calls[0]["args"].get("group_by") == "resource"
    if ok:
        return None
    return {"kind": "did_you_mean", "suggestions": [], "text": (
        "I can name the owner of each resource in a ranking (e.g. 'top 3 resources last month and who owns each'); "
        "owners are per resource, not per team, service or account, so I give no figure for this question. "
        "Ask for the top resources with their owners, or ask who owns one resource by its name.")}


def owner_calls(state: AgentState) -> PlanStep | None:
    """The second round of an owner question: who_owns for each resource the ranking listed, best first."""
    rounds = state.get("rounds") or []
    if len(rounds) != 1 or ranking_part(state.get("question", "")) is None:
        return None
    ranking = next((o for o in state.get("outcomes") or [] if o.get("tool") == "spend" and o.get("ok")), None)
    if ranking is None:
        return None
    clause = OWNER_CLAUSE.search(state.get("question", ""))
    # "and its owner", "who owns it": the top one; "the owner of each", "their owners": every listed row
    singular = (clause is not None and re.search(r"\b(?:it|its|the owner)\b", clause.group(0), re.IGNORECASE)
                and not re.search(r"\beach\b", clause.group(0), re.IGNORECASE))
    top = 1 if singular else int(ranking.get("args", {}).get("top") or MAX_OWNERS)
    subjects = list(ranking.get("subjects") or [])[:min(top, MAX_OWNERS)]
    calls = [PlannedCall(id=f"offline_owner_{n}", tool="who_owns", args={"resource": rid})
             for n, rid in enumerate(subjects)]
    return PlanStep(calls=calls) if calls else None

"""Questions about commitment discounts (reservations, RIs, savings plans, committed-use discounts).

What the bill says about them is a FOCUS measure of query_costs: the unused commitment cost, the commitment
utilisation, what they saved; a kind named (savings plans, reserved instances, CUDs) limits it to that kind's
rows (CommitmentDiscountType), which a bill that leaves the column empty cannot give. Their *coverage* (the share of eligible usage they cover) needs to know which
usage could have been covered, which no column of the bill says: declined. A commitment question the other
tools would read as something else ("savings plan coverage" as the savings, "unused reservations" as idle
endpoints, "spend on savings plans" as the whole bill) gets a clarification, never that other figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from agent.entities import Entities
from agent.semantic_route import semantic_args
from agent.state import Reply

COMMITMENT = re.compile(
    r"(?<![\w-])(?:reservations?|reserved(?:\s+(?:instances?|capacity|nodes?|vms?))?|r\.?i\.?s?|"
    r"savings[\s-]plans?|commitments?|committed[\s-]use(?:\s+discounts?)?|cuds?)(?![\w-])")
_COVERS = re.compile(r"\bcover(?:age|ages|ing|ed|s)?\b")
_UNUSED = re.compile(r"\bunused\b|\bwast(?:e|ed|es|ing)\b|\bidle\b|\bunder-?(?:used|utili[sz]ed)\b"
                     r"|(?:\bnot|\bnever|n't)(?:\s+\w+){0,2}?\s+us(?:e|ed|ing)\b"
                     r"|\bon the table\b|\bleft ?over\b|\bgo(?:ing|ne)? to waste\b")
_UTILISED = re.compile(r"\butili[sz](?:ation|ed|e|es|ing)\b")
# "savings plan" holds the word "savings": read as a commitment, so the savings measure is not taken from it.
_SAVINGS_PLAN = re.compile(r"savings([\s-])plan(s?)")

# Measures and dimensions that are about commitment discounts: a call with one of them answers the question
# (the savings are what discounts and commitments saved: "what did commitments save us vs list").
COMMITMENT_MEASURES = frozenset({"unused_commitment_cost", "used_commitment_cost", "commitment_utilization",
                                 "commitment_savings", "commitment_savings_rate", "commitment_discount_quantity",
                                 "savings", "effective_savings_rate"})
_COMMITMENT_FIELDS = ("commitment_discount", "pricing_category")
# Tools whose answer is a figure of the bill that says nothing of commitments unless the call asks for them.
_BLIND_TOOLS = frozenset({"spend", "query_costs", "waste", "anomalies", "forecast", "budgets", "unit_costs"})

# A kind of commitment named (FOCUS CommitmentDiscountType, as the providers' exports spell it): the answer is
# about that kind's rows only. The query tool refuses a value the data does not hold, and a bill that leaves
# the column empty (the answer would otherwise be every commitment's: "savings plans saved $20K" of all).
# "reserved" alone is the purchase option ("reserved vs on-demand": the pricing category), not a kind.
_KINDS = ((re.compile(r"savings[\s-]plans?"), "Savings Plan"),
          (re.compile(r"reserved\s+instances?|r\.?i\.?s?"), "Reserved Instance"),
          (re.compile(r"reservations?|reserved\s+(?:capacity|nodes?|vms?)"), "Reservation"),
          (re.compile(r"committed[\s-]use(?:\s+discounts?)?|cuds?"), "Committed Use Discount"))

_ASK_INSTEAD = ("Ask for the unused commitment cost, the commitment utilisation, what commitments saved "
                "(commitment savings) or spend by pricing category (e.g. 'unused commitment cost last month').")


def _masked(ent: Entities) -> Entities:
    """The question with "savings plan(s)" read as "commitment(s)" (same length: spans stay valid)."""
    text = _SAVINGS_PLAN.sub(lambda m: "commitment" + m.group(2) + " " * (len(m.group(0)) - 10 - len(m.group(2))),
                             ent.text)
    return replace(ent, text=text, cue_text=_SAVINGS_PLAN.sub("commitments", ent.cue_text) if ent.cue_text else ent.cue_text)


def _of_kind(args: dict[str, Any], word: str) -> dict[str, Any]:
    """`args` limited to the kind of commitment `word` names; as they are for a general word ("commitments")."""
    kind = next((value for pattern, value in _KINDS if pattern.fullmatch(word)), None)
    if kind is None:
        return args
    filters = [f for f in args.get("filters", []) if f.get("dimension") != "commitment_discount_type"]
    return {**args, "filters": [*filters, {"dimension": "commitment_discount_type", "op": "eq", "values": [kind]}]}


def _about_commitments(args: dict[str, Any]) -> bool:
    fields = [*args.get("group_by", []), *(f.get("dimension", "") for f in args.get("filters", []))]
    return bool(COMMITMENT_MEASURES.intersection(args.get("measures", []))) or any(
        str(f).startswith(_COMMITMENT_FIELDS) for f in fields)


@dataclass(frozen=True)
class CommitmentPlan:
    """query_costs arguments for a commitment question, or the reply (no figure) when it has none."""

    args: dict[str, Any] | None = None
    reply: Reply | None = None


def commitment_plan(ent: Entities, best_tool: str | None) -> CommitmentPlan | None:
    """The plan for a question about commitment discounts; None when the question names none (or another
    tool answers it: an estimate at reserved prices, the remediations)."""
    found = COMMITMENT.search(ent.text)
    if found is None:
        return None
    word = found.group(0)
    text = ent.text
    if _COVERS.search(text):
        return CommitmentPlan(reply={"kind": "refusal", "text": (
            f"Commitment coverage (the share of eligible usage covered by {word}) needs to know which usage could "
            "have been covered, and no column of the bill says that, so I give no figure for it. " + _ASK_INSTEAD)})
    masked = _masked(ent)
    if _UNUSED.search(text) or _UTILISED.search(text):
        measure = "unused_commitment_cost" if _UNUSED.search(text) else "commitment_utilization"
        read: dict[str, Any] = semantic_args(masked, cost_question=True) or {"group_by": [], "filters": []}
        read["measures"] = [measure]
        if ent.period and "period" not in read:
            read["period"] = ent.period
        return CommitmentPlan(args=_of_kind(read, word))
    if best_tool is not None and best_tool not in _BLIND_TOOLS:
        return None
    args = semantic_args(masked, cost_question=True)
    if args is not None and _about_commitments(args):
        return CommitmentPlan(args=_of_kind(args, word))
    return CommitmentPlan(reply={"kind": "did_you_mean", "suggestions": [], "text": (
        f"I read '{word}' as commitment discounts, but none of my answers to this question would be about them, "
        "so I give no figure for it. " + _ASK_INSTEAD)})

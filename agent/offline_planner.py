"""The offline planner: deterministic intent + entities -> tool calls, no model and no network.

1. Help and greetings get the list of what can be asked (each tool's examples).
2. Follow-ups ("and last month?", "what about search?", "by service instead") re-run the previous turn's
   calls with the new period / names / grouping.
3. Otherwise the best intent of `agent.intents.INTENTS` picks the tool; its arguments are filled from
   the entities (`agent.entities`) by field name, then by the tool's hook in `agent.arg_hooks`.
   "Those"/"them" questions inherit the previous turn's period, and the answer says which of the
   previous answer's rows (its keys) appear in the new result.
4. A question it cannot map gets a helpful reply with examples, never a number.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from agent.actions import READ_ALONG, ActionRequest, action_request
from agent.arg_hooks import (
    HOOKS,
    JOB_KINDS,
    JOB_ORDER_WORDS,
    ORDER_WORD,
    OWNER_PREFIX,
    NeedMore,
    asks_month_end,
    is_current_month,
    rescoped,
)
from agent.commitments import commitment_plan
from agent.coverage import (
    RESOURCE_NOUNS,
    TOTAL_TOOLS,
    UNSUPPORTED_MEASURES,
    absent_services,
    aimed_at_assistant,
    assistant_refusal,
    caching_saved,
    caching_saved_reply,
    corrected_name_reply,
    dropped_part,
    leftover_words,
    not_understood_reply,
    unclaimed_name_reply,
    unclaimed_names,
    unfiltered_gpu,
    unfiltered_gpu_reply,
    unknown_identifier_reply,
    unknown_identifiers,
    unknown_kind_names,
    unknown_name_reply,
    unreadable_number,
    unreadable_number_reply,
    unreadable_text,
    unreadable_text_reply,
    unsupported_measure_reply,
)
from agent.entities import NAME_KINDS, Entities, NameHit, NameIndex, extract, normalise
from agent.help import help_reply
from agent.intents import (
    GPU_HOURS,
    GREETING,
    GROWTH_RANK,
    HELP,
    INTENTS,
    MOVE_DOWN,
    MOVE_UP,
    RUN_RATE,
    THRESHOLD,
    Intent,
    ranked,
)
from agent.owners_each import not_a_resource_ranking, owner_calls, ranking_part
from agent.planning import PlanStep
from agent.semantic_route import group_by as phrase_group_by
from agent.semantic_route import measures as semantic_measures
from agent.semantic_route import semantic_args
from agent.state import AgentState, PlannedCall, Reply, Turn
from agent.typos import corrected_into_names
from knowledge.semantic.model import DIMENSIONS
from knowledge.store import Store
from tools.contract import FinopsError, UnknownNameError, money
from tools.periods import Period, parse_period
from tools.registry import ToolSpec, registry

# args-model field -> the name kind it takes (any tool whose args have such a field gets it filled)
NAME_FIELDS: dict[str, str] = {
    "team": "team", "service": "service", "provider": "provider", "project": "project", "env": "environment",
    "environment": "environment", "region": "region", "account": "account", "model": "model", "app": "app",
    "prompt_id": "prompt", "prompt": "prompt", "feature": "feature", "customer": "customer",
    "customer_id": "customer", "resource": "resource",
}
GROUP_FIELDS = ("group_by", "by", "dimension")
KIND_DIMENSION = {"environment": "env"}   # name kind -> group-by value, where they differ
FOLLOW_UP = re.compile(r"^(?:and|what about|how about|what if|same (?:for|but|thing|question)|same\b.{0,20}\bbut\b|now|ok(?:ay)?|also|"
                       r"then|just|but)\b"
                       r"|^(?:for|in|by|over|during|only|instead)\b")
# Pronouns for the previous turn's subject ("how much have they spent", "their budget", "how much was that?").
SUBJECT_REF = re.compile(r"\b(?:they|them|their|theirs|it|its)\b|\bthat(?: one)?\s*\??$")
SUBJECT_REF_SINGULAR = re.compile(r"\b(?:it|its)\b|\bthat(?: one)?\s*\??$")
TOP_ONE = re.compile(r"\b(?:the most|top|biggest|highest|largest|priciest|costliest|most expensive)\b", re.IGNORECASE)
BARE_DURATION = re.compile(r"(?:for )?\d+(?:\.\d+)? ?(?:days?|d|hours?|hrs?|h|weeks?|wks?)")
LEFT = re.compile(r"\b(?:left|remaining|remains?|headroom)\b")
# Derived figures a follow-up keeps ("and for research?" after "how much of it is left?").
INHERITED_DERIVATIONS = ("budget_left", "average_per_day", "per_unit")
SO_FAR = re.compile(r"\bso far\b|\bto date\b")
# "vs eu-west-1?", "compared to last month?": the previous figure and this one, not this one instead.
COMPARED_FOLLOW_UP = re.compile(r"^(?:and\s+)?(?:vs\.?|versus|compared (?:to|with)|against)\b")
EARLIER = re.compile(r"\b(?:the )?(?:day|week|month|quarter|year|period) before\b|\bbefore that\b|\bthe one before\b"
                     r"|\bprior (?:day|week|month|quarter|period)\b|\ba (?:week|month) earlier\b")
PRONOUN = re.compile(r"\b(?:this|it|that|its)\b")
SCALABLE = {"unit_costs", "llm_spend"}   # results whose cost can be shown scaled ("at 10x traffic")
REFERENCE = re.compile(r"\b(?:those|these|them|of that|that list|the same|ones)\b")
STRONG = 2.0
# "I meant recsys": the previous question again, with the name corrected.
CORRECTION = re.compile(r"^(?:no[,.!]?\s+|sorry[,.!]?\s+|oops[,.!]?\s+)*(?:i meant|i mean|meant|i said)\s+(?P<rest>.+)$")
# Pronouns for the previous answer's things: "they"/"them" its items, "it" its first subject.
# "total spend MTD, and how much of that is openai + anthropic?": the whole named first, the part after
TOTAL_THEN_PART = re.compile(r"\btotal (?:spend|cost|bill)\b.{0,40}\bhow much of (?:that|it)\b")
ALL_OF_THEM = re.compile(r"\ball (?:of )?(?:them|those|these)\b|\ball (?:\d+|the) (?:of )?(?:them|jobs|items|endpoints)\b")
OF_THOSE = re.compile(r"\b(?:of|among|out of|from) (?:those|these|them)\b")
PLURAL_REF = re.compile(r"\b(?:they|them|their|those|these)\b")
SINGULAR_REF = re.compile(r"\b(?:it|its|that one|this one|that resource|this resource|that thing)\b")
# A question about "it" (the previous answer's first subject, a resource): tool -> the field that takes it.
SUBJECT_FIELD: dict[str, str] = {"who_owns": "resource", "spend": "resource"}
# "Who owns it?" after an answer listing several things: the owners of its first few, said as such.
MAX_SUBJECTS = 3
# Tools whose hook reads numbers a follow-up may change ("and with 32 GPUs?", "for 48 hours?").
FOLLOW_HOOKS = frozenset({"estimate", "prompt_audit"})
# Derived figures: the question asks a per-unit cost for one unit ("per prediction"), not per 1K.
PER_ONE = re.compile(r"\bper (?:(?:llm|api|model)\s+)?(?:prediction|inference|request|query|call|answer|response|completion|"
                     r"message|ticket)\b"
                     r"|\b(?:a|each|an) (?:prediction|inference|request|query|call|answer|response)\b"
                     r"|\b(?:one|a single)\s+(?:[\w-]+\s+)?(?:prediction|inference|request|query|call|answer|response|"
                     r"completion|message|ticket)\b")
# Derived figures the composer computes from the results (agent.derived), the arithmetic shown.
AVERAGE_PER_DAY = re.compile(r"\b(?:avg|average|mean)\b.{0,40}\b(?:per|a|each) day\b|\b(?:avg|average|mean) daily\b"
                             r"|\bdaily (?:avg|average)\b|\b(?:avg|average|mean) (?:\w+ )?(?:spend|cost) per day\b"
                             r"|\b(?:per|a|each) day\b.{0,30}\bon (?:an? )?average\b")    # "cost per day on average"
# "what did we pay the most for", "what cost us the most": a ranking with nothing named to rank
UNNAMED_RANKING = re.compile(r"\bwhat\s+(?:(?:did|do|have|has)\s+(?:we|i|you)\s+)?(?:pay|paid|spend|spent|spending)"
                             r"\s+(?:the\s+)?most\b|\bwhat\s+(?:costs?|cost(?:ed)?)\s+(?:us\s+|me\s+)?(?:the\s+)?most\b"
                             # "what's costing us the most right now", "what was costing us the most in october"
                             r"|\bwhat(?:'s|s| is| was| are| were| has| have)?(?:\s+been)?\s+costing\s+(?:us\s+|me\s+)?"
                             r"(?:the\s+)?most\b"
                             # "what's our biggest azure cost", "what was our largest expense last month"
                             r"|\bwhat(?:'s|s| is| was| are| were)\s+(?:our|the)\s+(?:biggest|largest|main|top|highest)\s+"
                             r"(?:[\w-]+\s+)?(?:costs?|expenses?|spend|line items?)\b"
                             r"|^\s*(?:biggest|largest|top|main)\s+(?:[\w-]+\s+)?(?:costs?|expenses?)\b"
                             # "which one was the most expensive in october?", "what was the priciest?"
                             r"|\b(?:which|what)(?:\s+(?:one|ones|thing|things|item|items|line|lines))?\s+(?:was|is|were|are)"
                             r"\s+(?:the\s+)?(?:most\s+expensive|costliest|priciest)\b",
                             re.IGNORECASE)
# "avg monthly spend over the last 6 months", "average per week": no tool computes it, and the period's total
# is not it (the months may be partly covered, too): asked back, with the query that shows each month
AVERAGE_PER_SPAN = re.compile(r"\b(?:avg|average|mean)\b.{0,40}\b(?:per|a|each) (?P<a>month|week|quarter|year)\b"
                              r"|\b(?:avg|average|mean|typical|usual|normal) (?P<b>month|week|quarter|year)ly\b"
                              r"|\bannual (?:avg|average)\b"
                              r"|\b(?P<c>month|week|quarter|year)ly (?:avg|average)\b"
                              r"|\b(?:per|a|each) (?P<d>month|week)\b.{0,30}\bon (?:an? )?average\b")
# "which services got cheaper in november?", "top movers by team": per-row change against the compared period
MOVERS = re.compile(rf"\bmovers?\b|{GROWTH_RANK}|\b(?:which|what|where)\b.{{0,40}}\b(?:{MOVE_DOWN}|{MOVE_UP})\b(?:.{{0,12}}\bthe most\b)?")
MOVERS_DOWN = re.compile(rf"\b(?:{MOVE_DOWN}|decreases|drops|shrinking|falling)\b")
MOVERS_UP = re.compile(rf"\b(?:{MOVE_UP}|growth|growing|rising|increases|gains|jumps)\b")
# "average cost per gpu job", "the mean cost of our fine-tune runs", "a typical training run" (job_runs)
AVERAGE_PER_JOB = re.compile(r"\b(?:average|avg|mean|typical)\b|\bper\s+(?:[\w-]+\s+)?(?:job|run)\b")
AMOUNT_THRESHOLD = re.compile(r"\b(?:more|less|fewer) than\b|\bover\b|\babove\b|\bunder\b|\bbelow\b|\bat least\b|\bexceed")
_CURRENT = re.compile(r"(?:this|current) (?:month|mo|week|wk|quarter|year)(?: so far)?|mtd|qtd|ytd|wtd|today|now"
                      r"|month to date|quarter to date|year to date|so far this (?:month|quarter|year)")
BUDGET_LEFT = re.compile(r"\b(?:left|remaining|remain|headroom)\b.{0,30}\bbudget\b|\bbudget\b.{0,30}\b(?:left|remaining|remain|headroom)\b")
PER_HOUR = re.compile(r"(?:\bper|\ban|/)\s?(?:hour|hr|h)\b|\bhourly\b")
ADD_UP = re.compile(r"\badd(?:s|ed)? up\b|\bsum(?: of)?\b|\b(?:combined|altogether|all together|in total)\b"
                    r"|\btotal (?:of|for|across) (?:all|every|the)\b|\bgrand total\b")
SHARE = re.compile(r"\b(?:share|percent(?:age)?|portion|fraction|proportion|slice) of\b|\bwhat %|%\s*of\b|\bhow much of\b")
# "which team has the most zombie jobs?": count the items per team.
RANK_BY = re.compile(r"\b(?:which|what|whose) (team|owner)s?\b.{0,40}\b(?:most|biggest number of|largest number of)\b")
# A ranking of LLM usage by volume ("the most tokens", "the fewest calls"), not by cost.
USAGE_RANK = re.compile(r"\b(most|fewest|least|highest|lowest|biggest|largest)\s+(?:(?:llm|ai|api)\s+)?"
                        r"(tokens?|calls?|requests?)\b")
# A ranking of the per-unit figures ("the most per call", "cheapest per request").
PER_ONE_RANK = re.compile(r"\b(?:cheapest|least expensive|least|lowest|most expensive|most|priciest|costliest|highest|"
                          r"biggest|largest)\b")


class OfflinePlanner:
    name = "offline"

    def plan(self, state: AgentState, store: Store) -> PlanStep:
        if state.get("rounds"):
            # one round of calls answers an offline question; "… and who owns each" takes a second
            return owner_calls(state) or _movers_without_comparison(state) or PlanStep(reply={"kind": "answer"})
        question = state.get("question", "")
        ranking = ranking_part(question)
        if ranking is not None:
            question = ranking      # the ranking is planned now, its owners in the second round
        index = NameIndex.for_store(store.con, store.path)
        today = store.today()
        history = list(state.get("history") or [])
        ent = extract(question, index, today)
        corrected = corrected_question(ent, history, index, today)
        if corrected is not None:
            ent = extract(corrected, index, today)
            history = history[:-1]        # the corrected question stands in for the one it corrects
        screened = _screened(ent)
        if screened is not None:
            return PlanStep(reply=screened)
        step = decide(ent, history, registry.all(), today=today)
        if step.calls and step.reply is None and ranking is not None:
            wrong = not_a_resource_ranking(step)
            if wrong is not None:
                return PlanStep(reply=wrong)
        if step.calls and step.reply is None:
            return _checked(step, ent, index)
        absent = absent_services(ent)
        if absent and step.reply is not None and step.reply.get("kind") == "help":
            # "how much went to snowflake?": no tool was chosen, but the name is the thing to say
            return PlanStep(reply=unknown_name_reply(ent, "service", absent[0], "spend"))
        return step


def _screened(ent: Entities) -> Reply | None:
    """A question declined before any tool is chosen: aimed at the assistant itself, a number that cannot
    be read, a measure no tool has."""
    if aimed_at_assistant(ent.text):
        return assistant_refusal()
    bad_number = unreadable_number(ent.text)
    if bad_number is not None:
        return unreadable_number_reply(bad_number)
    symbols = unreadable_text(ent.text)
    if symbols is not None and action_request(ent.text) is None:   # 'DROP TABLE …;' is declined as a change
        return unreadable_text_reply(symbols)
    unsupported = UNSUPPORTED_MEASURES.search(ent.text)
    if unsupported:
        return unsupported_measure_reply(unsupported.group(0))
    if caching_saved(ent.text):
        return caching_saved_reply()
    return None


def _checked(step: PlanStep, ent: Entities, index: NameIndex) -> PlanStep:
    """Fail closed on a planned step: every part of the question must be honoured by the calls, or the
    question gets a reply saying what was not (and no figure)."""
    # A catalog model no call used is a valid what-if target, not spend anyone had.
    what_if = all(c["tool"] in ("estimate", "prompt_audit", "remediations") for c in step.calls)
    idents = unknown_identifiers(ent, frozenset(index.catalog) if what_if else frozenset())
    if idents:
        return PlanStep(reply=unknown_identifier_reply(ent, idents, _understood(step)))
    guessed = corrected_into_names(ent)
    if guessed:
        return PlanStep(reply=corrected_name_reply(*guessed[0], _understood(step)))
    regrouped = _honour_group_by(step, ent, registry.all())
    if regrouped is not None:
        step = regrouped
        if not step.calls or step.reply is not None:
            return step
    if AMOUNT_THRESHOLD.search(ent.text) and ent.amounts and any(
            c["tool"] in ("spend", "query_costs", "llm_spend") for c in step.calls):
        return PlanStep(reply={"kind": "did_you_mean", "suggestions": [], "text": (
            f"I can list the costs, but I can't keep only the rows above or below {money(ent.amounts[0])} yet, "
            "so I give no figure for that question. Ask for the top N instead (e.g. 'top 10 apps last week').")})
    duration = ent.period is not None and BARE_DURATION.fullmatch(ent.period.strip()) is not None and all(
        "hours" in c["args"] for c in step.calls)      # "16 H100s, 2 days": the job's length, not a period
    if ent.period and not _CURRENT.fullmatch(ent.period.strip()) and not is_current_month(ent) and not duration:
        period_reply = _period_slots(step, ent.period)
        if period_reply is not None:
            return PlanStep(reply=period_reply)
    compared = _with_the_compared_period(step, ent)
    if compared is not None:
        if compared.reply is not None:
            return compared
        step = compared
    day = LONE_DAY.search(ent.text)
    if day is not None and not (ent.period and day.group(0) in ent.period) and any(
            c["tool"] in TOTAL_TOOLS for c in step.calls):
        # "spend on the 17th": a day the period grammar did not read is never the default 30 days
        return PlanStep(reply=period_not_understood_reply([day.group(0).strip()], ent.period))
    if ent.period_unparsed or ent.period_baseline:
        # A time phrase that is present but not read is never replaced by the tool's default period; a baseline
        # alone ("are we spending more than in august?") is never answered as the period asked about.
        return PlanStep(reply=period_not_understood_reply(ent.period_unparsed, ent.period) if ent.period_unparsed
                        else baseline_only_reply(str(ent.period_baseline)))
    absent = absent_services(ent)
    if absent:
        return PlanStep(reply=unknown_name_reply(ent, "service", absent[0], _understood(step)))
    # Fail closed: a content word nothing understood means the question may be about something else.
    named = unknown_kind_names(ent)
    if named:
        return PlanStep(reply=unknown_name_reply(ent, *named[0], _understood(step)))
    left = _left_unread(step, ent)
    if left:
        return PlanStep(reply=not_understood_reply(ent, left, _understood(step)))
    return _scope_checked(step, ent)


def _left_unread(step: PlanStep, ent: Entities) -> list[str]:
    """The question's words nothing understood (coverage.leftover_words), less the kind of GPU job the calls
    list ("how much did the most expensive sweep cost": job_runs reads 'sweep', agent.arg_hooks.JOB_KINDS)."""
    left = leftover_words(ent)
    if any(c["tool"] == "job_runs" and c["args"].get("kind") for c in step.calls):
        left = [w for w in left if not any(re.search(pattern, w) for pattern, _ in JOB_KINDS)]
    return left


def _scope_checked(step: PlanStep, ent: Entities) -> PlanStep:
    """The scope the question names and the calls cannot keep: a GPU type no call filters on ('h100 spend'),
    a team or env named by an everyday word the calls did not read ('to run search'), an order the calls do not
    list in ('which jobs ran shortest')."""
    unordered = _order_not_honoured(step, ent)
    if unordered is not None:
        return PlanStep(reply=unordered)
    specs = {s.name: s for s in registry.all()}
    gpu = unfiltered_gpu(ent, [c["tool"] for c in step.calls],
                         {f for c in step.calls if c["tool"] in specs for f in specs[c["tool"]].args_model.model_fields})
    if gpu is not None:
        return PlanStep(reply=unfiltered_gpu_reply(gpu, _understood(step)))
    dropped = dropped_part(ent, step.calls, [d["kind"] for d in step.derive or []], _understood(step))
    if dropped is not None:
        return PlanStep(reply=dropped)
    if any(c["tool"] in TOTAL_TOOLS for c in step.calls):
        args = " ".join(str(c.get("args") or {}) for c in step.calls).lower()
        unclaimed = [(k, n) for k, n in unclaimed_names(ent) if n.lower() not in args]
        if unclaimed:
            return PlanStep(reply=unclaimed_name_reply(*unclaimed[0], _understood(step)))
    return step


def _period_slots(step: PlanStep, period: str) -> Reply | None:
    """Put the question's period where the calls take it; a reply when no chosen tool can take it."""
    by_name = {t.name: t for t in registry.all()}
    # a forecast takes a future period as its first day and length (agent.arg_hooks.forecast)
    slots = [c for c in step.calls if "period" in by_name[c["tool"]].args_model.model_fields or "start" in c["args"]]
    m = re.fullmatch(r"(?:the )?(?:last|lst|past|previous|prev|trailing|prior) (\d+) ?(?:d|days?)|(\d+) ?(?:d|days)",
                     period.strip())
    for c in step.calls:   # "over the last 30 days" is a waste look-back window of 30 days
        if not slots and m and "lookback_days" in by_name[c["tool"]].args_model.model_fields:
            c["args"]["lookback_days"] = int(m.group(1) or m.group(2))
            slots.append(c)
    if slots:
        return None
    # a period the chosen tool cannot take is never dropped silently
    tools = ", ".join(dict.fromkeys(c["tool"].replace("_", " ") for c in step.calls))
    return {"kind": "did_you_mean", "suggestions": [], "text": (
        f"{tools[0].upper()}{tools[1:]} answers for the current state only (as of the latest data), "
        f"not for '{period}', so I give no figure for that period. Ask without the period, or ask "
        f"for spend in '{period}' instead.")}


def _honour_group_by(step: PlanStep, ent: Entities, specs: list[ToolSpec]) -> PlanStep | None:
    """A breakdown the question asks for ("which apps …") that the chosen tool cannot make is never replaced
    by the tool's default grouping: query_costs makes it when the semantic model has the dimension, else
    the question gets a reply saying so. None when every call already groups as asked."""
    # The model's longest-first reading of "by …" ("by service category") wins over the older one ("service").
    asked = phrase_group_by(ent.text) or [g for g in ent.group_by if g]
    # ... and a breakdown said apart from it ("daily spend by team", "each provider's spend day by day"), unless
    # it is a word of one read there ('service' of "by service category")
    asked += [g for g in ent.group_by if g and g not in asked and not any(g in a.split("_") for a in asked)]
    if not asked:
        return None
    by_name = {s.name: s for s in specs}
    def grouping(c: PlannedCall) -> str | None:     # what the call groups by: its argument, else the default
        fields = by_name[c["tool"]].args_model.model_fields
        f = next((g for g in GROUP_FIELDS if g in fields), None)
        return None if f is None else str(c["args"].get(f) or fields[f].default)

    grouped = [c for c in step.calls if grouping(c) is not None]
    # Every breakdown asked must be made: "daily spend by team" grouped by team alone gave each team's total.
    made = {grouping(c) for c in grouped if c["tool"] != "query_costs"} | {
        g for c in step.calls if c["tool"] == "query_costs" for g in (c["args"].get("group_by") or [])}
    if not grouped or set(asked) <= made:
        return None
    if grouped:
        dims = [g for g in asked if g in DIMENSIONS][:3]
        args = semantic_args(ent, cost_question=True, force_group_by=dims) if dims and "query_costs" in by_name else None
        if args is not None and all(c["tool"] in ("spend", "query_costs") for c in step.calls):
            return _finish([(by_name["query_costs"], args)], ent, by_name)
        tools = ", ".join(dict.fromkeys(c["tool"].replace("_", " ") for c in grouped))
        one_each = " or ".join(f"'{tools} by {g}'" for g in asked[:2]) if len(asked) > 1 else ""
        return PlanStep(reply={"kind": "did_you_mean", "suggestions": [], "text": (
            f"I can't break {tools} down by {' and '.join(asked)}, so I give no figure for that breakdown."
            + (f" Ask for one breakdown at a time ({one_each})." if one_each else ""))})
    return None


def period_not_understood_reply(words: list[str], read: str | None) -> Reply:
    said = ", ".join(f"'{w}'" for w in words)
    also = f" (I read '{read}' but not the rest)" if read else ""
    return {"kind": "did_you_mean", "text": (
        f"I could not read the period in this question: {said}{also}, so I give no figure. Try 'last week', "
        "'last month', 'October', 'Q3 2026', 'Q4 so far', 'last 90 days', 'since Monday', 'since Oct 1', "
        "'between Oct 3 and 10' or '2026-11-01..2026-11-15'."),
        "suggestions": ["last week", "last month", "last 30 days"]}


def baseline_only_reply(baseline: str) -> Reply:
    ask = f"this month vs {baseline}"
    return {"kind": "did_you_mean", "suggestions": [ask], "text": (
        f"I read '{baseline}' as what to compare with, but not the period to compare with it, so I give no "
        f"figure. Name both, e.g. '{ask}' or 'last month vs {baseline}'.")}


def _understood(step: PlanStep) -> str:
    """What the planned calls would answer, in a few words ("spend by team for last month")."""
    parts = []
    for c in step.calls:
        args = c.get("args") or {}
        bits = [c["tool"].replace("_", " ")]
        by = args.get("group_by")
        if by:
            bits.append("by " + (", ".join(by) if isinstance(by, list) else str(by)))
        if args.get("period"):
            bits.append(f"for {args['period']}")
        parts.append(" ".join(bits))
    return "; ".join(dict.fromkeys(parts))


def corrected_question(ent: Entities, history: list[Turn], index: NameIndex, today: date | None) -> str | None:
    """"I meant recsys" after "how much did team recsyss spend?": the previous question with the name
    replaced (the misspelt one, else the one of the same kind); None when `ent` is not such a correction."""
    m = CORRECTION.match(ent.text)
    if m is None or not history or not history[-1].get("question"):
        return None
    previous = history[-1]["question"]
    said = extract(m.group("rest"), index, today)
    if not said.names:
        return None
    new = said.names[0]
    before = extract(previous, index, today)
    spans = [raw for kind, raw, _ in before.unknown if kind == new.kind] + [raw for _, raw, _ in before.unknown]
    spans += [h.span for h in before.names if h.kind == new.kind]
    for span in spans:
        fixed, n = re.subn(r"(?<![\w-])" + re.escape(span) + r"(?![\w-])", new.name, previous, count=1,
                           flags=re.IGNORECASE)
        if n:
            return fixed
    return None


def decide(ent: Entities, history: list[Turn], specs: list[ToolSpec], *, today: date | None = None) -> PlanStep:
    """The pure decision: tool calls for the question in `ent`, or a reply."""
    by_name = {s.name: s for s in specs}
    text = ent.text
    if not text or HELP.search(text) or GREETING.match(text):
        return PlanStep(reply=help_reply(specs, intro=None if text and not GREETING.match(text) else ""))
    request = action_request(text)
    if request is not None:
        return decline(request, ent, by_name)
    scores = ranked(ent.cue_text or text, set(by_name), frozenset(h.kind for h in ent.names))
    best = scores[0] if scores and scores[0][0] >= THRESHOLD else None
    best = _tool_of_the_whole(ent, best, by_name)
    best = _owner_of_waste(ent, best, scores)
    best = _run_rate_of_scope(ent, best, scores)
    best, ent = _owner_of_service(ent, best, by_name)
    best = _move_to_target(ent, best, by_name)
    prev = next((t for t in reversed(history) if t.get("calls")), None)

    between = _between_previous(ent, history, by_name)
    if between is not None:
        return between
    unresolved = _unresolved_reference(ent, prev)
    if unresolved is not None:
        return unresolved
    committed = _commitment_step(ent, best, by_name)
    if committed is not None:
        return committed
    earlier = EARLIER.search(text) is not None
    marked = FOLLOW_UP.match(text) is not None
    # "which app is the biggest spender of those?": a question about the previous answer's rows is not a
    # fresh semantic query, even unmarked
    semantic = _semantic_step(ent, best, prev if marked or PLURAL_REF.search(text) else None, by_name)
    if semantic is not None:
        return semantic
    if prev is not None:
        followed = _follow_up(ent, best, prev, by_name, marked=marked, earlier=earlier, today=today)
        if followed is not None:
            return followed
    if prev is not None and best is not None and not ent.names and not ent.unknown:
        about = about_previous(best[1], ent, prev, by_name)
        if about is not None:
            return about
    if best is None and ent.unknown:
        return _did_you_mean(*ent.unknown[0])     # a misspelt name and nothing else to go on
    if best is None:
        terse = terse_cost_intent(ent, by_name)
        if terse is not None:
            return _answer(terse, ent, prev, by_name)
    if best is None:
        return PlanStep(reply=help_reply(specs, intro=(
            "I could not map that question to one of my tools, so I have no figure for it. "
            "These are the kinds of questions I can answer:")))
    return _answer(best[1], ent, prev, by_name)


# Name kinds whose spend is LLM usage (llm_spend), not the bill (spend).
LLM_KINDS = frozenset({"model", "app", "prompt", "feature", "customer"})
BILL_KINDS = frozenset({"team", "provider", "service", "region", "account", "project", "environment"})


def terse_cost_intent(ent: Entities, by_name: dict[str, ToolSpec]) -> Intent | None:
    """"aws mtd", "ec2 last wk?", "recsys Q4 so far?", "search team, last month, $?": names and a period
    and nothing else asks what they cost in it. The spend intent (llm_spend for a model or an app); None
    when the question is not that bare (the coverage check still refuses any word left over)."""
    kinds = {h.kind for h in ent.names}
    if not kinds or not (ent.period or "$" in ent.text) or ent.unknown or not kinds <= (LLM_KINDS | BILL_KINDS):
        return None
    tool = "llm_spend" if kinds & LLM_KINDS and not kinds & BILL_KINDS else "spend"
    return _main_intent(tool) if tool in by_name else None


def _main_intent(tool: str) -> Intent | None:
    """The intent named after its tool (the tool's plain use, without another intent's preset)."""
    return next((i for i in INTENTS if i.tool == tool and i.name == tool), None)


# "what's the difference between the two?", "% change?": a figure derived from the previous two answers.
BETWEEN_DIFFERENCE = re.compile(r"\bdifference\b|\bgap\b|\bdelta\b|\bhow much (?:more|less|higher|lower)\b")
BETWEEN_CHANGE = re.compile(r"%\s*(?:change|diff\w*|increase|decrease|growth)|\bpercent(?:age)? (?:change|difference|increase|decrease)"
                            r"|\bby what (?:percent(?:age)?|%)|\bhow many percent\b")
BETWEEN_SUM = re.compile(r"\b(?:combined|together|added up|add(?:ed)? them|sum of (?:the two|both|them)|in total)\b")
BETWEEN_REF = re.compile(r"\b(?:the two|both|them|those|these|that|it|they|between)\b")
# A day of the month written on its own ("on the 17th", "11/19"): a period only when the grammar read it.
LONE_DAY = re.compile(r"\b(?:the )?\d{1,2}(?:st|nd|rd|th)\b|(?<![\d/.-])\d{1,2}/\d{1,2}(?![\d/])")


_LEAD_FILLER = frozenset({"so", "ok", "okay", "and", "then", "well", "hmm", "right", "cool", "s"})   # "what's" -> what, s


def _between_previous(ent: Entities, history: list[Turn], by_name: dict[str, ToolSpec]) -> PlanStep | None:
    """The difference or the % change between the previous two answers ("and october?" after "storage in
    september?", then "% change?"): both calls again, the arithmetic done on their totals (agent.derived).
    None unless the question asks that and names nothing new, and each of the two turns has one total."""
    diff, change = BETWEEN_DIFFERENCE.search(ent.text), BETWEEN_CHANGE.search(ent.text)
    both = BETWEEN_SUM.search(ent.text)
    if not (diff or change or both) or ent.names or ent.unknown or ent.period or semantic_measures(ent.text):
        return None          # ("the difference between list and billed cost" is a question of its own)
    if not BETWEEN_REF.search(ent.text) and len([t for t in ent.tokens if t not in _LEAD_FILLER]) > 3:
        return None          # about the previous answers: "between the two", "is that", or just "% change?"
    turns = [t for t in history if t.get("calls")][-2:]
    if len(turns) < 2 or not all(len(t.get("calls") or []) == 1 and t["calls"][0]["tool"] in TOTAL_TOOLS
                                 and t["calls"][0]["tool"] in by_name for t in turns):
        return None
    if turns[0]["calls"][0]["tool"] != turns[1]["calls"][0]["tool"]:
        return None
    calls = [(by_name[t["calls"][0]["tool"]], dict(t["calls"][0].get("args") or {})) for t in turns]
    step = _finish(calls, ent, by_name)
    if step.calls:
        step.derive = [{"kind": "change" if change else "difference" if diff else "sum"}]
    return step


def _follow_up(ent: Entities, best: tuple[float, Intent] | None, prev: Turn, by_name: dict[str, ToolSpec], *,
               marked: bool, earlier: bool, today: date | None) -> PlanStep | None:
    """A follow-up of the previous turn ("and for search?", "support-bot last week"): its calls again with
    what this question changes; None when the question is not one."""
    follow = ((marked and (best is None or best[0] < STRONG or _same_tool(best[1], prev)))
              or (best is None and bool(ent.period or ent.group_by or ent.names or ent.unknown or earlier))
              # "which app is the biggest spender of those?": the previous rows, grouped another way
              or (bool(OF_THOSE.search(ent.text)) and bool(ent.group_by) and not ent.names)
              # "which of those are research's?": the previous rows, narrowed to a name
              or (bool(OF_THOSE.search(ent.text)) and bool(ent.names) and best is None))
    if not follow:
        return None
    # "and for search?" adds to the previous filters; an unmarked "support-bot last week" replaces them
    compared = COMPARED_FOLLOW_UP.match(ent.text) is not None and bool(ent.names)
    try:
        calls = [_override(by_name[c["tool"]], c.get("args") or {}, ent, today if earlier else None,
                           replace_names=not marked or compared)
                 for c in prev.get("calls") or [] if c["tool"] in by_name]
    except NeedMore as need:
        return PlanStep(reply=need.reply)
    if ALL_OF_THEM.search(ent.text) and not ent.names:
        # "and all of them together?" after "which of those are research's?": the whole list again
        calls = [(spec, {k: v for k, v in args.items() if k not in NAME_FIELDS}) for spec, args in calls]
    unique: list[tuple[ToolSpec, dict[str, Any]]] = []
    for c in calls:                 # two compared calls given the same new name are one call
        if c not in unique:
            unique.append(c)
    calls = unique
    if not calls:
        return None
    previous = [(by_name[c["tool"]], dict(c.get("args") or {})) for c in prev.get("calls") or [] if c["tool"] in by_name]
    refers = PLURAL_REF.search(ent.text) or SINGULAR_REF.search(ent.text) or OF_THOSE.search(ent.text)
    if not marked and not compared and not refers and calls == previous:
        # nothing of this question changes the previous calls ("which services got cheaper in november?" after
        # "who owns X?", no "them"/"it" to point back): it is not a follow-up of them, and their answer again
        # would answer another question
        return None
    if compared:
        # "vs eu-west-1?": the previous figure and the new one, side by side (the difference is shown)
        calls = previous + [c for c in calls if c not in previous]
    elif SHARE.search(ent.text) and len(calls) == 1 and calls[0][0].name in ("spend", "llm_spend"):
        # "and eu-west-1 is what % of all our spend in that window?": the part and the whole, same period
        calls = [(calls[0][0], a) for a in with_whole(calls[0][1], ent)]
    step = _finish(calls, ent, by_name)
    if step.calls:
        tools = [c["tool"] for c in step.calls]
        step.derive = derivations(ent, [c["args"] for c in step.calls], tools)
        # "and for research?" after "how much of it is left?": the same figure derived for the new subject
        again = derivations(replace(ent, text=normalise(prev.get("question") or "")), [c["args"] for c in step.calls], tools)
        step.derive += [d for d in again if d["kind"] in INHERITED_DERIVATIONS and d not in step.derive]
    return step


# "what would it cost to run …", "how much does it cost to train …": "it" stands for the clause after it.
DUMMY_IT = re.compile(r"\bit\s+(?:cost|costs|take|takes|be)\s+(?:us\s+|me\s+)?to\s+[a-z]")


def _unresolved_reference(ent: Entities, prev: Turn | None) -> PlanStep | None:
    """"how much have they spent?", "how much was that?" with nothing earlier in the conversation and no name
    in the question: whose figure is wanted is unknown, so ask, rather than answer for the whole company."""
    m = SUBJECT_REF.search(ent.text)
    if prev is not None or m is None or ent.names or ent.unknown:
        return None
    words = set(re.findall(r"[a-z0-9][a-z0-9._-]*", ent.text))
    if any(n.lower() in words for names in ent.known.values() for n in names):
        return None                 # "how much of its budget has support used": 'its' is support's
    # A pronoun late in the question may point back into it ("the biggest cost driver and who owns it?").
    if len(re.findall(r"[\w'$-]+", ent.text[:m.start()])) > 3 and not m.group(0).strip(" ?").startswith("that"):
        return None
    word = m.group(0).strip(" ?")
    if word == "it" and DUMMY_IT.search(ent.text):
        return None                 # "what would it cost to run 8 a100s": "it" is what follows, not an earlier answer
    return PlanStep(reply={"kind": "did_you_mean", "text": (
        f"I don't know who or what '{word}' is: there is no earlier question in this conversation to refer to, "
        "so I give no figure. Name it, e.g. 'how much has team search spent this month?' or 'who owns "
        "llm-serving-h100-a?'."), "suggestions": []})


def _answer(intent: Intent, ent: Entities, prev: Turn | None, by_name: dict[str, ToolSpec]) -> PlanStep:
    """The calls of the best intent, with what a reference to the previous turn inherits."""
    text = ent.text
    spec = by_name[intent.tool]
    base: dict[str, Any] = {}
    focus: list[list[str]] = []
    if prev is not None and REFERENCE.search(text):
        base = _inherit(spec, prev)
        focus = _focus(prev)
    elif prev is not None and _same_tool(intent, prev) and (
            PRONOUN.search(text) or (intent.tool == "budgets" and LEFT.search(text) and not ent.names)):
        # "is it over?", "how much remains?": the same call's scope
        base = next(dict(c.get("args") or {}) for c in prev["calls"] if c["tool"] == intent.tool)
    if prev is not None and SUBJECT_REF.search(text) and not ent.names and not ent.unknown:
        # "how much have they spent so far?", "what's their budget?", "how much was that?": the previous
        # turn's subject (its name filter, else the first row it listed), asked of this tool
        carried = previous_subject(prev, singular=SUBJECT_REF_SINGULAR.search(text) is not None)
        if carried:
            ent = replace(ent, names=carried)
            fields = spec.args_model.model_fields
            period = next((c.get("args", {}).get("period") for c in prev.get("calls") or []
                           if c.get("args", {}).get("period")), None)
            if "period" in fields and ent.period is None and not base.get("period"):
                if SO_FAR.search(text) and any(c["tool"] == "budgets" for c in prev.get("calls") or []):
                    base["period"] = "this month so far"    # spent "so far" against a monthly budget
                elif period:
                    base["period"] = period
    try:
        arg_sets = fill(spec, intent, ent, base)
    except NeedMore as need:
        return PlanStep(reply=need.reply)
    whole: list[tuple[ToolSpec, dict[str, Any]]] = []
    if (SHARE.search(text) and spec.name == "llm_spend" and len(arg_sets) == 1 and "spend" in by_name
            and (BILL_WHOLE.search(share_whole(text)) or TOTAL_THEN_PART.search(text))
            and not any(arg_sets[0].get(k) for k in NAME_FIELDS)):
        # "what slice of october's total was LLM API": the LLM spend over the whole bill of the same period
        whole = [(by_name["spend"], {k: v for k, v in arg_sets[0].items() if k == "period"})]
    elif SHARE.search(text) and spec.name in ("spend", "llm_spend") and len(arg_sets) == 1:
        arg_sets = with_whole(arg_sets[0], ent)
    elif spec.name == "forecast" and asks_month_end(ent) and len(arg_sets) == 1 and "spend" in by_name:
        # "EOM projection for recsys": this month's spend so far + the forecast of the rest of the month
        scope, name = arg_sets[0].get("scope", "total"), arg_sets[0].get("name")
        field_name = {"team": "team", "service": "service", "provider": "provider", "project": "project",
                      "model": "model"}.get(str(scope))
        if scope == "total" or (field_name and name):
            so_far = {"period": "this month", "compare": False, **({field_name: name} if field_name else {})}
            whole = [(by_name["spend"], so_far)]
    step = _finish([(spec, args) for args in arg_sets] + whole, ent, by_name)
    step.focus = focus
    if ent.multiplier is not None and intent.tool in SCALABLE and step.calls:
        step.scale = str(ent.multiplier)
    if step.calls:
        step.derive = derivations(ent, [c["args"] for c in step.calls], [c["tool"] for c in step.calls])
    return step


def previous_subject(prev: Turn, *, singular: bool) -> list[NameHit]:
    """What "they" / "their" / "that" names in the previous turn: the names its calls were scoped to (a
    budget's scope too), else, for "that"/"it" after a ranked list, the first row it listed (its kind from
    the call's grouping). Empty when the previous turn had no such subject."""
    hits: list[NameHit] = []
    for call in prev.get("calls") or []:
        args = call.get("args") or {}
        for fname, kind in NAME_FIELDS.items():
            value = args.get(fname)
            if isinstance(value, str) and value and fname != "resource":
                hits.append(NameHit(kind, value, value))
        scope, name = args.get("scope_kind"), args.get("name")
        if isinstance(scope, str) and isinstance(name, str) and scope in NAME_KINDS:
            hits.append(NameHit(scope, name, name))
    if hits:
        return list(dict.fromkeys(hits))
    keys = prev.get("keys") or []
    # "their" after "who spent the most?" is the one on top, as "that" is
    ranked_one = bool(TOP_ONE.search(prev.get("question") or "")) and not re.search(r"\btop[\s-]?\d", prev.get("question") or "")
    if not (singular or ranked_one) or not keys:
        return []
    for call in prev.get("calls") or []:
        by = (call.get("args") or {}).get("group_by")
        dim = by[0] if isinstance(by, list) and len(by) == 1 else by
        kind = {v: k for k, v in KIND_DIMENSION.items()}.get(str(dim), str(dim))
        if kind in NAME_KINDS and keys[0] and keys[0][0]:
            return [NameHit(kind, str(keys[0][0]), str(keys[0][0]))]
    return []


# The whole a share is taken of, when it is the bill itself (not the LLM spend a provider's name suggests).
BILL_WHOLE = re.compile(r"\b(?:bill|bills|invoice|cloud|total|everything|overall|all (?:of )?(?:our |the )?(?:spend|costs?))\b")


def share_whole(text: str) -> str:
    """The words naming the whole of "what % of <whole> went to X" / "how much of <whole> has X burned"."""
    m = SHARE.search(text)
    if m is None:
        return ""
    start = m.end()
    if not text[m.start():m.end()].rstrip().endswith("of"):      # "what % of …": skip to the "of"
        of = re.search(r"\bof\b", text[start:start + 12])
        start = start + of.end() if of else start
    return re.split(r"\b(?:is|was|are|were|goes|went|has|have|had|does|did|comes|came|to)\b|\?|,", text[start:start + 60])[0]


def _move_to_target(ent: Entities, best: tuple[float, Intent] | None, by_name: dict[str, ToolSpec],
                    ) -> tuple[float, Intent] | None:
    """"what would switching ticket-router to claude-opus-4-5 do to our costs": a model to move to is a what-if the
    prompt audit prices; the LLM spend the names would choose is the past, not the move."""
    if (best is None or best[1].tool != "llm_spend" or ent.first("target_model") is None
            or "prompt_audit" not in by_name):
        return best
    audit = _main_intent("prompt_audit")
    return best if audit is None else (best[0], audit)


def _tool_of_the_whole(ent: Entities, best: tuple[float, Intent] | None, by_name: dict[str, ToolSpec],
                       ) -> tuple[float, Intent] | None:
    """A share of a budget is the budget's use ("how much of its budget has recsys burned": budgets), and a
    share of the bill is taken of the bill ("what % of our october bill went to openai": spend, not the LLM
    spend the provider's name would choose); otherwise the best intent stands."""
    if best is None:
        return best
    whole = share_whole(ent.text)
    want = ("budgets" if re.search(r"\bbudgets?\b", whole)
            else "spend" if best[1].tool == "llm_spend" and BILL_WHOLE.search(whole) else None)
    if want is None or want == best[1].tool or want not in by_name:
        return best
    alternatives = ranked(ent.cue_text or ent.text, {want}, frozenset(h.kind for h in ent.names))
    return alternatives[0] if alternatives else best


def _commitment_step(ent: Entities, best: tuple[float, Intent] | None, by_name: dict[str, ToolSpec]) -> PlanStep | None:
    """A question about commitment discounts (agent.commitments): their FOCUS measure, or a reply."""
    plan = commitment_plan(ent, best[1].tool if best is not None else None)
    if plan is None:
        return None
    if plan.reply is not None:
        return PlanStep(reply=plan.reply)
    if plan.args is None or "query_costs" not in by_name:
        return None
    return _finish([(by_name["query_costs"], plan.args)], ent, by_name)


def _owner_of_waste(ent: Entities, best: tuple[float, Intent] | None, scores: list[tuple[float, Intent]],
                    ) -> tuple[float, Intent] | None:
    """"who owns the endpoint nobody's hitting?": a resource described by its waste, not named, is found by
    the waste tool (which names each item's owner), never guessed from the words by who_owns."""
    if best is None or best[1].tool != "who_owns" or ent.first("resource") is not None:
        return best
    waste = next((sc for sc in scores if sc[1].tool == "waste" and sc[0] >= THRESHOLD), None)
    return waste or best


# The kinds of name a forecast is scoped by, or that a spend total is of: not one resource.
_SCOPE_KINDS = ("team", "app", "project", "provider", "service", "region", "model")
_ASKS_OWNER = re.compile(r"\bwho\b|\bwhose\b|\bowns?\b|\bowner\b|\bpays? for\b|\bresponsible\b")


def _run_rate_of_scope(ent: Entities, best: tuple[float, Intent] | None, scores: list[tuple[float, Intent]],
                       ) -> tuple[float, Intent] | None:
    """"what's the monthly run rate of the search team?": the pace of a team's (a service's, ...) spend is a
    forecast of that scope, not a resource found by the words around the name (who_owns read "search" in
    "research-multimodal-…"). A resource named or described ("the support team's box"), or an owner asked
    for, keeps who_owns."""
    if (best is None or best[1].tool != "who_owns" or ent.first("resource") is not None
            or not re.search(RUN_RATE, ent.text) or _ASKS_OWNER.search(ent.text)
            or RESOURCE_NOUNS.intersection(re.findall(r"[a-z]+", ent.text))
            or not any(h.kind in _SCOPE_KINDS for h in ent.names)):
        return best
    return next((sc for sc in scores if sc[1].tool == "forecast"), best)


# Words around a service or provider named as what someone owns ("who owns our ec2 costs"): not a resource.
_OWNED_FILLER = re.compile(r"\b(?:the|our|my|all|of|whole|entire|total|costs?|bills?|spend(?:ing)?|charges?|usage|"
                           r"invoices?|account|stuff|thing|services?|provider|these days|nowadays|lately|now|"
                           r"currently|at the moment)\b|['’]s\b|[?.!,]")
# What a service's resources are called ("the s3 bucket", "the gke cluster"): with nothing else to tell one
# from the others, the kind of resource says no more than the service does.
_RESOURCE_KINDS = re.compile(r"\b(?:buckets?|databases?|dbs?|db instances?|clusters?|instances?|vms?|virtual machines?|"
                             r"datasets?|functions?|tables?|endpoints?|notebooks?|log groups?|volumes?|disks?|"
                             r"workspaces?|resources?)\b")


def _owner_of_service(ent: Entities, best: tuple[float, Intent] | None, by_name: dict[str, ToolSpec],
                      ) -> tuple[tuple[float, Intent] | None, Entities]:
    """"who owns ec2?", "which team pays for s3": a service (or provider) is no resource. who_owns would find one
    of its resources by the word and name that one's owner; the teams that pay for it are its spend by team.
    So are "the s3 bucket", "the gke cluster": the service and the kind of its resources, nothing that tells one
    from another. A resource named, or described beyond that ("the biggest s3 bucket"), keeps who_owns."""
    if best is None or best[1].tool != "who_owns" or ent.first("resource") is not None or "spend" not in by_name:
        return best, ent
    scopes = [h for h in ent.names if h.kind in ("service", "provider")]
    kinds = [h.kind for h in scopes]
    if not scopes or len(scopes) != len(ent.names) or len(set(kinds)) != len(kinds):
        return best, ent             # one service and/or its provider, nothing else named
    rest = OWNER_PREFIX.sub("", ent.text)
    for h in scopes:
        rest = re.sub(r"(?<![\w-])" + re.escape(h.span.lower()) + r"(?![\w-])", " ", rest)
    if ent.period:
        rest = rest.replace(ent.period.lower(), " ")
    if _OWNED_FILLER.sub(" ", _RESOURCE_KINDS.sub(" ", rest)).strip():
        return best, ent             # more than the service: "the biggest s3 bucket", "ec2 cluster llm-serving"
    spend = _main_intent("spend")
    if spend is None:
        return best, ent
    return (best[0], spend), replace(ent, group_by=["team", *[g for g in ent.group_by if g != "team"]])


def with_whole(args: dict[str, Any], ent: Entities) -> list[dict[str, Any]]:
    """"What share of X is Y?": the part (`args`) and the whole to divide it by: the same call without the
    names, except a name the share is said to be *of* ("share of our openai bill … is gpt-4.1": the whole is
    OpenAI's spend, not everyone's). Only `args` when nothing is scoped."""
    scoped = {k: v for k, v in args.items() if k in NAME_FIELDS and v}
    if not scoped:
        return [args]
    m = SHARE.search(ent.text)
    of = ent.text[m.end():m.end() + 60] if m else ""
    of = re.split(r"\b(?:is|was|are|were|goes|went|comes|came|does|did)\b|\?", of)[0]
    whole_names = {k for k, v in scoped.items() if any(
        h.name == v and re.search(r"(?<![\w-])" + re.escape(h.span) + r"(?![\w-])", of) for h in ent.names)}
    if len(whole_names) == len(scoped):
        whole_names = set()          # every name is in the "of" phrase: the whole is everything
    return [args, {k: v for k, v in args.items() if k not in scoped or k in whole_names}]


def _averages(ent: Entities, tools: list[str]) -> list[dict[str, Any]]:
    """The average the composer derives: per day of the period, or per GPU job of the job history."""
    if AVERAGE_PER_DAY.search(ent.text):
        return [{"kind": "average_per_day"}]
    if "job_runs" in tools and AVERAGE_PER_JOB.search(ent.text) and not re.search(GPU_HOURS, ent.text):
        return [{"kind": "average_per_job"}]      # (an average per GPU hour is job_runs' own, per_gpu_hour)
    return []


def derivations(ent: Entities, arg_sets: list[dict[str, Any]], tools: list[str] | None = None) -> list[dict[str, Any]]:
    """What the composer should derive from the results in Python (agent.derived): a cost per single unit,
    items counted per team, one model family's calls added up, a named target model's saving."""
    out: list[dict[str, Any]] = []
    if PER_ONE.search(ent.text) and not re.search(r"\bper (?:1k|1000|thousand|million|1m)\b", ent.text):
        per_unit: dict[str, Any] = {"kind": "per_unit"}
        ranked_by = PER_ONE_RANK.search(ent.text)
        if ranked_by is not None:        # "which model costs the most per call": the per-unit figures ranked
            per_unit["order"] = "asc" if re.match(r"cheap|least|low", ranked_by.group(0)) else "desc"
            unit = PER_ONE.search(ent.text)
            if unit is not None:
                per_unit["unit"] = re.findall(r"[a-z]+", unit.group(0))[-1]
        out.append(per_unit)
    m = RANK_BY.search(ent.text)
    if m:
        out.append({"kind": "rank", "by": m.group(1)})
    usage = USAGE_RANK.search(ent.text)
    if usage and "llm_spend" in (tools or []):      # "which app uses the most tokens": ranked by them, not cost
        out.append({"kind": "usage_rank", "by": "calls" if usage.group(2).startswith(("call", "request")) else "tokens",
                    "order": "asc" if usage.group(1) in ("fewest", "least", "lowest") else "desc"})
    models = [a.get("model") for a in arg_sets]
    if len(arg_sets) > 1 and all(models) and len(set(models)) == len(models):
        out.append({"kind": "combine", "field": "model", "values": models})
    target = ent.first("target_model")
    if target is not None:
        source = ent.first("model")           # "moving gpt-4.1 traffic to gpt-4.1-mini": that model's prompts only
        out.append({"kind": "target_model", "model": target, **({"source": source} if source not in (None, target) else {})})
    out += _averages(ent, tools or [])
    if MOVERS.search(ent.text) and "spend" in (tools or []):
        direction = ("both" if re.search(r"\bmovers?\b", ent.text) else "down" if MOVERS_DOWN.search(ent.text)
                     else "up" if MOVERS_UP.search(ent.text) else "both")
        out.append({"kind": "movers", "direction": direction, "limit": ent.top})   # "which 3 teams went up"
    if BUDGET_LEFT.search(ent.text) or ("budgets" in (tools or []) and LEFT.search(ent.text)):   # "how much of it is left?"
        out.append({"kind": "budget_left"})
    if SHARE.search(ent.text) and len(arg_sets) >= 2:
        out.append({"kind": "share"})
    if PER_HOUR.search(ent.text) and "waste" in (tools or []):
        out.append({"kind": "per_hour"})
    if asks_month_end(ent) and "forecast" in (tools or []) and "spend" in (tools or []):
        out.append({"kind": "month_end"})
    if ADD_UP.search(ent.text) and "budgets" in (tools or []):
        out.append({"kind": "budget_total"})
    return out


def decline(request: ActionRequest, ent: Entities, by_name: dict[str, ToolSpec]) -> PlanStep:
    """A request to change something: declined (finops is read-only), with the read-only answer about what
    it concerns when one tool clearly fits (what the idle endpoint costs, who owns the resource, ...)."""
    refusal: Reply = {"kind": "refusal", "text": request.refusal()}
    available = {t for t in READ_ALONG if t in by_name}
    scores = ranked(ent.cue_text or ent.text, available, frozenset(h.kind for h in ent.names))
    if not scores or scores[0][0] < THRESHOLD:
        return PlanStep(reply=refusal)
    intent = scores[0][1]
    try:
        arg_sets = fill(by_name[intent.tool], intent, ent)
    except NeedMore:
        return PlanStep(reply=refusal)
    step = _finish([(by_name[intent.tool], args) for args in arg_sets], replace(ent, unknown=[]), by_name)
    if not step.calls:
        return PlanStep(reply=refusal)
    step.preface = refusal
    return step


def about_previous(intent: Intent, ent: Entities, prev: Turn, by_name: dict[str, ToolSpec]) -> PlanStep | None:
    """A question about the previous answer's things, named only by a pronoun: "how much do they cost?",
    "which teams own them?" (the previous result answers it: its calls run again), "who owns it?", "how
    much did it cost last month?" (the tool is asked about the previous answer's first resource)."""
    prev_tools = [c["tool"] for c in prev.get("calls") or [] if c["tool"] in by_name]
    if not prev_tools:
        return None
    # A question about "them" that the previous tool's own result answers (their cost, their owners): the
    # previous calls run again, so the answer stays about the same items. Each result declares which.
    if PLURAL_REF.search(ent.text) and all(
            intent.tool in by_name[t].result_model.answers_about_listed for t in prev_tools):
        calls = [(by_name[c["tool"]], dict(c.get("args") or {})) for c in prev.get("calls") or [] if c["tool"] in by_name]
        step = _finish(calls, ent, by_name)
        step.derive = derivations(ent, [a for _, a in calls], [s.name for s, _ in calls])
        return step
    subjects = prev.get("subjects") or []
    field_name = SUBJECT_FIELD.get(intent.tool)
    if SINGULAR_REF.search(ent.text) and subjects and field_name is not None:
        spec = by_name[intent.tool]
        # "it" after a list of several things is ambiguous: an owner question answers for the first few
        several = intent.tool == "who_owns" and len(subjects) > 1
        chosen = subjects[:MAX_SUBJECTS] if several else subjects[:1]
        subject_calls: list[tuple[ToolSpec, dict[str, Any]]] = []
        for subject in chosen:
            try:
                arg_sets = fill(spec, intent, ent, {field_name: subject})
            except NeedMore:
                return None
            subject_calls += [(spec, {**args, field_name: subject}) for args in arg_sets]
        step = _finish(subject_calls, ent, by_name)
        if several and step.calls:
            step.preface = {"kind": "answer", "text": (
                f"The previous answer listed {len(subjects)} things; here is who owns the first {len(chosen)}, "
                "in its order:")}
        return step
    return None


def fill(spec: ToolSpec, intent: Intent, ent: Entities, base: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Arguments for `spec` from the question's entities, by field name, then the tool's hook (which may
    ask for several calls, e.g. one per model of a family)."""
    fields = spec.args_model.model_fields
    props = _properties(spec)
    args: dict[str, Any] = {k: v for k, v in (base or {}).items() if k in fields}
    args.update({k: v for k, v in intent.preset.items() if k in fields})
    if "period" in fields and ent.period:
        args["period"] = ent.period
    for gf in GROUP_FIELDS:
        if gf in fields and ent.group_by:
            allowed = _choices(props.get(gf, {}))
            pick = next((g for g in ent.group_by if not allowed or g in allowed), None)
            if pick:
                args[gf] = pick
    compared = _compared_kind(ent)
    if compared is not None:
        compare_field = next((g for g in GROUP_FIELDS if g in fields), None)
        dim = KIND_DIMENSION.get(compared, compared)
        if compare_field is not None and dim in _choices(props.get(compare_field, {})):
            args[compare_field] = dim                       # "prod vs dev": group by env, filter neither
            ent = _without_kind(ent, compared)
    if "top" in fields and ent.top:
        args["top"] = ent.top
    _ranking_args(spec, args, ent)
    _check_average(spec, ent)
    _check_unnamed_ranking(spec, args, ent)
    if "amount" in fields and ent.amounts and "amount" not in args:
        args["amount"] = str(ent.amounts[0])
    used_spans: set[str] = set()
    inherited = set(base or {})
    for hit in ent.names:                       # each name as written fills one field (its first kind)
        fname = next((f for f, k in NAME_FIELDS.items() if k == hit.kind and f in fields), None)
        if fname is None or (fname in args and fname not in inherited) or hit.span in used_spans \
                or not _accepts_str(props.get(fname, {})):
            continue
        inherited.discard(fname)
        args[fname] = hit.name
        used_spans.add(hit.span)
    for kind, raw, _ in ent.unknown:
        fname = next((f for f, k in NAME_FIELDS.items() if k == kind and f in fields and f not in args), None)
        if fname is not None:
            args[fname] = raw   # the tool resolves it and answers "unknown ...; did you mean ...?"
    hook = HOOKS.get(spec.name)
    if hook is None:
        return [args]
    out = hook(args, ent, spec)   # may raise NeedMore
    return out if isinstance(out, list) else [out]


def _movers_without_comparison(state: AgentState) -> PlanStep | None:
    """"which cloud grew the most in Q3 over Q2?" with no billing data for Q2, or with data for part of it
    ("which service grew fastest since september" against 85 days of which the data holds 5: +1905%): the
    change cannot be ranked, so the question gets that said and no figure (the period's own totals answer
    another question)."""
    if not MOVERS.search(normalise(state.get("question", ""))):
        return None
    for o in state.get("outcomes") or []:
        result = o.get("result") or {}
        if o.get("tool") != "spend" or not o.get("ok"):
            continue
        previous = (result.get("previous") or {}).get("label") or "the period before"
        starts = result.get("previous_partial_from")
        if result.get("previous_total_billed") is None or starts:
            why = (f"the billing data starts {starts} and covers {previous} only in part" if starts
                   else f"there is no billing data for {previous} to compare with")
            return PlanStep(reply={"kind": "did_you_mean", "suggestions": [], "withdraw": True, "text": (
                f"I cannot rank the changes: {why}, so I give no figure. Ask about a period whose previous "
                "period the data covers (e.g. 'last month').")})
    return None


def _ranking_args(spec: ToolSpec, args: dict[str, Any], ent: Entities) -> None:
    """Smallest first ("who spent the least"), and every row's change for a movers question."""
    if "order" in spec.args_model.model_fields and ent.ascending:
        args["order"] = "asc"
    if spec.name == "spend" and MOVERS.search(ent.text):
        args.update(compare=True, top=100)     # every row's change against the compared period (agent.derived.movers)
        _check_movers_comparison(args, ent)


def _check_average(spec: ToolSpec, ent: Entities) -> None:
    """"avg monthly spend over the last 6 months": no tool computes an average per month, week, quarter or
    year, and the period's total is not one: asked back, with the query that shows each month."""
    average = AVERAGE_PER_SPAN.search(ent.text)
    if average and spec.name in ("spend", "query_costs", "llm_spend"):
        unit = next(g for g in average.groups() if g) if any(average.groups()) else "year"
        by = unit if unit in ("month", "week") else None
        ask = (f"Ask for 'spend by {by} over {ent.period or 'the last 3 months'}' to see each {by}'s figure, or for "
               "the period's total." if by else "Ask for the period's total, or for spend by month over it.")
        raise NeedMore({"kind": "did_you_mean", "suggestions": [], "text": (
            f"I don't compute an average per {unit}, and the period's total is not one, so I give no figure. {ask}")})


def _check_unnamed_ranking(spec: ToolSpec, args: dict[str, Any], ent: Entities) -> None:
    """"what did we pay the most for in october?" names no dimension to rank by: the period's total (with a
    breakdown by whichever dimension) is not the answer, so it is asked back with the rankings there are."""
    if spec.name not in ("spend", "query_costs") or args.get("group_by") or ent.group_by:
        return
    if UNNAMED_RANKING.search(ent.text):
        period = str(ent.period or "")
        when = "" if not period else f" {period}" if re.match(r"(?:last|this|past|previous|the)\b", period) else f" in {period}"
        raise NeedMore({"kind": "did_you_mean", "suggestions": [
            f"which service did we pay the most for{when}?", f"top resources{when}", f"spend by team{when}"],
            "text": ("The most of what? I rank spend by service, resource, team, provider, region, account or "
                     f"project, so I give no figure until you name one: e.g. 'which service cost the most{when}?'")})


def _with_the_compared_period(step: PlanStep, ent: Entities) -> PlanStep | None:
    """None when the calls honour the question's compared period; else the one query_costs call that compares
    with it ("how is research doing this month vs last month": spend compares with the days just before), or,
    when the semantic model cannot express the question, a reply asking for it (no figure)."""
    dropped = _comparison_not_honoured(step, ent)
    if dropped is None:
        return None
    by_name = {t.name: t for t in registry.all()}
    args = semantic_args(ent, cost_question=True) if all(c["tool"] == "spend" for c in step.calls) else None
    if args is None or "compare_to" not in args or "query_costs" not in by_name:
        return PlanStep(reply=dropped)
    return _finish([(by_name["query_costs"], args)], ent, by_name)


def _order_not_honoured(step: PlanStep, ent: Entities) -> Reply | None:
    """A list of GPU jobs asked for in an order its calls do not list it in ("which jobs ran shortest"): the
    answer would list the most expensive first as if they were what was asked."""
    m = ORDER_WORD.search(ent.text)
    jobs = [c for c in step.calls if c["tool"] == "job_runs"]
    if m is None or not jobs:
        return None
    wanted = JOB_ORDER_WORDS.get(m.group(1))
    if wanted is not None and all(c["args"].get("order") == wanted for c in jobs):
        return None
    ask = "which gpu jobs ran longest" + (f", {ent.period}" if ent.period else "")
    return {"kind": "did_you_mean", "suggestions": [ask], "text": (
        f"I can list GPU jobs by cost, by hours run (longest first) or by start (latest first), but not "
        f"'{m.group(1)}' first, so I give no figure for that question. Ask e.g. '{ask}'.")}


def _comparison_not_honoured(step: PlanStep, ent: Entities) -> Reply | None:
    """A second period read as the one compared with ("yesterday vs the same day a week before") that no call
    compares against: the answer would be the first period alone, or against the period just before it."""
    if not ent.period_compared or ent.today is None or any("compare_to" in c["args"] for c in step.calls):
        return None
    try:
        other = parse_period(ent.period_compared, ent.today)
        periods = [parse_period(str(c["args"].get("period") or ent.period), ent.today) for c in step.calls]
    except FinopsError:
        return None
    if periods and all(p.previous().start == other.start and p.previous().end == other.end for p in periods):
        return None           # the tool's own comparison is the one asked for ("october vs september")
    return {"kind": "did_you_mean", "suggestions": [f"spend {ent.period} vs {ent.period_compared}"], "text": (
        f"I read a comparison of {ent.period} with {ent.period_compared}, but the tool I would use does not "
        f"compare with that period, so I give no figure for it. Ask for the two totals, e.g. "
        f"'spend {ent.period} vs {ent.period_compared}'.")}


def _check_movers_comparison(args: dict[str, Any], ent: Entities) -> None:
    """Spend compares a period with the one just before it: a movers question naming another period to compare
    with ("november vs august") is asked back, never answered against the wrong period."""
    if not ent.period_compared or ent.today is None:
        return
    try:
        period = parse_period(str(args.get("period") or ent.period), ent.today)
        other = parse_period(ent.period_compared, ent.today)
    except FinopsError:
        return
    if other.start != period.previous().start:
        raise NeedMore({"kind": "did_you_mean", "suggestions": [], "text": (
            f"I rank changes against the period just before {period.describe()} ({period.previous().describe()}), "
            f"not against '{ent.period_compared}', so I give no figure for that comparison. Ask without the second "
            f"period, or compare the two totals ('spend in {ent.period_compared} vs {ent.period}').")})


def _semantic_step(ent: Entities, best: tuple[float, Intent] | None, prev: Turn | None,
                   by_name: dict[str, ToolSpec]) -> PlanStep | None:
    """A question only the semantic model expresses (a FOCUS measure, dimension or filter word) as one
    query_costs call; a follow-up ("and by charge category?") keeps the previous turn's period."""
    if "query_costs" not in by_name or ent.unknown:
        return None
    if MOVERS.search(ent.text):
        return None   # "which services got cheaper in november vs october?": spend's per-row change answers it
    if prev is not None and not any(c["tool"] in ("spend", "query_costs") for c in prev.get("calls") or []):
        return None   # a follow-up of another tool's answer ("by app instead" after LLM spend) stays there
    if prev is not None and (PLURAL_REF.search(ent.text) or SINGULAR_REF.search(ent.text)):
        return None
    if best is not None and best[1].tool not in ("spend", "query_costs") and best[0] >= STRONG:
        return None
    # "top 5 compute resources last month": a ranking of a breakdown with no other tool's cue is one of cost
    ranking = best is None and ent.top is not None and bool(ent.group_by)
    args = semantic_args(ent, cost_question=ranking or (best is not None and best[1].tool == "spend"))
    if args is None:
        return None
    only_concepts = (args["measures"] == ["billed_cost"] and not args["group_by"])
    if only_concepts and best is not None and (best[1].tool not in ("spend", "query_costs") or getattr(best[1], "preset", None)):
        return None   # "all this AI costing us?": a filter word alone does not outrank the tool the intent chose
    if prev is not None and "period" not in args:
        period = next((c.get("args", {}).get("period") for c in prev.get("calls") or [] if c.get("args", {}).get("period")), None)
        if period:
            args["period"] = period
    return _finish([(by_name["query_costs"], args)], ent, by_name)


def _finish(calls: list[tuple[ToolSpec, dict[str, Any]]], ent: Entities, by_name: dict[str, ToolSpec]) -> PlanStep:
    planned: list[PlannedCall] = []
    for n, (spec, args) in enumerate(calls):
        # A name the question misspells that no argument of the tool can carry: ask, do not drop it.
        for kind, raw, suggestions in ent.unknown:
            if not any(v == raw for v in args.values()):
                return _did_you_mean(kind, raw, suggestions)
        planned.append(PlannedCall(id=f"offline_{n}", tool=spec.name, args=args))
    return PlanStep(calls=planned)


def _did_you_mean(kind: str, raw: str, suggestions: list[str]) -> PlanStep:
    exc = UnknownNameError(kind, raw, suggestions)
    return PlanStep(reply={"kind": "did_you_mean", "text": str(exc)[0].upper() + str(exc)[1:],
                           "suggestions": suggestions})


def _compared_kind(ent: Entities) -> str | None:
    """The kind of two or more names compared in the question ("prod vs dev", "search and recsys")."""
    if not re.search(r"\bvs\.?\b|\bversus\b|\bcompared? (?:to|with)\b|\band\b|\bor\b|\b(?:more|less|fewer) than\b"
                     r"|\+|\bplus\b", ent.text):
        return None
    for kind in dict.fromkeys(h.kind for h in ent.names):
        if len({h.name for h in ent.names if h.kind == kind}) >= 2:
            return kind
    return None


def _without_kind(ent: Entities, kind: str) -> Entities:
    return replace(ent, names=[h for h in ent.names if h.kind != kind])


def _override(spec: ToolSpec, prev_args: dict[str, Any], ent: Entities, earlier_than: date | None = None,
              *, replace_names: bool = False) -> tuple[ToolSpec, dict[str, Any]]:
    """The previous call with what the follow-up changes: period ("the week before": the period before
    the previous one, relative to `earlier_than` = today), grouping, names (added to the previous
    filters, or replacing them), top."""
    fields = spec.args_model.model_fields
    props = _properties(spec)
    args = dict(prev_args)
    if replace_names and (ent.names or ent.unknown):
        args = {k: v for k, v in args.items() if k not in NAME_FIELDS}
    if "period" in fields and ent.period:
        args["period"] = ent.period
    elif "period" in fields and earlier_than is not None:
        shown = spec.args_model.model_fields["period"].default
        try:
            before = period_before(parse_period(args.get("period") or shown, earlier_than), ent.text)
        except FinopsError:
            before = None
        if before is not None:
            args["period"] = f"{before.start.isoformat()}..{before.last_day.isoformat()}"
    for gf in GROUP_FIELDS:
        if gf in fields and ent.group_by:
            allowed = _choices(props.get(gf, {}))
            pick = next((g for g in ent.group_by if not allowed or g in allowed), None)
            if pick:
                args[gf] = pick
    if "top" in fields and ent.top:
        args["top"] = ent.top
    for fname, kind in NAME_FIELDS.items():
        found = ent.first(kind)
        if fname in fields and found is not None and _accepts_str(props.get(fname, {})):
            args[fname] = found
    for kind, raw, _ in ent.unknown:
        unknown_field = next((f for f, k in NAME_FIELDS.items() if k == kind and f in fields), None)
        if unknown_field is not None:
            args[unknown_field] = raw
    args = rescoped(args, ent, spec)
    hook = HOOKS.get(spec.name)
    if hook is not None and spec.name in FOLLOW_HOOKS:
        out = hook(args, ent, spec)   # numbers the follow-up changes ("with 32 GPUs", "for 48 hours")
        args = out[0] if isinstance(out, list) else out
    return spec, args


def period_before(period: Period, text: str) -> Period:
    """"The week before" / "the day before" / "the month before" a period, or the period of the same
    length just before it ("before that", "the one before")."""
    m = re.search(r"\b(day|week|month)s? before\b|\bprior (day|week|month)\b|\ba (week|month) earlier\b", text)
    unit = next((g for g in m.groups() if g), None) if m else None
    if unit == "day":
        return Period(start=period.start - timedelta(days=1), end=period.start, label="the day before")
    if unit == "week":
        return Period(start=period.start - timedelta(days=7), end=period.start, label="the week before")
    if unit == "month" and period.days < 28:
        start = (period.start.replace(day=1) - timedelta(days=1)).replace(day=1)
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return Period(start=start, end=end, label=start.strftime("%B %Y"))
    return period.previous()


def _inherit(spec: ToolSpec, prev: Turn) -> dict[str, Any]:
    """What a "those"/"them" question takes from the previous turn: its period, and the longest list the
    tool can give (so the rows of "those" are more likely among the rows it returns)."""
    fields = spec.args_model.model_fields
    out: dict[str, Any] = {}
    for call in prev.get("calls") or []:
        period = (call.get("args") or {}).get("period")
        if period and "period" in fields:
            out["period"] = period
            break
    top = _properties(spec).get("top", {})
    if "top" in fields and isinstance(top.get("maximum"), int):
        out["top"] = top["maximum"]
    return out


def _focus(prev: Turn) -> list[list[str]]:
    return [k if isinstance(k, list) else [str(k)] for k in prev.get("keys") or [] if k]


def _same_tool(intent: Intent, prev: Turn) -> bool:
    return any(c["tool"] == intent.tool for c in prev.get("calls") or [])


@lru_cache(maxsize=64)
def _schema(spec: ToolSpec) -> dict[str, Any]:
    return spec.args_model.model_json_schema()


def _properties(spec: ToolSpec) -> dict[str, Any]:
    return _schema(spec).get("properties", {})


def _choices(prop: dict[str, Any]) -> list[str]:
    if "enum" in prop:
        return list(prop["enum"])
    for alt in prop.get("anyOf", []):
        if "enum" in alt:
            return list(alt["enum"])
    return []


def _accepts_str(prop: dict[str, Any]) -> bool:
    types = {prop.get("type")} | {a.get("type") for a in prop.get("anyOf", [])}
    return "string" in types or not (types - {None})

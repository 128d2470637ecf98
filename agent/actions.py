"""Requests to change something ("delete all untagged resources", "stop the endpoint", "set the budget to
$1M"): finops only reads the store, so they are declined politely, with what it can do instead.

A request is an imperative sentence whose verb is one of ACTIONS (after an optional "please" / "can you" /
"@finops"); a question about an action ("what would stopping it save?", "should we delete them?") is not a
request and is answered as usual. Alongside the refusal the planner may still run the read-only tool that
shows what the action would concern or save (waste, remediations, tag audit, budgets, owner): READ_ALONG.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# verb pattern -> what the person asked for, in the refusal's words.
ACTIONS: tuple[tuple[str, str], ...] = (
    (r"delete|remove|destroy|purge|wipe|erase|drop", "delete or drop anything"),
    (r"stop|terminate|kill|shut\s?down|shut (?:it |them |this |that )?(?:down|off)|turn off|switch off|power off|disable"
     r"|pause|suspend|cancel|scale(?=.*\b(?:down|to zero|to 0|in)\b)|deprovision|decommission",
     "stop, scale down or shut down resources"),
    (r"set|change|update|modify|edit|raise|increase|lower|decrease|bump|reset|rename", "change settings, budgets or data"),
    (r"re-?tag|tag|untag|label|assign|re-?assign|transfer", "change tags or ownership"),
    (r"restart|reboot|start|launch|deploy|provision|create|buy|purchase|reserve|book", "start or buy resources"),
    (r"insert|alter|truncate|grant|revoke|execute|exec", "change the store"),
)
# What may come before the verb of a request.
_LEAD = (r"^\s*(?:@\w+[\s,:]+)?(?:(?:hey|hi|ok|okay|now|pls|please|kindly|just|go ahead and|finops)[\s,!:]+)*"
         r"(?:(?:can|could|would|will) you (?:please |kindly |just )?|i (?:want|need) you to |you should |"
         r"(?:let'?s|lets) )?(?:please |just |go ahead and )?")
# Objects that make "set"/"change"/"tag"... a request about the data (not "set up a report for me").
_DATA_OBJECT = re.compile(r"\b(?:budgets?|tags?|owners?|ownership|labels?|limits?|thresholds?|alerts?|prices?|rates?|"
                          r"endpoints?|jobs?|clusters?|resources?|instances?|buckets?|replicas?|replication|models?|"
                          r"tables?|rows?|data|records?|charges?|bills?|invoices?|gpus?|nodes?|runs?|prompts?|"
                          r"accounts?|projects?|teams?|zombies?|everything|all|them|it|those|these|"
                          r"(?:\d+\s?x?\s?)?(?:h100|h200|a100|l40s|a10g|l4|b200|v100|t4)s?)\b")
# What follows the verb of a request: a determiner or pronoun, or a thing to change within a few words;
# a preposition makes the word a noun ("drop in spend", "change in cost", "update on the budget").
_DETERMINER = re.compile(r"\s*(?:the|all|a|an|my|our|your|their|this|that|these|those|every|each|any|it|them|"
                         r"everything|[\w-]+'s)\b")
_PREPOSITION = re.compile(r"\s*(?:in|on|of|for|by|from|since|over|to|at|between|vs|versus|and|or|up)\b")
# The read-only tools that may run alongside a refusal: what the action would concern, or save.
READ_ALONG: tuple[str, ...] = ("waste", "remediations", "tag_audit", "budgets", "who_owns", "estimate")

REFUSAL = (
    "I can't {what}: finops is read-only. It reads billing and usage data and never changes resources, tags, "
    "budgets or the store. What I can do is show what the change concerns (what it costs, who owns it, what "
    "it would save) and propose changes as commands or edits for a person to review and apply (ask \"what "
    "should we fix first?\" for the remediations, each with its command)."
)


@dataclass(frozen=True)
class ActionRequest:
    verb: str
    what: str

    def refusal(self) -> str:
        return REFUSAL.format(what=self.what)


def action_request(text: str) -> ActionRequest | None:
    """The change `text` (normalised, lower case) asks finops to make, or None when it asks a question."""
    for verbs, what in ACTIONS:
        m = re.match(_LEAD + rf"({verbs})\b(?!-)(?P<rest>.*)$", text)
        if m is None:
            continue
        rest = m.group("rest")
        if _PREPOSITION.match(rest) or re.match(r"\s*(?:me|us)\b", rest):
            continue   # "drop in spend", "set up a report", "start me a report": not a change to the data
        head = " ".join(rest.split()[:3])
        if not _DETERMINER.match(rest) and not _DATA_OBJECT.search(head):
            continue
        if not _DATA_OBJECT.search(rest):
            continue
        return ActionRequest(verb=m.group(1), what=what)
    return None

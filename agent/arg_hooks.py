"""Per-tool argument hooks of the offline planner: what the generic field filling (period, group-by,
names by field name) cannot know. One small function per tool, keyed by tool name in HOOKS.

A hook may raise `NeedMore` with a reply when the question lacks what the tool needs (the planner then
asks for it instead of calling the tool with made-up inputs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from agent.entities import Entities
from agent.intents import GPU_HOURS, ORDER_WORDS
from agent.state import Reply
from knowledge.errors import FinopsError
from tools.periods import is_month_name, parse_period
from tools.registry import ToolSpec

Hook = Callable[[dict[str, Any], Entities, ToolSpec], "dict[str, Any] | list[dict[str, Any]]"]


class NeedMore(Exception):
    def __init__(self, reply: Reply):
        super().__init__(reply.get("text", ""))
        self.reply = reply


def _fields(spec: ToolSpec) -> dict[str, Any]:
    return spec.args_model.model_fields


def _set(args: dict[str, Any], spec: ToolSpec, name: str, value: Any) -> None:
    if value is not None and name in _fields(spec):
        args[name] = value


# -- who_owns --------------------------------------------------------------------------------------------
OWNER_PREFIX = re.compile(
    r"^\s*(?:(?:so|and|ok|hey)[, ]+)?(?:who|which team|what team|whose team)\s+(?:owns|is responsible for|runs|pays for|is behind|"
    r"created|launched|started|is the owner of|owns the|does)\s*|^\s*(?:who'?s|who is) the owner of\s*|"
    r"^\s*(?:who(?:'s| is| are)?\s+(?:paying|footing the bill) for|who foots the bill for)\s*|"   # "who's paying for X"
    r"^\s*(?:who'?s|who is|who are)\s+(?:responsible for|in charge of|behind)\s*|"
    r"^\s*(?:whose|owner of)\s+(?:is\s+)?", re.IGNORECASE)


def who_owns(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    resource = ent.first("resource")
    if resource is None:
        text = OWNER_PREFIX.sub("", ent.question).strip().rstrip("?.! ")
        text = re.sub(r"\s+(?:belong to|belongs to)$", "", text, flags=re.IGNORECASE)
        resource = text or ent.question
    args["resource"] = resource
    return args


# -- estimate ----------------------------------------------------------------------------------------------
_GPU = re.compile(r"(?<![\w.])(\d+)\s?(?:x\s?)?(h100|h200|a100|l40s|a10g|l4|b200|v100|t4)s?\b")
_GPU_COUNT_FIRST = re.compile(r"(?<![\w.])(\d+)[\s-]?gpus?\b(?:\s(?:of\s)?(h100|h200|a100|l40s|a10g|l4|b200|v100|t4)s?\b)?")
_GPU_TYPE_FIRST = re.compile(r"\b(h100|h200|a100|l40s|a10g|l4|b200|v100|t4)s?\s?(?:x|\*)\s?(\d+)\b")
_GPU_ONLY = re.compile(r"\b(h100|h200|a100|l40s|a10g|l4|b200|v100|t4)s?\b")
_INSTANCE = re.compile(r"\b([a-z]\d[a-z0-9-]*\.\d*x?large)\b")
_HOURS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(hours?|hrs?|h|days?|weeks?)\b")
_STEPS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(k)?\s?steps\b")
_SEC_PER_STEP = re.compile(r"(\d+(?:\.\d+)?)\s?(?:s|sec|secs|seconds?)\s?(?:per|/|a)\s?step\b")
_CALLS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(k|m|thousand|million)?\s?(?:[a-z][\w.-]*\d[\w.-]*\s)?(?:calls|requests)\b")
_IN_TOK = re.compile(r"(\d+)\s?(?:input|prompt|in)(?: tokens)?\b")
_OUT_TOK = re.compile(r"(\d+)\s?(?:output|completion|out)(?: tokens)?\b")
_BUDGET = re.compile(r"\bbudget(?: of| is|:)?\s?\$?\s?(\d[\d.]*)\s?(k|m)?\b")
_KINDS = (("fine-tune", r"\bfine-?\s?tun"), ("batch-inference", r"\bbatch inference\b"),
          ("sweep", r"\bsweep\b"), ("experiment", r"\bexperiment\b"), ("training", r"\btrain"))
_SCALE = {"k": 1000, "thousand": 1000, "m": 10**6, "million": 10**6}

NEED_JOB = (
    "I can't approve or check a figure on its own: I estimate a job from the price catalog and its budget. "
    "Tell me the job, for example 'estimate 64 H100s for 72 hours for team search with a budget of $50K', "
    "or run `finops estimate job.yaml --budget 50000` with a manifest."
)


def estimate(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    """Estimate arguments from free text ("64 H100s for 72 h on spot for search, approve?"): the same
    fields a manifest has, so the answer is the same estimate the CLI gives for that manifest."""
    t = ent.text
    _estimate_gpus(args, t, spec)
    _estimate_duration(args, t, spec)
    _estimate_words(args, t, spec)
    _estimate_llm_batch(args, ent, spec)
    _estimate_resize(args, t, spec)
    concrete = any(k in args for k in ("gpu_type", "instance_type", "calls"))
    if not concrete:
        raise NeedMore({"kind": "refusal", "text": NEED_JOB})
    if args.get("providers") not in (None, "aws") and "region" not in args and "instance_type" not in args:
        # 'on gcp' with no region: the default region (us-east-1) is AWS's, so pricing it would answer for
        # another cloud. Ask for the region instead of guessing one.
        raise NeedMore({"kind": "did_you_mean", "suggestions": [], "text": (
            f"I price a run in one region: which {args['providers'].upper()} region should this run in? "
            "Ask again with it (e.g. 'in us-central1', 'in europe-west4', 'in eastus'); I give no figure for "
            "a cloud without its region.")})
    if "budget" not in args and ent.amounts and re.search(r"\bapprove|\bbudget|\bwithin\b|\bfit\b", t):
        _set(args, spec, "budget", str(max(ent.amounts)))
    return args


def _estimate_gpus(args: dict[str, Any], t: str, spec: ToolSpec) -> None:
    """GPU count and type ("64 H100s", "H100 x 8", "8 GPUs ... A100") and an instance type."""
    m = _GPU.search(t)
    if m:
        _set(args, spec, "gpu_count", int(m.group(1)))
        _set(args, spec, "gpu_type", m.group(2).upper())
    elif (m := _GPU_TYPE_FIRST.search(t)) is not None:
        _set(args, spec, "gpu_type", m.group(1).upper())
        _set(args, spec, "gpu_count", int(m.group(2)))
    else:
        m = _GPU_COUNT_FIRST.search(t)
        if m:
            _set(args, spec, "gpu_count", int(m.group(1)))
        only = _GPU_ONLY.search(t)
        if only:
            _set(args, spec, "gpu_type", only.group(1).upper())
    m = _INSTANCE.search(t)
    if m:
        _set(args, spec, "instance_type", m.group(1))


# A rate asked of a job with no duration: "daily cost", "per month", "an hour" (720 hours: a 30-day month)
_RATE_HOURS = re.compile(r"\b(daily|weekly|monthly|hourly)\b|\b(?:per|a|an|each)\s+(day|week|month|hour)\b")


# "8xH100 serving cluster, daily cost?" may be the cluster that runs today, not a job to price: no rate is assumed
_RUNNING_THING = re.compile(r"\b(?:cluster|endpoint|deployment|instance|node|server|fleet)s?\b")


def _estimate_duration(args: dict[str, Any], t: str, spec: ToolSpec) -> None:
    """Hours ("72 h", "3 days", "2 weeks"), or steps with seconds per step."""
    m = _HOURS.search(t)
    if m:
        n, unit = Decimal(m.group(1)), m.group(2)
        hours = n * (24 if unit.startswith("day") else 168 if unit.startswith("week") else 1)
        _set(args, spec, "hours", str(hours))
    elif ((rate := _RATE_HOURS.search(t)) is not None and "hours" not in args and not _STEPS.search(t)
          and not _RUNNING_THING.search(t)):
        # "8xH100 serving cluster, daily cost?": the cost of one day (week, month, hour) of it
        _set(args, spec, "hours", {"daily": "24", "day": "24", "weekly": "168", "week": "168", "monthly": "720",
                                   "month": "720", "hourly": "1", "hour": "1"}[rate.group(1) or rate.group(2)])
    m = _STEPS.search(t)
    s = _SEC_PER_STEP.search(t)
    if m and s and "hours" not in args:
        _set(args, spec, "steps", int(Decimal(m.group(1)) * (1000 if m.group(2) else 1)))
        _set(args, spec, "seconds_per_step", s.group(1))


# "double the GPUs", "half the hours", "3x the nodes": the job the previous turn priced, resized (a follow-up
# keeps the previous call's arguments, so the count or duration to scale is already there).
_RESIZE_WORDS = {"double": Decimal(2), "twice": Decimal(2), "triple": Decimal(3), "quadruple": Decimal(4),
                 "half": Decimal("0.5"), "halve": Decimal("0.5")}
_RESIZE = re.compile(r"\b(double|twice|triple|quadruple|halve|half|(\d+(?:\.\d+)?)\s?x)\s+(?:the\s+|as\s+many\s+|"
                     r"our\s+|its\s+|that\s+|those\s+)?(gpus?|gpu count|nodes?|instances?|hours?|hrs?|duration|time|"
                     r"run ?time|days?)\b")


def _estimate_resize(args: dict[str, Any], t: str, spec: ToolSpec) -> None:
    m = _RESIZE.search(t)
    if m is None:
        return
    factor = Decimal(m.group(2)) if m.group(2) else _RESIZE_WORDS[m.group(1)]
    what = m.group(3)
    if what.startswith(("gpu", "node", "instance")):
        if "gpu_count" in args:
            count = Decimal(args["gpu_count"]) * factor
            if count == count.to_integral_value() and count >= 1:
                _set(args, spec, "gpu_count", int(count))
    elif "hours" in args and not _HOURS.search(t):
        hours = Decimal(str(args["hours"])) * factor
        _set(args, spec, "hours", str(hours.quantize(Decimal(1)) if hours == hours.to_integral_value() else hours.normalize()))


def _estimate_words(args: dict[str, Any], t: str, spec: ToolSpec) -> None:
    """Pricing model, job kind and budget named in words."""
    for value, pattern in (("spot", r"\bspot\b"), ("reserved", r"\breserved\b|\bri\b"), ("on-demand", r"\bon-?demand\b")):
        if re.search(pattern, t):
            _set(args, spec, "pricing", value)
            break
    for kind, pattern in _KINDS:
        if re.search(pattern, t):
            _set(args, spec, "kind", kind)
            break
    m = _BUDGET.search(t)
    if m:
        _set(args, spec, "budget", str(Decimal(m.group(1)) * _SCALE.get(m.group(2) or "", 1)))
    clouds = sorted({code for code, pattern in _CLOUDS if re.search(pattern, t)})
    if clouds:
        _set(args, spec, "providers", ",".join(clouds))      # 'on gcp': the run must be priced there


_CLOUDS = (("aws", r"\b(?:aws|amazon)\b"), ("gcp", r"\b(?:gcp|google cloud|google)\b"),
           ("azure", r"\b(?:azure|microsoft)\b"))


def _estimate_llm_batch(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> None:
    """An LLM batch: a model plus a number of calls (and tokens per call)."""
    t = ent.text
    calls = _CALLS.search(t)
    # a model of the price catalog the store never called can be estimated ("1M gpt-4o-mini calls")
    model = ent.first("model") or ent.first("target_model") or args.get("model") or next(iter(ent.catalog_models), None)
    if calls and model and "gpu_type" not in args and "instance_type" not in args:
        args["kind"] = "llm-batch"
        _set(args, spec, "model", model)
        _set(args, spec, "calls", int(Decimal(calls.group(1)) * _SCALE.get(calls.group(2) or "", 1)))
        m = _IN_TOK.search(t)
        if m:
            _set(args, spec, "input_tokens", int(m.group(1)))
        m = _OUT_TOK.search(t)
        if m:
            _set(args, spec, "output_tokens", int(m.group(1)))
    elif "model" in args and "gpu_type" in args:
        del args["model"]


# -- llm_spend -----------------------------------------------------------------------------------------------
# "GPT-4-class models": every model of the store in that class (one call each), small tiers excluded;
# "claude models", "the gpt-4 family": every model of the family, small ones too (haiku is a Claude model).
_FAMILY = re.compile(r"\b(gpt-?4|gpt-?5|gpt-?3\.?5|claude|sonnet|opus|haiku|llama|gemini|mistral)"
                     r"(?:[\s-]?(class|family|series|tier|models?|line))\b")
_SMALL = re.compile(r"mini|nano|small|lite|flash|haiku")
MAX_FAMILY_CALLS = 4


def family_models(family: str, models: list[str], *, small: bool = False) -> list[str]:
    key = family.replace("-", "").replace(".", "")
    out = []
    for m in models:
        folded = m.lower().replace("-", "").replace(".", "")
        if folded.startswith(key) or (key in ("sonnet", "opus", "haiku") and key in folded):
            if not small and key not in ("haiku",) and _SMALL.search(m.lower()):
                continue
            out.append(m)
    return out


def llm_spend(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any] | list[dict[str, Any]]:
    m = _FAMILY.search(ent.text)
    if m and "model" in _fields(spec) and "model" not in args:
        models = family_models(m.group(1), ent.known.get("model", []), small=m.group(2) not in ("class", "tier"))
        if len(models) > MAX_FAMILY_CALLS:
            # added up, the first few would be a total of part of the family: ask instead of dropping the rest
            raise NeedMore({"kind": "did_you_mean", "suggestions": models, "text": (
                f"The {m.group(1)} {m.group(2)} has {len(models)} models in the data ({', '.join(models)}); I add up "
                f"at most {MAX_FAMILY_CALLS}, so I give no total for all of them. Ask for LLM spend by model, or "
                "for the provider's spend.")})
        if models:
            if "group_by" in _fields(spec) and "group_by" not in args:
                args["group_by"] = "team"
            return [{**args, "model": model} for model in models]
    return args


# -- scoped tools: one `name` plus the kind of scope it is -------------------------------------------------
# (tool, scope field) -> [(name kind found in the question, scope value)], first match wins.
_SCOPES: dict[str, tuple[str | None, list[tuple[str, str]]]] = {
    "anomalies": ("scope", [("service", "service"), ("model", "model"), ("project", "project"), ("resource", "resource")]),
    "forecast": ("scope", [("team", "team"), ("service", "service"), ("model", "model"), ("project", "project"),
                           ("provider", "provider")]),
    "budgets": ("scope_kind", [("team", "team"), ("project", "project"), ("service", "service")]),
    "unit_costs": ("by", [("app", "app"), ("project", "training_run"), ("model", "model"), ("feature", "feature"),
                          ("customer", "customer"), ("resource", "endpoint")]),
}


def rescoped(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    """A scoped tool's previous arguments with the scope a follow-up names ("and for research?" after
    recsys's budget): the new name replaces the old one; unchanged when the follow-up names none."""
    if spec.name not in _SCOPES:
        return args
    scope_field, kinds = _SCOPES[spec.name]
    extra = [("team", "team")] if spec.name in ("forecast", "budgets") else []
    if not any(ent.first(kind) is not None for kind, _ in [*kinds, *extra]):
        return args
    fresh = {k: v for k, v in args.items() if k not in (scope_field, "name")}
    return _scoped(fresh, ent, spec)


def _scoped(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    scope_field, kinds = _SCOPES[spec.name]
    fields = _fields(spec)
    for kind, scope in kinds:
        found = ent.first(kind)
        if found is None:
            continue
        if spec.name == "anomalies" and kind == "team":
            break
        if scope_field and scope_field in fields and scope_field not in args:
            args[scope_field] = scope
        if "name" in fields and "name" not in args:
            args["name"] = found
        break
    if spec.name in ("forecast", "budgets") and "name" not in args and (team := ent.first("team")):
        if scope_field is not None:
            args.setdefault(scope_field, "team")
        args["name"] = team
    # "team" of a scoped tool: anomalies has its own `team` filter (filled by field name already)
    return args


_WEEKDAY = re.compile(r"\bon (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b")


def anomalies(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    period = str(args.get("period") or "")
    if _WEEKDAY.search(ent.text) and (not period or re.fullmatch(
            r"(?:on |last )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)", period)):
        args["period"] = "last 14 days"     # "on Tuesday": the last two weeks hold the latest Tuesdays
    if re.search(r"\bdrift|\bcreep|\bslowly\b|\bgradual", ent.text):
        _set(args, spec, "drift", True)
    return _scoped(args, ent, spec)


_HORIZON = re.compile(r"\b(?:next|coming) (\d+|one|two|three|four|six|twelve) (day|week|month|quarter)s?\b"
                      r"|\b(?:next|coming) (day|week|wk|month|mo|quarter|qtr|year|yr)\b")
_UNIT_WORDS = {"wk": "week", "mo": "month", "qtr": "quarter", "yr": "year"}
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "twelve": 12}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}


# "EOM", "end of the month", "where does the total land": the month-end figure (horizon to the month's end)
# "forecast for this month", "the rest of the month", "how will this month end up", "on track this month": the
# month's total, never the default 30 days ahead (which runs into next month)
MONTH_END = re.compile(r"\beom\b|\bend of (?:the |this )?month\b|\bmonth[- ]end\b|\bwhere (?:does|do|will) .{0,40}\b"
                       r"(?:land|end up|finish)\b(?!.*\b(?:quarter|year|eoq|eoy)\b)|\brest of (?:the |this )?month\b"
                       r"|\b(?:forecast\w*|project(?:ed|ion)|expected|predict\w*|on track)\b.{0,30}\b(?:this|the current|current) "
                       r"month\b|\b(?:forecast\w*|project(?:ed|ion)|on track)\s+for\s+the\s+month\b"   # "on track for the month"
                       r"|\b(?:this|the current) month\b.{0,30}\b(?:forecast\w*|project(?:ed|ion)|end up|land|finish)\b")


def _next_calendar(unit: str, today: date) -> tuple[date, date]:
    """The calendar week (Monday to Sunday), month, quarter or year after the one holding `today`: [start, end)."""
    if unit == "week":
        start = today + timedelta(days=7 - today.weekday())
        return start, start + timedelta(days=7)
    if unit == "year":
        return date(today.year + 1, 1, 1), date(today.year + 2, 1, 1)
    months = 3 if unit == "quarter" else 1
    first = today.month - (today.month - 1) % months if unit == "quarter" else today.month
    index = today.year * 12 + first - 1 + months
    start = date(index // 12, index % 12 + 1, 1)
    index += months
    return start, date(index // 12, index % 12 + 1, 1)


def _calendar_period(unit: str, ent: Entities, args: dict[str, Any], spec: ToolSpec) -> None:
    """ "next month" is the calendar month after this one, not the 30 days after the latest data: the forecast
    starts on its first day and runs to its last (the days before it are forecast but not counted)."""
    if ent.today is None:
        args["horizon_days"] = _UNIT_DAYS[unit]
        return
    _forecast_span(*_next_calendar(unit, ent.today), args, spec)


def _forecast_span(start: date, end: date, args: dict[str, Any], spec: ToolSpec) -> None:
    if "start" in _fields(spec):
        args["horizon_days"] = (end - start).days
        args["start"] = start.isoformat()


_FUTURE_TENSE = re.compile(r"\bwill\b|\bgoing to\b|\w['’]ll\b")


def _future_period(ent: Entities) -> tuple[date, date] | None:
    """The question's period when it is a future one a forecast can cover ("december" asked in November is
    the coming December, "Q1 2027"): [start, end); None otherwise."""
    if not ent.period or ent.today is None:
        return None
    text = ent.period.strip().lower()
    try:
        period = parse_period(text, ent.today, allow_future=True)
    except FinopsError:
        return None
    start, end = period.start, period.end
    if end <= ent.today and is_month_name(text):      # a bare month name: its next occurrence...
        start, end = start.replace(year=start.year + 1), end.replace(year=end.year + 1)
        if (start - ent.today).days > 62 and not _FUTURE_TENSE.search(ent.text):
            return None     # ...when it is near or the question says it is ahead ('october' asked in November
                            # is last October's spend, asked back; 'what will it cost in march' is the coming one)
    return (start, end) if start >= ent.today else None


def is_current_month(ent: Entities) -> bool:
    """'for november' asked in November: the current month, which a tool of the current state (budgets)
    answers as it stands, and a forecast as its month-end total."""
    if ent.today is None or not ent.period:
        return False
    try:
        period = parse_period(ent.period.strip(), ent.today)
    except FinopsError:
        return False
    return period.start == ent.today.replace(day=1) and period.end > ent.today


def asks_month_end(ent: Entities) -> bool:
    """ "EOM", "the rest of the month", "forecast for november" asked in November: this month's total (spend so
    far plus the forecast of its remaining days)."""
    return bool(MONTH_END.search(ent.text)) or is_current_month(ent)


def forecast(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    m = _HORIZON.search(ent.text)
    future = _future_period(ent)
    if future is not None:
        _forecast_span(*future, args, spec)
    elif m and "horizon_days" in _fields(spec):
        if m.group(3):
            unit = _UNIT_WORDS.get(m.group(3), m.group(3))
            if unit == "day":
                args["horizon_days"] = 1
            else:
                _calendar_period(unit, ent, args, spec)
        else:
            n = int(m.group(1)) if m.group(1).isdigit() else _WORDS[m.group(1)]
            args["horizon_days"] = n * _UNIT_DAYS[m.group(2)]
    elif asks_month_end(ent) and ent.today is not None:
        month_end = (ent.today.replace(day=28) + timedelta(days=4)).replace(day=1)
        _set(args, spec, "horizon_days", max(1, (month_end - ent.today).days))
    args = _scoped(args, ent, spec)
    # "projected spend for december by team": every team's forecast, never the total alone
    by = next((g for g in ent.group_by if g in ("team", "service", "model", "project", "provider")), None)
    if by is not None and "name" not in args and "scope" in _fields(spec):
        args.setdefault("scope", by)
    return args


def budgets(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    args = _scoped(args, ent, spec)
    # "which budgets are over?": only those with an alert; "is search over budget?": search's budget, whatever
    # it says (with only alerts, a budget under its thresholds read as no budget at all)
    if re.search(r"\bover (?:its |their |the )?budget\b|\balerts?\b|\bbreach", ent.text) and not args.get("name"):
        _set(args, spec, "alerts_only", True)
    return args


def unit_costs(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    t = ent.text
    if re.search(r"\b(?:per|each|a) (?:[\w-]+ )?(?:training )?run\b|\btraining runs?\b", t):
        args.setdefault("by", "training_run")
        if (project := ent.first("project")) is not None:
            args.setdefault("name", project)
    elif re.search(r"\bcustomers?\b", t):
        args.setdefault("by", "customer")
    elif re.search(r"\bfeatures?\b", t):
        args.setdefault("by", "feature")
    return _scoped(args, ent, spec)


_WASTE_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\bidle\b|\bunused\b|\bnot used\b|\bzero traffic\b|\bno traffic\b|\bworth (?:running|keeping)\b|\bendpoints?\b",
     ("idle_endpoint",)),
    (r"\bidle gpus?\b|\bgpus? (?:are |sit )?idle\b|\bunder-?utili[sz]ed\b|\blow(?:ly)? utili[sz]|\bgpu utili[sz]ation\b",
     ("low_util_gpu", "idle_endpoint")),
    (r"\bzombies?\b|\babandoned\b|\bpast (?:their |its )?ttl\b|\bstuck jobs?\b|\bforgotten jobs?\b|\bno progress\b",
     ("zombie_job",)),
    (r"\blike prod\w*\b|\bdev\b.{0,60}\bprod\w*\b|\bquietly became\b", ("dev_like_prod",)),
    (r"\bleft on\b|\breplication\b|\bleft running\b|\bforg[eo]t\w* to (?:turn|switch|shut)", ("left_on",)),
)


def waste(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    kinds: list[str] = []
    for pattern, found in _WASTE_KINDS:
        if re.search(pattern, ent.text):
            kinds += [k for k in found if k not in kinds]
    if "kinds" in _fields(spec) and "kinds" not in args:
        allowed = _literal_items(spec, "kinds")
        args["kinds"] = [k for k in kinds if k in allowed] or list(allowed)
    return args


_OUTCOMES: tuple[tuple[str, str], ...] = (
    (r"\bdiscard\w*\b|\bthrown? (?:away|out)\b|\bthrew (?:away|out)\b|\bscrapp?\w*\b|\bbinned\b", "discarded"),
    (r"\bfail\w*\b|\bcrash\w*\b", "failed"),
    (r"\bcancel+\w*\b|\bkilled\b|\baborted\b", "cancelled"),
    (r"\bcompleted\b|\bfinished\b|\bsuccessful\b|\bsucceeded\b", "completed"),
    (r"\bstill running\b|\bcurrently running\b|\brunning (?:jobs|runs)\b"
     r"|\b(?:jobs?|runs?) (?:are |r )?(?:running|in flight|active)(?: (?:rn|now|right now|atm|currently))?\b", "running"),
)
JOB_KINDS: tuple[tuple[str, str], ...] = (   # (pattern, gpu_jobs.kind); the planner reads it too
    (r"\bfine-?tun\w*\b", "fine-tune"), (r"\bbatch\b", "batch-inference"), (r"\bsweeps?\b", "sweep"),
    (r"\bexperiments?\b", "experiment"), (r"\btraining\b", "training"),
)


# Words that order a list. job_runs can list by hours run and by start; the offline planner asks back for any
# other order (agent.offline_planner._order_not_honoured) instead of listing by cost.
ORDER_WORD = re.compile(rf"\b({ORDER_WORDS})\b")
JOB_ORDER_WORDS = {"longest": "hours", "long-running": "hours", "newest": "recent", "most recent": "recent",
                   "latest": "recent"}


# Words for a served model's machines: an endpoint's GPU hours are not in the job history.
_SERVING = re.compile(r"\b(?:endpoints?|inference servers?|serving|deployments?|online inference)\b")


def job_runs(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    """"which training run was thrown away?": outcome discarded, kind training (first match of each)."""
    for pattern, outcome in _OUTCOMES:
        if re.search(pattern, ent.text):
            _set(args, spec, "outcome", outcome)
            break
    for pattern, kind in JOB_KINDS:
        if re.search(pattern, ent.text):
            _set(args, spec, "kind", kind)
            break
    gpu = _GPU_ONLY.search(ent.text)
    if gpu:                                   # "how many h100 jobs are running"
        _set(args, spec, "gpu_type", gpu.group(1).upper())
    order = JOB_ORDER_WORDS.get(m.group(1)) if (m := ORDER_WORD.search(ent.text)) else None
    if order:                                 # "which jobs ran longest": listed by hours, not by cost
        _set(args, spec, "order", order)
    if re.search(GPU_HOURS, ent.text):
        if _SERVING.search(ent.text):         # an endpoint's GPU hours are not in the job history
            raise NeedMore({"kind": "refusal", "text": (
                "I compute the cost per GPU hour for GPU jobs (training, fine-tunes, sweeps, batch inference) from "
                "their GPUs and hours; an endpoint's GPU hours are not recorded, so I give no figure for them. Ask "
                "for the endpoints' unit costs instead (e.g. 'cost per 1K requests by endpoint last month').")})
        _set(args, spec, "per_gpu_hour", True)
    return args



@lru_cache(maxsize=64)
def _schema(spec: ToolSpec) -> dict[str, Any]:
    return spec.args_model.model_json_schema()


def _literal_items(spec: ToolSpec, name: str) -> list[str]:
    prop = _schema(spec).get("properties", {}).get(name, {})
    items = prop.get("items", {})
    if "enum" in items:
        return list(items["enum"])
    ref = items.get("$ref", "")
    defs = _schema(spec).get("$defs", {})
    return list(defs.get(ref.rsplit("/", 1)[-1], {}).get("enum", []))


_TRIM = re.compile(r"\b(?:trim|cut|shorten|shrink|reduc)\w*\b.{0,60}?(\d{1,2})\s?%|(\d{1,2})\s?%\s?(?:trim|shorter|smaller|cut)")


def prompt_audit(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    m = _TRIM.search(ent.text)
    if m:
        _set(args, spec, "trim_pct", int(m.group(1) or m.group(2)))
    target = ent.first("target_model")       # "what would moving X to gpt-4.1-mini save": that move priced too
    if target is not None:
        _set(args, spec, "target_model", target)
    return args


_TAG_KEY = re.compile(r"\b(team|project|env|environment|owner)[- ]tags?\b|\btags? (?:for|of) (?:the )?(team|project|env|environment|owner)\b")


# Names the tag audit scopes by (its `filters`, semantic-model dimensions): name kind -> dimension
_AUDIT_SCOPES = {"team": "team", "service": "service", "provider": "provider", "region": "region", "account": "account",
                 "environment": "env", "project": "project"}


def tag_audit(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    """"missing an owner tag": audit that key alone (its share is then the headline). "ml-platform's untagged
    spend": the audit scoped to that team (a filter), never the whole company's."""
    keys = list(dict.fromkeys(next(g for g in m.groups() if g) for m in _TAG_KEY.finditer(ent.text)))
    if keys and "keys" in _fields(spec) and "keys" not in args:
        args["keys"] = ["env" if k == "environment" else k for k in keys]
    if "filters" in _fields(spec):
        scoped = [{"dimension": _AUDIT_SCOPES[h.kind], "op": "eq", "values": [h.name]} for h in ent.names
                  if h.kind in _AUDIT_SCOPES]
        filters = list(args.get("filters") or [])
        filters += [f for f in scoped if f not in filters]
        if filters:
            args["filters"] = filters
    return args


HOOKS: dict[str, Hook] = {
    "tag_audit": tag_audit,
    "anomalies": anomalies,
    "forecast": forecast,
    "budgets": budgets,
    "unit_costs": unit_costs,
    "waste": waste,
    "job_runs": job_runs,
    "prompt_audit": prompt_audit,
    "llm_spend": llm_spend,
    "who_owns": who_owns,
    "estimate": estimate,
}

"""Per-tool argument hooks of the offline planner: what the generic field filling (period, group-by,
names by field name) cannot know. One small function per tool, keyed by tool name in HOOKS.

A hook may raise `NeedMore` with a reply when the question lacks what the tool needs (the planner then
asks for it instead of calling the tool with made-up inputs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tools.registry import ToolSpec

from agent.entities import Entities
from agent.state import Reply

Hook = Callable[[dict[str, Any], Entities, ToolSpec], dict[str, Any]]


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
_OWNER_PREFIX = re.compile(
    r"^\s*(?:(?:so|and|ok|hey)[, ]+)?(?:who|which team|what team|whose team)\s+(?:owns|is responsible for|runs|pays for|"
    r"created|launched|started|is the owner of|owns the|does)\s*|^\s*(?:who'?s|who is) the owner of\s*|"
    r"^\s*(?:whose|owner of)\s+(?:is\s+)?", re.IGNORECASE)


def who_owns(args: dict[str, Any], ent: Entities, spec: ToolSpec) -> dict[str, Any]:
    resource = ent.first("resource")
    if resource is None:
        text = _OWNER_PREFIX.sub("", ent.question).strip().rstrip("?.! ")
        text = re.sub(r"\s+(?:belong to|belongs to)$", "", text, flags=re.IGNORECASE)
        resource = text or ent.question
    args["resource"] = resource
    return args


# -- estimate ----------------------------------------------------------------------------------------------
_GPU = re.compile(r"(?<![\w.])(\d+)\s?(?:x\s?)?(h100|h200|a100|l40s|a10g|l4|b200|v100|t4)s?\b")
_GPU_ONLY = re.compile(r"\b(h100|h200|a100|l40s|a10g|l4|b200|v100|t4)s?\b")
_INSTANCE = re.compile(r"\b([a-z]\d[a-z0-9-]*\.\d*x?large)\b")
_HOURS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(hours?|hrs?|h|days?|weeks?)\b")
_STEPS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(k)?\s?steps\b")
_SEC_PER_STEP = re.compile(r"(\d+(?:\.\d+)?)\s?(?:s|sec|secs|seconds?)\s?(?:per|/|a)\s?step\b")
_CALLS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(k|m|thousand|million)?\s?(?:calls|requests)\b")
_IN_TOK = re.compile(r"(\d+)\s?(?:input|prompt)(?: tokens)?\b")
_OUT_TOK = re.compile(r"(\d+)\s?(?:output|completion)(?: tokens)?\b")
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
    t = ent.text
    m = _GPU.search(t)
    if m:
        _set(args, spec, "gpu_count", int(m.group(1)))
        _set(args, spec, "gpu_type", m.group(2).upper())
    elif _GPU_ONLY.search(t):
        _set(args, spec, "gpu_type", _GPU_ONLY.search(t).group(1).upper())
    m = _INSTANCE.search(t)
    if m:
        _set(args, spec, "instance_type", m.group(1))
    m = _HOURS.search(t)
    if m:
        n, unit = Decimal(m.group(1)), m.group(2)
        hours = n * (24 if unit.startswith("day") else 168 if unit.startswith("week") else 1)
        _set(args, spec, "hours", str(hours))
    m = _STEPS.search(t)
    s = _SEC_PER_STEP.search(t)
    if m and s and "hours" not in args:
        _set(args, spec, "steps", int(Decimal(m.group(1)) * (1000 if m.group(2) else 1)))
        _set(args, spec, "seconds_per_step", s.group(1))
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
    # An LLM batch: a model plus a number of calls.
    calls = _CALLS.search(t)
    model = ent.first("model") or args.get("model")
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
    concrete = any(k in args for k in ("gpu_type", "instance_type", "calls"))
    if not concrete:
        raise NeedMore({"kind": "refusal", "text": NEED_JOB})
    if "budget" not in args and ent.amounts and re.search(r"\bapprove|\bbudget|\bwithin\b|\bfit\b", t):
        _set(args, spec, "budget", str(max(ent.amounts)))
    return args


HOOKS: dict[str, Hook] = {
    "who_owns": who_owns,
    "estimate": estimate,
}

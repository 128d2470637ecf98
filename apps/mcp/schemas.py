"""The MCP tool list, generated from the one tool registry (never described twice).

`full` mode publishes each tool's description and its args model's JSON schema exactly as pydantic
generates it (`ToolSpec.args_model.model_json_schema()`, what `ToolSpec.openai_tool()` binds a chat model
with). `compact` mode (the default) is a mechanical reduction of the same schema so the whole tool list fits
a client's context budget:

- `title` keys dropped (pydantic repeats each property's name);
- an optional field (default null) listed without its null branch and default (omitting it is null);
- `anyOf [X, {type: t}, …]` folded into `X` with `"type": [X's type, t, …]`;
- the args model's own docstring left out (the tool's description says it);
- every description cut to its first sentence, a field's to 80 characters and a tool's to 120, at a word.

Nothing is written by hand: a change to an args model shows up here unchanged in meaning (the server
validates every call with the args model itself, so the reduction never loosens a check).

`schema_size()` measures the list as a client receives it: characters of its JSON and an estimate of
tokens as characters / 4 (tiktoken cannot download its tables offline here).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from tools.registry import ToolSpec, registry

Mode = Literal["compact", "full"]
MODES: tuple[str, ...] = ("compact", "full")
TOKEN_BUDGET = 4000
DESCRIPTION_CHARS = 120                 # compact: a tool description longer than this is cut at a word
FIELD_CHARS = 80                        # compact: a field's description longer than this is cut at a word
_ABBREVIATIONS = ("e.g", "i.e", "etc", "vs", "incl", "approx")


def first_sentence(text: str) -> str:
    """The first sentence of a description, on one line: up to the first '.' outside parentheses that ends
    the text or is followed by a space (not the dot of 'e.g.', 'i.e.', 'etc.', a number or a file name)."""
    flat = " ".join(text.split())
    depth = 0
    for i, ch in enumerate(flat):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        elif ch == "." and depth == 0 and (i + 1 == len(flat) or flat[i + 1] == " "):
            word = flat[:i].rsplit(" ", 1)[-1].lower().lstrip("(")
            if word in _ABBREVIATIONS:
                continue
            return flat[: i + 1]
    return flat


def short(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The first sentence, cut at the last word boundary before `limit` characters (with '…')."""
    sentence = first_sentence(text)
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:(")
    return cut + "…"


def compact_schema(node: Any, *, in_properties: bool = False, top: bool = False) -> Any:
    """The reduced schema (see the module docstring). Property maps keep every key as is."""
    if isinstance(node, list):
        return [compact_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    if in_properties:                              # {name: schema}: names are data, never dropped
        return {k: compact_schema(v) for k, v in node.items()}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" or (top and key == "description"):    # the model's docstring: the tool says it
            continue
        if key == "description" and isinstance(value, str):
            out[key] = short(value, FIELD_CHARS)
        elif key in ("properties", "$defs"):
            out[key] = compact_schema(value, in_properties=True)
        else:
            out[key] = compact_schema(value)
    branches = out.get("anyOf")
    if isinstance(branches, list) and out.get("default", 0) is None:
        # an optional field (default null): omitting it means null, so the null branch is not listed
        branches = out["anyOf"] = [b for b in branches if b != {"type": "null"}]
        del out["default"]
    if isinstance(branches, list) and branches and all(isinstance(b, dict) for b in branches):
        simple = [b for b in branches if set(b) == {"type"} and isinstance(b["type"], str)]
        other = [b for b in branches if b not in simple]
        if len(other) <= 1 and (len(other) == 0 or isinstance(other[0].get("type"), str)):
            # anyOf [X, {type: t2}, …] -> X with "type": [X.type, t2, …] (same values accepted)
            merged = dict(other[0]) if other else {}
            types = ([merged["type"]] if other else []) + [b["type"] for b in simple]
            merged["type"] = types if len(types) > 1 else types[0]
            if "enum" in merged and "null" in types and None not in merged["enum"]:
                merged["enum"] = [*merged["enum"], None]
            del out["anyOf"]
            out = {**merged, **out}
    return out


def tool_description(spec: ToolSpec, mode: Mode) -> str:
    return spec.description if mode == "full" else short(spec.description)


def input_schema(spec: ToolSpec, mode: Mode) -> dict[str, Any]:
    schema = spec.args_model.model_json_schema()
    return schema if mode == "full" else compact_schema(schema, top=True)


def tool_list(mode: Mode) -> list[dict[str, Any]]:
    """Each registry tool as MCP lists it: name, description, inputSchema."""
    return [{"name": s.name, "description": tool_description(s, mode), "inputSchema": input_schema(s, mode)}
            for s in registry.all()]


def schema_size(mode: Mode) -> dict[str, Any]:
    text = json.dumps(tool_list(mode), separators=(",", ":"), ensure_ascii=False)
    return {"mode": mode, "tools": len(registry.all()), "chars": len(text), "tokens_estimate": len(text) // 4,
            "estimate": "characters / 4 (tiktoken cannot download its tables offline)", "budget": TOKEN_BUDGET}


if __name__ == "__main__":
    for m in MODES:
        print(json.dumps(schema_size(m)))  # type: ignore[arg-type]

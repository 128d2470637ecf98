"""The tool schemas bound to a model, from the registry (ToolSpec.openai_tool()), made compact: pydantic
titles dropped and `X | None` unions folded to `X` (optional fields are not `required` anyway). Fewer
prompt tokens, same meaning.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from tools.registry import ToolSpec, registry


def compact(schema: Any) -> Any:
    """A JSON schema without `title`s and with `anyOf [X, null]` folded to X."""
    if isinstance(schema, list):
        return [compact(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: compact(prop) for name, prop in value.items()}
            continue
        out[key] = compact(value)
    any_of = out.get("anyOf")
    if isinstance(any_of, list):
        non_null = [s for s in any_of if s != {"type": "null"}]
        if len(non_null) == 1 and len(non_null) < len(any_of):
            del out["anyOf"]
            merged = {**non_null[0], **out}
            if merged.get("default", 0) is None:
                del merged["default"]
            return merged
    return out


@lru_cache(maxsize=64)
def _compacted(spec: ToolSpec) -> dict[str, Any]:
    """One tool's compacted schema, built once per process (pydantic regenerates a JSON schema on every
    call of model_json_schema)."""
    tool = copy.deepcopy(spec.openai_tool())
    tool["function"]["parameters"] = compact(tool["function"]["parameters"])
    return tool


def openai_tools(specs: list[ToolSpec] | None = None) -> list[dict[str, Any]]:
    """The function-calling tools for `specs` (default: every registered tool), compacted."""
    return [copy.deepcopy(_compacted(spec)) for spec in (specs if specs is not None else registry.all())]

"""`/finops estimate …`: a YAML manifest snippet or CLI-style flags, turned into estimate tool arguments.

    /finops estimate --team search --name llama-sft --gpu-type H100 --gpu-count 64 --hours 72
    /finops estimate
    name: llama-70b-sft
    team: search
    gpu_type: H100
    ...
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from tools.contract import FinopsError
from tools.manifest import MAX_MANIFEST_BYTES, core_scalar

_FENCE = re.compile(r"^```[a-zA-Z]*\n?|\n?```$")


def parse_estimate_text(text: str) -> dict[str, Any]:
    """Arguments for the estimate tool from the text after `estimate`. Raises FinopsError on bad input."""
    body = _FENCE.sub("", text.strip()).strip()
    if not body:
        raise FinopsError("give a manifest or flags, e.g. `/finops estimate --team search --name run1 "
                          "--gpu-type H100 --gpu-count 64 --hours 72`")
    if body.startswith(("-", "\u2014", "\u2013")):
        # Slack clients turn "--" into an em dash and quotes into curly quotes; undo both.
        flat = body.replace("\u2014", "--").replace("\u2013", "--")
        flat = flat.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'").replace("\u2019", "'")
        return _flags(flat)
    # A manifest: the estimate tool parses it (errors name the field and line; aliases, tags, deep
    # nesting and YAML 1.1 number forms are refused there, before anything is built).
    if len(body) > MAX_MANIFEST_BYTES:
        raise FinopsError(f"the manifest is too large ({len(body):,} characters; the limit is "
                          f"{MAX_MANIFEST_BYTES // 1024} KB)")
    return {"manifest": body, "manifest_name": "manifest"}


def _flags(text: str) -> dict[str, Any]:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise FinopsError(f"cannot read the flags: {exc}") from None
    args: dict[str, Any] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("--") or len(word) == 2:
            shown = word if len(word) <= 40 else word[:40] + "…"
            raise FinopsError(f"unexpected {shown!r}: flags look like `--gpu-count 64`")
        key, eq, value = word[2:].partition("=")
        if not eq:
            if i + 1 >= len(words) or words[i + 1].startswith("--"):
                raise FinopsError(f"flag --{key[:40]} needs a value")
            value = words[i + 1]
            i += 1
        args[key.replace("-", "_")] = _scalar(value)
        i += 1
    return args


def _scalar(value: str) -> Any:
    """A flag's value by the manifest's YAML 1.2 core rules (never YAML 1.1: `1:30` is not 90, `010` not 8,
    `0x10` not 16). Whole numbers and booleans are typed; everything else stays text for the estimate
    tool's own validation (so `0.1` stays exact, and `1:30` is refused there, naming the flag)."""
    try:
        parsed = core_scalar(value)
    except ValueError:
        return value
    return parsed if isinstance(parsed, (int, str, bool)) else value

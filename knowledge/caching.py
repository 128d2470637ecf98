"""What a provider caches: the one rule every tool and surface uses for prompt caching.

A provider serves a repeated prompt prefix from its cache (at the catalog's cache-read price) only when
the identical leading part of the prompt is at least the model's minimum cacheable length; below it
nothing is cached and every token is billed at the input price, with no error. So a system prompt
shorter than the minimum is not cacheable as it is: its static prefix must first reach the minimum
(e.g. by moving static instructions, examples or tool definitions ahead of the user's text).

Minimums (the providers' documentation, 2025-2026):
- OpenAI (and Azure OpenAI): 1,024 tokens, cached automatically in 128-token steps; nothing to enable.
- Anthropic (also on Bedrock and Vertex): 1,024 tokens for Sonnet 4.x/3.7 and Opus 4/4.1; 2,048 for
  Haiku 3/3.5; 4,096 for Opus 4.5/4.6 and Haiku 4.5; a `cache_control` breakpoint marks the prefix.
- Google Gemini: implicit caching on 2.5 and newer, 2,048 tokens for 2.5 Flash/Pro, 4,096 for 3.x.
Other providers: unknown here (the verdict says so; no saving is claimed as certain).

`prompt_audit`, `remediations` and the weekly summary (which shows the remediations) all ask
`caching_verdict`, so they can never disagree about whether a prompt can be cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (provider family, model pattern, minimum tokens), first match wins.
_MINIMUMS: tuple[tuple[str, str, int], ...] = (
    ("anthropic", r"opus-4-[56]|opus-4\.[56]|haiku-4-5|haiku-4\.5", 4096),
    ("anthropic", r"haiku-3|3-5-haiku|3-haiku", 2048),
    ("anthropic", r"claude", 1024),
    ("openai", r"gpt-|^o[1-9]|/o[1-9]|chatgpt", 1024),
    ("gemini", r"gemini-2\.5", 2048),
    ("gemini", r"gemini-[3-9]", 4096),
)
_HOW = {
    "openai": "OpenAI caches a repeated prefix automatically: keep the system prompt first and byte-identical",
    "anthropic": "Anthropic: put cache_control on the system block and keep it byte-identical",
    "gemini": "Gemini caches a repeated prefix implicitly: keep the system prompt first and byte-identical",
}
_NAMES = {"openai": "OpenAI", "anthropic": "Anthropic", "gemini": "Google Gemini"}


def provider_family(model: str, provider: str | None = None) -> str | None:
    """openai | anthropic | gemini | None, from the catalog's provider and the model name."""
    m, p = model.lower(), (provider or "").lower()
    if "claude" in m or "anthropic" in p:
        return "anthropic"
    if "gemini" in m:
        return "gemini"
    if p in ("openai", "azure", "text-completion-openai") or p.endswith("openai_models") or re.search(r"^gpt-|^o[1-9]", m):
        return "openai"
    return None


def min_cacheable_tokens(model: str, provider: str | None = None) -> int | None:
    """The model's minimum cacheable prefix in tokens; None when not known here."""
    family = provider_family(model, provider)
    for fam, pattern, minimum in _MINIMUMS:
        if fam == family and re.search(pattern, model.lower()):
            return minimum
    return None


@dataclass(frozen=True)
class CachingVerdict:
    """Whether a prefix of `prefix_tokens` can be served from the provider's cache as it is."""

    model: str
    prefix_tokens: int
    min_tokens: int | None
    family: str | None
    observed: bool = False        # the call logs already show cache reads for this prompt

    @property
    def cacheable(self) -> bool | None:
        """True: long enough (or the logs show cache reads: the data wins over the table); False: below
        the minimum; None: the minimum is not known."""
        if self.observed:
            return True
        return None if self.min_tokens is None else self.prefix_tokens >= self.min_tokens

    @property
    def shortfall(self) -> int:
        """Tokens the static prefix must grow by to qualify (0 when it does or the minimum is unknown)."""
        return 0 if self.min_tokens is None or self.observed else max(0, self.min_tokens - self.prefix_tokens)

    def provider_name(self) -> str:
        return _NAMES.get(self.family or "", "the provider")

    def why_not(self) -> str | None:
        """One clause saying why caching does not apply as is, or None when it does."""
        if self.cacheable is None:
            return (f"{self.provider_name()}'s minimum cacheable prefix for {self.model} is not known here: "
                    "check it before counting on this saving")
        if self.cacheable:
            return None
        return (f"this {self.prefix_tokens:,}-token system prompt is below {self.model}'s minimum cacheable prefix of "
                f"{self.min_tokens:,} tokens ({self.provider_name()}): nothing is cached until the static prefix grows "
                f"by {self.shortfall:,} tokens (static instructions, examples or tool definitions moved ahead of the "
                "user's text)")

    def how(self) -> str:
        return _HOW.get(self.family or "", "enable the provider's prompt caching and keep the system prompt first and unchanged")


def caching_verdict(model: str, provider: str | None, prefix_tokens: int, observed_cached: bool = False) -> CachingVerdict:
    """The verdict for a system prompt of `prefix_tokens` on `model`; `observed_cached`: its calls already
    read tokens from the cache (then it is cacheable, whatever the table says)."""
    return CachingVerdict(model=model, prefix_tokens=int(prefix_tokens), min_tokens=min_cacheable_tokens(model, provider),
                          family=provider_family(model, provider), observed=observed_cached)

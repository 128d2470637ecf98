"""Example questions: offered as input suggestions, on the welcome panel and in the command palette."""

from __future__ import annotations

# The questions people bring (the README's examples), phrased the way the offline planner understands them.
COMMON_QUESTIONS: tuple[str, ...] = (
    "How much did each team spend last month?",
    "What did we spend by day over the last 30 days?",
    "Which team owns the $20K/month inference cluster?",
    "What's this $17K charge from last week?",
    "How much of our spend is untagged? Who should own it?",
    "Which GPUs are idle?",
    "Any zombie jobs?",
    "Which prompts cost the most? What would trimming the system prompt save?",
    "Are we using a frontier model where a mini would do?",
    "Which apps don't set max_tokens?",
    "Which team is closest to its budget?",
    "Anything unusual this week?",
    "What should we fix first, and what does it save per month?",
    "What's our cost per 1,000 inferences on the support bot?",
)

WELCOME_QUESTIONS: tuple[str, ...] = COMMON_QUESTIONS[:4]


def palette_questions() -> list[str]:
    """Common questions, then each registered tool's examples (the registry is their one source)."""
    out = list(COMMON_QUESTIONS)
    try:
        from tools.registry import registry

        for spec in registry.all():
            out.extend(spec.examples)
    except Exception:  # a broken tool module must not take the palette down; the common list remains
        pass
    unique: dict[str, str] = {}
    for question in out:
        unique.setdefault(question.casefold(), question)
    return list(unique.values())

"""Typed cost tools: pydantic input -> parameterised SQL on the store -> pydantic result with evidence.

Every tool module in this package registers itself in `tools.registry` when imported;
`tools.registry.load_all()` imports them all.
"""

"""The tool registry's own bookkeeping: which modules of `tools/` are infrastructure, and the per-store
caches kept beside (not on) a read-only Store."""

from __future__ import annotations

import pkgutil

import tools
from tools.registry import INFRASTRUCTURE, ToolContext, forget_store_facts, registry


def test_infrastructure_list_names_exactly_the_modules_without_a_tool() -> None:
    modules = {m.name for m in pkgutil.iter_modules(tools.__path__) if not m.name.startswith("_")}
    with_tools = {spec.fn.__module__.split(".")[1] for spec in registry.all()}
    assert INFRASTRUCTURE <= modules, f"listed but missing: {sorted(INFRASTRUCTURE - modules)}"
    assert not (INFRASTRUCTURE & with_tools), f"listed as infrastructure but register tools: {sorted(INFRASTRUCTURE & with_tools)}"
    assert modules - INFRASTRUCTURE == with_tools, (
        f"modules that are neither listed nor register a tool: {sorted(modules - INFRASTRUCTURE - with_tools)}")


def test_store_caches_live_beside_a_read_only_store(demo_db) -> None:
    from knowledge.store import open_store

    store = open_store(demo_db, read_only=True)
    try:
        ctx = ToolContext(store, "test")
        first = ctx.freshness()
        cache = ctx.store_cache("freshness")
        assert cache is not None and [f.source for f in cache["sources"]] == [f.source for f in first]
        assert not any(k.startswith("_finops") for k in vars(store)), "no attribute is set on the Store"
        assert ToolContext(store, "again").store_cache("freshness") is cache   # shared per store
        forget_store_facts(store)
        assert ToolContext(store, "again").store_cache("freshness") == {}
    finally:
        store.close()

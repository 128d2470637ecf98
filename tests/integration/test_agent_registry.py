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


# -- the result accessors: what code outside a tool reads, instead of guessing at its JSON ---------------------
def test_accessors_of_a_listing_result(demo_store) -> None:
    from tools.registry import run_tool

    result = run_tool(demo_store, "waste", {})
    listed = result.listed()
    assert listed and all(item.key for item in listed)
    assert [i.key for i in listed] == [i.resource_id for i in result.items if i.resource_id][:len(listed)]
    assert result.subjects()[0] == result.items[0].resource_id
    figures = result.figures()
    assert figures and all(f.unit == "USD" and "$" in f.text and f.value is not None for f in figures)
    assert {f.subject for f in figures} <= {str(r[0]) for r in result.table().rows}
    assert "who_owns" in result.answers_about_listed
    assert result.identifiers() == {}


def test_accessors_follow_declarations_not_field_names() -> None:
    from decimal import Decimal

    from pydantic import BaseModel

    from tools.contract import Listing, TableView, ToolResult, parse_money

    class Thing(BaseModel):
        ident: str
        label: str | None = None
        resource_id: str | None = None      # a tempting field name the accessors must not guess from

    class Made(ToolResult):
        listing = Listing("things", "ident", "label")
        subject_paths = (("things", "resource_id"),)
        identifier_fields = ("run_id",)
        things: list[Thing]
        run_id: str = "r-1"

        def table(self) -> TableView:
            return TableView(columns=["thing", "cost"], rows=[[t.ident, "$1,234.50"] for t in self.things])

    made = Made(things=[Thing(ident="a", label="Alpha", resource_id="arn:a"), Thing(ident="total"),
                        Thing(ident="b", label="b", resource_id="arn:b")])
    assert [(i.key, i.name) for i in made.listed()] == [("a", "Alpha"), ("b", None)]   # totals and self-names dropped
    assert made.subjects() == ["arn:a", "arn:b"]
    assert made.identifiers() == {"run_id": "r-1"}
    assert [(f.subject, f.label, f.value, f.row) for f in made.figures()] == [
        ("a", "cost", Decimal("1234.50"), 0), ("total", "cost", Decimal("1234.50"), 1), ("b", "cost", Decimal("1234.50"), 2)]
    assert parse_money("-$3.00 (+5%)") == Decimal("-3.00") and parse_money("n/a") is None

"""Property tests for the budget hierarchy's one precedence rule (tools.budget_tree): random trees, random
amounts and spends. A child never gets more than its parent has left; allocations add up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tools.budget_tree import BudgetNode, allocation_problem, ancestors, binding_node, headroom

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


def _node(i: int, parent: int | None, amount: Decimal) -> BudgetNode:
    return BudgetNode(budget_id=f"b{i}", parent_id=None if parent is None else f"b{parent}", level="team", name=f"b{i}",
                      period_start=date(2026, 11, 1), amount=amount)


@st.composite
def trees(draw: st.DrawFn) -> tuple[dict[str, BudgetNode], dict[str, Decimal]]:
    """A random forest (each node's parent is an earlier node or none) with amounts, and spends where a
    parent's spend holds its children's (a child's charges are its parent's charges too)."""
    n = draw(st.integers(min_value=1, max_value=25))
    parents = [None] + [draw(st.one_of(st.none(), st.integers(min_value=0, max_value=i - 1))) for i in range(1, n)]
    nodes = {f"b{i}": _node(i, parents[i], draw(cents)) for i in range(n)}
    own = {f"b{i}": draw(cents) for i in range(n)}
    spent: dict[str, Decimal] = {}
    for i in reversed(range(n)):       # children have higher indexes: their totals are known first
        key = f"b{i}"
        spent[key] = own[key] + sum((spent[c] for c, node in nodes.items() if node.parent_id == key), Decimal(0))
    return nodes, spent


@settings(max_examples=300, deadline=None)
@given(trees())
def test_a_child_never_gets_more_than_its_parent_has_left(tree: tuple[dict[str, BudgetNode], dict[str, Decimal]]) -> None:
    nodes, spent = tree
    for key, node in nodes.items():
        room = headroom(nodes, spent, key)
        assert room >= 0
        assert room <= max(node.amount - spent[key], Decimal(0))                 # never more than its own rest
        if node.parent_id is not None:
            assert room <= headroom(nodes, spent, node.parent_id)               # never more than its parent's room
        for a in ancestors(nodes, key):
            parent_left = max(nodes[a].amount - spent[a], Decimal(0))
            assert room <= parent_left                                           # nor any ancestor's
            assert spent[a] + room <= max(nodes[a].amount, spent[a])            # spending it breaks no ancestor
        bind = binding_node(nodes, spent, key)
        assert bind in [key] + ancestors(nodes, key)
        assert room == max(nodes[bind].amount - spent[bind], Decimal(0))         # the room is someone's exact rest


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=30), cents), min_size=1, max_size=30), cents)
def test_allocations_accepted_one_by_one_add_up(asks: list[tuple[int, Decimal]], root_amount: Decimal) -> None:
    """Budgets set one at a time are accepted only while the parent has enough left: afterwards every
    parent's children add up to at most its amount, and every refusal was an ask over what was left."""
    nodes = {"b0": _node(0, None, root_amount)}
    for i, (parent_pick, amount) in enumerate(asks, start=1):
        parent = sorted(nodes)[parent_pick % len(nodes)]
        candidate = _node(i, int(parent[1:]), amount)
        given = sum((n.amount for n in nodes.values() if n.parent_id == parent), Decimal(0))
        problem = allocation_problem(nodes, candidate)
        if problem is None:
            assert amount <= nodes[parent].amount - given
            nodes[candidate.budget_id] = candidate
        else:
            assert amount > nodes[parent].amount - given and "left to give" in problem
    for key, node in nodes.items():
        children = [n.amount for n in nodes.values() if n.parent_id == key]
        assert sum(children, Decimal(0)) <= node.amount


def test_unknown_parent_and_cycles_are_refused() -> None:
    nodes = {"b0": _node(0, None, Decimal(100)), "b1": _node(1, 0, Decimal(50))}
    assert "unknown parent budget 'b9'" in (allocation_problem(nodes, _node(2, 9, Decimal(1))) or "")
    looped = _node(0, 1, Decimal(10))           # b0 under its own child
    assert "its own ancestor" in (allocation_problem(nodes, looped) or "")

"""The semantic model is the one place a dimension or measure is defined; the tools, the planner's
vocabulary, the registry's schema and the README are generated from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.errors import UnknownNameError
from knowledge.semantic import docs
from knowledge.semantic.model import CONCEPTS, DERIVED, DIMENSIONS, MEASURES, dimension, measure

ROOT = Path(__file__).resolve().parents[2]
FOCUS_COLUMNS = ROOT / "tests" / "data" / "focus_columns.csv"

# SQL that spells a dimension of the model. Outside knowledge/semantic it may only appear generated
# from DIMENSIONS (the allocation view's `Tags['team']` and owner-hint tags belong to ownership, not here).
_DEFINITIONS = [
    r"Tags\['project'\]", r"Tags\['env'\]", r"Tags\['model'\]", r"Tags\['app'\]",
    r"coalesce\(SubAccountName, SubAccountId\)", r"\bx_model\b", r"x_endpoint_model",
]


def _product_sources() -> list[Path]:
    out: list[Path] = []
    for pkg in ("tools", "agent", "apps", "evals"):
        out += [p for p in (ROOT / pkg).rglob("*.py")]
    return out


def test_no_dimension_sql_outside_the_semantic_model():
    offenders = []
    for path in _product_sources():
        text = path.read_text(encoding="utf-8")
        for pattern in _DEFINITIONS:
            for m in re.finditer(pattern, text):
                line = text.count("\n", 0, m.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {m.group(0)}")
    assert not offenders, "dimension SQL defined outside knowledge/semantic:\n" + "\n".join(offenders)


def test_tools_take_their_dimensions_from_the_model():
    from typing import get_args

    from tools import scopes, spend

    for g in get_args(spend.SpendArgs.model_fields["group_by"].annotation):
        assert spend._KEYS[g] == DIMENSIONS[g].sql
    for kind in scopes.SCOPE_KINDS:
        assert scopes.SCOPE_KEYS[kind] == DIMENSIONS[kind].sql


def test_planner_group_words_are_generated_from_the_model():
    from agent.entities import GROUP_WORDS

    for dim in DIMENSIONS.values():
        for word in (dim.name, *dim.synonyms):
            if re.fullmatch(r"[a-z0-9]+", word) and word != (dim.focus_column or "").lower():
                assert GROUP_WORDS[word] == dim.name


def test_query_costs_schema_names_every_measure():
    from tools.registry import registry

    schema = registry.get("query_costs").openai_tool()["function"]["parameters"]
    described = schema["properties"]["measures"]["description"]
    for name in (*MEASURES, *DERIVED):
        assert name in described


def test_every_categorical_focus_column_worth_grouping_by_is_a_dimension():
    import csv

    with FOCUS_COLUMNS.open(encoding="utf-8") as fh:
        cols = [r["column_name"] for r in csv.DictReader(fh)
                if r["column_type"] == "Dimension" and r["data_type"] == "String"]
    declared = {d.focus_column for d in DIMENSIONS.values()} | {"SubAccountName"}
    # Free text and JSON are not dimensions to group by.
    not_grouped = {"SkuPriceDetails", "Tags"}
    missing = [c for c in cols if c not in declared and c not in not_grouped]
    assert not missing, f"FOCUS columns with no dimension: {missing}"


def test_names_synonyms_and_focus_columns_resolve_to_one_dimension():
    assert dimension("ServiceCategory").name == "service_category"
    assert dimension("service category").name == "service_category"
    assert dimension("subscription").name == "account"
    assert dimension("tag:CostCenter").params == ("CostCenter",)
    assert measure("amortized").name == "effective_cost"
    assert measure("ESR").name == "effective_savings_rate"
    with pytest.raises(UnknownNameError, match="did you mean"):
        dimension("regoin")


def test_concepts_point_at_real_dimensions():
    for c in CONCEPTS:
        assert c.dimension in DIMENSIONS


def test_readme_vocabulary_is_generated_not_hand_kept():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.rewrite(readme) == readme, "run: python -m knowledge.semantic.docs --write README.md"
    for name in (*MEASURES, *DIMENSIONS):
        assert f"`{name}`" in readme

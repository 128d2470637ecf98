"""Issue 16 #16, model mode: more notations of an invented figure, and invented names, through the real
ChatOpenAI against the loopback fake server and the real graph and tools on the demo store.

The model calls `spend` by team, then writes a figure no tool returned. The answer must not show it
(nor repeat it in its notes), must say it was rejected, and must give the tool's real figures instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.test_adv_model_grounding import SPEND_BY_TEAM, company_total, model_answer, model_env, team_total  # noqa: F401
from tests.conftest import usd
from tests.fakes.openai_server import final

FIGURES = [
    "$5,000,000", "$5M", "$5 million", "5 million USD", "USD 5,000,000", "€5,000,000", "£4,000,000",
    "$5k", "$ 9,999,999.99", "$9 999 999", "9.9M USD", "$1e7", "USD9999999", "5000000 dollars",
    "twelve thousand dollars", "$0.00", "-$5,000", "$5,000,000.00", "5,000,000$", "$3.5bn", "$12,345.67",
    "1.2 million dollars", "$7B", "USD 42", "$0.01", "EUR 1,000", "$1,000,000,000",
]


@pytest.mark.parametrize("figure", FIGURES)
def test_an_invented_figure_is_never_shown(demo_db: Path, model_env: Callable[..., None],  # noqa: F811
                                           sql: Callable[..., Any], figure: str) -> None:
    a = model_answer(demo_db, model_env, [SPEND_BY_TEAM, final(f"Team search spent {figure} last month.")],
                     "How much did search spend last month?")
    assert not a.grounded and a.kind == "answer"
    assert figure not in a.text
    assert a.rejected  # (a spaced or signed figure may be named in parts: '$9', '999')
    assert not any(figure in f for f in a.flags)
    assert usd(company_total(sql)) in a.text and usd(team_total(sql, "search")) in a.text

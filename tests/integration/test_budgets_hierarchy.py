"""The budget hierarchy on the demo through the real CLI: `finops budgets set` (flags and YAML) checked
against the precedence rule, CostQuery scopes whose spend matches independent SQL, custom periods, the
tree's headroom, alerts on a hard limit, and the pre-launch gate's hook (`tools.budget_tree.launch_check`)."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from knowledge.store import open_store
from tests.cli import Ran, finops_cli
from tests.conftest import duckdb_connect
from tools.budget_tree import launch_check

SPEND = ("SELECT coalesce(sum(BilledCost), 0) FROM charges_allocated WHERE ChargePeriodStart >= CAST(? AS DATE) "
         "AND ChargePeriodStart < CAST(? AS DATE) AND {where}")


def finops(db: Path, *args: str) -> Ran:
    """The real CLI in-process (tests/cli.py), with only PATH and HOME in its environment."""
    return finops_cli(*args, "--db", str(db), env={"PATH": "/usr/bin:/bin", "HOME": str(db.parent)})


def one(db: Path, query: str, *params: object) -> object:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute(query, list(params)).fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def built_tree(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with three budgets set through the CLI, built once per module; each test gets a copy (tree)."""
    db = tmp_path_factory.mktemp("tree") / "tree.duckdb"
    shutil.copy(demo_db, db)
    for args in (["org", "--amount", "2000000", "--hard"],
                 ["project:llama-ft", "--parent", "team:research", "--amount", "20000", "--hard"],
                 ["ai-research", "--parent", "team:research", "-w", "service_category=AI and Machine Learning",
                  "-w", "team=research", "--amount", "50000"]):
        p = finops(db, "budgets", "set", *args)
        assert p.returncode == 0, p.stderr
    return db


@pytest.fixture
def tree(built_tree: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(built_tree, tmp_path / "tree.duckdb"))


def statuses(db: Path) -> dict[str, dict]:
    p = finops(db, "budgets", "tree", "--json")
    assert p.returncode == 0, p.stderr
    return {b["node"]["budget_id"]: b for b in json.loads(p.stdout)["budgets"]}


def test_precedence_refuses_a_child_over_what_its_parent_has_left(tree: Path) -> None:
    research = one(tree, "SELECT amount FROM budgets WHERE scope_name = 'research' AND period_start = DATE '2026-11-01'")
    left = research - Decimal(20000) - Decimal(50000)
    before = one(tree, "SELECT count(*) FROM budget_nodes")
    p = finops(tree, "budgets", "set", "project:multimodal-eval", "--parent", "team:research", "--amount", str(left + 1))
    assert p.returncode == 2 and f"${left:,.2f} left to give" in p.stderr
    assert one(tree, "SELECT count(*) FROM budget_nodes") == before
    assert finops(tree, "budgets", "set", "project:multimodal-eval", "--parent", "team:research", "--amount", str(left)).returncode == 0
    p = finops(tree, "budgets", "set", "x", "--parent", "team:research", "-w", "team=reserch", "--amount", "5")
    assert p.returncode == 2 and "'research'" in p.stderr                          # did you mean


def test_scope_spend_is_the_compilers_and_matches_sql(tree: Path) -> None:
    got = statuses(tree)
    as_of = "2026-11-25"
    ai = got["ai-research"]
    assert Decimal(ai["spent"]) == one(tree, SPEND.format(where="ServiceCategory = 'AI and Machine Learning' AND x_team = 'research'"),
                                       "2026-11-01", as_of)
    project = got["project:llama-ft"]
    assert Decimal(project["spent"]) == one(tree, SPEND.format(where="Tags['project'] = 'llama-ft'"), "2026-11-01", as_of)
    assert Decimal(got["org"]["spent"]) == one(tree, SPEND.format(where="TRUE"), "2026-11-01", as_of)
    for b in got.values():                                       # a child never has more room than its parent
        parent = b["node"]["parent_id"]
        if parent:
            assert Decimal(b["headroom"]) <= Decimal(got[parent]["headroom"])
        assert Decimal(b["headroom"]) <= max(Decimal(b["node"]["amount"]) - Decimal(b["spent"]), Decimal(0))
    assert project["team"] == "research"                          # told through its parent's team


def test_custom_and_quarterly_periods(tree: Path) -> None:
    assert finops(tree, "budgets", "set", "sprint", "-w", "team=support", "--period", "custom", "--start", "2026-11-10",
                  "--end", "2026-12-01", "--amount", "90000").returncode == 0
    assert finops(tree, "budgets", "set", "past-sprint", "-w", "team=support", "--period", "custom", "--start",
                  "2026-10-01", "--end", "2026-10-15", "--amount", "90000").returncode == 0
    assert finops(tree, "budgets", "set", "q4-data", "-w", "team=data", "--period", "quarterly",
                  "--amount", "900000").returncode == 0
    got = statuses(tree)
    assert "past-sprint" not in got                               # its period does not hold today
    assert Decimal(got["sprint"]["spent"]) == one(tree, SPEND.format(where="x_team = 'support'"), "2026-11-10", "2026-11-25")
    assert got["q4-data"]["period_start"] == "2026-10-01" and got["q4-data"]["period_end"] == "2027-01-01"
    assert Decimal(got["q4-data"]["spent"]) == one(tree, SPEND.format(where="x_team = 'data'"), "2026-10-01", "2026-11-25")
    p = finops(tree, "budgets", "set", "bad", "-w", "team=data", "--period", "custom", "--start", "2026-11-10", "--amount", "1")
    assert p.returncode == 2 and "custom period needs an end" in p.stderr


def test_yaml_file_is_all_or_nothing(tree: Path, tmp_path: Path) -> None:
    good = tmp_path / "budgets.yaml"
    good.write_text("budgets:\n  - {id: 'model:gpt-4o', level: model, name: gpt-4o, parent: team:support, amount: 3000}\n"
                    "  - {id: 'app:support-bot', level: app, name: support-bot, parent: team:support, amount: 4000}\n")
    assert finops(tree, "budgets", "set", "--file", str(good)).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {id: 'app:ok', level: app, name: support-bot, parent: team:support, amount: 10}\n"
                   "- {id: 'team:nope', level: team, name: suport, parent: org, amount: 10}\n")
    before = one(tree, "SELECT count(*) FROM budget_nodes")
    p = finops(tree, "budgets", "set", "--file", str(bad))
    assert p.returncode == 2 and "'support'" in p.stderr and one(tree, "SELECT count(*) FROM budget_nodes") == before


def test_hard_limit_alerts_and_fails_the_launch_gate(tree: Path) -> None:
    p = finops(tree, "alerts", "run", "--json", "--dry-run")
    alerts = {a["key"]: a for a in json.loads(p.stdout)["alerts"]}
    over = alerts["budget:project:llama-ft:2026-11-01"]
    assert over["state"] == "100%" and over["severity"] == "high" and "(hard limit)" in over["title"]
    assert over["channel"] == "#team-research"
    with open_store(tree, read_only=True) as store:
        blocked = launch_check(store, "project:llama-ft", Decimal(1))          # hard and already over
        assert not blocked.allowed and blocked.blocking == ["project:llama-ft"]
        small = launch_check(store, "ai-research", Decimal(1000))               # room everywhere
        assert small.allowed and not small.warnings and small.headroom is not None and small.headroom >= 1000
        big = launch_check(store, "ai-research", Decimal(1_000_000))            # soft ones warn, the hard org blocks
        assert not big.allowed and big.blocking == ["org"] and set(big.warnings) == {"ai-research", "team:research"}
        with pytest.raises(Exception, match="did you mean"):
            launch_check(store, "ai-reserch", Decimal(1))


def test_estimate_gate_honours_the_hierarchys_hard_limit(tree: Path, tmp_path: Path) -> None:
    """`finops estimate` checks the most specific budget a run is charged to (here the project) and its
    parents: the hard, already-spent project budget fails the gate (exit 1) even for a small run."""
    spent = Decimal(str(one(tree, SPEND.format(where="Tags['project'] = 'llama-ft'"), "2026-11-01", "2026-11-25")))
    assert spent > 20000                                   # the planted fine-tune is past its hard budget
    job = tmp_path / "small.yaml"
    job.write_text("name: tiny-eval\nteam: research\nproject: llama-ft\nkind: training\ngpu_type: H100\n"
                   "gpu_count: 8\nhours: 1\n")
    p = finops(tree, "estimate", str(job))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "project:llama-ft has $0.00 left of $20,000.00 (hard limit)" in p.stdout
    other = tmp_path / "other.yaml"                        # the same run on a project with no budget
    other.write_text(job.read_text().replace("project: llama-ft", "project: multimodal-eval"))
    p = finops(tree, "estimate", str(other))
    assert "hard limit" not in p.stdout

"""Issue 16, manifests: `finops estimate FILE` (a real subprocess, as CI runs it) on hostile YAML.

Billion laughs, deep nesting, tags, huge files and YAML 1.1 number forms are refused with exit 2 and a
short message naming the field and line, before anything is built; the process stays small.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from apps.cli.main import app
from knowledge.prices import load_catalogs
from knowledge.store import open_store
from tests.cli import CliRunner

GOOD = """\
name: llama-sft
team: search
kind: training
gpu_type: H100
gpu_count: 8
hours: 2
"""

LAUGHS = "\n".join(
    ['name: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"x{i}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
) + "\n"
MEMORY_LIMIT = 3 * 1024 ** 3        # the bomb expanded to 19 GB before the fix; a normal estimate fits easily


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


class Run:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def estimate(workdir: Path, text: str | None = None, *args: str, process: bool = False) -> Run:
    """`finops estimate job.yaml --db s.duckdb` in `workdir`: in a subprocess under a 3 GB address-space
    limit when `process` (the resource cases), else through the same Typer app in-process (faster)."""
    if text is not None:
        (workdir / "job.yaml").write_text(text, encoding="utf-8")
    argv = ["estimate", "job.yaml", "--db", "s.duckdb", "--format", "text", *args]
    if process:
        p = subprocess.run([sys.executable, "-m", "apps.cli.main", *argv], cwd=workdir, capture_output=True,
                           text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(workdir)},
                           preexec_fn=_limit_memory)
        return Run(p.returncode, p.stdout, p.stderr)
    r = CliRunner().invoke(app, argv)
    return Run(r.exit_code, r.stdout, r.stderr)


@pytest.fixture(scope="module")
def priced_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store with the price catalogs loaded (once per module; each test gets a copy)."""
    path = tmp_path_factory.mktemp("adv-manifest") / "s.duckdb"
    with open_store(path) as store:
        load_catalogs(store.con)
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, priced_store: Path) -> Path:
    shutil.copy(priced_store, tmp_path / "s.duckdb")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FINOPS_DB", raising=False)
    return tmp_path


def test_a_good_manifest_still_estimates_under_the_memory_limit(workdir: Path) -> None:
    p = estimate(workdir, GOOD, process=True)
    assert p.returncode in (0, 1), p.stderr
    assert "H100" in p.stdout


def test_billion_laughs_is_refused_at_the_first_anchor(workdir: Path) -> None:
    assert len(LAUGHS) < 500
    p = estimate(workdir, LAUGHS, process=True)
    assert p.returncode == 2, p.stderr[-2000:]
    assert p.stderr.strip() == ("error: job.yaml: line 1: anchors and aliases (&name, *name) are not allowed "
                                "in a manifest; write each value out")
    assert p.stdout == ""


@pytest.mark.parametrize(("value", "message"), [
    ("1:30", "line 6: hours: expected a number, got '1:30'"),       # YAML 1.1: 90 (sexagesimal)
    ("010", "line 6: hours: '010' has a leading zero"),              # YAML 1.1: 8 (octal)
    ("0x10", "line 6: hours: expected a number, got '0x10'"),        # YAML 1.1: 16
    ("0o10", "line 6: hours: expected a number, got '0o10'"),
    ("1_000", "line 6: hours: expected a number, got '1_000'"),
    ("!!int 0x10", "line 6: YAML tags (such as !!int or !tag) are not allowed in a manifest"),
    ("1e400", "line 6: hours: number out of range"),
    (".inf", "line 6: hours: expected a finite number"),
    ("yes", "line 6: hours: expected a number, got 'yes'"),
])
def test_yaml_11_number_forms_are_never_numbers(workdir: Path, value: str, message: str) -> None:
    p = estimate(workdir, GOOD.replace("hours: 2", f"hours: {value}"))
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert message in p.stderr


def test_yaml_12_decimals_are_read_exactly(workdir: Path) -> None:
    p = estimate(workdir, GOOD.replace("hours: 2", "hours: 1.5"), "--format", "json")
    assert p.returncode in (0, 1), p.stderr
    assert '"run_hours": "1.5"' in p.stdout or '"hours": "1.5"' in p.stdout


@pytest.mark.parametrize("nested", [
    "[" * 5000 + "]" * 5000,                                          # flow sequences, 10 KB
    "{a: " * 3000 + "1" + "}" * 3000,                                 # flow mappings
    "".join(f"\n{'  ' * (i + 1)}k{i}:" for i in range(200)) + " 1",   # block mappings
], ids=["flow-sequences", "flow-mappings", "block-mappings"])
def test_deep_nesting_is_a_clear_error_not_a_recursion_error(workdir: Path, nested: str) -> None:
    p = estimate(workdir, GOOD.replace("hours: 2", f"hours: {nested}"))
    assert p.returncode == 2, p.stderr[-2000:]
    assert "nested more than 8 levels deep" in p.stderr
    assert "Traceback" not in p.stderr and "RecursionError" not in p.stderr
    assert len(p.stderr) < 300


def test_a_huge_file_is_refused_unread(workdir: Path) -> None:
    with open(workdir / "job.yaml", "wb") as fh:      # 10 GB, sparse: costs no disk; only 64 KB may be read
        fh.truncate(10 * 1024 ** 3)
    p = estimate(workdir, process=True)
    assert p.returncode == 2
    assert p.stderr.strip() == "error: job.yaml: too large (over 64 KB; a manifest is a few lines)"


def test_a_document_just_over_64_kb_is_refused(workdir: Path) -> None:
    p = estimate(workdir, GOOD + "# " + "x" * (64 * 1024) + "\n")
    assert p.returncode == 2 and "too large" in p.stderr


def test_errors_never_repeat_whole_values(workdir: Path) -> None:
    long = "z" * 30_000
    p = estimate(workdir, GOOD + f"pricing: {long}\n? {long}\n: 1\n")     # an explicit key may be any length
    assert p.returncode == 2
    assert long[:41] not in p.stderr                           # values and field names are clipped to 40
    assert "pricing: got 'zzzz" in p.stderr and "(30,000 characters)" in p.stderr
    assert len(p.stderr) < 600


@pytest.mark.parametrize(("text", "message"), [
    (GOOD + "---\nname: second\n", "line 7: expected one document, found more (---)"),
    (GOOD + "region: [us-east-1, eu-west-1]\n", "line 7: region: expected a single value, got a list"),
    (GOOD + "region: !!python/object:os.system echo\n", "line 7: YAML tags"),
    (GOOD.replace("name: llama-sft", "name: *ref"), "line 1: anchors and aliases"),
])
def test_other_constructs_are_refused(workdir: Path, text: str, message: str) -> None:
    p = estimate(workdir, text)
    assert p.returncode == 2 and message in p.stderr, p.stderr

"""Issue 16, manifests: more hostile and careless `finops estimate job.yaml` inputs (the Typer app in-process).

Each bad manifest is refused with exit 2 and a short message naming the line and field, and nothing is
estimated; a manifest that is valid but asks for an absurd run is estimated and held for approval
(exit 1), never passed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial.test_adv_manifest import GOOD, estimate, priced_store, workdir  # noqa: F401 (fixtures)


def swap(old: str, new: str) -> str:
    return GOOD.replace(old, new)


REFUSED = [  # (case id, manifest text, what stderr must hold)
    ("gpu-count-zero", swap("gpu_count: 8", "gpu_count: 0"), "line 5: gpu_count: must be greater than 0"),
    ("gpu-count-negative", swap("gpu_count: 8", "gpu_count: -8"), "line 5: gpu_count: must be greater than 0"),
    ("gpu-count-fraction", swap("gpu_count: 8", "gpu_count: 2.5"), "line 5: gpu_count: expected a whole number"),
    ("gpu-count-huge", swap("gpu_count: 8", "gpu_count: 100000000"), "line 5: gpu_count: must be less than"),
    ("gpu-count-word", swap("gpu_count: 8", "gpu_count: eight"), "line 5: gpu_count: expected a whole number"),
    ("gpu-count-null", swap("gpu_count: 8", "gpu_count: null"), "line 5: gpu_count: missing"),
    ("gpu-count-bool", swap("gpu_count: 8", "gpu_count: true"), "line 5: gpu_count: expected a whole number"),
    ("hours-negative", swap("hours: 2", "hours: -2"), "line 6: hours: must be greater than 0"),
    ("hours-zero", swap("hours: 2", "hours: 0"), "line 6: hours: must be greater than 0"),
    ("hours-empty", swap("hours: 2", "hours: ''"), "line 6: hours: expected a number"),
    ("hours-nan", swap("hours: 2", "hours: .nan"), "line 6: hours: expected a finite number"),
    ("hours-list", swap("hours: 2", "hours: [1]"), "line 6: hours: expected a single value, got a list"),
    ("hours-mapping", swap("hours: 2", "hours: {a: 1}"), "line 6: hours: expected a single value, got a mapping"),
    ("hours-with-unit", swap("hours: 2", "hours: 2 hours"), "line 6: hours: expected a number, got '2 hours'"),
    ("hours-missing", swap("hours: 2\n", ""), "hours: missing"),
    ("gpu-type-unknown", swap("gpu_type: H100", "gpu_type: Z9000"), "line 4: gpu_type: unknown GPU type 'Z9000'"),
    ("gpu-type-missing", swap("gpu_type: H100\n", ""), "gpu_type: missing"),
    ("gpu-type-number", swap("gpu_type: H100", "gpu_type: 100"), "line 4: gpu_type: expected text, got 100"),
    ("team-missing", swap("team: search\n", ""), "team: missing"),
    ("team-empty", swap("team: search", "team: ''"), "team: missing"),
    ("name-missing", swap("name: llama-sft\n", ""), "name: missing"),
    ("kind-unknown", swap("kind: training", "kind: party"), "line 3: kind: got 'party'"),
    ("unknown-field", GOOD + "colour: blue\n", "line 7: colour: unknown field"),
    ("duplicate-key", GOOD + "hours: 3\n", "line 7: hours: given twice (first on line 6)"),
    ("tab-indent", GOOD + "\tregion: x\n", "line 7: not valid YAML"),
    ("a-list", "- a\n- b\n", "line 1: expected a mapping of fields"),
    ("a-scalar", "hello\n", "line 1: expected a mapping of fields"),
    ("empty", "", "empty manifest"),
    ("only-a-comment", "# nothing\n", "empty manifest"),
    ("control-characters", "\x00\x01\x02", "line 1: character U+0000 is not allowed"),
    ("control-character-in-a-value", GOOD + "region: us\x07east\n", "line 7: character U+0007 is not allowed"),
    ("merge-key", GOOD + "<<: {hours: 3}\n", "line 7: <<: expected a single value"),
    ("complex-key", GOOD + "? [a, b]\n: 1\n", "line 7: a field name must be plain text"),
    ("unclosed-quote", GOOD + 'region: "us-east\n', "line 7: not valid YAML"),
    ("bad-indentation", GOOD + "  region: x\n", "line 7: not valid YAML"),
    ("region-number", GOOD + "region: 5\n", "line 7: region: expected text, got 5"),
    ("pricing-unknown", GOOD + "pricing: free\n", "line 7: pricing: got 'free'"),
]


@pytest.mark.parametrize("text, said", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_bad_manifest_is_refused_with_its_line(workdir: Path, text: str, said: str) -> None:  # noqa: F811
    p = estimate(workdir, text)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert said in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr) < 400
    assert "This run will cost" not in p.stdout


@pytest.mark.parametrize("raw, said", [
    ("\xff\xfe".encode("latin-1") + GOOD.encode(), "not UTF-8 text (byte 0)"),
    (GOOD.encode("utf-16"), "not UTF-8 text (byte 0)"),
    (GOOD.encode() + b"region: \xff\xfe\n", "not UTF-8 text (byte"),
], ids=["latin-1-bytes", "utf-16", "invalid-utf-8-in-a-value"])
def test_a_manifest_that_is_not_utf8_is_refused(workdir: Path, raw: bytes, said: str) -> None:  # noqa: F811
    (workdir / "job.yaml").write_bytes(raw)
    p = estimate(workdir)
    assert p.returncode == 2 and said in p.stderr, p.stderr


@pytest.mark.parametrize("text", [swap("hours: 2", "hours: 1e9"), swap("team: search", "team: nosuchteam")],
                         ids=["a-billion-hours", "a-team-with-no-budget"])
def test_an_absurd_or_unbudgeted_run_is_held_for_approval(workdir: Path, text: str) -> None:  # noqa: F811
    p = estimate(workdir, text)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "needs approval" in p.stdout

"""Issue 16, "What it must show": per surface, bad inputs tried and handled right, before and after.

    python benchmarks/adversarial_table.py [--junit FILE]

Runs pytest (a subprocess, `-p no:xdist`, `--junitxml`) over the adversarial and hardening tests listed
in CASES and counts, per surface, the test cases (each parametrized case counts one) and those that
passed. "Before" is the adversarial trial's count (inputs tried / handled right) on the code before the
fixes; "after" counts this repo's own cases, which reproduce the trial's findings but are not the
trial's inputs. A test mapped to None is a control (a good input still accepted, a document check): it
runs but is not counted as a bad input.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BEFORE = {  # surface -> (tried, handled right) in the trial, from issue 16
    "FOCUS CSV": (62, 52), "JSON pages": (59, 56), "LiteLLM+DCGM": (21, 16), "re-ingest": (16, 12),
    "concurrency": (4, 2), "offline injection": (30, 21), "model mode": (48, 30), "manifests": (60, 54),
    "Slack": (54, 45), "TUI": (11, 9),
}

# test file -> surface, with "file::test function" entries for files that test several surfaces.
CASES: dict[str, str | None] = {
    "tests/adversarial/test_adv_ingest.py": "FOCUS CSV",
    "tests/adversarial/test_adv_ingest.py::test_reingest_of_a_mostly_bad_export_is_refused_and_keeps_the_old_rows":
        "re-ingest",
    "tests/adversarial/test_adv_ingest.py::test_the_limit_applies_only_to_a_replace_and_is_inclusive": "re-ingest",
    "tests/adversarial/test_adv_ingest.py::test_connector_reingest_is_refused_too": "re-ingest",
    "tests/adversarial/test_adv_ingest.py::test_the_same_export_under_two_names_loads_once": "re-ingest",
    "tests/adversarial/test_adv_ingest.py::test_a_restated_period_replaces_however_its_key_is_spelled": "re-ingest",
    "tests/adversarial/test_adv_ingest.py::test_another_account_or_month_is_not_replaced": "re-ingest",
    "tests/adversarial/test_adv_ingest.py::test_out_of_range_dates_in_other_kinds": "LiteLLM+DCGM",
    "tests/adversarial/test_adv_ingest.py::test_a_call_whose_provider_nobody_knows_is_quarantined": "LiteLLM+DCGM",
    "tests/adversarial/test_adv_ingest.py::test_litellm_bad_records_are_quarantined_one_by_one": "LiteLLM+DCGM",
    "tests/adversarial/test_adv_ingest.py::test_dcgm_out_of_range_timestamps_are_quarantined": "LiteLLM+DCGM",
    "tests/adversarial/test_adv_ingest.py::test_json_page_values_that_fit_no_column_are_quarantined_one_by_one":
        "JSON pages",
    "tests/adversarial/test_adv_ingest.py::test_a_gzip_bomb_of_json_pages_is_refused_without_reading_it_all":
        "JSON pages",
    "tests/adversarial/test_adv_focus_rows.py": "FOCUS CSV",
    "tests/adversarial/test_adv_json_pages.py": "JSON pages",
    "tests/adversarial/test_adv_litellm_dcgm.py": "LiteLLM+DCGM",
    "tests/adversarial/test_adv_reingest.py": "re-ingest",
    "tests/adversarial/test_adv_estimate_writer.py": "concurrency",
    "tests/integration/test_store_concurrency.py": "concurrency",
    "tests/integration/test_agent_fail_closed.py": "offline injection",
    "tests/integration/test_agent_fail_closed.py::test_there_are_enough_answerable_questions": None,
    "tests/adversarial/test_adv_offline.py": "offline injection",
    "tests/adversarial/test_adv_model_budget.py": "model mode",
    "tests/adversarial/test_adv_model_grounding.py": "model mode",
    "tests/adversarial/test_adv_model_figures.py": "model mode",
    "tests/adversarial/test_adv_manifest.py": "manifests",
    "tests/adversarial/test_adv_manifest.py::test_a_good_manifest_still_estimates_under_the_memory_limit": None,
    "tests/adversarial/test_adv_manifest.py::test_yaml_12_decimals_are_read_exactly": None,
    "tests/adversarial/test_adv_manifests_more.py": "manifests",
    "tests/adversarial/test_adv_approval_binding.py": "manifests",  # the estimate gate's --approval-id
    "tests/adversarial/test_adv_approval_binding.py::test_the_approved_run_itself_passes": None,
    "tests/adversarial/test_adv_slack_http.py": "Slack",
    "tests/adversarial/test_adv_slack_http.py::test_readme_documents_host": None,
    "tests/adversarial/test_adv_slack_http.py::test_a_signed_request_still_works_after_the_abuse": None,
    "tests/adversarial/test_adv_slack_more.py": "Slack",
    "tests/adversarial/test_adv_slack_approvals.py": "Slack",
    "tests/adversarial/test_adv_slack_visibility.py": "Slack",
    "tests/adversarial/test_adv_store_paths.py": "Slack",  # --db typos reach `summary --post` and the bot
    "tests/adversarial/test_adv_store_paths.py::test_an_existing_named_store_is_used_as_it_is": None,
    "tests/integration/test_tui_export.py": "TUI",
    "tests/integration/test_tui_export.py::test_a_symlink_to_an_existing_file_and_an_existing_file_are_left_alone": "TUI",
    "tests/adversarial/test_adv_tui.py": "TUI",
}


def _files() -> list[str]:
    return sorted({key.split("::")[0] for key in CASES if (ROOT / key.split("::")[0]).exists()})


def _surface(classname: str, name: str) -> tuple[bool, str | None]:
    """(known, surface) of a junit test case: classname 'tests.adversarial.test_x', name 'test_y[param]'."""
    path = classname.replace(".", "/") + ".py"
    key = f"{path}::{name.split('[')[0]}"
    if key in CASES:
        return True, CASES[key]
    return path in CASES, CASES.get(path)


def count(junit: Path) -> tuple[Counter, Counter, list[str]]:
    tried: Counter = Counter()
    handled: Counter = Counter()
    broken: list[str] = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        known, surface = _surface(case.get("classname", ""), case.get("name", ""))
        if not known:
            raise SystemExit(f"unmapped test: {case.get('classname')}::{case.get('name')} (add it to CASES)")
        if surface is None:
            continue
        tried[surface] += 1
        bad = [child for child in case if child.tag in ("failure", "error", "skipped")]
        if bad:
            why = (bad[0].get("message") or bad[0].tag).splitlines()[0]
            broken.append(f"{surface}: {case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}\t{why}")
        else:
            handled[surface] += 1
    return tried, handled, broken


def table(tried: Counter, handled: Counter) -> list[str]:
    out = [f"{'surface':<18} {'before: tried/right/broken':>27} {'after: tried/right/broken':>26} {'after %':>8}"]
    for surface, (b_tried, b_right) in BEFORE.items():
        t, h = tried[surface], handled[surface]
        pct = f"{100 * h / t:.0f}%" if t else "-"
        out.append(f"{surface:<18} {f'{b_tried}/{b_right}/{b_tried - b_right}':>27} {f'{t}/{h}/{t - h}':>26} {pct:>8}")
    bt, br = sum(v[0] for v in BEFORE.values()), sum(v[1] for v in BEFORE.values())
    t, h = sum(tried.values()), sum(handled.values())
    out.append(f"{'total':<18} {f'{bt}/{br}/{bt - br}':>27} {f'{t}/{h}/{t - h}':>26} {f'{100 * h / t:.0f}%':>8}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--junit", type=Path, help="count an existing junit XML instead of running pytest")
    a = ap.parse_args()
    junit = a.junit
    if junit is None:
        junit = Path(tempfile.mkdtemp(prefix="finops-adv-")) / "junit.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "-p", "no:cacheprovider",
                        f"--junitxml={junit}", *_files()], cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    tried, handled, broken = count(junit)
    print("\n".join(table(tried, handled)))
    print("before = the adversarial trial (its inputs, on the code before the issue 16 fixes); after = this")
    print("repo's own cases (each parametrized case counts one), which reproduce the trial's findings but")
    print("are not the trial's inputs. Controls (good inputs still accepted) are run but not counted.")
    whys: dict[str, list[str]] = {}
    for line in broken:
        case, why = line.split("\t", 1)
        whys.setdefault(why, []).append(case)
    for why, cases in whys.items():
        print(f"broken ({len(cases)}): " + ", ".join(c.rsplit("[", 1)[-1].rstrip("]") for c in cases))
        print(f"  {cases[0].split('[')[0]}")
        print(f"  why: {why}")


if __name__ == "__main__":
    main()

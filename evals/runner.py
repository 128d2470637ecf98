"""Running a set: prepare its store, compute every expected answer first (gold SQL / facts), then ask
each question through `agent.service.ask` (the entry point every surface uses) and score it.

- demo: the demo company built into a temp dir with DEMO_AS_OF / DEMO_SEED (the same as the test
  fixture, so facts line up), or an existing demo store (`--db`).
- heldout_paraphrases, heldout_mna (issue 15; `heldout` names both): questions written without reading
  agent/, on the demo store too (one build shared by both in a process, or `--db`); reported, never gated
  (`evals.spec.REPORT_ONLY_SETS`).
- heldout2_paraphrases, heldout2_mna (`heldout2` names both; `heldout` now names all four): a second, fresh
  held-out set written the same way; reported, never gated.
- heldout3_paraphrases, heldout3_mna (`heldout3` names both; `heldout` names every report-only set): a
  third, fresh held-out set written the same way; reported, never gated.
- heldout4_paraphrases, heldout4_mna (`heldout4` names both): a fourth, fresh held-out set written the
  same way; reported, never gated.
- heldout6_paraphrases, heldout6_mna (`heldout6` names both): a sixth, fresh held-out set written the
  same way; reported, never gated.
- heldout7_superlatives: who owns the most expensive / priciest resource of a kind, and near misses, written
  before the tool read superlatives; reported, never gated. heldout7_fixcheck: fresh paraphrases checking the
  fix made on it. heldout8_kinds: a kind of resource a total or a breakdown by team cannot answer, and ones a
  service or category filter does; reported, never gated. heldout9_stats: a statistic of the bill no tool
  computes (median, standard deviation, a percentile) and the average per day; reported, never gated.
- heldout10_slices: a slice of time inside the period no tool filters on (weekends, nights, one weekday, by the
  hour); reported, never gated. heldout11_fixcheck: paraphrases checking the savings-verb and forecast-by fixes.
- heldout12_dropped: a filter or condition the chosen tool cannot take (a provider for the largest charge, a
  discount for an estimate, a usage threshold for budgets); reported, never gated.
- heldout13_pace_units: a run rate or burn rate, a country spelt "the u.s." / "the united states", an average price
  per unit, a team's name inside a loose resource text (found rows, then paraphrases); reported, never gated.
- heldout14_commitments: commitment discounts (reservations, RIs, savings plans, CUDs): their coverage, what went
  unused, their utilisation (found rows, then paraphrases); reported, never gated.
- heldout15_who_and_gpu_hours: "who" spends the most (a team, not the models), the cost of a GPU hour of jobs
  (found rows, then blind rows); reported, never gated.
- heldout16_dropped_words: a word ending in "ss" naming what the money went on ("egress costs"), once dropped as a
  verb form (found rows, then blind rows); reported, never gated.
- heldout17_monthly: "monthly" spend over several months, a breakdown by month (found row, then blind rows);
  reported, never gated.
- heldout18_previous_period: a named period compared with "the previous month": the month before it, not the
  month before today (found row, then blind rows); reported, never gated.
- heldout19_baseline_period: a period named only as what to compare with ("compared to october"): the baseline,
  not the period asked about (found row, then blind rows); reported, never gated.
- heldout20_partial_baseline: a ranking of changes against a period the billing data only partly covers gets no
  figure (found row, then blind rows); reported, never gated.
- heldout21_subject_words: what the money went on, said as a plain word between "how much" and the verb ("how
  much egress did we pay"), gets no figure, never the total (found rows, then blind rows); reported, never gated.
- heldout22_bill_part: a part of the bill named after it ("how much of october's bill was discounted") or a time
  of day ("before noon yesterday") gets no figure, never the whole bill (found rows, then blind rows); reported,
  never gated.
- heldout23_service_owner: who owns or pays for a service ("who owns ec2") names the teams that pay for it, never
  one resource's owner (found rows, then blind rows); reported, never gated.
- heldout24_list_and_rank: "list" said as a verb and "top 5 most expensive resources" rank what was asked for,
  never the list cost of everything or the teams (found rows, then blind rows); reported, never gated.
- heldout25_job_estimates: GPU jobs that cost more than their estimate get no figure, never every job's cost
  (found rows, then blind rows); reported, never gated.
- heldout26_phrase_after_on: a word left over after "on / for / from <name>" ("spend on data egress from s3") gets
  no figure, never the name's alone (found row, then blind rows); reported, never gated.
- heldout27_dropped_grouping: a breakdown asked of a tool that cannot give it ("untagged spend by team") gets no
  figure, never the tool's overall one (found rows, then blind rows); reported, never gated.
- heldout28_per_unit_rank: a ranking per unit ("which model costs the most per call") names the first one first
  (found row, then blind rows); reported, never gated.
- heldout29_unnamed_ranking: "what's costing us the most" names nothing to rank by: asked back, no figure (found
  row, then blind rows); reported, never gated.
- heldout30_month_and_it: "on track for the month" is this month's projection; "what would it cost to run …" is
  an estimate, its "it" no reference (found rows, then blind rows); reported, never gated.
- heldout31_invoice_and_week: "last month's invoice total" is the month's bill, not the LLM invoices'
  reconciliation; "per week" / "weekly" is given week by week (found rows, then blind rows); reported, never gated.
- heldout32_biggest_cost: "what's our biggest azure cost" names nothing to rank by: asked back, no figure (found
  row, then blind rows); reported, never gated.
- heldout33_biggest_charges: "the 5 biggest charges this week" names the largest charges, never their count
  (found rows, then blind rows); reported, never gated.
- heldout34_usage_rank: "which app uses the most tokens" ranks by tokens (calls), not by cost (found row, then
  blind rows); reported, never gated.
- heldout35_scope_words: savings plans (the bill cannot tell them apart), a forecast of two scopes at once, "who
  owns the s3 bucket" (found rows, then blind rows); reported, never gated.
- heldout36_forecast_words: a forecast of a name LLM calls also carry ("forecast anthropic spend") is the forecast,
  never the past 30 days' LLM spend; a month named for it is the next one (found rows, then blind rows);
  reported, never gated.
- heldout37_time_series: "per month", "monthly", "trending", "over time" are answered month by month, never with
  one total (found rows, then blind rows); reported, never gated.
- heldout38_model_switch: "how much could we save by moving gpt-4.1 traffic to gpt-4.1-mini" is priced (the
  calls re-priced at the target's catalog prices), never answered with the audit's other savings (found row,
  then blind rows); reported, never gated.
- heldout39_second_looks: fresh wordings of heldout25's and heldout26's wrong-confident after-fix rows (jobs
  against what was expected, storage classes): no figure; reported, never gated.
- heldout40_owner_grouping: "spend by owner" is the breakdown by the `owner` tag, never the total by team (found
  rows, then blind rows); reported, never gated.
- heldout41_place_words: "spend in us regions" names no region of the bill: no figure (found row, then blind
  rows); reported, never gated.
- heldout42_growth_words: "what's our storage spend growth rate" is the change against the period before, never
  a unit price (found row, then blind rows); reported, never gated.
- heldout43_partial_llm: LLM spend of a period the call data covers only in part says "only partly covered" (found
  row, then blind rows); reported, never gated.
- heldout44_partial_compare: a comparison whose other period the billing data covers only in part says so,
  whichever side it is on (found row, then blind rows); reported, never gated.
- heldout45_growth_ranking: a ranking by growth ranks by the change against the period before, never by size
  (found rows, then blind rows); reported, never gated.
- heldout46_two_groupings: a question naming a time grain and another breakdown gets both, or no figure (found
  rows, then blind rows); reported, never gated.
- heldout47_job_superlatives: one GPU job or run described by its cost is the job history's, never the bill's
  (found rows, then blind rows); reported, never gated.
- heldout48_endpoint_scope: a total asked of endpoints that keeps none of them gets no figure (found row, then
  blind rows); reported, never gated.
- heldout49_caching_saved: what caching saved gets no figure (no tool prices cached tokens at their uncached
  price); what more caching could save stays the prompt audit's (found rows, then blind rows); reported, never gated.
- heldout50_outside_places: a place excluded by country or continent ("outside the US") gets no figure (found
  row, then blind rows); reported, never gated.
- heldout51_per_job: the cost per GPU job is the job history's total over its jobs with a known cost (found
  rows, then blind rows); reported, never gated.
- heldout52_open_periods: the time before a period ("before november", "up to october") is never read as that
  period (found rows, then blind rows); reported, never gated.
- heldout53_share_of_part: a share asked of one part of a filtered whole is a share or no figure, never the
  part's amount alone (found row, then blind rows); reported, never gated.
- focus: the FinOps Foundation FOCUS sample shipped in `evals/data/`, ingested into a temp store with
  `knowledge.ingest`; gold SQL reads the raw file, not the store.
The store is opened read-only by the agent; its row counts are checked before and after the run.
"""

from __future__ import annotations

import atexit
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import duckdb

from agent.answer import Answer
from evals.gold import Expected, GoldContext
from evals.report import CaseResult, SetReport
from evals.scoring import excerpt, score
from evals.spec import DEMO_STORE_SETS, REPORT_ONLY_SETS, Question, load_set
from knowledge.connection import connect

DEMO_AS_OF = date(2026, 11, 25)
DEMO_SEED = 7
SETS = ("demo", "focus", *REPORT_ONLY_SETS)
# Names that stand for several sets (`expand_sets`): the held-out sets of issue 15.
SET_GROUPS: dict[str, tuple[str, ...]] = {"heldout": REPORT_ONLY_SETS, "all": SETS,
                                           "heldout2": ("heldout2_paraphrases", "heldout2_mna"),
                                           "heldout3": ("heldout3_paraphrases", "heldout3_mna"),
                                           "heldout4": ("heldout4_paraphrases", "heldout4_mna"),
                                           "heldout6": ("heldout6_paraphrases", "heldout6_mna"),
                                           "heldout7": ("heldout7_superlatives", "heldout7_fixcheck")}


def expand_sets(name: str) -> list[str]:
    """`heldout` -> both held-out sets, `all` -> every set, a set name -> itself."""
    if name in SET_GROUPS:
        return list(SET_GROUPS[name])
    if name in SETS:
        return [name]
    raise ValueError(f"unknown set {name!r}; sets: {', '.join([*SETS, *SET_GROUPS])}")
Planner = Literal["offline", "model"]
Progress = Callable[[CaseResult], None]


def focus_sample() -> Path:
    """The FOCUS 1.0 sample (FinOps Foundation, CC BY 4.0) shipped with the package."""
    return Path(__file__).resolve().parent / "data" / "focus_sample_1000.csv.gz"


@dataclass
class Prepared:
    store: Path
    gold: GoldContext
    untrusted: list[str]
    note: str


def build_demo_store(directory: Path) -> Path:
    from knowledge.demo import build_demo

    path = directory / "demo.duckdb"
    build_demo(path, as_of=DEMO_AS_OF, seed=DEMO_SEED)
    return path


_shared: dict[str, Any] = {}


def shared_demo_store() -> Path:
    """One demo store per process for the held-out sets (built on first use, removed at exit)."""
    if "path" not in _shared:
        tmp = tempfile.TemporaryDirectory(prefix="finops-eval-heldout-")
        atexit.register(tmp.cleanup)
        _shared["tmp"] = tmp
        _shared["path"] = build_demo_store(Path(tmp.name))
    return _shared["path"]


def prepare_demo(db: Path | None, workdir: Path) -> Prepared:
    if db is None:
        started = time.perf_counter()
        db = build_demo_store(workdir)
        note = f"demo store built (as_of {DEMO_AS_OF}, seed {DEMO_SEED}) in {time.perf_counter() - started:.1f} s"
    else:
        note = f"demo store {db}"
    gold = GoldContext.for_demo(db)
    planted = (gold.facts.get("prompt_injection") or {}).get("tag_value")
    return Prepared(db, gold, [planted] if planted else [], note)


def prepare_focus(workdir: Path, sample: Path | None = None) -> Prepared:
    from knowledge.ingest import ingest

    sample = sample or focus_sample()
    path = workdir / "focus.duckdb"
    started = time.perf_counter()
    report = ingest(path, "focus", [sample])
    counts = "; ".join(f.counts_line() for f in report.files)
    note = f"FOCUS sample {sample.name} ingested into a temp store ({counts}) in {time.perf_counter() - started:.1f} s"
    return Prepared(path, GoldContext.for_focus_file(sample), [], note)


def row_counts(path: Path) -> dict[str, int]:
    con = connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]
        return {t: _count(con, t) for t in tables}
    finally:
        con.close()


@contextmanager
def _clean_env() -> Iterator[None]:
    """The run answers as of the store's own date: FINOPS_TODAY would shift every relative period."""
    saved = {k: os.environ.pop(k) for k in ("FINOPS_TODAY",) if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def run_set(name: str, *, planner: Planner = "offline", db: Path | None = None, only: str | None = None,
            progress: Progress | None = None) -> SetReport:
    """Run one set and score it. `only` keeps questions whose id contains it."""
    if name not in SETS:
        raise ValueError(f"unknown set {name!r}; sets: {', '.join(SETS)}")
    questions = [q for q in load_set(name) if not only or only in q.id]
    from agent.service import ask

    if planner == "model":
        _check_model_planner()

    with tempfile.TemporaryDirectory(prefix=f"finops-eval-{name}-") as tmp:
        work = Path(tmp)
        if name in REPORT_ONLY_SETS and db is None:
            started = time.perf_counter()
            db = shared_demo_store()
            prepared = prepare_demo(db, work)
            prepared.note = (f"demo store (as_of {DEMO_AS_OF}, seed {DEMO_SEED}) shared by the held-out sets; "
                             f"reporting only, not gated ({time.perf_counter() - started:.1f} s to prepare)")
        else:
            prepared = prepare_demo(db, work) if name in DEMO_STORE_SETS else prepare_focus(work)
        try:
            expected = {q.id: prepared.gold.expected(q) for q in questions}
        finally:
            prepared.gold.close()
        before = row_counts(prepared.store)
        sessions = {q.session: f"eval-{q.session}-{uuid.uuid4().hex[:8]}" for q in questions if q.session}
        results: list[CaseResult] = []
        with _clean_env():
            for q in questions:
                result = _ask_one(q, expected[q.id], prepared, planner, sessions.get(q.session or ""), ask)
                results.append(result)
                if progress is not None:
                    progress(result)
        after = row_counts(prepared.store)
    changed = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
    return SetReport(name=name, planner=planner, note=prepared.note, cases=results,
                     store_unchanged=not changed, changed_tables=changed)


def _check_model_planner() -> None:
    """Fail before building anything when the model planner cannot run (no key, no server)."""
    from agent.configuration import AgentConfig
    from agent.planning import PlannerUnavailable
    from agent.service import make_planner

    try:
        make_planner(AgentConfig.from_env("model"))
    except PlannerUnavailable as exc:
        raise ValueError(str(exc)) from exc


def _ask_one(q: Question, exp: Expected, prepared: Prepared, planner: Planner, session: str | None,
             ask: Callable[..., Answer]) -> CaseResult:
    started = time.perf_counter()
    try:
        answer = ask(q.q, db=prepared.store, session_id=session, planner=planner)
    except Exception as exc:  # a crash is a failed answer, reported with the question
        ms = (time.perf_counter() - started) * 1000
        return CaseResult.of(q, exp, passed=False, why=f"crashed: {type(exc).__name__}: {exc}".splitlines()[0][:300],
                             got=f"(exception {type(exc).__name__})", ms=ms)
    ms = (time.perf_counter() - started) * 1000
    verdict = score(q, exp, answer, untrusted=prepared.untrusted)
    tokens = (answer.tokens.prompt_tokens + answer.tokens.completion_tokens) if answer.tokens else None
    return CaseResult.of(q, exp, passed=verdict.passed, why=verdict.why, got=excerpt(answer), ms=ms,
                         answer_kind=answer.kind, tools=[c.tool for c in answer.tool_calls], tokens=tokens,
                         found=verdict.found, wrong_confident=verdict.wrong_confident)


def run(sets: list[str], *, planner: Planner = "offline", db: Path | None = None, only: str | None = None,
        progress: Progress | None = None) -> list[SetReport]:
    names = [n for s in sets for n in expand_sets(s)]
    return [run_set(s, planner=planner, db=db if s in DEMO_STORE_SETS else None, only=only, progress=progress)
            for s in dict.fromkeys(names)]


def expected_for(name: str, db: Path | None = None) -> dict[str, Any]:
    """Every question's expected answer, without asking anything (to check the question files)."""
    questions = load_set(name)
    with tempfile.TemporaryDirectory(prefix=f"finops-gold-{name}-") as tmp:
        prepared = prepare_demo(db, Path(tmp)) if name in DEMO_STORE_SETS else prepare_focus(Path(tmp))
        try:
            return {q.id: prepared.gold.expected(q) for q in questions}
        finally:
            prepared.gold.close()


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    return int(row[0]) if row else 0

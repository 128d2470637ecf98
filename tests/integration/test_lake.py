"""The Parquet lake layout (knowledge.lake): the same answers as the store file, loads that replace their
partition only, writes that never copy the billing data, readers that keep going, and clear errors.

Expected values come from independent SQL over the demo store file (the `demo_db` fixture) or over the
lake's Parquet files read directly with DuckDB, never from the code under test."""

from __future__ import annotations

import gzip
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from apps.cli.main import app
from knowledge import lake
from knowledge.connection import connect
from knowledge.ingest import ingest
from knowledge.ingest.limits import LoadPolicy
from knowledge.store import Store, StoreError, create_lake, open_store, open_store_for_write
from tests.cli import CliRunner
from tests.conftest import duckdb_connect
from tools.registry import run_tool

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "focus_sample_1000.csv.gz"


@pytest.fixture(scope="module")
def demo_lake(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake") / "demo"
    create_lake(root, demo_db)
    return root


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in (root / lake.CHARGES_DIR).glob("*/*/*.parquet")}


def _manifest(root: Path) -> list[tuple[str, str, int]]:
    with open_store(root, read_only=True) as store:
        return lake.manifest(store.con)


def _parquet_sum(root: Path, where: str = "TRUE") -> tuple[int, Decimal]:
    """count and sum(BilledCost) over the manifest's files, read by plain DuckDB (no finops code)."""
    state = duckdb_connect(str(root / lake.STATE_FILE), read_only=True)
    files = [str(root / r[0]) for r in state.execute("SELECT file FROM lake_files").fetchall()]
    state.close()
    con = duckdb_connect()
    row = con.execute(f"SELECT count(*), sum(BilledCost) FROM read_parquet(?, hive_partitioning = false) "
                      f"WHERE {where}", [files]).fetchone()
    assert row is not None
    return int(row[0]), row[1]


def test_a_lake_made_from_the_store_holds_every_charge_in_its_partitions(demo_db: Path, demo_lake: Path) -> None:
    src = duckdb_connect(str(demo_db), read_only=True)
    expected = src.execute("SELECT count(*), sum(BilledCost) FROM focus_charges").fetchone()
    parts = src.execute(
        "SELECT strftime(BillingPeriodStart + (coalesce(BillingPeriodEnd, BillingPeriodStart) - BillingPeriodStart) "
        "/ 2, '%Y-%m') || '/' || regexp_replace(lower(ProviderName), '[^a-z0-9]', '', 'g'), count(*) "
        "FROM focus_charges GROUP BY 1").fetchall()
    src.close()
    assert _parquet_sum(demo_lake) == (expected[0], expected[1])
    by_partition = {p.replace("billing_period=", "").replace("/provider=", "/"): n for p, _, n in _manifest(demo_lake)}
    assert by_partition == dict(parts)
    # The state file holds no charge rows of its own.
    state = duckdb_connect(str(demo_lake / lake.STATE_FILE), read_only=True)
    assert state.execute("SELECT count(*) FROM focus_charges").fetchone() == (0,)
    state.close()


@pytest.mark.parametrize(("tool", "args"), [
    ("spend", {"group_by": "team", "period": "last month"}),
    ("spend", {"group_by": "service", "period": "last 30 days"}),
    ("who_owns", {"resource": "llm-serving-h100-a"}),
    ("anomalies", {}),
    ("waste", {}),
    ("explain_charge", {"amount": 17284.50, "period": "last 30 days"}),
    ("explain_charge", {"period": "last week"}),
    ("explain_charge", {"amount": 3000, "period": "yesterday"}),
])
def test_tools_answer_the_same_on_the_lake_as_on_the_store_file(demo_db: Path, demo_lake: Path, tool: str,
                                                               args: dict[str, object]) -> None:
    with open_store(demo_db, read_only=True) as file_store, open_store(demo_lake, read_only=True) as lake_store:
        on_file = run_tool(file_store, tool, args)
        on_lake = run_tool(lake_store, tool, args)
    assert on_lake.summary() == on_file.summary()
    assert on_lake.model_dump(exclude={"evidence"}) == on_file.model_dump(exclude={"evidence"})


def test_explain_finds_the_same_charges_on_the_lake_as_on_the_store_file(demo_db: Path, demo_lake: Path) -> None:
    """explain_charge reads a lake's Parquet files in two passes (the nearest lines' bound, then those lines
    alone) and a store file in one: the same candidates, sums and breakdowns for amounts that are single
    lines, a resource's day, nothing near, and no amount at all."""
    src = duckdb_connect(str(demo_db), read_only=True)
    last = src.execute("SELECT max(ChargePeriodStart) FROM focus_charges").fetchone()[0]
    lines = [r[0] for r in src.execute(
        "SELECT BilledCost FROM focus_charges WHERE ChargePeriodStart >= ? - INTERVAL 30 DAY "
        "ORDER BY hash(ResourceId, ChargePeriodStart, SkuId, BilledCost) LIMIT 8", [last]).fetchall()]
    days = [r[0] for r in src.execute(
        "SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? - INTERVAL 30 DAY "
        "GROUP BY ResourceId, CAST(ChargePeriodStart AS DATE) ORDER BY hash(ResourceId, min(ChargePeriodStart)) "
        "LIMIT 4", [last]).fetchall()]
    src.close()
    asks = [{"amount": float(a), "period": "last 30 days", "top": 7} for a in lines + days if a and a > 0]
    asks += [{"amount": 123456789, "period": "last week"}, {"amount": 0.01, "period": "last 7 days"},
             {"period": "yesterday", "top": 3}, {"period": "last month", "top": 20}]
    assert len(asks) >= 14
    with open_store(demo_db, read_only=True) as file_store, open_store(demo_lake, read_only=True) as lake_store:
        for args in asks:
            on_file = run_tool(file_store, "explain_charge", args)
            on_lake = run_tool(lake_store, "explain_charge", args)
            assert on_lake.model_dump(exclude={"evidence"}) == on_file.model_dump(exclude={"evidence"}), args
            assert on_lake.summary() == on_file.summary(), args


def test_ask_on_the_lake_prints_the_store_files_answer(demo_db: Path, demo_lake: Path) -> None:
    runner = CliRunner()
    q = "spend by team last month"
    on_file = runner.invoke(app, ["ask", q, "--db", str(demo_db)])
    on_lake = runner.invoke(app, ["ask", q, "--lake", str(demo_lake)])
    assert on_file.exit_code == on_lake.exit_code == 0, on_lake.output
    assert on_lake.output.split("\n\nEvidence")[0] == on_file.output.split("\n\nEvidence")[0]


def test_reingesting_a_period_replaces_its_partition_and_leaves_the_others_alone(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    create_lake(root)
    first = ingest(root, "focus", [SAMPLE])
    assert first.files[0].rows_read == first.files[0].rows_loaded + first.files[0].rows_quarantined == 1000
    before = {p: f for p, f, _ in _manifest(root)}
    expected = _parquet_sum(root)

    # Restate September only for Microsoft: a file holding just those rows, costs doubled.
    restated = tmp_path / "restated.csv"
    con = duckdb_connect()
    src = f"read_csv('{SAMPLE}', all_varchar = true)"
    cost = "CAST(BilledCost AS DECIMAL(38,12))"
    con.execute(f"COPY (SELECT * REPLACE (CAST({cost} * 2 AS VARCHAR) AS BilledCost) FROM {src} "
                f"WHERE ProviderName = 'Microsoft') TO '{restated}' (HEADER)")
    ms = con.execute(f"SELECT count(*), sum({cost}) FROM {src} WHERE ProviderName = 'Microsoft'").fetchone()
    con.close()
    second = ingest(root, "focus", [restated])
    report = second.files[0]
    assert report.rows_replaced == ms[0] and report.rows_loaded == ms[0]

    after = {p: f for p, f, _ in _manifest(root)}
    assert set(after) == set(before)
    changed = {p for p in after if after[p] != before[p]}
    assert changed == {p for p in after if p.endswith("/provider=microsoft")}
    count, total = _parquet_sum(root)
    assert count == expected[0]
    assert total == expected[1] + ms[1]
    # The retired files stay until no reader can still be using them.
    assert {before[p] for p in changed} <= _files(root)


def test_a_restated_month_rewrites_its_partition_but_not_the_neighbouring_months(tmp_path: Path) -> None:
    """Oracle has September and October in the sample; restating September checks out both months (the
    replace rules look at neighbouring months) but only September's partition gets new files."""
    root = tmp_path / "lake"
    create_lake(root)
    ingest(root, "focus", [SAMPLE])
    before = {p: f for p, f, _ in _manifest(root)}
    sept = tmp_path / "oracle-sept.csv"
    con = duckdb_connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{SAMPLE}', all_varchar = true) WHERE ProviderName = 'Oracle' "
                f"AND BillingPeriodStart = '2024-09-01 00:00:00') TO '{sept}' (HEADER)")
    con.close()
    report = ingest(root, "focus", [sept]).files[0]
    assert (report.rows_loaded, report.rows_replaced) == (6, 6)
    after = {p: f for p, f, _ in _manifest(root)}
    assert {p for p in after if after[p] != before[p]} == {"billing_period=2024-09/provider=oracle"}


def test_a_reader_opened_before_a_load_keeps_answering_from_what_it_opened(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    create_lake(root)
    ingest(root, "focus", [SAMPLE])
    reader = open_store(root, read_only=True)
    try:
        before = reader.con.execute("SELECT count(*), sum(BilledCost) FROM focus_charges").fetchone()
        ingest(root, "focus", [SAMPLE], policy=LoadPolicy(force=True))              # replaces every partition
        assert reader.con.execute("SELECT count(*), sum(BilledCost) FROM focus_charges").fetchone() == before
    finally:
        reader.close()
    with open_store(root, read_only=True) as fresh:
        assert fresh.con.execute("SELECT count(*), sum(BilledCost) FROM focus_charges").fetchone() == before


def test_a_refused_load_changes_neither_files_nor_manifest(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    create_lake(root)
    ingest(root, "focus", [SAMPLE])
    manifest, files = _manifest(root), _files(root)
    bad = tmp_path / "bad.csv"
    with gzip.open(SAMPLE, "rt") as fh:
        header = fh.readline()
    bad.write_text(header + "this,is,not,a,billing,row\n" * 3)
    with pytest.raises(RuntimeError, match="half way"):
        with open_store_for_write(root) as store:
            store.con.execute("INSERT INTO approvals (estimate_id, decided_by, decision, ts, channel, note) "
                              "VALUES ('e1', 'U1', 'approved', now(), 'C1', 'x')")
            raise RuntimeError("the writer failed half way")
    ingest(root, "focus", [bad])
    assert _manifest(root) == manifest
    assert _files(root) == files
    with open_store(root, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM approvals").fetchone() == (0,)


def test_an_approval_on_a_lake_writes_the_state_file_and_never_the_billing_files(demo_lake: Path,
                                                                                   tmp_path: Path) -> None:
    root = tmp_path / "lake"
    shutil.copytree(demo_lake, root)
    manifest, files = _manifest(root), {p: (root / p).stat().st_mtime_ns for p in _files(root)}
    with open_store_for_write(root) as store:
        store.con.execute("INSERT INTO approvals (estimate_id, decided_by, decision, ts, channel, note) "
                          "VALUES ('est-1', 'U1', 'approved', now(), 'C1', 'ok')")
    assert _manifest(root) == manifest
    assert {p: (root / p).stat().st_mtime_ns for p in _files(root)} == files
    with open_store(root, read_only=True) as store:
        assert store.con.execute("SELECT decision FROM approvals WHERE estimate_id = 'est-1'").fetchone() == ("approved",)
        # Reads inside and after the write see every charge.
        assert store.con.execute("SELECT count(*) FROM focus_charges").fetchone()[0] == sum(n for *_, n in manifest)


def test_the_slack_bots_state_only_write_records_the_approval_and_refuses_charge_rows(demo_lake: Path,
                                                                                        tmp_path: Path) -> None:
    """The bot writes through StoreAccess.write (a state-only write: no name index or allocation refresh). An
    approval lands; charge rows written in such a block are refused and leave the lake as it was."""
    from apps.slack.storelock import StoreAccess

    root = tmp_path / "lake"
    shutil.copytree(demo_lake, root)
    manifest, total = _manifest(root), _parquet_sum(root)
    access = StoreAccess(root)
    access.write(lambda store: store.con.execute(
        "INSERT INTO approvals (estimate_id, decided_by, decision, ts, channel, note) "
        "VALUES ('est-2', 'U1', 'approved', now(), 'C1', 'ok')"))
    state = duckdb_connect(str(root / lake.STATE_FILE), read_only=True)
    try:
        assert state.execute("SELECT decision FROM approvals WHERE estimate_id = 'est-2'").fetchone() == ("approved",)
    finally:
        state.close()

    def sneak_a_charge(store: Store) -> None:
        target = lake.write_target(store.con, lake.CHARGES)
        store.con.execute(f"INSERT INTO {target} SELECT * FROM {lake.CHARGES} LIMIT 1")

    with pytest.raises(StoreError, match="state-only"):
        access.write(sneak_a_charge)
    assert _manifest(root) == manifest and _parquet_sum(root) == total


def test_reads_inside_a_lake_write_see_every_charge(demo_lake: Path, tmp_path: Path) -> None:
    root = tmp_path / "lake"
    shutil.copytree(demo_lake, root)
    total = _parquet_sum(root)
    with open_store_for_write(root) as store:
        row = store.con.execute("SELECT count(*), sum(BilledCost) FROM focus_charges").fetchone()
    assert (row[0], row[1]) == total


def test_a_missing_partition_file_is_a_clear_error_not_a_smaller_total(demo_lake: Path, tmp_path: Path) -> None:
    root = tmp_path / "lake"
    shutil.copytree(demo_lake, root)
    victim = sorted(_files(root))[0]
    (root / victim).unlink()
    with pytest.raises(StoreError, match="not there"):
        open_store(root, read_only=True)
    result = CliRunner().invoke(app, ["ask", "spend by team last month", "--lake", str(root)])
    assert result.exit_code == 2
    assert "not there" in result.output and "$" not in result.output


def test_a_directory_that_is_not_a_lake_and_a_missing_lake_are_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    plain = tmp_path / "plain"
    plain.mkdir()
    res = runner.invoke(app, ["ask", "spend by team last month", "--lake", str(plain)])
    assert res.exit_code == 2 and "not a finops lake" in res.output
    res = runner.invoke(app, ["ask", "spend by team last month", "--lake", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "$" not in res.output
    res = runner.invoke(app, ["lake", "init", str(plain), "--from-db", str(tmp_path / "missing.duckdb")])
    assert res.exit_code == 2 and "no store file" in res.output


def test_finops_lake_status_lists_the_partitions(demo_lake: Path) -> None:
    res = CliRunner().invoke(app, ["lake", "status", str(demo_lake), "--json"])
    assert res.exit_code == 0, res.output
    import json

    listed = json.loads(res.output)["partitions"]
    assert {(p["partition"], p["rows"]) for p in listed} == {(p, n) for p, _, n in _manifest(demo_lake)}


def test_the_materialised_owners_follow_every_change_of_their_inputs(tmp_path: Path, demo_db: Path) -> None:
    """resource_owners reads a table rebuilt by writers; after each kind of write it equals the live rule."""
    db = tmp_path / "store.duckdb"
    shutil.copyfile(demo_db, db)

    def drift(path: Path) -> tuple[int, int]:
        with open_store(path, read_only=True) as store:
            row = store.con.execute(
                "SELECT (SELECT count(*) FROM (SELECT * FROM resource_owners EXCEPT SELECT * FROM resource_owners_live)),"
                " (SELECT count(*) FROM (SELECT * FROM resource_owners_live EXCEPT SELECT * FROM resource_owners))"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    assert drift(db) == (0, 0)
    with open_store_for_write(db) as store:      # a new rule: every resource of the sample's AWS account
        store.con.execute("INSERT INTO ownership (rule_id, match_kind, pattern, team, owner, priority, source) "
                          "SELECT max(rule_id) + 1, 'resource_pattern', '%llm-serving%', 'data', 'x@acme.ai', 0, 'test' "
                          "FROM ownership")
    assert drift(db) == (0, 0)
    with open_store(db, read_only=True) as store:
        team = store.con.execute("SELECT team FROM resource_owners WHERE ResourceId LIKE '%llm-serving-h100-a'"
                                 ).fetchone()
    assert team == ("data",)
    ingest(db, "focus", [SAMPLE])                # new resources from another bill
    assert drift(db) == (0, 0)
    root = tmp_path / "lake"
    create_lake(root, db)
    assert drift(root) == (0, 0)


@pytest.mark.parametrize("args", [
    ["ingest", "focus", str(SAMPLE), "--lake", "{missing}"],
    ["ask", "spend by team last month", "--lake={missing}"],
    ["ask", "spend by team last month", "--lake", "{file}"],
])
def test_the_console_script_refuses_a_lake_that_is_not_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    """--lake is an alias of --db, which a load may create: a missing lake must not become a new store file."""
    from apps.cli import main as cli_main

    missing, file = tmp_path / "no-lake", tmp_path / "store.duckdb"
    file.write_bytes(b"")
    argv = ["finops"] + [a.format(missing=missing, file=file) for a in args]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exc:
        cli_main.main()
    assert exc.value.code == 2
    assert not missing.exists()
    assert "lake" in capsys.readouterr().err


def test_no_duckdb_progress_bar_reaches_an_answer(demo_lake: Path, demo_db: Path) -> None:
    """DuckDB prints a bar on stdout for a query past 2 s (a big lake): it would corrupt --json output."""
    for path in (demo_lake, demo_db):
        with open_store(path, read_only=True) as store:
            assert store.con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    # Nor in what runs before a store is handed out: a migration's refresh of a 100M-row store printed bars on
    # stderr for 30 s (every connection the product makes starts with it off).
    con = connect(":memory:")
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    con.close()


def test_a_partition_bigger_than_one_sort_is_written_in_sorted_buckets(demo_db: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # No sort holds more than lake.SORT_ROWS rows (one ORDER BY over a 100M-row store filled a 49 GB disk):
    # a partition is split by a hash of ResourceId, each bucket one file in ResourceId order.
    monkeypatch.setattr(lake, "SORT_ROWS", 5_000)
    root = tmp_path / "lake"
    create_lake(root, demo_db)
    src = duckdb_connect(str(demo_db), read_only=True)
    expected = src.execute("SELECT count(*), sum(BilledCost) FROM focus_charges").fetchone()
    src.close()
    assert _parquet_sum(root) == (expected[0], expected[1])
    con = duckdb_connect()
    files = [str(root / f) for _, f, _ in _manifest(root)]
    per_partition: dict[str, int] = {}
    for f in files:
        part = str(Path(f).parent)
        per_partition[part] = per_partition.get(part, 0) + 1
        ids = [r[0] for r in con.execute("SELECT ResourceId FROM read_parquet(?) WHERE ResourceId IS NOT NULL", [f]).fetchall()]
        assert ids == sorted(ids), f
    assert max(per_partition.values()) > 1
    spread = con.execute("SELECT count(*) FROM (SELECT ResourceId, parse_dirpath(filename) AS part, "
                         "count(DISTINCT filename) AS n FROM read_parquet(?, filename = true) "
                         "GROUP BY ALL HAVING n > 1)", [files]).fetchone()
    assert spread == (0,)                      # every resource of a partition is in one of its files
    con.close()
    with open_store(demo_db, read_only=True) as file_store, open_store(root, read_only=True) as lake_store:
        args = {"resource": "llm-serving-h100-a"}
        assert run_tool(lake_store, "who_owns", args).summary() == run_tool(file_store, "who_owns", args).summary()

"""The store: schema creation, forward migrations, read-only opening, price catalogs."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from knowledge import schema
from knowledge.prices import llm_catalog_path, load_catalogs
from knowledge.store import SCHEMA_VERSION, StoreError, open_store
from tests.conftest import duckdb_connect

SHARED_FOCUS_COLUMNS = Path(__file__).parents[1] / "data" / "focus_columns.csv"


def test_new_store_has_every_table(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        tables = {r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for name in ["focus_charges", "llm_calls", "gpu_jobs", "endpoints", "endpoint_usage_daily", "teams",
                 "ownership", "budgets", "prompts", "approvals", "llm_prices", "gpu_prices", "ingest_runs",
                 "quarantine", "meta", "demo_facts", "estimates"]:
        assert name in tables


def test_money_columns_are_decimal(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        types = dict(store.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'focus_charges'"
        ).fetchall())
    assert types["BilledCost"] == "DECIMAL(38,12)"
    assert types["EffectiveCost"] == "DECIMAL(38,12)"
    assert types["ListUnitPrice"] == "DECIMAL(38,15)"
    assert types["Tags"] == "MAP(VARCHAR, VARCHAR)"


def test_focus_columns_are_the_spec_columns() -> None:
    with open(SHARED_FOCUS_COLUMNS, newline="") as fh:
        spec = {row["column_name"] for row in csv.DictReader(fh)}
    assert set(schema.FOCUS_COLUMNS) == spec


def test_old_store_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb_connect(str(path))  # a store from before any migration: only the meta table
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    con.close()
    with open_store(path, read_only=True) as store:
        assert store.meta("schema_version") == str(SCHEMA_VERSION)
        assert store.con.execute("SELECT count(*) FROM focus_charges").fetchone()[0] == 0


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    with open_store(path) as store:
        store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match="newer than this finops"):
        open_store(path)


def test_read_only_connection_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    with open_store(path, read_only=True) as store:
        with pytest.raises(duckdb.Error):
            store.con.execute("INSERT INTO teams (team) VALUES ('x')")


def test_missing_store_read_only_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        open_store(tmp_path / "absent.duckdb", read_only=True)


def test_price_catalogs_load_with_their_published_facts(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        n_llm, n_gpu = load_catalogs(store.con)
        n_aws = store.con.execute("SELECT count(*) FROM gpu_prices WHERE provider = 'aws'").fetchone()[0]
        assert (n_llm, n_aws) == (1697, 1157)  # ../shared/data/README.md (the AWS catalog)
        assert n_gpu > n_aws                   # plus the GCP and Azure catalogs (tests/integration/test_estimate_prices.py)
        row = store.con.execute(
            "SELECT input_cost_per_token * 1000000, output_cost_per_token * 1000000, "
            "cache_read_input_token_cost * 1000000 FROM llm_prices WHERE model = 'gpt-4o'"
        ).fetchone()
        assert row == (Decimal("2.5"), Decimal("10"), Decimal("1.25"))
        total = store.con.execute(
            "SELECT sum(on_demand_usd_per_hour), count(*) FROM gpu_prices WHERE region = 'us-east-1'"
        ).fetchone()
        assert total == (Decimal("732.821562"), 85)
        assert store.con.execute(
            "SELECT on_demand_usd_per_hour FROM gpu_prices WHERE instance_type = 'p5.48xlarge' AND region = 'us-east-1'"
        ).fetchone()[0] == Decimal("55.04")


def test_catalog_header_names_its_source() -> None:
    head = llm_catalog_path().read_text().splitlines()[:3]
    assert any("litellm" in line for line in head)

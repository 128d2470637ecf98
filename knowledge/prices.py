"""Price catalogs: LLM per-token prices and GPU instance prices, shipped as package data.

`load_catalogs` (re)loads both tables from the shipped CSVs (or a user's override files) in one
set-based statement per file. Source and date are in each file's `#` header lines.

GPU prices come from one file per provider (AWS, GCP, Azure); a file with a `spot_usd_per_hour` column
gives spot prices, and a row (or file) without one leaves spot unknown (NULL), never on-demand less a
guessed discount. LLM batch-API prices are the standard prices times the provider's published batch
share (`llm_batch_prices.csv`); a provider without one has no batch price (NULL).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from importlib import resources
from pathlib import Path

import duckdb

CATALOG_DIR = resources.files("knowledge") / "catalogs"

# A documented long-run average spot discount for GPU instances on AWS (spot is typically 60-70% below
# on-demand for p4/p5; a conservative 60%). Used only for the remediations tool's "move to spot" savings;
# the estimate reads spot prices from the catalogs and says "unknown" where they have none.
SPOT_DISCOUNT = Decimal("0.60")

# Model names that mark a small/cheap tier regardless of price.
_SMALL_MARKERS = ("mini", "nano", "haiku", "flash", "small", "lite", "8b", "7b", "3b", "1b")
# Input price per token at or above which a model counts as frontier.
FRONTIER_INPUT_PRICE = Decimal("0.00000125")


def llm_catalog_path() -> Path:
    return Path(str(CATALOG_DIR / "llm_prices.csv"))


def gpu_catalog_path() -> Path:
    """The AWS GPU catalog (the first of `gpu_catalog_paths`)."""
    return Path(str(CATALOG_DIR / "gpu_prices.csv"))


def gpu_catalog_paths() -> list[Path]:
    """Every shipped GPU catalog: AWS, GCP, Azure."""
    return [gpu_catalog_path()] + [Path(str(CATALOG_DIR / f"gpu_prices_{p}.csv")) for p in ("gcp", "azure")]


def llm_batch_catalog_path() -> Path:
    return Path(str(CATALOG_DIR / "llm_batch_prices.csv"))


def _header(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                return next(csv.reader([line]))
    raise ValueError(f"{path}: no header line")


def _catalog_source(path: str) -> str:
    """A `read_csv(...)` over a catalog file whose leading `#` lines hold its source and date.

    The column header follows the comment lines; every column is read as text and cast in SQL.
    """
    skip = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                header = next(csv.reader([line]))
                break
            skip += 1
        else:
            raise ValueError(f"{path}: no header line")
    columns = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in header) + "}"
    quoted = path.replace("'", "''")
    return (
        f"read_csv('{quoted}', skip={skip + 1}, header=false, auto_detect=false, delim=',', "
        f"quote='\"', escape='\"', columns={columns}, strict_mode=false)"
    )


def load_catalogs(
    con: duckdb.DuckDBPyConnection,
    llm_file: str | Path | None = None,
    gpu_file: str | Path | list[str | Path] | None = None,
) -> tuple[int, int]:
    """Replace `llm_prices` and `gpu_prices` from the catalogs; returns their row counts.

    `gpu_file` is one file or a list (default: every shipped GPU catalog, `gpu_catalog_paths`)."""
    llm = str(llm_file or llm_catalog_path())
    _load_llm(con, llm)
    if gpu_file is None:
        gpu_files = [str(p) for p in gpu_catalog_paths()]
    elif isinstance(gpu_file, list):
        gpu_files = [str(p) for p in gpu_file]
    else:
        gpu_files = [str(gpu_file)]
    con.execute("DELETE FROM gpu_prices")
    for path in gpu_files:
        _load_gpu(con, path)
    return _count(con, "llm_prices"), _count(con, "gpu_prices")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def catalogs_loaded(con: duckdb.DuckDBPyConnection) -> bool:
    return _count(con, "gpu_prices") > 0


def catalogs_current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store's catalogs were loaded by this version (GPU rows with spot prices present);
    a store loaded before spot prices and the GCP/Azure catalogs shipped is reloaded on first use."""
    row = con.execute("SELECT count(*), count(spot_usd_per_hour) FROM gpu_prices").fetchone()
    return bool(row and row[0] and row[1])


def _load_llm(con: duckdb.DuckDBPyConnection, llm: str) -> None:
    small = " OR ".join(f"lower(model) LIKE '%{m}%'" for m in _SMALL_MARKERS)
    batch = str(llm_batch_catalog_path())
    con.execute("DELETE FROM llm_prices")
    con.execute(
        f"""
        INSERT INTO llm_prices (model, provider, mode, input_cost_per_token, output_cost_per_token,
                                cache_read_input_token_cost, cache_creation_input_token_cost, max_input_tokens,
                                max_output_tokens, tier, source)
        SELECT model, provider, mode,
               CAST(input_cost_per_token AS DECIMAL(38,15)),
               CAST(output_cost_per_token AS DECIMAL(38,15)),
               CAST(cache_read_input_token_cost AS DECIMAL(38,15)),
               CAST(cache_creation_input_token_cost AS DECIMAL(38,15)),
               CAST(max_input_tokens AS BIGINT), CAST(max_output_tokens AS BIGINT),
               CASE WHEN {small} THEN 'small'
                    WHEN CAST(input_cost_per_token AS DECIMAL(38,15)) >= {FRONTIER_INPUT_PRICE} THEN 'frontier'
                    ELSE 'mid' END,
               ?
        FROM {_catalog_source(llm)}
        """,
        [Path(llm).name],
    )
    con.execute(
        f"""
        UPDATE llm_prices SET
            batch_input_cost_per_token = input_cost_per_token * CAST(b.batch_price_share AS DECIMAL(10,6)),
            batch_output_cost_per_token = output_cost_per_token * CAST(b.batch_price_share AS DECIMAL(10,6))
        FROM {_catalog_source(batch)} b
        WHERE llm_prices.provider = b.provider
        """
    )


def _load_gpu(con: duckdb.DuckDBPyConnection, gpu: str) -> None:
    spot = ("CAST(NULLIF(spot_usd_per_hour, '') AS DECIMAL(38,15))" if "spot_usd_per_hour" in _header(gpu)
            else "CAST(NULL AS DECIMAL(38,15))")
    con.execute(
        f"""
        INSERT INTO gpu_prices (instance_type, provider, region, gpu_model, gpu_type, gpu_count, gpu_memory, vcpu,
                                memory_gib, on_demand_usd_per_hour, reserved_1yr_no_upfront_usd_per_hour, source,
                                spot_usd_per_hour)
        SELECT instance_type, provider, region, gpu_model,
               CASE WHEN gpu_model LIKE 'NVIDIA %'
                    THEN split_part(replace(gpu_model, 'NVIDIA ', ''), ' ', 1)
                    ELSE gpu_model END,
               CAST(gpu_count AS DECIMAL(10,3)), gpu_memory, CAST(vcpu AS INTEGER),
               CAST(memory_gib AS DECIMAL(12,3)),
               CAST(on_demand_usd_per_hour AS DECIMAL(38,15)),
               CAST(NULLIF(reserved_1yr_no_upfront_usd_per_hour, '') AS DECIMAL(38,15)),
               source, {spot}
        FROM {_catalog_source(gpu)}
        """,
    )


def llm_cost_sql(calls: str = "c", price: str = "p") -> str:
    """SQL expression for the cost of LLM call rows `calls` joined to their `llm_prices` row `price`.

    cost = uncached input x input price + cached input x cache-read price (input price when the
    catalog has none) + output x output price. NULL when the model has no price (unknown, never $0).
    """
    return (
        f"CAST(CASE WHEN {price}.model IS NULL THEN NULL ELSE "
        f"({calls}.input_tokens - coalesce({calls}.cached_input_tokens, 0)) * {price}.input_cost_per_token"
        f" + coalesce({calls}.cached_input_tokens, 0) * coalesce({price}.cache_read_input_token_cost, {price}.input_cost_per_token)"
        f" + {calls}.output_tokens * {price}.output_cost_per_token END AS DECIMAL(38,12))"
    )

"""Price catalogs: LLM per-token prices and GPU instance prices, shipped as package data.

`load_catalogs` (re)loads both tables from the shipped CSVs (or a user's override files) in one
set-based statement each. Source and date are in each file's `#` header lines.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from importlib import resources
from pathlib import Path

import duckdb

CATALOG_DIR = resources.files("knowledge") / "catalogs"

# The source has no spot prices; estimates use this documented long-run average spot discount for
# GPU instances on AWS (spot is typically 60-70% below on-demand for p4/p5; we take a conservative 60%).
SPOT_DISCOUNT = Decimal("0.60")

# Model names that mark a small/cheap tier regardless of price.
_SMALL_MARKERS = ("mini", "nano", "haiku", "flash", "small", "lite", "8b", "7b", "3b", "1b")
# Input price per token at or above which a model counts as frontier.
FRONTIER_INPUT_PRICE = Decimal("0.00000125")


def llm_catalog_path() -> Path:
    return Path(str(CATALOG_DIR / "llm_prices.csv"))


def gpu_catalog_path() -> Path:
    return Path(str(CATALOG_DIR / "gpu_prices.csv"))


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
    gpu_file: str | Path | None = None,
) -> tuple[int, int]:
    """Replace `llm_prices` and `gpu_prices` from the catalogs; returns their row counts."""
    llm = str(llm_file or llm_catalog_path())
    gpu = str(gpu_file or gpu_catalog_path())
    small = " OR ".join(f"lower(model) LIKE '%{m}%'" for m in _SMALL_MARKERS)
    con.execute("DELETE FROM llm_prices")
    con.execute(
        f"""
        INSERT INTO llm_prices
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
    con.execute("DELETE FROM gpu_prices")
    con.execute(
        f"""
        INSERT INTO gpu_prices
        SELECT instance_type, provider, region, gpu_model,
               CASE WHEN gpu_model LIKE 'NVIDIA %'
                    THEN split_part(replace(gpu_model, 'NVIDIA ', ''), ' ', 1)
                    ELSE gpu_model END,
               CAST(gpu_count AS DECIMAL(10,3)), gpu_memory, CAST(vcpu AS INTEGER),
               CAST(memory_gib AS DECIMAL(12,3)),
               CAST(on_demand_usd_per_hour AS DECIMAL(38,15)),
               CAST(NULLIF(reserved_1yr_no_upfront_usd_per_hour, '') AS DECIMAL(38,15)),
               source
        FROM {_catalog_source(gpu)}
        """,
    )
    n_llm = con.execute("SELECT count(*) FROM llm_prices").fetchone()[0]
    n_gpu = con.execute("SELECT count(*) FROM gpu_prices").fetchone()[0]
    return n_llm, n_gpu


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

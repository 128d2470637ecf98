"""GPU and LLM prices of the estimate, each checked against its catalog row read independently (csv module).

- AWS p5.48xlarge: the shipped row equals the shared source CSV's row, and the estimate is exact to the cent;
- GCP a3-highgpu-8g (europe-west4) and Azure Standard_ND96isr_H100_v5 (eastus) priced from their catalogs,
  spot from the catalog (GCP) or "unknown" (Azure publishes none for it), never on-demand less a discount;
- a region a catalog does not cover fails closed (exit 2, "priced in: ..."), never a figure for elsewhere;
- an LLM batch shows plain, cached and batch-API totals from llm_prices.csv and llm_batch_prices.csv.
"""

from __future__ import annotations

import csv
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from knowledge.prices import CATALOG_DIR, load_catalogs
from knowledge.store import Store, open_store
from tests.cli import finops_cli
from tools.registry import run_tool

SHARED_GPU_CSV = Path("/work/shared/data/gpu_instance_prices.csv")
CENT = Decimal("0.01")


def c(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def rows(name: str) -> list[dict[str, str]]:
    with open(Path(str(CATALOG_DIR / name)), encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def row(name: str, instance_type: str, region: str) -> dict[str, str]:
    return next(r for r in rows(name) if r["instance_type"] == instance_type and r["region"] == region)


@pytest.fixture
def priced(empty_store: Store) -> Store:
    load_catalogs(empty_store.con)
    return empty_store


def test_p5_is_exact_against_the_source_csv(priced: Store) -> None:
    shipped = row("gpu_prices.csv", "p5.48xlarge", "us-east-1")
    if SHARED_GPU_CSV.exists():             # the file the AWS catalog was taken from
        with open(SHARED_GPU_CSV, encoding="utf-8") as fh:
            source = next(r for r in csv.DictReader(fh)
                          if r["instance_type"] == "p5.48xlarge" and r["region"] == "us-east-1")
        assert source["on_demand_usd_per_hour"] == shipped["on_demand_usd_per_hour"]
    hourly = Decimal(shipped["on_demand_usd_per_hour"])
    r = run_tool(priced, "estimate", {"gpu_type": "H100", "gpu_count": 64, "hours": 72, "team": "search",
                                      "record": False})
    assert r.gpu.instance_type == "p5.48xlarge" and r.expected_cost == c(hourly * 8 * 72)
    assert r.lines[0].source == shipped["source"]


def test_gcp_a3_in_europe_west4_from_its_catalog(priced: Store) -> None:
    a3 = row("gpu_prices_gcp.csv", "a3-highgpu-8g", "europe-west4")
    od, spot = Decimal(a3["on_demand_usd_per_hour"]), Decimal(a3["spot_usd_per_hour"])
    r = run_tool(priced, "estimate", {"instance_type": "a3-highgpu-8g", "region": "europe-west4", "gpu_count": 16,
                                      "hours": 24, "record": False})
    assert (r.gpu.provider, r.gpu.gpu_type, r.gpu.instances) == ("gcp", "H100", 2)
    assert r.expected_cost == c(od * 2 * 24)
    spot_alt = next(a for a in r.alternatives if a.option == "spot")
    assert spot_alt.cost == c(spot * 2 * 24) and spot_alt.source == a3["source"]
    # By GPU type in that region it is the same row (the only H100 instance GCP prices there).
    by_type = run_tool(priced, "estimate", {"gpu_type": "H100", "region": "europe-west4", "gpu_count": 16,
                                            "hours": 24, "pricing": "spot", "record": False})
    assert by_type.gpu.instance_type == "a3-highgpu-8g" and by_type.expected_cost == c(spot * 2 * 24)


def test_azure_nd_h100_v5_from_its_catalog_with_spot_unknown(priced: Store) -> None:
    nd = row("gpu_prices_azure.csv", "Standard_ND96isr_H100_v5", "eastus")
    od = Decimal(nd["on_demand_usd_per_hour"])
    assert nd["spot_usd_per_hour"] == "" and nd["gpu_count"] == "8"
    r = run_tool(priced, "estimate", {"instance_type": "Standard_ND96isr_H100_v5", "region": "eastus",
                                      "hours": 10, "record": False})
    assert (r.gpu.provider, r.gpu.instances) == ("azure", 1) and r.expected_cost == c(od * 10)
    spot = next(a for a in r.alternatives if a.option == "spot")
    assert spot.cost is None and "spot price unknown" in spot.note
    on_spot = run_tool(priced, "estimate", {"instance_type": "Standard_ND96isr_H100_v5", "region": "eastus",
                                            "hours": 10, "pricing": "spot", "record": False})
    assert on_spot.expected_cost is None and on_spot.verdict == "needs approval"
    assert "unknown" in on_spot.summary() and "$0.00" not in on_spot.summary()


def test_a_region_the_catalog_does_not_cover_fails_closed(tmp_path: Path) -> None:
    open_store(tmp_path / "s.duckdb").close()
    p = finops_cli("estimate", "--instance-type", "Standard_ND96isr_H100_v5", "--region", "westeurope", "--hours",
                   "10", "--db", str(tmp_path / "s.duckdb"), cwd=Path(__file__).resolve().parents[2])
    assert p.returncode == 2 and p.stdout == ""
    assert "no price for Standard_ND96isr_H100_v5 in 'westeurope'; priced in: eastus, eastus2, westus" in p.stderr
    p = finops_cli("estimate", "--instance-type", "Standard_ND96isr_H100", "--hours", "1", "--db",
                   str(tmp_path / "s.duckdb"), cwd=Path(__file__).resolve().parents[2])
    assert p.returncode == 2 and "did you mean 'Standard_ND96isr_H100_v5'" in p.stderr


def test_llm_batch_plain_cached_and_batch_totals(priced: Store) -> None:
    m = next(r for r in rows("llm_prices.csv") if r["model"] == "claude-sonnet-4-5")
    share = Decimal(next(r for r in rows("llm_batch_prices.csv") if r["provider"] == "anthropic")["batch_price_share"])
    inp, out, cache = (Decimal(m["input_cost_per_token"]), Decimal(m["output_cost_per_token"]),
                       Decimal(m["cache_read_input_token_cost"]))
    calls, tin, tout, cached = 400_000, 2_000, 300, Decimal("0.4")
    r = run_tool(priced, "estimate", {"kind": "llm-batch", "model": "claude-sonnet-4-5", "calls": calls,
                                      "input_tokens": tin, "output_tokens": tout, "cached_share": str(cached),
                                      "budget": 50000, "record": False})
    t = r.llm_totals
    assert t.plain == c(calls * tin * inp + calls * tout * out)
    assert t.cached == r.expected_cost == c(calls * tin * (1 - cached) * inp + calls * tin * cached * cache
                                            + calls * tout * out)
    assert t.batch == c(calls * tin * inp * share + calls * tout * out * share)
    batch_alt = next(a for a in r.alternatives if "batch API" in a.option)
    assert batch_alt.cost == t.batch and batch_alt.savings == r.expected_cost - t.batch
    # A provider without a published batch price: batch total unknown, said so.
    azure = run_tool(priced, "estimate", {"kind": "llm-batch", "model": "azure/chat-latest", "calls": 10,
                                          "input_tokens": 10, "output_tokens": 10, "record": False})
    assert azure.llm_totals.batch is None and any("batch price unknown" in w for w in azure.warnings)


def test_llm_batch_totals_in_the_json_report(tmp_path: Path) -> None:
    open_store(tmp_path / "s.duckdb").close()
    p = finops_cli("estimate", "--kind", "llm-batch", "--model", "gpt-4o", "--calls", "1000", "--input-tokens", "1000",
                   "--output-tokens", "100", "--budget", "100", "--db", str(tmp_path / "s.duckdb"), "--json",
                   cwd=Path(__file__).resolve().parents[2])
    out = json.loads(p.stdout)
    m = next(r for r in rows("llm_prices.csv") if r["model"] == "gpt-4o")
    plain = c(1000 * 1000 * Decimal(m["input_cost_per_token"]) + 1000 * 100 * Decimal(m["output_cost_per_token"]))
    assert p.returncode == 0 and Decimal(out["llm_totals"]["plain"]) == plain
    half = Decimal("0.5")                   # OpenAI's batch share, llm_batch_prices.csv
    assert Decimal(out["llm_totals"]["batch"]) == c(1000 * 1000 * Decimal(m["input_cost_per_token"]) * half
                                                     + 1000 * 100 * Decimal(m["output_cost_per_token"]) * half)

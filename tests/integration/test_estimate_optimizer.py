"""The cheapest-option search checked against a brute-force scan of the shipped catalogs (read with csv).

For random constraints (providers, regions, spot allowed), GPU type, count and hours, the estimate tool's
"same job on ..." option must be the brute-force minimum over every catalog row that holds the GPUs in whole
instances, on-demand or (when allowed and priced) spot; and when the requested option is itself the minimum,
no such option is offered. Ties break on provider, region, instance type, pricing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from knowledge.prices import CATALOG_DIR, load_catalogs
from knowledge.store import Store, open_store
from tools.registry import run_tool

FILES = ("gpu_prices.csv", "gpu_prices_gcp.csv", "gpu_prices_azure.csv")


def catalog() -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for name in FILES:
        with open(Path(str(CATALOG_DIR / name)), encoding="utf-8") as fh:
            out += list(csv.DictReader(line for line in fh if not line.startswith("#")))
    return out


ROWS = catalog()


def short_gpu(model: str) -> str:
    return model.replace("NVIDIA ", "").split(" ")[0] if model.startswith("NVIDIA ") else model


def brute_force(gpu: str, count: int, hours: Decimal, providers: set[str] | None, regions: set[str] | None,
                allow_spot: bool) -> tuple[Decimal, str, str, str, str] | None:
    best = None
    for r in ROWS:
        gpus = Decimal(r["gpu_count"])
        if short_gpu(r["gpu_model"]) != gpu or gpus < 1 or gpus != gpus.to_integral_value() or count % int(gpus):
            continue
        if (providers and r["provider"] not in providers) or (regions and r["region"] not in regions):
            continue
        prices = [("on-demand", r["on_demand_usd_per_hour"])]
        if allow_spot:
            prices.append(("spot", r.get("spot_usd_per_hour") or ""))
        for pricing, price in prices:
            if not price or Decimal(price) <= 0:
                continue
            cost = (Decimal(count // int(gpus)) * Decimal(price) * hours).quantize(Decimal("0.01"), ROUND_HALF_UP)
            key = (cost, r["provider"], r["region"], r["instance_type"], pricing)
            best = key if best is None or key < best else best
    return best


@pytest.fixture(scope="module")
def priced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(tmp_path_factory.mktemp("opt") / "s.duckdb")
    load_catalogs(store.con)
    yield store
    store.close()


REGIONS = sorted({r["region"] for r in ROWS if short_gpu(r["gpu_model"]) in ("H100", "A100")})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gpu=st.sampled_from(["H100", "A100"]), count=st.sampled_from([1, 8, 16, 24, 64]),
       hours=st.integers(min_value=1, max_value=500),
       providers=st.one_of(st.none(), st.sets(st.sampled_from(["aws", "gcp", "azure"]), min_size=1)),
       regions=st.one_of(st.none(), st.sets(st.sampled_from(REGIONS), min_size=1, max_size=6)),
       allow_spot=st.booleans())
@example(gpu="H100", count=64, hours=72, providers=None, regions=None, allow_spot=True)      # GCP spot wins
@example(gpu="H100", count=16, hours=24, providers={"azure"}, regions=None, allow_spot=True)  # Azure only
@example(gpu="A100", count=8, hours=10, providers={"aws"}, regions={"us-east-1"}, allow_spot=False)  # itself
def test_cheapest_option_is_the_brute_force_minimum(priced: Store, gpu: str, count: int, hours: int,
                                                    providers: set[str] | None, regions: set[str] | None,
                                                    allow_spot: bool) -> None:
    args = {"gpu_type": gpu, "gpu_count": count, "hours": hours, "allow_spot": allow_spot, "record": False}
    if providers:
        args["providers"] = ", ".join(sorted(providers))
    if regions:
        args["regions"] = ",".join(sorted(regions))
    r = run_tool(priced, "estimate", args)
    best = brute_force(gpu, count, Decimal(hours), providers, regions, allow_spot)
    offered = [a for a in r.alternatives if a.option.startswith("same job on ")]
    requested = (r.gpu.provider, r.gpu.region, r.gpu.instance_type, "on-demand")
    if best is None or best[1:] == requested:
        assert offered == []
        return
    assert len(offered) == 1
    alt = offered[0]
    cost, provider, region, instance, pricing = best
    assert alt.cost == cost
    assert alt.option == f"same job on {provider.upper()} {pricing} in {region} ({instance})"
    assert alt.source == next(x["source"] for x in ROWS if (x["instance_type"], x["region"], x["provider"])
                              == (instance, region, provider))
    if r.expected_cost is not None:
        assert alt.savings == r.expected_cost - cost

"""GPU price catalog rows (`gpu_prices`: AWS, GCP, Azure) as typed values, and the row a job runs on."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from tools.contract import FinopsError, UnknownNameError
from tools.estimate.spec import name_error
from tools.manifest import GpuJobSpec
from tools.names import resolve_in
from tools.registry import ToolContext

_COLUMNS = """instance_type, provider, region, gpu_type, gpu_count, on_demand_usd_per_hour AS od,
              spot_usd_per_hour AS spot, reserved_1yr_no_upfront_usd_per_hour AS rsv, source"""


class CatalogRow(BaseModel):
    """One instance type in one region of one provider; prices per instance-hour (None: unknown)."""

    instance_type: str
    provider: str
    region: str
    gpu_type: str | None
    gpus: Decimal
    on_demand: Decimal | None
    spot: Decimal | None
    reserved: Decimal | None
    source: str

    def hourly(self, pricing: str) -> Decimal | None:
        return {"on-demand": self.on_demand, "spot": self.spot, "reserved": self.reserved}[pricing]


def _row(r: dict) -> CatalogRow:
    def dec(v: object) -> Decimal | None:
        return None if v is None else Decimal(str(v))

    return CatalogRow(instance_type=r["instance_type"], provider=r["provider"], region=r["region"],
                      gpu_type=r["gpu_type"], gpus=Decimal(str(r["gpu_count"])), on_demand=dec(r["od"]),
                      spot=dec(r["spot"]), reserved=dec(r["rsv"]), source=r["source"] or "gpu_prices")


def rows_for_gpu(ctx: ToolContext, gpu_type: str) -> list[CatalogRow]:
    """Every priced instance with this GPU type, all providers and regions (the optimizer's search space)."""
    return [_row(r) for r in ctx.query(
        f"SELECT {_COLUMNS} FROM gpu_prices WHERE gpu_type = ? AND gpu_count >= 1 "
        "ORDER BY provider, region, instance_type", [gpu_type])]


def resolve_gpu_type(ctx: ToolContext, spec: GpuJobSpec) -> str | None:
    if ctx.scalar("SELECT count(*) AS n FROM gpu_prices") == 0:
        raise FinopsError("the GPU price catalog is empty; load it with knowledge.prices.load_catalogs "
                          "(finops estimate loads it on first use)")
    if not spec.gpu_type:
        return None
    types = [r["gpu_type"] for r in ctx.query(
        "SELECT DISTINCT gpu_type FROM gpu_prices WHERE gpu_type IS NOT NULL ORDER BY gpu_type")]
    try:
        return resolve_in(spec.gpu_type.strip(), types, "GPU type")
    except UnknownNameError as exc:
        raise name_error(spec, "gpu_type", exc) from None


def requested_row(ctx: ToolContext, spec: GpuJobSpec, gpu_type: str | None) -> tuple[CatalogRow, int]:
    """The catalog row the manifest asks for, and the GPU count. Fails closed: an instance type or GPU type
    with no price in the region is an error naming the regions where it is priced."""
    region = spec.region.strip()
    if spec.instance_type:
        row = _instance_row(ctx, spec, region, gpu_type)
        return row, spec.gpu_count if spec.gpu_count is not None else int(row.gpus)
    rows = [_row(r) for r in ctx.query(
        f"SELECT {_COLUMNS} FROM gpu_prices WHERE gpu_type = ? AND region = ? AND gpu_count >= 1 "
        "AND on_demand_usd_per_hour > 0 ORDER BY instance_type, provider", [gpu_type, region])]
    if not rows:
        regions = [r["region"] for r in ctx.query(
            "SELECT DISTINCT region FROM gpu_prices WHERE gpu_type = ? ORDER BY region", [gpu_type])]
        raise spec.problem("region", f"no {gpu_type} price in '{region}'; priced in: {', '.join(regions[:40])}"
                           + (" ..." if len(regions) > 40 else ""))
    assert spec.gpu_count is not None
    count = spec.gpu_count
    # A whole number of instances first, then the cheapest GPU-hour, then the biggest instance.
    row = min(rows, key=lambda r: (count % int(r.gpus) != 0, (r.on_demand or Decimal(0)) / r.gpus, -r.gpus,
                                   r.instance_type, r.provider))
    return row, count


def _instance_row(ctx: ToolContext, spec: GpuJobSpec, region: str, gpu_type: str | None) -> CatalogRow:
    name = spec.instance_type.strip() if spec.instance_type else ""
    rows = [_row(r) for r in ctx.query(
        f"SELECT {_COLUMNS} FROM gpu_prices WHERE instance_type = ? ORDER BY region, provider", [name])]
    if not rows:
        names = [r["instance_type"] for r in ctx.query("SELECT DISTINCT instance_type FROM gpu_prices ORDER BY 1")]
        try:
            resolve_in(name, names, "instance type")
        except UnknownNameError as exc:
            raise name_error(spec, "instance_type", exc) from None
        raise spec.problem("instance_type", f"unknown instance type '{spec.instance_type}'")
    in_region = [r for r in rows if r.region == region]
    if not in_region:
        regions = ", ".join(sorted({r.region for r in rows})[:40])
        raise spec.problem("region", f"no price for {name} in '{region}'; priced in: {regions}")
    row = in_region[0]
    if gpu_type is not None and row.gpu_type != gpu_type:
        raise spec.problem("gpu_type", f"{row.instance_type} has {row.gpu_type} GPUs, not {gpu_type}")
    return row

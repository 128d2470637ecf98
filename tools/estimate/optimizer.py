"""The cheapest way to run a GPU job, in the manner of SkyPilot's optimizer.

For a GPU type and count, every catalog row (provider x region x instance type) that holds the GPUs in a
whole number of instances, and every pricing model the constraints allow (on-demand always; spot when
allowed and the catalog has a spot price for that row; reserved is a 1-year commitment, not a per-job
choice, so it is left out), is a candidate. Cost = instances x the row's instance-hour price x hours, to
the cent. The cheapest wins; ties go to provider, region, instance type, pricing (alphabetical), so the
choice is deterministic. A pure function over the rows: the test checks it against a brute-force scan.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from tools.estimate.formatting import cents
from tools.estimate.gpu_catalog import CatalogRow


class Constraints(BaseModel):
    providers: frozenset[str] | None = None      # None: any provider
    regions: frozenset[str] | None = None        # None: any region
    allow_spot: bool = True

    @classmethod
    def parse(cls, providers: str | None, regions: str | None, allow_spot: bool) -> Constraints:
        def split(text: str | None) -> frozenset[str] | None:
            items = frozenset(p.strip().lower() for p in (text or "").split(",") if p.strip())
            return items or None

        return cls(providers=split(providers), regions=split(regions), allow_spot=allow_spot)

    def admits(self, row: CatalogRow, pricing: str) -> bool:
        if self.providers is not None and row.provider.lower() not in self.providers:
            return False
        if self.regions is not None and row.region.lower() not in self.regions:
            return False
        return pricing != "spot" or self.allow_spot


class Option(BaseModel):
    row: CatalogRow
    pricing: str
    instances: int
    cost: Decimal

    def key(self) -> tuple[Decimal, str, str, str, str]:
        return (self.cost, self.row.provider, self.row.region, self.row.instance_type, self.pricing)

    def label(self) -> str:
        return f"{self.row.provider.upper()} {self.pricing} in {self.row.region} ({self.row.instance_type})"


def option_cost(row: CatalogRow, pricing: str, gpu_count: int, hours: Decimal) -> Option | None:
    """The job on this row at this pricing; None when the GPUs do not fill whole instances or the price
    is unknown."""
    gpus = int(row.gpus)
    price = row.hourly(pricing)
    if gpus <= 0 or gpu_count % gpus or price is None or price <= 0:
        return None
    instances = gpu_count // gpus
    return Option(row=row, pricing=pricing, instances=instances, cost=cents(Decimal(instances) * price * hours))


def candidates(rows: list[CatalogRow], gpu_count: int, hours: Decimal, constraints: Constraints) -> list[Option]:
    out = []
    for row in rows:
        for pricing in ("on-demand", "spot"):
            if not constraints.admits(row, pricing):
                continue
            option = option_cost(row, pricing, gpu_count, hours)
            if option is not None:
                out.append(option)
    return out


def cheapest(rows: list[CatalogRow], gpu_count: int, hours: Decimal, constraints: Constraints) -> Option | None:
    options = candidates(rows, gpu_count, hours, constraints)
    return min(options, key=Option.key) if options else None

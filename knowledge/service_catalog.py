"""Well-known cloud and SaaS services (knowledge/catalogs/cloud_services.csv): names people ask about that a
store may not hold ("Cloud Run", "Snowflake"). A question naming one that the store has no charges for gets
"there is no service X in the data", never a figure for everything else."""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel

from knowledge.naming import fold


class CatalogService(BaseModel):
    provider: str
    service: str
    aliases: tuple[str, ...]


@lru_cache(maxsize=1)
def cloud_services() -> tuple[CatalogService, ...]:
    text = (resources.files("knowledge") / "catalogs" / "cloud_services.csv").read_text(encoding="utf-8")
    return tuple(CatalogService(provider=r["provider"], service=r["service"],
                                aliases=tuple(a.strip().lower() for a in r["aliases"].split("|") if a.strip()))
                 for r in csv.DictReader(io.StringIO("".join(line for line in text.splitlines(keepends=True)
                                                              if not line.startswith("#")))))


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], CatalogService], ...]:
    pairs = [(alias, s) for s in cloud_services() for alias in {*s.aliases, s.service.lower()}]
    pairs.sort(key=lambda p: len(p[0]), reverse=True)
    return tuple((re.compile(r"(?<![\w/:.-])" + re.escape(a) + r"(?![\w/:-])"), s) for a, s in pairs)


def mentioned_services(text: str) -> list[tuple[str, int, int, CatalogService]]:
    """(as written, start, end, service) of every catalog service named in lower-cased `text`, longest first,
    without overlaps."""
    out: list[tuple[str, int, int, CatalogService]] = []
    for pattern, service in _patterns():
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for _, a, b, _ in out):
                continue
            out.append((m.group(0), m.start(), m.end(), service))
    return sorted(out, key=lambda x: x[1])


def held(service: CatalogService, store_names: list[str]) -> bool:
    """Whether the store holds this service under some name ('Amazon Simple Storage Service' for S3)."""
    wanted = {fold(service.service), *(fold(a) for a in service.aliases)}
    for name in store_names:
        f = fold(name)
        if f in wanted or fold(service.service) in f or any(len(a) >= 5 and a in f for a in wanted):
            return True
    return False

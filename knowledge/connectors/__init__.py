"""Connectors: what AI teams really have, besides FOCUS billing exports.

    openai-usage     OpenAI Usage API pages            -> llm_usage_buckets
    openai-costs     OpenAI Costs API pages            -> focus_charges (FOCUS rows)
    anthropic-usage  Anthropic usage report pages      -> llm_usage_buckets
    anthropic-costs  Anthropic cost report pages       -> focus_charges (FOCUS rows)
    litellm-spend    LiteLLM LiteLLM_SpendLogs export  -> llm_calls (one row per request)
    dcgm             dcgm-exporter Prometheus metrics  -> gpu_utilization

    from knowledge.connectors import ingest_provider
    report = ingest_provider("finops.duckdb", "openai-usage", ["pages/"])
    report.files[0].counts_line()   # 'read 12, loaded 11, quarantined 1'

Each source has its own module (a parser that never touches the store); `loader` loads a parsed input
with the ingest package's bookkeeping (ingest_runs, quarantine with file and line, one transaction per
input, replace on re-ingest, busy-store wait). Every input is parsed before the store is opened: a
missing file or an input of the wrong kind changes nothing. `live` pulls pages from the providers' APIs
into files that then go through the same parsers.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from knowledge.connectors.inputs import InputDoc, read_inputs
from knowledge.connectors.records import ConnectorOptions, Parsed
from knowledge.connectors.targets import BUCKETS, CALLS, FOCUS_FROM_COSTS, GPU, Target
from knowledge.ingest.errors import IngestError
from knowledge.ingest.limits import DEFAULT_WAIT_SECONDS, LoadPolicy

if TYPE_CHECKING:    # the loader and the ingest runner are imported when something is loaded, not for --help
    from knowledge.ingest.models import FileReport, IngestReport
    from knowledge.store import Store


@dataclass(frozen=True)
class Connector:
    kind: str
    target: Target
    module: str          # knowledge.connectors.<module>.parse, imported on first use
    help: str

    @property
    def parse(self) -> Callable[[InputDoc, ConnectorOptions], Parsed]:
        parse: Callable[[InputDoc, ConnectorOptions], Parsed] = importlib.import_module(
            f"knowledge.connectors.{self.module}").parse
        return parse


CONNECTORS: dict[str, Connector] = {c.kind: c for c in (
    Connector("openai-usage", BUCKETS, "openai_usage",
              "OpenAI Usage API pages (completions, embeddings, images, audio, ...; 2024-12 and current fields) "
              "into usage buckets; cost from the price catalog. Re-ingesting the same days replaces them."),
    Connector("openai-costs", FOCUS_FROM_COSTS, "openai_costs",
              "OpenAI Costs API pages into FOCUS rows (ProviderName OpenAI). Re-ingesting the same days of the "
              "same --account replaces them."),
    Connector("anthropic-usage", BUCKETS, "anthropic_usage",
              "Anthropic usage report pages (messages) into usage buckets; cost from the price catalog. "
              "Re-ingesting the same days replaces them."),
    Connector("anthropic-costs", FOCUS_FROM_COSTS, "anthropic_costs",
              "Anthropic cost report pages (amounts in cents) into FOCUS rows (ProviderName Anthropic). "
              "Re-ingesting the same days of the same --account replaces them."),
    Connector("litellm-spend", CALLS, "litellm_spend",
              "LiteLLM LiteLLM_SpendLogs exports (CSV, CSV.gz, JSON, JSON Lines or Parquet) into LLM call rows; "
              "cost from the price catalog. Re-ingesting a request id replaces it."),
    Connector("dcgm", GPU, "dcgm",
              "NVIDIA dcgm-exporter metrics (Prometheus text scrapes or Prometheus query JSON): GPU_UTIL, "
              "PROF_GR_ENGINE_ACTIVE, FB_USED per GPU, matched to endpoints and GPU jobs by pod or hostname."),
)}
KINDS: tuple[str, ...] = tuple(CONNECTORS)


def parse_inputs(kind: str, paths: Sequence[str | Path], options: ConnectorOptions | None = None,
                 stdin: BinaryIO | None = None) -> list[Parsed]:
    """Read and parse every input; raises IngestError (nothing changed) for bad input."""
    if kind not in CONNECTORS:
        raise IngestError(f"unknown connector {kind!r}; use one of {', '.join(KINDS)}")
    opts = options or ConnectorOptions()
    out: list[Parsed] = []
    for doc in read_inputs(paths, stdin):
        parsed = CONNECTORS[kind].parse(doc, opts)
        parsed.digest = _digest(kind, doc, opts)
        out.append(parsed)
    return out


def _digest(kind: str, doc: InputDoc, opts: ConnectorOptions) -> str:
    """What makes two inputs load the same rows: the content, the options that shape the rows (account,
    rates, scrape time, metric) and, for a DCGM scrape dated by its file's time, that time."""
    h = hashlib.sha256()
    h.update(doc.digest.encode())
    h.update(opts.model_dump_json().encode())
    if kind == "dcgm" and opts.scraped_at is None and doc.modified is not None:
        h.update(doc.modified.isoformat().encode())
    return h.hexdigest()


def load_into(store: Store, kind: str, parsed: Sequence[Parsed],
              on_file: Callable[[FileReport], None] | None = None, policy: LoadPolicy = LoadPolicy()) -> IngestReport:
    """Load parsed inputs into an open, writable store, one transaction each. An input whose content was
    loaded earlier in the command (or before, with all its rows still there) is skipped and said so."""
    from knowledge.connectors.loader import load_parsed
    from knowledge.ingest.runner import load_each

    target = CONNECTORS[kind].target

    def load(p: Parsed, ingest_id: str, run_ids: list[str], earlier: dict[str, str]) -> FileReport:
        return load_parsed(store.con, target, p, source=kind, ingest_id=ingest_id, run_ids=run_ids, policy=policy,
                           earlier=earlier)

    return load_each(store, kind, parsed, lambda p: p.shown, load, on_file)


def ingest_provider(
    db: str | Path | None,
    kind: str,
    paths: Sequence[str | Path],
    *,
    options: ConnectorOptions | None = None,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    on_file: Callable[[FileReport], None] | None = None,
    stdin: BinaryIO | None = None,
    policy: LoadPolicy = LoadPolicy(),
) -> IngestReport:
    """`finops ingest <connector> PATH...`: parse every input, then load each in its own transaction (on
    a private copy of the store, swapped in when all are done: the report returned is what is stored).

    Raises IngestError (nothing changed) for bad input, StoreBusyError when the store stays locked,
    ReplaceRefused (with `rolled_back`) when an input would replace good rows with too many bad ones.
    """
    from knowledge.ingest.runner import rolled_back_on_error

    parsed = parse_inputs(kind, paths, options, stdin)
    with rolled_back_on_error(db, wait_seconds) as store:
        report = load_into(store, kind, parsed, on_file, policy)
    report.db = str(store.path)  # the store itself, now that the private copy is swapped in
    return report


__all__ = ["CONNECTORS", "KINDS", "Connector", "ConnectorOptions", "Parsed", "ingest_provider", "load_into",
           "parse_inputs"]

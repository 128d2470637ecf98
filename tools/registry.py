"""The single tool registry. One entry per tool feeds the model binding, the offline planner, the CLI
and any other surface; no tool is described twice.

    @tool("spend", "Cost grouped by team, service, ... over a period, with change vs the previous one.",
          examples=["How much did we spend last month by team?"])
    def spend(ctx: ToolContext, args: SpendArgs) -> SpendResult: ...
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, cast, get_type_hints

from cachetools import LRUCache
from pydantic import BaseModel, ValidationError

from knowledge.engines import DuckDBEngine, Engine, engine_of
from knowledge.store import Store
from tools.contract import Evidence, FinopsError, SourceFreshness, SqlRun, ToolResult
from tools.names import resolve
from tools.periods import Period, parse_period

ArgsT = TypeVar("ArgsT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=ToolResult)
T = TypeVar("T")

# (source name, table, timestamp expression, the ingest_runs.source values that fill the table)
_FRESHNESS_SOURCES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("billing (FOCUS)", "focus_charges", "max(ChargePeriodEnd)", ("focus", "openai-costs", "anthropic-costs")),
    ("LLM calls", "llm_calls", "max(ts)", ("llm-calls", "litellm-spend")),
    ("LLM usage buckets", "llm_usage_buckets", "max(bucket_end)", ("openai-usage", "anthropic-usage")),
    ("GPU jobs", "gpu_jobs", "max(coalesce(ended_at, last_progress_at, started_at))", ("gpu-jobs",)),
    ("endpoint usage", "endpoint_usage_daily", "CAST(max(day) + INTERVAL 1 DAY AS TIMESTAMP)", ("endpoints",)),
    ("GPU utilisation (DCGM)", "gpu_utilization", "max(ts)", ("dcgm",)),
)


class ToolContext:
    """What a tool gets: the store, a recorder of the SQL it runs, name and period helpers.

    `query()`/`scalar()` run on `engine`: the store's DuckDB connection unless another engine was chosen for
    the store (`knowledge.engines.use_engine`, `--engine spark`). Name resolution, freshness and store facts
    read the state file through `con` on every engine."""

    def __init__(self, store: Store, tool_name: str, engine: Engine | None = None):
        self.store = store
        self.con = store.con
        self.engine: Engine = engine or engine_of(store) or DuckDBEngine(store.con)
        self.tool_name = tool_name
        self.runs: list[SqlRun] = []
        self.notes: list[str] = []
        self._today: date | None = None

    @property
    def today(self) -> date:
        if self._today is None:
            self._today = self.store.today()
        return self._today

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run parameterised SQL, record it as evidence, return rows as dicts."""
        started = time.perf_counter()
        cols, fetched = self.engine.execute(sql, params)
        rows = [dict(zip(cols, r)) for r in fetched]
        self.runs.append(SqlRun(sql=_tidy(sql), params=[_jsonable(p) for p in params], rows=len(rows),
                                ms=round((time.perf_counter() - started) * 1000, 2)))
        return rows

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(sql, params)
        return next(iter(rows[0].values())) if rows else None

    def resolve(self, kind: str, name: str) -> str:
        return resolve(self.con, kind, name)

    def period(self, text: str | None, *, allow_future: bool = False) -> Period:
        return parse_period(text, self.today, allow_future=allow_future)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def freshness(self) -> list[SourceFreshness]:
        # A read-only store cannot change while it is open (DuckDB admits no writer then): compute its
        # freshness once per connection, not on every tool call (it scans the whole bill).
        cache = self.store_cache("freshness")
        if cache is not None and "sources" in cache:
            return [f.model_copy() for f in cache["sources"]]
        out: list[SourceFreshness] = []
        for label, table, expr, ingest_sources in _FRESHNESS_SOURCES:
            latest, rows = _one(self.con.execute(f"SELECT {expr}, count(*) FROM {table}").fetchone())
            if not rows:
                continue
            (ingest,) = _one(self.con.execute(
                "SELECT max(finished_at) FROM ingest_runs WHERE (source IN (SELECT unnest(?)) OR source = 'demo') "
                "AND status = 'ok'",
                [list(ingest_sources)],
            ).fetchone())
            out.append(SourceFreshness(source=label, latest_data=latest, latest_ingest=ingest, rows=rows))
        if cache is not None:
            cache["sources"] = [f.model_copy() for f in out]
        return out

    def store_cache(self, name: str) -> dict[str, Any] | None:
        """A dict kept with a read-only store for facts about it (it cannot change while open); None for a
        writable store, whose facts must be read again."""
        if not self.store.read_only:
            return None
        return _caches_of(self.store).setdefault(name, {})

    def once_per_store(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()` (which runs its SQL through `query`, so it is evidence when it runs) once per read-only
        store version; on every call for a writable store."""
        cache = self.store_cache("facts")
        if cache is not None and key in cache:
            return cast(T, cache[key])
        value = compute()
        if cache is not None:
            cache[key] = value
        return value

    def store_fact(self, key: str, sql: str) -> Any:
        """A scalar about the whole store (e.g. how many billing currencies it holds), computed once per
        read-only store and on every call otherwise (not evidence: a fact about the store, not the answer's)."""
        return self.once_per_store(key, lambda: _one(self.con.execute(sql).fetchone())[0])


    def evidence(self, args: BaseModel) -> Evidence:
        notes = list(self.notes)
        if any(t in r.sql for r in self.runs for t in ("resource_owners", "charges_allocated", "resource_facts")):
            refreshed = self.store_fact("allocation_refreshed_at",
                                        "SELECT max(value) FROM meta WHERE key = 'allocation_refreshed_at'")
            if refreshed:
                notes.append(f"resource owners (allocation) last refreshed {str(refreshed).replace('T', ' ')} UTC")
        if self.engine.name != "duckdb" and self.runs:
            notes.append(f"SQL ran on {self.engine.name}, transpiled from the DuckDB SQL shown (knowledge.engines)")
        return Evidence(tool=self.tool_name, args=args.model_dump(mode="json"), sql=list(self.runs),
                        freshness=self.freshness(), notes=notes)


# Facts about each open read-only store (freshness, column probes, ...), kept beside the store rather than
# on it. A store opened with a known file version (knowledge.store.file_version) shares its facts with every
# later store of the same version (each question opens the store anew: freshness alone was ~9 statements
# per question), the last _VERSIONS of them kept; any other store's facts are keyed by its identity (a Store
# is an unhashable dataclass) and dropped with it (a finalizer on the store).
_VERSIONS = 32
_STORE_CACHES: dict[int, dict[str, dict[str, Any]]] = {}
_VERSION_CACHES: LRUCache[str, dict[str, dict[str, Any]]] = LRUCache(maxsize=_VERSIONS)
_CACHES_LOCK = threading.Lock()


def _caches_of(store: Store) -> dict[str, dict[str, Any]]:
    with _CACHES_LOCK:
        if store.version is not None:
            caches = _VERSION_CACHES.get(store.version)
            if caches is None:
                caches = _VERSION_CACHES[store.version] = {}
            return caches
        caches = _STORE_CACHES.get(id(store))
        if caches is None:
            caches = _STORE_CACHES[id(store)] = {}
            weakref.finalize(store, _STORE_CACHES.pop, id(store), None)
        return caches


def forget_store_facts(store: Store) -> None:
    """Drop what is cached about `store` (benchmarks time the first computation)."""
    _caches_of(store).clear()


def _one(row: tuple[Any, ...] | None) -> tuple[Any, ...]:
    """The row of a query that always returns one (an aggregate without GROUP BY)."""
    if row is None:
        raise FinopsError("the store returned no row for an aggregate query")
    return row


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args_model: type[BaseModel]
    result_model: type[ToolResult]
    fn: Callable[[ToolContext, Any], ToolResult]
    examples: tuple[str, ...] = field(default_factory=tuple)

    def parse_args(self, args: Mapping[str, Any] | BaseModel | None) -> BaseModel:
        if isinstance(args, self.args_model):
            return args
        data = args.model_dump() if isinstance(args, BaseModel) else dict(args or {})
        try:
            return self.args_model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'args'}: {e['msg']}" for e in exc.errors())
            raise FinopsError(f"bad arguments for {self.name}: {problems}") from exc

    def openai_tool(self) -> dict[str, Any]:
        """The function-calling schema a chat model is bound with."""
        schema = self.args_model.model_json_schema()
        return {"type": "function", "function": {"name": self.name, "description": self.description, "parameters": schema}}


class Registry:
    def __init__(self) -> None:
        self._tools: dict[str, ToolSpec] = {}

    def tool(self, name: str, description: str, *, examples: Sequence[str] = ()) -> Callable[[Callable[[ToolContext, ArgsT], ResultT]], Callable[[ToolContext, ArgsT], ResultT]]:
        def register(fn: Callable[[ToolContext, ArgsT], ResultT]) -> Callable[[ToolContext, ArgsT], ResultT]:
            hints = get_type_hints(fn)
            args_model, result_model = hints.get("args"), hints.get("return")
            if not (isinstance(args_model, type) and issubclass(args_model, BaseModel)):
                raise TypeError(f"tool {name}: annotate `args` with a pydantic model")
            if not (isinstance(result_model, type) and issubclass(result_model, ToolResult)):
                raise TypeError(f"tool {name}: annotate the return type with a ToolResult subclass")
            if name in self._tools and self._tools[name].fn.__qualname__ != fn.__qualname__:
                raise ValueError(f"tool {name!r} registered twice")
            self._tools[name] = ToolSpec(name, description, args_model, result_model, fn, tuple(examples))
            return fn

        return register

    def get(self, name: str) -> ToolSpec:
        load_all()
        try:
            return self._tools[name]
        except KeyError:
            raise FinopsError(f"unknown tool '{name}'; tools: {', '.join(sorted(self._tools))}") from None

    def all(self) -> list[ToolSpec]:
        load_all()
        return [self._tools[k] for k in sorted(self._tools)]

    def names(self) -> list[str]:
        return [t.name for t in self.all()]


registry = Registry()
tool = registry.tool

# Modules of this package that hold infrastructure, not tools (tests/integration/test_agent_registry.py checks that
# every other module registers a tool and none of these does).
INFRASTRUCTURE = frozenset({
    "approval_policy", "budget_tree", "contract", "estimate_record", "llm_models", "manifest", "names",
    "periods", "registry", "run_overruns", "runnable_sql", "scopes", "sqlparts", "stats", "timeseries",
})
_loaded = False
_loading = False
_load_lock = threading.RLock()


def load_all() -> None:
    """Import every tool module in this package so that it registers itself.

    Thread-safe: other threads wait until every tool is registered (a bot answers questions in
    parallel); a re-entrant call from a tool module being imported returns at once."""
    global _loaded, _loading
    if _loaded:
        return
    with _load_lock:
        if _loaded or _loading:
            return
        _loading = True
        try:
            import tools

            for info in pkgutil.iter_modules(tools.__path__):
                if info.name.startswith("_") or info.name in INFRASTRUCTURE:
                    continue
                importlib.import_module(f"tools.{info.name}")
            _loaded = True
        finally:
            _loading = False


def run_tool(store: Store, name: str, args: Mapping[str, Any] | BaseModel | None = None) -> ToolResult:
    """Validate args, run the tool, attach evidence. Typed FinopsErrors propagate to the surface."""
    spec = registry.get(name)
    parsed = spec.parse_args(args)
    ctx = ToolContext(store, name)
    result = spec.fn(ctx, parsed)
    result.evidence = ctx.evidence(parsed)
    return result


def _tidy(sql: str) -> str:
    lines = [line.rstrip() for line in sql.strip().splitlines()]
    indent = min((len(ln) - len(ln.lstrip()) for ln in lines[1:] if ln.strip()), default=0)
    return "\n".join([lines[0].strip()] + [ln[indent:] for ln in lines[1:]])


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)

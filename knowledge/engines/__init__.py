"""Where the tools' SQL runs: DuckDB (default) or a transpiled engine such as Spark (docs/engines.md)."""

from knowledge.engines.base import DuckDBEngine, Engine, engine_of, use_engine

ENGINES = ("duckdb", "spark")

__all__ = ["ENGINES", "DuckDBEngine", "Engine", "engine_of", "use_engine"]

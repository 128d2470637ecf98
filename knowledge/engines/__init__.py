"""Where the tools' SQL runs: DuckDB (default) or a transpiled engine such as Spark (docs/engines.md)."""

from knowledge.engines.base import (
    DuckDBEngine,
    Engine,
    engine_of,
    register_engine,
    select_engine,
    selected_engine,
    use_engine,
)

ENGINES = ("duckdb", "spark")


def _spark(store: object) -> Engine:
    from knowledge.engines.spark import SparkEngine

    return SparkEngine.from_store(store)


register_engine("spark", _spark)

__all__ = ["ENGINES", "DuckDBEngine", "Engine", "engine_of", "register_engine", "select_engine", "selected_engine",
           "use_engine"]

"""llm-calls specifics: the price catalog, users' own prices, unknown models, and the cost at ingest.

Cost comes from `knowledge.prices.llm_cost_sql` joined to `llm_prices`; a model with no catalog row is
quarantined with a 'did you mean'; a catalog row lacking a price leaves the cost NULL (unknown, never $0).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from knowledge.connection import connect
from knowledge.ingest.errors import IngestError
from knowledge.ingest.postchecks import distinct_values, flag_values
from knowledge.ingest.session import scalar
from knowledge.ingest.suggest import unknown
from knowledge.prices import FRONTIER_INPUT_PRICE, load_catalogs

_PER_TOKEN = ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost")
_PER_MILLION = ("input_per_1m", "output_per_1m", "cached_input_per_1m")


def _price_relation() -> str:
    return "read_csv(?, header = true, comment = '#', all_varchar = true, delim = ',', quote = '\"', escape = '\"')"


def read_price_file(path: str | Path) -> list[tuple]:
    """Validate a user's price file; rows of (model, provider, mode, input, output, cache read) per token.

    Columns: `model` and either the catalog's per-token columns (input_cost_per_token,
    output_cost_per_token, optional cache_read_input_token_cost) or per-million-token prices
    (input_per_1m, output_per_1m, optional cached_input_per_1m); optional `provider`, `mode`.
    Lines starting with '#' are comments (source, date). Raises IngestError; changes nothing.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise IngestError(f"{path}: no such price file")
    con = connect(":memory:")
    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_price_relation()}", [str(p)]).fetchall()]
        lower = {c.lower(): c for c in cols}
        if "model" not in lower:
            raise IngestError(f"{path}: a price file needs a 'model' column (found: {', '.join(cols)})")
        if all(c in lower for c in _PER_TOKEN[:2]):
            names, scale = _PER_TOKEN, "1"
        elif all(c in lower for c in _PER_MILLION[:2]):
            names, scale = _PER_MILLION, "1000000"
        else:
            raise IngestError(
                f"{path}: a price file needs input_cost_per_token and output_cost_per_token "
                "(or input_per_1m and output_per_1m) columns"
            )

        def num(name: str) -> str:
            if name not in lower:
                return "CAST(NULL AS DECIMAL(38,15))"
            ref = '"' + lower[name].replace('"', '""') + '"'
            return f"CAST(TRY_CAST(nullif(trim({ref}), '') AS DECIMAL(38,18)) / {scale} AS DECIMAL(38,15))"

        def text(name: str) -> str:
            return '"' + lower[name].replace('"', '""') + '"' if name in lower else "CAST(NULL AS VARCHAR)"

        model = text("model")
        rows = con.execute(
            f"SELECT trim({model}), {text('provider')}, {text('mode')}, {num(names[0])}, {num(names[1])}, "
            f"{num(names[2])}, {text(names[0])}, {text(names[1])} FROM {_price_relation()}",
            [str(p)],
        ).fetchall()
    except duckdb.Error as exc:
        raise IngestError(f"{path}: not a readable price CSV ({str(exc).splitlines()[0]})") from exc
    finally:
        con.close()
    if not rows:
        raise IngestError(f"{path}: the price file has no rows")
    for i, row in enumerate(rows, start=1):
        _check_price_row(f"{path}: price row {i}", row)
    models = [r[0] for r in rows]
    if len(set(models)) != len(models):
        dup = sorted({m for m in models if models.count(m) > 1})[0]
        raise IngestError(f"{path}: model {dup!r} appears twice in the price file")
    return [r[:6] for r in rows]


def _check_price_row(where: str, row: tuple) -> None:
    """One row of a user's price file: a model, numbers where prices are given, none negative."""
    model_name, _prov, _mode, inp, out, cached, raw_in, raw_out = row
    if not model_name:
        raise IngestError(f"{where}: model is missing")
    for value, raw, label in ((inp, raw_in, "input"), (out, raw_out, "output")):
        if value is None and raw not in (None, ""):
            raise IngestError(f"{where} ({model_name}): {label} price {raw!r} is not a number")
        if value is not None and value < 0:
            raise IngestError(f"{where} ({model_name}): {label} price is negative")
    if inp is None and out is None:
        raise IngestError(f"{where} ({model_name}): no input or output price")
    if cached is not None and cached < 0:
        raise IngestError(f"{where} ({model_name}): cached input price is negative")


def prepare(con: duckdb.DuckDBPyConnection, prices: list[tuple] | None, prices_name: str | None) -> list[str]:
    """Inside the file's transaction: make sure the catalog is loaded, then apply a user's prices."""
    notes: list[str] = []
    if scalar(con, "SELECT count(*) FROM llm_prices") == 0:
        n_llm, _ = load_catalogs(con)
        notes.append(f"loaded the shipped LLM price catalog ({n_llm} models)")
    if prices:
        cols = list(zip(*prices))
        con.execute(
            "INSERT INTO llm_prices (model, provider, mode, input_cost_per_token, output_cost_per_token, "
            "cache_read_input_token_cost, tier, source) "
            "SELECT m, pr, mo, i, o, c, CASE WHEN i >= ? THEN 'frontier' ELSE 'mid' END, ? FROM ("
            "SELECT unnest(?::VARCHAR[]) AS m, unnest(?::VARCHAR[]) AS pr, unnest(?::VARCHAR[]) AS mo, "
            "unnest(?::DECIMAL(38,15)[]) AS i, unnest(?::DECIMAL(38,15)[]) AS o, unnest(?::DECIMAL(38,15)[]) AS c) "
            "ON CONFLICT (model) DO UPDATE SET "
            "provider = coalesce(excluded.provider, llm_prices.provider), "
            "mode = coalesce(excluded.mode, llm_prices.mode), "
            "input_cost_per_token = excluded.input_cost_per_token, "
            "output_cost_per_token = excluded.output_cost_per_token, "
            "cache_read_input_token_cost = excluded.cache_read_input_token_cost, "
            "source = excluded.source",
            [FRONTIER_INPUT_PRICE, prices_name, *[list(c) for c in cols]],
        )
        notes.append(f"prices of {len(prices)} model(s) set from {prices_name}")
    return notes


def flag_unattributable(con: duckdb.DuckDBPyConnection, has_provider: bool) -> None:
    """Rows with no provider whose catalog row names none either (a model from the user's --prices file
    without a provider column): llm_calls.provider is required, so they are quarantined, not loaded."""
    from knowledge.ingest.staging import STAGE

    empty = "coalesce(s.provider, '') = ''" if has_provider else "true"
    models = [r[0] for r in con.execute(
        f"SELECT DISTINCT s.model FROM {STAGE} s JOIN llm_prices p ON p.model = s.model "
        f"WHERE s.x_reason IS NULL AND {empty} AND coalesce(p.provider, '') = '' ORDER BY 1"
    ).fetchall()]
    if not models:
        return
    message = "provider is missing, and the price catalog names none for model '{}' (add a provider column)"
    con.execute("DROP TABLE IF EXISTS _ingest_unattributed")
    con.execute(
        "CREATE TEMP TABLE _ingest_unattributed AS SELECT unnest(?::VARCHAR[]) AS v, unnest(?::VARCHAR[]) AS message",
        [models, [message.format(m[:60]) for m in models]],
    )
    con.execute(
        f"UPDATE {STAGE} SET x_reason = concat_ws('; ', {STAGE}.x_reason, h.message) FROM _ingest_unattributed h "
        f"WHERE {STAGE}.model = h.v AND " + ("coalesce(" + STAGE + ".provider, '') = ''" if has_provider else "true")
    )
    con.execute("DROP TABLE _ingest_unattributed")


def flag_unknown_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Add "unknown model 'x'; did you mean 'y'?" to the reason of stage rows whose model has no price row."""
    catalog = [r[0] for r in con.execute("SELECT model FROM llm_prices ORDER BY model").fetchall()]
    known = set(catalog)
    unknown_models = [m for m in distinct_values(con, "model") if m not in known]
    if not unknown_models:
        return []
    flag_values(con, "model", {m: unknown("model", m, catalog) for m in unknown_models})
    shown = ", ".join(repr(m) for m in unknown_models[:5]) + (" ..." if len(unknown_models) > 5 else "")
    return [f"{len(unknown_models)} unknown model name(s) quarantined: {shown}"]

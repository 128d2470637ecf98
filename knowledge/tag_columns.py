"""The common tag keys of a charge, materialised as columns of `focus_charges` (issue 17, item 1).

Reading one key of the `Tags` map decodes the whole map of every row: at 100M charges, spend by team or
by the env tag spent most of its time there. The keys the tools group and filter by (team, owner, project,
env, app, model) are stored beside the map as plain columns, `x_tag_<key>`, holding `nullif(Tags[key], '')`;
every other key stays in the map only. Rows get their values when they are written: `fill` sets them on the
rows of a store file that lack them (whichever path inserted the rows), and a lake's files are written with
them (`knowledge.lake.flush`). A charge's tags never change after it is loaded, so the columns never go stale.
"""

from __future__ import annotations

import duckdb

# tag key -> its column (migration 11 adds exactly these)
TAG_COLUMNS: dict[str, str] = {
    "team": "x_tag_team",
    "owner": "x_tag_owner",
    "project": "x_tag_project",
    "env": "x_tag_env",
    "app": "x_tag_app",
    "model": "x_tag_model",
}


def value_sql(key: str, tags: str = "Tags") -> str:
    """The value of tag `key` read from the map `tags` (what its column holds): NULL when absent or empty."""
    quoted = key.replace("'", "''")
    source = tags if tags == "Tags" else f"({tags})"      # an expression is parenthesised before indexing
    return f"nullif({source}['{quoted}'], '')"


def column(key: str) -> str | None:
    """The column that holds tag `key`, or None when the key lives in the map only."""
    return TAG_COLUMNS.get(key)


def computed(tags: str = "Tags") -> list[tuple[str, str]]:
    """(column, its value computed from the map `tags`) for every materialised key: what a writer inserts."""
    return [(c, value_sql(k, tags)) for k, c in TAG_COLUMNS.items()]


def computed_sql(tags: str = "Tags") -> str:
    """`<value> AS x_tag_<key>, ...` for every materialised key."""
    return ", ".join(f"{v} AS {c}" for c, v in computed(tags))


def fill(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Set the tag columns on the rows of `table` that carry one of the keys but have none of the columns
    (rows inserted without them); returns how many rows were set. Rows already filled, and rows with none
    of the keys, are left as they are, and so are rows a run of finops wrote (an ingest, a connector, the
    demo: `x_ingest_id` set), which compute their columns as they insert: at 10M ingested charges the test
    decoded every untagged row's map after each ingest (0.9 s), where the ingest ids' statistics skip it."""
    unset = " AND ".join(f"{c} IS NULL" for c in TAG_COLUMNS.values())
    carried = " OR ".join(f"{value_sql(k)} IS NOT NULL" for k in TAG_COLUMNS)
    sets = ", ".join(f"{c} = {value_sql(k)}" for k, c in TAG_COLUMNS.items())
    row = con.execute(f"UPDATE {table} SET {sets} WHERE x_ingest_id IS NULL AND Tags IS NOT NULL AND {unset} "
                      f"AND ({carried})").fetchone()
    return int(row[0]) if row else 0

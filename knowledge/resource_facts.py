"""What ownership reads of a resource's charges, kept per resource instead of read from the whole bill.

`resource_facts` holds one row per resource and (name, sub account id, sub account name, team tag, owner
tag) it was billed with: how many charges, when it was last seen and last seen with a tag;
`resource_latest_tags` each resource's latest non-empty tag set. who-owns and explain a charge read a
resource's ownership from it (the tags on how many of its charges, the names and accounts the ownership
rules match), where each question used to group all of the resource's charges: on a bill in load order a
resource's charges are spread over every row group, so that was a pass over five columns of the whole
bill (~260 ms of a 580 ms explain at 10M charges; its latest tag set ~60 ms more).

Writers keep it (`rebuild`, called by `knowledge.allocation.refresh`) when the charges' signature (row
count and ingest runs, as the name index's) changed; a reader uses it only when its stored signature is
the charges' current one (`FRESH_SQL`), and otherwise reads the charges as before, so a table a writer
left stale (rows inserted by hand) is never read.
"""

from __future__ import annotations

import duckdb

from knowledge.tag_columns import TAG_COLUMNS

TABLE = "resource_facts"
TAGS_TABLE = "resource_latest_tags"
SIG_KEY = "resource_facts_signature"

# The charges' signature: row count (no scan) and the ingest runs (a replace keeps the count); the allocation's
# signature starts with the same two parts.
SIGNATURE_PARTS = ("(SELECT count(*)::VARCHAR FROM focus_charges)",
                   "(SELECT count(*) || '/' || coalesce(max(ingest_id), '') || '/' || "
                   "coalesce(max(finished_at)::VARCHAR, '') FROM ingest_runs)")
SIGNATURE_SQL = "SELECT " + " || '/' || ".join(SIGNATURE_PARTS)
FRESH_SQL = (f"SELECT coalesce((SELECT value FROM main.meta WHERE key = '{SIG_KEY}') = ({SIGNATURE_SQL}), false)")

# The grouping who_owns' _EXACT_SQL does for one resource (its `detail` rows), for every resource.
SEEN_COLUMNS = ("ResourceName AS seen_name, SubAccountId AS sub_id, SubAccountName AS sub_name, "
                f"{TAG_COLUMNS['team']} AS team, {TAG_COLUMNS['owner']} AS owner")
SEEN_AGGREGATES = "count(*) AS n, max(ChargePeriodStart) AS last_seen"
_FACTS_SQL = (f"SELECT ResourceId, {SEEN_COLUMNS}, {SEEN_AGGREGATES}, "
              "max(ChargePeriodStart) FILTER (WHERE cardinality(Tags) > 0) AS last_tagged "
              "FROM focus_charges WHERE ResourceId IS NOT NULL GROUP BY ALL ORDER BY ResourceId")
# A resource's latest non-empty tag set: of its latest tagged charge, the least as text when several charges
# of that instant carry different ones (the order who_owns read it in from the charges).
LATEST_TAGS_ORDER = "ChargePeriodStart DESC, CAST(Tags AS VARCHAR)"
_TAGS_SQL = f"""WITH latest AS (SELECT ResourceId, max(last_tagged) AS at FROM main.{TABLE}
                         WHERE last_tagged IS NOT NULL GROUP BY ResourceId)
    SELECT c.ResourceId, arg_min(c.Tags, CAST(c.Tags AS VARCHAR)) AS Tags
    FROM focus_charges c JOIN latest l ON c.ResourceId = l.ResourceId AND c.ChargePeriodStart = l.at
    WHERE cardinality(c.Tags) > 0 GROUP BY c.ResourceId ORDER BY c.ResourceId"""


def signature(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(SIGNATURE_SQL).fetchone()
    return str(row[0]) if row else ""


def stale(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(FRESH_SQL).fetchone()
    return not (row and row[0])


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the table from the charges, in the caller's transaction."""
    sig = signature(con)
    con.execute(f"DELETE FROM main.{TABLE}")
    con.execute(f"INSERT INTO main.{TABLE} {_FACTS_SQL}")
    con.execute(f"DELETE FROM main.{TAGS_TABLE}")
    con.execute(f"INSERT INTO main.{TAGS_TABLE} {_TAGS_SQL}")
    con.execute("INSERT INTO main.meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [SIG_KEY, sig])

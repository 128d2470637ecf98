"""The store and what the assistant knows: schema, ingestion, price catalogs, ownership, demo company."""

"""The MCP server: `finops mcp` (apps/mcp/server.py), tool schemas from the registry (apps/mcp/schemas.py)."""

"""The MCP server: every registry tool for any MCP client (official `mcp` SDK, low-level `Server`).

- tools: one per registry tool; the input schema is generated from its args model (`apps.mcp.schemas`).
  A call opens the store read-only, runs the tool through `tools.registry.run_tool` and answers with the
  summary sentence and evidence as text, and as structured content: the table (cells as shown), the exact
  result (`data`: every figure a string with all its digits), and the evidence (SQL with parameters,
  freshness, notes). A tool error (bad argument, unknown name with "did you mean", no data) is a tool
  result with `isError` and the message, plus `suggestions` when there are some.
- prompts: the common questions, one per example of each registry tool.
- resources: the semantic model (measures, derived measures, dimensions, synonyms, concepts) as JSON and
  as the README's markdown table, and the teams the caller may see.

Access: the Slack access policy (`apps.slack.access`, YAML named by FINOPS_SLACK_ACCESS or `--access`)
restricts what the server's one caller (`--user` / FINOPS_MCP_USER) may see, with the same functions the
Slack bot applies: side lists and suggestions are filtered (`apps.slack.visibility.filter_answer`), and a
result that touches a team outside the scope (or spend of no team) is refused (`check`, `touched_teams`).
No policy: every team is visible.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server

from agent.answer import Answer, ToolCallRecord
from apps.mcp.schemas import Mode, input_schema, tool_description
from apps.slack.access import AccessPolicy, TeamScope, check, touched_teams
from apps.slack.visibility import filter_answer, resource_owners
from knowledge.bootstrap import is_demo_store
from knowledge.errors import UnknownNameError
from knowledge.semantic.docs import vocabulary_markdown
from knowledge.semantic.model import SemanticModel
from knowledge.store import Store, StoreError, open_store
from tools.contract import FinopsError, ToolResult
from tools.registry import registry, run_tool

log = logging.getLogger("finops.mcp")

SERVER_NAME = "finops"
MODEL_URI = "finops://semantic-model"
MODEL_MD_URI = "finops://semantic-model.md"
TEAMS_URI = "finops://teams"
INSTRUCTIONS = (
    "Exact cost answers over a FinOps store (cloud bill in FOCUS, LLM API calls, GPU jobs). Every figure comes "
    "from SQL; quote the figures of a tool's result, never compute new ones. Read finops://semantic-model for "
    "the measures, dimensions and words query_costs understands. An unknown name returns 'did you mean'."
)


@dataclass
class McpConfig:
    db: Path
    mode: Mode = "compact"
    policy: AccessPolicy = field(default_factory=AccessPolicy.open)
    user: str | None = None

    @property
    def scope(self) -> TeamScope:
        return self.policy.scope_for(self.user, None)


# -- one call, in a worker thread ----------------------------------------------------------------------
def _known_teams(store: Store) -> set[str]:
    return {r[0] for r in store.con.execute("SELECT team FROM teams WHERE team IS NOT NULL").fetchall()}


def _cell(value: Any) -> Any:
    return None if value is None else str(value)


def _evidence(result: ToolResult) -> dict[str, Any]:
    ev = result.evidence
    if ev is None:
        return {}
    return ev.model_dump(mode="json")


def call(config: McpConfig, name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
    """Run one registry tool on a read-only store and shape its result (or its error) for MCP."""
    args = dict(arguments or {})
    scope = config.scope
    try:
        with open_store(config.db, read_only=True) as store:
            try:
                result = run_tool(store, name, args)
            except UnknownNameError as exc:
                return _did_you_mean(store, scope, name, args, exc)
            return _shape(store, scope, name, args, result)
    except (FinopsError, StoreError) as exc:
        return _error(str(exc), kind=type(exc).__name__)
    except Exception:                       # a bug: say so without internals (the traceback goes to stderr)
        log.exception("tool %s failed", name)
        return _error(f"{name} failed unexpectedly; the traceback is in the server's log", kind="InternalError")


def _error(message: str, *, kind: str, suggestions: list[str] | None = None) -> types.CallToolResult:
    payload: dict[str, Any] = {"error": message, "kind": kind}
    if suggestions is not None:
        payload["suggestions"] = suggestions
    return types.CallToolResult(content=[types.TextContent(type="text", text=f"error: {message}")],
                                structured_content=payload, is_error=True)


def _did_you_mean(store: Store, scope: TeamScope, name: str, args: dict[str, Any],
                  exc: UnknownNameError) -> types.CallToolResult:
    answer = Answer(question=name, text=str(exc), kind="did_you_mean", suggestions=list(exc.suggestions),
                    tool_calls=[ToolCallRecord(tool=name, args=args, ok=False, error=str(exc))])
    if not scope.all:
        answer = filter_answer(answer, scope, lambda names: resource_owners(store, names), _known_teams(store))
    return _error(answer.text, kind="UnknownNameError", suggestions=answer.suggestions)


def _shape(store: Store, scope: TeamScope, name: str, args: dict[str, Any], result: ToolResult) -> types.CallToolResult:
    view = result.table()
    data = result.model_dump(mode="json", exclude={"evidence"})
    evidence = result.evidence
    answer = Answer(question=name, text=result.summary(), kind="answer",
                    tool_calls=[ToolCallRecord(tool=name, args=args, ok=True)],
                    evidence=[evidence] if evidence is not None else [],
                    tables=[view] if view is not None else [], results=[data])
    if not scope.all:
        known = _known_teams(store)

        def owners(names: Any) -> dict[str, frozenset[str | None]]:
            return resource_owners(store, names)

        answer = filter_answer(answer, scope, owners, known)
        denied = check(scope, touched_teams(answer, known, owners))
        if denied:
            teams = [d for d in denied if not d.startswith("spend ")]
            what = ("the costs of team " + ", ".join(teams)) if teams else "company-wide or unallocated costs"
            return _error(f"this answer includes {what}, which this connection may not see "
                          f"(its access covers {scope.describe()}); ask with a filter on your team(s)",
                          kind="AccessDenied")
    table = answer.tables[0] if answer.tables else None
    structured = {
        "tool": name,
        "summary": answer.text,
        "table": None if table is None else {"columns": list(table.columns),
                                             "rows": [[_cell(c) for c in row] for row in table.rows]},
        "data": answer.results[0] if answer.results else data,
        "evidence": _evidence(result),
        "demo_data": is_demo_store(store.con),
        "notes": list(answer.flags),
    }
    text = answer.text
    if table is not None and table.rows:
        text += "\n\n" + _markdown(table.columns, table.rows)
    text += "\n\n" + answer.evidence_text()
    if structured["demo_data"]:
        text = "DEMO DATA — " + text
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)],
                                structured_content=structured, is_error=False)


def _markdown(columns: list[str], rows: list[list[Any]], limit: int = 50) -> str:
    def esc(v: Any) -> str:
        return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"({len(rows) - limit} more rows in the structured content)")
    return "\n".join(lines)


# -- prompts and resources -----------------------------------------------------------------------------
def prompts() -> list[tuple[str, str, str]]:
    """(prompt name, tool, question): each example question of each registry tool."""
    out = []
    for spec in registry.all():
        for i, example in enumerate(spec.examples, 1):
            out.append((f"{spec.name}_{i}", spec.name, example))
    return out


def _visible_teams(config: McpConfig) -> list[str]:
    with open_store(config.db, read_only=True) as store:
        teams = sorted(_known_teams(store))
    scope = config.scope
    return [t for t in teams if scope.allows(t)]


def read_resource(config: McpConfig, uri: str) -> types.TextResourceContents:
    if uri == MODEL_URI:
        return types.TextResourceContents(uri=uri, mime_type="application/json",
                                          text=SemanticModel().model_dump_json(indent=1))
    if uri == MODEL_MD_URI:
        return types.TextResourceContents(uri=uri, mime_type="text/markdown", text=vocabulary_markdown())
    if uri == TEAMS_URI:
        return types.TextResourceContents(uri=uri, mime_type="application/json",
                                          text=json.dumps({"teams": _visible_teams(config),
                                                           "access": config.scope.describe()}))
    raise FinopsError(f"unknown resource {uri!r}; resources: {MODEL_URI}, {MODEL_MD_URI}, {TEAMS_URI}")


# -- the server ----------------------------------------------------------------------------------------
def build_server(config: McpConfig) -> Server[Any]:
    specs = registry.all()
    tools = [types.Tool(name=s.name, description=tool_description(s, config.mode),
                        input_schema=input_schema(s, config.mode)) for s in specs]
    prompt_list = prompts()
    by_prompt = {p[0]: p for p in prompt_list}

    async def on_list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        return await anyio.to_thread.run_sync(call, config, params.name, params.arguments)

    async def on_list_prompts(ctx: Any, params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[types.Prompt(name=n, title=q, description=f"{q} (tool {t})")
                                                for n, t, q in prompt_list])

    async def on_get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        found = by_prompt.get(params.name)
        if found is None:
            from mcp.shared.exceptions import MCPError

            raise MCPError(types.INVALID_PARAMS, f"unknown prompt {params.name!r}")
        _, tool, question = found
        text = (f"{question}\n\nAnswer with the finops `{tool}` tool (see finops://semantic-model for the names it "
                "accepts). Quote the figures of its result exactly and cite its evidence (SQL and data freshness).")
        return types.GetPromptResult(description=question, messages=[
            types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))])

    async def on_list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[
            types.Resource(name="semantic-model", uri=MODEL_URI, mime_type="application/json",
                           description="Measures, derived measures, dimensions (with FOCUS columns and synonyms) and "
                                       "words that mean a filter: what query_costs and spend accept."),
            types.Resource(name="semantic-model.md", uri=MODEL_MD_URI, mime_type="text/markdown",
                           description="The same vocabulary as markdown tables."),
            types.Resource(name="teams", uri=TEAMS_URI, mime_type="application/json",
                           description="The teams this connection may see."),
        ])

    async def on_read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        try:
            contents = await anyio.to_thread.run_sync(read_resource, config, str(params.uri))
        except (FinopsError, StoreError) as exc:
            from mcp.shared.exceptions import MCPError

            raise MCPError(types.INVALID_PARAMS, str(exc)) from None
        return types.ReadResourceResult(contents=[contents])

    return Server(SERVER_NAME, version="0.1.0", instructions=INSTRUCTIONS,
                  get_tool_input_schema=lambda n: next((t.input_schema for t in tools if t.name == n), None),
                  on_list_tools=on_list_tools, on_call_tool=on_call_tool, on_list_prompts=on_list_prompts,
                  on_get_prompt=on_get_prompt, on_list_resources=on_list_resources,
                  on_read_resource=on_read_resource)


async def serve_stdio(config: McpConfig) -> None:
    from mcp.server.stdio import stdio_server

    server = build_server(config)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def http_app(config: McpConfig, host: str) -> Any:
    """The Starlette app serving streamable HTTP at /mcp (DNS-rebinding protection on loopback hosts)."""
    return build_server(config).streamable_http_app(host=host)

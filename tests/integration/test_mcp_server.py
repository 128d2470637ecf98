"""`finops mcp` through the official SDK's client: the real server process over stdio and over streamable
HTTP on a loopback port, on a copy of the demo store. Figures are checked against independent SQL.

Each transport is started once per module (a session runs all its requests and the tests read the
answers), so the file stays fast."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from apps.mcp.schemas import TOKEN_BUDGET, compact_schema, tool_description
from knowledge.semantic.model import SemanticModel
from tests.conftest import duckdb_connect
from tools.registry import registry

FINOPS = str(Path(sys.executable).with_name("finops"))
LAST_MONTH = ("2026-10-01", "2026-11-01")          # "last month" of the demo (as of 2026-11-25)


@pytest.fixture(scope="module")
def store_copy(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dst = tmp_path_factory.mktemp("mcp") / "demo-copy.duckdb"
    shutil.copy(demo_db, dst)
    return dst


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FINOPS_SLACK_ACCESS", "FINOPS_MCP_USER", "FINOPS_TODAY")}
    env.update(extra)
    return env


async def _session(client: Client, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with client as c:
        out["tools"] = (await c.list_tools()).tools
        out["calls"] = [await c.call_tool(name, args) for name, args in calls]
        out["resources"] = (await c.list_resources()).resources
        out["model"] = (await c.read_resource("finops://semantic-model")).contents[0].text
        out["teams"] = json.loads((await c.read_resource("finops://teams")).contents[0].text)
        out["prompts"] = (await c.list_prompts()).prompts
        out["prompt"] = await c.get_prompt("spend_1")
    return out


STDIO_CALLS = [
    ("query_costs", {"measures": ["billed_cost", "effective_cost"], "group_by": ["provider"], "period": "last month"}),
    ("spend", {"period": "last month", "group_by": "team", "compare": False}),
    ("spend", {"period": "last month", "team": "serch"}),
    ("spend", {"period": "last month", "group_by": "teams"}),
    ("who_owns", {"resource": "the $20K/month inference cluster"}),
]


@pytest.fixture(scope="module")
def stdio(store_copy: Path, http_server: subprocess.Popen) -> dict[str, Any]:
    # (the HTTP server process boots meanwhile)
    params = StdioServerParameters(command=FINOPS, args=["mcp", "--db", str(store_copy)], env=_env())
    return anyio.run(_session, Client(params, read_timeout_seconds=60), STDIO_CALLS)


def _sql(db: Path, query: str, *params: Any) -> list[tuple]:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()


# -- tools ------------------------------------------------------------------------------------------
def test_every_registry_tool_is_listed_with_its_args_models_schema(stdio: dict[str, Any]) -> None:
    listed = {t.name: t for t in stdio["tools"]}
    specs = registry.all()
    assert sorted(listed) == sorted(s.name for s in specs)
    for spec in specs:
        tool = listed[spec.name]
        assert tool.input_schema == compact_schema(spec.args_model.model_json_schema(), top=True), spec.name
        assert tool.description == tool_description(spec, "compact")
        assert set(tool.input_schema["properties"]) == set(spec.args_model.model_fields), spec.name


def test_the_whole_tool_list_fits_the_token_budget(stdio: dict[str, Any]) -> None:
    # What a client receives, serialised compactly; tokens estimated as characters / 4 (no tiktoken tables offline).
    text = json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in stdio["tools"]],
                      separators=(",", ":"), ensure_ascii=False)
    assert len(text) // 4 <= TOKEN_BUDGET, f"{len(text)} chars ~ {len(text) // 4} tokens"


def test_query_costs_figures_equal_independent_sql(stdio: dict[str, Any], store_copy: Path) -> None:
    result = stdio["calls"][0]
    assert result.is_error is False
    data = result.structured_content["data"]
    got = {row["keys"][0]: (Decimal(row["values"]["billed_cost"]), Decimal(row["values"]["effective_cost"]))
           for row in data["rows"]}
    expected = {p: (b, e) for p, b, e in _sql(store_copy, """
        SELECT ProviderName, sum(BilledCost), sum(EffectiveCost) FROM focus_charges
        WHERE ChargePeriodStart >= CAST(? AS TIMESTAMP) AND ChargePeriodStart < CAST(? AS TIMESTAMP)
        GROUP BY ProviderName""", *LAST_MONTH)}
    assert got == expected
    assert Decimal(data["totals"]["billed_cost"]) == sum(b for b, _ in expected.values())
    # the table, the summary and the evidence come along
    table = result.structured_content["table"]
    assert table["columns"][0] == "provider" and [r[0] for r in table["rows"]] == [*[r["keys"][0] for r in data["rows"]], "total"]
    assert all(isinstance(c, str) or c is None for row in table["rows"] for c in row)
    assert result.structured_content["summary"].startswith("Billed cost")
    evidence = result.structured_content["evidence"]
    assert evidence["tool"] == "query_costs" and evidence["sql"]
    assert all(run["sql"].strip() and isinstance(run["params"], list) for run in evidence["sql"])
    assert any(f["source"] == "billing (FOCUS)" and f["latest_data"] for f in evidence["freshness"])
    assert result.structured_content["demo_data"] is True
    assert "Evidence" in result.content[0].text


def test_spend_by_team_equals_independent_sql(stdio: dict[str, Any], store_copy: Path) -> None:
    result = stdio["calls"][1]
    assert result.is_error is False
    rows = {r["key"]: Decimal(r["billed"]) for r in result.structured_content["data"]["rows"] if not r["is_other"]}
    expected = dict(_sql(store_copy, """
        SELECT coalesce(x_team, 'unallocated'), sum(BilledCost) FROM charges_allocated
        WHERE ChargePeriodStart >= CAST(? AS TIMESTAMP) AND ChargePeriodStart < CAST(? AS TIMESTAMP)
        GROUP BY 1""", *LAST_MONTH))
    assert rows == expected
    assert Decimal(result.structured_content["data"]["total_billed"]) == sum(expected.values())


def test_unknown_name_is_a_tool_error_with_the_suggestion(stdio: dict[str, Any]) -> None:
    result = stdio["calls"][2]
    assert result.is_error is True
    assert "did you mean 'search'" in result.content[0].text
    assert result.structured_content["suggestions"][0] == "search"


def test_bad_argument_names_the_field_and_the_valid_values(stdio: dict[str, Any]) -> None:
    result = stdio["calls"][3]
    assert result.is_error is True
    message = result.structured_content["error"]
    assert "group_by" in message and "'team'" in message and "'service'" in message


def test_who_owns_the_planted_cluster(stdio: dict[str, Any], store_copy: Path) -> None:
    result = stdio["calls"][4]
    assert result.is_error is False
    fact = json.loads(_sql(store_copy, "SELECT value FROM demo_facts WHERE key = 'cluster_20k'")[0][0])
    text = json.dumps(result.structured_content["data"])
    assert fact["resource_id"] in text
    assert fact["team"] in result.structured_content["summary"]


# -- resources and prompts --------------------------------------------------------------------------
def test_semantic_model_resource_is_the_model(stdio: dict[str, Any]) -> None:
    assert {str(r.uri) for r in stdio["resources"]} >= {"finops://semantic-model", "finops://semantic-model.md",
                                                       "finops://teams"}
    model = json.loads(stdio["model"])
    assert model == json.loads(SemanticModel().model_dump_json())
    assert any(d["name"] == "team" and "squad" in d["synonyms"] for d in model["dimensions"])
    assert {"measures", "derived", "dimensions", "concepts"} <= set(model)


def test_prompts_are_the_tools_examples(stdio: dict[str, Any]) -> None:
    titles = {p.title for p in stdio["prompts"]}
    examples = {e for s in registry.all() for e in s.examples}
    assert titles == examples
    spend = registry.get("spend")
    assert stdio["prompt"].messages[0].content.text.startswith(spend.examples[0])


def test_teams_resource_without_policy_lists_every_team(stdio: dict[str, Any], store_copy: Path) -> None:
    assert stdio["teams"]["teams"] == sorted(r[0] for r in _sql(store_copy, "SELECT team FROM teams"))
    assert stdio["teams"]["access"] == "all teams"


# -- streamable HTTP, with the Slack access policy restricting the caller to team search -------------
HTTP_CALLS = [
    ("query_costs", {"measures": ["billed_cost"], "group_by": ["service"], "period": "last month",
                     "filters": [{"dimension": "team", "op": "eq", "values": ["search"]}], "top": 1000}),
    ("query_costs", {"measures": ["billed_cost"], "group_by": ["team"], "period": "last month"}),
    ("spend", {"period": "last month", "team": "research"}),
    ("spend", {"period": "last month", "team": "serch"}),
]


@pytest.fixture(scope="module")
def http_server(store_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> subprocess.Popen:
    """`finops mcp --transport http --port 0` for the caller U0SEARCH1, whom the Slack access mapping limits to
    team search."""
    access = tmp_path_factory.mktemp("access") / "access.yaml"
    access.write_text("default: []\nusers: {U0SEARCH1: [search], U0FINOPS1: ['*']}\n", encoding="utf-8")
    proc = subprocess.Popen([FINOPS, "mcp", "--transport", "http", "--port", "0", "--db", str(store_copy)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(FINOPS_SLACK_ACCESS=str(access), FINOPS_MCP_USER="U0SEARCH1"))
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def http(http_server: subprocess.Popen) -> dict[str, Any]:
    line = http_server.stdout.readline()
    assert "listening on http://127.0.0.1:" in line, line + (http_server.stderr.read() if http_server.poll() else "")
    url = line.split("listening on ", 1)[1].split(" ", 1)[0]
    out = anyio.run(_session, Client(url, read_timeout_seconds=60), HTTP_CALLS)
    out["url"] = url
    return out


def test_http_lists_the_same_tools(http: dict[str, Any], stdio: dict[str, Any]) -> None:
    assert http["url"].startswith("http://127.0.0.1:") and http["url"].endswith("/mcp")
    assert [t.model_dump() for t in http["tools"]] == [t.model_dump() for t in stdio["tools"]]


def test_http_own_team_figures_equal_independent_sql(http: dict[str, Any], store_copy: Path) -> None:
    result = http["calls"][0]
    assert result.is_error is False, result.content[0].text
    got = {r["keys"][0]: Decimal(r["values"]["billed_cost"]) for r in result.structured_content["data"]["rows"]}
    expected = dict(_sql(store_copy, """
        SELECT ServiceName, sum(BilledCost) FROM charges_allocated
        WHERE x_team = 'search' AND ChargePeriodStart >= CAST(? AS TIMESTAMP) AND ChargePeriodStart < CAST(? AS TIMESTAMP)
        GROUP BY 1""", *LAST_MONTH))
    assert got == expected


def test_access_policy_hides_other_teams_rows(http: dict[str, Any]) -> None:
    by_team, research = http["calls"][1], http["calls"][2]
    for result in (by_team, research):
        assert result.is_error is True
        assert result.structured_content["kind"] == "AccessDenied"
        assert "data" not in result.structured_content and "table" not in result.structured_content
        assert "$" not in result.content[0].text            # no figure of any team leaks
    assert "research" in research.content[0].text
    assert http["teams"] == {"teams": ["search"], "access": "search"}


def test_access_policy_filters_did_you_mean(http: dict[str, Any]) -> None:
    result = http["calls"][3]
    assert result.is_error is True
    assert result.structured_content["suggestions"] == ["search"]       # 'research' is not the caller's
    assert "research" not in result.content[0].text


# -- full mode: the args models' schemas verbatim (in-process client on the same server code) -----------
def test_full_mode_publishes_the_args_models_schemas_verbatim(store_copy: Path) -> None:
    from apps.mcp.server import McpConfig, build_server

    async def listed() -> list[Any]:
        async with Client(build_server(McpConfig(db=store_copy, mode="full"))) as c:
            return (await c.list_tools()).tools

    tools = {t.name: t for t in anyio.run(listed)}
    for spec in registry.all():
        assert tools[spec.name].input_schema == spec.args_model.model_json_schema()
        assert tools[spec.name].description == spec.description
        assert tools[spec.name].input_schema == spec.openai_tool()["function"]["parameters"]


# -- the command line and the fail-closed defaults (in-process) -----------------------------------------
def test_cli_refuses_a_missing_store_and_a_bad_access_file(tmp_path: Path, store_copy: Path) -> None:
    from typer.testing import CliRunner

    from apps.cli.main import app

    runner = CliRunner()
    missing = runner.invoke(app, ["mcp", "--db", str(tmp_path / "none.duckdb")], env=_env())
    assert missing.exit_code == 2 and "no store at" in missing.output
    assert not (tmp_path / "none.duckdb").exists()
    bad = tmp_path / "access.yaml"
    bad.write_text("users: [not, a, mapping]\n", encoding="utf-8")
    refused = runner.invoke(app, ["mcp", "--db", str(store_copy), "--access", str(bad)], env=_env())
    assert refused.exit_code == 2 and "access mapping" in refused.output


def test_cli_schema_size(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from apps.cli.main import app
    from apps.mcp.schemas import schema_size

    out = CliRunner().invoke(app, ["mcp", "--schema-size"], env=_env())
    assert out.exit_code == 0
    size = json.loads(out.output)
    assert size == schema_size("compact") and size["tokens_estimate"] == size["chars"] // 4 <= TOKEN_BUDGET
    full = json.loads(CliRunner().invoke(app, ["mcp", "--schema-size", "--schema", "full"], env=_env()).output)
    assert full["chars"] > size["chars"]


def test_a_caller_the_mapping_does_not_list_sees_no_figures(store_copy: Path) -> None:
    """With a mapping, no --user means the mapping's default (here: no team): every figure is refused."""
    from apps.mcp.server import McpConfig, build_server
    from apps.slack.access import AccessPolicy

    config = McpConfig(db=store_copy, policy=AccessPolicy(default=[], users={"U0SEARCH1": ["search"]}), user=None)

    async def ask() -> list[Any]:
        async with Client(build_server(config)) as c:
            return [await c.call_tool("spend", {"team": "search", "period": "last month"}),
                    await c.call_tool("llm_spend", {"period": "last month"}),
                    json.loads((await c.read_resource("finops://teams")).contents[0].text)]

    own, company, teams = anyio.run(ask)
    for result in (own, company):
        assert result.is_error is True and result.structured_content["kind"] == "AccessDenied"
        assert "$" not in result.content[0].text
    assert teams == {"teams": [], "access": "no team"}

"""Integration tests: the real parts — DuckDB files on disk (the demo store built once per code version and
copied for writers: tests/conftest.py), the CLI in-process and as a subprocess, the Bolt app over signed
HTTP with a loopback Slack Web API, the Textual app under its Pilot, ChatOpenAI against a loopback
OpenAI-compatible server. `pytest -m "not integration"` runs the fast unit suite alone."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)

"""The demo company "Acme AI" (contract: docs/demo-company.md): `build_demo` builds it into a store."""

from knowledge.demo.builder import DemoSummary, build_demo

__all__ = ["DemoSummary", "build_demo"]

"""The package layout is the data flow: a lower stage never imports a higher one.

Each package of ``lineage`` may import only the packages listed for it in :data:`ALLOWED`
(the README's Architecture table says the same), and a few third-party libraries belong to one
package each (only ``hub`` talks to the Hub, only ``app`` uses Streamlit, only ``neo4j`` uses
the driver). Imports inside ``if TYPE_CHECKING:`` are annotations, not dependencies, and are
not counted. The checker is tested on the backward imports it exists to catch.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lineage"

BASE = {"errors", "times", "records", "files", "refs"}
#: package -> the lineage packages it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "refs": set(),
    "times": {"errors"},
    "files": {"errors"},
    "records": {"errors", "times"},
    "families": {"errors", "records", "files"},
    "licenses": {"errors", "records", "files"},  # the licence class table (like the family registry)
    "store": BASE,
    "hub": BASE | {"families", "store"},
    "graph": BASE | {"store"},
    "analytics": BASE | {"families", "licenses", "store", "graph"},
    "render": BASE | {"families", "licenses", "graph", "analytics"},
    "export": BASE | {"families", "licenses", "store", "graph", "analytics", "neo4j.queries"},
    "neo4j": BASE | {"families", "licenses", "store", "export"},
    "neo4j.queries": set(),  # plain Cypher text, shared with the Cypher exporter
    "sim": set(),  # the simulated Hub shares no code with the code it tests ...
    "sim.demo": BASE | {"hub", "store", "sim"},  # ... but the demo crawls it into a store
    "app": BASE | {"families", "licenses", "store", "graph", "analytics", "render", "export"},
    "cli": {"*"},
    "__init__": {"*"},
    "__main__": {"*"},
}
#: third-party module -> the only lineage packages that may import it.
OWNED = {
    "huggingface_hub": {"hub"},
    "httpx": {"hub"},
    "httpx2": {"hub"},
    "streamlit": {"app"},
    "pyvis": {"app"},
    "altair": {"app"},
    "neo4j": {"neo4j"},
}


def _unit(module: str) -> str:
    """The layering unit of a module path like ``lineage.sim.demo`` -> ``sim.demo``."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__"
    if parts[0] == "sim" and parts[1:2] == ["demo"]:
        return "sim.demo"
    if parts[0] == "neo4j" and parts[1:2] == ["queries"]:
        return "neo4j.queries"
    return parts[0]


def _package(unit: str) -> str:
    return unit.split(".")[0]


def _runtime_imports(tree: ast.Module) -> list[str]:
    """Modules imported at run time (``if TYPE_CHECKING:`` blocks skipped)."""
    out: list[str] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                out.extend(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                out.append(node.module)
                if node.module == "lineage":  # from lineage import store -> lineage.store
                    out.extend(f"lineage.{a.name}" for a in node.names if not a.name.startswith("__"))
            for field in ("body", "orelse", "finalbody", "handlers"):
                child = getattr(node, field, None)
                if isinstance(child, list):
                    visit([c for c in child if isinstance(c, ast.stmt | ast.ExceptHandler)])  # type: ignore[misc]
            if isinstance(node, ast.ExceptHandler):
                visit(node.body)

    visit(tree.body)
    return out


def violations(module: str, source: str) -> list[str]:
    """Every import of ``module`` (dotted name) that breaks the layering rules."""
    unit = _unit(module)
    own = _package(unit)
    allowed = ALLOWED.get(unit, ALLOWED.get(own, set()))
    problems = []
    for name in _runtime_imports(ast.parse(source)):
        top = name.split(".")[0]
        if top == "lineage":
            target = _unit(name)
            if target in ("__init__",) or _package(target) == own or "*" in allowed:
                continue
            if target not in allowed and _package(target) not in allowed:
                problems.append(
                    f"{module} imports {name} ({unit} may import: {sorted(allowed) or 'nothing'})"
                )
        elif top in OWNED and own not in OWNED[top]:
            problems.append(f"{module} imports {top}, which only {sorted(OWNED[top])} may import")
    return problems


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = [*parts[:-1], "__init__"] if len(parts) == 2 else parts[:-1]
        out.append((".".join(parts), path))
    return out


def test_every_module_follows_the_layering() -> None:
    problems = [p for module, path in _modules() for p in violations(module, path.read_text())]
    assert not problems, "\n".join(problems)


def test_every_package_has_a_rule() -> None:
    units = {_unit(m) for m, _ in _modules()}
    assert units <= set(ALLOWED), sorted(units - set(ALLOWED))


@pytest.mark.parametrize(
    ("module", "source"),
    [
        # The backward imports the architecture issue found at 5475c84:
        ("lineage.store.resolve", "from lineage.graph import unique_ints"),  # store -> graph
        ("lineage.hub.crawler", "from lineage.graph import Lineage"),  # crawl pulled in networkx
        ("lineage.sim.server", "from lineage.records import parse_base_model_tag"),  # fake Hub
        ("lineage.analytics.share", "import lineage.app.data"),  # analytics -> front end
        ("lineage.graph.columnar", "from lineage.analytics import share_table"),
        ("lineage.export.sources", "import streamlit as st"),
        ("lineage.store.core", "from huggingface_hub import HfApi"),
        ("lineage.export.cypher", "import neo4j"),
        ("lineage.app.share", "from lineage.cli import cli"),
    ],
)
def test_the_checker_catches_backward_imports(module: str, source: str) -> None:
    assert violations(module, source), f"{module}: {source!r} should be refused"


def test_type_only_imports_are_not_dependencies() -> None:
    source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from lineage.hub import CrawlProgress\n"
    )
    assert violations("lineage.render.progress", source) == []
    assert violations("lineage.render.progress", "from lineage.hub import CrawlProgress")

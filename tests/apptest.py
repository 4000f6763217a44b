"""AppTest helpers shared by the app's test modules: run the explorer's entry script on a store
and read what it drew."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lineage.graph import Lineage

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "lineage" / "app" / "main.py"
TIMEOUT = 60

# A Qwen base model with many derivatives (some quantized) in the simulated hub of app_demo_store.
BIG = "Qwen/Qwen1.5-7B"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """``app(store, page=None, **query)``: a run AppTest of the entry script on ``store``."""

    def make(store: Path | str, page: str | None = None, **query: str) -> AppTest:
        monkeypatch.setenv("LINEAGE_STORE", str(store))
        at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
        at.query_params.update(query)
        at.run()
        if page is not None:
            at.switch_page(f"{page}.py").run()
        assert not at.exception, at.exception
        return at

    yield make


def graph_data(at: AppTest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The vis nodes and edges in the Explore page's iframe."""
    frames = at.get("iframe")
    assert len(frames) == 1
    page = frames[0].proto.srcdoc  # type: ignore[attr-defined]
    nodes = json.loads(re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", page).group(1))  # type: ignore[union-attr]
    edges = json.loads(re.search(r"edges = new vis\.DataSet\((\[.*?\])\);", page).group(1))  # type: ignore[union-attr]
    return nodes, edges


def models(at: AppTest) -> set[str]:
    return {n["model"] for n in graph_data(at)[0] if "model" in n}


def clusters(at: AppTest) -> list[dict[str, Any]]:
    return [n for n in graph_data(at)[0] if n.get("cluster")]


def accounted(at: AppTest) -> int:
    """Models drawn (the centre and ancestors excluded) plus those counted in descendant clusters."""
    nodes, _ = graph_data(at)
    drawn = sum(1 for n in nodes if "model" in n and n["relation"] != "centre" and n["y"] > 0)
    return drawn + sum(
        sum(int(x) for x in re.findall(r"\+([\d,]+)", n["label"].replace(",", "")))
        for n in clusters(at)
        if n["y"] > 0
    )


def summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "descendant" in m.value)


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "success")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def explore(app: Callable[..., AppTest], store: Path, model: str = BIG) -> AppTest:
    at = app(store)
    at.text_input(key="ex_query").set_value(model).run()
    assert not at.exception, at.exception
    assert at.query_params["model"] == [model] or at.query_params["model"] == model
    return at


def param(at: AppTest, key: str) -> Any:
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) and len(value) == 1 else value


@pytest.fixture(scope="module")
def lin(app_demo_store: Path) -> Lineage:
    return Lineage.load(app_demo_store)

"""Entry script of the explorer: ``lineage app`` runs ``streamlit run`` on this file.

The store comes from ``$LINEAGE_STORE`` (set by ``lineage app --store``), else the default
store. This script checks the store, shows the simulated-data banner, starts loading the graph
in the background and runs the page chosen in the navigation; each page is a module beside this one.
"""

from __future__ import annotations

import streamlit as st

from lineage.app import data
from lineage.app.text import md

PAGES = data.PAGES

SIMULATED_BANNER = (
    "**SIMULATED data** — this store was filled from a simulated hub (`lineage demo` / "
    "`lineage simulate`), not crawled from the real Hugging Face Hub. Figures illustrate the "
    "tool; they are not the real Hub."
)
MIXED_BANNER = (
    "**MIXED data: part simulated, part crawled** — crawls of a simulated hub and of the real "
    "Hugging Face Hub both wrote to this store, so its figures mix the two. Start a fresh store "
    "(`lineage crawl --store NEW.sqlite`) for real figures only."
)


def pages() -> dict[str, st.Page]:
    """The app's pages by name (Explore is the default)."""
    return {
        "explore": st.Page(
            PAGES / "explore.py",
            title="Explore",
            icon=":material/account_tree:",
            url_path="explore",
            default=True,
        ),
        "share": st.Page(PAGES / "share.py", title="Share", icon=":material/area_chart:", url_path="share"),
        "families": st.Page(
            PAGES / "families.py", title="Families", icon=":material/groups:", url_path="families"
        ),
        "export": st.Page(PAGES / "export.py", title="Export", icon=":material/download:", url_path="export"),
        "changes": st.Page(
            PAGES / "changes.py", title="What changed", icon=":material/difference:", url_path="changes"
        ),
        "quality": st.Page(
            PAGES / "quality.py", title="Data quality", icon=":material/fact_check:", url_path="quality"
        ),
    }


def _no_store(state: data.StoreState) -> None:
    st.title("lineage")
    st.error(md(state.problem or f"No usable lineage store at {state.path}."))
    st.markdown("Fill a store first, then reload this page:")
    st.code(
        f"lineage crawl --store {state.path}        # the live Hub\n"
        f"lineage demo --no-app --store {state.path}  # an offline simulated hub",
        language="bash",
    )


def _empty_store(state: data.StoreState) -> None:
    st.title("lineage")
    st.info(
        f"The store at {md(state.path)} holds no models yet. Run `lineage crawl` (the live Hub) "
        "or `lineage demo` (an offline simulated hub), then reload this page."
    )
    st.code(f"lineage crawl --store {state.path}", language="bash")


def _sidebar_status(state: data.StoreState, models: int) -> None:
    assert state.key is not None
    loader = data.graph_loader(state.path, state.key)

    @st.fragment(run_every=None if loader.status in ("ready", "failed") else 1.0)
    def status() -> None:
        s = loader.status
        text = {
            "loading": f"Loading the graph of {models:,} models…",
            "warming": f"Graph loaded: {models:,} models; preparing tables…",
            "ready": f"Graph ready: {models:,} models",
            "failed": "Graph failed to load",
        }[s]
        st.caption(text, help=f"Store: {state.path}")
        before = st.session_state.get("_graph_status")
        st.session_state["_graph_status"] = s
        if before is not None and before != s and (before == "loading" or s == "ready"):
            st.rerun(scope="app")  # the graph arrived (pages can use it), or stop polling

    with st.sidebar:
        status()


def main() -> None:
    # An emoji favicon: a :material/...: one is fetched from a font CDN, and the app runs offline.
    st.set_page_config(page_title="lineage explorer", page_icon="🌳", layout="wide")
    nav = st.navigation(list(pages().values()))
    state = data.store_state()
    if state.key is None:
        _no_store(state)
        return
    if state.origin == "mixed":
        st.warning(MIXED_BANNER, icon=":material/join:")
    elif state.simulated:
        st.warning(SIMULATED_BANNER, icon=":material/science:")
    if state.crawl_status:
        st.info(f"Crawl in progress: {md(state.crawl_status)}. Reload for the latest figures.",
                icon=":material/sync:")  # fmt: skip
    info = data.store_info(state)
    if not info["models"]:
        _empty_store(state)
        return
    data.graph_loader(state.path, state.key)  # start loading in the background
    _sidebar_status(state, int(info["models"]))
    nav.run()


if __name__ == "__main__":
    main()

"""The Data quality page: the crawl summary and every repair, skip and unresolved link
(``lineage quality``), as tables (model ids and card text are shown as text)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lineage.app import data
from lineage.app.text import md, shown

__all__ = ["render"]


def _examples(items: list[dict[str, Any]], *keys: str) -> str:
    return "; ".join(" → ".join(shown(ex.get(k, "")) for k in keys) for ex in items)


def _columns(number: str) -> dict[str, Any]:
    """Counts with thousands separators; the explanation wide enough to read."""
    return {
        number: st.column_config.NumberColumn(format="localized", width="small"),
        "meaning": st.column_config.TextColumn(width="large"),
        "examples": st.column_config.TextColumn(width="large"),
    }


def render() -> None:
    state = data.store_state()
    if state.key is None:
        return
    st.title("Data quality")
    report = data.quality(state)
    st.caption(f"Store: {md(report['store'])}" + (" — simulated data" if report["simulated"] else ""))
    a, b, c, d = st.columns(4)
    a.metric("Models", f"{report['models']:,}")
    b.metric("Parent links", f"{report['links']:,}")
    c.metric("Crawls", f"{len(report['crawls']):,}")
    d.metric("Repairs and skips", f"{sum(r['count'] for r in report['repairs']):,}")

    st.subheader("Crawls")
    crawls = pd.DataFrame(report["crawls"])
    if crawls.empty:
        st.caption("No crawl yet: run `lineage crawl` (or `lineage demo`).")
    else:
        st.dataframe(crawls, hide_index=True, width="stretch")

    st.subheader("Repairs and skips while cleaning metadata")
    if not report["repairs"]:
        st.caption("None: every model card was clean.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "kind": r["kind"],
                        "count": r["count"],
                        "meaning": r["meaning"],
                        "examples": _examples(r["examples"], "model", "detail"),
                    }
                    for r in report["repairs"]
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config=_columns("count"),
        )

    st.subheader("Parent links by resolution")
    if not report["resolutions"]:
        st.caption("No parent links in the store.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "resolution": r["resolution"],
                        "links": r["links"],
                        "meaning": r["meaning"],
                        "examples": _examples(r["examples"], "child", "declared"),
                    }
                    for r in report["resolutions"]
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config=_columns("links"),
        )
    st.caption("The same report on the command line: `lineage quality` (or `--format json`).")


if __name__ == "__main__":  # st.navigation runs this file as a script: render the imported module
    from lineage.app import quality as page

    with data.timed("quality"):
        page.render()

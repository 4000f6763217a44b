"""The explorer's What changed page, the licence view on Explore, Share's bulk and scope
controls, and store facts that follow a running crawl — headless, through ``AppTest``.

Truth: the changes a test made to a simulated hub between crawls (:class:`test_diff.Scenario`,
written down from the simulator's truth) and ``lineage diff --format json``; licence classes
from the listing items' tags through the licence table, drift from the simulator's truth.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from apptest import app, graph_data, texts
from click.testing import CliRunner
from conftest import FakeClock
from helpers import copy_store, ingest_items
from streamlit.testing.v1 import AppTest
from test_diff import Expected, Scenario

from lineage.analytics import ShareQuery, share_table
from lineage.cli import cli
from lineage.families import default_registry
from lineage.graph import Lineage
from lineage.hub import CrawlConfig, Crawler
from lineage.licenses import CLASSES, default_licenses, drops_terms
from lineage.render.palette import DRIFT_COLOUR, LICENSE_CLASS_COLOURS, group_colours
from lineage.sim.generate import generate
from lineage.sim.server import SimHub
from lineage.store import open_store

__all__ = ["app"]  # a fixture, imported

COUNTS = [
    ("models added", "models_added"),
    ("models deleted", "models_deleted"),
    ("models restored", "models_restored"),
    ("links added", "links_added"),
    ("links removed", "links_removed"),
    ("parents changed", "parents_changed"),
    ("licences changed", "licenses_changed"),
    ("parents gone", "vanished_parents"),
]


@pytest.fixture(scope="module")
def diff_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Scenario, Path]:
    """A simulated hub crawled four times with known changes between (test_diff's scenario);
    and a copy of the store after its first crawl only."""
    folder = tmp_path_factory.mktemp("changes")
    sc = Scenario(3000, seed=4)
    clock = FakeClock()
    path = folder / "s.sqlite"
    with SimHub(sc.items, clock=clock) as hub, open_store(path) as store:
        for k, mode in ((1, "full"), (2, "auto"), (3, "full"), (4, "auto")):
            if k > 1:
                sc.step(k, hub)
            Crawler(store, CrawlConfig(endpoint=hub.url, timeout=10.0), clock=clock).run(mode)
            if k == 1:
                first = copy_store(path, folder / "first.sqlite")
    return path, sc, first


def metrics(at: AppTest) -> dict[str, int]:
    return {m.label: int(str(m.value).replace(",", "")) for m in at.metric}


def frames(at: AppTest, columns: list[str]) -> list[Any]:
    return [d.value for d in at.dataframe if [c for c in d.value.columns if "↗" not in c] == columns]


def cli_diff(store: Path, *args: str) -> dict[str, Any]:
    out = CliRunner().invoke(cli, ["diff", "--store", str(store), "--format", "json", *args])
    assert out.exit_code == 0, out.output
    return dict(orjson.loads(out.output))


def expected_counts(e: Expected) -> dict[str, int]:
    return {
        "models added": len(e.added),
        "models deleted": len(e.deleted),
        "models restored": len(e.restored),
        "links added": len(e.links_added),
        "links removed": len(e.links_removed),
        "parents changed": len(e.parents),
        "licences changed": len(e.licenses),
        "parents gone": len(e.vanished),
    }


# -- What changed ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("pair", [None, (1, 2), (2, 3), (1, 4)])
def test_changes_page_counts_and_lists_are_the_changes_made_and_the_cli_s(
    app: Callable[..., AppTest], diff_store: tuple[Path, Scenario, Path], pair: tuple[int, int] | None
) -> None:
    path, sc, _ = diff_store
    query = {} if pair is None else {"from": str(pair[0]), "to": str(pair[1])}
    at = app(path, "changes", **query)
    a, b = pair or (3, 4)  # default: the last two complete crawls, as the CLI
    assert at.subheader[0].value == f"From crawl #{a} to crawl #{b}"
    report = cli_diff(path, *(["--from", str(a), "--to", str(b)] if pair else []))
    assert metrics(at) == {label: report["counts"][key] for label, key in COUNTS}
    e = sc.expected(a, b)
    assert metrics(at) == expected_counts(e)
    # An empty list shows "None." instead of a table: the tables of the non-empty ones, in order.
    (models,) = frames(at, ["change", "model"])
    got = {kind: set(models[models["change"] == kind]["model"]) for kind in ("added", "deleted", "restored")}
    assert got == {"added": e.added, "deleted": e.deleted, "restored": e.restored}
    links = [x for x in (e.links_added, e.links_removed) if x]
    tables = frames(at, ["child", "parent", "relation", "why"])
    assert [set(map(tuple, t.itertuples(index=False))) for t in tables] == links
    vanished = frames(at, ["model", "derivatives"])
    assert [dict(zip(v["model"], v["derivatives"], strict=True)) for v in vanished] == [e.vanished] * bool(
        e.vanished
    )
    licences = frames(at, ["model", "before", "after"])[-1:] if e.licenses else []
    assert [set(t["model"]) for t in licences] == [set(e.licenses)] * bool(e.licenses)
    assert any(c.value.startswith("Method:") for c in at.caption)
    assert not any(d.value.columns.str.contains("↗").any() for d in at.dataframe)  # simulated: no Hub links


def test_changes_page_state_in_the_url_round_trips(
    app: Callable[..., AppTest], diff_store: tuple[Path, Scenario, Path]
) -> None:
    path, sc, _ = diff_store
    at = app(path, "changes", **{"from": "1", "to": "2", "by": "region", "top": "3"})
    assert (at.selectbox(key="ch_from").value, at.selectbox(key="ch_to").value) == (1, 2)
    assert at.selectbox(key="ch_by").value == "region" and at.number_input(key="ch_top").value == 3
    report = cli_diff(path, "--from", "1", "--to", "2", "--by", "region", "--top", "3")
    groups = next(
        d.value for d in at.dataframe if "region" in d.value.columns and "share after" in d.value.columns
    )
    assert list(groups["region"]) == [g["group"] for g in report["groups"]]
    assert list(groups["after"]) == [round(g["after"], 1) for g in report["groups"]]
    assert set(groups["region"]) <= {"china", "us", "eu", "other", "unknown", "(other)"}
    bases = next(d.value for d in at.dataframe if "base" in d.value.columns)
    assert (
        bases["base"].iloc[0] == sc.base and bases["new_derivatives"].iloc[0] == 2
    )  # a finetune, an adapter
    # The bar chart of share change: the fixed colours of the groups shown.
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == list(groups["region"])
    assert scale["range"] == group_colours(list(groups["region"]), "region")
    # Changing a control writes the URL; a new session on that URL shows the same.
    at.selectbox(key="ch_by").select("org").run()
    at.number_input(key="ch_top").set_value(5).run()
    at.selectbox(key="ch_to").select(4).run()
    qp = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert {k: qp[k] for k in ("from", "to", "by", "top")} == {
        "from": "1",
        "to": "4",
        "by": "org",
        "top": "5",
    }
    again = app(path, "changes", **{k: qp[k] for k in ("from", "to", "by", "top")})
    assert again.subheader[0].value == "From crawl #1 to crawl #4"
    assert metrics(again) == expected_counts(sc.expected(1, 4))
    assert again.selectbox(key="ch_by").value == "org" and again.number_input(key="ch_top").value == 5
    # Nonsense in the URL: the defaults; a From after the To: said so.
    odd = app(path, "changes", **{"from": "x", "to": "99", "by": "planet", "top": "-4"})
    assert odd.subheader[0].value == "From crawl #3 to crawl #4"
    late = app(path, "changes", **{"from": "3", "to": "2"})
    assert "earlier than the" in texts(late) and not late.metric


def test_changes_page_with_one_crawl_says_how_to_get_a_second(
    app: Callable[..., AppTest], diff_store: tuple[Path, Scenario, Path]
) -> None:
    _, _, first = diff_store
    at = app(first, "changes")
    assert "one complete crawl (#1)" in texts(at) and "lineage crawl --store" in at.code[0].value
    assert not at.metric and not at.exception


def test_changes_page_links_to_the_hub_only_for_crawled_stores_and_mixed_stores_say_so(
    app: Callable[..., AppTest], diff_store: tuple[Path, Scenario, Path], tmp_path: Path
) -> None:
    path, _, _ = diff_store
    real = copy_store(path, tmp_path / "real.sqlite")
    with open_store(real) as store:
        store.set_meta("simulated", "false")
    at = app(real, "changes", **{"from": "1", "to": "2"})
    models = next(d.value for d in at.dataframe if "model ↗" in d.value.columns)
    with open_store(real, readonly=True) as store:
        live = {r[0] for r in store.conn.execute("SELECT id FROM models WHERE deleted_at IS NULL")}

    def urls(column: Any) -> list[str | None]:  # an empty link cell reads back as NaN
        return [u if isinstance(u, str) else None for u in column]

    assert urls(models["model ↗"]) == [
        f"https://huggingface.co/{m}" if m in live else None for m in models["model"]
    ]
    # A parent not on the Hub (a placeholder) or tombstoned gets no link: it would only 404.
    linked = [d.value for d in at.dataframe if "parent ↗" in d.value.columns]
    assert linked
    for frame in linked:
        want = [f"https://huggingface.co/{p}" if p in live else None for p in frame["parent"]]
        assert urls(frame["parent ↗"]) == want
    assert "SIMULATED" not in texts(at) and "part simulated" not in texts(at)
    with open_store(real) as store:
        store.set_meta("simulated", "mixed")
    at = app(real, "changes")
    assert "part simulated, part crawled" in texts(at) and "SIMULATED data" not in texts(at)


def test_changes_page_gives_no_hub_link_to_a_parent_not_on_the_hub(
    app: Callable[..., AppTest], tmp_path: Path
) -> None:
    """A link added to a parent that is not on the Hub (a deleted, private or renamed model:
    a placeholder) gets no Hub link (it would only 404); one to a listed parent does."""
    t = "2025-05-01T00:00:00.000Z"
    path = tmp_path / "crawled.sqlite"
    with open_store(path) as store:
        ingest_items(store, [{"id": "org/base", "createdAt": t, "tags": []}])
        ingest_items(
            store,
            [
                {"id": "a/child", "createdAt": t, "tags": ["base_model:finetune:ghost/gone"]},
                {"id": "b/child", "createdAt": t, "tags": ["base_model:finetune:org/base"]},
            ],
            mode="incremental",
        )
        store.set_meta("simulated", "false")
    at = app(path, "changes", **{"from": "1", "to": "2"})
    added = next(d.value for d in at.dataframe if "parent ↗" in d.value.columns)
    links = {
        p: (u if isinstance(u, str) else None)
        for p, u in zip(added["parent"], added["parent ↗"], strict=True)
    }
    assert links == {"ghost/gone": None, "org/base": "https://huggingface.co/org/base"}


# -- the licence view -----------------------------------------------------------------------------------
def _item_licence(item: dict[str, Any]) -> tuple[str | None, str | None]:
    tags = [t.split(":", 1)[1] for t in item.get("tags", []) if t.startswith("license:")]
    card = item.get("cardData") or {}
    return (tags[0] if tags else card.get("license")), card.get("license_name")


def test_explore_colours_nodes_by_licence_class_and_draws_drift_links_red(
    app: Callable[..., AppTest], app_demo_store: Path
) -> None:
    table = default_licenses()
    pairs = list(generate(20_000, 1))  # the hub of app_demo_store
    klass = {item["id"]: table.classify(*_item_licence(item)) for item, _ in pairs}
    key = {}
    for item, _ in pairs:
        lic, name = _item_licence(item)
        key[item["id"]] = (f"other:{name}" if lic == "other" and name else lic) or "none"
    drift = {(p, t["id"]) for _, t in pairs for p in t["license_drift"]}  # the simulator's truth
    # The base whose terms most derivatives drop (by the truth).
    counts: dict[str, int] = {}
    for p, _ in drift:
        counts[p] = counts.get(p, 0) + 1
    base = max(sorted(counts), key=lambda p: counts[p])
    at = app(app_demo_store, model=base, colour="license")
    assert at.radio(key="colour").value == "license"
    nodes, edges = graph_data(at)
    drawn = [n for n in nodes if "model" in n]
    for n in drawn:
        colour = n["color"]["background"] if isinstance(n["color"], dict) else n["color"]
        assert colour == LICENSE_CLASS_COLOURS[klass[n["model"]]], n["model"]
    ids = {n["id"]: n["model"] for n in drawn}
    red = [e for e in edges if e.get("drift")]
    assert red, "the base of the most drift draws some"
    for e in edges:
        if e["from"] in ids and e["to"] in ids:
            pair = (ids[e["from"]], ids[e["to"]])
            assert bool(e.get("drift")) == (pair in drift), pair
            assert drops_terms(klass[pair[0]], klass[pair[1]]) or not e.get("drift")
            if e.get("drift"):
                assert e["color"] == DRIFT_COLOUR and e["width"] > 1
                assert f"declares {key[pair[1]]}, base declares {key[pair[0]]}" in e["title"]
    page = at.get("iframe")[0].proto.srcdoc  # type: ignore[attr-defined]
    legend = dict(re.findall(r'style="--c:(#[0-9a-f]{6})"></span>([^<]*)</li>', page))
    shown = {klass[n["model"]] for n in drawn}
    for c in CLASSES:
        assert (f"{c} ({sum(klass[n['model']] == c for n in drawn):,})" in legend.values()) == (c in shown)
    assert legend[DRIFT_COLOUR] == f"drops its base&#x27;s licence terms ({len(red):,})"
    # The panel: the centre's licence class and its derivatives dropping its terms (live, direct).
    details = next(d.value for d in at.dataframe if "field" in d.value.columns)
    row = dict(zip(details["field"], details["value"], strict=True))
    assert row["Licence class"] == klass[base]
    direct = sum(1 for p, _ in drift if p == base)
    assert row["Dropping its terms"].startswith(f"{direct:,} direct")
    # Back to families: the usual colours, no red links.
    at.radio(key="colour").set_value("family").run()
    assert not any(e.get("drift") for e in graph_data(at)[1])


# -- Share: bulk uploads and scope --------------------------------------------------------------------------
def test_share_bulk_and_scope_controls_give_the_cli_s_table_and_say_so(
    app: Callable[..., AppTest], app_demo_store: Path
) -> None:
    from lineage.analytics.bulk_flags import bulk_codes

    lin = Lineage.load(app_demo_store)
    at = app(app_demo_store, "share", bulk="exclude")
    assert at.selectbox(key="bulk").value == "exclude" and at.selectbox(key="scope").value == "tree"
    method = next(c.value for c in at.caption if c.value.startswith("Method:"))
    assert "Bulk uploads exclude" in method and "Scope tree" in method
    # The note counts the detected bulk uploads among the population: models the simulator
    # created with a parent, not legacy-dated (the detection itself is test_bulk's).
    notes = " ".join(c.value for c in at.caption if c.value.startswith("Note:"))
    found = re.search(r"([\d,]+) automated bulk uploads excluded", notes)
    assert found, notes
    population = {t["id"] for _, t in generate(20_000, 1) if t["parents"] and not t["legacy"]}
    flagged = {lin.ids[int(k)] for k in np.flatnonzero(bulk_codes(lin)[0])}
    assert int(found.group(1).replace(",", "")) == len(flagged & population) > 0

    def check(at: AppTest, q: ShareQuery) -> None:
        want = share_table(lin, q, default_registry(), downloads=True)
        assert next(c.value for c in at.caption if c.value.startswith("Method:")) == want.method
        per = {(r["period"], r["group"]): r["share"] for r in want.rows}
        table = at.dataframe[0].value
        assert len(table.columns) > 1
        for period, row in table.iterrows():
            for group in (g for g in table.columns if g != "(other)"):
                p = str(period).removesuffix(" (partial)")
                assert row[group] == pytest.approx(round(100 * per.get((p, group), 0.0), 1), abs=0.051)

    check(at, ShareQuery(bulk="exclude", unlisted=True))
    at.selectbox(key="scope").select("direct").run()
    method = next(c.value for c in at.caption if c.value.startswith("Method:"))
    assert "Scope direct" in method and "Bulk uploads exclude" in method
    check(at, ShareQuery(bulk="exclude", scope="direct", unlisted=True))
    at.selectbox(key="bulk").select("only").run()
    check(at, ShareQuery(bulk="only", scope="direct", unlisted=True))
    again = app(app_demo_store, "share", bulk="only", scope="direct")  # a sent link
    assert (again.selectbox(key="bulk").value, again.selectbox(key="scope").value) == ("only", "direct")
    check(again, ShareQuery(bulk="only", scope="direct", unlisted=True))


# -- store facts while a crawl writes -------------------------------------------------------------------
def _graph_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith(("Graph", "Loading")))


def test_model_count_follows_pages_a_crawl_writes_between_two_runs(
    app: Callable[..., AppTest], tmp_path: Path
) -> None:
    from lineage.app import data
    from lineage.records import normalize_item

    records = [normalize_item(item)[0] for item, _ in generate(400, 3)]
    path = tmp_path / "growing.sqlite"
    with open_store(path) as store:
        store.set_meta("simulated", "true")
        crawl = store.start_crawl(mode="full", endpoint="test", sort="createdAt", since=None,
                                  model_limit=None, first_query="/api/models")  # fmt: skip
    at = app(path)
    assert "holds no models yet" in texts(at)
    with open_store(path) as store:
        store.write_page(crawl.id, records[:150], [], next_query="/api/models?page=2", requests=1)
    key = data.store_state(path).key
    at = app(path)
    assert "150 models" in _graph_caption(at) and "holds no models" not in texts(at)
    assert "150 models so far" in texts(at)  # the crawl's status, stopped part-way
    with open_store(path) as store:
        store.write_page(crawl.id, records[150:250], [], next_query="/api/models?page=3", requests=1)
    assert data.store_state(path).key == key  # the same crawl state: the graph is not reloaded
    at.run()
    assert "250 models" in _graph_caption(at) and "250 models so far" in texts(at)


def test_changes_page_sends_the_url_s_choices_to_the_browser_on_every_run_not_only_the_first(
    app: Callable[..., AppTest], diff_store: tuple[Path, Scenario, Path]
) -> None:
    """A link ``?by=region`` drew the page by region under a "Group by: family" box (a browser
    test, on a loaded machine): the URL's choices went to the browser only with the run that
    first read them, and Streamlit drops what a run has not sent yet when the next one starts
    (the rerun when the graph is ready). Every run now sends them; a box shows its first option
    unless the run sends a value."""
    path, _, _ = diff_store
    at = app(path, "changes", **{"from": "1", "to": "3", "by": "region", "top": "3"})
    at.run()  # a later run: the one that could be the first to reach the browser
    shown = {}
    for key in ("ch_from", "ch_to", "ch_by"):
        proto = at.selectbox(key=key).proto
        shown[key] = proto.raw_value if proto.set_value else proto.options[proto.default]
    top = at.number_input(key="ch_top").proto
    shown["ch_top"] = top.value if top.set_value else top.default
    assert shown["ch_from"].startswith("#1 · ") and shown["ch_to"].startswith("#3 · "), shown
    assert (shown["ch_by"], shown["ch_top"]) == ("region", 3), shown

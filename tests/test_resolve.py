"""Cross-record cleaning on a tiny hand-written store: case, aliases, unresolved, cycles."""

from __future__ import annotations

from typing import Any

from helpers import ingest_items

from lineage.families import default_registry
from lineage.graph import Lineage
from lineage.store import Store


def write(store: Store, items: list[dict[str, Any]]) -> None:
    """Items as one crawl, not resolved (resolution is what the tests then run and check)."""
    ingest_items(store, items, resolve=False)


def m(mid: str, created: str, *parents: str, rel: str = "finetune") -> dict[str, Any]:
    tags = [f"base_model:{rel}:{p}" for p in parents]
    return {"id": mid, "createdAt": f"{created}T00:00:00.000Z", "tags": tags}


def links(store: Store) -> dict[tuple[str, str], tuple[str, str]]:
    return {
        (c, r): (p, res)
        for c, r, p, res in store.conn.execute("SELECT child, ref, parent, resolution FROM links")
    }


def test_resolution_kinds(tmp_store: Store) -> None:
    write(
        tmp_store,
        [
            m("openai-community/gpt2", "2022-03-02"),
            m("Qwen/Qwen2.5-7B", "2024-09-15"),
            m("a/case", "2025-01-01", "qwen/qwen2.5-7b"),
            m("b/alias", "2025-01-02", "gpt2"),
            m("c/orphan", "2025-01-03", "gone/deleted-model"),
            m("d/orphan2", "2025-01-04", "GONE/Deleted-Model"),
            m("e/orphan3", "2025-01-05", "gone/deleted-model"),
            m("openai-community/gpt2-ft", "2025-01-06", "openai-community/gpt2"),
        ],
    )
    stats = tmp_store.resolve_links(default_registry().aliases)
    got = links(tmp_store)
    assert got[("a/case", "qwen/qwen2.5-7b")] == ("Qwen/Qwen2.5-7B", "case")
    assert got[("b/alias", "gpt2")] == ("openai-community/gpt2", "alias")
    # One placeholder for a deleted parent declared in two spellings: the most common one.
    assert got[("c/orphan", "gone/deleted-model")] == ("gone/deleted-model", "unresolved")
    assert got[("d/orphan2", "GONE/Deleted-Model")] == ("gone/deleted-model", "unresolved")
    assert (stats.exact, stats.case, stats.alias, stats.unresolved, stats.cycle) == (1, 1, 1, 3, 0)
    lin = Lineage.load(tmp_store)
    ph = lin.find("gone/deleted-model")
    assert ph is not None and lin.placeholder[ph] and len(lin.children(ph)) == 3


def test_cycles_are_broken_at_the_newest_parent(tmp_store: Store) -> None:
    # a <- b <- c <- a (a claims c, which was created after it), plus d <- e <- d.
    write(
        tmp_store,
        [
            m("x/a", "2024-01-01", "x/c"),
            m("x/b", "2024-02-01", "x/a"),
            m("x/c", "2024-03-01", "x/b"),
            m("x/d", "2024-04-01", "x/e"),
            m("x/e", "2024-05-01", "x/d"),
            m("x/f", "2024-06-01", "x/c", "x/e", rel="merge"),
        ],
    )
    stats = tmp_store.resolve_links(default_registry().aliases)
    assert sorted(stats.cycle_links) == [("x/a", "x/c"), ("x/d", "x/e")]
    got = links(tmp_store)
    assert got[("x/a", "x/c")][1] == "cycle" and got[("x/d", "x/e")][1] == "cycle"
    lin = Lineage.load(tmp_store)  # acyclic now
    f = lin.find("x/f")
    assert f is not None
    assert sorted(lin.ids[int(r)] for r in lin.roots_of(f)) == ["x/a", "x/d"]
    # Resolving again changes nothing (idempotent), and the set-aside links are kept.
    again = tmp_store.resolve_links(default_registry().aliases)
    assert sorted(again.cycle_links) == sorted(stats.cycle_links)
    assert links(tmp_store) == got


def test_self_reference_through_an_alias(tmp_store: Store) -> None:
    write(tmp_store, [m("openai-community/gpt2", "2022-03-02", "gpt2")])
    stats = tmp_store.resolve_links(default_registry().aliases)
    assert stats.cycle == 1
    assert links(tmp_store)[("openai-community/gpt2", "gpt2")][1] == "cycle"


def test_a_later_crawl_resolves_a_placeholder(tmp_store: Store) -> None:
    write(tmp_store, [m("u/child", "2025-01-01", "late/parent")])
    tmp_store.resolve_links(default_registry().aliases)
    assert links(tmp_store)[("u/child", "late/parent")][1] == "unresolved"
    write(tmp_store, [m("late/parent", "2024-12-01")])
    stats = tmp_store.resolve_links(default_registry().aliases)
    assert stats.exact == 1 and links(tmp_store)[("u/child", "late/parent")] == ("late/parent", "exact")

""" "Did you mean" for an id that is not in the store (``Store.suggest``): the CLI's error and
Explore's warning. Before, only ids holding the typed name were offered, so a typo in the name
(``FLUX.1-dvv``) got no suggestion at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import ingest_items, invoke

from lineage.store import open_store

ALIVE = [
    "acme/Widget-7B",
    "acme/Widget-7B-Instruct",
    "acme/Gadget-1B",
    "other/Widget-7B-GGUF",
    "acme_co/Thing-3B",  # an owner with a LIKE wildcard in it
]
GONE = "acme/Removed-7B"


def _item(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "createdAt": "2025-01-01T00:00:00.000Z", "downloads": len(model_id), "tags": []}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("suggest") / "s.sqlite"
    with open_store(path) as st:
        ingest_items(st, [_item(m) for m in [*ALIVE, GONE]])
        # A second full crawl no longer lists GONE: it is tombstoned.
        crawl = ingest_items(st, [_item(m) for m in ALIVE], finished_at="2025-11-01T00:00:00.000Z")
        assert st.tombstone_unseen(crawl) == 1
    return path


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("acme/Widgte-7B", "acme/Widget-7B"),  # two letters swapped
        ("acme/Gadgat-1B", "acme/Gadget-1B"),  # one letter wrong
        ("acme/Gadget1B", "acme/Gadget-1B"),  # one left out
        ("acme_co/Thing-3b-x", "acme_co/Thing-3B"),
        ("ACME/widgte-7b", "acme/Widget-7B"),  # and the owner in another letter case
    ],
)
def test_a_typo_in_the_name_suggests_the_owners_closest_id_first(
    store_path: Path, typed: str, first: str
) -> None:
    with open_store(store_path, readonly=True) as st:
        got = st.suggest([typed])
    assert got and got[0] == first, got
    assert set(got) <= set(ALIVE)


def test_a_name_under_another_owner_is_still_found_by_name(store_path: Path) -> None:
    with open_store(store_path, readonly=True) as st:
        got = st.suggest(["acmee/Widget-7B"])
    assert set(got) == {"acme/Widget-7B", "acme/Widget-7B-Instruct", "other/Widget-7B-GGUF"}


def test_deleted_and_unrelated_ids_are_never_suggested(store_path: Path) -> None:
    with open_store(store_path, readonly=True) as st:
        assert GONE not in st.suggest(["acme/Removed-7b"])
        assert GONE not in st.suggest(["acme/Remved-7B"])
        assert st.suggest(["nobody/zzzz-qqqq"]) == []
        assert st.suggest(["no-slash-at-all"]) == []
        assert st.suggest(["/Widgte-7B"]) == []  # no owner to look in, no name held


def test_the_cli_error_says_did_you_mean_for_a_typo(store_path: Path) -> None:
    r = invoke("tree", "acme/Widgte-7B", "--store", str(store_path))
    assert r.exit_code == 1
    assert "'acme/Widgte-7B' is not in the store; did you mean: acme/Widget-7B" in r.output


def test_an_owner_of_more_ids_than_are_compared_still_gets_the_ids_next_to_the_typo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An owner of 176k models (a bulk uploader at 3M) is compared on the ids beside the typed
    one in id order, not on its first ids only (which held none of the late names)."""
    import lineage.store.reads as reads

    names = [f"bulk/model-{k:03d}-{w}" for k in range(40) for w in ("alpha", "beta")]
    path = tmp_path / "s.sqlite"
    with open_store(path) as st:
        ingest_items(st, [_item(m) for m in names])
    monkeypatch.setattr(reads, "OWNER_SCAN", 6)
    with open_store(path, readonly=True) as st:
        assert st.suggest(["bulk/model-037-btea"])[0] == "bulk/model-037-beta"
        assert st.suggest(["bulk/model-000-alpah"])[0] == "bulk/model-000-alpha"

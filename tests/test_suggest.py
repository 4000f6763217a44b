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


def test_an_id_without_a_name_never_suggests_the_store_s_most_downloaded_models(store_path: Path) -> None:
    """``nobody/`` (or a trailing slash, or ``/``) searched ids "containing" the empty name:
    the most downloaded models of the store came back as its "did you mean"."""
    with open_store(store_path, readonly=True) as st:
        assert st.suggest(["nobody/"]) == []
        assert st.suggest(["/"]) == [] and st.suggest(["//"]) == []
        assert st.suggest(["acme/Widgte-7B/"])[0] == "acme/Widget-7B"  # the slash is not the name
        assert set(st.suggest(["acme/"])) <= {m for m in ALIVE if "acme" in m.lower()}


def test_a_very_long_id_or_one_with_a_nul_is_a_plain_miss_not_a_crash(store_path: Path) -> None:
    """SQLite refuses a LIKE pattern over 50,000 bytes ("LIKE or GLOB pattern too complex": a
    traceback in the CLI and the app), and a NUL ends the pattern early (every id matched)."""
    long_id = "acme/" + "W" * 60_000
    with open_store(store_path, readonly=True) as st:
        assert st.suggest([long_id]) == [] and st.search_ids(long_id) == []
        assert st.search_ids("\x00") == [] and st.search_ids("acme\x00zzz") == []
        assert set(st.suggest(["nobody/\x00"])) == set()
    r = invoke("tree", long_id, "--store", str(store_path))
    assert r.exit_code == 1 and "is not in the store" in r.output and "Traceback" not in r.output


def test_a_look_up_in_another_letter_case_reads_the_index_not_every_row(tmp_path: Path) -> None:
    """Explore checks on every rerun whether the id in the URL is a model (``Store.model``): a
    miss in the exact case then compared every row without case (0.35 s at 3M models) instead
    of reading the index on lower(id)."""
    path = tmp_path / "s.sqlite"
    with open_store(path) as st:
        ingest_items(st, [_item(f"owner{k % 50}/model-{k}") for k in range(5000)])
    with open_store(path, readonly=True) as st:
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        st.conn.set_progress_handler(count, 100)
        assert st.model("OWNER7/MODEL-7")["id"] == "owner7/model-7"
        assert st.model("owner7/no-such-model") is None
        st.conn.set_progress_handler(None, 0)
    assert steps[0] < 20, steps  # a scan of 5000 rows takes hundreds of steps of 100 instructions


def test_the_command_line_takes_a_hub_url_for_a_model_as_explore_does(
    store_path: Path, tmp_path: Path
) -> None:
    """`lineage tree https://huggingface.co/acme/Widget-7B` said the URL was not in the store
    (and suggested the id): Explore took URLs, the command line did not."""
    for typed in ("https://huggingface.co/acme/Widget-7B", "hf.co/acme/Widget-7B/tree/main"):
        r = invoke("tree", typed, "--store", str(store_path), "--format", "json")
        assert r.exit_code == 0, r.output
        assert '"id": "acme/Widget-7B"' in r.output
    out = tmp_path / "w.json"
    r = invoke("export", "--root", "https://huggingface.co/acme/Widget-7B", "--format", "json",
               "-o", str(out), "--store", str(store_path))  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "acme/Widget-7B" in out.read_text()
    r = invoke("licenses", "--root", "https://huggingface.co/acme/Widget-7B", "--store", str(store_path))
    assert r.exit_code == 0, r.output
    # Nothing that names a model is a usage error, not "'' is not in the store".
    for empty in ("", "https://huggingface.co/"):
        r = invoke("tree", empty, "--store", str(store_path))
        assert r.exit_code == 2 and "names no model" in r.output, r.output

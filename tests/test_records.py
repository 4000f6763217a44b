"""The normalizer: dirty metadata from the real Hub, and arbitrary junk (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.records import RELATIONS, clean_parent_ref, is_valid_repo_id, normalize_item


def parents(item: dict[str, Any]) -> list[tuple[str, str]]:
    rec, _ = normalize_item(item)
    assert rec is not None
    return [(p.parent, p.relation) for p in rec.parents]


def kinds(item: dict[str, Any]) -> list[str]:
    return sorted(r.kind for r in normalize_item(item)[1])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Qwen/Qwen2.5-7B", ("Qwen/Qwen2.5-7B", None)),
        ("  Qwen/Qwen2.5-7B\n", ("Qwen/Qwen2.5-7B", "whitespace")),
        ("https://huggingface.co/Qwen/Qwen2.5-7B", ("Qwen/Qwen2.5-7B", "url")),
        ("huggingface.co/Qwen/Qwen2.5-7B/tree/main", ("Qwen/Qwen2.5-7B", "url")),
        ("https://hf.co/gpt2", ("gpt2", "url")),
        ("Qwen/Qwen2.5-7B/", ("Qwen/Qwen2.5-7B", "trailing_slash")),
        ("/home/me/out", (None, "local_path")),
        ("./checkpoints/final", (None, "local_path")),
        ("C:\\Users\\me\\model", (None, "local_path")),
        ("~/models/x", (None, "local_path")),
        ("not a repo id", (None, "invalid_id")),
        ("a/b/c", (None, "invalid_id")),
        ("org--x/y", (None, "invalid_id")),
        ("", (None, "empty")),
        (None, (None, "not_a_string")),
        (["x"], (None, "not_a_string")),
    ],
)
def test_clean_parent_ref(raw: object, expected: tuple[str | None, str | None]) -> None:
    assert clean_parent_ref(raw) == expected


def test_string_list_and_empty_base_model() -> None:
    assert parents({"id": "u/a", "cardData": {"base_model": "Qwen/Qwen3-8B"}}) == [
        ("Qwen/Qwen3-8B", "unknown")
    ]
    assert parents({"id": "u/a", "cardData": {"base_model": ["Qwen/Qwen3-8B"]}}) == [
        ("Qwen/Qwen3-8B", "unknown")
    ]
    assert parents({"id": "u/a", "cardData": {"base_model": []}}) == []
    assert parents({"id": "u/a", "cardData": {"base_model": None}}) == []
    assert parents({"id": "u/a", "cardData": {"base_model": ""}}) == []


def test_tags_give_relations_and_card_is_a_cross_check() -> None:
    item = {
        "id": "u/m",
        "tags": ["base_model:a/x", "base_model:merge:a/x", "base_model:merge:b/y"],
        "cardData": {"base_model": ["a/x", "b/y"]},
    }
    assert parents(item) == [("a/x", "merge"), ("b/y", "merge")]
    assert kinds(item) == []
    # A parent only in the tags, and one only in the card, are kept and reported.
    item = {
        "id": "u/m",
        "tags": ["base_model:finetune:a/x"],
        "cardData": {"base_model": "b/y", "base_model_relation": "adapter"},
    }
    assert parents(item) == [("a/x", "finetune"), ("b/y", "adapter")]
    assert kinds(item) == ["card_only_parent", "tag_only_parent"]


def test_merge_listing_the_same_base_seven_times() -> None:
    item = {
        "id": "u/franken",
        "tags": ["base_model:merge:m/base"],
        "cardData": {"base_model": ["m/base"] * 7},
    }
    assert parents(item) == [("m/base", "merge")]
    assert kinds(item).count("duplicate_parent") == 6


def test_case_variants_are_one_parent_self_references_dropped() -> None:
    item = {
        "id": "u/Self",
        "tags": ["base_model:finetune:Qwen/Qwen3-8B"],
        "cardData": {"base_model": ["qwen/qwen3-8b", "u/self", "https://huggingface.co/u/Self"]},
    }
    assert parents(item) == [("Qwen/Qwen3-8B", "finetune")]
    assert "self_reference" in kinds(item)


def test_relation_synonyms_unknown_relations_and_exl2() -> None:
    assert parents({"id": "u/a", "tags": ["base_model:finetuned:a/x"]}) == [("a/x", "finetune")]
    assert parents({"id": "u/a", "tags": ["base_model:quantization:a/x"]}) == [("a/x", "quantized")]
    assert parents({"id": "u/a", "tags": ["base_model:distilled:a/x"]}) == [("a/x", "unknown")]
    assert "unknown_relation" in kinds({"id": "u/a", "tags": ["base_model:distilled:a/x"]})
    exl2 = {"id": "u/a-exl2", "tags": ["exl2", "base_model:finetune:a/x"]}
    assert parents(exl2) == [("a/x", "quantized")]
    assert "relation_quantized_format" in kinds(exl2)


def test_many_parents_are_all_kept() -> None:
    bases = [f"org{k}/base-{k}" for k in range(16)]
    item = {"id": "u/mega-merge", "tags": [f"base_model:merge:{b}" for b in bases]}
    assert [p for p, _ in parents(item)] == bases


def test_legacy_date_and_bad_fields() -> None:
    rec, reps = normalize_item(
        {
            "id": "bert-base-uncased",
            "createdAt": "2022-03-02T23:29:04.000Z",
            "downloads": "12",
            "likes": None,
            "lastModified": "yesterday",
        }
    )
    assert rec is not None and rec.legacy_date and rec.downloads == 12 and rec.likes == 0
    assert rec.last_modified is None
    assert sorted(r.kind for r in reps) == ["bad_date", "legacy_date"]


def test_items_without_id_are_skipped_and_reported() -> None:
    assert normalize_item({"tags": []})[0] is None
    assert normalize_item({"id": "   "})[1][0].kind == "missing_id"
    assert normalize_item("not a dict")[1][0].kind == "item_not_an_object"  # type: ignore[arg-type]


junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(["https://huggingface.co/", "base_model:", "/", "..", "--", "Qwen/Qwen3-8B", "C:\\x"])
    | st.sampled_from([10**20, -(10**20), float("inf"), float("-inf"), "1" * 30]),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
tag = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda r, x: f"base_model:{r}:{x}",
        st.sampled_from([*RELATIONS, "finetuned", "x", ""]),
        st.text(max_size=40),
    ),
    st.builds(lambda x: f"base_model:{x}", st.text(max_size=40)),
)
items = st.fixed_dictionaries(
    {"id": st.one_of(st.text(max_size=40), junk)},
    optional={
        "tags": st.one_of(st.lists(tag, max_size=8), junk),
        "cardData": st.one_of(
            st.fixed_dictionaries(
                {}, optional={"base_model": junk, "base_model_relation": junk, "license": junk}
            ),
            junk,
        ),
        "createdAt": junk,
        "lastModified": junk,
        "downloads": junk,
        "likes": junk,
        "gated": junk,
        "pipeline_tag": junk,
        "library_name": junk,
        "downloadsAllTime": junk,
        "author": junk,
    },
)


@settings(max_examples=600, deadline=None)
@given(items)
def test_normalizer_never_raises_and_emits_only_valid_repo_ids(item: dict[str, Any]) -> None:
    rec, repairs = normalize_item(item)
    if rec is None:
        assert repairs and repairs[0].kind in ("missing_id", "item_not_an_object")
        return
    assert isinstance(rec.id, str) and rec.id
    for p in rec.parents:
        assert is_valid_repo_id(p.parent), p
        assert p.relation in RELATIONS
        assert p.parent.lower() != rec.id.lower()
    lowered = [p.parent.lower() for p in rec.parents]
    assert len(lowered) == len(set(lowered))
    assert isinstance(rec.downloads, int) and 0 <= rec.downloads < 2**63
    assert 0 <= rec.likes < 2**63
    assert rec.downloads_all_time is None or abs(rec.downloads_all_time) < 2**63


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_clean_parent_ref_total(raw: str) -> None:
    ref, _ = clean_parent_ref(raw)
    assert ref is None or is_valid_repo_id(ref)


def test_numbers_out_of_range_are_clamped_not_crashing() -> None:
    for value in (10**20, float("inf"), 1e300, "9" * 40):
        rec, _ = normalize_item({"id": "u/a", "downloads": value, "likes": value, "downloadsAllTime": value})
        assert rec is not None and rec.downloads == rec.likes == rec.downloads_all_time == 2**63 - 1
    rec, _ = normalize_item({"id": "u/a", "downloads": float("nan"), "downloadsAllTime": float("-inf")})
    assert rec is not None and rec.downloads == 0 and rec.downloads_all_time == -(2**63 - 1)

"""The data-quality report: every repair, skip and unresolved link, counted and explained."""

from __future__ import annotations

from typing import Any

from lineage.analytics.bulk_flags import bulk_report
from lineage.store import Store

__all__ = ["EXPLANATIONS", "RESOLUTIONS", "quality_report"]

#: What each kind means and what lineage did about it.
EXPLANATIONS: dict[str, str] = {
    "url": "base_model given as a huggingface.co URL; reduced to the repo id",
    "whitespace": "base_model had surrounding whitespace; stripped",
    "trailing_slash": "base_model ended in '/' or '.git'; removed",
    "local_path": "base_model is a local path (./out, /home/..., C:\\...); link skipped",
    "invalid_id": "base_model is not a valid repo id; link skipped",
    "not_a_string": "base_model entry is not a string (number, object); skipped",
    "empty": "empty base_model entry; skipped",
    "self_reference": "model names itself as base; link skipped",
    "duplicate_parent": "the same base listed more than once; kept once",
    "relation_synonym": "relation spelled differently (finetuned, quantization, lora, merged); mapped",
    "unknown_relation": "relation outside finetune/adapter/quantized/merge; recorded as 'unknown'",
    "conflicting_relation": "tags give two relations for one parent; the first is kept",
    "relation_quantized_format": "exl2 model tagged as finetune; relabelled quantized",
    "card_only_parent": "parent only in cardData.base_model, not in the Hub's tags; kept",
    "tag_only_parent": "parent only in the tags, not in cardData.base_model; kept",
    "legacy_date": "createdAt is the 2022-03-02T23:29:04 placeholder of pre-2022 repos; "
    "excluded from 'new models' statistics",
    "bad_date": "unparseable date; stored as unknown",
    "unusual_model_id": "the model's own id is not a standard repo id; kept as the Hub gave it",
    "missing_id": "listing item without an id; skipped",
    "item_not_an_object": "listing item is not a JSON object; skipped",
}
RESOLUTIONS: dict[str, str] = {
    "exact": "parent found in the store",
    "case": "parent found with different letter case; linked to the real id",
    "alias": "legacy un-namespaced id (gpt2 -> openai-community/gpt2); linked to the new id",
    "unresolved": "parent not on the Hub (deleted, private, renamed or never existed); kept as a "
    "placeholder root",
    "cycle": "link closes a cycle (the newest parent's link is set aside); kept, not in the graph",
    "pending": "not resolved yet (a crawl is running)",
}


def quality_report(store: Store, examples: int = 3, uploaders: int = 10) -> dict[str, Any]:
    """A JSON-ready report: repairs by kind, link resolutions, crawls, and the automated bulk
    uploads (the ``uploaders`` biggest bulk uploaders)."""
    repairs = []
    for kind, n in sorted(store.repair_counts().items(), key=lambda kv: (-kv[1], kv[0])):
        ex = [{"model": m, "detail": d} for m, _, d, _ in store.repairs(kind, limit=examples)]
        repairs.append({"kind": kind, "count": n, "meaning": EXPLANATIONS.get(kind, ""), "examples": ex})
    resolutions = []
    for kind, n in store.resolution_counts().items():
        rows = store.resolution_examples(kind, examples if kind != "exact" else 0)
        resolutions.append(
            {
                "resolution": kind,
                "links": n,
                "meaning": RESOLUTIONS.get(kind, ""),
                "examples": [{"child": c, "declared": r, "parent": p} for c, r, p in rows],
            }
        )
    crawls = [
        {
            "id": c.id,
            "mode": c.mode,
            "status": c.status,
            "started_at": c.started_at,
            "finished_at": c.finished_at,
            "models": c.models,
            "new": c.new_models,
            "updated": c.updated_models,
            "deleted": c.deleted_models,
            "duplicates": c.duplicates,
            "skipped": c.skipped,
            "requests": c.requests,
            "retries": c.retries,
            "error": c.error,
        }
        for c in store.crawls()
    ]
    return {
        "store": str(store.path),
        "simulated": store.is_simulated(),
        "models": store.count_models(),
        "links": store.count_links(),
        "repairs": repairs,
        "resolutions": resolutions,
        "crawls": crawls,
        "bulk": bulk_report(store, uploaders),
    }

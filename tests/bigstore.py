"""A Hub-shaped store for the explorer's tests, written directly as listing items (not the
simulator, whose shape is tuned elsewhere): 60 registry families plus fallback orgs, one base
(``black-forest-labs/FLUX.1-dev``) with 41,000 direct derivatives of every relation, a Qwen tree
three levels deep, parents that are not on the Hub, and dates up to a crawl on 2025-10-07 (so
October 2025 is a partial month).

``truth`` is computed here from the items themselves, independently of lineage: each model's
parents with their relation.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

BIG = "black-forest-labs/FLUX.1-dev"
QWEN = "Qwen/Qwen2.5-7B"
QWEN_INSTRUCT = "Qwen/Qwen2.5-7B-Instruct"
#: Direct derivatives of BIG per relation (merges also have FLUX.1-schnell as a parent).
BIG_CHILDREN = {"adapter": 30_000, "finetune": 6_500, "quantized": 3_500, "merge": 1_000}
CRAWLED = "2025-10-07T00:00:00.000Z"
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2025, 10, 6)


@dataclass
class BigStore:
    path: Path
    parents: dict[str, list[tuple[str, str]]]  # model id -> [(parent id, relation)], from the items
    families: list[str]  # registry families with a base model in the store

    def children(self, model: str) -> dict[str, set[str]]:
        """Direct children of ``model`` per relation, from the items."""
        out: dict[str, set[str]] = {}
        for child, links in self.parents.items():
            for parent, rel in links:
                if parent == model:
                    out.setdefault(rel, set()).add(child)
        return out

    def descendants(self, model: str) -> dict[str, set[str]]:
        """All descendants of ``model`` per relation of a link from inside the tree, from the items."""
        kids: dict[str, list[tuple[str, str]]] = {}
        for child, links in self.parents.items():
            for parent, rel in links:
                kids.setdefault(parent, []).append((child, rel))
        inside, stack = {model}, [model]
        while stack:
            for child, _ in kids.get(stack.pop(), []):
                if child not in inside:
                    inside.add(child)
                    stack.append(child)
        out: dict[str, set[str]] = {}
        for child in inside - {model}:
            for parent, rel in self.parents[child]:
                if parent in inside:
                    out.setdefault(rel, set()).add(child)
        return out


def _items(seed: int = 3) -> tuple[list[dict[str, Any]], list[str]]:
    from lineage.families import default_registry

    rnd = random.Random(seed)
    registry = default_registry()
    span = (LAST_DAY - FIRST_DAY).days
    items: list[dict[str, Any]] = []

    def when(lo: float = 0.0) -> str:
        day = FIRST_DAY + timedelta(days=int(span * (lo + (1 - lo) * rnd.random() ** 0.7)))
        return f"{day.isoformat()}T{rnd.randrange(24):02d}:00:00.000Z"

    def model(mid: str, parents: list[tuple[str, str]], task: str, lo: float = 0.0) -> None:
        items.append(
            {
                "id": mid,
                "createdAt": when(lo),
                "downloads": int(rnd.lognormvariate(3, 2.2)),
                "likes": int(rnd.expovariate(0.3)),
                "pipeline_tag": task,
                "library_name": "diffusers" if task == "text-to-image" else "transformers",
                "tags": [f"base_model:{rel}:{p}" for p, rel in parents] + ["license:apache-2.0"],
            }
        )

    # Roots: one or two base models per registry family (ids the registry classifies so).
    families: list[str] = []
    bases: list[tuple[str, str]] = []  # (family, base id)
    for fam in registry.families:
        org = fam.orgs[0]
        base = f"{org}/{fam.name.replace(' ', '-')}-7B"
        if registry.family_of(base) != fam.name or fam.name in ("FLUX", "Qwen"):
            continue
        families.append(fam.name)
        bases.append((fam.name, base))
    families[:0] = ["FLUX", "Qwen"]
    items.append({"id": BIG, "createdAt": "2024-08-01T00:00:00.000Z", "downloads": 2_500_000, "likes": 11000,
                  "pipeline_tag": "text-to-image", "library_name": "diffusers"})  # fmt: skip
    items.append({"id": "black-forest-labs/FLUX.1-schnell", "createdAt": "2024-08-01T00:00:00.000Z",
                  "downloads": 900_000, "pipeline_tag": "text-to-image"})  # fmt: skip
    items.append({"id": QWEN, "createdAt": "2024-09-18T00:00:00.000Z", "downloads": 1_200_000, "likes": 900,
                  "pipeline_tag": "text-generation"})  # fmt: skip
    for _, base in bases:
        items.append({"id": base, "createdAt": "2023-06-01T00:00:00.000Z", "downloads": rnd.randrange(10**6),
                      "pipeline_tag": "text-generation"})  # fmt: skip
    for k in range(8):  # roots of fallback families (their org)
        items.append({"id": f"indie{k}/base-model", "createdAt": "2023-01-01T00:00:00.000Z", "downloads": 50})

    relations = ("finetune", "adapter", "quantized", "merge")
    weights = (0.45, 0.2, 0.3, 0.05)
    n = 0

    def derive(parent: str, count: int, task: str, depth: int, lo: float = 0.0) -> None:
        nonlocal n
        for _ in range(count):
            rel = rnd.choices(relations, weights)[0]
            n += 1
            mid = f"user{rnd.randrange(3000)}/{parent.split('/')[-1][:18]}-{rel[:2]}-{n}"
            model(mid, [(parent, rel)], task, lo)
            if depth > 1 and rnd.random() < 0.12:
                derive(mid, rnd.randrange(1, 6), task, depth - 1, lo)

    # The big base: BIG_CHILDREN direct derivatives, some with children of their own.
    for rel, count in BIG_CHILDREN.items():
        for k in range(count):
            n += 1
            mid = f"user{rnd.randrange(20000)}/FLUX.1-dev-{rel[:2]}-{k}"
            parents = [(BIG, rel)] + ([("black-forest-labs/FLUX.1-schnell", rel)] if rel == "merge" else [])
            model(mid, parents, "text-to-image")
            if rel == "finetune" and k < 250:
                derive(mid, rnd.randrange(1, 5), "text-to-image", 2)
    # Qwen: a chain to an instruct model, and a tree below both.
    model(QWEN_INSTRUCT, [(QWEN, "finetune")], "text-generation")
    derive(QWEN, 700, "text-generation", 3)
    derive(QWEN_INSTRUCT, 900, "text-generation", 3, lo=0.3)
    # The other families: fewer derivatives the further down the registry (a long tail).
    for rank, (_, base) in enumerate(bases, 1):
        derive(base, max(4, int(2400 / rank**0.9)), "text-generation", 2)
    for k in range(8):
        derive(f"indie{k}/base-model", 6, "text-generation", 1)
    # Parents that are not on the Hub (deleted, private): placeholder roots, no registry family.
    for k in range(40):
        derive(f"ghost-user{k}/old-model", 8, "text-generation", 1)
    return items, families


def build(path: Path) -> BigStore:
    """Write the items into a store at ``path`` (once: reused when already built)."""
    from conftest import ingest_items

    from lineage.store import open_store

    items, families = _items()
    meta = path.with_suffix(".json")
    if not meta.exists():
        with open_store(path) as store:
            ingest_items(store, items, endpoint="https://huggingface.co", finished_at=CRAWLED)
        meta.write_text(json.dumps(families))
    parents: dict[str, list[tuple[str, str]]] = {}
    for item in items:
        links = [tuple(t.split(":", 2)[1:]) for t in item.get("tags", []) if t.startswith("base_model:")]
        parents[item["id"]] = [(p, r) for r, p in links]
    return BigStore(path, parents, families)


@pytest.fixture(scope="session")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigStore]:
    """The store, built once per test run (shared by the xdist workers through a file lock)."""
    root = tmp_path_factory.getbasetemp().parent
    version = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]  # this file's items
    with open(root / "bigstore.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        store = build(root / f"bigstore-{version}.sqlite")
        fcntl.flock(lock, fcntl.LOCK_UN)
    yield store

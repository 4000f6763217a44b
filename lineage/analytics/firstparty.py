"""First-party models and direct children: the published definitions that count a lab's own
uploads (ATOM's downloads) or only the models built directly on them (``--scope direct``).

A model is a *first-party* model of a group when it descends from that group and was uploaded
by one of the group's own organisations:

* ``family`` — one of the family's organisations in the registry (its ``orgs`` and the orgs of
  its rules: ``Qwen`` for Qwen, ``meta-llama`` and ``huggyllama`` for Llama, ``google`` for
  Gemma, ...); for a fallback family (an org the registry does not name), that org;
* ``region`` — first-party for a family, counted under the family's region;
* ``org`` — uploaded by the org itself (the Hub namespace of the root it descends from).

A *direct child* of a group is a model with a first-party model of the group among its
parents (Qwen's instruct models are first-party too, so their fine-tunes are direct children).

>>> from lineage.graph import Lineage
>>> lin = Lineage.from_edges([("Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-Instruct", "finetune"),
...                           ("Qwen/Qwen2.5-7B-Instruct", "a/ft", "finetune"),
...                           ("a/ft", "b/ft-GGUF", "quantized")])
>>> pos, grp, labels = first_party_pairs(lin, np.arange(len(lin)), "family")
>>> [(lin.ids[int(p)], labels[g]) for p, g in zip(pos, grp)]
[('Qwen/Qwen2.5-7B', 'Qwen'), ('Qwen/Qwen2.5-7B-Instruct', 'Qwen')]
>>> pos, grp, labels = direct_groups(lin, np.arange(len(lin)), "family")
>>> [(lin.ids[int(p)], labels[g]) for p, g in zip(pos, grp)]
[('Qwen/Qwen2.5-7B-Instruct', 'Qwen'), ('a/ft', 'Qwen')]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lineage.analytics.groups import node_groups
from lineage.families import Registry, default_registry
from lineage.graph import IntArray, Lineage, ragged_offsets, unique_ints

__all__ = ["direct_groups", "first_party_pairs"]

Pairs = tuple[IntArray, IntArray, list[str]]


def _authors(lin: Lineage, nodes: IntArray) -> list[str]:
    take = getattr(lin.ids, "take", None)
    ids = list(take(nodes)) if take is not None else [lin.ids[int(i)] for i in nodes]
    return [i.partition("/")[0].lower() for i in ids]


def _namespaced(lin: Lineage, nodes: IntArray) -> npt.NDArray[np.bool_]:
    """Whether each node's id has a ``/`` (a namespace), without decoding the ids."""
    blob = getattr(lin.ids, "blob", None)
    if blob is None:
        return np.fromiter(("/" in lin.ids[int(i)] for i in nodes), dtype=bool, count=len(nodes))
    offsets = lin.ids.offsets  # type: ignore[attr-defined]
    slashes = np.flatnonzero(np.asarray(blob) == ord("/"))
    has: npt.NDArray[np.bool_] = np.searchsorted(slashes, offsets[nodes + 1]) > np.searchsorted(
        slashes, offsets[nodes]
    )
    return has


def first_party_pairs(
    lin: Lineage, nodes: IntArray, by: str = "family", registry: Registry | None = None
) -> Pairs:
    """The groups each node of ``nodes`` is a first-party model of: ``(pos, group, labels)``
    with ``pos`` indexing ``nodes``, pairs sorted by node then group (see the module docstring)."""
    reg = registry or default_registry()
    nodes = np.asarray(nodes, dtype=np.int64)
    pos, grp, labels = node_groups(lin, nodes, "org" if by == "org" else "family", reg)
    if by == "org":
        own = [{label.lower()} for label in labels]
    else:
        orgs = {fam.name: {o.lower() for o in fam.orgs} for fam in reg.families}
        own = [orgs.get(label, {label.lower()}) for label in labels]  # a fallback family: its org
    # A root with a namespace is a first-party model of its own group (the group is named after
    # its org, or the registry gave the org to the family); other models are checked by author.
    check = np.flatnonzero((lin.in_degree[nodes] > 0) | ~_namespaced(lin, nodes))
    authors = dict(zip(check.tolist(), _authors(lin, nodes[check]), strict=True))
    keep = np.fromiter(
        (a is None or a in own[g] for a, g in zip(map(authors.get, pos.tolist()), grp.tolist(), strict=True)),
        dtype=bool,
        count=len(pos),
    )
    pos, grp = pos[keep], grp[keep]
    if by == "region":
        regions = sorted({reg.region_of_family(name) for name in labels})
        code = {r: k for k, r in enumerate(regions)}
        to_region = np.array([code[reg.region_of_family(name)] for name in labels], dtype=np.int64)
        g = max(1, len(regions))
        key = unique_ints(pos * g + to_region[grp]) if len(grp) else pos
        return key // g, key % g, regions
    return pos, grp, list(labels)


def direct_groups(
    lin: Lineage, nodes: IntArray, by: str = "family", registry: Registry | None = None
) -> Pairs:
    """The groups each node of ``nodes`` is a direct child of (a parent is a first-party model
    of the group): ``(pos, group, labels)`` like :func:`first_party_pairs`; nodes without a
    first-party parent have no pair."""
    nodes = np.asarray(nodes, dtype=np.int64)
    start, nbr, _ = lin.up_csr
    counts = start[nodes + 1] - start[nodes]
    parents = np.asarray(nbr, dtype=np.int64)[ragged_offsets(start[nodes], counts)]
    child_pos = np.repeat(np.arange(len(nodes)), counts)
    uniq = unique_ints(parents)
    fp_pos, fp_grp, labels = first_party_pairs(lin, uniq, by, registry)
    if not len(fp_pos):
        return np.empty(0, np.int64), np.empty(0, np.int64), labels
    # first-party groups of each distinct parent, as a CSR over `uniq`
    fp_count = np.bincount(fp_pos, minlength=len(uniq))
    fp_start = np.zeros(len(uniq) + 1, dtype=np.int64)
    np.cumsum(fp_count, out=fp_start[1:])
    which = np.searchsorted(uniq, parents)
    per = fp_count[which]
    groups = fp_grp[ragged_offsets(fp_start[which], per)]
    g = max(1, len(labels))
    key = unique_ints(np.repeat(child_pos, per) * g + groups)
    return key // g, key % g, labels

"""Build the simulated lineage DAG in creation order, following a :class:`~lineage.sim.plan.Plan`.

Every model is created at its time, in order, so parents always exist before their children:

* first-party models of the catalog at their release dates (instruct models as fine-tunes of
  their base), the legacy block first;
* independent roots (small organisations' and users' own models);
* derivatives of a family: on one of its first-party models (chosen by attraction and
  recency) or on a community model of the family (preferential attachment with a bias for
  recent models; chains of fine-tunes of fine-tunes); merges take 2–64 parents of the first
  parent's modality, a quarter of the extra ones from another family of that modality;
* derivatives of the headline bases, and bulk episodes: one author uploading many
  near-identical derivatives (one relation, mostly adapters) of one base within a day, under
  one name template.

The DAG is kept in flat arrays (index = creation order): memory stays linear in ``n`` with
small constants.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from array import array
from collections.abc import Iterator
from typing import Any

from lineage.sim.catalog import FAMILIES, INDIE_MODALITIES, MODALITIES, MODEL_BY_ID
from lineage.sim.licenses import INDIE_LICENSES, restrictive, successor
from lineage.sim.plan import INDIE, MonthPlan, Plan, make_plan, release_ts, year
from lineage.sim.shape import BULK_EPISODE_SIZE, BULK_RELATION, MERGE_SIZES

__all__ = ["RELATIONS", "Structure", "build"]

RELATIONS = ("finetune", "adapter", "quantized", "merge")
MAX_DEPTH = 20
LEGACY_TS = release_ts("legacy")
_MERGE_K = [k for k, _ in MERGE_SIZES]
_MERGE_CUM = list(itertools.accumulate(p for _, p in MERGE_SIZES))
_INDIE_CUM = list(itertools.accumulate(p for _, p in INDIE_LICENSES))
_TEMPLATES = (
    "{base}-task{task}-{k}",
    "task-{task}-{org}-{base}-{k}",
    "{base}-{task}-lora-{k:04d}",
    "{org}-{base}-sft-{task}-{k}",
)


class Structure:
    """The generated DAG in flat arrays (index = creation order)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.ids: list[str] = []
        self.time = array("d")  # seconds since epoch; legacy models get the legacy timestamp
        self.legacy = bytearray()
        self.official = bytearray()  # a first-party model of a family
        self.family = array("h")  # index into FAMILIES; -1 independent tree
        self.relation = array("b")  # index into RELATIONS; -1 root
        self.depth = array("b")
        self.modality = array("b")  # index into MODALITIES
        self.license = array("h")  # index into self.licenses
        self.bulk = array("i")  # bulk episode number, -1 for none
        self.card_less = bytearray(n)  # set while emitting: the listing has no cardData
        self.p_start = array("q", [0])
        self.p_flat = array("q")  # parent model index; >= n means ghost (n + ghost number)
        self.root_single = array("q")  # single root index, or -1 if several (see root_multi)
        self.root_multi: dict[int, frozenset[int]] = {}
        self.ghosts: list[str] = []
        self.licenses: list[tuple[str | None, str | None]] = [(None, None)]
        self._license_index: dict[tuple[str | None, str | None], int] = {(None, None): 0}
        #: per bulk episode: (episode id, author, base id)
        self.episodes: list[tuple[str, str, str]] = []

    def roots_of(self, i: int) -> frozenset[int]:
        r = self.root_single[i]
        return frozenset((r,)) if r >= 0 else self.root_multi[i]

    def parents(self, i: int) -> list[int]:
        return [self.p_flat[k] for k in range(self.p_start[i], self.p_start[i + 1])]

    def license_code(self, lic: tuple[str | None, str | None]) -> int:
        code = self._license_index.get(lic)
        if code is None:
            code = self._license_index[lic] = len(self.licenses)
            self.licenses.append(lic)
        return code

    def add(
        self,
        mid: str,
        t: float,
        *,
        family: int,
        relation: int,
        parents: list[int],
        modality: int,
        lic: tuple[str | None, str | None],
        legacy: bool = False,
        official: bool = False,
        bulk: int = -1,
    ) -> int:
        i = len(self.ids)
        n = self.n
        self.ids.append(mid)
        self.time.append(t)
        self.legacy.append(legacy)
        self.official.append(official)
        self.family.append(family)
        self.relation.append(relation)
        self.modality.append(modality)
        self.license.append(self.license_code(lic))
        self.bulk.append(bulk)
        if not parents:  # a root (most models): the fast path
            self.p_start.append(len(self.p_flat))
            self.depth.append(0)
            self.root_single.append(i)
            return i
        if len(parents) == 1 and parents[0] < n:  # one parent: its roots, one level deeper
            p = parents[0]
            self.p_flat.append(p)
            self.p_start.append(len(self.p_flat))
            self.depth.append(min(self.depth[p] + 1, 127))
            r = self.root_single[p]
            self.root_single.append(r)
            if r < 0:
                self.root_multi[i] = self.root_multi[p]
            return i
        depth = 0
        rootset: set[int] = set()
        for p in parents:
            self.p_flat.append(p)
            if p >= n:
                rootset.add(p)
                depth = max(depth, 1)
            else:
                rootset.update(self.roots_of(p))
                depth = max(depth, self.depth[p] + 1)
        self.p_start.append(len(self.p_flat))
        self.depth.append(min(depth, 127))
        if len(rootset) == 1:
            self.root_single.append(next(iter(rootset)))
        else:
            self.root_single.append(-1)
            self.root_multi[i] = frozenset(rootset)
        return i


def _base_name(parent_id: str) -> str:
    """A derivative's name stem: its parent's name without our suffixes (valid repo name)."""
    stem = parent_id.split("/")[-1]
    for suffix in ("-ft-", "-GGUF-", "-lora-", "-merge-"):
        cut = stem.find(suffix)
        if cut > 0:
            stem = stem[:cut]
    return stem[:40].rstrip("-._") or "model"


def build(n: int, seed: int, end: str, ghost_rate: float, license_drift: float) -> Structure:
    """The DAG of a hub of ``n`` models (deterministic for ``seed``)."""
    return _Builder(make_plan(n, end), n, seed, ghost_rate, license_drift).run()


class _Builder:
    def __init__(self, plan: Plan, n: int, seed: int, ghost_rate: float, license_drift: float) -> None:
        self.plan = plan
        self.rng = random.Random(seed)
        self.s = Structure(n)
        self.ghost_rate = ghost_rate
        self.drift = license_drift
        self.user_count = max(50, n // 40)
        self.urns: list[list[int]] = [[] for _ in range(INDIE + 1)]  # community models per family
        # The tip of each family's current series of iterative fine-tunes (v1 -> v2 -> v3 ...):
        # a chained fine-tune or merge extends it; at MAX_DEPTH a new series starts.
        self.tip: list[int] = [-1] * (INDIE + 1)
        self.extend_tip = False
        self.kids: dict[int, int] = {}  # children of community models so far
        self.index: dict[str, int] = {}  # catalog id -> model index
        self.official_cum: dict[tuple[int, int], tuple[list[int], list[float]]] = {}
        self.ghost_count = 0
        self.bulk_authors = max(1, round(self._bulk_total() / max(1.0, self._episode_size()) / 3))
        self.first_release = [min(release_ts(m.date) for m in fam.models) for fam in FAMILIES]

    def _bulk_total(self) -> int:
        return sum(sum(mp.bulk.values()) for mp in self.plan.months)

    def _episode_size(self) -> float:
        return max(4.0, BULK_EPISODE_SIZE * self.plan.scale)

    # -- picking -----------------------------------------------------------------------------

    def user(self) -> str:
        return f"user{int(self.user_count ** self.rng.random()) - 1}"

    def _month_tables(self, t: float) -> dict[int, list[int]]:
        """Official-model weights per (family, relation) for the month starting at ``t`` (a new
        release attracts most in its first months, then less and less); returns the families
        present per modality."""
        y = year(t)
        self.official_cum = {}
        by_modality: dict[int, list[int]] = {}
        for f, fam in enumerate(FAMILIES):
            released = [m for m in fam.models if m.id in self.index and m.weight > 0]
            for r in range(4):
                ids, cum, total = [], [], 0.0
                for m in released:
                    age = max(0.0, y - year(release_ts(m.date)))
                    total += (
                        m.weight
                        * MODALITIES[m.modality][2][r]
                        * (math.exp(-age / 1.5) + 2 * math.exp(-age / 0.3))
                    )
                    ids.append(self.index[m.id])
                    cum.append(total)
                if ids:
                    self.official_cum[(f, r)] = (ids, cum)
            if released or self.urns[f]:
                by_modality.setdefault(fam.modality, []).append(f)
        return by_modality

    def official(self, f: int, r: int) -> int:
        table = self.official_cum.get((f, r))
        if table is None:
            return -1
        ids, cum = table
        x = self.rng.random() * cum[-1]
        lo, hi = 0, len(cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return ids[lo]

    def community(self, f: int) -> int:
        urn = self.urns[f]
        if not urn:
            return -1
        size = len(urn)
        if self.rng.random() < 0.5:  # a recent one: among the newest fifth (at least 20)
            return urn[size - 1 - int(self.rng.random() * min(size, max(20, size // 5)))]
        return urn[int(self.rng.random() * size)]

    def parent(self, f: int, r: int, p_official: float, chain: bool) -> int:
        s, rng = self.s, self.rng
        if chain and rng.random() < 0.04:
            self.extend_tip = True
            tip = self.tip[f]
            if tip >= 0 and s.depth[tip] < MAX_DEPTH:
                return tip
        p = -1
        if rng.random() < p_official:
            p = self.official(f, r)
        if p < 0:
            p = self.community(f)
        if p < 0:
            p = self.official(f, r)
        if p >= 0 and s.depth[p] >= MAX_DEPTH:
            p = next(iter(s.roots_of(p)))
            if p >= s.n:
                p = -1
        return p

    def merge_parents(self, first: int, f: int, k: int, by_modality: dict[int, list[int]]) -> list[int]:
        """``k`` distinct parents of ``first``'s modality (fewer if none can be found); a
        quarter of the extra ones from another family of that modality."""
        s, rng = self.s, self.rng
        modality = s.modality[first] if first < s.n else FAMILIES[f].modality if f < INDIE else 12
        month_families = by_modality.get(modality, []) if f < INDIE else []
        parents = [first]
        for _ in range(4 * k):
            if len(parents) >= k:
                break
            other = f
            if rng.random() < 0.25 and month_families:
                other = month_families[int(rng.random() * len(month_families))]
            p_off = FAMILIES[other].p_official * 0.5 if other < INDIE else 0.0
            cand = self.parent(other, 3, p_off, False)
            if cand >= 0 and cand not in parents and s.modality[cand] == modality:
                parents.append(cand)
        return parents

    # -- creating ----------------------------------------------------------------------------

    def add_catalog(self, f: int, model_id: str, t: float, legacy: bool) -> None:
        m = MODEL_BY_ID[model_id]
        parents = [self.index[m.parent]] if m.parent else []
        i = self.s.add(
            m.id,
            t,
            family=f,
            relation=0 if parents else -1,
            parents=parents,
            modality=m.modality,
            lic=(m.license, m.license_name),
            legacy=legacy,
            official=True,
        )
        self.index[m.id] = i

    def add_root(self, t: float, mid: str | None = None, legacy: bool = False) -> None:
        rng = self.rng
        lic = INDIE_LICENSES[min(len(INDIE_LICENSES) - 1, bisect.bisect(_INDIE_CUM, rng.random()))][0]
        modality = INDIE_MODALITIES[int(rng.random() * len(INDIE_MODALITIES))]
        i = self.s.add(
            mid or f"{self.user()}/indie-model-{len(self.s.ids)}",
            t,
            family=-1,
            relation=-1,
            parents=[],
            modality=modality,
            lic=lic,
            legacy=legacy,
        )
        self.urns[INDIE].append(i)

    def add_derivative(
        self, t: float, f: int, r: int, parents: list[int], *, name: str | None = None, bulk: int = -1
    ) -> None:
        s, rng, n = self.s, self.rng, self.s.n
        first = parents[0]
        modality = (FAMILIES[f].modality if f < INDIE else 12) if first >= n else s.modality[first]
        lic = successor(restrictive([s.licenses[s.license[p]] for p in parents if p < n]), rng, self.drift)
        if name is None:
            base = _base_name(s.ids[first]) if first < n else "model"
            name = f"{self.user()}/{base}-{('ft', 'lora', 'GGUF', 'merge')[r]}-{len(s.ids)}"
        i = s.add(
            name,
            t,
            family=f if f < INDIE else -1,
            relation=r,
            parents=parents,
            modality=modality,
            lic=lic,
            bulk=bulk,
        )
        if bulk >= 0:
            return
        # Most models are never derived from (the real Hub's 727k-model network has 69k parents):
        # some fine-tunes and merges, and a few quantizations and adapters, become candidates.
        if self.extend_tip:
            self.tip[f] = i
            self.extend_tip = False
        if r in (0, 3):
            if rng.random() < 0.35:
                self.urns[f].append(i)
        elif rng.random() < 0.02:
            self.urns[f].append(i)
        # Preferential attachment, sublinear: each child makes its parent likelier, less and
        # less (no community model outgrows the first-party bases).
        for p in parents:
            if p < n and not s.official[p] and s.relation[p] in (-1, 0, 3):
                kids = self.kids.get(p, 0) + 1
                self.kids[p] = kids
                if rng.random() * (kids + 8) < 8:
                    pf = s.family[p]
                    self.urns[pf if pf >= 0 else INDIE].append(p)

    def ghost(self) -> int:
        rng, s = self.rng, self.s
        if self.ghost_count and rng.random() < 0.5:
            return s.n + int(rng.random() * self.ghost_count)
        s.ghosts.append(f"ghost-{self.ghost_count % 53}/deleted-model-{self.ghost_count}")
        self.ghost_count += 1
        return s.n + self.ghost_count - 1

    def merge_size(self) -> int:
        x = self.rng.random() * _MERGE_CUM[-1]
        for k, c in zip(_MERGE_K, _MERGE_CUM, strict=True):
            if x <= c:
                return k
        return 2  # pragma: no cover

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> Structure:
        s, plan = self.s, self.plan
        legacy = [(f, m.id) for f, fam in enumerate(FAMILIES) for m in fam.models if m.date == "legacy"]
        for f, mid in legacy:  # the legacy block first: the real date is unknown
            self.add_catalog(f, mid, LEGACY_TS, True)
        for k in range(plan.n_legacy - len(legacy)):
            self.add_root(LEGACY_TS, f"legacy-user{k % 97}/old-model-{k}", legacy=True)
        dated = sorted(
            (release_ts(m.date) + (3600 if m.parent else 0), f, m.id)
            for f, fam in enumerate(FAMILIES)
            for m in fam.models
            if m.date != "legacy"
        )
        next_cat = 0
        for mp in plan.months:
            by_modality = self._month_tables(mp.start)
            events = list(self._events(mp))
            events.sort(key=lambda e: e[0])
            for t, kind, event in events:
                what: tuple[Any, ...] = event or ()
                while next_cat < len(dated) and dated[next_cat][0] <= t:
                    rt, f, mid = dated[next_cat]
                    self.add_catalog(f, mid, rt, False)
                    next_cat += 1
                if kind == "root":
                    self.add_root(t)
                elif kind == "family":
                    f, r = what
                    self._family_child(t, f, r, by_modality)
                elif kind == "head":
                    base, r = what
                    b = self.index[base]
                    f = s.family[b]
                    parents = [b] if r != 3 else self.merge_parents(b, f, self.merge_size(), by_modality)
                    self.add_derivative(t, f, r, parents)
                else:
                    base, r, e, name = what
                    b = self.index[base]
                    self.add_derivative(t, s.family[b], r, [b], name=name, bulk=e)
        while next_cat < len(dated):  # first-party models released after the last month
            rt, f, mid = dated[next_cat]
            self.add_catalog(f, mid, rt, False)
            next_cat += 1
        assert len(s.ids) == s.n, (len(s.ids), s.n)
        return s

    def _family_child(self, t: float, f: int, r: int, by_modality: dict[int, list[int]]) -> None:
        p_off = 0.0
        if f < INDIE:
            base = FAMILIES[f].p_official
            p_off = (base, min(0.95, base + 0.35), base * 0.8, base * 0.5)[r]
        first = -1
        if self.rng.random() >= self.ghost_rate:
            first = self.parent(f, r, p_off, r in (0, 3))
        if first < 0:
            first = self.ghost()
        parents = [first] if r != 3 else self.merge_parents(first, f, self.merge_size(), by_modality)
        self.add_derivative(t, f, r, parents)

    def _events(self, mp: MonthPlan) -> Iterator[tuple[float, str, tuple[Any, ...] | None]]:
        rng = self.rng
        span = mp.end - mp.start
        for _ in range(mp.roots):
            yield mp.start + rng.random() * span, "root", None
        for (f, r), count in sorted(mp.family.items()):
            lo = mp.start if f == INDIE else max(mp.start, self.first_release[f] + 7200)
            for _ in range(count):
                yield lo + rng.random() * (mp.end - lo), "family", (f, r)
        for (base, r), count in sorted(mp.headline.items()):
            lo = max(mp.start, release_ts(MODEL_BY_ID[base].date) + 7200)
            for _ in range(count):
                yield lo + rng.random() * (mp.end - lo), "head", (base, r)
        for base, count in sorted(mp.bulk.items()):
            yield from self._episodes(mp, base, count)

    def _episodes(self, mp: MonthPlan, base: str, count: int) -> Iterator[tuple[float, str, tuple[Any, ...]]]:
        """One base's bulk uploads of a month, cut into episodes (author-days)."""
        rng, s = self.rng, self.s
        k_eps = max(1, min(count, round(count / self._episode_size())))
        weights = [0.3 + rng.random() for _ in range(k_eps)]
        total = sum(weights)
        sizes = [max(1, int(count * w / total)) for w in weights]
        sizes[-1] = max(1, count - sum(sizes[:-1]))
        while sum(sizes) > count:  # rounding: trim the largest
            sizes[sizes.index(max(sizes))] -= 1
        lo = max(mp.start, release_ts(MODEL_BY_ID[base].date) + 86400)
        org, base_name = base.split("/")
        for size in sizes:
            e = len(s.episodes)
            author = f"user{self.user_count + int(rng.random() * self.bulk_authors)}"
            template = _TEMPLATES[int(rng.random() * len(_TEMPLATES))]
            task = 1 + e  # unique per episode, so names never collide
            relation = 1 if rng.random() < BULK_RELATION else 0
            day = lo + rng.random() * max(0.0, mp.end - lo - 86400)
            s.episodes.append((f"bulk-{e:05d}", author, base))
            for k in range(size):
                name = template.format(base=base_name, org=org, task=task, k=k)
                t = min(mp.end - 1.0, day + rng.random() * 20 * 3600)
                yield t, "bulk", (base, relation, e, f"{author}/{name}")

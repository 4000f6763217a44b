"""The graph snapshot: the columnar graph persisted beside the store, opened by a memory map.

Loading the graph from SQLite takes tens of seconds for the whole Hub; opening the snapshot
maps one file and reads a header, so a question pays only for the pages it touches. The
snapshot is derived data: deleting it is safe, and it is rebuilt when needed.

One file, ``<store>.graph``: a magic string, a JSON header, then each array at a 64-byte
aligned offset. The header records the store state the snapshot was built from (schema
version and the store's ``data_version``, which every write transaction increments), each
array's dtype, shape, offset and CRC-32, and the file's total size. A snapshot is used only
if its state equals the store's (a stale one is never used), its size is right (a truncated
one is detected) and, when ``verify`` is on, every checksum matches (a corrupted one is
detected). It is written to a temporary file and renamed into place, so a reader sees the
old snapshot or the new one, never half of one.

Ids are stored as one UTF-8 blob with offsets (:class:`IdColumn`) and two permutations that
sort them (as written, and lower-cased) for binary search: no Python string is made for a
model until it is asked for.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import zlib
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, cast

import numpy as np
import numpy.typing as npt

from lineage.files import atomic_write
from lineage.graph.ids import IdColumn

if TYPE_CHECKING:
    from lineage.graph.columnar import Lineage
    from lineage.store import Store

__all__ = [
    "FORMAT",
    "IdColumn",
    "SnapshotError",
    "load",
    "load_extra",
    "open_snapshot",
    "read_arrays",
    "save",
    "save_extra",
    "snapshot_path",
    "status",
    "write_arrays",
]

log = logging.getLogger("lineage.graph")

MAGIC = b"LINEAGE-GRAPH\x00\x00\x00"
#: Bumped when the layout or the meaning of an array changes.
FORMAT = 3
_ALIGN = 64
_CRC_CHUNK = 1 << 24


class SnapshotError(Exception):
    """A snapshot file that cannot be used (missing, stale, truncated, corrupted)."""


def snapshot_path(store: str | os.PathLike[str], suffix: str = ".graph") -> Path:
    """Where the snapshot of ``store`` lives (beside it)."""
    return Path(f"{os.fspath(store)}{suffix}")


def _crc(a: npt.NDArray[Any]) -> int:
    view = np.ascontiguousarray(a).data.cast("B")
    crc = 0
    for k in range(0, len(view), _CRC_CHUNK):
        crc = zlib.crc32(view[k : k + _CRC_CHUNK], crc)
    return crc


def write_arrays(path: Path, arrays: dict[str, npt.NDArray[Any]], meta: dict[str, Any]) -> None:
    """Write ``arrays`` and ``meta`` to ``path`` atomically (temporary file + rename)."""
    specs: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        arrays[name] = a
        specs[name] = {
            "dtype": a.dtype.str,
            "shape": list(a.shape),
            "nbytes": int(a.nbytes),
            "crc32": _crc(a),
        }
    # Header size depends on offsets, which depend on the header: two passes settle it.
    for _ in range(3):
        header = json.dumps({"format": FORMAT, "meta": meta, "arrays": specs, "size": 0}).encode()
        start = _aligned(len(MAGIC) + 8 + len(header) + 64)
        offset = start
        for spec in specs.values():
            spec["offset"] = offset
            offset = _aligned(offset + spec["nbytes"])
    header = json.dumps({"format": FORMAT, "meta": meta, "arrays": specs, "size": offset}).encode()
    if len(MAGIC) + 8 + len(header) > start:
        raise AssertionError("snapshot header outgrew its room")  # pragma: no cover
    with atomic_write(path) as fh:
        fh.write(MAGIC + len(header).to_bytes(8, "little") + header)
        for name, spec in specs.items():
            fh.seek(spec["offset"])
            fh.write(arrays[name].data.cast("B"))
        fh.truncate(offset)
    # The checksums were just computed from these arrays and the file synced and renamed into
    # place: the first reader after a crawl need not read the whole file again to check them.
    _remember_verified(path, _stamp(os.stat(path)))


def _aligned(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def _header(fh: IO[bytes], path: Path) -> dict[str, Any]:
    head = fh.read(len(MAGIC) + 8)
    if len(head) < len(MAGIC) + 8 or head[: len(MAGIC)] != MAGIC:
        raise SnapshotError(f"{path} is not a lineage graph snapshot")
    size = int.from_bytes(head[len(MAGIC) :], "little")
    if size > 64 << 20:
        raise SnapshotError(f"{path}: damaged header")
    try:
        header: dict[str, Any] = json.loads(fh.read(size))
    except ValueError as exc:
        raise SnapshotError(f"{path}: unreadable header ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SnapshotError(f"{path}: not a snapshot of format {FORMAT}")
    return header


def read_header(path: Path) -> dict[str, Any]:
    """The JSON header of a snapshot file; :class:`SnapshotError` if it is not one."""
    try:
        with open(path, "rb") as fh:
            return _header(fh, path)
    except FileNotFoundError:
        raise SnapshotError(f"no snapshot at {path}") from None
    except OSError as exc:
        raise SnapshotError(f"{path}: unreadable ({exc})") from None


def _verified_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _verify(fh: IO[bytes], path: Path, header: dict[str, Any]) -> None:
    """Check every array's checksum, reading the open file in chunks (no memory map: the
    process does not grow by the file's size). A success is remembered beside the file, keyed
    by the file's inode, size and modification time, so an unchanged file is checked once."""
    stamp = _stamp(os.fstat(fh.fileno()))
    try:
        if json.loads(_verified_path(path).read_text(encoding="utf-8")) == stamp:
            return
    except (OSError, ValueError):
        pass
    buf = bytearray(_CRC_CHUNK)
    for name, spec in header["arrays"].items():
        fh.seek(spec["offset"])
        left, crc = spec["nbytes"], 0
        while left:
            got = fh.readinto(memoryview(buf)[: min(left, _CRC_CHUNK)])  # type: ignore[attr-defined]
            if not got:
                raise SnapshotError(f"{path}: array {name!r} is truncated")
            crc = zlib.crc32(memoryview(buf)[:got], crc)
            left -= got
        if crc != spec["crc32"]:
            raise SnapshotError(f"{path}: array {name!r} is corrupted (checksum mismatch)")
    _remember_verified(path, stamp)


def _stamp(st: os.stat_result) -> dict[str, int]:
    return {"inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _remember_verified(path: Path, stamp: dict[str, int]) -> None:
    """Note beside the file that its checksums hold for this inode, size and time."""
    with contextlib.suppress(OSError):  # a read-only folder: verify again next time
        tmp = _verified_path(path).with_name(f".{_verified_path(path).name}.{os.getpid()}")
        tmp.write_text(json.dumps(stamp), encoding="utf-8")
        os.replace(tmp, _verified_path(path))


def read_arrays(
    path: Path, *, verify: bool = True, mode: Literal["r", "c"] = "r"
) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """Memory-map every array of a snapshot file: ``(arrays, meta)``, read-only, or with
    ``mode="c"`` copy-on-write (writes stay in the process; only the pages written are copied).

    Everything is read through one open file, so a snapshot renamed into place meanwhile
    cannot mix with it. Raises :class:`SnapshotError` if the file is missing, truncated or
    (``verify``) corrupted.
    """
    try:
        fh = open(path, "rb")  # noqa: SIM115 (the memory maps keep the file open after this)
    except FileNotFoundError:
        raise SnapshotError(f"no snapshot at {path}") from None
    except OSError as exc:
        raise SnapshotError(f"{path}: unreadable ({exc})") from None
    with fh:
        header = _header(fh, path)
        actual = os.fstat(fh.fileno()).st_size
        if actual != header.get("size"):
            raise SnapshotError(f"{path} is truncated or padded ({actual} bytes, not {header.get('size')})")
        if verify:
            _verify(fh, path, header)
        arrays: dict[str, npt.NDArray[Any]] = {}
        for name, spec in header["arrays"].items():
            shape = tuple(spec["shape"])
            dtype = np.dtype(spec["dtype"])
            if spec["nbytes"] == 0:
                arrays[name] = np.empty(shape, dtype=dtype)
            else:
                arrays[name] = np.memmap(fh, dtype=dtype, mode=mode, offset=spec["offset"], shape=shape)
    return arrays, dict(header["meta"])


# -- the graph's snapshot ---------------------------------------------------------------------------
_NODE_ARRAYS = (
    "created", "legacy", "deleted", "placeholder", "downloads", "downloads_all_time", "likes",
    "pipeline", "library", "rowid", "bulk", "license",
)  # fmt: skip
_EDGE_ARRAYS = ("parent", "child", "relation")


def _state(store: Store) -> dict[str, Any]:
    """What a snapshot of ``store`` must match to be used."""
    from lineage.store.schema import SCHEMA_VERSION

    return {
        "schema_version": SCHEMA_VERSION,
        "store_id": store.get_meta("store_id"),
        "data_version": store.data_version(),
    }


def save(lin: Lineage, path: Path) -> None:
    """Write ``lin`` (read from a store: it knows its ``data_version``) as a snapshot at ``path``."""
    from lineage.store.schema import SCHEMA_VERSION

    if lin.data_version is None or lin.rowid is None:
        raise ValueError("only a graph read from a store can be saved as its snapshot")
    ids = lin.ids if isinstance(lin.ids, IdColumn) else IdColumn.build(lin.ids)
    arrays: dict[str, npt.NDArray[Any]] = {
        name: getattr(lin, name) for name in (*_NODE_ARRAYS, *_EDGE_ARRAYS)
    }
    arrays["ids_blob"], arrays["ids_offsets"] = ids.blob, ids.offsets
    arrays["ids_order"], arrays["ids_lower_order"] = ids.order, ids.lower_order
    for name, value in (("down", lin.down_csr), ("up", lin.up_csr)):
        for part, a in zip(("start", "nbr", "edge"), value, strict=True):
            arrays[f"{name}_{part}"] = a
    arrays["levels"] = lin.levels
    arrays["root_start"], arrays["root_ids"] = lin.root_pairs
    meta = {
        "state": {
            "schema_version": SCHEMA_VERSION,
            "store_id": lin.store_id,
            "data_version": lin.data_version,
        },
        "pipeline_labels": lin.pipeline_labels,
        "library_labels": lin.library_labels,
        "bulk_labels": lin.bulk_labels,
        "license_labels": lin.license_labels,
        "relation_labels": list(lin.relation_labels),
        "models": int((~lin.placeholder).sum()),
        "links": lin.n_edges,
        "id_split": ids.split,
    }
    write_arrays(path, arrays, meta)


def open_snapshot(store: Store, *, verify: bool = True) -> Lineage:
    """The graph of ``store`` from its snapshot; :class:`SnapshotError` if there is none, or it
    is stale, truncated or (``verify``) corrupted."""
    from lineage.graph.columnar import Lineage

    path = snapshot_path(store.path)
    header = read_header(path)
    if header["meta"].get("state") != _state(store):
        raise SnapshotError(f"{path} is out of date (the store changed since it was written)")
    arrays, meta = read_arrays(path, verify=verify)
    lin = Lineage(
        ids=IdColumn(
            arrays["ids_blob"], arrays["ids_offsets"], arrays["ids_order"], arrays["ids_lower_order"]
        ),
        pipeline_labels=list(meta["pipeline_labels"]),
        library_labels=list(meta["library_labels"]),
        bulk_labels=list(meta["bulk_labels"]),
        bulk_detection=store.bulk_detection(),  # the store's word: are these flags current?
        bulk_rules=store.bulk_rules(),
        license_labels=list(meta["license_labels"]),
        relation_labels=tuple(meta["relation_labels"]),
        store_path=str(store.path),
        simulated=store.is_simulated(),
        data_version=int(meta["state"]["data_version"]),
        store_id=meta["state"].get("store_id"),
        **cast(dict[str, Any], {name: arrays[name] for name in (*_NODE_ARRAYS, *_EDGE_ARRAYS)}),
    )
    # The derived arrays, as if computed (functools.cached_property reads the instance dict).
    lin.__dict__["down_csr"] = (arrays["down_start"], arrays["down_nbr"], arrays["down_edge"])
    lin.__dict__["up_csr"] = (arrays["up_start"], arrays["up_nbr"], arrays["up_edge"])
    lin.__dict__["levels"] = arrays["levels"]
    lin.__dict__["root_pairs"] = (arrays["root_start"], arrays["root_ids"])
    return lin


def load(store: Store, use: bool = True, verify: bool = True) -> Lineage:
    """The graph of ``store``: from its snapshot when usable, else read from the store (and the
    snapshot rewritten, when the folder allows; a failure to write is logged, not raised)."""
    from lineage.graph.columnar import Lineage

    if use:
        try:
            return open_snapshot(store, verify=verify)
        except SnapshotError as exc:
            log.info("graph snapshot not used: %s", exc)
    lin = Lineage._from_store(store)
    if use:
        try:
            save(lin, snapshot_path(store.path))
        except OSError as exc:
            log.warning("could not write the graph snapshot %s (%s)", snapshot_path(store.path), exc)
    return lin


def status(store: Store) -> str:
    """``up to date``, ``out of date``, ``missing`` or ``damaged`` (header only: cheap)."""
    try:
        header = read_header(snapshot_path(store.path))
    except SnapshotError as exc:
        return "missing" if "no snapshot" in str(exc) else "damaged"
    if snapshot_path(store.path).stat().st_size != header.get("size"):
        return "damaged"
    return "up to date" if header["meta"].get("state") == _state(store) else "out of date"


# -- caches of derived arrays (e.g. the root classification) ------------------------------------------
def _extra_path(lin: Lineage, name: str) -> Path | None:
    if lin.store_path is None or lin.data_version is None:
        return None
    return snapshot_path(lin.store_path, f".graph.{name}")


def load_extra(
    lin: Lineage, name: str, mode: Literal["r", "c"] = "r"
) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]] | None:
    """Arrays cached beside the snapshot for the state ``lin`` was read from, or None; ``mode``
    as for :func:`read_arrays`."""
    path = _extra_path(lin, name)
    if path is None:
        return None
    try:
        arrays, meta = read_arrays(path, mode=mode)
    except SnapshotError:
        return None
    same = (meta.get("data_version"), meta.get("store_id"), meta.get("nodes"))
    if same != (lin.data_version, lin.store_id, len(lin)):
        return None
    return arrays, meta


def save_extra(lin: Lineage, name: str, arrays: dict[str, npt.NDArray[Any]], meta: dict[str, Any]) -> None:
    """Cache ``arrays`` beside the snapshot, tagged with the state ``lin`` was read from (a
    failure to write is logged: it is only a cache)."""
    path = _extra_path(lin, name)
    if path is None:
        return
    try:
        tag = {"data_version": lin.data_version, "store_id": lin.store_id, "nodes": len(lin)}
        write_arrays(path, dict(arrays), {**meta, **tag})
    except OSError as exc:
        log.warning("could not cache %s beside the graph snapshot (%s)", name, exc)

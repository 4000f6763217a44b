"""One writer at a time per store: an advisory lock on ``<store>.lock``.

A crawl (and the demo, which replaces a store) holds the lock from start to end; a second
writer is refused at once with who holds it and since when. The lock is ``flock`` on a file
beside the store, so the kernel releases it when its holder exits in any way — ``kill -9``
included — and a stale lock can never block a store. The file itself stays (it holds the
last holder's description); deleting it while a writer runs would let a second writer in, so
:func:`~lineage.store.delete_store` leaves it alone.

Readers never take the lock: SQLite's WAL lets them read while a writer writes.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lineage.store.core import StoreBusyError
from lineage.times import now_iso

__all__ = ["holder", "lock_path", "writer_lock"]

if sys.platform != "win32":
    import fcntl


def lock_path(store: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(store)}.lock")


def holder(store: str | os.PathLike[str]) -> dict[str, object] | None:
    """Who holds (or last held) the lock of ``store``, as its holder wrote it; None if unknown."""
    try:
        data = json.loads(lock_path(store).read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_locked(store: str | os.PathLike[str]) -> bool:
    """True while a writer holds the lock of ``store``."""
    if sys.platform == "win32" or not lock_path(store).exists():
        return False
    with open(lock_path(store), "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


@contextmanager
def writer_lock(store: str | os.PathLike[str], purpose: str) -> Iterator[None]:
    """Hold the write lock of ``store`` for ``purpose`` (``crawl #3``, ``demo``) or raise
    :class:`~lineage.store.StoreBusyError` naming the holder."""
    if sys.platform == "win32":  # pragma: no cover - no flock; one writer is the user's job
        yield
        return
    path = lock_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+b")  # noqa: SIM115 (held for the whole block)
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            who = holder(store) or {}
            raise StoreBusyError(
                f"{store} is being written by {who.get('purpose', 'another process')} "
                f"(pid {who.get('pid', '?')} on {who.get('host', '?')}, since {who.get('since', '?')}); "
                "wait for it to finish, or stop it (an interrupted crawl resumes later)"
            ) from None
        fh.seek(0)
        fh.truncate()
        info = {"purpose": purpose, "pid": os.getpid(), "host": socket.gethostname(), "since": now_iso()}
        fh.write(json.dumps(info).encode())
        fh.flush()
        yield
    finally:
        fh.close()  # releases the lock

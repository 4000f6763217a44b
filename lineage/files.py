"""Writing files safely: whole or not at all, only regular files, with the user's permissions.

Every file lineage writes (exports, the graph snapshot) goes through :func:`atomic_write`: the
data goes to a hidden temporary file beside the target, which is renamed over the target
only when complete, so an interrupted write never leaves a truncated file under the final
name (and the temporary file is removed, even on Ctrl-C). A target that exists must be a
regular file: devices, FIFOs, sockets and directories are refused, never replaced (as root,
``-o /dev/null --force`` must not replace the machine's ``/dev/null``). The file gets the
permissions a plain ``open()`` would give (``0o666`` less the umask), not ``0o600``.

>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
>>> with atomic_write(target) as fh:
...     _ = fh.write(b"done")
>>> target.read_bytes()
b'done'
>>> check_target(pathlib.Path("/dev/null"))
Traceback (most recent call last):
...
lineage.files.TargetError: /dev/null is a character device, not a regular file: choose another path
"""

from __future__ import annotations

import contextlib
import glob
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from lineage.errors import InputError

__all__ = ["TargetError", "atomic_write", "check_target", "read_user_text", "umask_mode"]

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


class TargetError(InputError, OSError):
    """The path to write exists and is not a regular file."""


def umask_mode(base: int = 0o666) -> int:
    """``base`` less the process umask (what ``open()`` would create)."""
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


def check_target(path: Path) -> None:
    """Raise :class:`TargetError` if ``path`` exists and is not a regular file (symlinks are
    followed: a link to a regular file is fine)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    for test, kind in _KINDS:
        if test(mode):
            raise TargetError(f"{path} is {kind}, not a regular file: choose another path")


#: A temporary file untouched for this long was left by a writer that was killed.
ABANDONED_SECONDS = 3600


def _remove_abandoned(folder: Path, prefix: str) -> None:
    """Remove temporary files of earlier writes to the same target that were killed (SIGKILL
    leaves no chance to clean up): only old ones, so a concurrent writer's file is kept."""
    now = time.time()
    for old in folder.glob(f"{glob.escape(prefix)}*.part"):
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > ABANDONED_SECONDS:
                old.unlink()


@contextmanager
def atomic_write(path: Path) -> Iterator[IO[bytes]]:
    """A binary file to write ``path`` through: renamed into place when the block completes,
    removed if it fails. Refuses a target that is not a regular file."""
    path = Path(path)
    check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name[:40]}."
    _remove_abandoned(path.parent, prefix)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, umask_mode())
        with os.fdopen(fd, "wb", buffering=1 << 18) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        check_target(path)  # it may have been replaced while we wrote
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_user_text(path: str | os.PathLike[str], what: str, error: type[InputError]) -> str:
    """The UTF-8 text of a file the user named (the registry, the licence table): ``error``
    naming the file and the reason when it cannot be read (``what``: how messages call it)."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise error(f"{name}: cannot read {what}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{name}: not UTF-8 text: {exc}") from exc

"""Safe writes to the data folder: one writer at a time, and a file is always either its old or its new text.

Terms:
- *lock*: an exclusive `fcntl.flock` on the folder of the file (POSIX; no lock file is left behind). Every
  writer of `data/` (`import`, `merge`, ...) holds it from reading the old text to replacing the file, so two
  writers cannot both append to the same old text and lose one's papers (a *lost update*).
- *atomic write*: the new text goes to a temporary file in the same folder, is flushed to disk (fsync), then
  `os.replace`s the file and the folder is fsynced, so a crash leaves the old file or the new one.
- *stale temporary file*: `.<name>.*.tmp` (or the older `<name>.tmp`) left by a writer that was killed; removed
  by the next writer while it holds the lock, when no other writer can be using it.
- A symlinked file is written through: the link's target is replaced and the link stays a link.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import DataWriteError


def _fail(path: Path, exc: OSError) -> DataWriteError:
    reason = exc.strerror or type(exc).__name__
    return DataWriteError(f"cannot write {path}: {reason}; check that the folder {path.parent} exists and is writable (nothing was changed)")


@contextmanager
def write_lock(path: str | Path) -> Iterator[Path]:
    """Hold the writers' lock of `path`'s folder; yields the path with symlinks resolved (the file to replace).

    Waits for another writer to finish. Stale temporary files of the file are removed once the lock is held.
    """
    target = Path(path).resolve()
    try:
        folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise _fail(target, exc) from exc
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        for stale in [*target.parent.glob(f".{target.name}.*.tmp"), target.parent / f"{target.name}.tmp"]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        os.close(folder)
        raise _fail(target, exc) from exc
    try:
        yield target
    finally:
        os.close(folder)  # closing the descriptor releases the lock


def write_atomic(target: Path, text: str) -> None:
    """Replace `target` by `text` (UTF-8) in one step; call it inside `write_lock`, with the path it yields."""
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _fail(target, exc) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)  # mkstemp makes 0600; keep the file's own mode
        os.replace(tmp, target)
        folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)  # makes the rename itself durable
        finally:
            os.close(folder)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _fail(target, exc) from exc

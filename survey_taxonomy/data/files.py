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
- *mode*: a replaced file keeps its mode; a new one gets the folder's read and write bits (0644 in a 0755
  folder), not the 0600 of a temporary file.
- *table*: a CSV file of the data folder (`citations.csv`, `citation_counts.csv`, `abstracts.csv`), read by
  `read_table` with each row's line number, so every reader names the line of a bad row.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import DataWriteError
from .records import Problem


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
        # mkstemp makes 0600: keep the file's own mode, or give a new file the folder's (without execute bits),
        # so that a file a refresh creates is as readable as the rest of the data folder.
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else target.parent.stat().st_mode & 0o666)
        os.replace(tmp, target)
        folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)  # makes the rename itself durable
        finally:
            os.close(folder)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _fail(target, exc) from exc


def read_table(path: Path, columns: Sequence[str], required: Sequence[str] | None = None) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """The rows of a CSV table with their line numbers, cells stripped ("" for a missing cell); a missing file has
    none. A file that cannot be read, or lacks a `required` column (all `columns` by default), is one problem."""
    if not path.exists():
        return [], []
    hint = "header must be " + ",".join(columns)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in (columns if required is None else required) if c not in (reader.fieldnames or [])]
            if missing:
                return [], [Problem(f"missing columns {missing}", path.name, 1, hint=hint)]
            # A short row leaves the missing cells None, a long one puts the extra cells under the key None.
            rows = [(reader.line_num, {c: (row.get(c) or "").strip() for c in columns}) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [], [Problem(f"cannot be read: {exc}", path.name, hint="save it as UTF-8 CSV with the " + hint)]
    return rows, []


def format_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The text of a CSV table: the header, then `rows` in the order given (callers sort, so that the same data
    give the same bytes and a rerun changes nothing)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()

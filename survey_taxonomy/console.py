"""What every command of the CLI shares: problems printed to stderr, output written to a file or stdout.

The command modules (`cli`, `submissions.commands`, `citations_cli`, `models.commands`) import this, and `cli`
imports them to build its parser, so no command module needs `cli` and the imports stay acyclic.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import DataWriteError
from .records import Problem


def print_problems(problems: Sequence[Problem]) -> None:
    """Each problem on its own stderr line, prefixed by its severity."""
    for problem in problems:
        print(f"{problem.severity}: {problem}", file=sys.stderr)


def write_output(text: str, out: str | None) -> None:
    """`text` into the file `out`, or to stdout without one; raises `DataWriteError` naming the file."""
    if out:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise DataWriteError(f"cannot write {out}: {exc.strerror or exc}; does the folder {Path(out).parent} exist and is it writable?") from exc
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)

"""What every command of the CLI shares: problems printed to stderr, output written to a file or stdout.

The command modules (`cli`, `submissions.commands`, `sources.commands`, `models.commands`) import this, and `cli`
imports them to build its parser, so no command module needs `cli` and the imports stay acyclic.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .data.records import Problem
from .errors import DataWriteError

# ANSI/VT escape sequences (CSI, OSC, and two-character ones), then any other control character but newline and tab.
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(text: str) -> str:
    r"""`text` safe to print on a terminal: escape sequences and control characters (from a hostile title or
    error message) removed, so that nothing can move the cursor, recolour, retitle or clear the screen.

    >>> terminal_text("ok \x1b[2J\x1b]0;pwned\x07title\x07\r\nnext\tline")
    'ok title\nnext\tline'
    """
    return _CONTROL.sub("", _ESCAPE.sub("", text))


def print_problems(problems: Sequence[Problem]) -> None:
    """Each problem on its own stderr line, prefixed by its severity (a problem may quote a hostile value)."""
    for problem in problems:
        print(terminal_text(f"{problem.severity}: {problem}"), file=sys.stderr)


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


def read_bib(path: Path) -> str | None:
    """The text of a .bib file a command was given, or None after saying on stderr why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {path}: {exc}; give the path of a UTF-8 .bib file", file=sys.stderr)
        return None

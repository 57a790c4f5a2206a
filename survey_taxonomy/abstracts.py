"""Abstracts: the authors' own abstract of a paper, as a scholarly index gives it, with where and when it was read.

Terms:
- *abstract*: plain text from OpenAlex (rebuilt from its inverted index) or Semantic Scholar, fetched by
  `citations refresh` with the other metadata and kept in `abstracts.csv`, one row per paper and provider. It is
  the authors' text, shown as such on a paper's page; the dataset's `summary` stays our own words.
- Nothing is typed in by hand: a paper has an abstract only once a refresh on a machine with internet read one.
- *plain*: what the refresh writes is cleaned first (`plain_abstract`: no tags, control or invisible
  characters, one line, at most `LIMIT` characters); the reader still checks every row, as for any file a person
  may edit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .files import format_table, read_table
from .provenance import PROVIDERS, check_provenance
from .records import Problem, Where
from .validation import CONTROL, INVISIBLE, MAX_LENGTH, check_text
from .words import clipped

ABSTRACTS_FILE = "abstracts.csv"
ABSTRACT_COLUMNS = ("key", "provider", "work_id", "retrieved", "abstract")
LIMIT = MAX_LENGTH["abstract"]
_TAG = re.compile(r"<[^>]{0,200}>")


@dataclass(frozen=True)
class Abstract:
    """Paper `key`'s abstract `text`, as `provider` (its work `work_id`) gave it on day `retrieved`."""

    key: str
    provider: str
    work_id: str
    retrieved: str
    text: str

    @property
    def label(self) -> str:
        """For people: "From OpenAlex (W123), fetched 2026-05-01"."""
        return f"From {PROVIDERS.get(self.provider, self.provider)} ({self.work_id}), fetched {self.retrieved}"


def plain_abstract(text: str) -> str:
    """An index's abstract as one line of plain text: tags (JATS `<jats:p>`), control and invisible characters
    dropped, spaces collapsed, cut at a word before `LIMIT` characters; "" when what is left would still fail
    `check_text` (a `javascript:` or an `onload=` in the text).

    >>> plain_abstract("<jats:p>Small models\\u200b  help.</jats:p>\\n"), plain_abstract("See javascript:alert(1)")
    ('Small models help.', '')
    """
    text = " ".join(INVISIBLE.sub("", CONTROL.sub(" ", _TAG.sub(" ", text))).split())
    text = clipped(text, LIMIT)
    return "" if check_text(text, "abstract", {}) else text  # what would still read as markup is not kept


def read_abstracts(path: Path) -> tuple[list[Abstract], list[Problem]]:
    """Read `abstracts.csv`; a missing file means no abstracts. Bad rows are problems with their line."""
    rows, problems = read_table(path, ABSTRACT_COLUMNS)
    abstracts = []
    for line, row in rows:
        key, provider, work_id, retrieved, text = (row[c] for c in ABSTRACT_COLUMNS)
        where: Where = {"source": path.name, "line": line, "key": key}
        why = check_provenance(provider, [("work_id", work_id)], retrieved) or ("needs a key" if not key else "") or ("needs the abstract" if not text else "")
        if why:
            problems.append(Problem(why, hint="rerun `python -m survey_taxonomy citations refresh`", **where))
            continue
        text_problems = check_text(text, "abstract", where)
        if text_problems:
            problems += text_problems
            continue
        abstracts.append(Abstract(key, provider, work_id, retrieved, text))
    return abstracts, problems


def format_abstracts(abstracts: Iterable[Abstract]) -> str:
    """The text of `abstracts.csv`, sorted by key and provider so that the same abstracts give the same bytes."""
    return format_table(ABSTRACT_COLUMNS, ((a.key, a.provider, a.work_id, a.retrieved, a.text) for a in sorted(abstracts, key=lambda a: (a.key, a.provider))))


def abstract_of(abstracts: Sequence[Abstract], key: str) -> Abstract | None:
    """The abstract to show for paper `key`: OpenAlex's, else Semantic Scholar's (the order of `PROVIDERS`)."""
    found = {a.provider: a for a in abstracts if a.key == key}
    return next((found[p] for p in PROVIDERS if p in found), None)

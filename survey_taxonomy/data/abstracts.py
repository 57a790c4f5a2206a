"""Abstracts: the authors' own abstract of a paper, as a scholarly index gives it, with where and when it was read.

Terms:
- *abstract*: plain text from OpenAlex (rebuilt from its inverted index) or Semantic Scholar, fetched by
  `citations refresh` with the other metadata and kept in `abstracts.csv`, one row per paper and provider. It is
  the authors' text, shown as such on a paper's page; the dataset's `summary` stays our own words.
- Nothing is typed in by hand: a paper has an abstract only once a refresh on a machine with internet read one.
- *plain*: text from an index is cleaned once, where a source builds its record (`sources.base`), by
  `plain_text` (titles) and `plain_abstract`: HTML entities decoded, double-escaped ones too (`&amp;lt;`),
  tags and control or invisible characters dropped, one line; an abstract also loses a leading "Abstract"
  heading, is cut at `LIMIT` characters and is dropped when shorter than `MIN_WORDS` words (a placeholder such
  as "." or "No abstract"). The reader still checks every row, as for any file a person may edit.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .counts import PROVIDERS, check_provenance
from .files import format_table, read_table
from .records import Problem, Where
from .validation import CONTROL, INVISIBLE, MAX_LENGTH, check_text
from .words import clipped

ABSTRACTS_FILE = "abstracts.csv"
ABSTRACT_COLUMNS = ("key", "provider", "work_id", "retrieved", "abstract")
LIMIT = MAX_LENGTH["abstract"]
MIN_WORDS = 6
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]{0,200}>")  # a tag starts with a letter: "(<5%)" in an abstract is text
# A heading before the text: "Abstract:", "Summary -", or "Abstract" before a capital (OpenAlex's inverted index
# keeps a JATS heading as the first word: "Abstract Large language models ..."), once tags are gone.
_HEADING = re.compile(r"^(?:abstract|summary)\s*[:.\u2014\u2013-]\s*|^(?-i:(?:Abstract|ABSTRACT)\s+(?=[A-Z0-9]))", re.IGNORECASE)


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


def plain_text(text: str) -> str:
    """Text from an index as one line of plain text: entities decoded (twice-escaped ones too), tags, control
    and invisible characters dropped, spaces collapsed.

    >>> plain_text("Small &amp;lt;b&amp;gt;models&amp;lt;/b&amp;gt; &amp;amp; <i>large</i>\u200b ones")
    'Small models & large ones'
    """
    for _ in range(3):  # an entity escaped twice needs two passes; a third finds nothing left
        cleaned = html.unescape(_TAG.sub(" ", text))
        if cleaned == text:
            break
        text = cleaned
    text = _TAG.sub(" ", text)
    return " ".join(INVISIBLE.sub("", CONTROL.sub(" ", text)).split())


def plain_abstract(text: str) -> str:
    """An index's abstract as `plain_text` without a leading heading, cut at a word before `LIMIT` characters;
    "" when fewer than `MIN_WORDS` words are left, or what is left would still fail `check_text` (a
    `javascript:` or an `onload=` in the text).

    >>> plain_abstract("<jats:title>Abstract</jats:title><jats:p>Small models\u200b  help large ones in many ways.</jats:p>")
    'Small models help large ones in many ways.'
    >>> plain_abstract("See javascript:alert(1) in this abstract here"), plain_abstract(".")
    ('', '')
    >>> plain_abstract("Abstract reasoning is what small models lack most.")
    'Abstract reasoning is what small models lack most.'
    """
    text = _HEADING.sub("", plain_text(text), count=1)
    if len(text.split()) < MIN_WORDS:
        return ""
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

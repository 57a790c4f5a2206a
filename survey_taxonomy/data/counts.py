"""The citation counts file and the provenance rules shared by every file a refresh writes.

Terms:
- *provider*: a scholarly index that `citations refresh` asks (`PROVIDERS`); a row from one names it, with the
  work ids it read and the day the answer was fetched (`retrieved`, YYYY-MM-DD), checked by `check_provenance`.
- *citation count*: how many works cite a paper according to one provider on one day (`citation_counts.csv`).

This module sits below `corpus` (which reads these files); `provenance` answers questions about a loaded corpus.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .files import format_table, read_table
from .records import Problem
from .validation import OPENALEX_WORK, S2_PAPER

PROVIDERS: dict[str, str] = {"openalex": "OpenAlex", "semanticscholar": "Semantic Scholar"}
WORK_ID = {"openalex": OPENALEX_WORK, "semanticscholar": S2_PAPER}
COUNTS_FILE = "citation_counts.csv"
COUNT_COLUMNS = ("key", "provider", "work_id", "count", "retrieved")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class CitationCount:
    """`count` works cite paper `key`, says `provider` (its work `work_id`) on day `retrieved`."""

    key: str
    provider: str
    work_id: str
    count: int
    retrieved: str

    @property
    def label(self) -> str:
        """For people: "cited by 42 (OpenAlex, 2026-05-01)"."""
        return f"cited by {self.count} ({PROVIDERS.get(self.provider, self.provider)}, {self.retrieved})"


def check_provenance(provider: str, ids: Sequence[tuple[str, str]], retrieved: str) -> str:
    """Why a provider's provenance is unusable ("" when it is fine): unknown provider, bad work id, bad date.

    `ids` are (column, value) pairs. Shared by the readers of `citations.csv` and `citation_counts.csv`.

    >>> check_provenance("openalex", [("work_id", "W12")], "2026-05-01"), check_provenance("crossref", [], "2026-05-01")
    ('', "unknown provider 'crossref'; use one of openalex, semanticscholar")
    """
    if provider not in PROVIDERS:
        return f"unknown provider {provider[:40]!r}; use one of {', '.join(PROVIDERS)}"
    for column, value in ids:
        if not WORK_ID[provider].fullmatch(value):
            return f"{column} {value[:60]!r} is not a work id of {PROVIDERS[provider]}"
    if not _DATE.fullmatch(retrieved):
        return f"retrieved {retrieved[:20]!r} is not a date; write YYYY-MM-DD"
    try:
        dt.date.fromisoformat(retrieved)
    except ValueError:
        return f"retrieved {retrieved!r} is not a day of the calendar"
    return ""


def read_citation_counts(path: Path) -> tuple[list[CitationCount], list[Problem]]:
    """Read `citation_counts.csv`; a missing file means no counts. Bad rows are problems with their line."""
    rows, problems = read_table(path, COUNT_COLUMNS)
    counts = []
    for line, row in rows:
        key, provider, work_id, count, retrieved = (row[c] for c in COUNT_COLUMNS)
        why = check_provenance(provider, [("work_id", work_id)], retrieved)
        if not why and not count.isdigit():
            why = f"count {count[:20]!r} is not a whole number"
        if not key or why:
            problems.append(Problem(why or "needs a key", path.name, line, key, hint="rerun `python -m survey_taxonomy citations refresh`"))
            continue
        counts.append(CitationCount(key, provider, work_id, int(count), retrieved))
    return counts, problems


def format_citation_counts(counts: Iterable[CitationCount]) -> str:
    """The text of `citation_counts.csv`, sorted by key and provider so that the same counts give the same bytes."""
    return format_table(COUNT_COLUMNS, ((c.key, c.provider, c.work_id, c.count, c.retrieved) for c in sorted(counts, key=lambda c: (c.key, c.provider))))

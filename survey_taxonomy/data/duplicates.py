"""Duplicate detection for new papers: same arXiv id or DOI, or a title that is nearly the same.

Identifiers are compared in the form `validation.arxiv_key` and `validation.doi_key` give them (every arXiv
version is the same paper, DOIs are case-insensitive). Titles are compared after normalisation (lowercase,
accents and punctuation removed) with rapidfuzz's `ratio`; a score of `TITLE_THRESHOLD` or more is called a
near duplicate, 100 an exact one. The rule that decides what a duplicate means for a new paper is
`acceptance.check_papers`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from .records import Paper
from .validation import arxiv_key, doi_key

TITLE_THRESHOLD = 90.0


@dataclass(frozen=True)
class Match:
    """`paper` looks like `other`: `kind` is 'arxiv', 'doi' or 'title', `score` 0..100."""

    kind: str
    other_key: str
    other_title: str
    score: float

    @property
    def is_exact(self) -> bool:
        return self.kind in ("arxiv", "doi") or self.score >= 100.0

    def describe(self) -> str:
        what = {"arxiv": "the same arXiv id as", "doi": "the same DOI as"}.get(self.kind, f"a title {self.score:.0f}% similar to")
        return f"has {what} {self.other_key!r} ({self.other_title[:80]})"


@lru_cache(maxsize=65536)
def normalise_title(title: str) -> str:
    """Lowercase ASCII words only, so that punctuation and accents never hide a duplicate. Cached: the review
    queue checks each submission of a page against the same dataset and open submissions.

    >>> normalise_title("Fast Inference from Transformers via Speculative Decoding!")
    'fast inference from transformers via speculative decoding'
    """
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


class DuplicateIndex:
    """Lookup structure over existing (and pending) papers, built once and queried per new paper.

    `add` grows it, so a batch can be checked against itself in one pass. With `near_titles=False` only exact
    (normalised) titles match: a dict look-up instead of a fuzzy scan, for checks over a whole dataset.
    """

    def __init__(self, papers: Iterable[Paper] = (), *, near_titles: bool = True):
        self.near_titles = near_titles
        self.papers: list[Paper] = []
        self.arxiv: dict[str, Paper] = {}
        self.doi: dict[str, Paper] = {}
        self.titles: list[str] = []
        self._exact_titles: dict[str, Paper] = {}
        for paper in papers:
            self.add(paper)

    def add(self, paper: Paper) -> None:
        """Index one more paper (the first paper with an identifier keeps it)."""
        self.papers.append(paper)
        if paper.arxiv:
            self.arxiv.setdefault(arxiv_key(paper.arxiv), paper)
        if paper.doi:
            self.doi.setdefault(doi_key(paper.doi), paper)
        title = normalise_title(paper.title)
        self.titles.append(title)
        if title:
            self._exact_titles.setdefault(title, paper)

    def matches(self, paper: Paper) -> list[Match]:
        """Every indexed paper that `paper` duplicates, strongest evidence first."""
        found: list[Match] = []
        if paper.arxiv and (other := self.arxiv.get(arxiv_key(paper.arxiv))) is not None:
            found.append(Match("arxiv", other.key, other.title, 100.0))
        if paper.doi and (other := self.doi.get(doi_key(paper.doi))) is not None:
            found.append(Match("doi", other.key, other.title, 100.0))
        title = normalise_title(paper.title)
        if not title:
            return found
        if not self.near_titles:
            same = self._exact_titles.get(title)
            if same is not None and all(m.other_key != same.key for m in found):
                found.append(Match("title", same.key, same.title, 100.0))
            return found
        for _, score, i in process.extract(title, self.titles, scorer=fuzz.ratio, score_cutoff=TITLE_THRESHOLD, limit=3):
            other = self.papers[i]
            if all(m.other_key != other.key for m in found):
                found.append(Match("title", other.key, other.title, float(score)))
        return found

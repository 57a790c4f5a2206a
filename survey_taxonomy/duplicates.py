"""Duplicate detection for new papers: same arXiv id or DOI, or a title that is nearly the same.

Titles are compared after normalisation (lowercase, accents and punctuation removed) with rapidfuzz's
`ratio`; a score of `TITLE_THRESHOLD` or more is called a near duplicate, 100 an exact one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .records import Paper

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


def normalise_title(title: str) -> str:
    """Lowercase ASCII words only, so that punctuation and accents never hide a duplicate.

    >>> normalise_title("Fast Inference from Transformers via Speculative Decoding!")
    'fast inference from transformers via speculative decoding'
    """
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _arxiv_base(value: str) -> str:
    return re.sub(r"v\d+$", "", value.strip().lower())


class DuplicateIndex:
    """Lookup structure over existing (and pending) papers, built once and queried per new paper."""

    def __init__(self, papers: Iterable[Paper]):
        self.papers = list(papers)
        self.arxiv = {_arxiv_base(p.arxiv): p for p in self.papers if p.arxiv}
        self.doi = {p.doi.strip().lower(): p for p in self.papers if p.doi}
        self.titles = [normalise_title(p.title) for p in self.papers]

    def matches(self, paper: Paper) -> list[Match]:
        """Every existing paper that `paper` duplicates, strongest evidence first."""
        found: list[Match] = []
        if paper.arxiv and _arxiv_base(paper.arxiv) in self.arxiv:
            other = self.arxiv[_arxiv_base(paper.arxiv)]
            found.append(Match("arxiv", other.key, other.title, 100.0))
        if paper.doi and paper.doi.strip().lower() in self.doi:
            other = self.doi[paper.doi.strip().lower()]
            found.append(Match("doi", other.key, other.title, 100.0))
        title = normalise_title(paper.title)
        if title:
            for _, score, i in process.extract(title, self.titles, scorer=fuzz.ratio, score_cutoff=TITLE_THRESHOLD, limit=3):
                other = self.papers[i]
                if all(m.other_key != other.key for m in found):
                    found.append(Match("title", other.key, other.title, float(score)))
        return found

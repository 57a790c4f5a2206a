"""The one interface every scholarly source implements, and the rules they share.

Terms:
- *work*: a source's record of a paper (`Work`): its id in that source, title, year, external ids, citation count
  and, when asked for, the ids of the works it cites (`references`).
- *resolve*: find the work of each dataset paper, in this order, each step only for papers still unresolved: the
  arXiv id, the DOI, then a title search whose best hit is accepted only when it *matches* (`is_same_paper`).
  Look-ups are batched (`batch_size` ids per request); a title search costs one request per paper. The ids a
  refresh stores in the entries (`openalex`, `s2`) are not used to resolve: starting from the same arXiv ids
  and DOIs every time makes a rerun send the very requests the cache already answered.
- *match*: the normalised titles (`duplicates.normalise_title`) are at least `TITLE_MATCH` % alike (rapidfuzz
  `ratio`) and the years are equal. A preprint and its proceedings version can differ by a year; such a
  paper stays unresolved rather than be joined to a work that may be another paper.
- *citing works*: works that cite at least one of some given works, with `references` holding at least those
  of the given ids they cite.
- *progress*: `progress(stage, done, total)`, called as each step advances, for a terminal bar or a page.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, TypeVar

from rapidfuzz import fuzz

from ..duplicates import normalise_title
from ..records import Paper
from .http import HttpClient

Progress = Callable[[str, int, int], None]
TITLE_MATCH = 95.0
LOOKUPS = ("arxiv", "doi")  # the batched steps of `resolve`, in order; the title search comes last
T = TypeVar("T")


@dataclass(frozen=True)
class Work:
    """One paper as a source knows it; `references` is None when they were not asked for."""

    source: str
    id: str
    title: str
    year: int | None = None
    date: str = ""  # publication date, YYYY-MM-DD, when the source gives one
    doi: str = ""
    arxiv: str = ""
    authors: tuple[str, ...] = ()
    abstract: str = ""  # the authors' abstract, plain text ("" when the source has none)
    tldr: str = ""  # a one-sentence summary where the source writes one (Semantic Scholar's TL;DR)
    citation_count: int | None = None
    references: tuple[str, ...] | None = None
    retrieved: dt.date | None = None  # the day the answer holding this record came from the network
    matched_by: str = ""  # how `resolve` found it: arxiv, doi or title

    @property
    def gist(self) -> str:
        """One sentence about the paper: the TL;DR, else the abstract's first sentence."""
        return self.tldr or first_sentence(self.abstract)


def is_same_paper(paper: Paper, title: str, year: int | None) -> bool:
    """Whether a search hit (`title`, `year`) is `paper`: nearly the same title and the same year.

    >>> p = Paper("k", "Fast Inference from Transformers via Speculative Decoding", year=2023)
    >>> is_same_paper(p, "Fast inference from transformers via speculative decoding.", 2023), is_same_paper(p, p.title, 2022)
    (True, False)
    """
    if paper.year is None or year != paper.year:
        return False
    return fuzz.ratio(normalise_title(paper.title), normalise_title(title)) >= TITLE_MATCH


def bare_arxiv(value: str) -> str:
    """The arXiv id without its version, which the sources index under the unversioned id.

    >>> bare_arxiv("2211.17192v3")
    '2211.17192'
    """
    return re.sub(r"v\d+$", "", value.strip())


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ScholarlySource(ABC):
    """A client of one scholarly API; subclasses give its name, id field and the four requests below."""

    name: ClassVar[str]  # the provider name stored in the data files: openalex, semanticscholar
    label: ClassVar[str]  # for people: OpenAlex, Semantic Scholar
    id_field: ClassVar[str]  # the BibTeX field that stores this source's id
    batch_size: ClassVar[int]

    def __init__(self, http: HttpClient, base_url: str, progress: Progress | None = None):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.progress = progress or (lambda stage, done, total: None)

    @abstractmethod
    def work_url(self, work_id: str) -> str:
        """The public page of a work (what the data files name as provenance)."""

    @abstractmethod
    def _lookup(self, kind: str, values: Sequence[str], references: bool) -> dict[str, Work]:
        """Works for at most `batch_size` values of one kind (id, arxiv, doi), keyed by the value asked for."""

    @abstractmethod
    def _search_title(self, paper: Paper, references: bool) -> Work | None:
        """The work whose title matches `paper` (`is_same_paper`), if the source finds one."""

    @abstractmethod
    def citing(self, ids: Sequence[str], since: dt.date | None = None) -> list[Work]:
        """Works that cite any of `ids` (published on or after `since`), each with the ids of `ids` it cites."""

    def resolve(self, papers: Sequence[Paper], references: bool = True) -> dict[str, Work]:
        """The work of each paper that can be found (see the module docstring), by key; `references` fetches them too."""
        values: dict[str, Callable[[Paper], str]] = {"arxiv": lambda p: bare_arxiv(p.arxiv), "doi": lambda p: p.doi.lower()}
        found: dict[str, Work] = {}
        for kind in LOOKUPS:
            wanted = {p.key: values[kind](p) for p in papers if p.key not in found and values[kind](p)}
            batches = list(chunks(sorted(set(wanted.values())), self.batch_size))
            works: dict[str, Work] = {}
            for done, batch in enumerate(batches, 1):
                works |= self._lookup(kind, batch, references)
                self.progress(f"{self.label}: look up by {kind}", done, len(batches))
            found |= {key: replace(works[value], matched_by=kind) for key, value in wanted.items() if value in works}
        rest = [p for p in papers if p.key not in found and p.title]
        for done, paper in enumerate(rest, 1):
            work = self._search_title(paper, references)
            if work is not None:
                found[paper.key] = replace(work, matched_by="title")
            self.progress(f"{self.label}: search by title", done, len(rest))
        return found

    def works(self, ids: Sequence[str]) -> dict[str, Work]:
        """The works of these ids (without references), by id; unknown ids are left out."""
        batches = list(chunks(sorted(set(ids)), self.batch_size))
        out: dict[str, Work] = {}
        for done, batch in enumerate(batches, 1):
            out |= self._lookup("id", batch, False)
            self.progress(f"{self.label}: fetch works", done, len(batches))
        return out


def first_sentence(text: str, limit: int = 400) -> str:
    """The first sentence of `text` (at most `limit` characters, cut at a word), for a one-line summary.

    >>> first_sentence("We route queries. Then we test it.")
    'We route queries.'
    """
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z])", text)
    sentence = text[: match.start()] if match else text
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + "…"
    return sentence


def merge_works(works: Mapping[str, Work], more: Sequence[Work]) -> dict[str, Work]:
    """`works` plus `more`, by id; a work seen twice keeps the union of its references (citing queries overlap)."""
    out = dict(works)
    for work in more:
        old = out.get(work.id)
        if old is not None and old.references is not None and work.references is not None:
            work = replace(work, references=tuple(dict.fromkeys([*old.references, *work.references])))
        out[work.id] = work
    return out

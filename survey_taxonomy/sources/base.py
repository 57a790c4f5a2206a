"""The one interface every scholarly source implements, and the rules they share.

Terms:
- *work*: a source's record of a paper (`Work`): its id in that source, title, year, external ids, citation count
  and, when asked for, the ids of the works it cites (`references`).
- *resolve*: find the work of each dataset paper, in this order: the arXiv id, the publisher DOI (also for a
  paper found by its arXiv id: see *versions*), then, for papers still unresolved, a title search whose best
  hit is accepted only when it *matches* (`is_same_paper`).
  Look-ups are batched (`batch_size` ids per request); a title search costs one request per paper. The ids a
  refresh stores in the entries (`openalex`, `s2`) are not used to resolve: starting from the same arXiv ids
  and DOIs every time makes a rerun send the very requests the cache already answered.
- *match*: the normalised titles (`duplicates.normalise_title`) are at least `TITLE_MATCH` % alike (rapidfuzz
  `ratio`) and the years are equal. A preprint and its proceedings version can differ by a year; such a
  paper stays unresolved rather than be joined to a work that may be another paper.
- *citing works*: works that cite at least one of some given works, with `references` holding at least those
  of the given ids they cite.
- *versions*: an arXiv preprint and its publisher version can be two works of one source (OpenAlex files the
  arXiv version under its DataCite DOI, often with no `referenced_works`). A paper with both an arXiv id and a
  publisher DOI is looked up both ways, and two different works are joined (`join_versions`): the publisher
  version's id, facts and citation count, the arXiv id, and the references of both (each reference remembers
  the version that lists it). Two works *are versions* (`are_versions`) when they share an arXiv id or DOI, or
  have the same title (a leading "Name:" aside), a common author and years at most one apart.
- *checked*: a work is used only when the data files' readers would accept what is written of it (the work
  id's grammar of `validation`, a count that is a whole number >= 0); what is refused is noted.
- *notes*: what a source left out or cut short (a paging cap, a refused id), for the run's report.
- *since*: `Since`, a day, month or year; a work passes when its date, at that precision, is not earlier. A
  date of 1 January is taken as a year only (OpenAlex dates preprints it knows by year YYYY-01-01).
- *progress*: `progress(stage, done, total)`, called as each step advances, for a terminal bar or a page.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, ClassVar, TypeVar

from rapidfuzz import fuzz

from ..data.abstracts import plain_abstract
from ..data.counts import WORK_ID
from ..data.duplicates import normalise_title
from ..data.records import Paper
from ..data.words import first_sentence
from ..errors import SourceError
from .http import Cancelled, HttpClient

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
    versions: tuple[str, ...] = ()  # ids of the other works of this source that are the same paper
    cited_via: tuple[str, ...] = ()  # per reference, the version that lists it ("" = this work)

    @property
    def gist(self) -> str:
        """One sentence about the paper: the TL;DR, else the abstract's first sentence."""
        return self.tldr or first_sentence(self.abstract)

    @property
    def ids(self) -> tuple[str, ...]:
        """This work's id and those of its other versions."""
        return (self.id, *self.versions)

    def listed_by(self, ref: str) -> str:
        """The id of the version whose reference list holds `ref`."""
        refs = self.references or ()
        if ref in refs and self.cited_via:
            return self.cited_via[refs.index(ref)] or self.id
        return self.id

    @property
    def is_preprint(self) -> bool:
        """An arXiv version: no DOI, or arXiv's DataCite DOI."""
        return not self.doi or self.doi.startswith(ARXIV_DOI_PREFIX)


ARXIV_DOI_PREFIX = "10.48550/"


@dataclass(frozen=True)
class Since:
    """A lower bound on publication dates, as precise as it was written: a year, a month or a day.

    >>> s = Since.parse("2025")
    >>> s.admits("2025-01-01", 2025), s.admits("", 2025), s.admits("2024-12-31", 2024)
    (True, True, False)
    >>> Since.parse("2025-03").admits("2025-03-31", 2025), Since.parse("2025-03-15").admits("2025-01-01", 2025)
    (True, True)
    >>> Since.parse("2025-13")
    Traceback (most recent call last):
    ValueError: '2025-13' is not a day of the calendar (month must be in 1..12); write YYYY, YYYY-MM or YYYY-MM-DD
    """

    text: str  # YYYY, YYYY-MM or YYYY-MM-DD

    @classmethod
    def parse(cls, value: str) -> Since:
        """Read `value`; raises ValueError naming the forms allowed."""
        value = value.strip()
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
            raise ValueError(f"{value[:40]!r} is not a date; write YYYY, YYYY-MM or YYYY-MM-DD")
        try:
            dt.date.fromisoformat((value + "-01-01")[:10])
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a day of the calendar ({exc}); write YYYY, YYYY-MM or YYYY-MM-DD") from exc
        return cls(value)

    @property
    def first_day(self) -> dt.date:
        """The earliest day a work may carry and still pass (a year-only date is 1 January)."""
        return dt.date(int(self.text[:4]), 1, 1)

    def admits(self, date: str, year: int | None) -> bool:
        """Whether a work dated `date` (YYYY-MM-DD or "") of `year` is published on or after this bound."""
        known = date if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date or "") and not date.endswith("-01-01") else ""
        if known:
            return known[: len(self.text)] >= self.text
        return (year if year is not None else int(date[:4]) if date[:4].isdigit() else 0) >= int(self.text[:4])


def is_same_paper(paper: Paper, title: str, year: int | None) -> bool:
    """Whether a search hit (`title`, `year`) is `paper`: nearly the same title and the same year.

    >>> p = Paper("k", "Fast Inference from Transformers via Speculative Decoding", year=2023)
    >>> is_same_paper(p, "Fast inference from transformers via speculative decoding.", 2023), is_same_paper(p, p.title, 2022)
    (True, False)
    """
    if paper.year is None or year != paper.year:
        return False
    return fuzz.ratio(normalise_title(paper.title), normalise_title(title)) >= TITLE_MATCH


def _family_names(authors: Sequence[str]) -> set[str]:
    return {normalise_title(a).split()[-1] for a in authors if normalise_title(a)}


def _core_title(title: str) -> str:
    """The normalised title without a leading "Name:" (ChemCrow: Augmenting ... -> augmenting ...)."""
    head, sep, rest = title.partition(":")
    return normalise_title(rest if sep and len(head.split()) <= 2 and rest.strip() else title)


def are_versions(a: Work, b: Work) -> bool:
    """Whether two works are one paper (see the module docstring).

    >>> pre = Work("openalex", "W1", "ChemCrow: Augmenting large-language models with chemistry tools", 2023, authors=("Andres M. Bran",))
    >>> pub = Work("openalex", "W2", "Augmenting large language models with chemistry tools", 2024, authors=("Andrés M. Bran",))
    >>> are_versions(pre, pub), are_versions(pre, replace(pub, authors=("Someone Else",)))
    (True, False)
    """
    if (a.arxiv and bare_arxiv(a.arxiv) == bare_arxiv(b.arxiv)) or (a.doi and a.doi == b.doi):
        return True
    if a.year is None or b.year is None or abs(a.year - b.year) > 1:
        return False
    same_title = fuzz.ratio(_core_title(a.title), _core_title(b.title)) >= TITLE_MATCH
    return same_title and bool(_family_names(a.authors) & _family_names(b.authors))


def version_keys(work: Work) -> tuple[str, ...]:
    """What two versions of one paper may share (`are_versions`), as keys for an index.

    >>> version_keys(Work("openalex", "W1", "ChemCrow: Augmenting tools", 2023, arxiv="2304.05376v2"))
    ('arxiv:2304.05376', 'title:augmenting tools')
    """
    keys = [f"arxiv:{bare_arxiv(work.arxiv)}"] if work.arxiv else []
    keys += [f"doi:{work.doi}"] if work.doi else []
    return (*keys, f"title:{_core_title(work.title)}")


def join_versions(a: Work, b: Work) -> Work:
    """One work of two versions: the publisher version's id and facts, the arXiv id, both reference lists.

    >>> pre = Work("openalex", "W1", "T", 2023, arxiv="2304.05376", doi="10.48550/arxiv.2304.05376", references=(), citation_count=106)
    >>> pub = Work("openalex", "W2", "T", 2024, doi="10.1038/x", references=("W9",), citation_count=236)
    >>> w = join_versions(pre, pub)
    >>> w.id, w.arxiv, w.doi, w.versions, w.references, w.citation_count
    ('W2', '2304.05376', '10.1038/x', ('W1',), ('W9',), 236)
    """
    main, other = (b, a) if a.is_preprint and not b.is_preprint else (a, b)
    refs: dict[str, str] = {}
    for work in (main, other):
        for ref in work.references or ():
            refs.setdefault(ref, work.listed_by(ref))
    references = tuple(refs) if main.references is not None or other.references is not None else None
    return replace(
        main,
        arxiv=main.arxiv or other.arxiv,
        authors=main.authors or other.authors,
        abstract=main.abstract or other.abstract,
        tldr=main.tldr or other.tldr,
        date=main.date or other.date,
        citation_count=main.citation_count if main.citation_count is not None else other.citation_count,
        references=references,
        cited_via=tuple("" if origin == main.id else origin for origin in refs.values()),
        versions=tuple(dict.fromkeys(i for i in (*main.versions, *other.ids) if i != main.id)),
        retrieved=max((d for d in (main.retrieved, other.retrieved) if d), default=None),
    )


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
        self.notes: list[str] = []
        self.keys: dict[str, str] = {}  # work id -> the dataset key `resolve` found it for, to name papers in messages

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
    def citing(self, ids: Sequence[str], since: Since | None = None) -> list[Work]:
        """Works that cite any of `ids` (published on or after `since`), each with the ids of `ids` it cites."""

    @contextmanager
    def about(self, what: str) -> Iterator[None]:
        """Name this source and what it was doing (`what`: the papers concerned) in a failure's message."""
        try:
            yield
        except Cancelled:
            raise
        except SourceError as exc:
            raise SourceError(f"{self.label}, {what}: {exc}") from exc

    def named(self, ids: Sequence[str]) -> str:
        """Work ids as a message names them: the dataset key where `resolve` found one ("chen2024what (W123)")."""
        return plural_keys([f"{self.keys[i]} ({i})" if i in self.keys else i for i in ids])

    def note(self, text: str) -> None:
        """Record what was left out or cut short, once."""
        if text not in self.notes:
            self.notes.append(text)

    def checked(self, work: Work, context: str) -> Work | None:
        """`work` as the data files' readers accept it (see the module docstring), or None with a note."""
        grammar = WORK_ID[self.name]
        if not grammar.fullmatch(work.id):
            self.note(f"{self.label}: refused a work id {work.id[:40]!r} ({context}); it is not an id of {self.label}")
            return None
        refs = work.references
        if refs is not None and not all(grammar.fullmatch(r) for r in refs):
            bad = next(r for r in refs if not grammar.fullmatch(r))
            self.note(f"{self.label}: left out reference ids that are not ids of {self.label}, such as {bad[:40]!r} ({work.id})")
            refs = tuple(r for r in refs if grammar.fullmatch(r))
        count = work.citation_count
        if count is not None and (isinstance(count, bool) or count < 0):
            self.note(f"{self.label}: left out the citation count {count!r} of {work.id}; it is not a whole number >= 0")
            count = None
        return replace(work, references=refs, citation_count=count, abstract=plain_abstract(work.abstract))

    def resolve(self, papers: Sequence[Paper], references: bool = True) -> dict[str, Work]:
        """The work of each paper that can be found (see the module docstring), by key; `references` fetches them too.

        A paper with an arXiv id and a publisher DOI is looked up both ways, and two versions are joined."""
        values: dict[str, Callable[[Paper], str]] = {
            "arxiv": lambda p: bare_arxiv(p.arxiv),
            "doi": lambda p: "" if p.doi.lower().startswith(ARXIV_DOI_PREFIX) else p.doi.lower(),
        }
        found: dict[str, Work] = {}
        for kind in LOOKUPS:
            wanted = {p.key: values[kind](p) for p in papers if values[kind](p) and (kind == "doi" or p.key not in found)}
            batches = list(chunks(sorted(set(wanted.values())), self.batch_size))
            works: dict[str, Work] = {}
            keys_of = {v: [k for k, w in wanted.items() if w == v] for v in set(wanted.values())}
            for done, batch in enumerate(batches, 1):
                with self.about(f"looking up {plural_keys([k for v in batch for k in keys_of[v]])} by {kind}"):
                    works |= self._lookup(kind, batch, references)
                self.progress(f"{self.label}: look up by {kind}", done, len(batches))
            for key, value in wanted.items():
                if value not in works:
                    continue
                work = replace(works[value], matched_by=kind)
                old = found.get(key)
                if old is None:
                    found[key] = work
                elif old.id != work.id:
                    found[key] = replace(join_versions(old, work), matched_by="arxiv+doi")
        rest = [p for p in papers if p.key not in found and p.title]
        for done, paper in enumerate(rest, 1):
            with self.about(f"searching the title of {paper.key}"):
                hit = self._search_title(paper, references)
            if hit is not None:
                found[paper.key] = replace(hit, matched_by="title")
            self.progress(f"{self.label}: search by title", done, len(rest))
        self.keys |= {work_id: key for key, work in found.items() for work_id in work.ids}
        return found

    def works(self, ids: Sequence[str]) -> dict[str, Work]:
        """The works of these ids (without references), keyed by the id asked for; unknown ids are left out.

        A merged id answers with its canonical work, which is then keyed under both ids."""
        batches = list(chunks(sorted(set(ids)), self.batch_size))
        out: dict[str, Work] = {}
        for done, batch in enumerate(batches, 1):
            with self.about(f"fetching works {self.named(batch)}"):
                out |= self._lookup("id", batch, False)
            self.progress(f"{self.label}: fetch works", done, len(batches))
        return out


def as_list(value: object) -> list[Any]:
    """`value` when an answer gives a list there, else [] (a hostile or broken answer may give anything).

    >>> as_list([1]), as_list(5), as_list(None)
    ([1], [], [])
    """
    return value if isinstance(value, list) else []


def plural_keys(keys: Sequence[str], shown: int = 3) -> str:
    """A few keys or ids for a message: "a, b, c and 4 more".

    >>> plural_keys(["a", "b", "c", "d", "e"]), plural_keys(["a"])
    ('a, b, c and 2 more', 'a')
    """
    head = ", ".join(keys[:shown])
    return head + (f" and {len(keys) - shown} more" if len(keys) > shown else "")


def merge_works(works: Mapping[str, Work], more: Sequence[Work]) -> dict[str, Work]:
    """`works` plus `more`, by id; a work seen twice keeps the union of its references (citing queries overlap)
    and, field by field, what either record has (a citing page may carry fewer fields than a look-up)."""
    out = dict(works)
    for work in more:
        old = out.get(work.id)
        if old is not None:
            refs = None if old.references is None and work.references is None else tuple(dict.fromkeys([*(old.references or ()), *(work.references or ())]))
            work = fuller(old, replace(work, references=refs))
        out[work.id] = work
    return out


def fuller(old: Work, new: Work) -> Work:
    """`new`, with each empty field taken from `old` (two records of one work, one thinner than the other).

    >>> fuller(Work("s", "1", "T", authors=("A B",), abstract="Text."), Work("s", "1", "T")).authors
    ('A B',)
    """
    return replace(
        new,
        year=new.year if new.year is not None else old.year,
        date=new.date or old.date,
        doi=new.doi or old.doi,
        arxiv=new.arxiv or old.arxiv,
        authors=new.authors or old.authors,
        abstract=new.abstract or old.abstract,
        tldr=new.tldr or old.tldr,
        citation_count=new.citation_count if new.citation_count is not None else old.citation_count,
        references=new.references if new.references is not None else old.references,
    )

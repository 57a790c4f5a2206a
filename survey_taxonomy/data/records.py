"""Plain, frozen records shared by every module.

Terms:
- *paper*: one entry of the bibliography, identified by its citation `key`.
- *relation*: how a paper stands to the survey: `survey` (the survey itself), `cited-by-survey`
  (in the survey's own paper list), `cites-survey` (a later paper citing the survey), `curated`
  (added by this project's maintainers, e.g. the Competition papers), `community` (a submission a
  maintainer approved).
- *problem*: a recoverable defect found while loading or validating, kept as data so that one bad entry
  never hides the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, TypedDict, TypeGuard, get_args

from .names import PersonName, split_name

Relation = Literal["survey", "cited-by-survey", "cites-survey", "curated", "community"]
RELATIONS: tuple[Relation, ...] = get_args(Relation)
RELATION_LABELS: dict[str, str] = {  # keyed by str: looked up with values read from frames and widgets
    "survey": "The survey itself",
    "cited-by-survey": "Cited by the survey",
    "cites-survey": "Cites the survey",
    "curated": "Curated by this project",
    "community": "Submitted by the community",
}

# Where a stored submission stands: waiting for review, or reviewed (`submissions.store.DECISIONS`).
Status = Literal["pending", "approved", "rejected"]
STATUSES: tuple[Status, ...] = get_args(Status)

# How grave a problem is: an `error` stops an import, a submission or `validate`; a `warning` is reported only.
Severity = Literal["error", "warning"]


def is_relation(value: str) -> TypeGuard[Relation]:
    """Whether `value` is one of RELATIONS.

    >>> is_relation("curated"), is_relation("Curated")
    (True, False)
    """
    return value in RELATIONS


@dataclass(frozen=True)
class Paper:
    """One paper; text fields hold decoded Unicode, never LaTeX."""

    key: str
    title: str
    authors: tuple[str, ...] = ()
    year: int | None = None
    venue: str = ""
    booktitle: str = ""
    journal: str = ""
    entry_type: str = "misc"
    arxiv: str = ""
    doi: str = ""
    url: str = ""
    code: str = ""
    code_kind: str = ""  # whose code `code` is, as looked up: one of CODE_KINDS, or "" when not recorded
    taxonomy: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    # What the entry says: the parser keeps an empty or unknown value as it is (cast in `paper_from_entry`) for
    # `validation.validate_paper` to report; every paper the code builds names one of RELATIONS.
    relation: Relation = "curated"
    summary: str = ""
    note: str = ""
    cites: tuple[str, ...] = ()
    openalex: str = ""  # OpenAlex work id (W...), written by `citations refresh`
    s2: str = ""  # Semantic Scholar paperId (40 hex digits), written by `citations refresh`
    added: str = ""  # the day (YYYY-MM-DD) the paper entered the atlas: its merge, or the commit that added its entry
    line: int | None = field(default=None, compare=False)
    # Each author split into given and family names, in `authors`' order; filled from `authors` by BibTeX's rule
    # when not given (or when `authors` was replaced since), so that no writer has to split a name again.
    author_names: tuple[PersonName, ...] = ()

    def __post_init__(self) -> None:
        names = self.author_names
        if len(names) != len(self.authors) or any(n.display != a for n, a in zip(names, self.authors, strict=True)):
            object.__setattr__(self, "author_names", tuple(map(split_name, self.authors)))

    @property
    def link(self) -> str:
        """The best link to read the paper: its URL, else its arXiv or DOI page."""
        if self.url:
            return self.url
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return ""


_PAPER_LIST = re.compile(r"awesome|papers?(?:[-_]?list)?$|reading[-_]?list", re.IGNORECASE)


CODE_KINDS = ("official", "third-party", "list")  # the authors' repository, a reimplementation, a list of papers


def code_badge(paper: Paper) -> str:
    """What the paper's code link is: its recorded `code_kind`, else `list` for a repository named as a list of
    papers, else `unknown`. Whether a repository is the authors' own is a fact to look up, never a guess.

    >>> code_badge(Paper("k", "t", code="https://github.com/hemingkx/SpeculativeDecodingPapers"))
    'list'
    >>> code_badge(Paper("k", "t", code="https://github.com/a/b", code_kind="official")), code_badge(Paper("k", "t", code="https://github.com/a/b"))
    ('official', 'unknown')
    """
    if not paper.code:
        return ""
    if paper.code_kind:
        return paper.code_kind
    name = paper.code.rstrip("/").rsplit("/", 1)[-1]
    return "list" if _PAPER_LIST.search(name) else "unknown"


@dataclass(frozen=True)
class Citation:
    """`citing` cites `cited`: a row of citations.csv, with the page that shows it and, for a provider's edge, its ids."""

    citing: str
    cited: str
    source: str = ""
    evidence: str = ""
    provider: str = ""  # empty: hand-curated
    citing_id: str = ""
    cited_id: str = ""
    retrieved: str = ""


@dataclass(frozen=True)
class TaxonomyNode:
    """A node of the survey's taxonomy; `id` is a slash path whose prefix is its parent's id."""

    id: str
    label: str
    description: str
    parent: str | None = None
    section: str = ""
    facets: tuple[str, ...] = ()
    children: tuple[str, ...] = ()

    @property
    def depth(self) -> int:
        return self.id.count("/")

    @property
    def heading(self) -> str:
        """The node as the survey heads it: section number, then label.

        >>> TaxonomyNode("a/b", "Data curation", "", "a", "2.1.1").heading
        '§2.1.1 Data curation'
        """
        return f"§{self.section} {self.label}" if self.section else self.label

    def is_leaf(self) -> bool:
        return not self.children


@dataclass(frozen=True)
class Problem:
    """A defect in the data: where it is, what is wrong and how to fix it."""

    message: str
    source: str = ""
    line: int | None = None
    key: str = ""
    field: str = ""
    hint: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.source or "input"
        if self.line is not None:
            where += f":{self.line}"
        who = f" [{self.key}]" if self.key else ""
        what = f" {self.field}:" if self.field else ""
        hint = f" (fix: {self.hint})" if self.hint else ""
        return f"{where}{who}{what} {self.message}{hint}"


class Where(TypedDict, total=False):
    """Where problems are, passed on as keyword arguments: `Problem("is missing", field="year", **where)`."""

    source: str
    line: int | None
    key: str

"""Checks of drafts before they are stored or approved: the acceptance rule plus what only submissions carry.

`check_drafts` asks `acceptance.check_papers` (field rules, taxonomy ids, duplicates of the dataset, of the open
submissions and within the submission), adds the checks of what a submitter sends besides the paper (`why`,
`contact`, the entry type, claimed `cites`), and names fields as the form does when the draft came from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..acceptance import check_papers
from ..corpus import Corpus
from ..records import Paper, Problem, Where
from ..validation import check_text
from .payload import Draft

ENTRY_TYPES: tuple[str, ...] = (
    "article",
    "inproceedings",
    "incollection",
    "misc",
    "techreport",
    "phdthesis",
    "mastersthesis",
    "book",
    "inbook",
    "proceedings",
    "unpublished",
)
ENTRY_TYPES += ("online", "report", "thesis")  # biblatex's, common in pasted entries
MAX_PAPERS = 50
MAX_DOI = 200
# validate_paper speaks BibTeX field names; the form and JSON use these.
_FORM_FIELD = {"author": "authors", "eprint": "arxiv", "topic": "facets"}
# A validation message that only says a field is empty; redundant when the field already has a problem.
_ABSENT = ("is missing", "no author given", "no taxonomy node")


def _located(problem: Problem, draft: Draft) -> Problem:
    field = _FORM_FIELD.get(problem.field, problem.field) if draft.form else problem.field
    return replace(problem, key=draft.label, field=field)


def check_drafts(drafts: Sequence[Draft], corpus: Corpus, others: Sequence[Paper] = ()) -> list[Problem]:
    """Every problem of the drafts: the acceptance rule (`acceptance.check_papers`, strict) against the corpus,
    `others` (the open submissions) and each other, then what only submissions carry. Exact duplicates are
    errors, near titles warnings.
    """
    # Drafts share one placeholder key; a key per draft tells whose problem is whose.
    papers = [replace(d.paper, key=f"{d.paper.key}{n}") for n, d in enumerate(drafts)]
    names = [d.label or f"entry {n} of this submission" for n, d in enumerate(drafts, 1)]
    found = check_papers(papers, set(corpus.taxonomy.nodes), [*corpus.papers, *others], source="", names=names)
    by_draft: dict[str, list[Problem]] = {}
    for problem in found:
        by_draft.setdefault(problem.key, []).append(problem)
    keys = set(corpus.by_key)
    problems: list[Problem] = []
    for draft, paper in zip(drafts, papers, strict=True):
        where: Where = {"source": draft.source, "line": paper.line}
        mine = [replace(p, source=draft.source) for p in by_draft.get(paper.key, [])]
        mine += check_text(draft.why, "why", where) + check_text(draft.contact, "contact", where)
        if paper.entry_type not in ENTRY_TYPES:
            mine.append(
                Problem(f"{paper.entry_type[:30]!r} is not a BibTeX entry type", field="entry_type", hint="use one of " + ", ".join(ENTRY_TYPES), **where)
            )
        if len(paper.doi) > MAX_DOI:
            mine.append(Problem(f"is {len(paper.doi)} characters long; the limit is {MAX_DOI}", field="doi", hint="give the DOI only", **where))
        for cited in draft.cites:
            if cited not in keys:
                mine.append(Problem(f"cites unknown key {cited[:40]!r}", field="cites", hint="cite only keys of the dataset, or leave cites out", **where))
        problems += [_located(p, draft) for p in mine]
    return problems


def drop_redundant(problems: Sequence[Problem]) -> list[Problem]:
    """A field that could not be read is also empty: of the problems of one field, keep only why it could not be read."""
    specific = {(p.source, p.line, p.key, p.field) for p in problems if p.message not in _ABSENT}
    return [p for p in problems if p.message not in _ABSENT or (p.source, p.line, p.key, p.field) not in specific]

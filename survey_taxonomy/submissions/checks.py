"""Checks of drafts before they are stored or approved: the acceptance rule plus what only submissions carry.

`check_drafts` asks `acceptance.check_papers` (field rules, entry types, size limits, taxonomy ids, claimed `cites`,
duplicates of the dataset, of the open submissions and within the submission), adds the checks of what a submitter
sends besides the paper (`why`, `contact`), and names fields as the form does when the draft came from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..data.acceptance import check_papers
from ..data.corpus import Corpus
from ..data.records import Paper, Problem, Where
from ..data.validation import check_text
from .payload import Draft

MAX_PAPERS = 50
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
    # Drafts share one placeholder key; a key per draft tells whose problem is whose. The claimed `cites` are
    # checked as `import` checks a paper's own (only known keys), though they never become the paper's.
    papers = [replace(d.paper, key=f"{d.paper.key}{n}", cites=d.cites) for n, d in enumerate(drafts)]
    names = [d.label or f"entry {n} of this submission" for n, d in enumerate(drafts, 1)]
    found = check_papers(papers, set(corpus.taxonomy.nodes), [*corpus.papers, *others], source="", names=names)
    by_draft: dict[str, list[Problem]] = {}
    for problem in found:
        by_draft.setdefault(problem.key, []).append(problem)
    problems: list[Problem] = []
    for draft, paper in zip(drafts, papers, strict=True):
        where: Where = {"source": draft.source, "line": paper.line}
        mine = [replace(p, source=draft.source) for p in by_draft.get(paper.key, [])]
        mine += check_text(draft.why, "why", where) + check_text(draft.contact, "contact", where)
        problems += [_located(p, draft) for p in mine]
    return problems


def drop_redundant(problems: Sequence[Problem]) -> list[Problem]:
    """A field that could not be read is also empty: of the problems of one field, keep only why it could not be read."""
    specific = {(p.source, p.line, p.key, p.field) for p in problems if p.message not in _ABSENT}
    return [p for p in problems if p.message not in _ABSENT or (p.source, p.line, p.key, p.field) not in specific]

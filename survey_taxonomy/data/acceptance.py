"""Acceptance: the one rule that decides whether papers are valid and new.

Terms:
- *batch*: the papers checked together: an imported .bib file, one submission, a discovered candidate, or the
  whole dataset when it is loaded (`corpus.check_corpus`, which `validate` prints). Each paper is checked
  against the *known* papers and against the papers before it in the batch.
- *known papers*: what a new paper must not repeat: the dataset and the open (pending or approved) submissions.
- *valid*: the field rules of `validation.validate_paper` (grammar, length and count limits, entry types), with
  taxonomy ids that exist, and `cites` naming only known papers or papers of the batch. A *new* paper (`strict`)
  also needs a year, a link, a summary and a taxonomy node; the shipped dataset may lack a year or a link.
- *new*: no known or earlier paper has the same arXiv id (in any version), the same DOI (in any case) or the
  same title (`duplicates`), and the key is not taken (`taken_keys`, for imports that bring their own keys).
- *exact duplicate*: same identifier or same normalised title. For a new paper it is an error; inside the
  dataset it is a warning, two entries to merge. *near duplicate*: a title at least 90 % alike, a warning for
  whoever reviews the paper. Near titles are compared only when `near_titles` is on: a fuzzy scan of every pair
  of a 10k-paper dataset would take seconds on every load.

`import`, the submission store (the form, pasted BibTeX, `submissions add`), the dataset check behind `validate`,
and `discover` (which stores through the submission store, and skips what `find_duplicates` says is known) all
decide with `check_papers`, so they answer the same on the same paper: 2501.00001 and 2501.00001v2, or 10.1/ABC and
10.1/abc, are one paper to all of them; an unknown `cites` key, an odd entry type or a 300-character DOI is refused
by all of them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from .duplicates import DuplicateIndex, Match
from .records import Paper, Problem, Where
from .validation import MAX_ITEMS, validate_paper

_FIELD_OF = {"arxiv": "eprint", "doi": "doi", "title": "title"}  # a match's kind as the BibTeX field it is about


def find_duplicates(papers: Sequence[Paper], known: Sequence[Paper] = (), *, near_titles: bool = True, names: Sequence[str] = ()) -> list[list[Match]]:
    """For each paper of the batch, the known papers and the earlier batch papers it duplicates.

    `names` (one per paper, default their keys) are how batch papers are named in the matches of later ones.

    >>> one, two = Paper("one", "A", arxiv="2501.00001"), Paper("two", "B", arxiv="2501.00001v2")
    >>> [[m.other_key for m in found] for found in find_duplicates([one, two])]
    [[], ['one']]
    """
    index = DuplicateIndex(known, near_titles=near_titles)
    found: list[list[Match]] = []
    for i, paper in enumerate(papers):
        found.append(index.matches(paper))
        index.add(replace(paper, key=names[i]) if names else paper)
    return found


def duplicate_problem(match: Match, paper: Paper, source: str, *, strict: bool) -> Problem:
    """How a duplicate is reported: an error for an exact duplicate of a new paper, a warning otherwise."""
    field = _FIELD_OF.get(match.kind, "title")
    where: Where = {"source": source, "line": paper.line, "key": paper.key}
    if not match.is_exact:
        return Problem(
            f"possible duplicate: {match.describe()}", hint="a maintainer will check that it is a different paper", field=field, severity="warning", **where
        )
    if not strict:
        return Problem(f"duplicate: {match.describe()}", hint="merge the two entries", field=field, severity="warning", **where)
    hint = "this paper is already in the atlas or waiting for review: drop it, or fix the entry it repeats"
    return Problem(f"duplicate: {match.describe()}", hint=hint, field=field, **where)


def _unknown_cites(paper: Paper, citable: Collection[str], source: str) -> list[Problem]:
    """A `cites` key that names no known paper and no paper of the batch (checked up to `MAX_ITEMS["cites"]`)."""
    problems = []
    if len(paper.cites) > MAX_ITEMS["cites"]:
        problems.append(
            Problem(f"{len(paper.cites)} cited keys; at most {MAX_ITEMS['cites']}", source, paper.line, paper.key, "cites", "keep the dataset papers it cites")
        )
    for cited in paper.cites[: MAX_ITEMS["cites"]]:
        if cited not in citable:
            problems.append(
                Problem(f"cites unknown key {cited[:40]!r}", source, paper.line, paper.key, "cites", "cite only keys of the dataset, or leave cites out")
            )
    return problems


def check_papers(
    papers: Sequence[Paper],
    taxonomy_ids: Collection[str],
    known: Sequence[Paper] = (),
    *,
    source: str,
    strict: bool = True,
    taken_keys: Collection[str] = (),
    names: Sequence[str] = (),
    near_titles: bool = True,
) -> list[Problem]:
    """Every problem that keeps the papers of a batch out of the dataset (errors), and what a reviewer should see
    (warnings); the batch may join when no problem is an error. See the module docstring for the terms.

    >>> old = Paper("old2025", "Tiny routers", ("A B",), 2025, arxiv="2501.00001", summary="s", taxonomy=("n",))
    >>> [p.message[:60] for p in check_papers([replace(old, key="new2025", title="Other")], {"n"}, [old], source="new.bib")]
    ["duplicate: has the same arXiv id as 'old2025' (Tiny routers)"]
    """
    problems: list[Problem] = []
    citable = {p.key for p in known} | {p.key for p in papers}
    for paper, matches in zip(papers, find_duplicates(papers, known, near_titles=near_titles, names=names), strict=True):
        problems += validate_paper(paper, taxonomy_ids, source=source, strict=strict)
        problems += _unknown_cites(paper, citable, source)
        if strict and not paper.taxonomy:
            hint = "give the id of the survey's taxonomy node it belongs to, as the Taxonomy page lists them"
            problems.append(Problem("no taxonomy node", source, paper.line, paper.key, "taxonomy", hint))
        if paper.key in taken_keys:
            problems.append(Problem(f"key {paper.key!r} is already used in the dataset", source, paper.line, paper.key, "key", "choose another key"))
        problems += [duplicate_problem(m, paper, source, strict=strict) for m in matches]
    return problems

"""Citable exports: what a reader pastes into a paper or imports into a reference manager.

Terms:
- *cite BibTeX*: only the standard fields a BibTeX style prints or links (title, author, year, booktitle or
  journal, doi, eprint, archivePrefix, url); the dataset's own fields (taxonomy, summary, the checking
  `note`, ...) stay in the *full* BibTeX of `export`.
- *RIS*: the tagged format of Zotero, Mendeley and EndNote, written with `rispy`.
- *CSL-JSON*: the Citation Style Language's input format (Zotero, Pandoc, citeproc), one object per paper;
  tests check it against the CSL data schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import rispy
from bibtexparser.middlewares.names import parse_single_name_into_parts

from .bibliography import format_bibtex
from .records import Paper

CITE_FIELDS = ("title", "author", "year", "booktitle", "journal", "eprint", "archiveprefix", "doi", "url")

# Entry type -> (RIS type, CSL type). A misc entry with an arXiv id is a preprint.
_TYPES = {
    "inproceedings": ("CPAPER", "paper-conference"),
    "conference": ("CPAPER", "paper-conference"),
    "article": ("JOUR", "article-journal"),
    "book": ("BOOK", "book"),
    "incollection": ("CHAP", "chapter"),
    "phdthesis": ("THES", "thesis"),
    "mastersthesis": ("THES", "thesis"),
    "techreport": ("RPRT", "report"),
}
_PREPRINT = ("UNPB", "article")
_OTHER = ("GEN", "document")


def to_cite_bibtex(papers: Iterable[Paper]) -> str:
    """BibTeX with only the standard fields, ready for any style."""
    return format_bibtex(papers, fields=CITE_FIELDS)


def _kinds(paper: Paper) -> tuple[str, str]:
    if paper.entry_type in _TYPES:
        return _TYPES[paper.entry_type]
    return _PREPRINT if paper.arxiv else _OTHER


def _name(author: str) -> tuple[str, str]:
    """(family, given) of an author, split as BibTeX does ("von" parts stay with the family name).

    >>> _name("Ludwig van Beethoven"), _name("Lovelace, Ada")
    (('van Beethoven', 'Ludwig'), ('Lovelace', 'Ada'))
    """
    parts = parse_single_name_into_parts(author, strict=False)
    family = " ".join([*parts.von, *parts.last, *parts.jr]) or author
    return family, " ".join(parts.first)


def _container(paper: Paper) -> str:
    return paper.booktitle or paper.journal


def csl_item(paper: Paper) -> dict[str, Any]:
    """One paper as a CSL-JSON item; empty fields are left out."""
    item: dict[str, Any] = {"id": paper.key, "type": _kinds(paper)[1], "title": paper.title}
    if paper.authors:
        item["author"] = [{"family": family, "given": given} if given else {"literal": family} for family, given in map(_name, paper.authors)]
    if paper.year:
        item["issued"] = {"date-parts": [[paper.year]]}
    if _container(paper):
        item["container-title"] = _container(paper)
    if paper.doi:
        item["DOI"] = paper.doi
    if paper.link:
        item["URL"] = paper.link
    if paper.arxiv:
        item["number"] = f"arXiv:{paper.arxiv}"
        item.setdefault("publisher", "arXiv")
    return item


def to_csl_json(papers: Iterable[Paper]) -> str:
    """CSL-JSON: a list of items."""
    return json.dumps([csl_item(p) for p in papers], ensure_ascii=False, indent=2) + "\n"


def ris_record(paper: Paper) -> dict[str, Any]:
    """One paper as a `rispy` record (tag names spelled out, as rispy maps them)."""
    record: dict[str, Any] = {"type_of_reference": _kinds(paper)[0], "id": paper.key, "title": paper.title}
    if paper.authors:
        record["authors"] = [f"{family}, {given}" if given else family for family, given in map(_name, paper.authors)]
    if paper.year:
        record["year"] = str(paper.year)
    if _container(paper):
        record["secondary_title"] = _container(paper)
    if paper.doi:
        record["doi"] = paper.doi
    if paper.link:
        record["urls"] = [paper.link]
    if paper.arxiv:
        record["number"] = f"arXiv:{paper.arxiv}"
    return record


def to_ris(papers: Iterable[Paper]) -> str:
    """RIS text, one record per paper.

    RIS is line-based: a value with a line break would start a new tag (`ER  -` ends the record), so every value
    is written on one line.
    """
    text: str = rispy.dumps([{name: _one_line(value) for name, value in ris_record(p).items()} for p in papers])
    return text


def _one_line(value: Any) -> Any:
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    return " ".join(str(value).split()) if isinstance(value, str) else value

"""Writers for a list of papers: BibTeX, CSV, JSON, and Markdown in the layout of the survey's README.

The JSON form is the project's public record format (used by `export --format json` and the app's
download button): a list of objects with `key, title, authors, year, venue, relation, taxonomy, topics,
arxiv, doi, url, code, summary, cites`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from .bibliography import format_bibtex
from .model import Paper
from .taxonomy import Taxonomy

FORMATS = ("bibtex", "csv", "json", "markdown")
CSV_COLUMNS = ("key", "title", "authors", "year", "venue", "relation", "taxonomy", "topics", "arxiv", "doi", "url", "code", "summary", "cites")


def paper_record(paper: Paper) -> dict[str, Any]:
    """The JSON-ready record of one paper."""
    return {
        "key": paper.key,
        "title": paper.title,
        "authors": list(paper.authors),
        "year": paper.year,
        "venue": paper.venue,
        "relation": paper.relation,
        "taxonomy": list(paper.taxonomy),
        "topics": list(paper.topics),
        "arxiv": paper.arxiv,
        "doi": paper.doi,
        "url": paper.link,
        "code": paper.code,
        "summary": paper.summary,
        "cites": list(paper.cites),
    }


def to_json(papers: Iterable[Paper]) -> str:
    return json.dumps([paper_record(p) for p in papers], ensure_ascii=False, indent=2) + "\n"


def to_csv(papers: Iterable[Paper]) -> str:
    """CSV with list fields joined by '; ' (spreadsheet-friendly)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for paper in papers:
        record = paper_record(paper)
        writer.writerow({k: "; ".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in record.items()})
    return buffer.getvalue()


def to_bibtex(papers: Iterable[Paper]) -> str:
    return format_bibtex(papers)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(papers: Sequence[Paper]) -> list[str]:
    lines = ["| Title | Topic | Venue | Code |", "|:---|:---|:---|:---|"]
    for p in papers:
        title = f"[{_cell(p.title)}]({p.link})" if p.link else _cell(p.title)
        code = f"[code]({p.code})" if p.code else ""
        lines.append(f"| {title} | {_cell(', '.join(p.topics))} | {_cell(p.venue)} | {code} |")
    return lines


def to_markdown(papers: Iterable[Paper], taxonomy: Taxonomy) -> str:
    """The survey's README regenerated from data: a section per taxonomy node with its papers.

    In each section the first table holds the papers the survey cites (as in its README); papers of other
    relations follow in a second table with their relation named, so the two are never confused.
    """
    papers = list(papers)
    survey = next((p for p in papers if p.relation == "survey"), None)
    lines = ["# What is the Role of Small Models in the LLM Era: A Survey — paper list", ""]
    if survey is not None:
        lines += [
            f"Companion list of *{survey.title}* ({', '.join(survey.authors)}, {survey.venue}) [{survey.link}]({survey.link}),",
            "regenerated from the Small Models Atlas dataset.",
            "",
        ]
    by_node: dict[str, list[Paper]] = {}
    for p in papers:
        for node in p.taxonomy:
            by_node.setdefault(node, []).append(p)
    for node in taxonomy.walk():
        here = sorted(by_node.get(node.id, []), key=lambda p: (p.relation != "cited-by-survey", -(p.year or 0), p.title))
        cited = [p for p in here if p.relation == "cited-by-survey"]
        others = [p for p in here if p.relation not in ("cited-by-survey", "survey")]
        section = f"§{node.section} " if node.section else ""
        lines += [f"{'#' * min(node.depth + 2, 6)} {section}{node.label}", "", node.description, ""]
        if cited:
            lines += [*_table(cited), ""]
        if others:
            lines += ["Related papers not listed by the survey (cite the survey's own list above, not these, as its references):", ""]
            lines += [*_table(others), ""]
    return "\n".join(lines).rstrip() + "\n"


def export(papers: Iterable[Paper], fmt: str, taxonomy: Taxonomy | None = None) -> str:
    """Dispatch on `fmt` (one of FORMATS); markdown needs the taxonomy."""
    if fmt == "bibtex":
        return to_bibtex(papers)
    if fmt == "csv":
        return to_csv(papers)
    if fmt == "json":
        return to_json(papers)
    if fmt == "markdown":
        if taxonomy is None:
            raise ValueError("markdown export needs the taxonomy")
        return to_markdown(papers, taxonomy)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")

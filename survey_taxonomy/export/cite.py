"""Citable exports: what a reader pastes into a paper or imports into a reference manager.

Every writer here derives from the field table and the entry kinds of `schema`, so a conference paper is a
conference paper in all three formats, with its proceedings title and year, and its arXiv id where each format
keeps an extra identifier (never in an issue or report number).

Terms:
- *cite BibTeX*: only the citable fields (title, author, year, booktitle or journal, doi, eprint, archivePrefix,
  url) under the entry type of the paper's kind; the dataset's own fields (taxonomy, summary, the checking
  `note`, ...) stay in the *full* BibTeX of `export`.
- *RIS*: the tagged format of Zotero, Mendeley and EndNote, written with `rispy`, records one after another with
  no numbering between them (RIS has no such line).
- *CSL-JSON*: the Citation Style Language's input format (Zotero, Pandoc, citeproc), one object per paper;
  tests check it against the CSL data schema and render it with citeproc-py.
- *COinS*: an OpenURL 1.0 ContextObject in a `<span class="Z3988" title="...">` of the page, which the Zotero
  Connector reads to save the paper shown (or each paper of a list) as the right item.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

from rispy.writer import RisWriter

from ..data.bibliography import format_bibtex
from ..data.names import PersonName
from ..data.records import Paper
from ..data.schema import CITE_BIBTEX_FIELDS, FIELDS, FieldSpec, container, entry_kind

ARXIV_PUBLISHER = "arXiv"


class _RecordsWriter(RisWriter):  # type: ignore[misc]  # rispy ships no types
    """rispy's RIS writer without the "1." line it puts before each record, which RIS does not allow."""

    def set_header(self, count: int) -> str:
        return ""


def _citable(paper: Paper) -> list[tuple[FieldSpec, Any]]:
    """The citable fields of a paper with their exported values, the container only where its kind has one."""
    kind = entry_kind(paper)
    pairs = []
    for spec in FIELDS:
        if not spec.citable or (spec.name in ("booktitle", "journal") and spec.name != kind.container):
            continue
        value = paper.author_names if spec.value == "names" else spec.read(paper)
        if value not in ("", (), None):
            pairs.append((spec, value))
    return pairs


def cite_entry(paper: Paper) -> Paper:
    """The paper as its cite-BibTeX entry holds it: the entry type of its kind, only its kind's container."""
    kind = entry_kind(paper)
    keep = paper.entry_type if kind.name == "thesis" and paper.entry_type in kind.bibtex else kind.bibtex[0]
    return replace(
        paper,
        entry_type=keep,
        booktitle=paper.booktitle if kind.container == "booktitle" else "",
        journal=paper.journal if kind.container == "journal" else "",
    )


def to_cite_bibtex(papers: Iterable[Paper]) -> str:
    """BibTeX with only the citable fields, ready for any style."""
    return format_bibtex(map(cite_entry, papers), fields=CITE_BIBTEX_FIELDS)


def _csl_name(person: PersonName) -> dict[str, str]:
    if not person.given:
        return {"literal": person.family}
    name = {"family": person.family, "given": person.given}
    return name | ({"suffix": person.suffix} if person.suffix else {})


def csl_item(paper: Paper) -> dict[str, Any]:
    """One paper as a CSL-JSON item; empty fields are left out."""
    kind = entry_kind(paper)
    item: dict[str, Any] = {"id": paper.key, "type": kind.csl}
    for spec, value in _citable(paper):
        if spec.value == "names":
            item[spec.csl] = [_csl_name(person) for person in value]
        elif spec.value == "year":
            item[spec.csl] = {"date-parts": [[value]]}
        elif spec.csl:
            item[spec.csl] = value
    if paper.arxiv and kind.name == "preprint":
        item |= {"publisher": ARXIV_PUBLISHER, "number": f"arXiv:{paper.arxiv}"}
    elif paper.arxiv:
        item["note"] = f"arXiv: {paper.arxiv}"
    return item


def to_csl_json(papers: Iterable[Paper]) -> str:
    """CSL-JSON: a list of items."""
    return json.dumps([csl_item(p) for p in papers], ensure_ascii=False, indent=2) + "\n"


def ris_record(paper: Paper) -> dict[str, Any]:
    """One paper as a `rispy` record (tag names spelled out, as rispy maps them)."""
    kind = entry_kind(paper)
    record: dict[str, Any] = {"type_of_reference": kind.ris, "id": paper.key}
    for spec, value in _citable(paper):
        if spec.value == "names":
            record[spec.ris] = [", ".join(part for part in (p.family, p.given, p.suffix) if part) for p in value]
        elif spec.value == "url":
            record[spec.ris] = [value]
        elif spec.name == "arxiv":
            record[spec.ris] = f"arXiv:{value}"
        elif spec.ris:
            record[spec.ris] = str(value)
    if paper.arxiv and kind.name == "preprint":
        record["publisher"] = ARXIV_PUBLISHER
    return record


def to_ris(papers: Iterable[Paper]) -> str:
    """RIS text, one record per paper.

    RIS is line-based: a value with a line break would start a new tag (`ER  -` ends the record), so every value
    is written on one line.
    """
    records = [{name: _one_line(value) for name, value in ris_record(p).items()} for p in papers]
    text: str = _RecordsWriter().formats(records)
    return text


def coins(paper: Paper) -> str:
    """The paper as an OpenURL ContextObject (key=value pairs, percent-encoded): type, title, container, authors,
    year and identifiers.

    >>> coins(Paper("k", "Fast & small", ("Ada Lovelace",), 2023, booktitle="Proc. ICML", entry_type="inproceedings", doi="10.1/x"))
    'ctx_ver=Z39.88-2004&rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Abook&rft.genre=proceeding&rft.atitle=Fast%20%26%20small&rft.btitle=Proc.%20ICML&rft.aulast=Lovelace&rft.aufirst=Ada&rft.au=Ada%20Lovelace&rft.date=2023&rft_id=info%3Adoi%2F10.1%2Fx'
    """
    kind = entry_kind(paper)
    fmt, genre = kind.coins
    pairs = [("ctx_ver", "Z39.88-2004"), ("rft_val_fmt", f"info:ofi/fmt:kev:mtx:{fmt}")] + ([("rft.genre", genre)] if genre else [])
    title = "title" if fmt == "dissertation" else "btitle" if genre in ("book", "report") else "atitle"
    pairs.append((f"rft.{title}", paper.title))
    if name := container(paper):
        pairs.append(("rft.jtitle" if fmt == "journal" else "rft.btitle", name))
    if paper.author_names:
        pairs += [("rft.aulast", paper.author_names[0].family), ("rft.aufirst", paper.author_names[0].given)]
        pairs += [("rft.au", person.display) for person in paper.author_names]
    if paper.year:
        pairs.append(("rft.date", str(paper.year)))
    for prefix, value in (("info:doi/", paper.doi), ("info:arxiv/", paper.arxiv)):
        if value:
            pairs.append(("rft_id", prefix + value))
    if paper.url:
        pairs.append(("rft_id", paper.url))
    return urlencode([(name, value) for name, value in pairs if value], quote_via=quote)


def coins_span(paper: Paper) -> str:
    """The COinS span of a paper: empty and invisible, its ContextObject in the escaped `title` attribute."""
    return f'<span class="Z3988" title="{html.escape(coins(paper), quote=True)}"></span>'


def _one_line(value: Any) -> Any:
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    return " ".join(str(value).split()) if isinstance(value, str) else value

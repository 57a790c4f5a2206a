"""The paper's fields, declared once: the BibTeX reader and writer, CSV, JSON, CSL-JSON, RIS, the submission payload
and the submission form derive from this table.

Terms:
- *field* (`FieldSpec`): one attribute of `records.Paper` with its name in each format: BibTeX field, CSL-JSON
  variable, RIS tag (as `rispy` names it), CSV column and JSON key, the submission form's field and label; its
  *value kind* (how it is read and escaped), its length limit, and whether it is *citable* (written into what a
  reader cites: cite-BibTeX, CSL-JSON, RIS) or *internal* (the atlas's own: taxonomy, summary, provenance ...).
  Adding a field is one row here plus its attribute on `Paper`.
- *entry kind* (`EntryKind`): what the paper is (conference paper, workshop paper, journal article, preprint,
  thesis, report, book chapter, book, other), decided once from its BibTeX type and container by `entry_kind`,
  and written as each format's type: BibTeX entry type, CSL type, RIS type.
- *extra identifier*: the arXiv id of a paper that has a venue. It never goes where a format keeps an issue or
  report number: CSL-JSON puts it in `note` ("arXiv: 2305.02301", as Zotero does), RIS in `AN` (accession number,
  a database's id of the record). A preprint's arXiv id is its number (CSL `number`, with arXiv as publisher).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .records import Paper

# How a value is read and written: free text (LaTeX-escaped in BibTeX), a short text (venue, container), a list of
# person names, a year, a raw token (ids, codes: refused rather than escaped when it holds braces), a link, a list
# of texts (`;`-separated) or a list of keys and ids (`,`-separated).
ValueKind = Literal["text", "short", "names", "year", "raw", "url", "texts", "keys"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a paper and its name in every format ("" where a format does not hold it)."""

    name: str  # the attribute of `Paper`
    value: ValueKind
    bibtex: str = ""  # the `.bib` field (the key and the entry type are the entry's own, not fields)
    csl: str = ""  # the CSL-JSON variable
    ris: str = ""  # the rispy name of the RIS tag (`secondary_title` is T2)
    column: str = ""  # CSV column and JSON key
    form: str = ""  # the submission payload's field; a field with a `widget` needs one (it keys the form's box)
    label: str = ""  # what people read: the form's label and the field named in a problem
    max_chars: int = 2000  # per value (per name for authors, per item for lists)
    citable: bool = False
    widget: Literal["", "text", "lines", "year", "node", "facets"] = ""  # the submission form's widget; "" = not in the form
    prompt: str = ""  # the form's label when it says more than `label` ("Authors, one per line")
    placeholder: str = ""  # the form's example value
    exported: Callable[[Paper], Any] | None = None  # what exports write, when it is not the attribute itself (url -> link)

    def read(self, paper: Paper) -> Any:
        """The value exports write for this field."""
        return self.exported(paper) if self.exported else getattr(paper, self.name)


def _link(paper: Paper) -> str:
    return paper.link


# The order is the order of BibTeX fields and of CSV/JSON columns.
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("key", "raw", column="key", label="Citation key", max_chars=80),
    FieldSpec("entry_type", "raw", column="entry_type", form="entry_type", label="Entry type", max_chars=20),
    FieldSpec("title", "text", "title", "title", "title", "title", "title", "Title", 300, citable=True, widget="text"),
    FieldSpec(
        "authors", "names", "author", "author", "authors", "authors", "authors", "Authors", 120, citable=True, widget="lines", prompt="Authors, one per line"
    ),
    FieldSpec("year", "year", "year", "issued", "year", "year", "year", "Year", 4, citable=True, widget="year", placeholder="2024"),
    FieldSpec("booktitle", "short", "booktitle", "container-title", "secondary_title", "booktitle", "booktitle", "Proceedings", 300, citable=True),
    FieldSpec("journal", "short", "journal", "container-title", "secondary_title", "journal", "journal", "Journal", 300, citable=True),
    FieldSpec("venue", "short", "venue", column="venue", form="venue", label="Venue", max_chars=200, widget="text", prompt="Venue (e.g. ACL 2024)"),
    FieldSpec(
        "arxiv",
        "raw",
        "eprint",
        ris="accession_number",
        column="arxiv",
        form="arxiv",
        label="arXiv id",
        max_chars=40,
        citable=True,
        widget="text",
        placeholder="2211.17192",
    ),
    FieldSpec("doi", "raw", "doi", "DOI", "doi", "doi", "doi", "DOI", 200, citable=True, widget="text", placeholder="10.18653/v1/2023.acl-long.1"),
    FieldSpec("openalex", "raw", "openalex", column="openalex", label="OpenAlex work", max_chars=20),
    FieldSpec("s2", "raw", "s2", column="s2", label="Semantic Scholar paper", max_chars=40),
    FieldSpec("added", "raw", "added", column="added", label="Added to the atlas", max_chars=10),
    FieldSpec(
        "url",
        "url",
        "url",
        "URL",
        "urls",
        "url",
        "url",
        "URL",
        500,
        citable=True,
        widget="text",
        prompt="URL of the paper",
        placeholder="https://…",
        exported=_link,
    ),
    FieldSpec(
        "code",
        "url",
        "code",
        column="code",
        form="code",
        label="Code URL",
        max_chars=500,
        widget="text",
        prompt="Code URL (optional)",
        placeholder="https://github.com/…",
    ),
    FieldSpec("code_kind", "raw", "codekind", column="code_kind", label="Code kind", max_chars=20),
    FieldSpec(
        "taxonomy", "keys", "taxonomy", column="taxonomy", form="taxonomy", label="Taxonomy node", max_chars=200, widget="node", placeholder="Choose a node"
    ),
    FieldSpec(
        "topics", "texts", "topic", column="topics", form="facets", label="Facets", max_chars=80, widget="facets", placeholder="Method families of the node"
    ),
    FieldSpec("relation", "raw", "relation", column="relation", label="Relation", max_chars=20),
    FieldSpec("cites", "keys", "cites", column="cites", form="cites", label="Cites", max_chars=80),
    FieldSpec(
        "summary",
        "text",
        "summary",
        column="summary",
        form="summary",
        label="One-sentence summary",
        max_chars=600,
        widget="text",
        prompt="One-sentence summary, in your own words",
    ),
    FieldSpec("note", "text", "note", column="note", form="note", label="Note", max_chars=2000),
)
BY_NAME: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS}
BIBTEX_FIELDS: tuple[FieldSpec, ...] = tuple(spec for spec in FIELDS if spec.bibtex)
CITE_BIBTEX_FIELDS: tuple[str, ...] = (*(spec.bibtex for spec in BIBTEX_FIELDS if spec.citable), "archiveprefix")
COLUMNS: tuple[str, ...] = tuple(spec.column for spec in FIELDS if spec.column)
FORM_SPECS: tuple[FieldSpec, ...] = tuple(spec for spec in FIELDS if spec.widget)  # the submission form's widgets, in order
FORM_FIELDS: dict[str, str] = {spec.form: spec.label for spec in FORM_SPECS}  # payload field -> label
PAYLOAD_EXTRA_FIELDS: tuple[str, ...] = tuple(spec.form for spec in FIELDS if spec.form and not spec.widget)  # accepted, not asked
# Other spellings a payload may use for a field: its JSON/CSV column and its BibTeX name (`export --format json` reads back).
PAYLOAD_ALIASES: dict[str, str] = {other: spec.form for spec in FIELDS if spec.form for other in (spec.column, spec.bibtex) if other and other != spec.form}
# Columns of the exports that a payload may carry but that are the atlas's to set (ids, provenance kinds).
PAYLOAD_IGNORED: tuple[str, ...] = tuple(spec.column for spec in FIELDS if spec.column and not spec.form)


@dataclass(frozen=True)
class EntryKind:
    """What a paper is, and its type in each format; `container` names the field holding its proceedings or journal."""

    name: str
    label: str
    bibtex: tuple[str, ...]  # BibTeX entry types of this kind; the first is the one written
    csl: str
    ris: str
    container: Literal["booktitle", "journal", ""]
    coins: tuple[str, str]  # OpenURL 1.0 (COinS) metadata format and genre, as Zotero's OpenURL translator reads them


KINDS: dict[str, EntryKind] = {
    kind.name: kind
    for kind in (
        EntryKind("conference", "Conference paper", ("inproceedings", "conference"), "paper-conference", "CPAPER", "booktitle", ("book", "proceeding")),
        EntryKind("workshop", "Workshop paper", ("inproceedings", "conference"), "paper-conference", "CPAPER", "booktitle", ("book", "proceeding")),
        EntryKind("journal", "Journal article", ("article",), "article-journal", "JOUR", "journal", ("journal", "article")),
        EntryKind("preprint", "Preprint", ("misc", "unpublished", "article"), "article", "UNPB", "", ("journal", "preprint")),
        EntryKind("thesis", "Thesis", ("phdthesis", "mastersthesis", "thesis"), "thesis", "THES", "", ("dissertation", "")),
        EntryKind("report", "Report", ("techreport", "report"), "report", "RPRT", "", ("book", "report")),
        EntryKind("chapter", "Book chapter", ("incollection", "inbook"), "chapter", "CHAP", "booktitle", ("book", "bookitem")),
        EntryKind("book", "Book", ("book",), "book", "BOOK", "", ("book", "book")),
        EntryKind("other", "Other", ("misc",), "document", "GEN", "", ("journal", "unknown")),
    )
}
# Journals that are an arXiv listing, not a journal: an @article in one of them is a preprint.
_PREPRINT_SERVERS = ("arxiv", "corr")


def entry_kind(paper: Paper) -> EntryKind:
    """What the paper is, from its BibTeX type, container and arXiv id.

    >>> entry_kind(Paper("k", "T", entry_type="inproceedings", booktitle="Proceedings of ACL 2023")).name
    'conference'
    >>> entry_kind(Paper("k", "T", entry_type="inproceedings", booktitle="NeurIPS 2023 Workshop on Attributing Model Behavior at Scale")).name
    'workshop'
    >>> cases = (("misc", "2305.02301", ""), ("misc", "", ""), ("article", "2305.02301", "CoRR"), ("article", "", "TMLR"))
    >>> [entry_kind(Paper("k", "T", entry_type=t, arxiv=a, journal=j)).name for t, a, j in cases]
    ['preprint', 'other', 'preprint', 'journal']
    """
    kind = paper.entry_type.lower()
    if kind in ("inproceedings", "conference"):
        return KINDS["workshop" if "workshop" in paper.booktitle.lower() else "conference"]
    if kind == "article":
        on_server = paper.journal.lower().split()[0].strip(":") in _PREPRINT_SERVERS if paper.journal.strip() else bool(paper.arxiv)
        return KINDS["preprint" if on_server else "journal"]
    if kind in ("misc", "unpublished", "online"):
        return KINDS["preprint" if paper.arxiv else "other"]
    return next((k for k in KINDS.values() if kind in k.bibtex), KINDS["other"])


def container(paper: Paper) -> str:
    """The proceedings or journal the paper appeared in, where its kind has one.

    >>> container(Paper("k", "T", entry_type="article", journal="arXiv preprint")), container(Paper("k", "T", entry_type="article", journal="TMLR"))
    ('', 'TMLR')
    """
    field = entry_kind(paper).container
    return getattr(paper, field) if field else ""


def fields_table() -> str:
    """The README's table of the paper's fields, rendered from `FIELDS` (a test checks the README holds exactly this)."""
    lines = ["| field | value | BibTeX | CSL-JSON | RIS (rispy) | CSV / JSON | form | citable |", "|---|---|---|---|---|---|---|---|"]
    for spec in FIELDS:
        names = " | ".join(f"`{name}`" if name else "–" for name in (spec.bibtex, spec.csl, spec.ris, spec.column))
        lines.append(f"| `{spec.name}` | {spec.value} | {names} | {spec.label if spec.widget else '–'} | {'yes' if spec.citable else ''} |")
    return "\n".join(lines) + "\n"

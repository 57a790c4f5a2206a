"""Writers for a list of papers: BibTeX, CSV, JSON, and Markdown in the layout of the survey's README.

The JSON form is the project's public record format (used by `export --format json` and the app's
download button): a list of objects with one key per column of the field table (`schema.COLUMNS`); CSV has the
same columns, list fields joined by "; ".

Each writer escapes for its format, since every text may come from a submission: BibTeX through
`bibliography.format_bibtex` (LaTeX escapes, structure-changing values refused), CSV cells that a spreadsheet
would run as a formula get a leading apostrophe (`csv_cell`), and Markdown text goes through `markdown_text`
with links rebuilt by `validation.clean_url`, or left out.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..data.bibliography import format_bibtex
from ..data.records import Paper
from ..data.schema import COLUMNS, FIELDS
from ..data.taxonomy import Taxonomy
from ..data.validation import clean_url
from ..query.selection import papers_by_node
from .cite import to_cite_bibtex, to_csl_json, to_ris

FORMATS = ("bibtex", "cite", "ris", "csl", "csv", "json", "markdown")
# OWASP's list for CSV injection: a cell starting with one of these is run as a formula by spreadsheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&/])")
# Words Streamlit's Markdown makes live whatever their escapes, since it looks for them in the text once escapes are
# resolved: GFM's autolinks (http(s)://, www., e-mail addresses) and Streamlit's icons (`:material_name:`, which
# is what `:material/name:` becomes, and `:streamlit:`). A word ends at a space or at a character that could end
# a link, a table cell or a directive's label.
_LIVE_WORD = re.compile(r"[^\s|\[\]()<>]*(?:https?://|ftp://|www\.|@|:material_\w+:|:streamlit:)[^\s|\[\]()<>]*", re.IGNORECASE)


def markdown_text(value: str) -> str:
    r"""Any text made inert for Markdown (Streamlit's, GitHub's): every Markdown character is escaped, `&` too (no
    HTML entities), and `/` (Streamlit turns `:material/name:` into an icon before it reads escapes). A word that
    would still become a link or an icon (`_LIVE_WORD`) is shown as code, which no autolink or icon rule reads,
    and which copies as the very characters typed: no invisible character is inserted anywhere.
    Whitespace, newlines included, becomes single spaces, so no text can start a block (heading, list, table).

    >>> print(markdown_text("**bold** [x](y) &amp; a/b"))
    \*\*bold\*\* \[x\]\(y\) \&amp; a\/b
    >>> print(markdown_text("see https://e.org/x, or :material_home:"))
    see `https://e.org/x,` or `:material_home:`
    """
    text = " ".join(value.split())
    parts: list[str] = []
    done = 0
    for word in _LIVE_WORD.finditer(text):
        parts += [_MARKDOWN.sub(r"\\\1", text[done : word.start()]), markdown_code(word.group())]
        done = word.end()
    parts.append(_MARKDOWN.sub(r"\\\1", text[done:]))
    return "".join(parts)


def markdown_code(value: str) -> str:
    r"""Any text as a Markdown code span that shows it exactly: escapes are not read inside code (`markdown_text`'s
    backslashes would show), so the span's fence is one backtick longer than the longest run in the text.
    Whitespace, newlines included, becomes single spaces.

    >>> print(markdown_code("sm-enhance/llm"), markdown_code("a`b"), markdown_code("`x"))
    `sm-enhance/llm` ``a`b`` `` `x ``
    """
    text = " ".join(value.split())
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def csv_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe (OWASP).

    >>> csv_cell("=HYPERLINK(1)"), csv_cell("+SUM(A1)"), csv_cell("Plain")
    ("'=HYPERLINK(1)", "'+SUM(A1)", 'Plain')
    """
    return "'" + value if value.startswith(FORMULA_START) else value


def paper_record(paper: Paper) -> dict[str, Any]:
    """The JSON-ready record of one paper: a key per column of the field table, lists as lists."""
    record: dict[str, Any] = {}
    for spec in FIELDS:
        if spec.column:
            value = spec.read(paper)
            record[spec.column] = list(value) if isinstance(value, tuple) else value
    return record


def to_json(papers: Iterable[Paper]) -> str:
    return json.dumps([paper_record(p) for p in papers], ensure_ascii=False, indent=2) + "\n"


def to_csv(papers: Iterable[Paper]) -> str:
    """CSV with list fields joined by '; ' (spreadsheet-friendly), every text cell through `csv_cell`.

    Rows end in CRLF as RFC 4180 says: the csv module quotes a cell only for the characters of the line
    terminator, and with "\n" alone a bare CR inside a cell went out unquoted, which spreadsheets read as a new row.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for paper in papers:
        record = paper_record(paper)
        row = {k: "; ".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in record.items()}
        writer.writerow({k: csv_cell(v) if isinstance(v, str) else v for k, v in row.items()})
    return buffer.getvalue()


def _link(label: str, url: str) -> str:
    """A Markdown link to the rebuilt URL (whose quoting leaves nothing that ends the link), or the bare label."""
    target = clean_url(url)
    return f"[{label}]({target})" if target else label


def _table(papers: Sequence[Paper]) -> list[str]:
    lines = ["| Title | Topic | Venue | Code |", "|:---|:---|:---|:---|"]
    for p in papers:
        code = _link("code", p.code) if p.code else ""
        lines.append(f"| {_link(markdown_text(p.title), p.link)} | {markdown_text(', '.join(p.topics))} | {markdown_text(p.venue)} | {code} |")
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
            f"Companion list of *{markdown_text(survey.title)}* ({markdown_text(', '.join(survey.authors))}, {markdown_text(survey.venue)})"
            f" {_link('link', survey.link)},",
            "regenerated from the Small Models Atlas dataset.",
            "",
        ]
    by_node = papers_by_node(papers)
    for node in taxonomy.walk():
        here = by_node.get(node.id, [])
        cited = [p for p in here if p.relation == "cited-by-survey"]
        others = [p for p in here if p.relation not in ("cited-by-survey", "survey")]
        lines += [f"{'#' * min(node.depth + 2, 6)} {markdown_text(node.heading)}", "", markdown_text(node.description), ""]
        if cited:
            lines += [*_table(cited), ""]
        if others:
            lines += ["Related papers not listed by the survey (cite the survey's own list above, not these, as its references):", ""]
            lines += [*_table(others), ""]
    return "\n".join(lines).rstrip() + "\n"


CITABLE = {"cite": to_cite_bibtex, "ris": to_ris, "csl": to_csl_json}


def export(papers: Iterable[Paper], fmt: str, taxonomy: Taxonomy | None = None) -> str:
    """Dispatch on `fmt` (one of FORMATS); markdown needs the taxonomy."""
    if fmt == "bibtex":
        return format_bibtex(papers)
    if fmt in CITABLE:
        return CITABLE[fmt](papers)
    if fmt == "csv":
        return to_csv(papers)
    if fmt == "json":
        return to_json(papers)
    if fmt == "markdown":
        if taxonomy is None:
            raise ValueError("markdown export needs the taxonomy")
        return to_markdown(papers, taxonomy)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")

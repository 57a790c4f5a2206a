import csv
import io
import json
import re

import pytest

from survey_taxonomy.data.bibliography import parse_bibtex
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.records import Paper
from survey_taxonomy.data.schema import COLUMNS
from survey_taxonomy.export.writers import export, to_markdown


def test_bibtex_export_parses_back_to_the_same_papers(corpus: Corpus) -> None:
    text = export(corpus.papers, "bibtex")
    parsed = parse_bibtex(text)
    assert parsed.problems == []
    assert [p.key for p in parsed.papers] == [p.key for p in corpus.papers]
    assert parsed.papers == list(corpus.papers)


def test_hostile_title_cannot_inject_fields() -> None:
    evil = Paper(key="evil2024x", title="x}, author = {Mallory", authors=("Eve",), year=2024)
    (back,) = parse_bibtex(export([evil], "bibtex")).papers
    assert back.title == evil.title and back.authors == ("Eve",)


def test_json_and_csv_records(corpus: Corpus) -> None:
    records = json.loads(export(corpus.papers, "json"))
    first = records[1]
    assert tuple(first) == COLUMNS and {"key", "title", "authors", "year", "venue", "booktitle", "journal", "entry_type", "arxiv", "doi", "url"} <= set(first)
    assert isinstance(first["authors"], list) and isinstance(first["year"], int)
    rows = list(csv.DictReader(io.StringIO(export(corpus.papers, "csv"))))
    assert len(rows) == len(corpus) and rows[1]["authors"] == "; ".join(first["authors"])


def unescape(text: str) -> str:
    """The text `markdown_text` escaped, back."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def markdown_sections(text: str) -> dict[str, tuple[list[str], list[str]]]:
    """{heading: (first-table titles, second-table titles)} from the Markdown export."""
    sections: dict[str, tuple[list[str], list[str]]] = {}
    current, table = "", 0
    for line in map(unescape, text.splitlines()):
        if line.startswith("#"):
            current, table = re.sub(r"^#+ (§[\d.]+ )?", "", line), 0
            sections[current] = ([], [])
        elif line.startswith("Related papers not listed"):
            table = 1  # the next table is the second one, even when the survey lists nothing here
        elif line.startswith("| Title"):
            table += 1
        elif line.startswith("| [") and current:
            title = re.match(r"\| \[(.*?)\]\(", line)
            assert title, line
            sections[current][table - 1].append(title.group(1))
    return sections


def test_markdown_sections_list_the_survey_papers_of_each_node(corpus: Corpus) -> None:
    sections = markdown_sections(to_markdown(corpus.papers, corpus.taxonomy))
    for node in corpus.taxonomy.walk():
        expected = {p.title for p in corpus.papers if node.id in p.taxonomy and p.relation == "cited-by-survey"}
        cited, others = sections[node.label]
        assert set(cited) == expected, node.id
        assert not set(others) & expected
    assert len(sections["Computation-constrained environment"][1]) >= 8


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        export([], "yaml")

"""Citable exports: standard-field BibTeX, RIS that a reader reads back, CSL-JSON valid against its schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import rispy

from survey_taxonomy.bibliography import parse_bibtex
from survey_taxonomy.cite import CITE_FIELDS, csl_item, to_cite_bibtex, to_csl_json, to_ris
from survey_taxonomy.export import export
from survey_taxonomy.records import Paper

SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "schemas" / "csl-data.json").read_text(encoding="utf-8"))
ODD = Paper(
    "odd2024x",
    "Braces {and} 50% of $math$ & <b>tags</b>",
    ("Ludwig van Beethoven", "Lovelace, Ada", "Plato"),
    2024,
    venue="ICML 2024",
    booktitle="International Conference on Machine Learning",
    entry_type="inproceedings",
    arxiv="2401.00001",
    doi="10.5555/abc.1",
    url="https://example.org/p",
    code="https://github.com/x/y",
    taxonomy=("competition",),
    topics=("t",),
    relation="curated",
    summary="ours",
    note="checked on a page",
)


def test_cite_bibtex_has_only_standard_fields_and_reads_back(corpus):
    papers = list(corpus.papers)
    text = to_cite_bibtex(papers)
    parsed = parse_bibtex(text)
    assert parsed.problems == []
    assert [p.key for p in parsed.papers] == [p.key for p in papers]
    for before, after in zip(papers, parsed.papers, strict=True):
        assert (after.title, after.authors, after.year, after.doi, after.arxiv) == (before.title, before.authors, before.year, before.doi, before.arxiv)
        assert (after.summary, after.note, after.taxonomy, after.code, after.venue) == ("", "", (), "", "")
    fields = {line.split("=")[0].strip() for line in text.splitlines() if " = {" in line}
    assert fields <= set(CITE_FIELDS)


def test_cite_bibtex_escapes_for_latex_not_html():
    text = to_cite_bibtex([ODD])
    assert "&lt;" not in text and r"50\%" in text and r"\&" in text
    assert parse_bibtex(text).papers[0].title == ODD.title


def test_ris_reads_back_with_rispy(corpus):
    papers = [*corpus.papers, ODD]
    records = rispy.loads(to_ris(papers))
    assert [r["id"] for r in records] == [p.key for p in papers]
    for paper, record in zip(papers, records, strict=True):
        assert record["title"] == paper.title
        assert len(record.get("authors", [])) == len(paper.authors)
        assert record.get("year") == (str(paper.year) if paper.year else None)
    assert records[-1]["type_of_reference"] == "CPAPER" and records[-1]["authors"][0] == "van Beethoven, Ludwig"


def test_ris_value_with_a_line_break_cannot_add_a_tag():
    sneaky = Paper("s2024x", "Title\nER  - \nTY  - JOUR", ("A B",), 2024)
    records = rispy.loads(to_ris([sneaky]))
    assert len(records) == 1 and records[0]["title"] == "Title ER - TY - JOUR"


def test_csl_json_is_valid_against_the_csl_schema(corpus):
    items = json.loads(to_csl_json([*corpus.papers, ODD]))
    jsonschema.validate(items, SCHEMA)
    assert csl_item(ODD)["author"][0] == {"family": "van Beethoven", "given": "Ludwig"}
    assert csl_item(ODD)["author"][2] == {"literal": "Plato"}
    assert csl_item(ODD)["issued"] == {"date-parts": [[2024]]}


def test_a_csl_item_missing_its_type_fails_the_schema():
    """The schema check is real: it refuses what CSL refuses."""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"id": "x", "title": "no type"}], SCHEMA)


@pytest.mark.parametrize("fmt", ["cite", "ris", "csl"])
def test_export_dispatches_the_citable_formats(fmt):
    assert ODD.key in export([ODD], fmt)

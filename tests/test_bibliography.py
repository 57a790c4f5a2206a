from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_taxonomy.data.bibliography import append_papers, format_bibtex, load_bibliography, parse_bibtex, split_authors
from survey_taxonomy.data.records import RELATIONS, Paper
from survey_taxonomy.errors import BibliographyError


def test_broken_bib_keeps_good_entries_and_reports_each_line(fixtures_dir: Path) -> None:
    result = load_bibliography(fixtures_dir / "broken.bib")
    assert [p.key for p in result.papers] == ["good2023first", "good2023second", "badyear2023", "good2023third"]
    by_line = {p.line or 0: p for p in result.problems}  # 0: a problem without a line
    assert sorted(by_line) == [12, 27, 33]
    assert "cannot be parsed" in by_line[12].message
    assert "duplicate key 'good2023first'" in by_line[27].message
    assert by_line[33].field == "year" and "20x3" in by_line[33].message
    assert not result.ok


def test_entry_fields_are_decoded() -> None:
    text = r"""@inproceedings{x2023,
      title = {The {BERT} Model \& M{\"u}ller's Idea},
      author = {M{\"u}ller, Hans and Ada Lovelace and {Narayanan Hari}, Surya},
      year = {2023}, eprint = {2211.17192}, taxonomy = {a, a/b}, topic = {one; two},
      relation = {curated}, cites = {k1,k2}
    }"""
    (paper,) = parse_bibtex(text).papers
    assert paper.title == "The BERT Model & Müller's Idea"
    assert paper.authors == ("Hans Müller", "Ada Lovelace", "Surya Narayanan Hari")
    assert paper.year == 2023 and paper.arxiv == "2211.17192"
    assert paper.taxonomy == ("a", "a/b") and paper.topics == ("one", "two") and paper.cites == ("k1", "k2")
    assert paper.line == 1


def test_split_authors_respects_braces() -> None:
    assert [n.display for n in split_authors("{Barnes and Noble} and Ada Lovelace")] == ["Barnes and Noble", "Ada Lovelace"]


def test_empty_text_and_garbage() -> None:
    assert parse_bibtex("").papers == [] and parse_bibtex("").problems == []
    garbage = parse_bibtex("this is not bibtex at all")
    assert garbage.papers == [] and "no BibTeX entry" in garbage.problems[0].message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BibliographyError, match="file not found"):
        load_bibliography(tmp_path / "none.bib")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.bib"
    path.write_bytes("@misc{a, title={Caf\xe9}}".encode("latin-1"))
    with pytest.raises(BibliographyError, match="not UTF-8"):
        load_bibliography(path)


def test_append_refuses_to_write_a_file_that_would_not_parse(tmp_path: Path) -> None:
    path = tmp_path / "p.bib"
    path.write_text("@misc{a2020x, title = {A}}\n", encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    with pytest.raises(BibliographyError, match="refusing to write"):
        append_papers(path, [Paper(key="a2020x", title="Same key")])
    assert path.read_text(encoding="utf-8") == before
    append_papers(path, [Paper(key="b2021y", title="New", year=2021)])
    assert [p.key for p in load_bibliography(path).papers] == ["a2020x", "b2021y"]


# Text as the loader produces it: single spaces, no surrounding space, printable characters.
text = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=60).map(lambda s: " ".join(s.split()))
names = st.text(st.characters(categories=["L"]), min_size=1, max_size=12)
author = st.lists(names, min_size=1, max_size=3).map(" ".join).filter(lambda n: n.lower() not in ("and",) and " and " not in f" {n.lower()} ")
ident = st.from_regex(r"[a-z][a-z0-9]{0,8}(/[a-z0-9]{1,6}){0,2}", fullmatch=True)
papers = st.builds(
    Paper,
    key=st.from_regex(r"[a-z][a-z0-9]{2,12}", fullmatch=True),
    title=text.filter(bool),
    authors=st.lists(author, max_size=4).map(tuple),
    year=st.one_of(st.none(), st.integers(1950, 2030)),
    venue=text,
    arxiv=st.sampled_from(["", "2211.17192", "cs.CL/0101001"]),
    url=st.sampled_from(["", "https://example.org/a_b?x=1&y=%20"]),
    taxonomy=st.lists(ident, max_size=3).map(tuple),
    topics=st.lists(text.filter(lambda t: t and ";" not in t), max_size=3).map(tuple),
    relation=st.sampled_from(RELATIONS),
    summary=text,
    note=text,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(papers, max_size=4, unique_by=lambda p: p.key))
def test_bibtex_write_parse_round_trip(items: list[Paper]) -> None:
    parsed = parse_bibtex(format_bibtex(items))
    assert parsed.problems == []
    assert parsed.papers == items


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parsing_never_raises_on_arbitrary_text(raw: str) -> None:
    result = parse_bibtex(raw)
    assert isinstance(result.papers, list) and isinstance(result.problems, list)

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_taxonomy.data.records import Paper
from survey_taxonomy.data.validation import INVISIBLE, doi_url, is_arxiv_id, is_doi, last_allowed_year, validate_paper

GOOD = Paper(
    key="lovelace2023notes",
    title="Notes",
    authors=("Ada Lovelace",),
    year=2023,
    url="https://example.org",
    taxonomy=("competition",),
    relation="curated",
    summary="A paper.",
)


def fields_of(paper: Paper) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in validate_paper(paper, {"competition"})]


def test_good_paper_has_no_problem() -> None:
    assert fields_of(GOOD) == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        pytest.param({"key": "1bad key"}, "key", "not a valid citation key", id="key"),
        pytest.param({"title": ""}, "title", "is missing", id="no-title"),
        pytest.param({"title": "<script>alert(1)</script>"}, "title", "HTML or script", id="script-title"),
        pytest.param({"title": "x" * 301}, "title", "limit is 300", id="long-title"),
        pytest.param({"authors": ()}, "author", "no author", id="no-authors"),
        pytest.param({"authors": ("1234",)}, "author", "has no letters", id="digit-author"),
        pytest.param({"year": None}, "year", "is missing", id="no-year"),
        pytest.param({"year": 1949}, "year", "outside 1950", id="old-year"),
        pytest.param({"year": last_allowed_year() + 1}, "year", "outside", id="future-year"),
        pytest.param({"url": "javascript:alert(1)"}, "url", "not an http(s) URL", id="js-url"),
        pytest.param({"url": "ftp://x.org/a"}, "url", "not an http(s) URL", id="ftp-url"),
        pytest.param({"code": "https://exa mple.org"}, "code", "not an http(s) URL", id="space-url"),
        pytest.param({"url": "http://[x"}, "url", "not an http(s) URL", id="broken-ipv6-host"),
        pytest.param({"arxiv": "arXiv:2211.17192"}, "eprint", "not an arXiv id", id="arxiv-prefix"),
        pytest.param({"doi": "https://doi.org/10.1/x"}, "doi", "not a DOI", id="doi-url"),
        pytest.param({"relation": "friend"}, "relation", "unknown", id="relation"),
        pytest.param({"taxonomy": ("nowhere",)}, "taxonomy", "does not exist", id="node"),
        pytest.param({"summary": ""}, "summary", "is missing", id="no-summary"),
        pytest.param({"summary": "a\x00b"}, "summary", "control characters", id="control"),
        pytest.param({"url": ""}, "url", "no link", id="no-link"),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, Any], field: str, words: str) -> None:
    from dataclasses import replace

    problems = fields_of(replace(GOOD, **changes))
    assert any(f == field and words in m for f, m in problems), problems


def test_lenient_mode_turns_unknown_year_and_link_into_warnings() -> None:
    from dataclasses import replace

    problems = validate_paper(replace(GOOD, year=None, url="", summary=""), {"competition"}, strict=False)
    assert {p.severity for p in problems} == {"warning"}


def test_identifier_syntax() -> None:
    assert is_arxiv_id("2401.01234v2") and is_arxiv_id("hep-th/9901001") and not is_arxiv_id("2401.1")
    assert is_doi("10.1145/3616855.3635825") and not is_doi("10.1/x y")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.text(max_size=50), st.integers(-(10**6), 10**6) | st.none())
def test_validation_never_raises_on_arbitrary_text(title: str, url: str, year: int | None) -> None:
    problems = validate_paper(Paper(key=title[:20], title=title, authors=(title,), year=year, url=url, arxiv=url, doi=url), set())
    assert all(p.message for p in problems)


def test_codekind_names_whose_code_a_link_is() -> None:
    from survey_taxonomy.data.bibliography import format_bibtex, parse_bibtex

    paper = Paper("a2024x", "T", ("A B",), 2024, url="https://e.org/a", code="https://github.com/a/b", code_kind="official")
    (again,) = parse_bibtex(format_bibtex([paper])).papers
    assert again.code_kind == "official"
    bad = [p.field for p in validate_paper(replace(paper, code_kind="mine"))]
    orphan = [p.field for p in validate_paper(replace(paper, code=""))]
    assert "codekind" in bad and "codekind" in orphan and "codekind" not in [p.field for p in validate_paper(paper)]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("9999.99999", "month 99", id="no-month-99"),
        pytest.param("2413.00001", "month 13", id="no-month-13"),
        pytest.param("2400.00001", "month 00", id="no-month-00"),
        pytest.param("0612.1234", "outside", id="before-new-style"),
        pytest.param("2401.1234", "5 digits", id="four-digits-after-2015"),
        pytest.param("1412.12345", "4 digits", id="five-digits-before-2015"),
        pytest.param("2401.00000", "zero", id="number-zero"),
        pytest.param("hep-th/0801001", "outside", id="old-style-after-2007"),
        pytest.param("2211.17192v0", "not shaped", id="version-zero"),
    ],
)
def test_impossible_arxiv_ids_are_refused_saying_why(value: str, reason: str) -> None:
    (problem,) = [p for p in validate_paper(replace(GOOD, arxiv=value)) if p.field == "eprint"]
    assert reason in problem.message


def test_an_arxiv_id_from_the_future_is_refused() -> None:
    today = dt.date.today()
    assert is_arxiv_id(f"{today:%y%m}.00001")
    later = today.replace(day=1) + dt.timedelta(days=62)
    assert not is_arxiv_id(f"{later:%y%m}.00001")


# The 14 that passed the old check (format characters and blank fillers), then a few more of the same kinds.
NEWLY_INVISIBLE = ["\u00ad", "\u034f", "\u061c", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180e", "\u200e", "\u200f", "\u2061", "\u2062", "\u2063", "\u2064"]
NEWLY_INVISIBLE += ["\u206a", "\u206f", "\u3164", "\uffa0", "\ufff9", "\U000e0041", "\U0001d173"]


@pytest.mark.parametrize("char", NEWLY_INVISIBLE, ids=[f"U+{ord(c):04X}" for c in NEWLY_INVISIBLE])
def test_invisible_characters_are_refused(char: str) -> None:
    problems = validate_paper(replace(GOOD, title=f"No{char}tes"))
    assert [p.message for p in problems if p.field == "title"] == [f"contains the invisible bidi or zero-width character U+{ord(char):04X}"]


def test_every_format_character_is_invisible_to_the_check() -> None:
    import sys
    import unicodedata

    format_chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert format_chars and all(INVISIBLE.fullmatch(c) for c in format_chars)


@pytest.mark.parametrize(
    ("doi", "ok"),
    [("10.1016/S0140-6736(20)30183-5", True), ("10.1000/abc)x", False), ("10.1000/(abc", False), ("10.1000/a)(b", False), ("10.5555/" + "x" * 300, False)],
)
def test_dois_need_paired_parentheses_and_a_sane_length(doi: str, ok: bool) -> None:
    problems = [p for p in validate_paper(replace(GOOD, doi=doi)) if p.field == "doi"]
    assert bool(problems) is not ok, problems
    if ok:
        assert doi_url(doi) == "https://doi.org/10.1016/S0140-6736%2820%2930183-5"


def test_odd_entry_types_and_long_lists_are_refused() -> None:
    fields = [p.field for p in validate_paper(replace(GOOD, entry_type="webpage", topics=tuple(f"t{i}" for i in range(21)), taxonomy=("competition",) * 6))]
    assert sorted(fields) == ["entry_type", "taxonomy", "topic"]

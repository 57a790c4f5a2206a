from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_taxonomy.records import Paper
from survey_taxonomy.validation import is_arxiv_id, is_doi, last_allowed_year, validate_paper

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


def fields_of(paper, **kw):
    return [(p.field, p.message) for p in validate_paper(paper, {"competition"}, **kw)]


def test_good_paper_has_no_problem():
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
def test_each_rule_names_its_field(changes, field, words):
    from dataclasses import replace

    problems = fields_of(replace(GOOD, **changes))
    assert any(f == field and words in m for f, m in problems), problems


def test_lenient_mode_turns_unknown_year_and_link_into_warnings():
    from dataclasses import replace

    problems = validate_paper(replace(GOOD, year=None, url="", summary=""), {"competition"}, strict=False)
    assert {p.severity for p in problems} == {"warning"}


def test_identifier_syntax():
    assert is_arxiv_id("2401.01234v2") and is_arxiv_id("hep-th/9901001") and not is_arxiv_id("2401.1")
    assert is_doi("10.1145/3616855.3635825") and not is_doi("10.1/x y")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.text(max_size=50), st.integers(-(10**6), 10**6) | st.none())
def test_validation_never_raises_on_arbitrary_text(title, url, year):
    problems = validate_paper(Paper(key=title[:20], title=title, authors=(title,), year=year, url=url, arxiv=url, doi=url), set())
    assert all(p.message for p in problems)


def test_codekind_names_whose_code_a_link_is():
    from survey_taxonomy.bibliography import format_bibtex, parse_bibtex

    paper = Paper("a2024x", "T", ("A B",), 2024, url="https://e.org/a", code="https://github.com/a/b", code_kind="official")
    (again,) = parse_bibtex(format_bibtex([paper])).papers
    assert again.code_kind == "official"
    bad = [p.field for p in validate_paper(replace(paper, code_kind="mine"))]
    orphan = [p.field for p in validate_paper(replace(paper, code=""))]
    assert "codekind" in bad and "codekind" in orphan and "codekind" not in [p.field for p in validate_paper(paper)]

"""The acceptance rule and its four callers (import, submissions, validate, discover) on the pairs where the
old copies of the rule disagreed: two versions of one arXiv id, and one DOI in two cases."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from survey_taxonomy.config import Settings
from survey_taxonomy.data.acceptance import check_papers, find_duplicates
from survey_taxonomy.data.corpus import load_corpus
from survey_taxonomy.data.records import Paper
from survey_taxonomy.sources.base import Work
from survey_taxonomy.sources.discovery import Candidate, queue_candidates
from survey_taxonomy.submissions import SubmissionStore, read_text
from tests.conftest import CliRun

NODE = "competition/task-specific"
# (identifier field, value in the dataset or first entry, value of the second entry)
PAIRS = [
    pytest.param("eprint", "2501.00001", "2501.00001v2", id="arxiv-version"),
    pytest.param("doi", "10.5555/ABC.def", "10.5555/abc.DEF", id="doi-case"),
]


def entry(key: str, title: str, field: str, value: str) -> str:
    fields = f"title={{{title}}}, author={{Ada Lovelace}}, year={{2025}}, {field}={{{value}}}, taxonomy={{{NODE}}}, relation={{curated}}, summary={{One line.}}"
    return f"@misc{{{key}, {fields}}}\n"


def with_entry(data: Path, field: str, value: str) -> Path:
    """`data` with one more dataset paper carrying `field = value`."""
    bib = data / "papers.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n" + entry("known2025tables", "Tables for tiny models", field, value), encoding="utf-8")
    return data


def paper(key: str, title: str, field: str, value: str) -> Paper:
    arxiv, doi = (value, "") if field == "eprint" else ("", value)
    return Paper(key, title, ("Ada Lovelace",), 2025, arxiv=arxiv, doi=doi, taxonomy=(NODE,), summary="One line.")


@pytest.mark.parametrize(("field", "first", "second"), PAIRS)
def test_the_rule_calls_both_one_paper_in_a_batch_and_against_known_papers(field: str, first: str, second: str) -> None:
    one, two = paper("one2025", "First title", field, first), paper("two2025", "Second title", field, second)
    within = check_papers([one, two], {NODE}, source="batch")
    assert [(p.key, p.field, p.severity) for p in within] == [("two2025", field, "error")] and "'one2025'" in within[0].message
    against = check_papers([two], {NODE}, [one], source="new")
    assert [(p.key, p.severity) for p in against] == [("two2025", "error")]
    in_dataset = check_papers([one, two], {NODE}, source="papers.bib", strict=False, near_titles=False)
    assert [(p.key, p.severity, p.hint) for p in in_dataset] == [("two2025", "warning", "merge the two entries")]


def test_near_titles_are_warnings_and_exact_titles_errors() -> None:
    known = [Paper("old2024", "Fast Inference from Transformers via Speculative Decoding")]
    near, exact = find_duplicates([Paper("a", "Fast inference from transformers with speculative decoding"), Paper("b", known[0].title.upper())], known)
    assert not near[0].is_exact and near[0].kind == "title" and exact[0].is_exact
    severities = [
        p.severity
        for p in check_papers([paper("n2025", "Fast inference from transformers with speculative decoding", "doi", "10.5555/x")], {NODE}, known, source="s")
    ]
    assert severities == ["warning"]


@pytest.mark.parametrize(("field", "first", "second"), PAIRS)
def test_import_refuses_the_pair_within_a_file_and_against_the_dataset(
    run_cli: Callable[..., CliRun], tiny_copy: Path, tmp_path: Path, field: str, first: str, second: str
) -> None:
    both = tmp_path / "both.bib"
    both.write_text(entry("one2025", "First title", field, first) + entry("two2025", "Second title", field, second), encoding="utf-8")
    proc = run_cli("--data", tiny_copy, "import", both)
    assert proc.returncode == 1 and "[two2025]" in proc.stderr and "duplicate: has the same" in proc.stderr
    with_entry(tiny_copy, field, first)
    again = tmp_path / "again.bib"
    again.write_text(entry("two2025", "Second title", field, second), encoding="utf-8")
    proc = run_cli("--data", tiny_copy, "import", again)
    assert proc.returncode == 1 and "'known2025tables'" in proc.stderr


@pytest.mark.parametrize(("field", "first", "second"), PAIRS)
def test_validate_warns_about_the_pair_in_the_dataset(run_cli: Callable[..., CliRun], tiny_copy: Path, field: str, first: str, second: str) -> None:
    bib = tiny_copy / "papers.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + entry("one2025", "First title", field, first) + entry("two2025", "Second title", field, second))
    proc = run_cli("--data", tiny_copy, "validate")
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith("0 errors, 1 warning")
    assert "warning: papers.bib" in proc.stderr and "[two2025]" in proc.stderr and "merge the two entries" in proc.stderr


@pytest.mark.parametrize(("field", "first", "second"), PAIRS)
def test_submissions_refuse_the_pair_within_a_submission_and_against_the_dataset(tmp_path: Path, tiny_copy: Path, field: str, first: str, second: str) -> None:
    store = SubmissionStore(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        drafts, problems = read_text(entry("one", "First title", field, first) + entry("two", "Second title", field, second), "paste")
        result = store.submit(drafts, load_corpus(tiny_copy), session="t", per_minute=None, problems=problems)
        assert not result.ok and [(p.key, p.field) for p in result.errors] == [("two", field)]
        drafts, problems = read_text(entry("two", "Second title", field, second), "paste")
        result = store.submit(drafts, load_corpus(with_entry(tiny_copy, field, first)), session="t", per_minute=None, problems=problems)
        assert not result.ok and "'known2025tables'" in result.errors[0].message
    finally:
        store.close()


@pytest.mark.parametrize(("field", "first", "second"), PAIRS)
def test_discover_skips_a_candidate_the_dataset_has_in_another_form(tmp_path: Path, tiny_copy: Path, field: str, first: str, second: str) -> None:
    corpus = load_corpus(with_entry(tiny_copy, field, first))
    arxiv, doi = (second, "") if field == "eprint" else ("", second)
    work = Work("openalex", "W1", "A different title", 2025, authors=("Ada Lovelace",), abstract="One line.", arxiv=arxiv, doi=doi)
    store = SubmissionStore(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        report = queue_candidates([Candidate(work, cites_survey=True)], corpus, store, Settings(data_dir=tiny_copy), suggest=lambda *_: [(NODE, 1.0)])
        assert report.queued == [] and "already known" in report.skipped[0] and "known2025tables" in report.skipped[0]
        assert store.find() == []
    finally:
        store.close()


# (what is wrong, a BibTeX field that says it, the same in the form's fields, the field the problem names)
DISAGREED = [
    pytest.param("cites={nosuchkey2020}", {"cites": ["nosuchkey2020"]}, "cites", "unknown key", id="unknown-cites-key"),
    pytest.param("doi={10.5555/" + "x" * 300 + "}", {"doi": "10.5555/" + "x" * 300}, "doi", "the limit is 200", id="over-long-doi"),
    pytest.param("doi={10.5555/abc)x}", {"doi": "10.5555/abc)x"}, "doi", "parentheses", id="unbalanced-doi"),
    pytest.param("eprint={9999.99999}", {"arxiv": "9999.99999"}, "eprint", "month 99", id="impossible-arxiv-id"),
    pytest.param("topic={" + "; ".join(f"t{i}" for i in range(30)) + "}", {"facets": [f"t{i}" for i in range(30)]}, "topic", "at most 20", id="many-topics"),
]


@pytest.mark.parametrize(("bib_field", "form_field", "field", "words"), DISAGREED)
def test_import_the_form_and_a_paste_refuse_the_same_paper(
    run_cli: Callable[..., CliRun], tiny_copy: Path, tmp_path: Path, bib_field: str, form_field: dict[str, object], field: str, words: str
) -> None:
    text = entry("odd2025", "An odd paper", "url", "https://example.org/odd").replace("relation={curated}", bib_field)
    path = tmp_path / "odd.bib"
    path.write_text(text, encoding="utf-8")
    proc = run_cli("--data", tiny_copy, "import", path)
    assert proc.returncode == 1 and words in proc.stderr, proc.stderr
    payload = {"title": "An odd paper", "authors": ["Ada Lovelace"], "year": 2025, "url": "https://example.org/odd", "taxonomy": NODE, "summary": "One line."}
    store = SubmissionStore(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        for drafts, problems in (read_text(json.dumps(payload | form_field), "form"), read_text(text, "paste")):
            result = store.submit(drafts, load_corpus(tiny_copy), session="t", per_minute=None, problems=problems)
            assert not result.ok and any(words in p.message for p in result.errors), result.errors
        assert store.find() == []
    finally:
        store.close()


def test_import_refuses_an_odd_entry_type_as_a_paste_does(run_cli: Callable[..., CliRun], tiny_copy: Path, tmp_path: Path) -> None:
    text = entry("odd2025", "An odd paper", "url", "https://example.org/odd").replace("@misc", "@webpage")
    path = tmp_path / "odd.bib"
    path.write_text(text, encoding="utf-8")
    proc = run_cli("--data", tiny_copy, "import", path)
    assert proc.returncode == 1 and "'webpage' is not a BibTeX entry type" in proc.stderr, proc.stderr
    store = SubmissionStore(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        drafts, problems = read_text(text, "paste")
        result = store.submit(drafts, load_corpus(tiny_copy), session="t", per_minute=None, problems=problems)
        assert not result.ok and [p.field for p in result.errors] == ["entry_type"]
    finally:
        store.close()


def test_a_discovered_candidate_is_held_to_the_same_rule(tmp_path: Path, tiny_copy: Path) -> None:
    work = Work("openalex", "W2", "A paper with a long DOI", 2025, authors=("Ada Lovelace",), abstract="One line.", doi="10.5555/" + "x" * 300)
    store = SubmissionStore(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        report = queue_candidates(
            [Candidate(work, cites_survey=True)], load_corpus(tiny_copy), store, Settings(data_dir=tiny_copy), suggest=lambda *_: [(NODE, 1.0)]
        )
        assert report.queued == [] and "the limit is 200" in report.skipped[0] and store.find() == []
    finally:
        store.close()

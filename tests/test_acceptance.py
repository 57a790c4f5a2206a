"""The acceptance rule and its four callers (import, submissions, validate, discover) on the pairs where the
old copies of the rule disagreed: two versions of one arXiv id, and one DOI in two cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_taxonomy.acceptance import check_papers, find_duplicates
from survey_taxonomy.config import Settings
from survey_taxonomy.corpus import load_corpus
from survey_taxonomy.discovery import Candidate, queue_candidates
from survey_taxonomy.records import Paper
from survey_taxonomy.sources.base import Work
from survey_taxonomy.submissions import SubmissionStore, read_text

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
    return Paper(key, title, ("Ada Lovelace",), 2025, taxonomy=(NODE,), summary="One line.", **{"arxiv" if field == "eprint" else "doi": value})


@pytest.mark.parametrize(("field", "first", "second"), PAIRS)
def test_the_rule_calls_both_one_paper_in_a_batch_and_against_known_papers(field, first, second):
    one, two = paper("one2025", "First title", field, first), paper("two2025", "Second title", field, second)
    within = check_papers([one, two], {NODE}, source="batch")
    assert [(p.key, p.field, p.severity) for p in within] == [("two2025", field, "error")] and "'one2025'" in within[0].message
    against = check_papers([two], {NODE}, [one], source="new")
    assert [(p.key, p.severity) for p in against] == [("two2025", "error")]
    in_dataset = check_papers([one, two], {NODE}, source="papers.bib", strict=False, near_titles=False)
    assert [(p.key, p.severity, p.hint) for p in in_dataset] == [("two2025", "warning", "merge the two entries")]


def test_near_titles_are_warnings_and_exact_titles_errors():
    known = [Paper("old2024", "Fast Inference from Transformers via Speculative Decoding")]
    near, exact = find_duplicates([Paper("a", "Fast inference from transformers with speculative decoding"), Paper("b", known[0].title.upper())], known)
    assert not near[0].is_exact and near[0].kind == "title" and exact[0].is_exact
    severities = [
        p.severity
        for p in check_papers([paper("n2025", "Fast inference from transformers with speculative decoding", "doi", "10.5555/x")], {NODE}, known, source="s")
    ]
    assert severities == ["warning"]


@pytest.mark.parametrize(("field", "first", "second"), PAIRS)
def test_import_refuses_the_pair_within_a_file_and_against_the_dataset(run_cli, tiny_copy, tmp_path, field, first, second):
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
def test_validate_warns_about_the_pair_in_the_dataset(run_cli, tiny_copy, field, first, second):
    bib = tiny_copy / "papers.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + entry("one2025", "First title", field, first) + entry("two2025", "Second title", field, second))
    proc = run_cli("--data", tiny_copy, "validate")
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith("0 errors, 1 warning")
    assert "warning: papers.bib" in proc.stderr and "[two2025]" in proc.stderr and "merge the two entries" in proc.stderr


@pytest.mark.parametrize(("field", "first", "second"), PAIRS)
def test_submissions_refuse_the_pair_within_a_submission_and_against_the_dataset(tmp_path, tiny_copy, field, first, second):
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
def test_discover_skips_a_candidate_the_dataset_has_in_another_form(tmp_path, tiny_copy, field, first, second):
    corpus = load_corpus(with_entry(tiny_copy, field, first))
    work = Work(
        "openalex", "W1", "A different title", 2025, authors=("Ada Lovelace",), abstract="One line.", **{"arxiv" if field == "eprint" else "doi": second}
    )
    store = SubmissionStore(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        report = queue_candidates([Candidate(work, cites_survey=True)], corpus, store, Settings(data_dir=tiny_copy), suggest=lambda *_: [(NODE, 1.0)])
        assert report.queued == [] and "already known" in report.skipped[0] and "known2025tables" in report.skipped[0]
        assert store.find() == []
    finally:
        store.close()

"""Triage (`models.triage`, `python -m survey_taxonomy triage`, `discover`, the Review page): real papers from the
labelled pool go where they belong, the JSON has its shape, bad input gets a message, and the review queue sorts by
relevance and rejects out-of-scope submissions in bulk only with the admin token."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from hypothesis import given, settings
from hypothesis.strategies import text as st_text

from survey_taxonomy.config import Settings
from survey_taxonomy.data.corpus import Corpus, load_corpus
from survey_taxonomy.data.records import Paper
from survey_taxonomy.errors import ModelError, SubmissionError
from survey_taxonomy.models.triage import EXAMPLES_PATH, PoolPaper, Triage, load_examples, load_pool, node_hit, screening_metrics, triage_for
from survey_taxonomy.sources.base import Work
from survey_taxonomy.sources.discovery import ORIGIN, Candidate, queue_candidates
from survey_taxonomy.submissions import Draft, SubmissionStore
from tests.apptest import open_page
from tests.conftest import CliRun

POOL = Path(__file__).resolve().parent.parent / "benchmarks" / "triage_pool.yaml"
OFF_TOPIC = "2604.17128"  # Deep Learning-Based Snow Depth Retrieval Using Sentinel-1 Repeat-Pass InSAR
ON_TOPIC = "2603.03752"  # Confidence-Calibrated Small-Large Language Model Collaboration for Cost-Efficient Reasoning
TOKEN = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def triage(corpus: Corpus) -> Triage:
    """The triage of the shipped data, trained once for the module."""
    return triage_for(corpus)


@pytest.fixture(scope="module")
def pool(corpus: Corpus) -> dict[str, PoolPaper]:
    return {p.arxiv: p for p in load_pool(POOL, corpus.taxonomy)}


def bib_entry(key: str, paper: PoolPaper) -> str:
    return f"@misc{{{key},\n  title = {{{paper.title}}},\n  year = {{2026}},\n  abstract = {{{paper.abstract}}},\n}}\n"


def test_the_pool_is_real_papers_outside_the_dataset_and_outside_the_training_examples(corpus: Corpus, pool: dict[str, PoolPaper]) -> None:
    dataset = {p.arxiv for p in corpus.papers if p.arxiv}
    training = {e.arxiv for e in load_examples()}
    assert len(pool) >= 60 and not set(pool) & dataset and not set(pool) & training
    kinds = {p.kind for p in pool.values()}
    assert {"science-with-ml-words", "ml-unrelated", "llm-not-about-the-relation", "borderline", "in-scope"} <= kinds
    assert all(p.why for p in pool.values() if p.kind == "borderline")


def test_triage_prints_one_json_object_per_entry_with_the_promised_fields(
    run_cli: Callable[..., CliRun], tmp_path: Path, pool: dict[str, PoolPaper], corpus: Corpus
) -> None:
    bib = tmp_path / "new.bib"
    bib.write_text(bib_entry("snow", pool[OFF_TOPIC]) + bib_entry("cascade", pool[ON_TOPIC]), encoding="utf-8")
    run = run_cli("triage", bib)
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [set(r) for r in rows] == [{"key", "relevance", "in_scope", "nodes", "reason"}] * 2
    assert [r["key"] for r in rows] == ["snow", "cascade"]
    for row in rows:
        assert 0.0 <= row["relevance"] <= 1.0 and isinstance(row["in_scope"], bool)
        assert len(row["nodes"]) == 3 == len(set(row["nodes"])) and all(n in corpus.taxonomy for n in row["nodes"])
        assert "relevance" in row["reason"] and "threshold" in row["reason"] and "closest atlas paper" in row["reason"]
    snow, cascade = rows
    assert not snow["in_scope"] and snow["reason"].startswith("out of scope")
    assert cascade["in_scope"] and cascade["relevance"] > snow["relevance"]
    assert any(node_hit(n, pool[ON_TOPIC].nodes, corpus.taxonomy) for n in cascade["nodes"])


def test_text_format_and_a_summary_when_there_is_no_abstract(run_cli: Callable[..., CliRun], tmp_path: Path, pool: dict[str, PoolPaper]) -> None:
    bib = tmp_path / "new.bib"
    summary = "A small model answers first and defers to a large one."
    bib.write_text(f"@misc{{cascade, title = {{{pool[ON_TOPIC].title}}}, summary = {{{summary}}}}}", encoding="utf-8")
    run = run_cli("triage", bib, "--format", "text")
    assert run.returncode == 0 and run.stdout.startswith("cascade: IN ") and "threshold" in run.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(None, "cannot read", id="missing-file"),
        pytest.param("@misc{broken, title = {No closing brace,\n", "cannot be parsed", id="broken-bibtex"),
        pytest.param("@misc{untitled, year = {2024}}", "entry has no title", id="no-title"),
        pytest.param("just some text", "no BibTeX entry found", id="not-bibtex"),
    ],
)
def test_bad_input_gets_a_message_and_an_error_code_not_a_traceback(run_cli: Callable[..., CliRun], tmp_path: Path, content: str | None, expected: str) -> None:
    bib = tmp_path / "new.bib"
    if content is not None:
        bib.write_text(content, encoding="utf-8")
    run = run_cli("triage", bib)
    assert run.returncode == 1 and expected in run.stderr and "Traceback" not in run.stderr and run.stdout == ""


def test_broken_entries_are_reported_and_the_good_ones_still_triaged(run_cli: Callable[..., CliRun], fixtures_dir: Path) -> None:
    run = run_cli("triage", fixtures_dir / "broken.bib")
    assert run.returncode == 1 and "broken.bib:12" in run.stderr
    assert {json.loads(line)["key"] for line in run.stdout.splitlines()} >= {"good2023first", "good2023third"}


def test_an_almost_empty_entry_is_not_in_scope_for_being_short(triage: Triage) -> None:
    """The atlas's examples are one-line summaries: a short text must not look in scope for its length alone."""
    assert not triage.assess("x", "A Good First Entry").in_scope


@settings(max_examples=25, deadline=None)
@given(title=st_text(min_size=1, max_size=200), abstract=st_text(max_size=600))
def test_any_text_gets_a_verdict_with_a_relevance_between_0_and_1(triage: Triage, title: str, abstract: str) -> None:
    verdict = triage.assess("k", title, abstract)
    assert 0.0 <= verdict.relevance <= 1.0 and verdict.in_scope == (verdict.relevance >= triage.threshold) and len(verdict.nodes) == 3


def test_bad_pool_and_example_files_are_refused_with_the_place_named(tmp_path: Path, corpus: Corpus) -> None:
    pool = tmp_path / "pool.yaml"
    pool.write_text("papers:\n- {arxiv: '1', label: maybe, kind: k, title: T, abstract: A}\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"paper 1 \(1\): label 'maybe'"):
        load_pool(pool, corpus.taxonomy)
    examples = tmp_path / "examples.jsonl"
    examples.write_text(EXAMPLES_PATH.read_text(encoding="utf-8").splitlines()[0] + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ModelError, match="line 2"):
        load_examples(examples)


def test_the_pool_meets_the_targets_it_meets(triage: Triage, pool: dict[str, PoolPaper]) -> None:
    """Measured on the pool (README): WSS@95 and node top-3 meet their targets; out-of-scope caught (88 %) and
    in-scope kept (89 %) do not, so they are reported, not asserted. Science and unrelated ML are all caught."""
    report, verdicts = screening_metrics(triage, list(pool.values()))
    assert report.wss95 >= 0.35 and report.node_top3 >= 0.80
    caught = [not v.in_scope for v, p in zip(verdicts, pool.values(), strict=True) if p.kind in ("science-with-ml-words", "ml-unrelated")]
    assert len(caught) == 24 and all(caught)


def work_of(paper: PoolPaper, work_id: str) -> Work:
    return Work("openalex", work_id, paper.title, 2026, arxiv=paper.arxiv, authors=("Ada Lovelace",), abstract=paper.abstract)


def test_discover_triages_with_the_same_code_and_keeps_the_verdict_with_the_submission(
    tmp_path: Path, data_copy: Path, pool: dict[str, PoolPaper], triage: Triage
) -> None:
    corpus = load_corpus(data_copy)
    store = SubmissionStore(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        candidates = [Candidate(work_of(pool[OFF_TOPIC], "W1"), cites_survey=True), Candidate(work_of(pool[ON_TOPIC], "W2"), cites_survey=True)]
        report = queue_candidates(candidates, corpus, store, Settings(data_dir=data_copy))
        assert len(report.queued) == 2 and "OUT OF scope" in report.queued[0] and "In scope" in report.queued[1]
        stored = store.find()
        expected = [triage.assess(w.work.id, w.work.title, w.work.abstract).to_dict() for w in candidates]
        assert [dict(s.evidence or {})["triage"] for s in stored] == expected
        assert stored[1].draft.paper.taxonomy == (expected[1]["nodes"][0],)
    finally:
        store.close()


def discovered(title: str, relevance: float, in_scope: bool) -> Draft:
    link = "https://example.org/" + title.split()[0].lower()
    node = "competition/task-specific"
    paper = Paper(key="x", title=title, authors=("Ada Lovelace",), year=2026, url=link, taxonomy=(node,), relation="community", summary="One line.")
    triage = {"key": title, "relevance": relevance, "in_scope": in_scope, "nodes": ["competition/task-specific"], "reason": f"because {title}"}
    return Draft(paper, source="discover", label=title, origin=ORIGIN, form=False, evidence={"triage": triage})


@pytest.fixture
def queued(tmp_path: Path, tiny_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SubmissionStore]:
    url = f"sqlite:///{tmp_path / 'submissions.db'}"
    store = SubmissionStore(url)
    drafts = [discovered("Lowly relevant paper", 0.2, False), discovered("Highly relevant paper", 0.9, True), discovered("Middling paper", 0.5, True)]
    result = store.submit(drafts, load_corpus(tiny_copy), session="t", per_minute=None)
    assert result.ok, result.errors
    monkeypatch.setenv("SURVEY_DB_URL", url)
    monkeypatch.setenv("SURVEY_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("SURVEY_DATA_DIR", str(tiny_copy))
    yield store
    store.close()


def test_the_store_sorts_by_relevance_and_rejects_out_of_scope_only_with_the_token(queued: SubmissionStore) -> None:
    assert [s.title for s in queued.queue_by_relevance(1).submissions] == ["Highly relevant paper", "Middling paper", "Lowly relevant paper"]
    with pytest.raises(SubmissionError):
        queued.reject_out_of_scope(token="wrong", admin_token=TOKEN)
    assert queued.count("pending") == 3
    done = queued.reject_out_of_scope(token=TOKEN, admin_token=TOKEN, reviewer="maintainer")
    assert [s.title for s in done] == ["Lowly relevant paper"] and queued.count("pending") == 2


def test_the_review_page_shows_the_verdict_sorts_by_relevance_and_rejects_out_of_scope_in_bulk(queued: SubmissionStore) -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page("pages/review.py")
    at.text_input(key="review_token_typed").input(TOKEN)
    at.button[0].click().run()
    assert not at.exception
    badges = [m.value for m in at.markdown if "relevance" in m.value]
    assert badges == [":red-badge[out of scope · relevance 0.20]", ":green-badge[in scope · relevance 0.90]", ":green-badge[in scope · relevance 0.50]"]
    at.segmented_control(key="review_order").set_value("relevance").run()
    shown = [m.value for m in at.markdown if m.value.startswith("**#")]
    assert [s.split("· ")[1] for s in shown] == ["Highly relevant paper", "Middling paper", "Lowly relevant paper"]
    at.button(key="review_reject_out_of_scope").click().run()
    assert not at.exception and queued.count("pending") == 2 and queued.count("rejected") == 1
    assert any("1 submission out of scope rejected" in s.value for s in at.success)

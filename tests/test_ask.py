"""An honest "Ask the survey" without a language model: sentences and their citations, the support check, the
extractive answer on the shipped data, and what the page shows an answer rests on."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.models.rag import DEFAULT_MODE, MODES, answer_markdown, extract, rests_on_markdown, start_extract
from survey_taxonomy.models.retrieval import Retriever, build_retriever
from survey_taxonomy.models.support import (
    SUPPORT_THRESHOLD,
    check_answer,
    check_sentence,
    complete_sentences,
    evidence_for,
    references,
    split_sentences,
    support_score,
)
from tests.conftest import CliRun

EVIDENCE = {
    "leviathan2023fast": (
        "Fast Inference from Transformers via Speculative Decoding. A small draft model proposes tokens that the large model verifies in parallel."
    ),
    "hu2024routerbench": "RouterBench. A benchmark of precomputed LLM outputs for evaluating routers on cost and quality.",
}


@pytest.fixture(scope="module")
def retriever(corpus: Corpus) -> Retriever:
    return build_retriever(corpus)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One [k1]. Two [k2].", ["One [k1].", "Two [k2]."]),
        ("Drafts help, e.g. for LLMs, as Chen et al. show. Next.", ["Drafts help, e.g. for LLMs, as Chen et al. show.", "Next."]),
        ("Fast. [k1] [k2]\nSlow.", ["Fast. [k1] [k2]", "Slow."]),
        ("Fast. [k1] is a model.", ["Fast.", "[k1] is a model."]),
        ("Version 2.5 is out! Is it? Yes", ["Version 2.5 is out!", "Is it?", "Yes"]),
        ("", []),
    ],
    ids=["two", "abbreviations", "trailing-citations", "citation-opens-next", "marks-and-decimals", "empty"],
)
def test_sentences_split_where_a_reader_would(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Speculative decoding is fast [k1]. It uses a draft model and", "Speculative decoding is fast [k1]."),
        ("According to [k1], drafts help. [k1] [k2]\nThey also", "According to [k1], drafts help. [k1] [k2]"),
        ("Cut in the first sentence, e.g.", ""),
        ("Whole. Answer!", "Whole. Answer!"),
        ("Steps:\n\n1. Route the query.\n\n2.", "Steps:\n\n1. Route the query."),
    ],
    ids=["cut-mid-sentence", "citations-after-stop", "no-sentence", "complete", "list-number"],
)
def test_an_answer_cut_at_the_token_limit_keeps_only_whole_sentences(text: str, kept: str) -> None:
    assert complete_sentences(text) == kept


@given(st.text(alphabet=st.sampled_from("ab .!?[]k1\n,"), max_size=60))
def test_complete_sentences_is_a_prefix_that_ends_a_sentence(text: str) -> None:
    kept = complete_sentences(text)
    assert text.startswith(kept)
    assert kept == "" or re.search(r"[.!?][\"'”’)]*(\s*\[[^\[\]]*\])*$", kept)


def test_references_are_retrieved_keys_numbers_and_key_like_names() -> None:
    assert references("See [leviathan2023fast; 7] and [CLS] [smith2020fast].", EVIDENCE.keys()) == ["leviathan2023fast", "7", "smith2020fast"]


def test_a_sentence_backed_by_its_paper_is_supported_and_an_off_topic_one_is_not() -> None:
    good = check_sentence("A small draft model proposes tokens that the large model verifies [leviathan2023fast].", EVIDENCE)
    bad = check_sentence("Birds migrate south in winter [leviathan2023fast].", EVIDENCE)
    assert good.supported and good.score >= SUPPORT_THRESHOLD and good.precise == ("leviathan2023fast",)
    assert good.passages[0].text.startswith("A small draft model")
    assert not bad.supported and bad.score < SUPPORT_THRESHOLD and bad.precise == ()


def test_a_citation_that_adds_nothing_is_not_precise() -> None:
    check = check_sentence("A small draft model proposes tokens verified in parallel [leviathan2023fast, hu2024routerbench].", EVIDENCE)
    assert check.supported
    assert check.precise == ("leviathan2023fast",)  # the router benchmark neither supports it alone nor is needed


def test_invented_references_are_never_counted_as_cited() -> None:
    check = check_sentence("Drafts propose tokens [7] [smith2020fast].", EVIDENCE)
    assert check.cited == () and check.invented == ("7", "smith2020fast") and not check.supported


def test_a_sentence_without_a_citation_is_not_supported_even_when_true() -> None:
    (check,) = check_answer("A small draft model proposes tokens that the large model verifies.", EVIDENCE)
    assert not check.supported and check.score == 0.0


def test_support_is_the_share_of_content_words_and_ignores_framing() -> None:
    assert support_score("According to [k1], the paper proposes draft tokens.", "draft tokens") == 1.0
    assert support_score("Draft tokens and routers.", "draft tokens") == pytest.approx(2 / 3, abs=1e-4)
    assert support_score("", "anything") == 0.0


def test_the_extractive_answer_quotes_retrieved_papers_each_with_its_own_key(corpus: Corpus, retriever: Retriever) -> None:
    extracted = start_extract("How can a small model make LLM decoding faster?", retriever, k=5)
    assert len(extracted.papers) == 5 and 1 <= len(extracted.sentences) <= 3
    for sentence, key in extracted.sentences:
        assert key in extracted.keys and sentence in corpus.by_key[key].summary
    checks = extracted.checks()
    assert [c.cited for c in checks] == [(key,) for _, key in extracted.sentences]
    assert all(c.supported and not c.invented for c in checks)
    result = extracted.result()
    assert result["invented"] == [] and set(result["cited"]) <= set(result["retrieved"]) and result["metrics"]["first_word_s"] < 5


def test_the_extractive_answer_quotes_the_papers_closest_to_the_question_first(corpus: Corpus) -> None:
    near, far = corpus.by_key["hu2024routerbench"], corpus.by_key["leviathan2023fast"]
    extracted = extract("Which benchmark compares routers on cost and quality?", [far, near])
    assert [key for _, key in extracted.sentences] == [near.key]  # the decoding paper holds too few of its words


def test_the_extractive_answer_picks_the_sentence_closest_to_the_question(corpus: Corpus) -> None:
    paper = corpus.by_key["leviathan2023fast"]
    abstracts = {paper.key: "Transformers are slow to sample from. Our drafts make decoding two to three times faster."}
    extracted = extract("How much faster is decoding with drafts?", [paper], abstracts)
    assert extracted.sentences == [("Our drafts make decoding two to three times faster.", paper.key)]
    assert evidence_for([paper], abstracts)[paper.key].endswith("faster.")


def test_what_an_answer_rests_on_is_inert_markdown() -> None:
    hostile = "Drafts propose tokens [leviathan2023fast] ![x](https://evil.example/a.png) <script>. Also [9]."
    shown = rests_on_markdown(check_answer(hostile, EVIDENCE))
    assert "](paper?key=leviathan2023fast)" in shown
    assert re.findall(r"(?<!\\)\]\((?!paper\?key=)", shown) == []  # no link or image but the key's
    assert re.search(r"(?<!\\)<", shown) is None
    assert "names no retrieved paper" in shown and "No source cited" in shown


def test_only_retrieved_keys_become_links() -> None:
    shown = answer_markdown("See [leviathan2023fast] and [smith2020fast].", ["leviathan2023fast"])
    assert shown.count("](paper?key=") == 1 and "\\[smith2020fast\\]" in shown


def test_the_default_mode_is_one_of_the_modes_and_the_cli_offers_the_same(run_cli: Callable[..., CliRun]) -> None:
    assert DEFAULT_MODE in MODES
    done = run_cli("ask", "--help")
    assert "{" + ",".join(MODES) + "}" in done.stdout


def test_cli_ask_is_extractive_by_default_and_needs_no_model(run_cli: Callable[..., CliRun]) -> None:
    done = run_cli("ask", "What is speculative decoding?", "--k", "3", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["model_used"].startswith("extractive") and result["invented"] == []
    assert {"answer", "cited", "sentences", "invented", "model_used", "metrics", "retrieved", "cut_at_token_limit"} <= set(result)
    assert set(result["cited"]) <= set(result["retrieved"]) and len(result["retrieved"]) == 3


def test_the_support_check_agrees_with_a_reader_on_real_small_model_sentences(corpus: Corpus) -> None:
    from benchmarks.ask_eval import hand_labelled

    report = hand_labelled(corpus)
    assert report["sentences"] >= 25
    assert report["agreement"] >= 0.7  # measured 0.72 at SUPPORT_THRESHOLD 0.5; the README reports its blind spots


def test_cli_ask_text_says_how_many_sentences_their_papers_support(run_cli: Callable[..., CliRun]) -> None:
    done = run_cli("ask", "Why do tree-based models still beat deep learning on tabular data?")
    assert done.returncode == 0, done.stderr
    assert "cited: grinsztajn2022tree" in done.stdout
    assert re.search(r"answered by extractive .*: (\d+) of \1 sentences? supported by the papers cited", done.stdout)

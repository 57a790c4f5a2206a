from pathlib import Path

import pytest

from survey_taxonomy.data.corpus import DATA_FILES, files_signature, load_corpus, venue_name
from survey_taxonomy.data.records import Paper
from survey_taxonomy.query.selection import Selection


def test_tiny_corpus_loads_with_edges(tiny_dir: Path) -> None:
    corpus = load_corpus(tiny_dir)
    assert len(corpus) == 8 and corpus.errors == []
    assert corpus.survey is not None and corpus.survey.key == "chen2024what"
    edges = set(corpus.edges())
    assert ("chen2024what", "leviathan2023fast") in edges  # the survey cites its references
    assert ("zhang2025lightrouter", "chen2024what") in edges  # citing papers cite the survey
    assert ("xia2024unlocking", "leviathan2023fast") in edges  # from citations.csv
    assert corpus.by_key["xia2024unlocking"].cites == ("leviathan2023fast", "chen2023accelerating")


def test_frame_columns(tiny_dir: Path) -> None:
    frame = load_corpus(tiny_dir).frame
    row = frame.loc["leviathan2023fast"]
    assert row["venue_name"] == "ICML" and row["year"] == 2023 and row["has_code"]
    assert row["category"] == "Efficient inference"  # second-level node under Collaboration
    assert "speculative" in row["search_text"]


def test_file_signature_changes_with_any_data_file_and_a_reload_sees_the_change(tiny_copy: Path) -> None:
    before = files_signature(tiny_copy)
    assert [Path(path).name for path, _, _ in before] == list(DATA_FILES) and files_signature(tiny_copy) == before
    bib = tiny_copy / "papers.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@misc{new2024x, title={New}, year={2024}, url={https://example.org}}\n", encoding="utf-8")
    assert files_signature(tiny_copy) != before  # what atlas_ui.cache.corpus() keys its cache on
    assert load_corpus(tiny_copy).get("new2024x") is not None


def test_extra_papers_join_without_replacing_dataset_keys(tiny_dir: Path) -> None:
    extra = [
        Paper(key="community2025x", title="Community paper", year=2025, relation="community"),
        Paper(key="leviathan2023fast", title="Impostor", relation="community"),
    ]
    corpus = load_corpus(tiny_dir, extra_papers=extra)
    assert len(corpus) == 9
    assert corpus.by_key["leviathan2023fast"].title.startswith("Fast Inference")
    assert "community2025x" in corpus.frame.index


def test_citation_rows_must_name_known_keys_and_a_source(tiny_copy: Path) -> None:
    (tiny_copy / "citations.csv").write_text(
        "citing,cited,source,evidence\nnobody2020x,leviathan2023fast,https://x.org,e\nxia2024unlocking,leviathan2023fast,,\n"
    )
    corpus = load_corpus(tiny_copy)
    messages = [str(p) for p in corpus.errors]
    assert any("citing key 'nobody2020x' is not in the dataset" in m for m in messages)
    assert any("citations.csv:3" in m and "needs citing, cited and source" in m for m in messages)


def test_venue_name() -> None:
    assert venue_name("NeurIPS 2022 Datasets and Benchmarks") == "NeurIPS 2022 Datasets and Benchmarks"
    assert venue_name("ICML 2023") == "ICML"
    assert venue_name("EuroMLSys 2025 (5th Workshop on Machine Learning and Systems)") == "EuroMLSys"


def _edit_taxonomy(data: Path) -> None:
    path = data / "taxonomy.yaml"
    text = path.read_text(encoding="utf-8")
    assert "label: Speculative decoding" in text
    path.write_text(text.replace("label: Speculative decoding", "label: Drafting with a small model"), encoding="utf-8")


def _edit_papers(data: Path) -> None:
    path = data / "papers.bib"
    path.write_text(path.read_text(encoding="utf-8").replace("Fast Inference from Transformers", "Faster Inference from Transformers", 1), encoding="utf-8")


def _edit_citations(data: Path) -> None:
    with (data / "citations.csv").open("a", encoding="utf-8") as out:
        out.write("xia2024unlocking,ong2024routellm,https://example.org/list,a hand-checked list\n")


def _edit_counts(data: Path) -> None:
    (data / "citation_counts.csv").write_text("key,provider,work_id,count,retrieved\nleviathan2023fast,openalex,W1,7,2026-01-01\n", encoding="utf-8")


def _edit_abstracts(data: Path) -> None:
    rows = "key,provider,work_id,retrieved,abstract\nleviathan2023fast,openalex,W1,2026-01-01,A draft model guesses.\n"
    (data / "abstracts.csv").write_text(rows, encoding="utf-8")


EDITS = {"taxonomy.yaml": _edit_taxonomy, "papers.bib": _edit_papers, "citations.csv": _edit_citations}
EDITS |= {"citation_counts.csv": _edit_counts, "abstracts.csv": _edit_abstracts}


@pytest.mark.parametrize("name", DATA_FILES)
def test_an_edit_of_any_input_file_changes_both_signatures(tiny_copy: Path, name: str) -> None:
    """The files' signature keys the loaded corpus (atlas_ui.cache.corpus), the corpus's signature keys every view derived from
    it (graph, retriever, classifier): an edit of any input file must change both, or a page serves an old view.
    The corpus signature once left out the taxonomy, counts and abstracts."""
    assert set(EDITS) == set(DATA_FILES)  # a new input file needs its edit here
    files, corpus = files_signature(tiny_copy), load_corpus(tiny_copy)
    assert load_corpus(tiny_copy).signature == corpus.signature  # a value of the content, not of the object
    EDITS[name](tiny_copy)
    edited = load_corpus(tiny_copy)
    assert edited.errors == []
    assert files_signature(tiny_copy) != files
    assert edited.signature != corpus.signature


def test_topics_are_one_per_case_folded_name_in_one_display_form(tiny_copy: Path) -> None:
    path = tiny_copy / "papers.bib"
    text = path.read_text(encoding="utf-8")
    assert "topic = {Model Routing}" in text and "topic = {LLM routing; ensemble" in text
    path.write_text(text.replace("topic = {LLM routing;", "topic = {model  ROUTING; LLM routing;"), encoding="utf-8")  # the same topic, spelled another way
    corpus = load_corpus(tiny_copy)
    routing = [t for t in corpus.topics if t.casefold().split() == ["model", "routing"]]
    assert routing == ["model routing"]  # one topic, shown one way (before: "Model Routing" and "model  ROUTING")
    assert set(Selection(facets=("Model Routing",)).filter(corpus.frame)["key"]) == {"ong2024routellm", "zhang2025lightrouter"}
    assert corpus.topic("Model Routing") == corpus.topic("MODEL routing") == "model routing" and corpus.topic("nothing") is None
    assert {t for p in corpus.papers for t in p.topics} == corpus.topics  # papers, frame and filter agree
    assert {t for topics in corpus.frame["topics"] for t in topics} == corpus.topics


def test_a_paper_linked_to_the_survey_both_ways_has_both_relations(tiny_copy: Path) -> None:
    """A paper the survey cites that also cites it (ProxyLM, before its edge was dropped) counts as citing the
    survey wherever that is counted: the relation filter, the sidebar and the Overview use one column."""
    with (tiny_copy / "citations.csv").open("a", encoding="utf-8") as out:
        out.write("leviathan2023fast,chen2024what,https://example.org/refs,the paper's reference list\n")
    corpus = load_corpus(tiny_copy)
    assert corpus.survey is not None
    citing = set(corpus.links_of(corpus.survey.key)[1])
    assert "leviathan2023fast" in citing
    assert corpus.frame.loc["leviathan2023fast", "relations"] == ("cited-by-survey", "cites-survey")
    assert set(Selection(relations=("cites-survey",)).filter(corpus.frame)["key"]) == citing
    assert set(Selection(relations=("cited-by-survey",)).filter(corpus.frame)["key"]) == set(corpus.links_of(corpus.survey.key)[0])

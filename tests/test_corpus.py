from pathlib import Path

from survey_taxonomy.corpus import DATA_FILES, files_signature, load_corpus, venue_name
from survey_taxonomy.records import Paper


def test_tiny_corpus_loads_with_edges(tiny_dir):
    corpus = load_corpus(tiny_dir)
    assert len(corpus) == 8 and corpus.errors == []
    assert corpus.survey.key == "chen2024what"
    edges = set(corpus.edges())
    assert ("chen2024what", "leviathan2023fast") in edges  # the survey cites its references
    assert ("zhang2025lightrouter", "chen2024what") in edges  # citing papers cite the survey
    assert ("xia2024unlocking", "leviathan2023fast") in edges  # from citations.csv
    assert corpus.get("xia2024unlocking").cites == ("leviathan2023fast", "chen2023accelerating")


def test_frame_columns(tiny_dir):
    frame = load_corpus(tiny_dir).frame
    row = frame.loc["leviathan2023fast"]
    assert row["venue_name"] == "ICML" and row["year"] == 2023 and row["has_code"]
    assert row["category"] == "Efficient inference"  # second-level node under Collaboration
    assert "speculative" in row["search_text"]


def test_file_signature_changes_with_any_data_file_and_a_reload_sees_the_change(tiny_copy):
    before = files_signature(tiny_copy)
    assert [Path(path).name for path, _, _ in before] == list(DATA_FILES) and files_signature(tiny_copy) == before
    bib = tiny_copy / "papers.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@misc{new2024x, title={New}, year={2024}, url={https://example.org}}\n", encoding="utf-8")
    assert files_signature(tiny_copy) != before  # what ui.corpus() keys its cache on
    assert load_corpus(tiny_copy).get("new2024x") is not None


def test_extra_papers_join_without_replacing_dataset_keys(tiny_dir):
    extra = [
        Paper(key="community2025x", title="Community paper", year=2025, relation="community"),
        Paper(key="leviathan2023fast", title="Impostor", relation="community"),
    ]
    corpus = load_corpus(tiny_dir, extra_papers=extra)
    assert len(corpus) == 9
    assert corpus.get("leviathan2023fast").title.startswith("Fast Inference")
    assert "community2025x" in corpus.frame.index


def test_citation_rows_must_name_known_keys_and_a_source(tiny_copy):
    (tiny_copy / "citations.csv").write_text(
        "citing,cited,source,evidence\nnobody2020x,leviathan2023fast,https://x.org,e\nxia2024unlocking,leviathan2023fast,,\n"
    )
    corpus = load_corpus(tiny_copy)
    messages = [str(p) for p in corpus.errors]
    assert any("citing key 'nobody2020x' is not in the dataset" in m for m in messages)
    assert any("citations.csv:3" in m and "needs citing, cited and source" in m for m in messages)


def test_venue_name():
    assert venue_name("NeurIPS 2022 Datasets and Benchmarks") == "NeurIPS 2022 Datasets and Benchmarks"
    assert venue_name("ICML 2023") == "ICML"
    assert venue_name("EuroMLSys 2025 (5th Workshop on Machine Learning and Systems)") == "EuroMLSys"

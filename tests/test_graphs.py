import pytest

from survey_taxonomy.graphs import build_graph, citation_graph, coauthor_graph, graph_metrics, layout, neighbours, similarity_graph


def test_citation_graph_has_the_survey_as_hub(corpus):
    graph = citation_graph(corpus)
    survey = corpus.survey.key
    cited = [p.key for p in corpus.papers if p.relation == "cited-by-survey"]
    citing = [p.key for p in corpus.papers if p.relation == "cites-survey"]
    assert graph.out_degree(survey) == len(cited)
    assert all(graph.has_edge(k, survey) for k in citing)
    metrics = graph_metrics(graph)
    assert metrics.iloc[0]["node"] == survey
    assert metrics["pagerank"].sum() == pytest.approx(1.0)


def test_citation_graph_restricted_to_keys_keeps_only_their_edges(corpus):
    keys = ["xia2024unlocking", "leviathan2023fast"]
    graph = citation_graph(corpus, keys)
    assert set(graph) == {*keys, corpus.survey.key}
    assert graph.has_edge("xia2024unlocking", "leviathan2023fast")
    assert neighbours(graph, "xia2024unlocking")["cites"] == ["leviathan2023fast"]


def test_coauthor_graph_joins_coauthors_and_counts_shared_papers(corpus):
    graph = coauthor_graph(corpus.papers)
    assert graph.has_edge("Lihu Chen", "Gaël Varoquaux")
    shared = sum(1 for p in corpus.papers if {"Lihu Chen", "Gaël Varoquaux"} <= set(p.authors))
    assert graph.edges["Lihu Chen", "Gaël Varoquaux"]["weight"] == shared >= 2
    assert graph.nodes["Lihu Chen"]["n_papers"] >= shared


def test_similarity_graph_links_papers_of_the_same_topic(corpus):
    graph = similarity_graph(corpus, k=3)
    assert set(neighbours(graph, "leviathan2023fast")["linked"]) & {"chen2023accelerating", "xia2024unlocking"}


def test_layout_pins_the_centre_and_covers_every_node(corpus):
    graph = citation_graph(corpus)
    pos = layout(graph, center=corpus.survey.key)
    assert set(pos) == set(graph) and pos[corpus.survey.key] == (0.0, 0.0)
    assert layout(graph, center=corpus.survey.key) == pos  # seeded: the same picture every time


def test_empty_and_unknown(corpus):
    assert graph_metrics(build_graph(corpus, "coauthors", [])).empty
    with pytest.raises(ValueError, match="unknown graph mode"):
        build_graph(corpus, "nope")

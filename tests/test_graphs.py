"""Graphs on the tiny fixture: citations, co-authors, similarity, layout."""

import networkx as nx
import pytest

from survey_taxonomy.graphs import build_graph, citation_graph, coauthor_graph, graph_metrics, layout, neighbours, similarity_graph


def test_citation_graph_has_the_survey_as_hub(tiny):
    graph = citation_graph(tiny)
    survey = tiny.survey.key
    cited = [p.key for p in tiny.papers if p.relation == "cited-by-survey"]
    citing = [p.key for p in tiny.papers if p.relation == "cites-survey"]
    assert graph.out_degree(survey) == len(cited)
    assert all(graph.has_edge(k, survey) for k in citing)
    metrics = graph_metrics(graph).set_index("node")
    assert metrics["degree"].idxmax() == survey and metrics.loc[survey, "cites"] == len(cited)
    assert metrics.loc["xia2024unlocking", ["cites", "cited_by"]].tolist() == [2, 1]  # two papers and the survey's link
    assert metrics["pagerank"].sum() == pytest.approx(1.0)
    assert list(graph_metrics(graph)["pagerank"]) == sorted(metrics["pagerank"], reverse=True)  # most central first


def test_citation_graph_restricted_to_keys_keeps_only_their_edges(tiny):
    keys = ["xia2024unlocking", "leviathan2023fast"]
    graph = citation_graph(tiny, keys)
    assert set(graph) == {*keys, tiny.survey.key}
    assert graph.has_edge("xia2024unlocking", "leviathan2023fast")
    assert neighbours(graph, "xia2024unlocking")["cites"] == ["leviathan2023fast"]


def test_coauthor_graph_joins_coauthors_and_counts_shared_papers(tiny):
    graph = coauthor_graph(tiny.papers)
    assert graph.edges["Lihu Chen", "Gaël Varoquaux"]["weight"] == 1  # the survey
    assert graph.edges["Léo Grinsztajn", "Gaël Varoquaux"]["weight"] == 1
    assert not graph.has_edge("Lihu Chen", "Léo Grinsztajn")
    assert graph.nodes["Gaël Varoquaux"]["n_papers"] == 2 and graph.nodes["Lihu Chen"]["n_papers"] == 1


def test_similarity_graph_links_papers_of_the_same_topic(tiny):
    graph = similarity_graph(tiny, k=3)
    assert set(neighbours(graph, "leviathan2023fast")["linked"]) & {"chen2023accelerating", "xia2024unlocking"}


def test_layout_pins_the_centre_and_covers_every_node(tiny):
    graph = citation_graph(tiny)
    pos = layout(graph, center=tiny.survey.key)
    assert set(pos) == set(graph) and pos[tiny.survey.key] == (0.0, 0.0)
    assert layout(graph, center=tiny.survey.key) == pos  # seeded: the same picture every time


def test_empty_and_unknown(tiny):
    assert graph_metrics(build_graph(tiny, "coauthors", [])).empty
    with pytest.raises(ValueError, match="unknown graph mode"):
        build_graph(tiny, "nope")


def test_layout_packs_stray_parts_under_the_main_one_instead_of_pushing_it_into_a_corner():
    graph = nx.star_graph(30)  # node 0 is the hub, as the survey is
    graph.add_edges_from([("a", "b"), ("c", "d"), ("e", "f"), ("g", "h"), ("i", "j"), ("k", "l")])
    graph.add_node("alone")
    pos = layout(graph, center=0)
    assert set(pos) == set(graph) and pos[0] == (0.0, 0.0)
    main = [pos[n] for n in range(31)]
    strays = [pos[n] for n in graph if not isinstance(n, int)]
    assert max(x * x + y * y for x, y in main) == pytest.approx(1.0)  # the main part fills the unit disc
    assert max(y for _, y in strays) < min(y for _, y in main)  # the strays sit under it
    assert all(abs(x) <= 1.0 + 1e-9 for x, _ in strays)  # in rows no wider than the main part

    def apart(m, n):
        return (pos[m][0] - pos[n][0]) ** 2 + (pos[m][1] - pos[n][1]) ** 2

    for a, b in [("a", "b"), ("c", "d"), ("k", "l")]:  # each pair stays together, apart from the other parts
        assert all(apart(a, b) < apart(a, n) for n in graph if n not in (a, b))
    assert len({(round(x, 6), round(y, 6)) for x, y in strays}) == len(strays)


def test_layout_of_the_real_citation_graph_gives_the_survey_most_of_the_drawing(corpus):
    graph = citation_graph(corpus)
    pos = layout(graph, center=corpus.survey.key)
    hub = nx.node_connected_component(graph.to_undirected(), corpus.survey.key)
    assert len(hub) < len(graph)  # the dataset has a few curated links apart from the survey's
    for axis in (0, 1):
        extent = [pos[n][axis] for n in graph]
        assert max(pos[n][axis] for n in hub) - min(pos[n][axis] for n in hub) >= 0.75 * (max(extent) - min(extent))

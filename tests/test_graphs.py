"""Graphs on the tiny fixture and the shipped data: the paper network, citations, co-authors, similarity, layout."""

import datetime as dt
import tracemalloc

import networkx as nx
import numpy as np
import pytest
from scipy import sparse

from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.graphs import networks
from survey_taxonomy.graphs.networks import (
    author_groups,
    build_graph,
    central_table,
    citation_graph,
    coauthor_graph,
    derivative_works,
    describe_citation_links,
    graph_metrics,
    layout,
    nearest_papers,
    neighbours,
    network_figures,
    node_name,
    paper_network,
    prior_works,
    search_label,
    similarity_graph,
    top_k_similar,
)


def papers_of(corpus: Corpus) -> list[str]:
    """The keys the Graph page draws by default: every paper, the survey hidden."""
    return [p.key for p in corpus.papers if p.relation != "survey"]


def test_citation_graph_has_the_survey_as_hub_when_asked(tiny: Corpus) -> None:
    assert tiny.survey is not None
    graph = citation_graph(tiny)  # every key, so the survey too
    survey = tiny.survey.key
    cited = [p.key for p in tiny.papers if p.relation == "cited-by-survey"]
    citing = [p.key for p in tiny.papers if p.relation == "cites-survey"]
    assert graph.out_degree(survey) == len(cited)
    assert all(graph.has_edge(k, survey) for k in citing)
    metrics = graph_metrics(graph).set_index("node")
    assert metrics["degree"].idxmax() == survey and metrics.loc[survey, "cites"] == len(cited)
    assert list(metrics.loc["xia2024unlocking", ["cites", "cited_by"]]) == [2, 1]  # two papers and the survey's link
    assert metrics["pagerank"].sum() == pytest.approx(1.0)
    assert list(graph_metrics(graph)["pagerank"]) == sorted(metrics["pagerank"], reverse=True)  # most central first
    kinds = {(a, b): kind for a, b, kind in graph.edges(data="kind")}
    assert kinds[("xia2024unlocking", "leviathan2023fast")] == "citation" and kinds[(survey, "leviathan2023fast")] == "survey"
    assert "SpeculativeDecodingPapers" in graph.edges["xia2024unlocking", "leviathan2023fast"]["note"]  # names its page


def test_citation_graph_restricted_to_keys_keeps_only_their_edges_and_leaves_the_survey_out(tiny: Corpus) -> None:
    keys = ["xia2024unlocking", "leviathan2023fast"]
    graph = citation_graph(tiny, keys)
    assert set(graph) == set(keys)
    assert graph.has_edge("xia2024unlocking", "leviathan2023fast")
    assert neighbours(graph, "xia2024unlocking") == {"cites": ["leviathan2023fast"]}


def test_paper_network_links_papers_without_citations_to_similar_ones_and_never_calls_that_a_citation(tiny: Corpus) -> None:
    assert tiny.survey is not None
    keys = papers_of(tiny)
    graph = paper_network(tiny, keys)
    assert tiny.survey.key not in graph
    cited = {n for a, b, kind in graph.edges(data="kind") if kind == "citation" for n in (a, b)}
    assert cited == {"xia2024unlocking", "leviathan2023fast", "chen2023accelerating"}
    similar = [(a, b, data) for a, b, data in graph.edges(data=True) if data["kind"] == "similar"]
    assert similar and all(a not in cited for a, _, _ in similar)  # only a paper without citation links asks for neighbours
    assert all("not a citation" in data["note"] and data["weight"] >= networks.SIMILARITY_THRESHOLD for _, _, data in similar)
    assert set(neighbours(graph, "chen2023frugalgpt")) == {"similar"}  # not listed as cites or cited by
    metrics = graph_metrics(graph).set_index("node")
    assert list(metrics.loc["chen2023frugalgpt", ["cites", "cited_by"]]) == [0, 0]
    assert metrics.loc["chen2023frugalgpt", "similar"] == len(neighbours(graph, "chen2023frugalgpt")["similar"])
    with_survey = paper_network(tiny, [*keys, tiny.survey.key])
    assert {kind for *_, kind in with_survey.edges(tiny.survey.key, data="kind")} == {"survey"}


def test_the_default_view_of_the_shipped_data_meets_its_two_goals_where_the_survey_star_did_not(corpus: Corpus) -> None:
    assert corpus.survey is not None
    keys = papers_of(corpus)
    figures = network_figures(build_graph(corpus, "network", keys), keys, corpus.survey.key)
    assert figures.papers == len(corpus) - 1
    assert figures.linked_share >= 0.8, figures.describe()
    assert figures.busiest_share <= 0.10, figures.describe()
    assert figures.citation_links + figures.similar_links == figures.links
    star = network_figures(build_graph(corpus, "citations", [*keys, corpus.survey.key]), keys, corpus.survey.key)
    assert star.busiest == corpus.survey.key and star.busiest_share > 0.5  # the old default: nearly every link on the survey
    assert star.linked_share < 0.5  # a link to the survey does not count as a link to another paper


def test_network_figures_count_papers_and_links_as_the_page_says() -> None:
    graph = nx.DiGraph([("a", "b"), ("c", "b"), ("d", "S")])
    figures = network_figures(graph, ["a", "b", "c", "d", "e", "S"], survey="S")
    assert (figures.papers, figures.linked, figures.links, figures.busiest, figures.busiest_links) == (5, 3, 3, "b", 2)
    assert figures.describe() == "3 of 5 papers (60%) are linked to another paper; the busiest node holds 2 of 3 links (67%)."
    assert network_figures(nx.DiGraph(), [], "").describe() == "No papers in this selection."


@pytest.mark.parametrize("block", [1 << 22, 7], ids=["one-block", "many-blocks"])
def test_top_k_similar_finds_the_same_neighbours_as_the_dense_matrix(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(networks, "BLOCK_CELLS", block)
    matrix = sparse.random(60, 40, density=0.2, random_state=np.random.RandomState(3), format="csr")
    dense = (matrix @ matrix.T).toarray()
    np.fill_diagonal(dense, -np.inf)
    near, scores = top_k_similar(matrix, 3)
    for row in range(60):
        best = np.sort(dense[row])[::-1][:3]
        assert scores[row] == pytest.approx(best, abs=1e-5)  # float32 scores
        assert row not in near[row]
        assert list(scores[row]) == sorted(scores[row], reverse=True)
    near, _ = top_k_similar(matrix, 3, np.array([5, 9]))
    assert near.shape == (2, 3)
    assert top_k_similar(matrix[:1], 3)[0].tolist() == [[-1, -1, -1]]  # nobody to compare with


def test_top_k_similar_never_holds_the_whole_score_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(networks, "BLOCK_CELLS", 1 << 16)
    n = 3000
    matrix = sparse.random(n, 300, density=0.05, random_state=np.random.RandomState(1), format="csr", dtype=np.float32)
    tracemalloc.start()
    top_k_similar(matrix, 4)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < n * n * 4 / 8, peak  # the dense n x n float32 matrix would be 36 MB; blocks stay far under it


def test_nearest_papers_gives_the_bonus_of_a_shared_node(tiny: Corpus) -> None:
    found = nearest_papers(tiny, papers_of(tiny), 2, threshold=0.0)
    first, score = found["leviathan2023fast"][0]
    assert first in {"chen2023accelerating", "xia2024unlocking"}  # the two other speculative-decoding papers
    assert score >= networks.TAXONOMY_BONUS


def test_coauthor_graph_joins_coauthors_and_counts_shared_papers(tiny: Corpus) -> None:
    graph = coauthor_graph(tiny.papers)
    assert graph.nodes["Lihu Chen"]["n_papers"] == 1
    # Gaël Varoquaux wrote the survey with Lihu Chen and the tabular paper with others: nothing in the data ties the
    # two papers to one person, so they are two nodes rather than a bridge between two teams.
    assert graph.edges["Lihu Chen", "Gaël Varoquaux [1]"]["weight"] == 1
    assert graph.edges["Léo Grinsztajn", "Gaël Varoquaux [2]"]["weight"] == 1
    assert not graph.has_edge("Lihu Chen", "Léo Grinsztajn")
    assert node_name(graph, "Gaël Varoquaux [2]") == "Gaël Varoquaux (papers group 2 of 2)"


def test_author_groups_join_a_name_only_through_shared_coauthors(corpus: Corpus) -> None:
    groups = author_groups(corpus.papers)
    wang = groups["Wei Wang"]  # three papers, three unrelated teams
    assert sorted(map(len, wang)) == [1, 1, 1]
    assert groups["Zechun Liu"] == [["liu2023llm", "liu2024mobilellm"]]  # the MobileLLM team, five co-authors shared
    graph = coauthor_graph(corpus.papers)
    for name, parts in groups.items():  # no node joins papers that share no co-author
        for i, part in enumerate(parts, start=1):
            node = name if len(parts) == 1 else f"{name} [{i}]"
            assert graph.nodes[node]["papers"] == part


def test_prior_and_derivative_works_never_answer_with_the_survey(tiny: Corpus, corpus: Corpus) -> None:
    assert corpus.survey is not None
    assert derivative_works(tiny, ["leviathan2023fast", "chen2023accelerating"]) == [("xia2024unlocking", 2)]
    assert prior_works(tiny, ["xia2024unlocking"]) == [("chen2023accelerating", 1), ("leviathan2023fast", 1)]
    for keys in (papers_of(corpus)[:40], [p.key for p in corpus.papers if p.relation == "cites-survey"], [corpus.survey.key]):
        found = [key for key, _ in prior_works(corpus, keys, 50) + derivative_works(corpus, keys, 50)]
        assert corpus.survey.key not in found


def test_the_line_on_citation_links_counts_them_by_evidence_and_names_the_refresh(corpus: Corpus, tiny: Corpus) -> None:
    assert corpus.survey is not None
    line = describe_citation_links(corpus)
    between = [edge for edge in corpus.edges() if corpus.survey.key not in edge]
    assert line.startswith(f"{len(between)} citation links between papers are known: ")
    counted = [int(part.split()[0]) for part in line.split("known: ")[1].split(", recorded")[0].split(". Each")[0].split(", ")]
    assert sum(counted) == len(between)
    assert "python -m survey_taxonomy citations refresh" in line
    assert "2 of unstated kind" in describe_citation_links(tiny)  # the fixture's rows name no evidence kind


def test_every_shipped_citation_link_names_its_page_its_evidence_kind_and_its_day(corpus: Corpus) -> None:
    """What the line above the graph counts: hand-curated rows with a URL, a known evidence kind and an ISO day."""
    assert corpus.survey is not None
    kinds = tuple(f"{kind}:" for kind in networks.EVIDENCE_KINDS)
    for row in corpus.citations:
        assert row.source.startswith("https://"), row
        assert row.evidence.startswith(kinds), row
        assert dt.date.fromisoformat(row.retrieved), row
    assert not any(row.citing == "anugraha2025proxylm" and row.cited == corpus.survey.key for row in corpus.citations)  # unverified, dropped


def test_the_table_of_central_nodes_shows_titles_and_labels_not_keys(tiny: Corpus) -> None:
    graph = paper_network(tiny, papers_of(tiny))
    table = central_table(graph, graph_metrics(graph), 3)
    assert list(table.columns) == ["Paper", "Year", "Links here", "Cites (here)", "Cited by (here)", "Similar-text links", "PageRank"]
    assert set(table["Paper"]) <= {p.title for p in tiny.papers}
    authors = coauthor_graph(tiny.papers)
    assert list(central_table(authors, graph_metrics(authors)).columns[:2]) == ["Author", "Year"]


def test_the_search_label_finds_a_paper_by_any_of_its_authors(tiny: Corpus) -> None:
    graph = paper_network(tiny, papers_of(tiny))
    label = search_label(graph, "chen2023accelerating")
    assert label.startswith(tiny.by_key["chen2023accelerating"].title) and "(2023)" in label
    assert all(name in label for name in tiny.by_key["chen2023accelerating"].authors)  # the last author too


def test_similarity_graph_links_papers_of_the_same_topic(tiny: Corpus) -> None:
    graph = similarity_graph(tiny, k=3)
    assert set(neighbours(graph, "leviathan2023fast")["similar"]) & {"chen2023accelerating", "xia2024unlocking"}
    assert {kind for *_, kind in graph.edges(data="kind")} == {"similar"}


def test_layout_pins_the_centre_and_covers_every_node(tiny: Corpus) -> None:
    assert tiny.survey is not None
    graph = citation_graph(tiny)
    pos = layout(graph, center=tiny.survey.key)
    assert set(pos) == set(graph) and pos[tiny.survey.key] == (0.0, 0.0)
    assert layout(graph, center=tiny.survey.key) == pos  # seeded: the same picture every time


def test_empty_and_unknown(tiny: Corpus) -> None:
    assert graph_metrics(build_graph(tiny, "coauthors", [])).empty
    assert build_graph(tiny, "network", []).number_of_nodes() == 0
    with pytest.raises(ValueError, match="unknown graph mode"):
        build_graph(tiny, "nope")


def test_layout_packs_stray_parts_under_the_main_one_instead_of_pushing_it_into_a_corner() -> None:
    graph = nx.relabel_nodes(nx.star_graph(30), str)  # node "0" is the hub, as the survey is; nodes are keys (str)
    graph.add_edges_from([("a", "b"), ("c", "d"), ("e", "f"), ("g", "h"), ("i", "j"), ("k", "l")])
    graph.add_node("alone")
    pos = layout(graph, center="0")
    assert set(pos) == set(graph) and pos["0"] == (0.0, 0.0)
    main = [pos[str(n)] for n in range(31)]
    strays = [pos[n] for n in graph if not n.isdigit()]
    assert max(x * x + y * y for x, y in main) == pytest.approx(1.0)  # the main part fills the unit disc
    assert max(y for _, y in strays) < min(y for _, y in main)  # the strays sit under it
    assert all(abs(x) <= 1.0 + 1e-9 for x, _ in strays)  # in rows no wider than the main part

    def apart(m: str, n: str) -> float:
        return (pos[m][0] - pos[n][0]) ** 2 + (pos[m][1] - pos[n][1]) ** 2

    for a, b in [("a", "b"), ("c", "d"), ("k", "l")]:  # each pair stays together, apart from the other parts
        assert all(apart(a, b) < apart(a, n) for n in graph if n not in (a, b))
    assert len({(round(x, 6), round(y, 6)) for x, y in strays}) == len(strays)


def test_layout_of_the_real_citation_graph_gives_the_survey_most_of_the_drawing(corpus: Corpus) -> None:
    assert corpus.survey is not None
    graph = citation_graph(corpus)
    pos = layout(graph, center=corpus.survey.key)
    hub = nx.node_connected_component(graph.to_undirected(), corpus.survey.key)
    assert len(hub) < len(graph)  # the dataset has a few curated links apart from the survey's
    for axis in (0, 1):
        extent = [pos[n][axis] for n in graph]
        assert max(pos[n][axis] for n in hub) - min(pos[n][axis] for n in hub) >= 0.75 * (max(extent) - min(extent))

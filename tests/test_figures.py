"""Figures: text from data is inert in Plotly (which renders a subset of HTML), counts in the sunburst, legends below."""

from __future__ import annotations

from dataclasses import replace

from survey_taxonomy.data.corpus import Corpus, build_corpus
from survey_taxonomy.graphs.figures import code_share, graph_figure, node_trends, papers_per_year, taxonomy_sunburst, top_venues
from survey_taxonomy.graphs.networks import build_graph, graph_metrics, layout
from survey_taxonomy.query.selection import Selection

LINK = '<a href="https://evil.example">click</a>'


def hostile(corpus: Corpus) -> Corpus:
    papers = [replace(p, title=LINK + p.title, venue=LINK + " 2024") if i < 3 else p for i, p in enumerate(corpus.papers)]
    return build_corpus(corpus.taxonomy, papers, corpus.citations)


def test_venue_axis_and_graph_hover_show_html_as_text(corpus: Corpus) -> None:
    bad = hostile(corpus)
    venues = top_venues(bad.frame)
    assert any("&lt;a href" in y for y in venues.data[0].y) and not any("<a " in y for y in venues.data[0].y)
    assert any("&lt;a" in t for t in venues.layout.yaxis.ticktext) and not any("<a" in t for t in venues.layout.yaxis.ticktext)
    graph = build_graph(bad, "citations")
    figure = graph_figure(graph, layout(graph), graph_metrics(graph), labels=list(graph)[:5])
    texts = [t for trace in figure.data for t in (trace.text or ()) if isinstance(t, str)]
    assert any("&lt;a href" in t for t in texts) and not any("<a " in t for t in texts)


def test_sunburst_labels_carry_their_counts(corpus: Corpus) -> None:
    figure = taxonomy_sunburst(corpus.frame, corpus.taxonomy)
    labels = dict(zip(figure.data[0].ids, figure.data[0].labels, strict=True))
    label, count = labels["competition"].rsplit(" (", 1)
    assert label == corpus.taxonomy["competition"].label
    assert int(count.rstrip(")")) == len(Selection(node="competition").filter(corpus.frame))


def test_legends_sit_under_the_plot(corpus: Corpus) -> None:
    assert papers_per_year(corpus.frame).layout.legend.orientation == "h"


def test_graph_axes_leave_room_for_the_labels_of_the_outermost_nodes(tiny: Corpus) -> None:
    graph = build_graph(tiny, "citations")
    positions = layout(graph)
    figure = graph_figure(graph, positions, graph_metrics(graph), labels=list(graph))
    across, down = [p[0] for p in positions.values()], [p[1] for p in positions.values()]
    width = max(across) - min(across)
    left, right = figure.layout.xaxis.range
    assert left <= min(across) - 0.15 * width and right >= max(across) + 0.15 * width  # a label is centred on its node
    bottom, top = figure.layout.yaxis.range
    assert bottom < min(down) and top > max(down)


def test_graph_labels_that_would_cover_one_another_are_written_once(tiny: Corpus) -> None:
    graph = build_graph(tiny, "citations")
    nodes = list(graph)
    positions = {n: (0.0, 0.0) if i < 3 else (float(i), float(i)) for i, n in enumerate(nodes)}  # three on one spot
    figure = graph_figure(graph, positions, graph_metrics(graph), labels=nodes)
    written = next(trace for trace in figure.data if trace.mode == "text")
    assert len(written.text) == len(nodes) - 2  # the first of the three, and every node standing apart
    assert (written.x[0], written.y[0]) == (0.0, 0.0)


def test_long_venue_names_are_cut_on_the_axis_and_whole_in_the_hover(corpus: Corpus) -> None:
    long = "Workshop on Very Long Names of Venues That Take the Whole Chart"
    papers = [replace(p, venue=long + " 2024") if i < 40 else p for i, p in enumerate(corpus.papers)]
    figure = top_venues(build_corpus(corpus.taxonomy, papers, corpus.citations).frame)
    shown = dict(zip(figure.layout.yaxis.tickvals, figure.layout.yaxis.ticktext, strict=True))
    assert long in figure.data[0].y and shown[long] == "Workshop on Very Long Names of…"
    assert all(len(text) <= 32 for text in shown.values())


def test_year_axes_tick_whole_years_only(corpus: Corpus) -> None:
    recent = corpus.frame[corpus.frame["year"] >= 2024]  # two years: Plotly's own ticks would fall at 2024.5
    for figure in (papers_per_year(recent), node_trends(recent, corpus.taxonomy, ["collaboration"]), code_share(recent)):
        assert (figure.layout.xaxis.dtick, figure.layout.xaxis.tickformat, figure.layout.xaxis.title.text) == (1, "d", "Year")
    assert papers_per_year(corpus.frame).layout.xaxis.dtick == 2  # a decade: every other year

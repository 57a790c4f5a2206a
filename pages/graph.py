"""Graph: the network among the papers (citation links, and nearest neighbours in text where a paper has none),
plus citations only, text similarity and co-authorship; search, click, read beside it. The survey is a frame
shown on request, not the hub."""

import streamlit as st

from atlas_ui import cache, layout, url, widgets
from survey_taxonomy.data.provenance import highest_counts
from survey_taxonomy.data.words import plural
from survey_taxonomy.export.writers import markdown_text
from survey_taxonomy.graphs.figures import graph_figure
from survey_taxonomy.graphs.networks import (
    LINK_KINDS,
    MODES,
    central_table,
    derivative_works,
    describe_citation_links,
    isolated,
    neighbours,
    network_figures,
    node_name,
    prior_works,
    search_label,
)

MODE_LABELS = {"network": "Paper network", "citations": "Citation links only", "similarity": "Text similarity", "coauthors": "Co-authorship"}
COLOUR_LABELS = {"category": "Taxonomy category", "relation": "Relation to the survey", "year": "Year"}
SIZE_LABELS = {"degree": "Degree (links)", "pagerank": "PageRank", "citations": "Citation count (scholarly index)"}
NEIGHBOUR_LABELS = {
    "cites": "Cites (citation links)",
    "cited_by": "Cited by (citation links)",
    "similar": "Similar text (nearest neighbours, not citations)",
}
LABELLED = 10  # the most central nodes get their names written on the drawing, where they leave each other room

c = cache.corpus()
st.title("Graph of the papers")
state = st.session_state
survey = c.survey.key if c.survey is not None else ""
if "graph_mode" not in state:
    mode_param = st.query_params.get("mode", "network")
    state["graph_mode"] = mode_param if mode_param in MODES else "network"
    state["graph_survey"] = st.query_params.get("survey") == "1"
selection = widgets.filter_sidebar(c, "graph", fields=("node", "years", "relations"))
with st.sidebar:
    st.subheader("Drawing")
    mode = st.radio("Graph", MODES, key="graph_mode", format_func=MODE_LABELS.get)
    show_survey = st.toggle(
        "Show the survey as a frame",
        key="graph_survey",
        help="Adds the survey, joined to the papers of its own list and to the papers citing it. Hidden by default: "
        "every paper is linked to it, so it would be the hub of every drawing.",
    )
    colour_options = ["category", "year"] if mode == "coauthors" else list(COLOUR_LABELS)
    if state.get("graph_colour") not in colour_options:
        state["graph_colour"] = colour_options[0]
    colour_by = st.selectbox("Colour by", colour_options, key="graph_colour", format_func=COLOUR_LABELS.__getitem__)
    size_by = st.selectbox("Size by", list(SIZE_LABELS), key="graph_size", format_func=SIZE_LABELS.__getitem__)

frame = selection.filter(c.frame)
keys = tuple(sorted(k for k in frame["key"] if k != survey or show_survey))
graph, metrics, positions = cache.graph_and_layout(mode, keys, c)
counts = highest_counts(c)
if size_by == "citations":
    if counts:
        metrics = metrics.assign(citations=metrics["node"].map(counts).fillna(0))
    else:
        st.sidebar.caption("No citation counts yet (`citations refresh` fetches them online): sized by degree.")
        size_by = "degree"
focus = st.query_params.get("focus", "")
if focus and focus not in graph:
    focus = ""
url.write_url("graph", selection, {"mode": mode, **({"survey": "1"} if show_survey else {}), **({"focus": focus} if focus else {})})

descriptions = {
    "network": "Papers joined by the citation links a named page or scholarly index shows (solid) and, for a paper with none, by its "
    "two nearest neighbours in text (dotted: similar wording, not a citation).",
    "citations": "Only the citation links a named page or scholarly index shows, citing → cited.",
    "similarity": "Each paper joined to its four most similar papers by the wording of title, summary and topics "
    "(and a shared taxonomy node). Similar text is not a citation.",
    "coauthors": "Authors joined when they wrote a paper of this selection together; bigger means more connected. An "
    "author is a full name as written; papers of one name that share no co-author (not even through other papers "
    "of that name) are drawn as separate nodes, since without author ids the atlas cannot tell namesakes from one "
    "person who changed teams.",
}
hidden = "" if show_survey or survey not in set(frame["key"]) else " (the survey hidden)"
caption = f"{selection.describe(len(keys), c.taxonomy)}{hidden} · {plural(graph.number_of_nodes(), 'node')}, {plural(graph.number_of_edges(), 'link')}."
st.caption(f"{markdown_text(caption)} {descriptions[mode]}")
if mode != "coauthors":
    figures = network_figures(graph, keys, survey)
    with st.container(key="graph_figures"):
        st.caption(markdown_text(figures.describe(node_name(graph, figures.busiest) if figures.busiest else "")))
if graph.number_of_nodes() == 0:
    st.info("Nothing to draw for these filters; widen them in the sidebar.")
    st.stop()


def _focus_picked() -> None:
    st.query_params["focus"] = state["graph_find"] or ""
    state["graph_find"] = None


st.selectbox(
    "Find in the graph",
    sorted(graph, key=lambda n: search_label(graph, n).lower()),
    index=None,
    key="graph_find",
    on_change=_focus_picked,
    placeholder="Type an author's name" if mode == "coauthors" else "Type words of a title or an author's name…",
    format_func=lambda n: search_label(graph, n),
)
drawing, details = st.columns([3, 2])
with drawing:
    figure = graph_figure(
        graph,
        positions,
        metrics,
        colour_by=colour_by,
        size_by=size_by,
        highlight=focus or None,
        labels=list(metrics["node"].head(LABELLED)),
        title=f"{MODE_LABELS[mode]} of {plural(len(keys), 'paper')}",
    )
    event = layout.chart(figure, "graph_chart", layout.GRAPH_TOOLS, selectable=True)
    points = event.selection.points if event is not None and event.selection else []
    clicked = next((p.get("customdata") for p in points if p.get("customdata") in graph), None)
    if clicked and clicked != focus:
        st.query_params["focus"] = clicked
        st.rerun()
    drawn = {kind for _, _, kind in graph.edges(data="kind")}
    if mode != "coauthors":
        st.caption("Hover the middle of a link to see what it is: " + "; ".join(label for kind, label in LINK_KINDS.items() if kind in drawn) + ".")
    if mode in ("network", "citations"):
        st.caption(markdown_text(describe_citation_links(c)))
    alone = isolated(c, mode, keys, graph)
    if alone:
        with st.expander(f"{plural(len(alone), 'paper')} of this selection with no link here"):
            for key in alone:
                widgets.paper_link(c, key, "graph", slot="alone")
with details, st.container(key="graph_details"):
    st.subheader("Details")
    if not focus:
        st.caption("Click a node, or find it with the box above, to see it here with its neighbours.")
    elif mode == "coauthors":
        data = graph.nodes[focus]
        st.markdown(f"**{markdown_text(node_name(graph, focus))}** · {plural(data['n_papers'], 'paper')} here · {plural(graph.degree(focus), 'co-author')}")
        if data.get("namesakes", 1) > 1:
            st.caption(
                f"This name is drawn as {data['namesakes']} nodes: its papers fall into groups that share no co-author, so the data "
                "cannot tell whether they are one person or namesakes."
            )
        for key in data["papers"]:
            widgets.paper_link(c, key, "graph", slot="author")
        names = [node_name(graph, n) for n in neighbours(graph, focus).get("linked", [])]
        st.markdown("Co-authors: " + (markdown_text(", ".join(names)) or "none"))
    else:
        widgets.paper_details(c, c.by_key[focus], here="graph")
        for kind, found in neighbours(graph, focus).items():
            st.markdown(f"**{NEIGHBOUR_LABELS[kind]} in this drawing: {len(found)}**")
            for key in found:
                widgets.paper_link(c, key, "graph", slot=f"near_{kind}")
if mode in ("network", "citations"):
    prior, derivative = st.columns(2)
    for column, title, help_text, works in (
        (prior, "Prior works", "papers outside this selection that it cites most", prior_works(c, keys, 8)),
        (derivative, "Derivative works", "papers outside this selection that cite most of it", derivative_works(c, keys, 8)),
    ):
        with column:
            st.subheader(title, help=f"As in Connected Papers: {help_text}, by citation links only (the survey's own lists left out).")
            for key, n in works:
                widgets.paper_link(c, key, "graph", slot=title[:5])
                st.caption(f"{plural(n, 'paper')} of the selection")
            if not works:
                st.caption(f"None: no {help_text} among the known citation links.")
st.subheader("Most central")
st.dataframe(central_table(graph, metrics), hide_index=True, key="graph_metrics")

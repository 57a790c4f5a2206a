"""Citation graph: the papers and their citation links, plus co-authorship and similarity; search, click, read beside it."""

import streamlit as st

from survey_taxonomy import ui
from survey_taxonomy.figures import graph_figure
from survey_taxonomy.graphs import MODES, derivative_works, isolated, neighbours, prior_works
from survey_taxonomy.provenance import highest_counts
from survey_taxonomy.words import plural

MODE_LABELS = {"citations": "Citation network", "coauthors": "Co-authorship", "similarity": "Topic similarity"}
COLOUR_LABELS = {"category": "Taxonomy category", "relation": "Relation to the survey", "year": "Year"}
SIZE_LABELS = {"degree": "Degree (links)", "pagerank": "PageRank", "citations": "Citation count (scholarly index)"}
LABELLED = 10  # the most central nodes get their names written on the drawing, where they leave each other room

c = ui.corpus()
st.title("Citation graph")
state = st.session_state
if "graph_mode" not in state:
    mode_param = st.query_params.get("mode", "citations")
    state["graph_mode"] = mode_param if mode_param in MODES else "citations"
    state["graph_colour"] = "relation" if state["graph_mode"] == "citations" else "category"
selection = ui.filter_sidebar(c, "graph", fields=("node", "years", "relations"))
with st.sidebar:
    st.subheader("Drawing")
    mode = st.radio("Graph", MODES, key="graph_mode", format_func=MODE_LABELS.get)
    colour_options = ["category", "year"] if mode == "coauthors" else list(COLOUR_LABELS)
    if state.get("graph_colour") not in colour_options:
        state["graph_colour"] = colour_options[0]
    colour_by = st.selectbox("Colour by", colour_options, key="graph_colour", format_func=COLOUR_LABELS.get)
    size_by = st.selectbox("Size by", list(SIZE_LABELS), key="graph_size", format_func=SIZE_LABELS.get)

frame = selection.filter(c.frame)
keys = tuple(sorted(frame["key"]))
graph, metrics, positions = ui.graph_and_layout(mode, keys, c)
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
ui.write_url("graph", selection, {"mode": mode, **({"focus": focus} if focus else {})})

descriptions = {
    "citations": "The survey joined to the papers it cites and to the papers citing it, and the links between papers that a public "
    "source shows (colour by relation to tell them apart).",
    "coauthors": "Authors joined when they wrote a paper of this selection together; bigger means more connected.",
    "similarity": "Each paper joined to its most similar papers by wording of title, summary and topics (and a shared taxonomy node).",
}
caption = f"{selection.describe(len(frame), c.taxonomy)} · {plural(graph.number_of_nodes(), 'node')}, {plural(graph.number_of_edges(), 'link')}."
st.caption(f"{ui.markdown_text(caption)} {descriptions[mode]}")
if graph.number_of_nodes() == 0:
    st.info("Nothing to draw for these filters; widen them in the sidebar.")
    st.stop()


def _focus_picked() -> None:
    st.query_params["focus"] = state["graph_find"] or ""
    state["graph_find"] = None


st.selectbox(
    "Find in the graph",
    sorted(graph, key=lambda n: str(graph.nodes[n].get("title", n)).lower()),
    index=None,
    key="graph_find",
    on_change=_focus_picked,
    placeholder="Type a title or an author to circle it and its links…",
    format_func=lambda n: str(graph.nodes[n].get("title", n)),
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
        edge_notes=ui.edge_notes(keys, c) if mode == "citations" else None,
        title=f"{MODE_LABELS[mode]} of {len(frame)} papers",
    )
    event = ui.chart(figure, "graph_chart", ui.GRAPH_TOOLS, selectable=True)
    points = event.selection.points if event is not None and event.selection else []
    clicked = next((p.get("customdata") for p in points if p.get("customdata") in graph), None)
    if clicked and clicked != focus:
        st.query_params["focus"] = clicked
        st.rerun()
    alone = isolated(c, mode, keys, graph)
    if alone:
        with st.expander(f"{plural(len(alone), 'paper')} of this selection with no link here"):
            for key in alone:
                ui.paper_link(c, key, "graph", slot="alone")
with details, st.container(key="graph_details"):
    st.subheader("Details")
    if not focus:
        st.caption("Click a node, or find it with the box above, to see it here with its neighbours.")
    elif mode == "coauthors":
        data = graph.nodes[focus]
        st.markdown(f"**{ui.markdown_text(focus)}** · {plural(data['n_papers'], 'paper')} in this selection · {plural(graph.degree(focus), 'co-author')}")
        for key in data["papers"]:
            ui.paper_link(c, key, "graph", slot="author")
        st.markdown("Co-authors: " + (ui.markdown_text(", ".join(neighbours(graph, focus)["linked"])) or "none"))
    else:
        ui.paper_details(c, c.by_key[focus], here="graph")
        for label, keys_ in neighbours(graph, focus).items():
            st.caption(f"{label.replace('_', ' ')} in this graph: {ui.markdown_text(', '.join(keys_)) or 'none'}")
if mode == "citations":
    ui.citation_sources(c)
    st.caption("Hover the middle of a link to see where it comes from.")
    prior, derivative = st.columns(2)
    for column, title, help_text, found in (
        (prior, "Prior works", "papers outside this selection that it cites most", prior_works(c, keys, 8)),
        (derivative, "Derivative works", "papers outside this selection that cite most of it", derivative_works(c, keys, 8)),
    ):
        with column:
            st.subheader(title, help=f"As in Connected Papers: {help_text}.")
            for key, n in found:
                ui.paper_link(c, key, "graph", slot=title[:5])
                st.caption(f"{plural(n, 'paper')} of the selection")
            if not found:
                st.caption(f"None: no {help_text} among the known links.")
st.subheader("Most central")
st.dataframe(metrics.head(15), hide_index=True, key="graph_metrics")

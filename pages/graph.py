"""Citation graph: the survey at the centre, its references and the papers citing it, plus co-authorship and similarity."""

import streamlit as st

from survey_taxonomy import ui
from survey_taxonomy.figures import graph_figure
from survey_taxonomy.graphs import MODES, neighbours

MODE_LABELS = {"citations": "Citation network", "coauthors": "Co-authorship", "similarity": "Topic similarity"}
COLOUR_LABELS = {"category": "Taxonomy category", "relation": "Relation to the survey", "year": "Year"}
SIZE_LABELS = {"degree": "Degree (links)", "pagerank": "PageRank"}

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
graph, metrics, positions = ui.graph_and_layout(mode, keys, c, id(c))
focus = st.query_params.get("focus", "")
ui.write_selection_to_url(selection, {"mode": mode, **({"focus": focus} if focus else {})})

descriptions = {
    "citations": "The survey sits in the centre, joined to the papers it cites and to the papers citing it (colour by relation to tell "
    "them apart). Links between other papers appear only where a public source shows them.",
    "coauthors": "Authors joined when they wrote a paper of this selection together; bigger means more connected.",
    "similarity": "Each paper joined to its most similar papers by wording of title, summary and topics (and a shared taxonomy node).",
}
st.caption(f"{selection.describe(len(frame), c.taxonomy)} · {graph.number_of_nodes()} nodes, {graph.number_of_edges()} links. {descriptions[mode]}")
if graph.number_of_nodes() == 0:
    st.info("Nothing to draw for these filters; widen them in the sidebar.")
    st.stop()
figure = graph_figure(
    graph, positions, metrics, colour_by=colour_by, size_by=size_by, highlight=focus or None, title=f"{MODE_LABELS[mode]} of {len(frame)} papers"
)
event = st.plotly_chart(figure, key="graph_chart", on_select="rerun", selection_mode="points")
points = event.selection.points if event is not None and event.selection else []
clicked = next((p.get("customdata") for p in points if p.get("customdata") in graph), None)
if clicked and clicked != focus:
    st.query_params["focus"] = clicked
    st.rerun()

st.subheader("Details")
if not focus or focus not in graph:
    st.caption("Click a node to see it here with its neighbours.")
elif mode == "coauthors":
    data = graph.nodes[focus]
    st.markdown(f"**{focus}** · {data['n_papers']} paper(s) in this selection · {graph.degree(focus)} co-author(s)")
    for key in data["papers"]:
        st.page_link("pages/explore.py", label=c.by_key[key].title, query_params={"key": key})
    st.markdown("Co-authors: " + (", ".join(neighbours(graph, focus)["linked"]) or "none"))
else:
    ui.paper_details(c, c.by_key[focus])
    links = neighbours(graph, focus)
    for label, keys_ in links.items():
        st.caption(f"{label.replace('_', ' ')} in this graph: {', '.join(keys_) or 'none'}")
st.subheader("Most central")
st.dataframe(metrics.head(15), hide_index=True, key="graph_metrics")

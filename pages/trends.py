"""Trends: which directions grow, where they are published, and how often code comes with them."""

import streamlit as st

from atlas_ui import cache, layout, url, widgets
from survey_taxonomy.export.writers import markdown_text
from survey_taxonomy.graphs.figures import code_share, node_trends, top_venues

c = cache.corpus()
st.title("Trends")
selection = widgets.filter_sidebar(c, "trends", fields=("node", "years", "relations"))
frame = selection.filter(c.frame)
url.write_url("trends", selection)
st.caption(markdown_text(selection.describe(len(frame), c.taxonomy)))
if frame.empty:
    st.info("No paper matches these filters; widen them in the sidebar.")
    st.stop()
parent = selection.node or ""
children = list(c.taxonomy[parent].children) if parent else [n for root in c.taxonomy.roots for n in (*c.taxonomy[root].children,)]
default = children or [parent]
# Keyed by the sidebar's node, so that picking another node compares its sub-nodes (with one key the earlier
# comparison stayed, and its lines lay at zero for the narrower selection); while the reader stays on a node, their
# own pick stays.
nodes = st.multiselect(
    "Nodes to compare",
    [n.id for n in c.taxonomy.walk()],
    default=default,
    key=f"trends_nodes_{parent}",
    format_func=lambda n: widgets.node_label(c, n).strip(),
)
if nodes:
    layout.chart(node_trends(frame, c.taxonomy, nodes), "trends_nodes_chart")
else:
    st.caption("Pick at least one node to draw its papers per year.")
left, right = st.columns(2)
with left:
    layout.chart(top_venues(frame), "trends_venues")
with right:
    layout.chart(code_share(frame), "trends_code")

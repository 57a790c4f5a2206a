"""Overview: what the survey is, the numbers, the taxonomy at a glance, growth and the most connected papers."""

import streamlit as st

from atlas_ui import cache, layout, widgets
from survey_taxonomy.data.words import clipped, plural
from survey_taxonomy.export.writers import markdown_text
from survey_taxonomy.graphs.figures import papers_per_year, taxonomy_sunburst
from survey_taxonomy.query.selection import facet_counts

c = cache.corpus()
survey = c.survey
st.title("Small Models Atlas")
if survey is not None:
    st.markdown(
        f"An explorer for **[{markdown_text(survey.title)}]({widgets.safe_url(survey.link)})** by {markdown_text(' and '.join(survey.authors))} "
        f"({markdown_text(survey.venue)}). "
        "The survey sorts work on small models (SMs) and large language models (LLMs) into **Collaboration**, where one "
        "helps the other, and **Competition**, where a small model is the better pick."
    )
frame = c.frame
counts = facet_counts(frame["relations"])  # the relation filter's own rule: one count per option, as in Explore
cols = st.columns(5)
cols[0].metric("Papers", len(frame))
cols[1].metric("Cited by the survey", int(counts.get("cited-by-survey", 0)))
cols[2].metric("Citing the survey", int(counts.get("cites-survey", 0)))
cols[3].metric("Curated and community", int(counts.get("curated", 0) + counts.get("community", 0)))
cols[4].metric("With code", f"{frame['has_code'].mean():.0%}" if len(frame) else "–")

left, right = st.columns([3, 2])
with left:
    # Plotly uses a click on a sector to zoom and Streamlit reports no selection for sunbursts,
    # so the node picker beside the chart is what opens Explore.
    layout.chart(taxonomy_sunburst(frame, c.taxonomy), "overview_sunburst")
    st.caption("Click a sector to zoom into it and its centre to zoom out. Open a node's papers with the picker on the right.")
with right:
    st.markdown("#### Open a part of the taxonomy")
    node = st.selectbox("Taxonomy node", [n.id for n in c.taxonomy.walk()], key="overview_node", format_func=lambda n: widgets.node_label(c, n))
    st.page_link("pages/explore.py", label=f"Explore the papers of “{markdown_text(c.taxonomy[node].label)}” →", query_params={"node": node})
    st.caption(markdown_text(c.taxonomy[node].description))
    st.markdown("#### Most connected papers")
    _, metrics = cache.graph_and_metrics("citations", tuple(frame["key"]), c)
    top = metrics[metrics["node"] != (survey.key if survey is not None else "")].head(8)
    if top.empty or top["degree"].max() == 0:
        st.caption("No citation links recorded yet.")
    for node, degree in zip(top["node"], top["degree"], strict=True):
        paper = c.by_key[node]
        st.page_link("pages/paper.py", label=f"{plural(degree, 'link')} · {markdown_text(clipped(paper.title, 80))}", query_params={"key": paper.key})
    st.caption("Ranked by PageRank over the citation links in this dataset (the survey itself left out).")
    widgets.citation_sources(c)

layout.chart(papers_per_year(frame, "category", "Papers per year, by part of the taxonomy"), "overview_years")

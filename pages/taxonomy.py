"""Taxonomy: the survey's README as an interactive page, regenerated from the data."""

import streamlit as st

from atlas_ui import cache, widgets
from survey_taxonomy.data.words import plural
from survey_taxonomy.export import cards
from survey_taxonomy.export.writers import markdown_code, markdown_text, to_markdown
from survey_taxonomy.query.selection import node_counts, papers_by_node

c = cache.corpus()
st.title("The survey's taxonomy")
st.markdown("Each node with its section in the survey, a short description, the method families the survey names under it, and its papers.")
st.download_button(
    "Download the README regenerated from the data (Markdown)",
    to_markdown(c.papers, c.taxonomy),
    file_name="README.md",
    mime="text/markdown",
    key="taxonomy_readme",
)
counts = node_counts(c.frame["taxonomy"], c.taxonomy)
roots = list(c.taxonomy.roots)
focus = st.selectbox(
    "Show", ["", *[n.id for n in c.taxonomy.walk()]], key="taxonomy_focus", format_func=lambda n: widgets.node_label(c, n) if n else "The whole tree"
)
start = [focus] if focus else roots
by_node = papers_by_node(c.papers)

for root in start:
    for node in c.taxonomy.walk(root):
        level = min(node.depth + 2, 5) if not focus else min(node.depth - c.taxonomy[focus].depth + 2, 5)
        st.markdown(f"{'#' * level} {markdown_text(node.heading)}")
        st.caption(f"{plural(counts[node.id], 'paper')} in this part of the tree · id {markdown_code(node.id)}")
        st.markdown(markdown_text(node.description))
        if node.facets:
            st.markdown("Method families: " + " · ".join(markdown_text(f) for f in node.facets))
        papers = by_node.get(node.id, [])
        if papers:
            with st.expander(f"{plural(len(papers), 'paper')} placed directly here", expanded=bool(focus)):
                for p in papers:
                    tag = "" if p.relation == "cited-by-survey" else f" · *{widgets.relation_label(p.relation)}*"
                    code = f" · [code]({widgets.safe_url(p.code)})" if widgets.safe_url(p.code) else ""
                    link = widgets.safe_url(p.link)
                    read = f" · [read ↗]({link})" if link else ""
                    st.markdown(f"- [{markdown_text(p.title)}]({cards.paper_url(p.key)}) — {markdown_text(p.venue) or 'venue unknown'}{read}{code}{tag}")
        st.page_link("pages/explore.py", label="Open in Explore →", query_params={"node": node.id})

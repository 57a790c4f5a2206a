"""A paper's own page (`/paper?key=…`): everything about one paper, at the top of the page, with a link to share."""

import streamlit as st

from atlas_ui import cache, url, widgets
from survey_taxonomy.export.writers import markdown_text
from survey_taxonomy.models.retrieval import similar_papers

c = cache.corpus()
key = st.query_params.get("key", "")
paper = c.get(key)
if paper is None:
    st.title("Paper")
    if key:
        st.warning(f"No paper with key {markdown_text(repr(key))} in the dataset.")
    picked = st.selectbox(
        "Open a paper by title",
        sorted(c.by_key, key=lambda k: c.by_key[k].title.lower()),
        index=None,
        key="paper_pick",
        placeholder="Type to find a paper…",
        format_func=lambda k: f"{c.by_key[k].title} ({c.by_key[k].year or 'n.d.'})",
    )
    if picked:
        url.open_paper(picked)
        st.rerun()
    st.stop()

st.title(markdown_text(paper.title))
actions, share = st.columns([1, 1])
with actions, st.container(horizontal=True, vertical_alignment="center"):  # as wide as their labels, on one line
    widgets.reading_button(c, paper.key, "paper")
    st.page_link("pages/explore.py", label="Find it in Explore", icon=":material/search:", query_params={"key": paper.key})
with share:
    link = url.page_address(f"paper?key={paper.key}")
    st.code(link, language=None, wrap_lines=True)
    st.caption("Copy link: the button at the right of the box.")
widgets.paper_details(c, paper, here="paper")

st.subheader("Similar papers")
st.caption("The five papers closest in wording and taxonomy, by the live demo's retriever (TF-IDF and WordLlama embeddings, fused).")
with st.container(key="paper_similar"):
    for other, _score in similar_papers(cache.retriever(c), paper, c.taxonomy, 5):
        widgets.paper_link(c, other.key, "paper", slot="similar")

st.subheader("Download this paper's record")
widgets.download_buttons([paper], paper.key, "paper")

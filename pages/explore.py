"""Explore: filter and search the papers, read one, export the selection. Every filter and the open paper live in the URL."""

import streamlit as st

from atlas_ui import cache, layout, url, widgets
from survey_taxonomy.export.writers import markdown_text

c = cache.corpus()
st.title("Explore papers")
selection = widgets.filter_sidebar(c, "explore")
result = widgets.selected(c, selection)
layout.search_shortcut()
open_key = st.query_params.get("key", "")
with st.container(key="explore_count"):
    st.caption(markdown_text(selection.describe(len(result), c.taxonomy)))

if result.empty:
    st.info("No paper matches these filters. Remove a filter in the sidebar, or start again:")
    widgets.clear_button("explore", "main")
else:
    widgets.meaning_note(selection)
    widgets.paper_table(c, result, "explore")
    widgets.downloads(c, result, selection, "explore")

url.write_url("explore", selection, {"key": open_key} if open_key else None)

st.divider()
if open_key and open_key in c.by_key:
    widgets.paper_details(c, c.by_key[open_key], here="explore")
elif open_key:
    st.warning(f"No paper with key {markdown_text(repr(open_key))} in the dataset; pick one in the table.")
elif not result.empty:
    st.caption("Select a row (the box left of a title) to read the paper's details, links and BibTeX here.")

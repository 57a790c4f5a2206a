"""Reading list: the papers this browser keeps, across pages and reloads, with no account; export them in any format."""

import streamlit as st

from atlas_ui import cache, widgets
from survey_taxonomy.data.words import plural
from survey_taxonomy.export import cards
from survey_taxonomy.export.writers import markdown_text

c = cache.corpus()
st.title("Reading list")
keys = widgets.reading_list(c)
st.caption(
    "Papers you added from Explore, a paper's page or the citation graph. The list belongs to this browser (a digest of "
    "its Streamlit cookie, no account) and lasts until the browser is closed."
)
if not keys:
    st.info("Your reading list is empty. Open a paper in **Explore** or on its page and press **Add to reading list**.")
    st.stop()
st.markdown(f"**{plural(len(keys), 'paper')}**")
for key in keys:
    paper = c.by_key[key]
    with st.container(border=True):
        text, action = st.columns([5, 1])
        with text:
            st.page_link("pages/paper.py", label=f"{markdown_text(paper.title)} ({paper.year or 'n.d.'})", query_params={"key": key})
            st.caption(f"{markdown_text(cards.short_authors(paper))} · {markdown_text(paper.venue) or 'venue unknown'}")
        with action:
            widgets.reading_button(c, key, "list", kept=True)
st.subheader("Export the list")
widgets.download_buttons([c.by_key[k] for k in keys], "reading-list", "list")

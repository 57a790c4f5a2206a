"""What every page shares around its content: the style rules Streamlit has no option for, the sidebar's about
block, the "/" shortcut and the chart toolbar.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import streamlit as st

from atlas_ui.widgets import reading_list, safe_url
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.words import plural
from survey_taxonomy.export.writers import markdown_text

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from atlas_ui.compat import PlotlyState


PAGE_STYLE = """
<style>
/* Phone (narrow screens): cards instead of wide tables, a labelled control that opens the filters. */
@media (max-width: 640px) {
  .st-key-explore_wide { display: none; }
  [data-testid="stExpandSidebarButton"]::after { content: "Filters and pages"; margin-left: .35rem; font-size: .9rem; }
}
@media (min-width: 641px) {
  .st-key-explore_cards { display: none; }
}
/* The sidebar's "about" block (`sidebar_header`, drawn first so that a page that stops early still has it) shows under
   the page's own controls: Explore's filters come first. */
[data-testid="stSidebarUserContent"] [data-testid="stLayoutWrapper"]:has(> .st-key-atlas_about) { order: 1; }
/* Page links in the main area (a paper's title in the reading list) wrap: Streamlit cuts them at one line. */
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] * { white-space: normal; overflow: visible; }
/* The cards (`cards.cards_html`): one link per paper, title above authors and venue, whole titles wrapped. */
.atlas-cards { display: flex; flex-direction: column; gap: .5rem; }
.atlas-card { padding: .6rem .8rem; border: 1px solid rgba(128, 128, 128, .35); border-radius: .5rem; }
.atlas-card-title { display: block; font-weight: 600; overflow-wrap: anywhere; text-decoration: none; }
.atlas-card-meta { display: block; font-size: .85rem; opacity: .7; }
.atlas-cards-more { font-size: .85rem; opacity: .7; }
</style>
"""


def page_style() -> None:
    """The few style rules Streamlit has no option for (the phone layout); no script, nothing from data."""
    st.html(PAGE_STYLE)


def sidebar_header(c: Corpus) -> None:
    """The shared sidebar block: what this is and how much data it holds; shown under the page's own sidebar."""
    survey = c.survey
    with st.sidebar, st.container(key="atlas_about"):
        st.markdown("**Small Models Atlas**")
        if survey is not None:
            st.caption(
                f"Explorer for *{markdown_text(survey.title)}* ({markdown_text(', '.join(survey.authors))}, {markdown_text(survey.venue)})"
                f" · [arXiv]({safe_url(survey.link)})"
            )
        st.caption(f"{plural(len(c), 'paper')} · {plural(len(c.edges()), 'citation link')} · {plural(len(c.taxonomy.nodes), 'taxonomy node')}")
        st.page_link("pages/reading-list.py", label=f"Reading list ({len(reading_list(c))})", icon=":material/bookmarks:")


# Plotly's toolbar: a chart keeps only "download as PNG"; the citation graph also zooms and pans. Plotly's full set
# (zoom, pan, box and lasso select, zoom in and out, autoscale, reset) lay over a chart's title on a phone, where touch
# devices always show it, and its tools are ones a reader of a bar or line chart does not need.
CHART_TOOLS = {"displaylogo": False, "modeBarButtons": [["toImage"]]}


GRAPH_TOOLS = {"displaylogo": False, "modeBarButtons": [["toImage", "zoomIn2d", "zoomOut2d", "pan2d", "resetScale2d"]]}


def chart(figure: go.Figure, key: str, tools: Mapping[str, object] = CHART_TOOLS, selectable: bool = False) -> PlotlyState | None:
    """Draw a Plotly figure with the toolbar `tools` (see CHART_TOOLS). A `selectable` chart reruns the page when a
    point is clicked and returns the selection."""
    if selectable:
        return st.plotly_chart(figure, key=key, config=dict(tools), on_select="rerun", selection_mode="points")
    st.plotly_chart(figure, key=key, config=dict(tools))
    return None


SEARCH_SHORTCUT = """
<script>
// Press "/" anywhere but in a text field to go to the search box, as on GitHub or arxiv-sanity.
const doc = document;
if (!doc.__atlasSlash) {
  doc.__atlasSlash = true;
  doc.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
    if (event.key !== "/" || typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const box = doc.querySelector('input[aria-label="Search titles, authors, summaries"]');
    if (box) { event.preventDefault(); box.focus(); }
  });
}
</script>
"""


def search_shortcut() -> None:
    """Make "/" focus the search box. Streamlit has no key bindings, so a script listens on the page; it holds no
    data, only this fixed code. Run in the page itself, not in a component's frame: a frame is a document of its
    own, which every load of the page paid for."""
    st.html(SEARCH_SHORTCUT, unsafe_allow_javascript=True)

"""Small Models Atlas: the entry point. Registers the pages and draws the shared sidebar.

Run with `make run` (or `streamlit run app.py`). Pages live in pages/ and stay thin over survey_taxonomy, through atlas_ui (the Streamlit layer).
"""

import streamlit as st

from atlas_ui import cache, compat, layout
from survey_taxonomy.submissions import is_admin

st.set_page_config(page_title="Small Models Atlas", page_icon=":material/travel_explore:", layout="wide")

OVERVIEW = st.Page("pages/overview.py", title="Overview", icon=":material/home:", url_path="home", default=True)


def _overview_alias() -> None:
    """`/overview` (the default page lives at `/`): send old and hand-typed links to the same page."""
    st.switch_page(OVERVIEW)


# One row of page links at the top: in the sidebar they pushed its filters 760 px down (at 1400x900); a phone shows
# them in its panel, above the filters. No sections: the top bar would fold each into a menu, hiding the pages.
PAGES = [
    OVERVIEW,
    st.Page("pages/explore.py", title="Explore papers", icon=":material/search:", url_path="explore"),
    st.Page("pages/taxonomy.py", title="Taxonomy", icon=":material/account_tree:", url_path="taxonomy"),
    st.Page("pages/graph.py", title="Citation graph", icon=":material/hub:", url_path="graph"),
    st.Page("pages/trends.py", title="Trends", icon=":material/trending_up:", url_path="trends"),
    # A file named as its URL: a fresh server runs the first request by file name (see compat.route_through_app).
    st.Page("pages/reading-list.py", title="Reading list", icon=":material/bookmarks:", url_path="reading-list"),
    st.Page("pages/paper.py", title="Paper", icon=":material/article:", url_path="paper", visibility="hidden"),
    st.Page(_overview_alias, title="Overview", url_path="overview", visibility="hidden"),
    st.Page("pages/demo.py", title="Live demo", icon=":material/bolt:", url_path="demo"),
    st.Page("pages/submit.py", title="Submit a paper", icon=":material/add_circle:", url_path="submit"),
    st.Page("pages/review.py", title="Review queue", icon=":material/fact_check:", url_path="review"),
]

# Any browser can ask the server to clear every user's caches; only a maintainer signed in to the review may.
ADMIN_TOKEN = cache.settings().admin_token
compat.guard_cache_clearing(lambda state: is_admin(state, ADMIN_TOKEN))
page = st.navigation(PAGES, position="top")
layout.page_style()
layout.sidebar_header(cache.corpus())  # shown below the page's own sidebar (Explore's filters come first), see layout.PAGE_STYLE
page.run()

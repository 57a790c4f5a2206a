"""The only module that imports Streamlit: cached loaders, URL-state glue and small shared widgets.

Pages call these helpers and the pure library; nothing here is worth testing without a browser except
through the pages' AppTests.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from .abstracts import abstract_of
from .cards import cards_html, paper_url
from .cite import coins_span
from .config import Settings
from .corpus import Corpus, files_signature, load_corpus
from .errors import SettingsError, SurveyDataError
from .export import export, markdown_text
from .provenance import citation_counts, describe_sources
from .query import Selection, facet_counts, node_counts
from .reading_list import ReadingLists, browser_secret, owner_id
from .records import RELATION_LABELS, Paper, code_badge
from .validation import clean_url
from .words import clipped, plural

if TYPE_CHECKING:
    import networkx as nx
    import plotly.graph_objects as go
    from streamlit.elements.plotly_chart import PlotlyState

    from .models.category import CategoryClassifier
    from .models.retrieval import Retriever
from .submissions import approved_papers, store_for


def settings() -> Settings:
    """The app's settings from the environment; a bad value stops the page with the message that names it."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        st.error(f"The app is not configured correctly: {markdown_text(str(exc))}")
        st.stop()
        raise  # unreachable: st.stop() ends the run


def browser_id() -> str:
    """A stable id of this browser: Streamlit's cookie, kept until the browser closes, so a reload is the same
    browser (for the rate limit, the review throttle and the reading list). The store and the reading list keep
    only salted digests of it. Without the cookie (AppTest), this session's random id."""
    cookie = st.context.cookies.get(BROWSER_COOKIE, "")
    if not isinstance(cookie, str) or not cookie:  # AppTest's context has no real cookies
        session_id: str = st.session_state.setdefault("_browser_id", secrets.token_hex(16))
        return session_id
    return browser_secret(cookie)


@st.cache_resource(show_spinner="Loading the papers…", max_entries=4)
def _corpus(data_dir: str, signature: tuple[tuple[str, int | None, int | None], ...], approvals: int) -> Corpus:
    """`approvals` is the store's approval version, or -1 when the store is unreachable (dataset only)."""
    extra = approved_papers(settings())[1] if approvals >= 0 else []
    return load_corpus(data_dir, extra_papers=extra)


def _hand_over_to_app() -> None:
    """Run app.py's navigation even when a fresh server is first opened on a page URL.

    Until app.py has called `st.navigation` once, Streamlit treats a `pages/` folder the legacy way and runs
    the page file alone (no shared sidebar, no page list). Clearing that flag and rerunning sends the same
    URL through app.py, which then picks this page by its url_path.
    """
    from streamlit.runtime.pages_manager import PagesManager

    # Once per session: AppTest recomputes the flag before every run, and a rerun there would drop a click.
    if PagesManager.uses_pages_directory and "_app_handed_over" not in st.session_state:
        st.session_state["_app_handed_over"] = True
        PagesManager.uses_pages_directory = False
        st.rerun()


def corpus() -> Corpus:
    """The corpus (dataset + approved submissions), rebuilt only when a file or an approval changes.

    Every page calls this first, so it is also where a page run outside app.py is handed over to it.
    """
    _hand_over_to_app()
    cfg = settings()
    data = Path(cfg.data_dir)
    try:
        version = store_for(cfg).version()
    except SurveyDataError as exc:
        st.warning(f"Community submissions are not shown: the submission store cannot be reached ({exc}).")
        version = -1
    try:
        return _corpus(str(data), files_signature(data), version)
    except SurveyDataError as exc:
        st.error(f"The dataset cannot be loaded: {exc}")
        st.stop()
        raise  # unreachable: st.stop() ends the run


@st.cache_resource(show_spinner="Indexing the papers…", max_entries=2)
def _retriever(signature: tuple[int, ...], _c: Corpus) -> Retriever:
    from .models.retrieval import build_retriever  # scikit-learn and WordLlama: ~1 s, paid only by pages that retrieve

    return build_retriever(_c)


def retriever(c: Corpus) -> Retriever:
    """The demo's retriever over the corpus (TF-IDF and WordLlama, fused), built once per corpus."""
    return _retriever(c.signature, c)


@st.cache_resource(show_spinner="Training the category classifier…", max_entries=2)
def _classifier(signature: tuple[int, ...], _c: Corpus) -> CategoryClassifier:
    from .models.category import classifier_for  # scikit-learn and WordLlama, paid only by pages that suggest nodes

    return classifier_for(_c)


def classifier(c: Corpus) -> CategoryClassifier:
    """The category classifier trained on the corpus (dataset + approved submissions), once per corpus."""
    return _classifier(c.signature, c)


@st.cache_resource(show_spinner="Measuring the graph…", max_entries=16)
def _graph_and_metrics(mode: str, keys: tuple[str, ...], signature: tuple[int, ...], _corpus: Corpus) -> tuple[nx.Graph, pd.DataFrame]:
    from .graphs import build_graph, graph_metrics  # networkx: ~0.5 s that Explore's first render need not pay

    graph = build_graph(_corpus, mode, keys)
    return graph, graph_metrics(graph)


def graph_and_metrics(mode: str, keys: tuple[str, ...], c: Corpus) -> tuple[nx.Graph, pd.DataFrame]:
    """Graph and its metrics for a mode and a set of papers (no layout: the Overview needs only the ranking)."""
    return _graph_and_metrics(mode, keys, c.signature, c)


@st.cache_resource(show_spinner="Laying out the graph…", max_entries=16)
def _graph_and_layout(
    mode: str, keys: tuple[str, ...], signature: tuple[int, ...], _corpus: Corpus
) -> tuple[nx.Graph, pd.DataFrame, dict[str, tuple[float, float]]]:
    graph, metrics = _graph_and_metrics(mode, keys, signature, _corpus)
    center = _corpus.survey.key if mode == "citations" and _corpus.survey is not None else None
    from .graphs import layout

    return graph, metrics, layout(graph, center=center)


def graph_and_layout(mode: str, keys: tuple[str, ...], c: Corpus) -> tuple[nx.Graph, pd.DataFrame, dict[str, tuple[float, float]]]:
    """Graph, metrics and positions for a mode and a set of papers; computed once per combination and corpus content."""
    return _graph_and_layout(mode, keys, c.signature, c)


def citation_sources(c: Corpus) -> None:
    """The caption every page with citations carries: where the links come from and when they were refreshed."""
    st.caption(markdown_text(describe_sources(c)))


def url_params() -> dict[str, list[str]]:
    """The page's query parameters as lists (the form `write_url` compares and records)."""
    return {k: st.query_params.get_all(k) for k in st.query_params}


def selection_from_url(c: Corpus) -> Selection:
    """The selection in the URL; bad values are dropped with a short notice, never an error."""
    selection, notices = Selection.from_params(url_params(), c.taxonomy)
    for notice in notices:
        st.toast(f"Link: {markdown_text(notice)}", icon=":material/warning:")
    return selection


def write_url(prefix: str, selection: Selection, extra: dict[str, str] | None = None) -> None:
    """Make the URL say what the page shows: `selection` plus `extra` (e.g. the open paper).

    A change pushes a browser history entry (Streamlit does that for query changes), so Back steps through
    filter changes and opened papers. What was written is remembered, so that the next run can tell a URL
    the page wrote from one that changed under it (Back, Forward, a link, a reload).
    """
    params = selection.to_params() | (extra or {})
    wanted = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    # Also when the query this run started with already says it: a rerun that a quick second click started may
    # carry a query older than the one the last run wrote, and the browser must get this run's.
    if url_params() != wanted or st.session_state.get(f"{prefix}__url") != wanted:
        st.query_params.from_dict(params)
    st.session_state[f"{prefix}__url"] = wanted


def open_paper(key: str) -> None:
    """The one way to open a paper: the URL's `key` names the open paper, so reload, Back and a shared link show it.

    Safe to call from a widget callback; the page reads the open paper from the URL and nowhere else.
    """
    if key:
        st.query_params["key"] = key
    elif "key" in st.query_params:
        del st.query_params["key"]


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


def relation_label(relation: str) -> str:
    return RELATION_LABELS.get(relation, relation)


def node_label(c: Corpus, node_id: str) -> str:
    """A taxonomy node as shown in select boxes: indented by depth, with its section number.

    A label never carries a count: Streamlit sends a select box's value as its label, so a label that changes
    between reruns (a count that follows the other filters) would come back as the value itself.
    """
    if not node_id:
        return "All of the taxonomy"
    node = c.taxonomy[node_id]
    return f"{'  ' * node.depth}{'└ ' if node.depth else ''}{node.heading}"


FILTERS = ("node", "facets", "years", "venues", "relations", "has_code", "query", "meaning")


def _seed_filters(prefix: str, c: Corpus, selection: Selection, year_span: tuple[int, int]) -> None:
    """Set the widgets to `selection` (from the URL), keeping only values that name something in the corpus."""
    state = st.session_state
    state[f"{prefix}_node"] = selection.node or ""
    state[f"{prefix}_facets"] = [t for t in dict.fromkeys(c.topic(f) for f in selection.facets) if t]  # any case or spacing
    state[f"{prefix}_venues"] = [v for v in selection.venues if v in c.venue_names]
    state[f"{prefix}_relations"] = list(selection.relations)
    state[f"{prefix}_has_code"] = selection.has_code
    state[f"{prefix}_query"] = selection.query
    state[f"{prefix}_meaning"] = selection.by_meaning
    lo = max(selection.year_min or year_span[0], year_span[0])
    hi = min(selection.year_max or year_span[1], year_span[1])
    state[f"{prefix}_years"] = (lo, hi) if lo <= hi else year_span
    dropped = {f for f in selection.facets if c.topic(f) is None} | (set(selection.venues) - c.venue_names)
    if dropped:
        st.toast(f"Link: ignored unknown values {markdown_text(', '.join(sorted(dropped)))}", icon=":material/warning:")


def _selection_from_state(prefix: str, c: Corpus, year_span: tuple[int, int], fields: tuple[str, ...]) -> Selection:
    """The widgets' selection; a value that is not an id of the corpus is left out, so it can never reach a filter."""
    state = st.session_state
    years = state.get(f"{prefix}_years", year_span)
    lo, hi = years if isinstance(years, tuple | list) and len(years) == 2 else year_span
    node = state.get(f"{prefix}_node") or None
    return Selection(
        node=node if "node" in fields and node in c.taxonomy else None,
        facets=tuple(f for f in state.get(f"{prefix}_facets", ()) if f in c.topics) if "facets" in fields else (),
        year_min=lo if "years" in fields and lo > year_span[0] else None,
        year_max=hi if "years" in fields and hi < year_span[1] else None,
        venues=tuple(v for v in state.get(f"{prefix}_venues", ()) if v in c.venue_names) if "venues" in fields else (),
        relations=tuple(r for r in state.get(f"{prefix}_relations", ()) if r in RELATION_LABELS) if "relations" in fields else (),
        has_code=bool(state.get(f"{prefix}_has_code", False)) if "has_code" in fields else False,
        query=str(state.get(f"{prefix}_query", "")).strip()[:200] if "query" in fields else "",
        by_meaning="query" in fields and bool(state.get(f"{prefix}_meaning")) and bool(str(state.get(f"{prefix}_query", "")).strip()),
    )


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


def year_span(c: Corpus) -> tuple[int, int]:
    years = c.frame["year"].dropna()
    return (int(years.min()), int(years.max())) if len(years) else (2000, 2000)


def _counts_caption(counts: Mapping[str, int] | pd.Series[int], label: Callable[[str], str], limit: int = 6) -> str:
    """The most frequent options with their counts, for a caption under a filter."""
    items = [(k, int(n)) for k, n in dict(counts).items() if n][:limit]
    return " · ".join(f"{markdown_text(label(k))} {n}" for k, n in items)


def filter_sidebar(c: Corpus, prefix: str, fields: tuple[str, ...] = FILTERS) -> Selection:
    """Draw the filter widgets (set from the URL), with counts, and return the selection they make.

    The URL is the source of truth: when it differs from what this page last wrote (first visit, Back or
    Forward, a link, a reload), the widgets are set from it. Counts are "drill-sideways": the papers an option
    would give with every other filter kept, as in faceted search engines. They are shown in captions, never
    in option labels (see `node_label`).
    """
    span = year_span(c)
    state = st.session_state
    # The URL changed under the page (Back, Forward, a link, a reload) when it is not what the page last wrote,
    # and no filter was touched since the last run: a click's rerun can carry an older query, which must not
    # undo the click.
    present = any(f"{prefix}_{name}" in state for name in FILTERS)  # Streamlit drops a page's widgets when it is left
    touched = present and f"{prefix}__drawn" in state and _selection_from_state(prefix, c, span, fields) != state[f"{prefix}__drawn"]
    if state.get(f"{prefix}__url") != url_params() and not touched:
        _seed_filters(prefix, c, selection_from_url(c), span)
    current = _selection_from_state(prefix, c, span, fields)
    state[f"{prefix}__drawn"] = current
    frame = c.frame
    counted = current.sideways(frame, [name for name in ("node", "facets", "venues", "relations", "has_code") if name in fields])
    with st.sidebar:
        st.subheader("Filters")
        if "query" in fields:
            st.text_input(
                "Search titles, authors, summaries",
                key=f"{prefix}_query",
                placeholder="e.g. routing (finds router, routers)",
                help="Every word must match; word forms count as one word (routing, router, routers). Press / to come here.",
            )
            st.toggle(
                "Search by meaning",
                key=f"{prefix}_meaning",
                help="Rank papers by what the search is about, not its words (WordLlama embeddings): "
                "“make decoding faster” finds speculative decoding. Shows the papers close to the best match, with their similarity.",
            )
        if "node" in fields:
            counts = node_counts(frame["taxonomy"].to_numpy()[counted["node"]], c.taxonomy)
            options = ["", *[n.id for n in c.taxonomy.walk()]]
            st.selectbox("Taxonomy node (includes its sub-nodes)", options, key=f"{prefix}_node", format_func=lambda n: node_label(c, n))
            if current.node:
                st.caption(f"{plural(counts.get(current.node, 0), 'paper')} in this node with the other filters")
        if "facets" in fields:
            topic_counts = facet_counts(frame["topics"].to_numpy()[counted["facets"]])
            chosen = [t for t in st.session_state.get(f"{prefix}_facets", []) if t in c.topics]
            options = list(dict.fromkeys([*chosen, *topic_counts.index]))
            # No "Select all": topics must all match, so selecting every topic would always give nothing.
            st.multiselect("Topics (all must match)", options, key=f"{prefix}_facets", select_all=False)
            if len(topic_counts):
                st.caption("Most frequent here: " + _counts_caption(topic_counts, str))
        if "years" in fields and span[0] < span[1]:
            st.slider("Years", span[0], span[1], key=f"{prefix}_years")
        if "venues" in fields:
            venue_counts = facet_counts(frame["venue_name"].to_numpy()[counted["venues"]])
            chosen = [v for v in st.session_state.get(f"{prefix}_venues", []) if v in c.venue_names]
            options = list(dict.fromkeys([*chosen, *venue_counts.index]))
            st.multiselect("Venues", options, key=f"{prefix}_venues")
        if "relations" in fields:
            rel_counts = facet_counts(frame["relations"].to_numpy()[counted["relations"]])
            st.multiselect("Relation to the survey", list(RELATION_LABELS), key=f"{prefix}_relations", format_func=relation_label)
            st.caption(_counts_caption(rel_counts, relation_label))
        if "has_code" in fields:
            with_code = int(frame["has_code"].to_numpy()[counted["has_code"]].sum())
            st.checkbox(f"Only papers with code ({with_code})", key=f"{prefix}_has_code")
        if not current.is_empty():
            clear_button(prefix)
    return current


def clear_button(prefix: str, where: str = "sidebar") -> None:
    """*Clear all filters*: in the sidebar, and where a page says nothing matches (there a mention of the button
    in bold text read as a control, and a click on it did nothing)."""
    st.button(
        "Clear all filters",
        key=f"{prefix}_clear" if where == "sidebar" else f"{prefix}_clear_{where}",
        on_click=_clear_filters,
        args=(prefix,),
        icon=":material/filter_alt_off:",
    )


def _clear_filters(prefix: str) -> None:
    """Forget the page's filters and empty its URL, before the run the click starts: that one run then draws
    every widget at its default (clearing within the run drew the page twice)."""
    for name in FILTERS:
        st.session_state.pop(f"{prefix}_{name}", None)
    st.query_params.clear()


@lru_cache(maxsize=1 << 16)  # the table rebuilds every shown link on each click; parsing them was a tenth of a run
def safe_url(url: str) -> str:
    """`url` rebuilt from its parsed parts when it is an http(s) address with a host, else "" (shown as no link).

    Rebuilding percent-encodes what could end a Markdown link (spaces, brackets, parentheses, quotes) and
    drops a user name (`https://trusted.org@evil.example`), so a stored URL can only ever be one link.
    """
    return clean_url(url) or ""


def meaning_note(selection: Selection) -> None:
    """Under a search by meaning, what the list holds and what its Similarity column means."""
    if selection.by_meaning:
        from .models.retrieval import MEANING_FLOOR, MEANING_MARGIN

        st.caption(
            f"Closest first: the papers whose similarity to the search is within {MEANING_MARGIN:.2f} of the best match and at"
            f" least {MEANING_FLOOR:.2f}. Similarity is the cosine of the two texts' WordLlama embeddings, not a probability."
        )


def selected(c: Corpus, selection: Selection) -> pd.DataFrame:
    """The selection's rows: `Selection.filter`, or the closest papers when the search is by meaning."""
    if not selection.by_meaning:
        return selection.filter(c.frame)
    from .models.retrieval import filter_by_meaning  # the retriever's imports are paid only by a search by meaning

    return filter_by_meaning(selection, c.frame, retriever(c))


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


def paper_table(c: Corpus, result: pd.DataFrame, prefix: str) -> None:
    """The papers of a selection: a table on wide screens, cards on a phone, and a title box.

    A row or a title opens its paper through `open_paper`; the table is then drawn anew (a new key), so the
    open paper is always the URL's and never a stale row selection.
    """
    state = st.session_state
    nonce = state.get(f"{prefix}_table_nonce", 0)
    table_key = f"{prefix}_table_{nonce}"
    keys = list(result["key"])

    def open_row() -> None:
        rows = state[table_key].selection.rows
        if rows:
            open_paper(keys[rows[0]])
            state[f"{prefix}_table_nonce"] = nonce + 1

    def open_title() -> None:
        open_paper(state[f"{prefix}_open"] or "")
        state[f"{prefix}_open"] = None

    table = result.assign(
        relation_label=result["relation"].map(relation_label),
        page=[paper_url(k) for k in keys],
        url=result["url"].map(safe_url),
        code=result["code"].map(safe_url),
    )
    columns = ["title", "authors_text", "year", "venue", "relation_label", "page", "url", "code"]
    if "similarity" in table:  # a search by meaning: what the order rests on, said with its meaning
        columns.insert(0, "similarity")
    with st.container(key=f"{prefix}_wide"):
        st.dataframe(
            table[columns],  # only what is shown: the frame's search columns would be serialised on every rerun
            key=table_key,
            hide_index=True,
            on_select=open_row,
            selection_mode="single-row",
            column_config={
                "title": st.column_config.TextColumn("Title", width="large"),
                "authors_text": st.column_config.TextColumn("Authors", width="medium"),
                "year": st.column_config.NumberColumn("Year", format="%d", width="small"),
                "venue": st.column_config.TextColumn("Venue"),
                "relation_label": st.column_config.TextColumn("Relation"),
                "page": st.column_config.LinkColumn("Page", display_text="page ↗", width="small", help="The paper's own page in this atlas"),
                "url": st.column_config.LinkColumn("Paper", display_text="open ↗", width="small"),
                "code": st.column_config.LinkColumn("Code", display_text="code ↗", width="small"),
                "similarity": st.column_config.NumberColumn("Similarity", format="%.2f", width="small", help=SIMILARITY_HELP),
            },
            height=min(38 + 35 * len(table), 460),
        )
    with st.container(key=f"{prefix}_cards"):
        st.html(cards_html([c.by_key[k] for k in keys[:CARDS]], len(keys)))
    st.selectbox(
        "Or open a paper by title",
        keys,
        index=None,
        key=f"{prefix}_open",
        on_change=open_title,
        placeholder="Type to find a paper of this list…",
        format_func=lambda k: f"{c.by_key[k].title} ({c.by_key[k].year or 'n.d.'})",
    )


CARDS = 30  # cards drawn for a phone; the wide table shows every row
SIMILARITY_HELP = (
    "Cosine similarity of the WordLlama embeddings of your search and of the paper's text (title, summary, taxonomy,"
    " topics): higher is closer in meaning. It is not a probability and not a measure of quality."
)
PAPER_PAGE = "pages/paper.py"


def page_address(path: str) -> str:
    """The absolute address of an app page (`path` like "paper?key=x"), from the address this page was opened at."""
    here = urlsplit(st.context.url or "")
    base = urlunsplit((here.scheme, here.netloc, "", "", "")) if here.scheme and here.netloc else ""
    prefix = here.path.rsplit("/", 1)[0] if here.path.count("/") > 1 else ""  # served under a base path
    return f"{base}{prefix}/{path}"


def downloads(c: Corpus, result: pd.DataFrame, selection: Selection, prefix: str) -> None:
    """Download buttons for the selection in every format; files are built on click and named for the selection."""
    papers = [c.by_key[k] for k in result["key"]]
    download_buttons(papers, selection.slug(), prefix)


def download_buttons(papers: list[Paper], slug: str, prefix: str) -> None:
    """One button per export format (citable BibTeX first); `slug` names the files.

    A few papers (a reading list, one paper) are written with the page: a file built on click needs a round trip
    to the server first, and on a busy machine a click could be lost in it. Large selections are built on click,
    so that every rerun of Explore does not write them six times.
    """
    cols = st.columns(len(DOWNLOADS))
    for col, (fmt, label, mime, ext) in zip(cols, DOWNLOADS, strict=True):
        col.download_button(
            f"{label} ({len(papers)})",
            export(papers, fmt) if len(papers) <= EAGER_DOWNLOADS else partial(export, papers, fmt),
            file_name=f"small-models-atlas_{slug}.{ext}",
            mime=mime,
            key=f"{prefix}_download_{fmt}",
            help=DOWNLOAD_HELP[fmt],
            width="stretch",
        )


EAGER_DOWNLOADS = 50  # papers up to which download files are written with the page (see `download_buttons`)
DOWNLOADS = (
    ("cite", "BibTeX", "application/x-bibtex", "bib"),
    ("ris", "RIS", "application/x-research-info-systems", "ris"),
    ("csl", "CSL-JSON", "application/vnd.citationstyles.csl+json", "json"),
    ("bibtex", "Full BibTeX", "application/x-bibtex", "full.bib"),
    ("csv", "CSV", "text/csv", "csv"),
    ("json", "JSON", "application/json", "records.json"),
)
DOWNLOAD_HELP = {
    "cite": "Standard fields only, ready to cite with any BibTeX style.",
    "ris": "For Zotero, Mendeley and EndNote.",
    "csl": "CSL-JSON, for Zotero and citation processors.",
    "bibtex": "The dataset's own format, with taxonomy, topics, summary and provenance.",
    "csv": "A spreadsheet (cells that look like formulas are neutralised).",
    "json": "The project's record format.",
}


def paper_details(c: Corpus, paper: Paper, here: str = "paper") -> None:
    """The detail panel of one paper: facts, summary, taxonomy path, links, citations and BibTeX.

    `here` is the page showing it: in Explore a citation link moves the panel (and the URL, filters kept);
    elsewhere it opens the cited paper's own page.
    """
    if here != "paper":
        st.subheader(markdown_text(paper.title))
        with st.container(horizontal=True, vertical_alignment="center"):  # each action as wide as its label, wrapped on a narrow window
            st.page_link(PAPER_PAGE, label="Open the paper's page", icon=":material/article:", query_params={"key": paper.key})
            reading_button(c, paper.key, here)
            with st.popover("Cite", icon=":material/format_quote:"):
                # Drawn when opened, as Semantic Scholar's Cite: a code block costs the browser about 0.5 s of CPU
                # on every load of a page that shows one, and most visits to Explore do not cite.
                bibtex_block(paper)
    st.markdown(
        f"{markdown_text(', '.join(paper.authors)) or '*Authors unknown*'}  \n"
        f"**{markdown_text(paper.venue) or 'Venue unknown'}** · {paper.year or 'year unknown'} · {relation_label(paper.relation)}"
    )
    st.html(coins_span(paper))  # invisible: the Zotero Connector saves the paper shown from it
    if paper.relation in ("curated", "community"):
        st.caption("Not in the survey's own paper list: added by this project" + (" from a community submission." if paper.relation == "community" else "."))
    if paper.summary:
        st.markdown(markdown_text(paper.summary))
    abstract = abstract_of(c.abstracts, paper.key)
    if abstract is not None:
        with st.expander("Abstract, in the authors' words", expanded=here == "paper"):
            st.markdown(markdown_text(abstract.text))
            st.caption(abstract.label + ". The paragraph above this box is the atlas's own summary.")
    elif here == "paper":
        st.caption("No abstract yet: `citations refresh` fetches abstracts from OpenAlex and Semantic Scholar on a machine with internet.")
    for node_id in paper.taxonomy:
        if node_id in c.taxonomy:
            st.markdown("Taxonomy: " + " › ".join(markdown_text(label) for label in c.taxonomy.path_labels(node_id)))
    if paper.topics:
        st.markdown("Topics: " + ", ".join(markdown_text(t) for t in paper.topics))
    link_badges(paper)
    counts = citation_counts(c, paper.key)
    if counts:
        st.markdown("Citations: " + " · ".join(markdown_text(count.label) for count in counts))
    else:
        st.caption("No citation count yet: `citations refresh` fetches them from OpenAlex and Semantic Scholar on a machine with internet.")
    cites, cited_by = c.links_of(paper.key)
    left, right = st.container(key=f"{here}_links").columns(2)
    # Two papers can cite each other (a later version of one cites the other), so each column's links have a slot
    # of their own.
    for col, title, slot, keys in ((left, "Cites (in this dataset)", "cites", cites), (right, "Cited by (in this dataset)", "cited_by", cited_by)):
        with col:
            st.markdown(f"**{title}: {len(keys)}**")
            for key in keys[:12]:
                paper_link(c, key, here, slot=slot)
            if len(keys) > 12:
                st.caption(f"… and {len(keys) - 12} more (see the citation graph).")
            if not keys:
                st.caption("None known. Citation links are recorded only where a public source shows them.")
    citation_sources(c)
    if paper.note:
        with st.expander("Provenance of this record"):
            st.text(paper.note)
    if here == "paper":
        bibtex_block(paper)


def bibtex_block(paper: Paper) -> None:
    """The paper's citable BibTeX (standard fields only), with Streamlit's copy button."""
    st.markdown("**BibTeX** to cite it (copy with the button at the top right of the box)")
    st.code(export([paper], "cite"), language="bibtex", wrap_lines=True)  # a long title or author list stays in view


@st.cache_resource(show_spinner=False, max_entries=4)
def _reading_lists_at(db_url: str) -> ReadingLists:
    """The reading lists of the store at `db_url`. A failure raises, and Streamlit caches no exception, so a
    database that was down is tried again on the next view (a cached None kept the lists off until a restart)."""
    return ReadingLists(store_for(settings()).engine)


def _reading_lists() -> ReadingLists | None:
    """The store's reading lists, or None while its database cannot be reached (the list then lives in the session)."""
    try:
        return _reading_lists_at(settings().db_url)
    except (SurveyDataError, SQLAlchemyError):
        return None


def _reader() -> str:
    """This browser's reading-list owner."""
    return owner_id(browser_id())


BROWSER_COOKIE = "_streamlit_xsrf"  # set by Streamlit when the page connects; the browser keeps it until it closes


def reading_list(c: Corpus) -> list[str]:
    """The keys of this browser's reading list that the corpus knows, oldest first."""
    lists = _reading_lists()
    keys = lists.keys(_reader()) if lists is not None else st.session_state.get("_reading_list", [])
    return [k for k in keys if k in c.by_key]


def _toggle_reading(key: str) -> None:
    lists = _reading_lists()
    if lists is None:
        kept = st.session_state.setdefault("_reading_list", [])
        kept.remove(key) if key in kept else kept.append(key)
        return
    try:
        lists.toggle(_reader(), key)
    except ValueError as exc:
        st.toast(str(exc), icon=":material/warning:")


def reading_button(c: Corpus, key: str, where: str, kept: bool | None = None) -> None:
    """Add the paper to this browser's reading list, or remove it; on the list itself, "Remove" says enough and
    fits the narrow column beside each paper."""
    if kept is None:  # a page that lists many kept papers says so, rather than asking the store once per button
        kept = key in reading_list(c)
    st.button(
        ("Remove" if where == "list" else "Remove from reading list") if kept else "Add to reading list",
        key=f"{where}_keep_{key}",
        icon=":material/bookmark_remove:" if kept else ":material/bookmark_add:",
        on_click=_toggle_reading,
        args=(key,),
    )


def paper_link(c: Corpus, key: str, here: str, slot: str = "") -> None:
    """A link to a paper: on Explore and on a paper's page it opens the paper there (through `open_paper`, which
    updates the URL); elsewhere it goes to the paper's page.

    Streamlit does not change the browser's address for a page link to the page already shown, so a link within
    the same page is a button that sets the URL instead. `slot` tells apart two links to one paper on a page.
    """
    paper = c.by_key[key]
    label = f"{markdown_text(clipped(paper.title, 90))} ({paper.year or 'n.d.'})"
    if here in ("explore", "paper"):
        st.button(label, key=f"{here}_open_{slot}_{key}", type="tertiary", on_click=open_paper, args=(key,), icon=":material/article:")
    else:
        st.page_link(PAPER_PAGE, label=label, query_params={"key": key}, icon=":material/article:")


def link_badges(paper: Paper) -> None:
    """The paper's links, each with a badge that says what it is (a code link says whose code it is)."""
    links = [
        ("Paper", safe_url(paper.link)),
        ("arXiv", f"https://arxiv.org/abs/{paper.arxiv}" if paper.arxiv else ""),
        ("DOI", f"https://doi.org/{paper.doi}" if paper.doi else ""),
    ]
    parts = [f"[{label} ↗]({url})" for label, url in links if url]
    code = safe_url(paper.code)
    if code:
        parts.append(f"[Code ↗]({code}) {CODE_BADGES[code_badge(paper)]}")
    if parts:
        st.markdown(" · ".join(parts))


CODE_BADGES = {
    "official": ":green-badge[official: the authors' repository]",
    "third-party": ":orange-badge[third-party reimplementation]",
    "list": ":blue-badge[paper list]",
    "unknown": ":gray-badge[code: whose is not recorded]",
}

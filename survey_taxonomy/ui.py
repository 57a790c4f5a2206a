"""The only module that imports Streamlit: cached loaders, URL-state glue and small shared widgets.

Pages call these helpers and the pure library; nothing here is worth testing without a browser except
through the pages' AppTests.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from .config import Settings
from .corpus import Corpus, _signature, load_corpus
from .errors import SurveyDataError
from .export import to_bibtex
from .graphs import build_graph, graph_metrics, layout
from .model import RELATION_LABELS, Paper
from .query import Selection, facet_counts, node_counts
from .submissions import approved_papers, markdown_text

if TYPE_CHECKING:  # scikit-learn takes ~1 s to import, which every fresh server paid before its first page
    pass


def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource(show_spinner="Loading the papers…", max_entries=4)
def _corpus(data_dir: str, signature: tuple, approvals: int) -> Corpus:
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
        version, _ = approved_papers(cfg)
    except SurveyDataError as exc:
        st.warning(f"Community submissions are not shown: the submission store cannot be reached ({exc}).")
        version = -1
    try:
        return _corpus(str(data), _signature((data / "taxonomy.yaml", data / "papers.bib", data / "citations.csv")), version)
    except SurveyDataError as exc:
        st.error(f"The dataset cannot be loaded: {exc}")
        st.stop()
        raise  # unreachable: st.stop() ends the run


@st.cache_resource(show_spinner="Measuring the graph…", max_entries=16)
def graph_and_metrics(mode: str, keys: tuple[str, ...], _corpus: Corpus, corpus_id: int):
    """Graph and its metrics for a mode and a set of papers (no layout: the Overview needs only the ranking)."""
    graph = build_graph(_corpus, mode, keys)
    return graph, graph_metrics(graph)


@st.cache_resource(show_spinner="Laying out the graph…", max_entries=16)
def graph_and_layout(mode: str, keys: tuple[str, ...], _corpus: Corpus, corpus_id: int):
    """Graph, metrics and positions for a mode and a set of papers; computed once per combination."""
    graph, metrics = graph_and_metrics(mode, keys, _corpus, corpus_id)
    center = _corpus.survey.key if mode == "citations" and _corpus.survey is not None else None
    return graph, metrics, layout(graph, center=center)


def selection_from_url(c: Corpus) -> Selection:
    """The selection in the URL; bad values are dropped with a short notice, never an error."""
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    selection, notices = Selection.from_params(params, c.taxonomy)
    for notice in notices:
        st.toast(f"Link: {notice}", icon="⚠️")
    return selection


def write_selection_to_url(selection: Selection, extra: dict[str, str] | None = None) -> None:
    """Replace the URL's query with `selection` (and `extra`, e.g. the open paper)."""
    params = selection.to_params() | (extra or {})
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    wanted = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    if current != wanted:
        st.query_params.from_dict(params)


def sidebar_header(c: Corpus) -> None:
    """The shared sidebar block: what this is and how much data it holds."""
    survey = c.survey
    with st.sidebar:
        st.markdown("**Small Models Atlas**")
        if survey is not None:
            st.caption(f"Explorer for *{survey.title}* ({', '.join(survey.authors)}, {survey.venue}) · [arXiv]({survey.link})")
        st.caption(f"{len(c)} papers · {len(c.edges())} citation links · {len(c.taxonomy.nodes)} taxonomy nodes")


def relation_label(relation: str) -> str:
    return RELATION_LABELS.get(relation, relation)


def node_label(c: Corpus, node_id: str) -> str:
    """A taxonomy node as shown in select boxes: indented by depth, with its section number."""
    if not node_id:
        return "All of the taxonomy"
    node = c.taxonomy[node_id]
    section = f"§{node.section} " if node.section else ""
    return f"{'  ' * node.depth}{'└ ' if node.depth else ''}{section}{node.label}"


FILTERS = ("node", "facets", "years", "venues", "relations", "has_code", "query")


def _init_filter_state(prefix: str, c: Corpus, selection: Selection, year_span: tuple[int, int]) -> None:
    """Seed the widgets from the URL when the page is entered (Streamlit drops a page's widget state when it is left)."""
    state = st.session_state
    if any(f"{prefix}_{name}" in state for name in FILTERS):
        return
    known_topics = set(c.frame["topics"].explode().dropna())
    known_venues = set(c.frame["venue_name"])
    state[f"{prefix}_node"] = selection.node or ""
    state[f"{prefix}_facets"] = [f for f in selection.facets if f in known_topics]
    state[f"{prefix}_venues"] = [v for v in selection.venues if v in known_venues]
    state[f"{prefix}_relations"] = list(selection.relations)
    state[f"{prefix}_has_code"] = selection.has_code
    state[f"{prefix}_query"] = selection.query
    lo = max(selection.year_min or year_span[0], year_span[0])
    hi = min(selection.year_max or year_span[1], year_span[1])
    state[f"{prefix}_years"] = (lo, hi) if lo <= hi else year_span
    dropped = (set(selection.facets) - known_topics) | (set(selection.venues) - known_venues)
    if dropped:
        st.toast(f"Link: ignored unknown values {', '.join(sorted(dropped))}", icon="⚠️")


def _selection_from_state(prefix: str, year_span: tuple[int, int], fields: tuple[str, ...]) -> Selection:
    state = st.session_state
    lo, hi = state.get(f"{prefix}_years", year_span)
    return Selection(
        node=(state.get(f"{prefix}_node") or None) if "node" in fields else None,
        facets=tuple(state.get(f"{prefix}_facets", ())) if "facets" in fields else (),
        year_min=lo if "years" in fields and lo > year_span[0] else None,
        year_max=hi if "years" in fields and hi < year_span[1] else None,
        venues=tuple(state.get(f"{prefix}_venues", ())) if "venues" in fields else (),
        relations=tuple(state.get(f"{prefix}_relations", ())) if "relations" in fields else (),
        has_code=bool(state.get(f"{prefix}_has_code", False)) if "has_code" in fields else False,
        query=str(state.get(f"{prefix}_query", "")).strip() if "query" in fields else "",
    )


def year_span(c: Corpus) -> tuple[int, int]:
    years = c.frame["year"].dropna()
    return (int(years.min()), int(years.max())) if len(years) else (2000, 2000)


def filter_sidebar(c: Corpus, prefix: str, fields: tuple[str, ...] = FILTERS) -> Selection:
    """Draw the filter widgets (seeded from the URL), with counts, and return the selection they make.

    Counts next to each option are "drill-sideways": the papers the option would give with every other
    filter kept, as in faceted search engines, so an option never shows a count it cannot deliver.
    """
    span = year_span(c)
    _init_filter_state(prefix, c, selection_from_url(c), span)
    current = _selection_from_state(prefix, span, fields)
    frame = c.frame
    with st.sidebar:
        st.subheader("Filters")
        if "query" in fields:
            st.text_input("Search titles, authors, summaries", key=f"{prefix}_query", placeholder="e.g. speculative draft")
        if "node" in fields:
            counts = node_counts(current.without("node").filter(frame), c.taxonomy)
            options = ["", *[n.id for n in c.taxonomy.walk()]]
            st.selectbox(
                "Taxonomy node (includes its sub-nodes)",
                options,
                key=f"{prefix}_node",
                format_func=lambda n: node_label(c, n) + (f" ({counts[n]})" if n else ""),
            )
        if "facets" in fields:
            topic_counts = facet_counts(current.without("facets").filter(frame), "topics")
            chosen = list(st.session_state.get(f"{prefix}_facets", []))
            options = list(dict.fromkeys([*chosen, *topic_counts.index]))
            st.multiselect("Topics (all must match)", options, key=f"{prefix}_facets", format_func=lambda t: f"{t} ({int(topic_counts.get(t, 0))})")
        if "years" in fields and span[0] < span[1]:
            st.slider("Years", span[0], span[1], key=f"{prefix}_years")
        if "venues" in fields:
            venue_counts = facet_counts(current.without("venues").filter(frame), "venue_name")
            chosen = list(st.session_state.get(f"{prefix}_venues", []))
            options = list(dict.fromkeys([*chosen, *venue_counts.index]))
            st.multiselect("Venues", options, key=f"{prefix}_venues", format_func=lambda v: f"{v} ({int(venue_counts.get(v, 0))})")
        if "relations" in fields:
            rel_counts = facet_counts(current.without("relations").filter(frame), "relation")
            st.multiselect(
                "Relation to the survey",
                list(RELATION_LABELS),
                key=f"{prefix}_relations",
                format_func=lambda r: f"{relation_label(r)} ({int(rel_counts.get(r, 0))})",
            )
        if "has_code" in fields:
            st.checkbox(f"Only papers with code ({int(current.without('has_code').filter(frame)['has_code'].sum())})", key=f"{prefix}_has_code")
        if not current.is_empty() and st.button("Clear all filters", key=f"{prefix}_clear"):
            for name in FILTERS:
                st.session_state.pop(f"{prefix}_{name}", None)
            st.query_params.clear()
            st.rerun()
    return current


def paper_details(c: Corpus, paper: Paper) -> None:
    """The detail panel of one paper: facts, summary, taxonomy path, links, citations and BibTeX."""
    st.subheader(markdown_text(paper.title))
    st.markdown(
        f"{markdown_text(', '.join(paper.authors)) or '*Authors unknown*'}  \n"
        f"**{markdown_text(paper.venue) or 'Venue unknown'}** · {paper.year or 'year unknown'} · {relation_label(paper.relation)}"
    )
    if paper.relation in ("curated", "community"):
        st.caption("Not in the survey's own paper list: added by this project" + (" from a community submission." if paper.relation == "community" else "."))
    if paper.summary:
        st.markdown(markdown_text(paper.summary))
    for node_id in paper.taxonomy:
        if node_id in c.taxonomy:
            st.markdown("Taxonomy: " + " › ".join(c.taxonomy.path_labels(node_id)))
    if paper.topics:
        st.markdown("Topics: " + ", ".join(markdown_text(t) for t in paper.topics))
    links = [
        (label, url)
        for label, url in (
            ("Paper", paper.link),
            ("Code", paper.code),
            ("arXiv", f"https://arxiv.org/abs/{paper.arxiv}" if paper.arxiv else ""),
            ("DOI", f"https://doi.org/{paper.doi}" if paper.doi else ""),
        )
        if url
    ]
    if links:
        st.markdown(" · ".join(f"[{label} ↗]({url})" for label, url in links))
    cites, cited_by = c.links_of(paper.key)
    left, right = st.columns(2)
    for col, title, keys in ((left, "Cites (in this dataset)", cites), (right, "Cited by (in this dataset)", cited_by)):
        with col:
            st.markdown(f"**{title}: {len(keys)}**")
            for key in keys[:12]:
                other = c.by_key[key]
                st.page_link("pages/explore.py", label=f"{markdown_text(other.title[:90])} ({other.year or 'n.d.'})", query_params={"key": key})
            if len(keys) > 12:
                st.caption(f"… and {len(keys) - 12} more (see the citation graph).")
            if not keys:
                st.caption("None known. Citation links are recorded only where a public source shows them.")
    if paper.note:
        with st.expander("Provenance of this record"):
            st.text(paper.note)
    st.markdown("**BibTeX** (copy with the button at the top right of the box)")
    st.code(to_bibtex([paper]), language="bibtex")

"""The one cache layer of the app: the corpus, keyed on the signature of every data file and the store's
approvals, and every view derived from it (retriever, classifier, graphs), keyed on `Corpus.signature`; the
reading-list store. A failure is never cached: Streamlit caches no exception, and loaders raise.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from atlas_ui import compat
from survey_taxonomy.config import Settings
from survey_taxonomy.corpus import Corpus, files_signature, load_corpus
from survey_taxonomy.errors import SettingsError, SurveyDataError
from survey_taxonomy.export import markdown_text
from survey_taxonomy.reading_list import ReadingLists, browser_secret
from survey_taxonomy.submissions import approved_papers, store_for

if TYPE_CHECKING:
    import networkx as nx

    from survey_taxonomy.models.category import CategoryClassifier
    from survey_taxonomy.models.retrieval import Retriever


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
    cookie = compat.browser_cookie()
    if not cookie:
        session_id: str = st.session_state.setdefault("_browser_id", secrets.token_hex(16))
        return session_id
    return browser_secret(cookie)


@st.cache_resource(show_spinner="Loading the papers…", max_entries=4)
def _corpus(data_dir: str, signature: tuple[tuple[str, int | None, int | None], ...], approvals: int) -> Corpus:
    """`approvals` is the store's approval version, or -1 when the store is unreachable (dataset only)."""
    extra = approved_papers(settings())[1] if approvals >= 0 else []
    return load_corpus(data_dir, extra_papers=extra)


def _approvals(cfg: Settings) -> tuple[int, str]:
    """The store's approval version, or -1 with the reason when the store cannot be reached (the dataset alone is shown)."""
    try:
        return store_for(cfg).version(), ""
    except SurveyDataError as exc:
        return -1, str(exc)


def warm(cfg: Settings) -> Corpus:
    """Fill the caches a fresh server's first visitor would wait for: the corpus and the Overview's citation ranking.

    `serve.py` calls it before the server takes its first request, as it preloads the imports: at 10,000 papers
    loading alone takes about 2 s, which every first visitor paid. The caches are the pages' own (`st.cache_resource`
    is shared by the whole process), so a page's first run finds them full; an edited file still changes the key.
    """
    data = Path(cfg.data_dir)
    c = _corpus(str(data), files_signature(data), _approvals(cfg)[0])
    graph_and_metrics("citations", tuple(c.frame["key"]), c)
    return c


def corpus() -> Corpus:
    """The corpus (dataset + approved submissions), rebuilt only when a file or an approval changes.

    Every page calls this first, so it is also where a page run outside app.py is handed over to it.
    """
    compat.route_through_app()
    cfg = settings()
    data = Path(cfg.data_dir)
    version, unreachable = _approvals(cfg)
    if unreachable:
        st.warning(f"Community submissions are not shown: the submission store cannot be reached ({unreachable}).")
    try:
        return _corpus(str(data), files_signature(data), version)
    except SurveyDataError as exc:
        st.error(f"The dataset cannot be loaded: {exc}")
        st.stop()
        raise  # unreachable: st.stop() ends the run


@st.cache_resource(show_spinner="Indexing the papers…", max_entries=2)
def _retriever(signature: tuple[int, ...], _c: Corpus) -> Retriever:
    from survey_taxonomy.models.retrieval import build_retriever  # scikit-learn and WordLlama: ~1 s, paid only by pages that retrieve

    return build_retriever(_c)


def retriever(c: Corpus) -> Retriever:
    """The demo's retriever over the corpus (TF-IDF and WordLlama, fused), built once per corpus."""
    return _retriever(c.signature, c)


@st.cache_resource(show_spinner="Training the category classifier…", max_entries=2)
def _classifier(signature: tuple[int, ...], _c: Corpus) -> CategoryClassifier:
    from survey_taxonomy.models.category import classifier_for  # scikit-learn and WordLlama, paid only by pages that suggest nodes

    return classifier_for(_c)


def classifier(c: Corpus) -> CategoryClassifier:
    """The category classifier trained on the corpus (dataset + approved submissions), once per corpus."""
    return _classifier(c.signature, c)


@st.cache_resource(show_spinner="Measuring the graph…", max_entries=16)
def _graph_and_metrics(mode: str, keys: tuple[str, ...], signature: tuple[int, ...], _corpus: Corpus) -> tuple[nx.Graph, pd.DataFrame]:
    from survey_taxonomy.graphs import build_graph, graph_metrics  # networkx: ~0.5 s that Explore's first render need not pay

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
    from survey_taxonomy.graphs import layout

    return graph, metrics, layout(graph, center=center)


def graph_and_layout(mode: str, keys: tuple[str, ...], c: Corpus) -> tuple[nx.Graph, pd.DataFrame, dict[str, tuple[float, float]]]:
    """Graph, metrics and positions for a mode and a set of papers; computed once per combination and corpus content."""
    return _graph_and_layout(mode, keys, c.signature, c)


@st.cache_resource(show_spinner=False, max_entries=4)
def _reading_lists_at(db_url: str) -> ReadingLists:
    """The reading lists of the store at `db_url`. A failure raises, and Streamlit caches no exception, so a
    database that was down is tried again on the next view (a cached None kept the lists off until a restart)."""
    return ReadingLists(store_for(settings()).engine)


def reading_lists() -> ReadingLists | None:
    """The store's reading lists, or None while its database cannot be reached (the list then lives in the session)."""
    try:
        return _reading_lists_at(settings().db_url)
    except (SurveyDataError, SQLAlchemyError):
        return None

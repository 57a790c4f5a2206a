"""The one cache layer of the app: the corpus, keyed on the signature of every data file and the store's
approvals, and every view derived from it (retriever, classifier, graphs, leave-one-out), keyed on
`Corpus.signature`; and the objects that live as long as the server: the submission store, the reading lists,
the background jobs, the local model servers and the models. A failure is never cached: Streamlit caches no
exception, and loaders raise.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from atlas_ui import compat
from survey_taxonomy.config import Settings
from survey_taxonomy.data.corpus import Corpus, files_signature, load_corpus
from survey_taxonomy.errors import SettingsError, SurveyDataError
from survey_taxonomy.export.writers import markdown_text
from survey_taxonomy.submissions import SubmissionStore, open_store
from survey_taxonomy.submissions.reading_list import ReadingLists, browser_secret

if TYPE_CHECKING:
    import networkx as nx

    from survey_taxonomy.models.category import CategoryClassifier, LooReport
    from survey_taxonomy.models.chat import ChatModel
    from survey_taxonomy.models.large import LargeModelStatus
    from survey_taxonomy.models.retrieval import Retriever
    from survey_taxonomy.models.server import LocalServers
    from survey_taxonomy.sources.jobs import Jobs


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


@st.cache_resource(show_spinner=False, max_entries=4, on_release=SubmissionStore.close)
def _store_at(db_url: str) -> SubmissionStore:
    """The submission store at `db_url`, open for the server's life and shared by every session (its engine pools
    the connections), closed when the cache lets it go. Opening raises while the database is down, and Streamlit
    caches no exception, so the next view tries again."""
    return open_store(replace(settings(), db_url=db_url))


def store() -> SubmissionStore:
    """The app's submission store; `SubmissionError` names the setting to fix when it cannot be opened."""
    return _store_at(settings().db_url)


def _stop_jobs(runs: Jobs) -> None:
    runs.close(timeout=0)  # cancelled at once; a run ends before its next request, without writing


@st.cache_resource(show_spinner=False, on_release=_stop_jobs)
def jobs() -> Jobs:
    """The app's background refresh and discovery runs, one set for the server's life, so every reviewer's page
    shows the same runs; clearing the cache cancels them."""
    from survey_taxonomy.sources.jobs import Jobs  # the HTTP stack loads only for the Review page

    return Jobs()


@st.cache_resource(show_spinner="Loading the papers…", max_entries=4)
def _corpus(data_dir: str, signature: tuple[tuple[str, int | None, int | None], ...], approvals: int) -> Corpus:
    """`approvals` is the store's approval version, or -1 when the store is unreachable (dataset only)."""
    extra = store().approved() if approvals >= 0 else []
    return load_corpus(data_dir, extra_papers=extra)


def _approvals(cfg: Settings) -> tuple[int, str]:
    """The store's approval version, or -1 with the reason when the store cannot be reached (the dataset alone is shown)."""
    try:
        return _store_at(cfg.db_url).version(), ""
    except SurveyDataError as exc:
        return -1, str(exc)


def warm(cfg: Settings) -> Corpus:
    """Fill the caches a fresh server's first visitor would wait for: the corpus and the Overview's citation ranking.

    `serve.py` calls it before the server takes its first request, as it preloads the imports: at 10,000 papers
    loading alone takes about 2 s, which every first visitor paid. The caches are the pages' own (`st.cache_resource`
    is shared by the whole process), so a page's first run finds them full; an edited file still changes the key.
    """
    data = Path(cfg.data_dir)
    with compat.outside_a_script_run():
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


def _stop_servers(servers: LocalServers) -> None:
    servers.close()


@st.cache_resource(show_spinner=False, on_release=_stop_servers)
def local_servers() -> LocalServers:
    """The app's local model servers (llama.cpp in this process), one per GGUF file and setting, for the server's
    life; clearing the cache lets them stop."""
    from survey_taxonomy.models.server import LocalServers

    return LocalServers()


@st.cache_resource(show_spinner="Starting the small model…")
def small_model() -> ChatModel:
    """The small model, its GGUF loaded now rather than inside the first answer's timings."""
    from survey_taxonomy.models.local import small_model as build

    model = build(settings(), local_servers())
    model.endpoint()
    return model


@st.cache_resource(ttl=30, show_spinner=False)
def large_model() -> LargeModelStatus:
    """The configured large model or why there is none; probed again after 30 s, so a server started later is found."""
    from survey_taxonomy.models.large import large_model as probe

    return probe(settings(), local_servers())


def recheck_large_model() -> None:
    """Forget the large model's status, so the next view probes it again (a server started a moment ago)."""
    large_model.clear()


@st.cache_resource(show_spinner="Measuring leave-one-out accuracy (one model per paper)…", max_entries=2)
def _loo(signature: tuple[int, ...], _c: Corpus) -> LooReport:
    from survey_taxonomy.models.category import leave_one_out

    return leave_one_out(_c)


def loo(c: Corpus) -> LooReport:
    """The category classifier's leave-one-out accuracy on the corpus, measured once per corpus."""
    return _loo(c.signature, c)


@st.cache_resource(show_spinner="Training the category classifier…", max_entries=2)
def _classifier(signature: tuple[int, ...], _c: Corpus) -> CategoryClassifier:
    from survey_taxonomy.models.category import classifier_for  # scikit-learn and WordLlama, paid only by pages that suggest nodes

    return classifier_for(_c)


def classifier(c: Corpus) -> CategoryClassifier:
    """The category classifier trained on the corpus (dataset + approved submissions), once per corpus."""
    return _classifier(c.signature, c)


@st.cache_resource(show_spinner="Measuring the graph…", max_entries=16)
def _graph_and_metrics(mode: str, keys: tuple[str, ...], signature: tuple[int, ...], _corpus: Corpus) -> tuple[nx.Graph, pd.DataFrame]:
    from survey_taxonomy.graphs.networks import build_graph, graph_metrics  # networkx: ~0.5 s that Explore's first render need not pay

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
    from survey_taxonomy.graphs.networks import layout

    return graph, metrics, layout(graph, center=center)


def graph_and_layout(mode: str, keys: tuple[str, ...], c: Corpus) -> tuple[nx.Graph, pd.DataFrame, dict[str, tuple[float, float]]]:
    """Graph, metrics and positions for a mode and a set of papers; computed once per combination and corpus content."""
    return _graph_and_layout(mode, keys, c.signature, c)


@st.cache_resource(show_spinner=False, max_entries=4)
def _reading_lists_at(db_url: str) -> ReadingLists:
    """The reading lists of the store at `db_url`. A failure raises, and Streamlit caches no exception, so a
    database that was down is tried again on the next view (a cached None kept the lists off until a restart)."""
    return ReadingLists(_store_at(db_url).engine)


def reading_lists() -> ReadingLists | None:
    """The store's reading lists, or None while its database cannot be reached (the list then lives in the session)."""
    try:
        return _reading_lists_at(settings().db_url)
    except (SurveyDataError, SQLAlchemyError):
        return None

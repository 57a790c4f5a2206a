"""The only module that imports Streamlit: cached loaders, URL-state glue and small shared widgets.

Pages call these helpers and the pure library; nothing here is worth testing without a browser except
through the pages' AppTests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from .config import Settings
from .corpus import Corpus, _signature, load_corpus
from .errors import SurveyDataError
from .graphs import build_graph, graph_metrics, layout
from .query import Selection
from .search import SearchIndex
from .submissions import approved_papers


def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource(show_spinner="Loading the papers…", max_entries=4)
def _corpus(data_dir: str, signature: tuple, approvals: int) -> Corpus:
    _, extra = approved_papers(settings())
    return load_corpus(data_dir, extra_papers=extra)


def corpus() -> Corpus:
    """The corpus (dataset + approved submissions), rebuilt only when a file or an approval changes."""
    cfg = settings()
    data = Path(cfg.data_dir)
    version, _ = approved_papers(cfg)
    try:
        return _corpus(str(data), _signature((data / "taxonomy.yaml", data / "papers.bib", data / "citations.csv")), version)
    except SurveyDataError as exc:
        st.error(f"The dataset cannot be loaded: {exc}")
        st.stop()
        raise  # unreachable: st.stop() ends the run


@st.cache_resource(max_entries=4)
def _search_index(signature: tuple, _corpus: Corpus) -> SearchIndex:
    return SearchIndex.build(_corpus.papers)


def search_index(c: Corpus) -> SearchIndex:
    return _search_index(tuple(p.key for p in c.papers), c)


@st.cache_resource(show_spinner="Laying out the graph…", max_entries=16)
def graph_and_layout(mode: str, keys: tuple[str, ...], _corpus: Corpus, corpus_id: int):
    """Graph, metrics and positions for a mode and a set of papers; computed once per combination."""
    graph = build_graph(_corpus, mode, keys)
    center = _corpus.survey.key if mode == "citations" and _corpus.survey is not None else None
    return graph, graph_metrics(graph), layout(graph, center=center)


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


def nav_to(page: str | Callable, params: dict[str, str]) -> None:
    """Open another page with the given URL parameters."""
    st.query_params.from_dict(params)
    st.switch_page(page)

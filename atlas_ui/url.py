"""The page's URL, read and written: the Streamlit side of `state` (which decides, without Streamlit, what a
run shows). The URL is the shareable view: filters and the open paper live in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.export.writers import markdown_text
from survey_taxonomy.query.selection import Selection

if TYPE_CHECKING:
    pass


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


def page_address(path: str) -> str:
    """The absolute address of an app page (`path` like "paper?key=x"), from the address this page was opened at."""
    here = urlsplit(st.context.url or "")
    base = urlunsplit((here.scheme, here.netloc, "", "", "")) if here.scheme and here.netloc else ""
    prefix = here.path.rsplit("/", 1)[0] if here.path.count("/") > 1 else ""  # served under a base path
    return f"{base}{prefix}/{path}"

"""Every use of a Streamlit private, in one place, each with a canary test (tests/test_compat.py) that names the
Streamlit version when an upgrade changes it. Public APIs are used wherever they exist (`st.context`,
`st.navigation`, `st.query_params`).

- *routing through app.py*: until app.py has called `st.navigation` once, Streamlit routes a fresh server's first
  request by the file names in `pages/` and runs that page alone (no shared sidebar, no page list).
  `route_through_app` clears the private flag (`PagesManager.uses_pages_directory`) that makes it do so.
- *the browser's cookie*: Streamlit sets `_streamlit_xsrf` when a page connects and the browser keeps it until it
  closes; `browser_cookie` reads it (through the public `st.context.cookies`) to tell one browser from another.
  The cookie's name is Streamlit's own choice, not a documented API.
- *the chart selection type*: `PlotlyState`, the value `st.plotly_chart(on_select=...)` returns, lives in a
  private module.
- *cache clearing*: Streamlit's server clears every `st.cache_data` and `st.cache_resource` entry, for every user
  of the app, when any browser sends a `clear_cache` message over its websocket (the developer menu's "Clear
  cache" sends one; anyone can send one by hand, the server does not ask who). `guard_cache_clearing` lets the
  message through only for a session that `allowed` approves (the app: one signed in to the review with the admin
  token) and ignores it otherwise.
- *bare mode*: a cached function called outside a script run (the cache warm-up before the server starts) makes
  Streamlit log "missing ScriptRunContext" on its logger `SCRIPT_RUN_LOGGER`, a warning it says can be ignored
  there; `outside_a_script_run` silences that logger for the block.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:
    from streamlit.elements.plotly_chart import PlotlyState as PlotlyState

_LOG = logging.getLogger(__name__)


def guard_cache_clearing(allowed: Callable[[Mapping[str, Any]], bool]) -> None:
    """Make Streamlit's `clear_cache` message clear the shared caches only when `allowed(session_state)` is true
    for the session that sent it (`session_state` holds its user keys). Calling it again replaces the rule."""
    from streamlit.runtime.app_session import AppSession

    handler = AppSession._handle_clear_cache_request
    original: Callable[[AppSession], None] = getattr(handler, "__wrapped__", handler)

    def guarded(self: AppSession) -> None:
        if allowed(self._session_state.filtered_state):
            original(self)
        else:
            _LOG.warning("ignored a request to clear the shared caches from a session that is not signed in to the review")

    guarded.__wrapped__ = original  # type: ignore[attr-defined]
    AppSession._handle_clear_cache_request = guarded  # type: ignore[method-assign]


BROWSER_COOKIE = "_streamlit_xsrf"


def browser_cookie() -> str:
    """This browser's Streamlit cookie, or "" where there is none (AppTest's context has no real cookies)."""
    cookie = st.context.cookies.get(BROWSER_COOKIE, "")
    return cookie if isinstance(cookie, str) else ""


def route_through_app(rerun: bool = True) -> None:
    """Make Streamlit route requests through app.py's `st.navigation` even before app.py has run once.

    In a page run (`rerun`), once per session: the same URL is run again through app.py, which picks this page by
    its url_path (AppTest recomputes the flag before every run, and a rerun there would drop a click). `serve.py`
    calls it with `rerun=False` before the server takes its first request.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not rerun:
        PagesManager.uses_pages_directory = False
    elif PagesManager.uses_pages_directory and "_app_handed_over" not in st.session_state:
        st.session_state["_app_handed_over"] = True
        PagesManager.uses_pages_directory = False
        st.rerun()


SCRIPT_RUN_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"


@contextmanager
def outside_a_script_run() -> Iterator[None]:
    """Run cached functions outside a script run without Streamlit's "missing ScriptRunContext" warnings."""
    logger = logging.getLogger(SCRIPT_RUN_LOGGER)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)

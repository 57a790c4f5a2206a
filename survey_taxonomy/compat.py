"""Uses of Streamlit's private internals, in one place, each with a canary test (tests/test_security.py) that names
the Streamlit version when an upgrade breaks it.

- *cache clearing*: Streamlit's server clears every `st.cache_data` and `st.cache_resource` entry, for every user
  of the app, when any browser sends a `clear_cache` message over its websocket (the developer menu's "Clear
  cache" sends one; anyone can send one by hand, the server does not ask who). `guard_cache_clearing` lets the
  message through only for a session that `allowed` approves (the app: one signed in to the review with the admin
  token) and ignores it otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

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

"""Canaries for every Streamlit private that atlas_ui.compat uses: each fails naming the Streamlit version when an
upgrade moves or renames what the app relies on (the cache-clearing guard's canary is in test_security.py)."""

from __future__ import annotations

import importlib
import inspect
import logging
from pathlib import Path

import streamlit
import streamlit as st
from playwright.sync_api import Browser

from atlas_ui import compat
from tests.browser import new_context, wait_for_app

VERSION = f"Streamlit {streamlit.__version__}"


def test_pages_manager_still_has_the_routing_flag() -> None:
    from streamlit.runtime.pages_manager import PagesManager

    assert isinstance(getattr(PagesManager, "uses_pages_directory", None), bool | type(None)), f"{VERSION}: PagesManager.uses_pages_directory is gone"
    before = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = True
        compat.route_through_app(rerun=False)
        assert PagesManager.uses_pages_directory is False
    finally:
        PagesManager.uses_pages_directory = before
    # The flag must still decide the routing: Streamlit reads it where it picks a page by file name.
    source = inspect.getsource(importlib.import_module("streamlit.runtime.pages_manager"))
    assert "uses_pages_directory" in source.split("class PagesManager", 1)[1], f"{VERSION}: PagesManager no longer reads the flag"


def test_the_plotly_selection_type_is_where_compat_imports_it() -> None:
    module = importlib.import_module("streamlit.elements.plotly_chart")
    assert hasattr(module, "PlotlyState"), f"{VERSION}: streamlit.elements.plotly_chart.PlotlyState moved"


def test_a_browser_gets_the_cookie_compat_reads(server: str, browser: Browser) -> None:
    """A real browser that opens the app holds Streamlit's cookie under the name `browser_cookie` reads."""
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{server}/explore")
    wait_for_app(page)
    names = {cookie["name"] for cookie in context.cookies()}
    context.close()
    assert compat.BROWSER_COOKIE in names, f"{VERSION}: the page holds {sorted(names)}, not {compat.BROWSER_COOKIE}"


def test_compat_is_the_only_home_of_streamlit_privates() -> None:
    """No other module of the app reaches into Streamlit's internals."""
    root = Path(__file__).resolve().parent.parent
    files = [*root.glob("atlas_ui/*.py"), *root.glob("pages/*.py"), root / "app.py", root / "serve.py", *root.glob("survey_taxonomy/**/*.py")]
    private = ("streamlit.runtime", "streamlit.web.server", "streamlit.elements.", "_streamlit_xsrf", "PagesManager", "AppSession")
    offenders = [str(f.relative_to(root)) for f in files if f.name != "compat.py" and any(p in f.read_text(encoding="utf-8") for p in private)]
    assert offenders == []


def test_the_bare_mode_warning_comes_from_the_logger_compat_quiets() -> None:
    """Called outside a script run, a cached function warns on `SCRIPT_RUN_LOGGER`, and only inside the block is
    that warning gone (the logger's own level is restored after it)."""
    records: list[logging.LogRecord] = []

    class Kept(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Kept()
    logger = logging.getLogger(compat.SCRIPT_RUN_LOGGER)
    logger.addHandler(handler)
    level = logger.level

    @st.cache_resource
    def cached(n: int) -> int:
        return n

    try:
        cached(1)
        assert any("missing ScriptRunContext" in r.getMessage() for r in records), f"{VERSION}: the bare-mode warning moved"
        records.clear()
        with compat.outside_a_script_run():
            cached(2)
        assert records == [] and logger.level == level
    finally:
        logger.removeHandler(handler)

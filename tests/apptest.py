"""Opening a page of the app under Streamlit's AppTest, as the page tests all do."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_page(page: str, timeout: float = 60, /, **params: str | list[str]) -> AppTest:
    """Run app.py with `params` in the URL (a list repeats the parameter), switch to `page` and check that it raised
    nothing. `timeout` is positional, so that any name can be a URL parameter."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at

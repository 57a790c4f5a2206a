"""Serve the app (`make run`): `python serve.py [streamlit run options]`, e.g. `python serve.py --server.port 8600`.

`streamlit run app.py` works too; this launcher does four things first, in the server's own process:
- it imports what every page needs (pandas, SQLAlchemy, the library), so a fresh server's first visitor does not
  wait for those imports (about 1 s on 2 cores), as a pre-forking web server preloads its application;
- it loads the data into the pages' caches (`atlas_ui.cache.warm`: the corpus and the Overview's ranking), so the
  first visitor does not wait for them either (about 2 s at 10,000 papers);
- it writes the Atom feeds of the taxonomy nodes into static/feeds (served at /app/static/feeds/), from the data
  it is about to serve;
- it tells Streamlit that app.py's `st.navigation` routes the pages. Until app.py has run once, Streamlit routes
  a fresh server's first request by the file names in `pages/`, runs that file alone, and `compat.route_through_app`
  must rerun it through app.py; here the first request goes through app.py at once.
`served()` starts such a server for the browser tests and the benchmarks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main(argv: Sequence[str]) -> int:
    from streamlit.web import cli

    import atlas_ui.layout  # noqa: F401  (the preload: every module a page needs)
    from atlas_ui import cache, compat
    from survey_taxonomy.config import FEED_DIR, Settings
    from survey_taxonomy.export.feeds import write_feeds

    write_feeds(cache.warm(Settings.from_env()), FEED_DIR)  # the caches filled, and the static feeds of the data served
    compat.route_through_app(rerun=False)
    return cli.main(["run", str(ROOT / "app.py"), *argv], prog_name="streamlit", standalone_mode=False) or 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(log_path: Path, env: dict[str, str] | None = None, script: Path | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The app (or another `script`, with plain `streamlit run`) on a free loopback port; yields (base URL, process)
    once /_stcore/health answers, and stops the server afterwards."""
    port = free_port()
    options = ["--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    command = [sys.executable, str(ROOT / "serve.py")] if script is None else [sys.executable, "-m", "streamlit", "run", str(script)]
    with open(log_path, "w") as log:
        proc = subprocess.Popen([*command, *options], cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("streamlit did not start:\n" + log_path.read_text()) from None
                    time.sleep(0.2)
            yield base, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

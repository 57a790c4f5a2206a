"""Shared fixtures: paths of the shipped data and of the tiny real fixtures."""

from __future__ import annotations

import glob
import io
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine

from serve import free_port

pytest_plugins = ["tests.fake_scholarly"]  # its `fake_scholarly` fixture, for every test that asks for it

if TYPE_CHECKING:  # imported where used, so collecting the tests loads neither
    from playwright.sync_api import Browser, Page

    from survey_taxonomy.data.corpus import Corpus

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return ROOT / "data"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    return FIXTURES / "tiny"


@pytest.fixture
def tiny_copy(tmp_path: Path, tiny_dir: Path) -> Path:
    """A writable copy of the tiny dataset."""
    target = tmp_path / "data"
    shutil.copytree(tiny_dir, target)
    return target


@pytest.fixture
def data_copy(tmp_path: Path, data_dir: Path) -> Path:
    """A writable copy of the shipped dataset."""
    target = tmp_path / "data"
    shutil.copytree(data_dir, target, ignore=shutil.ignore_patterns("questions.yaml"))
    return target


@pytest.fixture(scope="session")
def corpus(data_dir: Path) -> Corpus:
    """The shipped dataset, loaded once (tests that need the real data compare pages with it)."""
    from survey_taxonomy.data.corpus import load_corpus

    return load_corpus(data_dir)


@pytest.fixture(scope="session")
def tiny(tiny_dir: Path) -> Corpus:
    """The tiny dataset (eight real papers), loaded once: logic tests use it, so new shipped papers cannot break them."""
    from survey_taxonomy.data.corpus import load_corpus

    return load_corpus(tiny_dir)


@dataclass(frozen=True)
class CliRun:
    """What one in-process `python -m survey_taxonomy ...` did."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliRun]:
    """`run_cli(*args, stdin=None, **env)` runs `cli.main(args)` in this process, as `python -m survey_taxonomy`
    would with only the given SURVEY_* variables set (a usage error's SystemExit becomes its exit code). In-process
    runs skip the ~3 s start of a new interpreter; test_cli.py keeps one real `python -m` run.
    """
    from survey_taxonomy.cli import main

    def run(*args: str, stdin: str | None = None, **env: str) -> CliRun:
        for name in [n for n in os.environ if n.startswith("SURVEY_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse refuses the usage
            code = exc.code if isinstance(exc.code, int) else 2
        out = capsys.readouterr()
        return CliRun(code, out.out, out.err)

    return run


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium through Playwright, one for the whole run."""
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM}: run `make system-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[str]:
    """One `streamlit run app.py` for every browser test, warmed up (model, retriever) before the first one."""
    from tests.browser import app_server, warm_up

    with app_server(tmp_path_factory.mktemp("e2e")) as base:
        warm_up(browser, base)
        yield base


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[str]:
    """A server with a store of its own, for tests that approve submissions: the shared `server` must keep
    showing exactly the shipped dataset, which the other browser tests compare the pages with."""
    from tests.browser import app_server

    with app_server(tmp_path) as base:
        yield base


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    from tests.browser import new_context

    context = new_context(browser, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Callable[[], str]]:
    """A PostgreSQL server for this test run (initdb in a temporary folder, Unix socket only); yields a
    function that creates a fresh database and returns its SQLAlchemy URL."""
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdbs:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); `make system-deps` installs it as root")
    bindir = Path(initdbs[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="survey-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True, capture_output=True)
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    options = f"-p {port} -k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    subprocess.run(
        [*as_user, bindir / "initdb", "-D", root / "data", "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--no-locale"],
        check=True,
        capture_output=True,
    )
    started = subprocess.run(
        [*as_user, bindir / "pg_ctl", "-D", root / "data", "-l", root / "log", "-w", "-t", "30", "-o", options, "start"], capture_output=True, text=True
    )
    if started.returncode != 0:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {started.stderr}\n{log}")
    admin = create_engine(f"postgresql+psycopg://postgres@/postgres?host={root}&port={port}", isolation_level="AUTOCOMMIT")

    def new_database() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@/{name}?host={root}&port={port}"

    yield new_database
    admin.dispose()
    subprocess.run([*as_user, bindir / "pg_ctl", "-D", root / "data", "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


WALK_TESTS = "tests/test_e2e_explore.py::"
WALK_BUDGET = 180.0  # seconds: issue #10 asks for the random walks to take under 3 minutes in `make test`
_walk_seconds: list[float] = []


SERVER_FIXTURES = frozenset(("browser", "server", "own_server", "page"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test by the services it starts, from the fixtures it uses, so `make test-fast` can leave out the
    slow ones (`-m "not browser and not postgres"`) without a marker written by hand on each test."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SERVER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if "postgres" in used:
            item.add_marker(pytest.mark.postgres)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid.startswith(WALK_TESTS):
        _walk_seconds.append(report.duration)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how long the walks took (set-up and checks included), so every run's log shows the budget kept or not.
    Reported, not asserted: this machine is shared, and the same walks take a quarter longer on a busy day."""
    if _walk_seconds:
        total = sum(_walk_seconds)
        verdict = "within" if total < WALK_BUDGET else "OVER"
        terminalreporter.write_line(f"Explore's random walks took {total:.1f} s, {verdict} the {WALK_BUDGET:.0f} s budget of issue #10")

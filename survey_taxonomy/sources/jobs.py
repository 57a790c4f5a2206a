"""Refresh and discovery runs in a background thread, so a page can start one and keep serving everyone.

Terms:
- *job*: one run of `refresh` or `discover` in a daemon thread of this process, with its progress (stage,
  done, total), its state (`running`, `done`, `failed`, `cancelled`), the report text or the error message.
- *cancel*: `Job.cancel` asks the run to stop; its HTTP client stops before the next request or the next
  part of an answer (`sources.http.Cancelled`), and each request has a deadline, so even a server that answers
  a byte a second lets the job end. Nothing is written by a cancelled run; what it fetched stays cached.
- *jobs*: an owner's runs (`Jobs`): at most one of each kind at a time; starting another while one runs returns
  the running one.
  Writes take the data folder's lock (`files`), so a CLI run and a page's run cannot interleave their files.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import SurveyDataError
from . import ScholarlySource, Since, open_sources
from .http import Cancelled

if TYPE_CHECKING:
    from ..submissions import SubmissionStore

KINDS = ("refresh", "discover")


@dataclass
class Job:
    """A background run; read its fields from any thread (they are replaced whole, under `lock`)."""

    kind: str
    started: dt.datetime
    state: str = "running"
    stage: str = "starting"
    done: int = 0
    total: int = 0
    report: str = ""
    error: str = ""
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)
    stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def cancel(self) -> None:
        """Ask the run to stop (see the module docstring); `wait` tells when it has."""
        self.stop.set()

    @property
    def summary(self) -> str:
        """The report's summary: its unindented lines (sources, what changed, files written); the indented lines
        under them list the items one by one."""
        return "\n".join(line for line in self.report.splitlines() if not line.startswith(" "))

    @property
    def fraction(self) -> float:
        """Progress of the current stage, 0..1, for a progress bar."""
        return min(1.0, self.done / self.total) if self.total else 0.0

    def progress(self, stage: str, done: int, total: int) -> None:
        with self.lock:
            self.stage, self.done, self.total = stage, done, total

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (tests and the CLI); True when it has."""
        if self.thread is not None:
            self.thread.join(timeout)
        return self.state != "running"


class Jobs:
    """The background runs of one owner, at most one of each kind running at a time. The app keeps one for the
    server's life (`atlas_ui.cache.jobs`), so every reader's Review page sees the same runs; a test makes its own.
    `close` cancels what runs and waits for it."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def current(self, kind: str) -> Job | None:
        """The running or last job of `kind`, or None."""
        return self._jobs.get(kind)

    def start(self, kind: str, work: Callable[[Job], str]) -> Job:
        """Run `work(job)` (which returns the report text) in a thread, unless a job of `kind` is running already."""
        if kind not in KINDS:
            raise ValueError(f"unknown job {kind!r}; use one of {', '.join(KINDS)}")
        with self._lock:
            running = self._jobs.get(kind)
            if running is not None and running.state == "running":
                return running
            job = Job(kind, dt.datetime.now(dt.UTC))
            job.thread = threading.Thread(target=_run, args=(job, work), name=f"survey-{kind}", daemon=True)
            self._jobs[kind] = job
            job.thread.start()
            return job

    def start_refresh(self, settings: Settings, sources: Sequence[str] = ("openalex", "semanticscholar"), *, prune: bool = False, max_age_days: int = 7) -> Job:
        """Start `citations refresh` on `settings.data_dir`; see `refresh.refresh_citations`."""

        def run(clients: list[ScholarlySource]) -> str:
            from .refresh import refresh_citations

            return refresh_citations(settings.data_dir, clients, prune=prune).describe()

        return self._start_on_sources("refresh", settings, sources, max_age_days, run)

    def start_discover(
        self,
        settings: Settings,
        store: SubmissionStore,
        sources: Sequence[str] = ("openalex",),
        *,
        min_links: int = 2,
        since: Since | None = None,
        max_age_days: int = 7,
    ) -> Job:
        """Start `discover`: candidates go to `store`, which must stay open while the job runs."""

        def run(clients: list[ScholarlySource]) -> str:
            from ..data.corpus import load_corpus
            from .discovery import discover

            return discover(load_corpus(settings.data_dir), clients, store, settings, min_links=min_links, since=since).describe()

        return self._start_on_sources("discover", settings, sources, max_age_days, run)

    def _start_on_sources(self, kind: str, settings: Settings, sources: Sequence[str], max_age_days: int, run: Callable[[list[ScholarlySource]], str]) -> Job:
        """Start `run` on the clients of `sources`, which report the job's progress and stop when it is cancelled."""

        def work(job: Job) -> str:
            http, clients = open_sources(settings, sources, max_age=dt.timedelta(days=max_age_days), progress=job.progress, cancel=job.stop)
            try:
                return run(clients)
            finally:
                job.requests = http.network_requests
                http.close()

        return self.start(kind, work)

    def close(self, timeout: float = 10.0) -> None:
        """Cancel the running jobs and wait up to `timeout` seconds for each to end."""
        for job in list(self._jobs.values()):
            job.cancel()
            job.wait(timeout)


def _run(job: Job, work: Callable[[Job], str]) -> None:
    """The job's thread: its state and report or error, whatever `work` does."""
    try:
        report = work(job)
    except Cancelled as exc:
        with job.lock:
            job.state, job.error = "cancelled", str(exc)
    except SurveyDataError as exc:  # expected failures (a source down, a bad file) become the job's message
        with job.lock:
            job.state, job.error = "failed", str(exc)
    except Exception as exc:  # a page must see that the run died; the traceback goes to the log
        with job.lock:
            job.state, job.error = "failed", f"unexpected {type(exc).__name__}: {exc}"
        raise
    else:
        with job.lock:
            job.state, job.report = "done", report

"""HTTP for the scholarly sources: one cached, retrying, time- and size-limited session shared by a run's clients.

Terms:
- *network request*: one that went to a server (`HttpClient.network_requests`); an answer served from the
  cache is not one. A followed redirect is a second one.
- *answer*: the decoded JSON of a 200 or 404 response, with the day it came from the network (`retrieved`):
  for a cached answer, the day it was first fetched, so a rerun from the cache writes the same dates.
- *secret*: the Semantic Scholar API key and the contact e-mail (`secrets`), and any header or parameter
  named in `SECRET_NAMES` (compared without case: `X-API-Key` and `x-api-key` are one header). A secret is
  left out of cache keys and stored URLs, and replaced by `***` in an answer's text before it is read, cached
  or quoted in a message, so it reaches neither the cache file, nor an error, nor a submission.
- *cache*: `AnswerCache`, one SQLite file (`Settings.scholarly_cache`) of answers keyed by method, URL
  without secrets and body (Semantic Scholar's batch endpoint is a POST whose ids are in the body). Each
  answer is committed as it arrives, so a run that is stopped resumes where it stopped. An answer older than
  the run's `max_age` is fetched again (0 fetches everything again); a dry run (`store=False`) reads the cache
  but adds nothing to it. Only answers are kept: 429, 5xx, refused, oversized and malformed ones never are.
  Written here rather than with requests-cache, which reads a whole body before anything can refuse it,
  fixes an answer's expiry when it is stored (so `--max-age 0` expired nothing) and matched secret header
  names with their case (so `x-api-key` was stored in plain text); its tables, if an older version left them
  in the file, are dropped and the file vacuumed when the cache is opened.
- *limits* (a hostile or broken server cannot hang or flood a run): at most `max_bytes` of answer, read as
  it streams and refused past that; one `timeout` for the whole of each request, connection and answer
  together, so a server that drips a byte a second is cut off; redirects followed only on the same scheme,
  host and port (at most `MAX_REDIRECTS`), any other refused before the request is sent again; JSON nested
  deeper than Python can parse refused as such.
- *retry* (tenacity): a 429 waits for its `Retry-After` (seconds or an HTTP date, at most `max_wait`); a 5xx,
  a timeout, a refused connection or malformed JSON wait `backoff`, then twice as long, and so on. After
  `attempts` tries, or `deadline` seconds for one request with its retries, `SourceError` says what failed.
  A refusal (a 4xx other than 404 and 429, an oversized answer, a redirect elsewhere) is not retried.
- *cancel*: when the `cancel` event is set, the next request, or the next part of an answer, raises
  `Cancelled`; nothing is half-written, as for any other failure.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from ..errors import SourceError

ANSWER_CODES = (200, 404)
REDIRECT_CODES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
MAX_BYTES = 8 * 1000 * 1000  # below the 10 MB S2 refuses to send itself; a page of 200 OpenAlex works is ~1-4 MB
# Header and parameter names that carry secrets (compared lowercased): requests-cache's list, plus OpenAlex's e-mail.
SECRET_NAMES = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "x-auth-token", "x-api-token", "x-access-token", "access_token", "api_key", "apikey", "mailto"}
)
REDACTED = "***"


@dataclass(frozen=True)
class Answer:
    """A usable response: its status (200 or 404), its JSON, and the day it was fetched from the network."""

    status: int
    data: Any
    retrieved: dt.date
    from_cache: bool


class RequestRefused(SourceError):
    """The server refused the request itself (4xx other than 404 and 429): retrying it unchanged cannot help."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class AnswerRefused(SourceError):
    """The answer broke a limit (size, redirect to another host, nesting): refused, not retried, not cached."""


class AnswerTooLarge(AnswerRefused):
    """The answer passed `max_bytes`: refused as it streamed (a batch may be asked for again in halves)."""


class Cancelled(SourceError):
    """The run was cancelled (a page's Cancel button): it stops before its next request or read."""


class _Retry(Exception):
    """A failure worth another try: 429, 5xx, a timeout, no connection, malformed JSON."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or an HTTP date), None if absent or unreadable.

    >>> retry_after_seconds("3"), retry_after_seconds(None), retry_after_seconds("soon")
    (3.0, None, None)
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", dt.datetime(2015, 10, 21, 7, 28, tzinfo=dt.UTC))
    10.0
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def public_url(url: str) -> str:
    """`url` without its secret parameters (`SECRET_NAMES`), for cache keys, stored URLs and messages.

    >>> public_url("https://api.openalex.org/works?filter=doi:x&MailTo=me@example.org&per-page=5")
    'https://api.openalex.org/works?filter=doi%3Ax&per-page=5'
    """
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in SECRET_NAMES]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class AnswerCache:
    """Answers by key in one SQLite file (None: in memory, for this client only); see the module docstring."""

    def __init__(self, path: str | Path | None):
        self._memory: dict[str, tuple[str, int, bytes, str]] = {}
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        if path is None:
            return
        target = Path(path).expanduser()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=30)
            legacy = self._db.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('responses', 'redirects')").fetchone()[0]
            if legacy:  # requests-cache's tables of an older version, which held the API key in plain text: purge them
                self._db.execute("DROP TABLE IF EXISTS responses")
                self._db.execute("DROP TABLE IF EXISTS redirects")
                self._db.execute("VACUUM")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS answers"
                " (key TEXT PRIMARY KEY, url TEXT NOT NULL, status INTEGER NOT NULL, body BLOB NOT NULL, created TEXT NOT NULL)"
            )
        except (OSError, sqlite3.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise SourceError(f"cannot open the cache {target}: {reason}; set SURVEY_SCHOLARLY_CACHE to a writable file") from exc

    def get(self, key: str) -> tuple[int, bytes, dt.datetime] | None:
        with self._lock:
            if self._db is None:
                row: tuple[Any, ...] | None = self._memory.get(key)
                row = row[1:] if row else None
            else:
                row = self._db.execute("SELECT status, body, created FROM answers WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return int(row[0]), bytes(row[1]), dt.datetime.fromisoformat(row[2])

    def put(self, key: str, url: str, status: int, body: bytes, created: dt.datetime) -> None:
        with self._lock:
            if self._db is None:
                self._memory[key] = (url, status, body, created.isoformat())
            else:
                self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)", (key, url, status, body, created.isoformat()))

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class RetryOptions(TypedDict, total=False):
    """How `HttpClient` retries and limits, as keyword arguments (see its parameters)."""

    attempts: int
    backoff: float
    max_wait: float
    deadline: float
    max_bytes: int
    store: bool
    cancel: threading.Event


class HttpClient:
    """GET and POST JSON through the cache, with retries and limits; counts the requests that reached a server.

    `cache_path` None keeps answers in memory for this client only (tests of one client, a throw-away run).
    `on_request(method, url)` is called for every network request (the terminal's request counter), with the
    URL without secrets. `secrets` are values never to store or show (see the module docstring).
    """

    def __init__(
        self,
        cache_path: str | Path | None,
        *,
        timeout: float = 30.0,
        attempts: int = 5,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        deadline: float = 600.0,
        max_age: dt.timedelta = dt.timedelta(days=7),
        max_bytes: int = MAX_BYTES,
        store: bool = True,
        user_agent: str = "small-models-atlas",
        secrets: Sequence[str] = (),
        cancel: threading.Event | None = None,
        on_request: Callable[[str, str], None] | None = None,
    ):
        self.cache = AnswerCache(cache_path)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self.deadline = deadline
        self.max_age = max_age
        self.max_bytes = max_bytes
        self.store = store
        self.secrets = tuple(s for s in secrets if s and len(s) >= 4)
        self.cancel = cancel
        self.on_request = on_request
        self.network_requests = 0

    def close(self) -> None:
        self.session.close()
        self.cache.close()

    def get(self, url: str, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> Answer:
        return self._request("GET", url, params, None, headers)

    def post(self, url: str, params: Mapping[str, Any] | None, body: Any, headers: Mapping[str, str] | None = None) -> Answer:
        return self._request("POST", url, params, body, headers)

    def redact(self, text: str) -> str:
        """`text` with every secret value replaced by `***`."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _Retry) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        delay: float = self.backoff * 2 ** (state.attempt_number - 1)
        return min(delay, self.max_wait)

    def _request(self, method: str, url: str, params: Mapping[str, Any] | None, body: Any, headers: Mapping[str, str] | None) -> Answer:
        full = requests.Request(method, url, params=params).prepare().url or url
        shown = public_url(full)
        key = hashlib.sha256(f"{method} {shown}\n{json.dumps(body, sort_keys=True)}".encode()).hexdigest()
        cached = self.cache.get(key)
        if cached is not None and dt.datetime.now(dt.UTC) - cached[2] < self.max_age:
            status, raw, created = cached
            return Answer(status, json.loads(raw), created.date(), True)
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.deadline),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            reraise=True,
        )
        where = f"{method} {urlsplit(url).path}"
        try:
            for attempt in retrying:
                with attempt:
                    status, raw, data = self._send(method, full, body, headers)
        except _Retry as exc:
            tries = retrying.statistics.get("attempt_number", self.attempts)
            raise SourceError(
                f"{urlsplit(url).netloc} failed: {exc.reason} ({where}, {tries} tries); check the connection and the "
                "service's URL setting, then run again: what was already fetched is cached and is not asked for twice"
            ) from exc
        now = dt.datetime.now(dt.UTC)
        if self.store:
            self.cache.put(key, shown, status, raw, now)
        return Answer(status, data, now.date(), False)

    def _send(self, method: str, url: str, body: Any, headers: Mapping[str, str] | None) -> tuple[int, bytes, Any]:
        """One attempt, redirects included: (status, the answer's text without secrets, its JSON)."""
        ends = time.monotonic() + self.timeout
        host = urlsplit(url).netloc
        for _ in range(MAX_REDIRECTS + 1):
            response = self._open(method, url, body, headers, ends)
            with response:
                status = response.status_code
                if status in REDIRECT_CODES and response.headers.get("Location"):
                    target = urljoin(url, response.headers["Location"])
                    if _origin(target) != _origin(url):
                        raise AnswerRefused(
                            f"{host} redirected {method} {urlsplit(url).path} to another host ({urlsplit(target).netloc[:80]}); refused, "
                            "so that no API key or e-mail goes there. Check the service's URL setting"
                        )
                    url, method, body = target, ("GET" if status == 303 else method), (None if status == 303 else body)
                    continue
                if status == 429:
                    raise _Retry("429 Too Many Requests (rate limit)", retry_after_seconds(response.headers.get("Retry-After")))
                if status >= 500:
                    raise _Retry(f"server error {status}")
                raw = self.redact(self._read(response, url, ends).decode("utf-8", "replace")).encode()
            if status not in ANSWER_CODES:
                text = raw[:200].decode("utf-8", "replace")
                raise RequestRefused(f"{host} refused {method} {urlsplit(url).path} with {status}: {text}", status)
            try:
                return status, raw, json.loads(raw)
            except RecursionError as exc:
                raise AnswerRefused(f"{host} answered {method} {urlsplit(url).path} with JSON nested too deeply to read; refused") from exc
            except ValueError as exc:
                if status == 404:  # OpenAlex answers an unknown single work with an HTML page: still "not found"
                    return status, b"null", None
                raise _Retry("malformed JSON in the answer") from exc
        raise AnswerRefused(f"{host} redirected {method} {urlsplit(url).path} more than {MAX_REDIRECTS} times; refused")

    def _open(self, method: str, url: str, body: Any, headers: Mapping[str, str] | None, ends: float) -> requests.Response:
        self._check_cancel()
        self._count(method, url)
        try:
            return self.session.request(method, url, json=body, headers=headers, timeout=(self.timeout, self.timeout), stream=True, allow_redirects=False)
        except requests.Timeout as exc:
            raise _Retry(f"no answer within {self.timeout:g} s") from exc
        except requests.ConnectionError as exc:
            raise _Retry("cannot connect") from exc

    def _read(self, response: requests.Response, url: str, ends: float) -> bytes:
        """The whole body, read as it arrives: refused past `max_bytes`, cut off when the request's time is up."""
        parts: list[bytes] = []
        size = 0
        while True:
            self._check_cancel()
            left = ends - time.monotonic()
            if left <= 0:
                raise _Retry(f"no answer within {self.timeout:g} s")
            sock = getattr(getattr(getattr(getattr(response.raw, "_fp", None), "fp", None), "raw", None), "_sock", None)
            if sock is not None:
                sock.settimeout(max(0.05, min(left, self.timeout)))
            try:
                chunk = response.raw.read1(65536, decode_content=True)
            except (ReadTimeoutError, TimeoutError) as exc:
                raise _Retry(f"no answer within {self.timeout:g} s") from exc
            except (Urllib3Error, OSError) as exc:
                raise _Retry("the connection broke while the answer was read") from exc
            if not chunk:
                return b"".join(parts)
            size += len(chunk)
            if size > self.max_bytes:
                raise AnswerTooLarge(
                    f"{urlsplit(url).netloc} answered {urlsplit(url).path} with more than {self.max_bytes / 1e6:g} MB; refused (nothing of it was kept)"
                )
            parts.append(chunk)

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("cancelled; nothing was written, and what was already fetched is cached for the next run")

    def _count(self, method: str, url: str) -> None:
        self.network_requests += 1
        if self.on_request is not None:
            self.on_request(method, public_url(url))

"""HTTP for the scholarly sources: one cached, retrying, time-limited session shared by the clients of a run.

Terms:
- *network request*: one that went to a server (`HttpClient.network_requests`); an answer served from the
  cache is not one.
- *answer*: the decoded JSON of a 200 or 404 response, with the day it came from the network (`retrieved`):
  for a cached answer, the day it was first fetched, so a rerun from the cache writes the same dates.
- *cache*: requests-cache's SQLite backend in one file (`Settings.scholarly_cache`). Chosen over hishel, which
  caches for httpx (a client this project does not use), and over a hand-made cache because it already does
  what a resumable run needs: a key made of method, URL and body (Semantic Scholar's batch endpoint is a POST
  whose ids are in the body); each response committed as it arrives, so a run that is stopped resumes where it
  stopped; secrets (`x-api-key`) and our `mailto` left out of keys and of stored requests, so neither is on
  disk; expiry after `max_age`. Only answers are kept (200 and 404 with a JSON body: an unknown id is an
  answer); 429, 5xx and malformed JSON never are.
- *retry* (tenacity): a 429 waits for its `Retry-After` (seconds or an HTTP date, at most `max_wait`); a 5xx,
  a timeout, a refused connection or malformed JSON wait `backoff`, then twice as long, and so on. After
  `attempts` tries, or `deadline` seconds for one request with its retries, `SourceError` says what failed.
- *timeout*: `timeout` seconds to connect and for each read of the answer (requests' `(connect, read)`).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

import requests
from requests_cache import CachedSession
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay

from ..errors import SourceError

ANSWER_CODES = (200, 404)
# requests-cache's own list of secret parameters and headers, plus OpenAlex's polite-pool e-mail.
IGNORED = ("Authorization", "Proxy-Authorization", "X-API-Key", "X-Auth-Token", "X-API-Token", "X-Access-Token", "access_token", "api_key", "apikey", "mailto")


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


def _is_answer(response: requests.Response) -> bool:
    """What the cache may keep: an answer whose body is JSON (a truncated or HTML body is retried, never kept)."""
    if response.status_code not in ANSWER_CODES:
        return False
    try:
        json.loads(response.content)
    except ValueError:
        return False
    return True


class RetryOptions(TypedDict, total=False):
    """How `HttpClient` retries, as keyword arguments (see its parameters)."""

    attempts: int
    backoff: float
    max_wait: float
    deadline: float


class HttpClient:
    """GET and POST JSON through the cache, with retries and timeouts; counts the requests that reached a server.

    `cache_path` None keeps answers in memory for this client only (tests of one client, a throw-away run).
    `on_request(method, url)` is called for every network request (the terminal's request counter).
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
        user_agent: str = "small-models-atlas",
        on_request: Callable[[str, str], None] | None = None,
    ):
        if cache_path is None:
            backend: Any = "memory"
            name = "scholarly"
        else:
            path = Path(cache_path).expanduser()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SourceError(f"cannot create the cache folder {path.parent}: {exc.strerror}; set SURVEY_SCHOLARLY_CACHE to a writable file") from exc
            backend, name = "sqlite", str(path)
        # Used through the plain (typed) requests interface; the cache answers behind it.
        self.session: requests.Session = CachedSession(
            name,
            backend=backend,
            expire_after=max_age,
            allowable_codes=ANSWER_CODES,
            allowable_methods=("GET", "POST"),
            ignored_parameters=IGNORED,
            filter_fn=_is_answer,
        )
        self.session.headers["User-Agent"] = user_agent
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self.deadline = deadline
        self.on_request = on_request
        self.network_requests = 0

    def close(self) -> None:
        self.session.close()

    def get(self, url: str, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> Answer:
        return self._request("GET", url, params, None, headers)

    def post(self, url: str, params: Mapping[str, Any] | None, body: Any, headers: Mapping[str, str] | None = None) -> Answer:
        return self._request("POST", url, params, body, headers)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _Retry) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        delay: float = self.backoff * 2 ** (state.attempt_number - 1)
        return min(delay, self.max_wait)

    def _request(self, method: str, url: str, params: Mapping[str, Any] | None, body: Any, headers: Mapping[str, str] | None) -> Answer:
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.deadline),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._send(method, url, params, body, headers)
        except _Retry as exc:
            host = urlsplit(url).netloc
            tries = retrying.statistics.get("attempt_number", self.attempts)
            raise SourceError(
                f"{host} failed: {exc.reason} ({method} {urlsplit(url).path}, {tries} tries); check the connection and the "
                "service's URL setting, then run again: what was already fetched is cached and is not asked for twice"
            ) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _send(self, method: str, url: str, params: Mapping[str, Any] | None, body: Any, headers: Mapping[str, str] | None) -> Answer:
        try:
            response = self.session.request(method, url, params=params, json=body, headers=headers, timeout=(self.timeout, self.timeout))
        except requests.Timeout as exc:
            self._count(method, url)
            raise _Retry(f"no answer within {self.timeout:g} s") from exc
        except requests.ConnectionError as exc:
            self._count(method, url)
            raise _Retry("cannot connect") from exc
        from_cache = bool(getattr(response, "from_cache", False))
        if not from_cache:
            self._count(method, url)
        status = response.status_code
        if status == 429:
            raise _Retry("429 Too Many Requests (rate limit)", retry_after_seconds(response.headers.get("Retry-After")))
        if status >= 500:
            raise _Retry(f"server error {status}")
        if status not in ANSWER_CODES:
            raise RequestRefused(f"{urlsplit(url).netloc} refused {method} {urlsplit(url).path} with {status}: {response.text[:200]}", status)
        try:
            data = response.json()
        except ValueError as exc:
            raise _Retry("malformed JSON in the answer") from exc
        created = getattr(response, "created_at", None) if from_cache else None
        retrieved = (created or dt.datetime.now(dt.UTC)).date()
        return Answer(status, data, retrieved, from_cache)

    def _count(self, method: str, url: str) -> None:
        self.network_requests += 1
        if self.on_request is not None:
            self.on_request(method, url)

"""The arXiv lookup: feed parsing, and a real local HTTP server standing in for arXiv (answering, failing,
hanging) to check that the form is filled, or told within the timeout, in plain words, that arXiv cannot be reached."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from survey_taxonomy.data.validation import normalise_arxiv_id
from survey_taxonomy.sources.arxiv import ArxivError, _timed_out, fetch_arxiv, parse_feed, verify_arxiv

FEED = (Path(__file__).parent / "fixtures" / "arxiv_feed.xml").read_text(encoding="utf-8")
ERROR_FEED = (
    '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_x</id>'
    "<title>Error</title><summary>incorrect id format for x</summary></entry></feed>"
)
EMPTY_FEED = '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>query</title></feed>'


class _Arxiv(BaseHTTPRequestHandler):
    """Answers like arXiv's API for id 2501.00001; `/slow` never answers in time; `/broken` fails."""

    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(5)
        if self.path.startswith("/broken"):
            self.send_error(503)
            return
        body = (FEED if "id_list=2501.00001" in self.path else EMPTY_FEED).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def arxiv_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Arxiv)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_parse_feed_gives_the_form_fields() -> None:
    fields = parse_feed(FEED, "2501.00001v2")
    assert fields == {
        "title": "A Tiny Test Paper: Small Models Routing Large Ones",
        "authors": ["Ada Lovelace", "Gaël Varoquaux"],
        "year": 2025,
        "venue": "Proceedings of the Tiny Test Workshop 2025",
        "arxiv": "2501.00001",
        "doi": "10.1234/tiny.2025.1",
        "url": "https://arxiv.org/abs/2501.00001",
    }


@pytest.mark.parametrize("text", [EMPTY_FEED, ERROR_FEED, "not xml at all"], ids=["empty-feed", "error-entry", "not-xml"])
def test_parse_feed_without_a_paper_raises(text: str) -> None:
    with pytest.raises(ArxivError, match="arXiv"):
        parse_feed(text, "2501.00001")


@pytest.mark.parametrize(
    ("pasted", "bare"),
    [
        ("2501.00001", "2501.00001"),
        ("arXiv:2501.00001v3", "2501.00001v3"),
        ("https://arxiv.org/abs/2501.00001", "2501.00001"),
        ("cs.CL/0101001", "cs.CL/0101001"),
    ],
)
def test_normalise_arxiv_id(pasted: str, bare: str) -> None:
    assert normalise_arxiv_id(pasted) == bare


def test_fetch_fills_from_the_api(arxiv_api: str) -> None:
    assert fetch_arxiv("https://arxiv.org/abs/2501.00001v2", api=arxiv_api)["title"].startswith("A Tiny Test Paper")


def test_fetch_of_an_unknown_id_says_so(arxiv_api: str) -> None:
    with pytest.raises(ArxivError, match=r"no paper with id '2501\.99999'"):
        fetch_arxiv("2501.99999", api=arxiv_api)


def test_malformed_id_fails_at_once_without_a_request() -> None:
    with pytest.raises(ArxivError, match="is not an arXiv id"):
        fetch_arxiv("hello", api="http://127.0.0.1:9")


@pytest.mark.parametrize(("path", "said"), [("/slow", r"cannot be reached from this server \(no answer"), ("/broken", r"answered with an error \(HTTP \d+\)")])
def test_unreachable_arxiv_fails_within_the_timeout_in_plain_words(arxiv_api: str, path: str, said: str) -> None:
    started = time.monotonic()
    with pytest.raises(ArxivError, match=said + r".*type the details in yourself") as info:
        fetch_arxiv("2501.00001", api=arxiv_api + path, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert "urlopen" not in str(info.value) and "Errno" not in str(info.value)


def test_a_download_that_gives_up_waiting_counts_as_no_answer(arxiv_api: str) -> None:
    """The worker's own timeout can fire just before the caller stops waiting (CI saw it once on a busy
    machine); that is still a server that did not answer, not one that refused the connection."""
    with pytest.raises(OSError) as waited:
        urllib.request.urlopen(arxiv_api + "/slow", timeout=0.2)
    with pytest.raises(OSError) as refused:
        urllib.request.urlopen("http://127.0.0.1:9/", timeout=2)
    assert _timed_out(waited.value)
    assert not _timed_out(refused.value)


def test_closed_port_fails_fast() -> None:
    started = time.monotonic()
    with pytest.raises(ArxivError, match=r"cannot be reached from this server \(no connection"):
        fetch_arxiv("2501.00001", api="http://127.0.0.1:9/api/query", timeout=3)
    assert time.monotonic() - started < 3.5


def test_verify_arxiv_tells_verified_mismatch_and_unverified(arxiv_api: str) -> None:
    title = parse_feed(FEED, "2501.00001")["title"]
    assert verify_arxiv("2501.00001", title.upper(), api=arxiv_api)[0] == "verified"
    status, why = verify_arxiv("2501.00001", "A completely different paper about tabular data", api=arxiv_api)
    assert status == "mismatch" and "not the submitted title" in why
    status, why = verify_arxiv("2501.00001", title, api="http://127.0.0.1:9/api/query", timeout=1)
    assert status == "unverified" and "cannot be reached" in why

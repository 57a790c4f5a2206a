"""arXiv's public API -> the submission form's fields, with a hard time limit so the form never hangs.

Terms:
- *arXiv id*: new style `2211.17192` (optionally with a version, `v2`) or old style `cs.CL/0101001`;
  people paste them as `arXiv:2211.17192` or as an abs/pdf link, which `validation.normalise_arxiv_id` undoes.
- *feed*: the Atom XML that `export.arxiv.org/api/query?id_list=...` returns, parsed with the stdlib.

On an offline machine arXiv cannot be reached; `fetch_arxiv` then raises `ArxivError` within `timeout`
seconds (the request runs in a daemon thread, so even a slow DNS lookup cannot hold the caller).
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

from rapidfuzz import fuzz

from ..data.validation import is_arxiv_id, normalise_arxiv_id
from ..errors import SurveyDataError

ARXIV_API = "https://export.arxiv.org/api/query"
TIMEOUT_S = 3.0
MAX_FEED_BYTES = 1_000_000
_NS = {"atom": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}


class ArxivError(SurveyDataError):
    """arXiv could not be reached, or has no paper with that id."""


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def parse_feed(xml_text: str, arxiv_id: str) -> dict[str, Any]:
    """The form fields (title, authors, year, venue, arxiv, doi, url) of the first entry of an arXiv feed.

    Raises `ArxivError` when the feed holds no paper (arXiv answers an unknown id with an empty feed or
    an entry titled "Error").
    """
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ArxivError(f"arXiv sent an answer that is not XML ({exc}); type the details in yourself") from exc
    entry = root.find("atom:entry", _NS)
    title = _clean(entry.findtext("atom:title", "", _NS)) if entry is not None else ""
    if entry is None or not title or title == "Error" or "/api/errors" in (entry.findtext("atom:id", "", _NS) or ""):
        raise ArxivError(f"arXiv has no paper with id {arxiv_id!r}; check the id")
    published = _clean(entry.findtext("atom:published", "", _NS))
    year = int(published[:4]) if published[:4].isdigit() else None
    bare = re.sub(r"v\d+$", "", arxiv_id)
    return {
        "title": title,
        "authors": [name for name in (_clean(a.findtext("atom:name", "", _NS)) for a in entry.findall("atom:author", _NS)) if name],
        "year": year,
        "venue": _clean(entry.findtext("arxiv:journal_ref", "", _NS)) or (f"arXiv {year}" if year else "arXiv"),
        "arxiv": bare,
        "doi": _clean(entry.findtext("arxiv:doi", "", _NS)),
        "url": f"https://arxiv.org/abs/{bare}",
    }


def _timed_out(error: BaseException) -> bool:
    """Whether the download gave up waiting: the worker's own timeout can fire just before `join` returns."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    return isinstance(reason, TimeoutError)


def fetch_arxiv(value: str, *, api: str = ARXIV_API, timeout: float = TIMEOUT_S) -> dict[str, Any]:
    """Look a paper up on arXiv and return its form fields (see `parse_feed`).

    Raises `ArxivError` at once for a malformed id, and within `timeout` seconds when arXiv cannot be
    reached or answers with an error, with a message that tells the user to type the details instead.
    """
    arxiv_id = normalise_arxiv_id(value)
    if not is_arxiv_id(arxiv_id):
        raise ArxivError(f"{value.strip()[:40]!r} is not an arXiv id; write it like 2211.17192 or cs.CL/0101001")
    request = urllib.request.Request(f"{api}?{urlencode({'id_list': arxiv_id, 'max_results': 1})}", headers={"User-Agent": "small-models-atlas"})
    outcome: dict[str, Any] = {}

    def download() -> None:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                outcome["body"] = response.read(MAX_FEED_BYTES).decode("utf-8", "replace")
        except Exception as exc:  # any failure (DNS, refused, HTTP error, reset) means the same to the user
            outcome["error"] = exc

    worker = threading.Thread(target=download, name="arxiv-fetch", daemon=True)
    worker.start()
    worker.join(timeout)
    if "body" not in outcome:
        error = outcome.get("error")
        if isinstance(error, urllib.error.HTTPError):
            raise ArxivError(f"arXiv answered with an error (HTTP {error.code}); try again later or type the details in yourself")
        why = "no answer" if error is None or _timed_out(error) else "no connection"
        raise ArxivError(f"arXiv cannot be reached from this server ({why} within {timeout:g} s); type the details in yourself")
    return parse_feed(outcome["body"], arxiv_id)


def verify_arxiv(arxiv_id: str, title: str, *, api: str = ARXIV_API, timeout: float = TIMEOUT_S) -> tuple[str, str]:
    """Check an arXiv id against the title a submitter gave: (`verified` | `mismatch` | `unverified`, why).

    `unverified` means arXiv could not be asked (offline, an error): the reviewer must check it by hand.
    """
    try:
        found = fetch_arxiv(arxiv_id, api=api, timeout=timeout)
    except ArxivError as exc:
        return "unverified", str(exc)
    score = fuzz.token_sort_ratio(found.get("title", "").lower(), title.lower())
    if score >= TITLE_MATCH:
        return "verified", f"arXiv {arxiv_id} is “{found['title']}”"
    return "mismatch", f"arXiv {arxiv_id} is “{found.get('title', '')}”, not the submitted title ({score:.0f}% alike)"


TITLE_MATCH = 90  # % alike (rapidfuzz token sort ratio) for an arXiv title to count as the submitted one

"""A local stand-in for OpenAlex and Semantic Scholar: an `http.server` on 127.0.0.1 in a thread.

It answers in the formats the clients' docstrings cite (OpenAlex works and lists with `meta.next_cursor`;
Semantic Scholar's batch, citations with `offset`/`next`, title match with 404), from a *world*: a list of
works, each known to OpenAlex (`oa`), to Semantic Scholar (`s2`) or to both, citing others by `name`.
Faults are scripted per path prefix (`script`): 429 with Retry-After, 500, a read that never answers,
malformed JSON; `fail` makes a prefix answer 503 for good. Every request is counted (`count`).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from rapidfuzz import fuzz

from survey_taxonomy.duplicates import normalise_title

WORLDS = Path(__file__).resolve().parent / "fixtures" / "scholarly"


@dataclass
class FakeWork:
    name: str
    title: str
    year: int
    oa: str = ""  # OpenAlex id; "" = OpenAlex does not know the work
    s2: str = ""  # Semantic Scholar paperId; "" = S2 does not know it
    arxiv: str = ""
    doi: str = ""
    date: str = ""
    cites: list[str] = field(default_factory=list)
    cited_by_count: int = 0
    authors: list[str] = field(default_factory=lambda: ["Ada Lovelace", "Alan Turing"])
    abstract: str = "We study small models. They help large ones."
    oa_arxiv_doi: bool = True  # OpenAlex files the work under its arXiv DOI
    s2_arxiv: bool = True  # Semantic Scholar lists its arXiv id


def load_world(name: str) -> list[FakeWork]:
    return [FakeWork(**w) for w in json.loads((WORLDS / f"{name}.json").read_text(encoding="utf-8"))]


class FakeScholarly:
    """The server; `openalex_url` and `s2_url` are the base URLs to configure the clients with."""

    def __init__(self, world: list[FakeWork]):
        self.set_world(world)
        self.requests: list[tuple[str, str]] = []
        self.faults: dict[str, list[str]] = {}
        self.failing: set[str] = set()
        self.retry_after = "1"
        self.release = threading.Event()
        self.open = threading.Event()  # cleared: every request waits until it is set again (a slow index)
        self.open.set()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.openalex_url = f"{base}/openalex"
        self.s2_url = f"{base}/s2/graph/v1"

    def set_world(self, world: list[FakeWork]) -> None:
        self.world = {w.name: w for w in world}

    def close(self) -> None:
        self.release.set()
        self.open.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- test controls ---

    def script(self, prefix: str, *actions: str) -> None:
        """The next requests under `prefix` (e.g. "/openalex") get these faults, one each: 429, 500, hang, malformed."""
        self.faults.setdefault(prefix, []).extend(actions)

    def fail(self, prefix: str) -> None:
        self.failing.add(prefix)

    def count(self, prefix: str = "") -> int:
        return sum(1 for _, path in self.requests if path.startswith(prefix))

    # --- serving ---

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)) if method == "POST" else b""
        self.open.wait(60)
        with self.lock:
            self.requests.append((method, url.path))
            fault = next((self.faults[p].pop(0) for p in self.faults if url.path.startswith(p) and self.faults[p]), None)
            failing = any(url.path.startswith(p) for p in self.failing)
        if failing:
            return self._send(handler, 503, {"error": "Service Unavailable"})
        if fault == "429":
            return self._send(handler, 429, {"error": "Too Many Requests"}, {"Retry-After": self.retry_after})
        if fault == "500":
            return self._send(handler, 500, {"message": "Internal Server Error"})
        if fault == "hang":
            self.release.wait(10)
            return None
        if fault == "malformed":
            return self._send(handler, 200, None, raw=b'{"results": [{"id": ')
        if url.path == "/openalex/works":
            return self._send(handler, 200, self._openalex_list(query))
        if url.path == "/s2/graph/v1/paper/batch":
            return self._send(handler, 200, self._s2_batch(json.loads(body)["ids"], query.get("fields", "")))
        if url.path == "/s2/graph/v1/paper/search/match":
            return self._s2_match(handler, query)
        if url.path.startswith("/s2/graph/v1/paper/") and url.path.endswith("/citations"):
            return self._send(handler, 200, self._s2_citations(unquote(url.path.split("/")[-2]), query))
        return self._send(handler, 404, {"error": f"no route {url.path}"})

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data, headers: dict | None = None, raw: bytes | None = None) -> None:
        payload = raw if raw is not None else json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    # OpenAlex

    def _oa_doi(self, w: FakeWork) -> str:
        if w.doi:
            return w.doi.lower()
        return f"10.48550/arxiv.{w.arxiv}" if w.arxiv and w.oa_arxiv_doi else ""

    def _oa_work(self, w: FakeWork, select: str) -> dict:
        doi = self._oa_doi(w)
        index: dict[str, list[int]] = {}
        for pos, word in enumerate(w.abstract.split()):
            index.setdefault(word, []).append(pos)
        full = {
            "id": f"https://openalex.org/{w.oa}",
            "doi": f"https://doi.org/{doi}" if doi else None,
            "ids": {"openalex": f"https://openalex.org/{w.oa}", **({"doi": f"https://doi.org/{doi}"} if doi else {})},
            "title": w.title,
            "display_name": w.title,
            "publication_year": w.year,
            "publication_date": w.date or f"{w.year}-01-15",
            "cited_by_count": w.cited_by_count,
            "referenced_works": [f"https://openalex.org/{self.world[c].oa}" for c in w.cites if c in self.world and self.world[c].oa],
            "authorships": [{"author_position": "first", "author": {"id": "https://openalex.org/A1", "display_name": a}} for a in w.authors],
            "abstract_inverted_index": index,
        }
        return {k: v for k, v in full.items() if not select or k in select.split(",")}

    def _oa_matches(self, w: FakeWork, name: str, values: list[str]) -> bool:
        if name == "doi":
            return self._oa_doi(w) in {v.lower().removeprefix("https://doi.org/") for v in values}
        if name in ("openalex", "ids.openalex"):
            return w.oa in {v.rsplit("/", 1)[-1] for v in values}
        if name == "cites":
            cited = {self.world[c].oa for c in w.cites if c in self.world}
            return bool(cited & set(values))
        if name in ("title.search", "display_name.search"):
            return all(word in normalise_title(w.title).split() for word in values[0].split())
        if name == "publication_year":
            return str(w.year) == values[0]
        if name == "from_publication_date":
            return (w.date or f"{w.year}-01-15") >= values[0]
        raise ValueError(f"filter {name} is not faked")

    def _openalex_list(self, query: dict) -> dict:
        filters = [part.split(":", 1) for part in query.get("filter", "").split(",") if part]
        works = [w for w in self.world.values() if w.oa and all(self._oa_matches(w, n, v.split("|")) for n, v in filters)]
        works.sort(key=lambda w: w.oa)
        per_page = int(query.get("per-page", 25))
        cursor = query.get("cursor", "*")
        start = 0 if cursor == "*" else int(base64.b64decode(cursor))
        page = works[start : start + per_page]
        more = start + per_page < len(works)
        return {
            "meta": {
                "count": len(works),
                "db_response_time_ms": 3,
                "page": None,
                "per_page": per_page,
                "next_cursor": base64.b64encode(str(start + per_page).encode()).decode() if more else None,
            },
            "results": [self._oa_work(w, query.get("select", "")) for w in page],
        }

    # Semantic Scholar

    def _s2_paper(self, w: FakeWork, fields: str) -> dict:
        ids = {"CorpusId": abs(hash(w.s2)) % 10**8}
        if w.arxiv and w.s2_arxiv:
            ids["ArXiv"] = w.arxiv
        if w.doi:
            ids["DOI"] = w.doi.upper()
        paper = {
            "paperId": w.s2,
            "externalIds": ids,
            "title": w.title,
            "year": w.year,
            "publicationDate": w.date or f"{w.year}-01-15",
            "citationCount": w.cited_by_count,
            "authors": [{"authorId": str(i), "name": a} for i, a in enumerate(w.authors)],
            "abstract": w.abstract,
            "tldr": {"model": "tldr@v2.0.0", "text": f"TL;DR of {w.title}."},
        }
        wanted = {f.split(".")[0] for f in fields.split(",") if f} | {"paperId"}
        paper = {k: v for k, v in paper.items() if k in wanted}
        if "references" in wanted:
            paper["references"] = [{"paperId": self.world[c].s2 or None} for c in w.cites if c in self.world]
        return paper

    def _s2_find(self, ident: str) -> FakeWork | None:
        for w in self.world.values():
            if not w.s2:
                continue
            if ident == w.s2 or (ident.startswith("ARXIV:") and w.s2_arxiv and w.arxiv == ident[6:]):
                return w
            if ident.startswith("DOI:") and w.doi and w.doi.lower() == ident[4:].lower():
                return w
        return None

    def _s2_batch(self, ids: list[str], fields: str) -> list:
        return [self._s2_paper(w, fields) if (w := self._s2_find(i)) else None for i in ids]

    def _s2_match(self, handler, query: dict) -> None:
        scored = [(fuzz.ratio(normalise_title(w.title), normalise_title(query["query"])), w) for w in self.world.values() if w.s2]
        best = max(scored, key=lambda sw: sw[0], default=(0, None))
        if best[0] < 80:
            return self._send(handler, 404, {"error": "Title match not found"})
        paper = self._s2_paper(best[1], query.get("fields", "title"))
        return self._send(handler, 200, {"data": [{**paper, "matchScore": best[0]}]})

    def _s2_citations(self, ident: str, query: dict) -> dict:
        cited = self._s2_find(ident)
        citing = sorted((w for w in self.world.values() if w.s2 and cited and cited.name in w.cites), key=lambda w: w.s2)
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
        page = citing[offset : offset + limit]
        data: dict = {"offset": offset, "data": [{"citingPaper": self._s2_paper(w, query.get("fields", ""))} for w in page]}
        if offset + limit < len(citing):
            data["next"] = offset + limit
        return data


@pytest.fixture
def fake_scholarly() -> Iterator[FakeScholarly]:
    """The fake APIs serving the world of the tiny dataset (tests/fixtures/scholarly/tiny.json)."""
    server = FakeScholarly(load_world("tiny"))
    try:
        yield server
    finally:
        server.close()

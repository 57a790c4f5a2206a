"""A local stand-in for OpenAlex and Semantic Scholar: an `http.server` on 127.0.0.1 in a thread.

It answers in the formats the clients' docstrings cite (OpenAlex works and lists with `meta.next_cursor`;
Semantic Scholar's batch, citations with `offset`/`next`, title match with 404), from a *world*: a list of
works, each known to OpenAlex (`oa`), to Semantic Scholar (`s2`) or to both, citing others by `name`.

Beside the world it serves *recorded* answers (tests/fixtures/recorded, see its README): real OpenAlex works
(`add_openalex`) and Semantic Scholar papers (`add_s2`) as the APIs gave them, filtered and cut to the fields
asked for as the APIs do; merged OpenAlex ids (`merge_openalex`: the list answers with the canonical work, a
single look-up with a 301); Semantic Scholar's paging cap (offset + limit >= 10,000 is a 400, in the recorded
error shape); a recorded 429 with Retry-After; OpenAlex's HTML 404 for an unknown single work.

Faults are scripted per path prefix (`script`): 429, 500, a read that never answers, malformed JSON; and the
hostile ones: `huge` (`huge_bytes` of JSON), `drip` (a valid answer one byte per `drip_every` seconds),
`away` (a 307 to another host), `deep` (JSON nested 200,000 levels), `html` (a 200 with an HTML page),
`loop` (an OpenAlex page whose `next_cursor` never ends). `fail` makes a prefix answer 503 for good. Every
request is counted (`count`), with its headers and query (`seen`).
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

import pytest
from rapidfuzz import fuzz

from survey_taxonomy.data.duplicates import normalise_title

WORLDS = Path(__file__).resolve().parent / "fixtures" / "scholarly"
RECORDED = Path(__file__).resolve().parent / "fixtures" / "recorded"
Json = dict[str, Any]  # a JSON object as the APIs answer it
S2_OFFSET_CAP = "The sum of offset and limit must be < 10000"  # the API's message, as quoted in allenai/s2-folks#12


def recorded(name: str) -> Json:
    """A recorded answer: {"status", "headers", "body"} (see tests/fixtures/recorded/README.md)."""
    answer: Json = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    return answer


def short(url: str) -> str:
    return url.removeprefix("https://openalex.org/")


class _QuietServer(ThreadingHTTPServer):
    """Silent when a client hangs up mid-answer: the tests that cut a dripping or oversized answer do it on purpose,
    and socketserver printed each such traceback into the test run's output."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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
        self.seen: list[tuple[str, str, dict[str, str]]] = []  # (path, query, headers) of every request
        self.oa_records: dict[str, Json] = {}
        self.oa_merged: dict[str, str] = {}
        self.oa_refs_as: dict[str, str] = {}  # canonical id -> the merged id that reference lists still carry
        self.s2_records: dict[str, Json] = {}
        self.s2_citing: dict[str, list[str]] = {}
        self.huge_bytes = 2_000_000
        self.drip_every = 1.0
        self.faults: dict[str, list[str]] = {}
        self.failing: set[str] = set()
        self.retry_after = "1"
        self.release = threading.Event()
        self.open = threading.Event()  # cleared: every request waits until it is set again (a slow index)
        self.open.set()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.port = self.httpd.server_address[1]
        base = f"http://127.0.0.1:{self.port}"
        self.openalex_url = f"{base}/openalex"
        self.s2_url = f"{base}/s2/graph/v1"

    # --- recorded answers ---

    def add_openalex(self, results: list[Json]) -> None:
        """Serve these recorded OpenAlex works (as a list answer's `results` hold them)."""
        self.oa_records |= {short(r["id"]): r for r in results}

    def merge_openalex(self, old: str, new: str) -> None:
        """`old` was merged into `new`: lists answer with `new`, `/works/old` redirects (301) to `/works/new`."""
        self.oa_merged[old] = new
        self.oa_refs_as[new] = old

    def add_s2(self, papers: list[Json | None]) -> None:
        """Serve these recorded Semantic Scholar papers (None entries, as a batch answer has them, are skipped)."""
        self.s2_records |= {p["paperId"]: p for p in papers if p}

    def s2_cite(self, cited: str, citing: list[str]) -> None:
        """The recorded papers `citing` cite the paper `cited` (a world work's or a recorded paper's paperId)."""
        self.s2_citing.setdefault(cited, []).extend(citing)

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
            self.seen.append((url.path, url.query, {k.lower(): v for k, v in handler.headers.items()}))
            fault = next((self.faults[p].pop(0) for p in self.faults if url.path.startswith(p) and self.faults[p]), None)
            failing = any(url.path.startswith(p) for p in self.failing)
        if failing:
            return self._send(handler, 503, {"error": "Service Unavailable"})
        if fault == "429":
            rec = recorded("s2_429.json")
            return self._send(handler, 429, rec["body"], {"Retry-After": self.retry_after})
        if fault == "500":
            return self._send(handler, 500, {"message": "Internal Server Error"})
        if fault == "hang":
            self.release.wait(10)
            return None
        if fault == "malformed":
            return self._send(handler, 200, None, raw=b'{"results": [{"id": ')
        if fault is not None and self._hostile(handler, fault, url):
            return None
        if url.path == "/openalex/works":
            return self._send(handler, 200, self._openalex_list(query))
        if url.path.startswith("/openalex/works/"):
            return self._openalex_single(handler, unquote(url.path.rsplit("/", 1)[-1]), query, url.query)
        if url.path == "/s2/graph/v1/paper/batch":
            return self._send(handler, 200, self._s2_batch(json.loads(body)["ids"], query.get("fields", "")))
        if url.path == "/s2/graph/v1/paper/search/match":
            return self._s2_match(handler, query)
        if url.path.startswith("/s2/graph/v1/paper/") and url.path.endswith("/citations"):
            if int(query.get("offset", 0)) + int(query.get("limit", 100)) >= 10000:
                rec = recorded("s2_error_400.json")
                return self._send(handler, rec["status"], {"error": S2_OFFSET_CAP})
            return self._send(handler, 200, self._s2_citations(unquote(url.path.split("/")[-2]), query))
        return self._send(handler, 404, {"error": f"no route {url.path}"})

    def _hostile(self, handler: BaseHTTPRequestHandler, fault: str, url: SplitResult) -> bool:
        """Answer like a hostile or broken server; False when `fault` is not one of these."""
        if fault == "huge":
            self._send(handler, 200, None, raw=b'{"results": [], "meta": {}, "pad": "' + b"x" * self.huge_bytes + b'"}')
        elif fault == "deep":
            self._send(handler, 200, None, raw=b"[" * 200_000 + b"]" * 200_000)
        elif fault == "html":
            self._send(handler, 200, None, raw=b"<!doctype html><html><title>Maintenance</title></html>")
        elif fault == "away":
            handler.send_response(307)
            handler.send_header("Location", f"http://localhost:{self.port}{url.path}?{url.query}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif fault == "drip":
            payload = json.dumps({"meta": {"count": 0, "next_cursor": None}, "results": []}).encode() * 100
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            for byte in payload:
                if self.release.wait(self.drip_every):
                    break
                try:
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                except OSError:  # the client gave up: what the test wants
                    break
        elif fault == "loop":
            ids = sorted(self.oa_records) or [w.oa for w in self.world.values() if w.oa]
            page = {
                "meta": {"count": None, "per_page": 200, "next_cursor": f"c{len(self.requests)}"},
                "results": [{"id": f"https://openalex.org/{ids[0]}"}] * 200,
            }
            self._send(handler, 200, page)
        else:
            return False
        return True

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data: object, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
        payload = raw if raw is not None else json.dumps(data).encode()
        handler.send_response(status)
        if "Content-Type" not in (headers or {}):
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

    def _oa_work(self, w: FakeWork, select: str) -> Json:
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
            "referenced_works": [
                f"https://openalex.org/{self.oa_refs_as.get(self.world[c].oa, self.world[c].oa)}" for c in w.cites if c in self.world and self.world[c].oa
            ],
            "authorships": [{"author_position": "first", "author": {"id": "https://openalex.org/A1", "display_name": a}} for a in w.authors],
            "abstract_inverted_index": index,
        }
        return {k: v for k, v in full.items() if not select or k in select.split(",")}

    def _oa_matches(self, w: FakeWork, name: str, values: list[str]) -> bool:
        if name == "doi":
            return self._oa_doi(w) in {v.lower().removeprefix("https://doi.org/") for v in values}
        if name in ("openalex", "ids.openalex"):
            return w.oa in {self.oa_merged.get(short(v), short(v)) for v in values}
        if name == "cites":
            cited = {self.world[c].oa for c in w.cites if c in self.world}
            return bool(cited & {self.oa_merged.get(v, v) for v in values})
        if name in ("title.search", "display_name.search"):
            return all(word in normalise_title(w.title).split() for word in values[0].split())
        if name == "publication_year":
            return str(w.year) == values[0]
        if name == "from_publication_date":
            return (w.date or f"{w.year}-01-15") >= values[0]
        raise ValueError(f"filter {name} is not faked")

    def _raw_matches(self, r: Json, name: str, values: list[str]) -> bool:
        if name == "doi":
            return (r.get("doi") or "").lower().removeprefix("https://doi.org/") in {v.lower().removeprefix("https://doi.org/") for v in values}
        if name in ("openalex", "ids.openalex"):
            asked = {self.oa_merged.get(short(v), short(v)) for v in values}
            return short(r["id"]) in asked
        if name == "cites":
            return bool({short(x) for x in r.get("referenced_works") or []} & set(values))
        if name in ("title.search", "display_name.search"):
            return all(word in normalise_title(r.get("title") or "").split() for word in values[0].split())
        if name == "publication_year":
            return str(r.get("publication_year")) == values[0]
        if name == "from_publication_date":
            return (r.get("publication_date") or "") >= values[0]
        raise ValueError(f"filter {name} is not faked")

    def _openalex_single(self, handler: BaseHTTPRequestHandler, ident: str, query: dict[str, str], raw_query: str) -> None:
        if ident in self.oa_merged:
            rec = recorded("openalex_merged_301.json")  # the documented shape, pointed at the canonical work here
            handler.send_response(rec["status"])
            handler.send_header("Location", f"{self.openalex_url}/works/{self.oa_merged[ident]}?{raw_query}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        select = query.get("select", "")
        if ident in self.oa_records:
            r = self.oa_records[ident]
            return self._send(handler, 200, {k: v for k, v in r.items() if not select or k in select.split(",")})
        for w in self.world.values():
            if w.oa == ident:
                return self._send(handler, 200, self._oa_work(w, select))
        rec = recorded("openalex_single_404_html.json")
        return self._send(handler, rec["status"], None, {"Content-Type": rec["headers"]["Content-Type"]}, raw=rec["body"].encode())

    def _openalex_list(self, query: dict[str, str]) -> Json:
        filters = [part.split(":", 1) for part in query.get("filter", "").split(",") if part]
        works: list[FakeWork | Json] = [w for w in self.world.values() if w.oa and all(self._oa_matches(w, n, v.split("|")) for n, v in filters)]
        works += [r for r in self.oa_records.values() if all(self._raw_matches(r, n, v.split("|")) for n, v in filters)]
        works.sort(key=lambda w: w.oa if isinstance(w, FakeWork) else short(w["id"]))
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
            "results": [self._oa_work(w, query.get("select", "")) if isinstance(w, FakeWork) else self._raw_select(w, query.get("select", "")) for w in page],
        }

    @staticmethod
    def _raw_select(r: Json, select: str) -> Json:
        return {k: v for k, v in r.items() if not select or k in select.split(",")}

    # Semantic Scholar

    @staticmethod
    def _s2_raw(paper: Json, fields: str) -> Json:
        """A recorded paper cut to the fields asked for, as the API answers (paperId always)."""
        wanted = {f.split(".")[0] for f in fields.split(",") if f} | {"paperId"}
        return {k: v for k, v in paper.items() if k in wanted}

    def _s2_raw_find(self, ident: str) -> Json | None:
        for p in self.s2_records.values():
            ids = p.get("externalIds") or {}
            if ident == p["paperId"] or (ident.startswith("ARXIV:") and ids.get("ArXiv") == ident[6:]):
                return p
            if ident.startswith("DOI:") and str(ids.get("DOI") or "").lower() == ident[4:].lower():
                return p
        return None

    def _s2_paper(self, w: FakeWork, fields: str) -> Json:
        ids: dict[str, int | str] = {"CorpusId": abs(hash(w.s2)) % 10**8}
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

    def _s2_batch(self, ids: list[str], fields: str) -> list[Json | None]:
        out: list[Json | None] = []
        for i in ids:
            raw = self._s2_raw_find(i)
            out.append(self._s2_raw(raw, fields) if raw else self._s2_paper(w, fields) if (w := self._s2_find(i)) else None)
        return out

    def _s2_match(self, handler: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        scored: list[tuple[float, FakeWork | Json]] = [
            (fuzz.ratio(normalise_title(w.title), normalise_title(query["query"])), w) for w in self.world.values() if w.s2
        ]
        scored += [(fuzz.ratio(normalise_title(p.get("title") or ""), normalise_title(query["query"])), p) for p in self.s2_records.values()]
        score, found = max(scored, key=lambda sw: sw[0], default=(0, None))
        if score < 80 or found is None:
            return self._send(handler, 404, {"error": "Title match not found"})
        fields = query.get("fields", "title")
        paper = self._s2_paper(found, fields) if isinstance(found, FakeWork) else self._s2_raw(found, fields)
        return self._send(handler, 200, {"data": [{**paper, "matchScore": score}]})

    def _s2_citations(self, ident: str, query: dict[str, str]) -> Json:
        cited = self._s2_find(ident)
        fields = query.get("fields", "")
        in_world = sorted((w for w in self.world.values() if w.s2 and cited and cited.name in w.cites), key=lambda w: w.s2)
        citing: list[FakeWork | Json] = [*in_world]
        citing += [self.s2_records[i] for i in self.s2_citing.get(cited.s2 if cited else ident, [])]
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
        page = [self._s2_paper(p, fields) if isinstance(p, FakeWork) else self._s2_raw(p, fields) for p in citing[offset : offset + limit]]
        data: Json = {"offset": offset, "data": [{"citingPaper": p} for p in page]}
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

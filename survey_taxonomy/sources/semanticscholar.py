"""Semantic Scholar's Graph API (https://api.semanticscholar.org/graph/v1): papers, references, citations, counts.

What this client relies on, as the API documentation (api.semanticscholar.org/api-docs/graph, as mirrored with
its examples in public repositories) and the `semanticscholar` client (github.com/danielnsilva/semanticscholar,
`AsyncSemanticScholar.get_papers`, `PaginatedResults`, recorded answers in `tests/data/`) show it:
- A paper has `paperId` (40 hex digits), `externalIds` (`ArXiv`, `DOI`, `CorpusId`, ...), `title`, `year`,
  `publicationDate`, `citationCount`, `authors[].name`, `abstract`, `tldr.text`; `fields=` names what to
  return, and `references.paperId` asks for the `paperId` of each reference.
- `POST /paper/batch?fields=...` with `{"ids": [...]}` (at most 500 ids; `ARXIV:<id>`, `DOI:<doi>` or a
  paperId) answers a list in the order of the ids, `null` for an id it does not know; an answer over 10 MB
  is refused with 400 "Response would exceed maximum size", and the batch is then asked for in halves, as it
  is when an answer passes our own size cap (`http.MAX_BYTES`).
- `GET /paper/{id}/citations?fields=...&offset=&limit=` (limit at most 1000) answers
  `{"offset", "next", "data": [{"citingPaper": {...}}]}`; `next` is absent after the last page. "The sum of
  offset and limit must be < 10000" (the API's 400, quoted in allenai/s2-folks#12; the client's
  `PaginatedResults` stops at 9,999): the last page asked for ends there, and the citations past it are left
  out with a note (`OFFSET_CAP`); a 400 on a later page keeps the pages before it, also with a note. The
  citing paper carries the fields asked for only, so `CITING_FIELDS` asks for what a submission needs
  (authors, abstract).
- `GET /paper/search/match?query=<title>` answers `{"data": [{..., "matchScore"}]}` with the best title match,
  or 404 when there is none.
- An API key goes in the `x-api-key` header; without one, requests share a public rate limit and get 429s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from ..data.abstracts import plain_text
from ..data.records import Paper
from ..data.validation import S2_PAPER
from ..errors import SourceError
from .base import Progress, ScholarlySource, Since, Work, as_list, bare_arxiv, is_same_paper, merge_works
from .http import Answer, AnswerTooLarge, HttpClient, RequestRefused

FIELDS = "paperId,externalIds,title,year,publicationDate,citationCount,authors,abstract,tldr"
CITING_FIELDS = "paperId,externalIds,title,year,publicationDate,citationCount,authors,abstract"
PAGE = 1000
OFFSET_CAP = 9999  # offset + limit must stay below 10,000
PREFIX = {"arxiv": "ARXIV:", "doi": "DOI:", "id": ""}


class SemanticScholar(ScholarlySource):
    name = "semanticscholar"
    label = "Semantic Scholar"
    id_field = "s2"
    batch_size = 500

    def __init__(self, http: HttpClient, base_url: str, progress: Progress | None = None, api_key: str = ""):
        super().__init__(http, base_url, progress)
        self.headers = {"x-api-key": api_key} if api_key else {}

    def work_url(self, work_id: str) -> str:
        return f"https://www.semanticscholar.org/paper/{work_id}"

    def _work(self, paper: dict[str, Any], answer: Answer, references: bool) -> Work | None:
        ids: dict[str, Any] = paper["externalIds"] if isinstance(paper.get("externalIds"), dict) else {}
        tldr: dict[str, Any] = paper["tldr"] if isinstance(paper.get("tldr"), dict) else {}
        year, count, day = paper.get("year"), paper.get("citationCount"), paper.get("publicationDate")
        refs = as_list(paper.get("references"))
        work = Work(
            source=self.name,
            id=str(paper["paperId"]),
            title=plain_text(str(paper.get("title") or "")),
            year=year if isinstance(year, int) and not isinstance(year, bool) else None,
            date=day if isinstance(day, str) else "",
            doi=str(ids.get("DOI") or "").lower(),
            arxiv=str(ids.get("ArXiv") or ""),
            authors=tuple(plain_text(str(a["name"])) for a in as_list(paper.get("authors")) if isinstance(a, dict) and a.get("name")),
            abstract=str(paper.get("abstract") or ""),
            tldr=plain_text(str(tldr.get("text") or "")),
            citation_count=count if isinstance(count, int) else None,
            references=tuple(str(r["paperId"]) for r in refs if isinstance(r, dict) and r.get("paperId")) if references else None,
            retrieved=answer.retrieved,
        )
        return self.checked(work, f"answer about {str(paper.get('title') or 'a paper without title')[:60]!r}")

    def _batch(self, ids: list[str], fields: str) -> list[tuple[dict[str, Any] | None, Answer]]:
        try:
            answer = self.http.post(f"{self.base_url}/paper/batch", {"fields": fields}, {"ids": ids}, self.headers)
        except (RequestRefused, AnswerTooLarge) as exc:
            if (isinstance(exc, RequestRefused) and exc.status != 400) or len(ids) == 1:
                raise
            half = len(ids) // 2  # too large an answer (S2's 400, or past our cap): the same ids in two requests
            return self._batch(ids[:half], fields) + self._batch(ids[half:], fields)
        if not isinstance(answer.data, list) or len(answer.data) != len(ids):
            raise SourceError(f"answered a batch of {len(ids)} ids with something else than {len(ids)} papers: {str(answer.data)[:120]!r}")
        return [(p if isinstance(p, dict) and isinstance(p.get("paperId"), str) else None, answer) for p in answer.data]

    def _lookup(self, kind: str, values: Sequence[str], references: bool) -> dict[str, Work]:
        if kind == "id":
            values = [v for v in values if self._valid(v)]
        if not values:
            return {}
        asked = [PREFIX[kind] + (bare_arxiv(v) if kind == "arxiv" else v) for v in values]
        fields = FIELDS + (",references.paperId" if references else "")
        out: dict[str, Work] = {}
        for value, (paper, answer) in zip(values, self._batch(asked, fields), strict=True):
            if paper and (work := self._work(paper, answer, references)) is not None:
                out[value] = work
        return out

    def _valid(self, paper_id: str) -> bool:
        if S2_PAPER.fullmatch(paper_id):
            return True
        self.note(f"{self.label}: did not ask for {paper_id[:40]!r}, which is not a Semantic Scholar paperId")
        return False

    def _search_title(self, paper: Paper, references: bool) -> Work | None:
        answer = self.http.get(f"{self.base_url}/paper/search/match", {"query": paper.title, "fields": "paperId,title,year"}, self.headers)
        hits = answer.data.get("data") if answer.status == 200 and isinstance(answer.data, dict) else None
        if not isinstance(hits, list) or not hits or not isinstance(hits[0], dict) or not isinstance(hits[0].get("paperId"), str):
            return None
        if not is_same_paper(paper, plain_text(str(hits[0].get("title") or "")), hits[0].get("year")):
            return None
        return self._lookup("id", [hits[0]["paperId"]], references).get(hits[0]["paperId"])

    def citing(self, ids: Sequence[str], since: Since | None = None) -> list[Work]:
        wanted = sorted({i for i in ids if self._valid(i)})
        works: dict[str, Work] = {}
        for done, cited in enumerate(wanted, 1):
            with self.about(f"listing the works that cite {self.named([cited])}"):
                works = merge_works(works, [_citing(w, cited) for w in self._citing_one(cited) if since is None or since.admits(w.date, w.year)])
            self.progress(f"{self.label}: works citing the dataset", done, len(wanted))
        return list(works.values())

    def _citing_one(self, cited: str) -> list[Work]:
        """The works citing one paper, page by page, up to the API's offset cap (see the module docstring)."""
        found: list[Work] = []
        offset = 0
        url = f"{self.base_url}/paper/{quote(cited, safe='')}/citations"
        while True:
            limit = min(PAGE, OFFSET_CAP - offset)
            if limit <= 0:
                self.note(f"{self.label}: {self.named([cited])} has more citing works than its API lists (offset + limit < 10,000); kept the first {offset}")
                return found
            try:
                answer = self.http.get(url, {"fields": CITING_FIELDS, "limit": limit, "offset": offset}, self.headers)
            except RequestRefused as exc:
                if exc.status != 400 or offset == 0:
                    raise
                self.note(f"{self.label}: refused the citations of {self.named([cited])} from offset {offset} ({exc}); kept the first {offset}")
                return found
            data = answer.data
            if answer.status == 404:
                return found
            if not isinstance(data, dict) or not isinstance(data.get("data"), list):
                raise SourceError(f"answered with something that is not a page of citations: {str(data)[:120]!r}")
            found += [w for item in data["data"] if _has_paper(item) and (w := self._work(item["citingPaper"], answer, False)) is not None]
            following = data.get("next")
            if not isinstance(following, int) or isinstance(following, bool) or following <= offset:
                return found
            offset = following


def _has_paper(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("citingPaper"), dict) and isinstance(item["citingPaper"].get("paperId"), str)


def _citing(work: Work, cited: str) -> Work:
    return replace(work, references=(cited,))

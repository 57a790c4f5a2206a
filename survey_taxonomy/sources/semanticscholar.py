"""Semantic Scholar's Graph API (https://api.semanticscholar.org/graph/v1): papers, references, citations, counts.

What this client relies on, as the API documentation (api.semanticscholar.org/api-docs/graph, as mirrored with
its examples in public repositories) and the `semanticscholar` client (github.com/danielnsilva/semanticscholar,
`AsyncSemanticScholar.get_papers`, `PaginatedResults`, recorded answers in `tests/data/`) show it:
- A paper has `paperId` (40 hex digits), `externalIds` (`ArXiv`, `DOI`, `CorpusId`, ...), `title`, `year`,
  `publicationDate`, `citationCount`, `authors[].name`, `abstract`, `tldr.text`; `fields=` names what to
  return, and `references.paperId` asks for the `paperId` of each reference.
- `POST /paper/batch?fields=...` with `{"ids": [...]}` (at most 500 ids; `ARXIV:<id>`, `DOI:<doi>` or a
  paperId) answers a list in the order of the ids, `null` for an id it does not know; an answer over 10 MB
  is refused with 400 "Response would exceed maximum size", and the batch is then asked for in halves.
- `GET /paper/{id}/citations?fields=...&offset=&limit=` (limit at most 1000) answers
  `{"offset", "next", "data": [{"citingPaper": {...}}]}`; `next` is absent after the last page.
- `GET /paper/search/match?query=<title>` answers `{"data": [{..., "matchScore"}]}` with the best title match,
  or 404 when there is none.
- An API key goes in the `x-api-key` header; without one, requests share a public rate limit and get 429s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from ..errors import SourceError
from ..records import Paper
from .base import Progress, ScholarlySource, Work, bare_arxiv, is_same_paper, merge_works
from .http import Answer, HttpClient, RequestRefused

FIELDS = "paperId,externalIds,title,year,publicationDate,citationCount,authors,abstract,tldr"
CITING_FIELDS = "paperId,externalIds,title,year,publicationDate"
PAGE = 1000
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

    def _work(self, paper: dict[str, Any], answer: Answer, references: bool) -> Work:
        ids: dict[str, Any] = paper["externalIds"] if isinstance(paper.get("externalIds"), dict) else {}
        tldr: dict[str, Any] = paper["tldr"] if isinstance(paper.get("tldr"), dict) else {}
        year, count = paper.get("year"), paper.get("citationCount")
        refs: list[Any] = paper["references"] if isinstance(paper.get("references"), list) else []
        return Work(
            source=self.name,
            id=paper["paperId"],
            title=paper.get("title") or "",
            year=year if isinstance(year, int) else None,
            date=paper.get("publicationDate") or "",
            doi=str(ids.get("DOI") or "").lower(),
            arxiv=str(ids.get("ArXiv") or ""),
            authors=tuple(a["name"] for a in paper.get("authors") or [] if isinstance(a, dict) and a.get("name")),
            abstract=str(paper.get("abstract") or ""),
            tldr=str(tldr.get("text") or ""),
            citation_count=count if isinstance(count, int) else None,
            references=tuple(r["paperId"] for r in refs if isinstance(r, dict) and r.get("paperId")) if references else None,
            retrieved=answer.retrieved,
        )

    def _batch(self, ids: list[str], fields: str) -> list[tuple[dict[str, Any] | None, Answer]]:
        try:
            answer = self.http.post(f"{self.base_url}/paper/batch", {"fields": fields}, {"ids": ids}, self.headers)
        except RequestRefused as exc:
            if exc.status != 400 or len(ids) == 1:
                raise
            half = len(ids) // 2  # too large an answer: the same ids in two requests
            return self._batch(ids[:half], fields) + self._batch(ids[half:], fields)
        if not isinstance(answer.data, list) or len(answer.data) != len(ids):
            raise SourceError(f"Semantic Scholar answered a batch of {len(ids)} ids with something else than {len(ids)} papers: {str(answer.data)[:120]}")
        return [(p if isinstance(p, dict) and isinstance(p.get("paperId"), str) else None, answer) for p in answer.data]

    def _lookup(self, kind: str, values: Sequence[str], references: bool) -> dict[str, Work]:
        asked = [PREFIX[kind] + (bare_arxiv(v) if kind == "arxiv" else v) for v in values]
        fields = FIELDS + (",references.paperId" if references else "")
        return {value: self._work(paper, answer, references) for value, (paper, answer) in zip(values, self._batch(asked, fields), strict=True) if paper}

    def _search_title(self, paper: Paper, references: bool) -> Work | None:
        answer = self.http.get(f"{self.base_url}/paper/search/match", {"query": paper.title, "fields": "paperId,title,year"}, self.headers)
        hits = answer.data.get("data") if answer.status == 200 and isinstance(answer.data, dict) else None
        if not hits or not isinstance(hits[0], dict) or not isinstance(hits[0].get("paperId"), str):
            return None
        if not is_same_paper(paper, hits[0].get("title") or "", hits[0].get("year")):
            return None
        return self._lookup("id", [hits[0]["paperId"]], references).get(hits[0]["paperId"])

    def citing(self, ids: Sequence[str], since: date | None = None) -> list[Work]:
        wanted = sorted(set(ids))
        works: dict[str, Work] = {}
        for done, cited in enumerate(wanted, 1):
            params: dict[str, Any] = {"fields": CITING_FIELDS, "limit": PAGE, "offset": 0}
            while True:
                answer = self.http.get(f"{self.base_url}/paper/{cited}/citations", params, self.headers)
                data = answer.data
                if answer.status == 404:
                    break
                if not isinstance(data, dict) or not isinstance(data.get("data"), list):
                    raise SourceError(f"Semantic Scholar answered the citations of {cited} with something that is not a page of citations: {str(data)[:120]}")
                found = [self._work(item["citingPaper"], answer, False) for item in data["data"] if _has_paper(item)]
                works = merge_works(works, [_citing(w, cited) for w in found if _published_since(w, since)])
                if not isinstance(data.get("next"), int) or data["next"] <= params["offset"]:
                    break
                params["offset"] = data["next"]
            self.progress(f"{self.label}: works citing the dataset", done, len(wanted))
        return list(works.values())


def _has_paper(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("citingPaper"), dict) and isinstance(item["citingPaper"].get("paperId"), str)


def _citing(work: Work, cited: str) -> Work:
    return replace(work, references=(cited,))


def _published_since(work: Work, since: date | None) -> bool:
    if since is None:
        return True
    if work.date:
        return work.date >= since.isoformat()
    return work.year is not None and work.year >= since.year

"""OpenAlex (https://openalex.org): works, their `referenced_works`, who cites them, and their citation counts.

What this client relies on, as OpenAlex's documentation (github.com/ourresearch/openalex-docs) states it:
- A work (`api-entities/works/work-object/README.md`) has `id` ("https://openalex.org/W2741809807"), `doi`
  ("https://doi.org/10.7717/peerj.4375"), `ids` (openalex, doi, mag, pmid, ...), `title`, `publication_year`,
  `publication_date`, `referenced_works` (OpenAlex ids of the works it cites), `cited_by_count`,
  `authorships[].author.display_name` and `abstract_inverted_index` (word -> positions).
- Lists (`/works?filter=...`) answer `{"meta": {"count", "per_page", "next_cursor", ...}, "results": [...]}`;
  `select=` keeps only root-level fields; `per-page` is 1..200 (`get-lists-of-entities/paging.md`).
- Cursor paging: `cursor=*` starts, `meta.next_cursor` continues, and is null after the last page (`paging.md`).
- Filters: `doi:`, `openalex:` (alias of `ids.openalex`), `cites:` (works citing the given work),
  `title.search:`, `publication_year:`, `from_publication_date:YYYY-MM-DD`; values joined with `|` are ORed,
  "up to 100 values" per filter today (`filter-entity-lists.md`); we send at most 50, the limit the docs gave
  before, which keeps a URL short too. ArXiv papers carry DataCite DOIs `10.48550/arXiv.<id>`.
- The polite pool: `mailto=you@example.org` on each request (`rate-limits-and-authentication.md`); a 429 means
  the rate or the daily budget was exceeded. The e-mail is never cached (see `http`).

An arXiv preprint and its proceedings version may be two works in OpenAlex; the one found first (arXiv DOI,
DOI, title) is used, so its citations are those of that version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

from ..duplicates import normalise_title
from ..errors import SourceError
from ..records import Paper
from .base import Progress, ScholarlySource, Work, bare_arxiv, chunks, is_same_paper, merge_works
from .http import Answer, HttpClient

FIELDS = "id,doi,title,publication_year,publication_date,cited_by_count,authorships,abstract_inverted_index"
PAGE = 200
TITLE_HITS = 5
ARXIV_DOI = "10.48550/arxiv."


def short_id(url: str) -> str:
    """`https://openalex.org/W123` -> `W123`.

    >>> short_id("https://openalex.org/W2741809807")
    'W2741809807'
    """
    return url.rstrip("/").rsplit("/", 1)[-1]


def bare_doi(url: str | None) -> str:
    """The DOI of a `https://doi.org/...` link, lowercased (DOIs are case-insensitive).

    >>> bare_doi("https://doi.org/10.48550/arXiv.2211.17192")
    '10.48550/arxiv.2211.17192'
    """
    if not url:
        return ""
    return url.lower().removeprefix("https://doi.org/").removeprefix("http://doi.org/")


def abstract_text(index: dict[str, list[int]] | None) -> str:
    """The abstract rebuilt from OpenAlex's inverted index (word -> positions).

    >>> abstract_text({"small": [0], "models": [1, 3], "help": [2]})
    'small models help models'
    """
    if not index:
        return ""
    slots = sorted((pos, word) for word, positions in index.items() for pos in positions)
    return " ".join(word for _, word in slots)


class OpenAlex(ScholarlySource):
    name = "openalex"
    label = "OpenAlex"
    id_field = "openalex"
    batch_size = 50

    def __init__(self, http: HttpClient, base_url: str, progress: Progress | None = None, mailto: str = ""):
        super().__init__(http, base_url, progress)
        self.mailto = mailto

    def work_url(self, work_id: str) -> str:
        return f"https://openalex.org/{work_id}"

    def _pages(self, filter_: str, references: bool, per_page: int = PAGE) -> Iterator[tuple[dict[str, Any], Answer]]:
        """Every result of a filtered list, following `meta.next_cursor` until the last page."""
        params: dict[str, Any] = {"filter": filter_, "select": FIELDS + (",referenced_works" if references else ""), "per-page": per_page, "cursor": "*"}
        if self.mailto:
            params["mailto"] = self.mailto
        seen = 0
        while True:
            answer = self.http.get(f"{self.base_url}/works", params)
            data = answer.data
            if not isinstance(data, dict) or not isinstance(data.get("results"), list) or not isinstance(data.get("meta"), dict):
                raise SourceError(f"OpenAlex answered a list request with something that is not a list of works: {str(data)[:120]}")
            for result in data["results"]:
                if isinstance(result, dict) and isinstance(result.get("id"), str):
                    yield result, answer
            seen += len(data["results"])
            cursor = data["meta"].get("next_cursor")
            count = data["meta"].get("count")
            # A short page, or as many results as `count` says, is the last one: no request for the empty page after it.
            if not data["results"] or not cursor or len(data["results"]) < per_page or (isinstance(count, int) and seen >= count):
                return
            params["cursor"] = cursor

    def _work(self, result: dict[str, Any], answer: Answer, references: bool) -> Work:
        doi = bare_doi(result.get("doi"))
        authors = tuple(
            a["author"]["display_name"]
            for a in result.get("authorships") or []
            if isinstance(a, dict) and isinstance(a.get("author"), dict) and a["author"].get("display_name")
        )
        year = result.get("publication_year")
        count = result.get("cited_by_count")
        return Work(
            source=self.name,
            id=short_id(result["id"]),
            title=result.get("title") or "",
            year=year if isinstance(year, int) else None,
            date=result.get("publication_date") or "",
            doi=doi,
            arxiv=doi.removeprefix(ARXIV_DOI) if doi.startswith(ARXIV_DOI) else "",
            authors=authors,
            abstract=abstract_text(result.get("abstract_inverted_index")),
            citation_count=count if isinstance(count, int) else None,
            references=tuple(short_id(r) for r in result.get("referenced_works") or [] if isinstance(r, str)) if references else None,
            retrieved=answer.retrieved,
        )

    def _lookup(self, kind: str, values: Sequence[str], references: bool) -> dict[str, Work]:
        key_of: Callable[[Work], str]
        if kind == "id":
            filter_, key_of = "openalex:" + "|".join(values), lambda w: w.id
        else:
            dois = [f"{ARXIV_DOI}{bare_arxiv(v)}" if kind == "arxiv" else v.lower() for v in values]
            filter_ = "doi:" + "|".join(f"https://doi.org/{d}" for d in dois)
            asked = dict(zip(dois, values, strict=True))
            key_of = lambda w: asked.get(w.doi, "")  # noqa: E731
        out: dict[str, Work] = {}
        for result, answer in self._pages(filter_, references):
            work = self._work(result, answer, references)
            if key_of(work) and key_of(work) not in out:
                out[key_of(work)] = work
        return out

    def _search_title(self, paper: Paper, references: bool) -> Work | None:
        # normalise_title leaves only letters, digits and spaces: no `,` or `|` that would split the filter.
        filter_ = f"title.search:{normalise_title(paper.title)}" + (f",publication_year:{paper.year}" if paper.year else "")
        for n, (result, answer) in enumerate(self._pages(filter_, references, per_page=TITLE_HITS)):
            if n >= TITLE_HITS:  # only the first page: a later hit is no near-exact match either
                break
            work = self._work(result, answer, references)
            if is_same_paper(paper, work.title, work.year):
                return work
        return None

    def citing(self, ids: Sequence[str], since: date | None = None) -> list[Work]:
        batches = list(chunks(sorted(set(ids)), self.batch_size))
        works: dict[str, Work] = {}
        for done, batch in enumerate(batches, 1):
            filter_ = "cites:" + "|".join(batch) + (f",from_publication_date:{since.isoformat()}" if since else "")
            works = merge_works(works, [self._work(r, a, True) for r, a in self._pages(filter_, True)])
            self.progress(f"{self.label}: works citing the dataset", done, len(batches))
        return list(works.values())

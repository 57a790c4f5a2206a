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

- Merged works: "If you request an Entity using its OpenAlex ID, and that Entity has been merged into another
  Entity, you will be redirected to the Entity it has been merged into" (`get-single-entities/README.md`,
  301 to the canonical id). A list filtered by a merged id answers with the canonical work, so an id asked for
  and not answered is asked for alone, and its answer is keyed under the id asked for.

An arXiv preprint and its proceedings version may be two works in OpenAlex (the recorded ChemCrow answer:
the arXiv work has no `referenced_works`, the Nature Machine Intelligence one has 57); `resolve` joins them
(`base.join_versions`). Paging stops after `MAX_PAGES` pages with a note, whatever `next_cursor` says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from ..data.abstracts import plain_text
from ..data.duplicates import normalise_title
from ..data.records import Paper
from ..data.validation import OPENALEX_WORK
from ..errors import SourceError
from .base import Progress, ScholarlySource, Since, Work, as_list, bare_arxiv, chunks, is_same_paper, merge_works
from .http import Answer, HttpClient

FIELDS = "id,doi,title,publication_year,publication_date,cited_by_count,authorships,abstract_inverted_index"
PAGE = 200
MAX_PAGES = 50  # 10,000 works at 200 a page: more than any paper of the dataset is cited by, and a bound on a loop
TITLE_HITS = 5
ARXIV_DOI = "10.48550/arxiv."


def short_id(url: str) -> str:
    """`https://openalex.org/W123` -> `W123` (anything else after the prefix is kept, for `checked` to refuse).

    >>> short_id("https://openalex.org/W2741809807"), short_id("https://openalex.org/W1<b>x</b>")
    ('W2741809807', 'W1<b>x</b>')
    """
    prefix = "https://openalex.org/"
    return url[len(prefix) :] if url.startswith(prefix) else url.rstrip("/").rsplit("/", 1)[-1]


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

    def _params(self, params: dict[str, Any]) -> dict[str, Any]:
        return params | ({"mailto": self.mailto} if self.mailto else {})

    def _pages(self, filter_: str, references: bool, per_page: int = PAGE, max_pages: int = MAX_PAGES) -> Iterator[tuple[dict[str, Any], Answer]]:
        """Every result of a filtered list, following `meta.next_cursor` until the last page or `max_pages`."""
        params = self._params({"filter": filter_, "select": FIELDS + (",referenced_works" if references else ""), "per-page": per_page, "cursor": "*"})
        seen, cursors = 0, {"*"}
        for _ in range(max_pages):
            answer = self.http.get(f"{self.base_url}/works", params)
            data = answer.data
            if not isinstance(data, dict) or not isinstance(data.get("results"), list) or not isinstance(data.get("meta"), dict):
                raise SourceError(f"answered a list request with something that is not a list of works: {str(data)[:120]!r}")
            for result in data["results"]:
                if isinstance(result, dict) and isinstance(result.get("id"), str):
                    yield result, answer
            seen += len(data["results"])
            cursor = data["meta"].get("next_cursor")
            count = data["meta"].get("count")
            # A short page, or as many results as `count` says, is the last one: no request for the empty page after it.
            if not data["results"] or not isinstance(cursor, str) or len(data["results"]) < per_page or (isinstance(count, int) and seen >= count):
                return
            if cursor in cursors:
                self.note(f"{self.label}: a list answered the same cursor twice; kept the {seen} works before it ({filter_[:80]})")
                return
            cursors.add(cursor)
            params["cursor"] = cursor
        if max_pages > 1:
            self.note(f"{self.label}: stopped after {max_pages} pages ({seen} works) of one list; the rest is left out ({filter_[:80]})")

    def _work(self, result: dict[str, Any], answer: Answer, references: bool) -> Work | None:
        doi = bare_doi(result.get("doi") if isinstance(result.get("doi"), str) else None)
        authors = tuple(
            plain_text(str(a["author"]["display_name"]))
            for a in as_list(result.get("authorships"))
            if isinstance(a, dict) and isinstance(a.get("author"), dict) and a["author"].get("display_name")
        )
        year = result.get("publication_year")
        count = result.get("cited_by_count")
        day = result.get("publication_date")
        index = result.get("abstract_inverted_index")
        refs = as_list(result.get("referenced_works"))
        work = Work(
            source=self.name,
            id=short_id(result["id"]),
            title=plain_text(str(result.get("title") or "")),
            year=year if isinstance(year, int) and not isinstance(year, bool) else None,
            date=day if isinstance(day, str) else "",
            doi=doi,
            arxiv=doi.removeprefix(ARXIV_DOI) if doi.startswith(ARXIV_DOI) else "",
            authors=authors,
            abstract=abstract_text(index if isinstance(index, dict) else None),
            citation_count=count if isinstance(count, int) else None,
            references=tuple(short_id(r) for r in refs if isinstance(r, str)) if references else None,
            retrieved=answer.retrieved,
        )
        return self.checked(work, f"answer to {answer_context(result)}")

    def _lookup(self, kind: str, values: Sequence[str], references: bool) -> dict[str, Work]:
        key_of: Callable[[Work], str]
        if kind == "id":
            values = [v for v in values if self._valid(v)]
            filter_, key_of = "openalex:" + "|".join(values), lambda w: w.id if w.id in values else ""
        else:
            dois = [f"{ARXIV_DOI}{bare_arxiv(v)}" if kind == "arxiv" else v.lower() for v in values]
            filter_ = "doi:" + "|".join(f"https://doi.org/{d}" for d in dois)
            asked = dict(zip(dois, values, strict=True))
            key_of = lambda w: asked.get(w.doi, "")  # noqa: E731
        out: dict[str, Work] = {}
        if not values:
            return out
        for result, answer in self._pages(filter_, references):
            work = self._work(result, answer, references)
            if work is not None and key_of(work) and key_of(work) not in out:
                out[key_of(work)] = work
        if kind == "id":
            for merged in [v for v in values if v not in out]:  # answered under another id: ask for it alone
                if (work := self._single(merged, references)) is not None:
                    out[merged] = work
        return out

    def _valid(self, work_id: str) -> bool:
        if OPENALEX_WORK.fullmatch(work_id):
            return True
        self.note(f"{self.label}: did not ask for {work_id[:40]!r}, which is not an OpenAlex work id")
        return False

    def _single(self, work_id: str, references: bool) -> Work | None:
        """One work by id; a merged id is redirected by the API to the work it was merged into."""
        select = FIELDS + (",referenced_works" if references else "")
        answer = self.http.get(f"{self.base_url}/works/{quote(work_id, safe='')}", self._params({"select": select}))
        if answer.status == 404 or not isinstance(answer.data, dict) or not isinstance(answer.data.get("id"), str):
            return None
        work = self._work(answer.data, answer, references)
        if work is not None and work.id != work_id:
            self.note(f"{self.label}: {work_id} was merged into {work.id}; {work.id} is used")
        return work

    def _search_title(self, paper: Paper, references: bool) -> Work | None:
        # normalise_title leaves only letters, digits and spaces: no `,` or `|` that would split the filter.
        filter_ = f"title.search:{normalise_title(paper.title)}" + (f",publication_year:{paper.year}" if paper.year else "")
        for n, (result, answer) in enumerate(self._pages(filter_, references, per_page=TITLE_HITS, max_pages=1)):
            if n >= TITLE_HITS:  # only the first page: a later hit is no near-exact match either
                break
            work = self._work(result, answer, references)
            if work is not None and is_same_paper(paper, work.title, work.year):
                return work
        return None

    def citing(self, ids: Sequence[str], since: Since | None = None) -> list[Work]:
        batches = list(chunks(sorted({i for i in ids if self._valid(i)}), self.batch_size))
        works: dict[str, Work] = {}
        for done, batch in enumerate(batches, 1):
            # From 1 January of the bound's year: a preprint known by its year only is dated YYYY-01-01.
            filter_ = "cites:" + "|".join(batch) + (f",from_publication_date:{since.first_day.isoformat()}" if since else "")
            with self.about(f"listing the works that cite {self.named(batch)}"):
                found = [w for r, a in self._pages(filter_, True) if (w := self._work(r, a, True)) is not None]
            works = merge_works(works, [w for w in found if since is None or since.admits(w.date, w.year)])
            self.progress(f"{self.label}: works citing the dataset", done, len(batches))
        return list(works.values())


def answer_context(result: dict[str, Any]) -> str:
    """What a message says of a result: its title, clipped."""
    return repr(str(result.get("title") or "a work without title")[:60])

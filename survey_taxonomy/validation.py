"""Field rules for a paper, shared by the dataset check, `import`, the submission form and BibTeX paste.

Every rule returns `Problem`s naming the field and how to fix it; nothing here raises on bad input, so a
caller can show all problems at once and store nothing until there are none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from urllib.parse import urlsplit

from .model import RELATIONS, Paper, Problem

ARXIV_NEW = re.compile(r"^\d{4}\.\d{4,5}(v\d+)?$")
ARXIV_OLD = re.compile(r"^[a-z]+(-[a-z]+)*(\.[A-Z]{2})?/\d{7}(v\d+)?$")
DOI = re.compile(r"^10\.\d{4,9}/[^\s\"<>]+$")
KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_:.\-]{0,79}$")
HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|javascript:|\bon[a-z]+\s*=", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Text in which neither HTML nor CONTROL can match holds none of these: a cheap test that clears the common case.
_MARKUP_START = re.compile(r"[<=\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # "<" starts a tag, "=" ends `on...=`
_SCRIPT = re.compile("javascript:", re.IGNORECASE)  # the same flags as HTML, so the same Unicode case folding
# URLs that `check_url` accepts for certain (http(s), a plain host, no whitespace), matched without urlsplit.
PLAIN_URL = re.compile(r"(?i:https?)://[A-Za-z0-9.\-]+(?::[0-9]*)?(?:[/?#]\S*)?")
FIRST_YEAR = 1950
MAX_LENGTH = {
    "title": 300,
    "summary": 600,
    "note": 2000,
    "venue": 200,
    "booktitle": 300,
    "journal": 300,
    "why": 1000,
    "contact": 200,
    "author": 120,
    "url": 500,
    "code": 500,
    "topic": 80,
}
MAX_AUTHORS = 200


def last_allowed_year() -> int:
    """Papers may carry next year's date (camera-ready copies often do)."""
    return dt.date.today().year + 1


def is_arxiv_id(value: str) -> bool:
    """True for new-style (2401.01234v2) and old-style (cs.CL/0101001, hep-th/9901001) arXiv ids.

    >>> is_arxiv_id("2211.17192"), is_arxiv_id("cs.CL/0101001"), is_arxiv_id("arXiv:2211")
    (True, True, False)
    """
    return bool(ARXIV_NEW.match(value) or ARXIV_OLD.match(value))


def is_doi(value: str) -> bool:
    """True for a bare DOI (no `doi:` or resolver prefix).

    >>> is_doi("10.18653/v1/2023.acl-long.1"), is_doi("doi:10.1/x")
    (True, False)
    """
    return bool(DOI.match(value))


def check_url(value: str, field: str, where: dict) -> list[Problem]:
    """Only absolute http(s) URLs with a host: no javascript:, data: or relative links."""
    if PLAIN_URL.fullmatch(value):
        return []
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[x": an unclosed IPv6 host
        parts = urlsplit("")
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        return [Problem(f"{value[:60]!r} is not an http(s) URL", field=field, hint="paste a full link starting with https://", **where)]
    return []


def check_text(value: str, field: str, where: dict) -> list[Problem]:
    """Plain text only: no markup, no control characters, within the field's length limit."""
    problems = []
    limit = MAX_LENGTH.get(field, 2000)
    if len(value) > limit:
        problems.append(Problem(f"is {len(value)} characters long; the limit is {limit}", field=field, hint="shorten it", **where))
    if HTML.search(value):
        problems.append(Problem("contains HTML or script markup", field=field, hint="write plain text without <tags> or javascript:", **where))
    if CONTROL.search(value):
        problems.append(Problem("contains control characters", field=field, hint="remove invisible characters", **where))
    return problems


def _check_length(value: str, field: str, where: dict) -> list[Problem]:
    """`check_text` for a value already known to hold no markup and no control characters."""
    limit = MAX_LENGTH.get(field, 2000)
    if len(value) > limit:
        return [Problem(f"is {len(value)} characters long; the limit is {limit}", field=field, hint="shorten it", **where)]
    return []


def validate_paper(paper: Paper, taxonomy_ids: Collection[str] | None = None, *, source: str = "", strict: bool = True) -> list[Problem]:
    """Every problem of one paper; an empty list means it is valid.

    `strict` is for new papers (submissions, imports): year, a link and a summary are required. The
    shipped dataset is checked with `strict=False`, where an unknown year or link is a warning, since
    leaving out what no source shows is the honest record.

    >>> [p.field for p in validate_paper(Paper(key="x2024", title="T", authors=("A B",), year=1800, url="javascript:alert(1)"))]
    ['year', 'summary', 'url']
    """
    where = {"source": source, "line": paper.line, "key": paper.key}
    texts = (paper.title, *paper.authors, paper.venue, paper.booktitle, paper.journal, paper.summary, paper.note, *paper.topics, paper.url, paper.code)
    # A match inside one value is a match in the joined text, so when the joined text is clean every value is,
    # and only lengths are left to check.
    joined = "\n".join(texts)
    check_text_ = check_text if _MARKUP_START.search(joined) or _SCRIPT.search(joined) else _check_length
    problems: list[Problem] = []
    if not KEY.match(paper.key or ""):
        problems.append(
            Problem(
                f"key {paper.key!r} is not a valid citation key",
                field="key",
                hint="use letters, digits and _:.- starting with a letter, e.g. leviathan2023fast",
                **where,
            )
        )
    if not paper.title.strip():
        problems.append(Problem("is missing", field="title", hint="give the paper's full title", **where))
    problems += check_text_(paper.title, "title", where)
    if not paper.authors:
        problems.append(Problem("no author given", field="author", hint="list the authors as 'First Last and First Last'", **where))
    elif len(paper.authors) > MAX_AUTHORS:
        problems.append(Problem(f"{len(paper.authors)} authors; at most {MAX_AUTHORS}", field="author", hint="keep the first ones and add 'others'", **where))
    for name in paper.authors:
        if not any(ch.isalpha() for ch in name):
            problems.append(Problem(f"author {name[:40]!r} has no letters", field="author", hint="write names as 'First Last'", **where))
        problems += check_text_(name, "author", where)
    lenient = "error" if strict else "warning"
    if paper.year is None:
        problems.append(Problem("is missing", field="year", hint="give the year of publication, e.g. 2024", severity=lenient, **where))
    elif not FIRST_YEAR <= paper.year <= last_allowed_year():
        problems.append(Problem(f"{paper.year} is outside {FIRST_YEAR}..{last_allowed_year()}", field="year", hint="give the year of publication", **where))
    for field in ("venue", "booktitle", "journal", "summary", "note"):
        problems += check_text_(getattr(paper, field), field, where)
    for topic in paper.topics:
        problems += check_text_(topic, "topic", where)
    if strict and not paper.summary.strip():
        problems.append(Problem("is missing", field="summary", hint="say in one sentence what the paper does", **where))
    if paper.arxiv and not is_arxiv_id(paper.arxiv):
        problems.append(
            Problem(f"{paper.arxiv[:40]!r} is not an arXiv id", field="eprint", hint="write it like 2211.17192 or cs.CL/0101001, without 'arXiv:'", **where)
        )
    if paper.doi and not is_doi(paper.doi):
        problems.append(
            Problem(f"{paper.doi[:40]!r} is not a DOI", field="doi", hint="write it like 10.18653/v1/2023.acl-long.1, without https://doi.org/", **where)
        )
    for field in ("url", "code"):
        if getattr(paper, field):
            problems += check_url(getattr(paper, field), field, where) or check_text_(getattr(paper, field), field, where)
    if not (paper.url or paper.arxiv or paper.doi):
        problems.append(Problem("no link: give a URL, an arXiv id or a DOI", field="url", hint="add one way to find the paper", severity=lenient, **where))
    if paper.relation not in RELATIONS:
        problems.append(Problem(f"relation {paper.relation!r} is unknown", field="relation", hint="use one of " + ", ".join(RELATIONS), **where))
    if taxonomy_ids is not None:
        for node in paper.taxonomy:
            if node not in taxonomy_ids:
                problems.append(
                    Problem(f"taxonomy node {node!r} does not exist", field="taxonomy", hint="pick an id from `python -m survey_taxonomy taxonomy`", **where)
                )
    return problems

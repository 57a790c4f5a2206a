"""Field rules for a paper, shared by the dataset check, `import`, the submission form and BibTeX paste.

Every rule returns `Problem`s naming the field and how to fix it; nothing here raises on bad input, so a
caller can show all problems at once and store nothing until there are none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import replace
from urllib.parse import quote, urlsplit, urlunsplit

from .records import CODE_KINDS, RELATIONS, Paper, Problem, Severity, Where

# The grammars below are matched whole (`fullmatch`): `$` would also accept a value ending in a newline.
# arXiv: new style `YYMM.NNNN(N)(vN)`; old style `archive(.SUB)/YYMMNNN(vN)`, e.g. hep-th/9901001, math.AG/0101001.
ARXIV_NEW = re.compile(r"\d{4}\.\d{4,5}(?:v\d+)?")
ARXIV_OLD = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?")
# DOI: `10.<registrant>/<suffix>` with Crossref's recommended suffix characters (letters, digits and -._;()/:),
# which cover nearly every registered DOI and leave out what could end a BibTeX value or a Markdown link
# target: whitespace, braces, quotes, commas, `=`, `<>`, `[]`, `#`, `%`, backslash.
DOI = re.compile(r"10\.\d{4,9}/[-._;()/:A-Za-z0-9]+")
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_:.\-]{0,79}")
# Work ids of the scholarly sources (sources/): OpenAlex `W` + digits, Semantic Scholar's 40-hex paperId.
OPENALEX_WORK = re.compile(r"W\d{1,12}")
S2_PAPER = re.compile(r"[0-9a-f]{40}")
HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|javascript:|\bon[a-z]+\s*=", re.IGNORECASE)
# C0 controls but tab, LF, CR; DEL; and lone surrogates, which no UTF-8 file or database can store.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Bidi embeddings/overrides/isolates and zero-width characters: invisible, they make a text read otherwise
# than it is stored (a reversed file name, a title that duplicates another one while looking different).
INVISIBLE = re.compile("[\u200b-\u200d\u2060\u202a-\u202e\u2066-\u2069\ufeff]")
# Text in which neither HTML, CONTROL nor INVISIBLE can match holds none of these: a cheap test that clears the
# common case ("<" starts a tag, "=" ends `on...=`).
_MARKUP_START = re.compile("[<=\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_SCRIPT = re.compile("javascript:", re.IGNORECASE)  # the same flags as HTML, so the same Unicode case folding
# What a rebuilt URL keeps unquoted besides letters, digits and -._~ : RFC 3986's delimiters without the
# characters that end a Markdown link or a BibTeX value, i.e. ( ) [ ] { } < > " ' ` \\ | ^ and spaces.
_URL_SAFE = "/:@!$&*+,;=%~"
_URL_HOST = re.compile(r"[a-z0-9_.\-]+|[0-9a-f:.]+")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ARXIV_PREFIX = re.compile(r"^(?:arxiv:\s*|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
FIRST_YEAR = 1950
MAX_LENGTH = {
    "title": 300,
    "summary": 600,
    "abstract": 5000,
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

    >>> is_arxiv_id("2211.17192"), is_arxiv_id("cs.CL/0101001"), is_arxiv_id("arXiv:2211"), is_arxiv_id("2211.17192\\n")
    (True, True, False, False)
    """
    return bool(ARXIV_NEW.fullmatch(value) or ARXIV_OLD.fullmatch(value))


def is_doi(value: str) -> bool:
    """True for a bare DOI (no `doi:` or resolver prefix) made of the characters `DOI` allows.

    >>> is_doi("10.18653/v1/2023.acl-long.1"), is_doi("doi:10.1/x"), is_doi("10.5555/inj},url={javascript:alert(1)}")
    (True, False, False)
    """
    return bool(DOI.fullmatch(value))


def normalise_arxiv_id(value: str) -> str:
    """The bare id from what people paste (`arXiv:` prefix, abs or pdf link); anything else comes back stripped,
    for `validate_paper` to judge. The version stays: it is part of what the submitter gave.

    >>> normalise_arxiv_id(" arXiv:2211.17192v2 "), normalise_arxiv_id("https://arxiv.org/pdf/2211.17192.pdf")
    ('2211.17192v2', '2211.17192')
    """
    text = _ARXIV_PREFIX.sub("", value.strip())
    return text[:-4] if text.lower().endswith(".pdf") else text


def normalise_doi(value: str) -> str:
    """The bare DOI from a doi.org link or a `doi:` prefix.

    >>> normalise_doi("https://doi.org/10.1145/3616855.3635825")
    '10.1145/3616855.3635825'
    """
    return _DOI_PREFIX.sub("", value.strip())


def arxiv_key(value: str) -> str:
    """The form in which two arXiv ids are compared: every version of a paper is the same paper.

    >>> arxiv_key("2501.00001v2") == arxiv_key("arXiv:2501.00001"), arxiv_key("")
    (True, '')
    """
    return re.sub(r"v\d+$", "", normalise_arxiv_id(value).lower())


def doi_key(value: str) -> str:
    """The form in which two DOIs are compared: DOIs are case-insensitive (the DOI Handbook, 2.4).

    >>> doi_key("10.18653/V1/X") == doi_key("https://doi.org/10.18653/v1/x")
    True
    """
    return normalise_doi(value).lower()


def clean_url(value: str) -> str | None:
    """The URL parsed and rebuilt from its parts, or None unless it is an absolute http(s) URL with a host.

    Refused: other schemes (javascript:, data:), relative links, whitespace or control characters, a user or
    password before the host (`https://good.org@evil.example` goes to evil.example), a bad port. The rebuilt
    URL has a lowercase scheme and host and percent-quotes every character that could end a Markdown link or a
    BibTeX value, so it can be written anywhere as it is.

    >>> clean_url("HTTPS://Example.org/p1)![px](https://evil.example/x.png")
    'https://example.org/p1%29!%5Bpx%5D%28https://evil.example/x.png'
    >>> clean_url("javascript:alert(1)") is None, clean_url("https://good.org@evil.example/") is None
    (True, True)
    """
    if not value or any(c.isspace() or not c.isprintable() for c in value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:  # e.g. "http://[x" (an unclosed IPv6 host) or a port that is not a number
        return None
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username is not None or parts.password is not None:
        return None
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    if not _URL_HOST.fullmatch(host):
        return None
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")

    def _quoted(part: str) -> str:
        return quote(_STRAY_PERCENT.sub("%25", part), safe=_URL_SAFE + "?")

    return urlunsplit((parts.scheme.lower(), netloc, _quoted(parts.path), _quoted(parts.query), _quoted(parts.fragment)))


def with_clean_links(paper: Paper) -> Paper:
    """The paper with its `url` and `code` rebuilt by `clean_url` (left as they are when they do not parse, for
    `validate_paper` to report). New papers go through this before they are checked and stored."""
    url, code = clean_url(paper.url) or paper.url, clean_url(paper.code) or paper.code
    return replace(paper, url=url, code=code) if (url, code) != (paper.url, paper.code) else paper


def check_url(value: str, field: str, where: Where) -> list[Problem]:
    """Only absolute http(s) URLs with a host: no javascript:, data: or relative links (see `clean_url`)."""
    if clean_url(value) is None:
        return [Problem(f"{value[:60]!r} is not an http(s) URL", field=field, hint="paste a full link starting with https://", **where)]
    return []


def check_text(value: str, field: str, where: Where) -> list[Problem]:
    """Plain text only: no markup, no control or invisible characters, within the field's length limit."""
    problems = _check_length(value, field, where)
    if HTML.search(value):
        problems.append(Problem("contains HTML or script markup", field=field, hint="write plain text without <tags> or javascript:", **where))
    if CONTROL.search(value):
        problems.append(Problem("contains control characters or lone surrogates", field=field, hint="remove invisible characters", **where))
    if found := INVISIBLE.search(value):
        problems.append(
            Problem(
                f"contains the invisible bidi or zero-width character U+{ord(found.group()):04X}",
                field=field,
                hint="retype the text without invisible direction or joiner characters",
                **where,
            )
        )
    return problems


def _check_length(value: str, field: str, where: Where) -> list[Problem]:
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
    where: Where = {"source": source, "line": paper.line, "key": paper.key}
    texts = (paper.title, *paper.authors, paper.venue, paper.booktitle, paper.journal, paper.summary, paper.note, *paper.topics, paper.url, paper.code)
    # A match inside one value is a match in the joined text, so when the joined text is clean every value is,
    # and only lengths are left to check.
    joined = "\n".join(texts)
    check_text_ = check_text if _MARKUP_START.search(joined) or _SCRIPT.search(joined) else _check_length
    problems: list[Problem] = []
    if not KEY.fullmatch(paper.key or ""):
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
    lenient: Severity = "error" if strict else "warning"
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
    for field, grammar, example in (("openalex", OPENALEX_WORK, "W2741809807"), ("s2", S2_PAPER, "649def34f8be52c8b66281af98ae884c09aef38b")):
        if getattr(paper, field) and not grammar.fullmatch(getattr(paper, field)):
            problems.append(Problem(f"{getattr(paper, field)[:60]!r} is not a work id", field=field, hint=f"write it like {example}", **where))
    for field in ("url", "code"):
        if getattr(paper, field):
            problems += check_url(getattr(paper, field), field, where) or check_text_(getattr(paper, field), field, where)
    if not (paper.url or paper.arxiv or paper.doi):
        problems.append(Problem("no link: give a URL, an arXiv id or a DOI", field="url", hint="add one way to find the paper", severity=lenient, **where))
    if paper.relation not in RELATIONS:
        problems.append(Problem(f"relation {paper.relation!r} is unknown", field="relation", hint="use one of " + ", ".join(RELATIONS), **where))
    if paper.code_kind and (paper.code_kind not in CODE_KINDS or not paper.code):
        hint = "use one of " + ", ".join(CODE_KINDS) + ", with a code link" if paper.code else "add the code link, or remove codekind"
        problems.append(Problem(f"codekind {paper.code_kind!r} is not a kind of code link", field="codekind", hint=hint, **where))
    if taxonomy_ids is not None:
        for node in paper.taxonomy:
            if node not in taxonomy_ids:
                problems.append(
                    Problem(f"taxonomy node {node!r} does not exist", field="taxonomy", hint="pick an id from `python -m survey_taxonomy taxonomy`", **where)
                )
    return problems

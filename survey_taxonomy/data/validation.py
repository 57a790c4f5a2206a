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
from .schema import FIELDS

# The grammars below are matched whole (`fullmatch`): `$` would also accept a value ending in a newline.
# arXiv (arxiv.org/help/arxiv_identifier): new style `YYMM.NNNN(N)(vN)` since April 2007, with five digits since
# January 2015; old style `archive(.SUB)/YYMMNNN(vN)`, e.g. hep-th/9901001, math.AG/0101001, from August 1991 to
# March 2007. `arxiv_id_problem` checks the month and the era; the patterns only the shape.
ARXIV_NEW = re.compile(r"(?P<yymm>\d{4})\.(?P<number>\d{4,5})(?:v[1-9]\d*)?")
ARXIV_OLD = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/(?P<yymm>\d{4})(?P<number>\d{3})(?:v[1-9]\d*)?")
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
# Characters that show nothing: every format character (Unicode category Cf: bidi marks, embeddings, overrides and
# isolates, zero-width spaces and joiners, the soft hyphen, invisible operators, tags, ...) and the fillers that
# render as blank (combining grapheme joiner, Hangul and Khmer fillers). They make a text read otherwise than it is
# stored: a reversed file name, a title that duplicates another one while looking different.
_INVISIBLE_CLASS = (
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
INVISIBLE = re.compile(f"[{_INVISIBLE_CLASS}]")
# Text in which neither HTML, CONTROL nor INVISIBLE can match holds none of these: a cheap test that clears the
# common case ("<" starts a tag, "=" ends `on...=`).
_MARKUP_START = re.compile(f"[<=\x00-\x08\x0b\x0c\x0e-\x1f\x7f{_INVISIBLE_CLASS}\ud800-\udfff]")
_SCRIPT = re.compile("javascript:", re.IGNORECASE)  # the same flags as HTML, so the same Unicode case folding
# What a rebuilt URL keeps unquoted besides letters, digits and -._~ : RFC 3986's delimiters without the
# characters that end a Markdown link or a BibTeX value, i.e. ( ) [ ] { } < > " ' ` \\ | ^ and spaces.
_URL_SAFE = "/:@!$&*+,;=%~"
_URL_HOST = re.compile(r"[a-z0-9_.\-]+|[0-9a-f:.]+")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ARXIV_PREFIX = re.compile(r"^(?:arxiv:\s*|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
FIRST_YEAR = 1950
# Per value (per name for authors, per item for lists): the field table's limits, by BibTeX name as problems name
# fields, and those of what only submissions carry.
MAX_LENGTH = {spec.bibtex: spec.max_chars for spec in FIELDS if spec.bibtex} | {"abstract": 5000, "why": 1000, "contact": 200}
MAX_AUTHORS = 200
# How many values a list field may hold: a paper sits under a few taxonomy nodes and has a few topics (the dataset's
# most are 2 and 3); 150,000 topics in one submission is a flood, not a paper.
MAX_ITEMS = {"taxonomy": 5, "topic": 20, "cites": 300}
# BibTeX's standard entry types, and biblatex's that are common in pasted entries.
ENTRY_TYPES: tuple[str, ...] = (
    "article",
    "inproceedings",
    "incollection",
    "misc",
    "techreport",
    "phdthesis",
    "mastersthesis",
    "book",
    "inbook",
    "proceedings",
    "unpublished",
    "online",
    "report",
    "thesis",
)


def _is_day(value: str) -> bool:
    """Whether `value` is a real calendar day written YYYY-MM-DD.

    >>> _is_day("2026-12-06"), _is_day("2026-02-30"), _is_day("6 Dec 2026")
    (True, False, False)
    """
    try:
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None and dt.date.fromisoformat(value) is not None
    except ValueError:
        return False


def last_allowed_year() -> int:
    """Papers may carry next year's date (camera-ready copies often do)."""
    return dt.date.today().year + 1


def arxiv_id_problem(value: str, today: dt.date | None = None) -> str:
    """Why `value` cannot be an arXiv id, or "" when it can: the shape, a month that exists, a date within the id
    scheme's era (new style since 0704, old style 9108 to 0703, none after this month), the number of digits of
    that date (five since 1501), a number above zero.

    >>> arxiv_id_problem("2211.17192"), arxiv_id_problem("hep-th/9901001")
    ('', '')
    >>> arxiv_id_problem("9999.99999")
    'its month 99 does not exist (an arXiv id starts with the year and month, YYMM)'
    """
    today = today or dt.date.today()
    new, old = ARXIV_NEW.fullmatch(value), ARXIV_OLD.fullmatch(value)
    found = new or old
    if found is None:
        return "it is not shaped like an arXiv id"
    yymm, number = found["yymm"], found["number"]
    if not 1 <= int(yymm[2:]) <= 12:
        return f"its month {yymm[2:]} does not exist (an arXiv id starts with the year and month, YYMM)"
    century = "19" if old and yymm >= "91" else "20"
    month = century + yymm
    first, last = ("200704", f"{today:%Y%m}") if new else ("199108", "200703")
    if not first <= month <= last:
        era = f"from 0704 to {today:%y%m}" if new else "from 9108 to 0703 for this older style"
        return f"its date {yymm} (YYMM) is outside the ids arXiv has given, {era}"
    if new and len(number) != (5 if month >= "201501" else 4):
        return f"ids of {yymm} have {5 if month >= '201501' else 4} digits after the dot"
    if int(number) == 0:
        return "its number is zero"
    return ""


def is_arxiv_id(value: str) -> bool:
    """True for new-style (2401.01234v2) and old-style (cs.CL/0101001, hep-th/9901001) arXiv ids that arXiv can
    have given (see `arxiv_id_problem`).

    >>> is_arxiv_id("2211.17192"), is_arxiv_id("cs.CL/0101001"), is_arxiv_id("arXiv:2211"), is_arxiv_id("2211.17192\\n")
    (True, True, False, False)
    >>> is_arxiv_id("9999.99999"), is_arxiv_id("2213.17192"), is_arxiv_id("2211.1719")
    (False, False, False)
    """
    return not arxiv_id_problem(value)


def is_doi(value: str) -> bool:
    """True for a bare DOI (no `doi:` or resolver prefix) made of the characters `DOI` allows, with balanced
    parentheses: a `)` without its `(` would end a Markdown link early, which would then go to another DOI.

    >>> is_doi("10.18653/v1/2023.acl-long.1"), is_doi("doi:10.1/x"), is_doi("10.5555/inj},url={javascript:alert(1)}")
    (True, False, False)
    >>> is_doi("10.1016/S0140-6736(20)30183-5"), is_doi("10.1000/abc)x"), is_doi("10.1000/a(b")
    (True, False, False)
    """
    if not DOI.fullmatch(value):
        return False
    depth = 0
    for char in value:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def doi_url(doi: str) -> str:
    """The doi.org link of a DOI, with every character that could end a link or change its meaning percent-encoded.

    >>> doi_url("10.1016/S0140-6736(20)30183-5")
    'https://doi.org/10.1016/S0140-6736%2820%2930183-5'
    """
    return "https://doi.org/" + quote(doi, safe="/:;._-")


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
    for field, values in (("topic", paper.topics), ("taxonomy", paper.taxonomy)):
        if len(values) > MAX_ITEMS[field]:
            problems.append(
                Problem(f"{len(values)} {field} values; at most {MAX_ITEMS[field]}", field=field, hint=f"keep the {MAX_ITEMS[field]} that fit best", **where)
            )
    for topic in paper.topics[: MAX_ITEMS["topic"]]:
        problems += check_text_(topic, "topic", where)
    if paper.entry_type not in ENTRY_TYPES:
        hint = "use one of " + ", ".join(ENTRY_TYPES)
        problems.append(Problem(f"{paper.entry_type[:30]!r} is not a BibTeX entry type", field="entry_type", hint=hint, severity=lenient, **where))
    if strict and not paper.summary.strip():
        problems.append(Problem("is missing", field="summary", hint="say in one sentence what the paper does", **where))
    for field, value in (("eprint", paper.arxiv), ("doi", paper.doi)):
        problems += _check_length(value, field, where)
    if paper.arxiv and not is_arxiv_id(paper.arxiv):
        problems.append(
            Problem(
                f"{paper.arxiv[:40]!r} is not an arXiv id: {arxiv_id_problem(paper.arxiv)}",
                field="eprint",
                hint="copy the id from the paper's arXiv page, like 2211.17192 or cs.CL/0101001, without 'arXiv:'",
                **where,
            )
        )
    if paper.doi and not is_doi(paper.doi):
        problems.append(
            Problem(
                f"{paper.doi[:40]!r} is not a DOI" + (": its parentheses do not pair up" if DOI.fullmatch(paper.doi) else ""),
                field="doi",
                hint="copy the DOI from the paper's page, like 10.18653/v1/2023.acl-long.1, without the doi.org address",
                **where,
            )
        )
    if paper.added and not _is_day(paper.added):
        problems.append(Problem(f"{paper.added[:20]!r} is not a day", field="added", hint="write the day the paper entered the atlas as YYYY-MM-DD", **where))
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
        for node in paper.taxonomy[: MAX_ITEMS["taxonomy"]]:
            if node not in taxonomy_ids:
                problems.append(
                    Problem(
                        f"taxonomy node {node!r} does not exist",
                        field="taxonomy",
                        hint="use an id of the survey's taxonomy, as the Taxonomy page lists them",
                        **where,
                    )
                )
    return problems

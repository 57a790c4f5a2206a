"""Submissions of new papers: read, check, store, review, and merge into the dataset.

Terms:
- *payload*: what a submitter sends, as the form's fields (`FIELDS`); the CLI's JSON has the same shape.
- *draft*: one paper read from a payload or a pasted BibTeX entry, not yet checked or stored.
- *submission*: a stored draft with its payload, the BibTeX it would add, a status (`pending`, `approved`,
  `rejected`), timestamps, the reviewer and the review note. Approved submissions join the corpus at once
  as `relation = community`; `SubmissionStore.merge` later writes them into `papers.bib` for a git review,
  and marks them merged so they are never written twice.
- *session*: whoever submits, stored only as a hash of an opaque id (a browser session, "cli"); no IPs.
- *version*: a number that grows whenever the set of approved papers changes, for caches to key on.

Every problem of a submission is returned at once as `Problem` data, and nothing is stored unless all
papers of a submission are valid and none is an exact duplicate (same arXiv id, DOI or title) of the
dataset or of a pending submission; near-duplicate titles are reported as warnings for the reviewer.
Storage is SQLAlchemy Core: SQLite (WAL, busy timeout, `BEGIN IMMEDIATE` for writes) by default,
PostgreSQL (`postgresql+psycopg://`) for deployments with several app replicas. Writes take one lock
(SQLite's write lock, a PostgreSQL advisory lock) so that duplicate checks, rate limits and key choices
see every earlier submission.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import string
import threading
import unicodedata
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Engine, Index, Integer, MetaData, String, Table, Text, create_engine, event, func, inspect, select, text, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from .arxiv import normalise_arxiv_id
from .bibliography import append_papers, format_bibtex, parse_bibtex
from .config import Settings
from .corpus import Corpus, load_corpus
from .duplicates import DuplicateIndex, Match
from .errors import SubmissionError
from .model import Paper, Problem
from .validation import check_text, validate_paper

STATUSES = ("pending", "approved", "rejected")
DECISIONS = {"approve": "approved", "reject": "rejected"}
FIELDS: dict[str, str] = {
    "title": "Title",
    "authors": "Authors",
    "year": "Year",
    "venue": "Venue",
    "arxiv": "arXiv id",
    "doi": "DOI",
    "url": "URL",
    "code": "Code URL",
    "taxonomy": "Taxonomy node",
    "facets": "Facets",
    "summary": "One-sentence summary",
    "why": "Why it belongs there",
    "contact": "Contact",
}
# Fields kept from pasted BibTeX (and accepted in JSON) that the form does not ask for.
EXTRA_FIELDS = ("booktitle", "journal", "entry_type", "note", "cites")
# Other spellings accepted in JSON, e.g. from `export --format json`; `key` and `relation` are always ours.
ALIASES = {"topics": "facets", "topic": "facets", "author": "authors", "eprint": "arxiv"}
IGNORED = ("key", "relation")
ENTRY_TYPES = ("article", "inproceedings", "incollection", "misc", "techreport", "phdthesis", "mastersthesis", "book", "inbook", "proceedings", "unpublished")
ENTRY_TYPES += ("online", "report", "thesis")  # biblatex's, common in pasted entries
# validate_paper speaks BibTeX field names; the form and JSON use these.
_FORM_FIELD = {"author": "authors", "eprint": "arxiv", "topic": "facets"}
MAX_INPUT_CHARS = 200_000
MAX_PAPERS = 50
MAX_DOI = 200
PLACEHOLDER_KEY = "submission"
BUSY_TIMEOUT_MS = 30_000
_LOCK_ID = 4_242_001  # the PostgreSQL advisory lock that serialises writers
_WRITE = "survey_write"
_STOPWORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "when", "towards", "toward", "via"}
    | {"is", "are", "do", "does", "can", "be", "by", "from", "at"}
)
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
_AUTHOR_SEPARATOR = re.compile(r"\n|;|\s+and\s+", re.IGNORECASE)
_FACET_SEPARATOR = re.compile(r"[;\n]")
_COMMA = re.compile(",")
# A validation message that only says a field is empty; redundant when the field already has a problem.
_ABSENT = ("is missing", "no author given", "no taxonomy node")
_AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp|www)|@")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


@dataclass(frozen=True)
class Draft:
    """A paper about to be submitted, with what only reviewers see (`why`, `contact`).

    `label` names the draft in messages (the BibTeX key the submitter gave); `form` says whether problems
    should use the form's field names (`authors`, `arxiv`, `facets`) or BibTeX's.
    """

    paper: Paper
    why: str = ""
    contact: str = ""
    source: str = "form"
    label: str = ""
    form: bool = True


@dataclass(frozen=True)
class Submission:
    """One stored submission (a row of the `submissions` table)."""

    id: int
    key: str
    status: str
    title: str
    payload: dict[str, Any]
    bibtex: str
    source: str
    created_at: dt.datetime
    reviewed_at: dt.datetime | None = None
    reviewer: str = ""
    review_note: str = ""
    merged_at: dt.datetime | None = None

    @property
    def draft(self) -> Draft:
        drafts, _ = read_payload(self.payload, f"submission #{self.id}")
        return drafts[0]

    @property
    def paper(self) -> Paper:
        """The paper under its assigned key, as the corpus shows it."""
        return replace(self.draft.paper, key=self.key, relation="community")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for `submissions list --format json`."""
        stamp = {name: value.isoformat() + "Z" if value else None for name, value in (("created_at", self.created_at), ("reviewed_at", self.reviewed_at))}
        return {
            "id": self.id,
            "key": self.key,
            "status": self.status,
            "title": self.title,
            **stamp,
            "reviewer": self.reviewer,
            "review_note": self.review_note,
            "merged": self.merged_at is not None,
            "payload": self.payload,
            "bibtex": self.bibtex,
        }


@dataclass(frozen=True)
class SubmitResult:
    """What `SubmissionStore.submit` did: the stored submissions, or none and the errors that stopped it."""

    submissions: tuple[Submission, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return bool(self.submissions)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


# --- reading payloads and BibTeX -------------------------------------------------------------------


def _text(payload: Mapping[str, Any], name: str, where: dict) -> tuple[str, list[Problem]]:
    value = payload.get(name)
    if value is None:
        return "", []
    if isinstance(value, str):
        return " ".join(value.split()) if name != "why" else value.strip(), []
    return "", [Problem(f"must be text, not {type(value).__name__}", field=name, hint="send a string", **where)]


def _list(payload: Mapping[str, Any], name: str, separator: re.Pattern, where: dict) -> tuple[list[str], list[Problem]]:
    """A list field given as a list of strings or as one string; every item is split on `separator`."""
    value = payload.get(name)
    if value is None:
        return [], []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        return [], [Problem(f"must be a list of strings or one string, not {type(value).__name__}", field=name, hint='send e.g. ["a", "b"]', **where)]
    out = [" ".join(part.split()) for item in items for part in separator.split(item)]
    return [part for part in out if part], []


def _year(payload: Mapping[str, Any], where: dict) -> tuple[int | None, list[Problem]]:
    value = payload.get("year")
    if value is None or value == "":
        return None, []
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value, []
    if isinstance(value, str) and re.fullmatch(r"\d{4}", value.strip()):
        return int(value), []
    return None, [Problem(f"{str(value)[:40]!r} is not a year", field="year", hint="write the year of publication as four digits, e.g. 2024", **where)]


def normalise_doi(value: str) -> str:
    """The bare DOI from a doi.org link or a `doi:` prefix.

    >>> normalise_doi("https://doi.org/10.1145/3616855.3635825")
    '10.1145/3616855.3635825'
    """
    return _DOI_PREFIX.sub("", value.strip())


def read_payload(payload: object, source: str = "form") -> tuple[list[Draft], list[Problem]]:
    """Drafts from one payload (a mapping of the form's fields) or a list of them; shape problems as data.

    >>> drafts, problems = read_payload({"title": "T", "authors": "Ada Lovelace; Alan Turing", "year": "2024", "arxiv": "arXiv:2401.00001"})
    >>> drafts[0].paper.authors, drafts[0].paper.year, drafts[0].paper.arxiv, problems
    (('Ada Lovelace', 'Alan Turing'), 2024, '2401.00001', [])
    """
    if isinstance(payload, list):
        if not payload:
            return [], [Problem("no paper in the input", source, hint="send one object with the form's fields, or a list of them")]
        drafts, problems = [], []
        for i, item in enumerate(payload, 1):
            if not isinstance(item, Mapping):
                problems.append(Problem(f"item {i} is not an object but {type(item).__name__}", source, hint="send a list of objects with the form's fields"))
                continue
            item_drafts, item_problems = read_payload(item, f"{source} item {i}")
            drafts += item_drafts
            problems += item_problems
        return drafts, problems
    if not isinstance(payload, Mapping):
        return [], [
            Problem(f"expected an object with the form's fields, got {type(payload).__name__}", source, hint='send e.g. {"title": ..., "authors": [...]}')
        ]
    where = {"source": source}
    problems: list[Problem] = []
    known = set(FIELDS) | set(EXTRA_FIELDS)
    data: dict[str, Any] = {}
    for name, value in payload.items():
        canonical = ALIASES.get(name, name)
        if canonical in known:
            data[canonical] = value
        elif name not in IGNORED:
            problems.append(Problem("unknown field", field=str(name)[:40], hint="use only " + ", ".join([*FIELDS, *EXTRA_FIELDS]), **where))
    values: dict[str, str] = {}
    for name in ("title", "venue", "arxiv", "doi", "url", "code", "summary", "why", "contact", "booktitle", "journal", "entry_type", "note"):
        values[name], found = _text(data, name, where)
        problems += found
    authors, found = _list(data, "authors", _AUTHOR_SEPARATOR, where)
    authors = [" ".join(reversed(a.split(", "))) if a.count(", ") == 1 else a for a in authors]  # "Last, First"
    problems += found
    taxonomy, found = _list(data, "taxonomy", _COMMA, where)
    problems += found
    facets, found = _list(data, "facets", _FACET_SEPARATOR, where)
    problems += found
    cites, found = _list(data, "cites", _COMMA, where)
    problems += found
    year, found = _year(data, where)
    problems += found
    paper = Paper(
        key=PLACEHOLDER_KEY,
        title=values["title"],
        authors=tuple(authors),
        year=year,
        venue=values["venue"],
        booktitle=values["booktitle"],
        journal=values["journal"],
        entry_type=values["entry_type"].lower() or ("article" if values["journal"] else "inproceedings" if values["booktitle"] else "misc"),
        arxiv=normalise_arxiv_id(values["arxiv"]),
        doi=normalise_doi(values["doi"]),
        url=values["url"],
        code=values["code"],
        taxonomy=tuple(taxonomy),
        topics=tuple(facets),
        relation="community",
        summary=values["summary"],
        note=values["note"],
        cites=tuple(cites),
    )
    return [Draft(paper, why=values["why"], contact=values["contact"], source=source)], problems


def _too_long(text: str, source: str) -> list[Problem]:
    if len(text) > MAX_INPUT_CHARS:
        return [Problem(f"the input is {len(text)} characters long; the limit is {MAX_INPUT_CHARS}", source, 1, hint="submit fewer papers at once")]
    return []


def read_bibtex(text: str, source: str = "bibtex", *, why: str = "", contact: str = "") -> tuple[list[Draft], list[Problem]]:
    """Drafts from pasted BibTeX (one or more entries); broken entries become problems with their line."""
    if problems := _too_long(text, source):
        return [], problems
    parsed = parse_bibtex(text, source)
    drafts = [
        Draft(
            replace(p, key=PLACEHOLDER_KEY, relation="community"),
            why=" ".join(why.split()),
            contact=" ".join(contact.split()),
            source=source,
            label=p.key,
            form=False,
        )
        for p in parsed.papers
    ]
    return drafts, list(parsed.problems)


def with_default_node(drafts: Sequence[Draft], node: str | None) -> list[Draft]:
    """Put drafts that name no taxonomy node under `node` (the paste tab's and `add --node`'s default)."""
    if not node:
        return list(drafts)
    return [d if d.paper.taxonomy else replace(d, paper=replace(d.paper, taxonomy=(node,))) for d in drafts]


def read_text(text: str, source: str = "input") -> tuple[list[Draft], list[Problem]]:
    """Drafts from JSON (an object or a list of objects) or BibTeX, told apart by the first character."""
    if problems := _too_long(text, source):
        return [], problems
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith(("{", "[")):
        return read_bibtex(text, source)
    try:
        payload = json.loads(stripped)
    except json.JSONDecodeError as exc:
        return [], [Problem(f"not valid JSON: {exc.msg} (column {exc.colno})", source, exc.lineno, hint="check quotes and commas, or send BibTeX instead")]
    return read_payload(payload, source)


# --- checking ---------------------------------------------------------------------------------------


def _ascii_words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())


def citation_key(paper: Paper) -> str:
    """The dataset's key style: first author's last name, year, first significant word of the title.

    >>> citation_key(Paper(key="", title="When Less is More", authors=("Ahmet Üstün",), year=2023))
    'ustun2023less'
    >>> citation_key(Paper(key="", title="[Self-Instruct](x): aligning", authors=("李 明",), year=None))
    'anonself'
    """
    last = "".join(_ascii_words(paper.authors[0].split()[-1])) if paper.authors and paper.authors[0].split() else ""
    word = next((w for w in _ascii_words(paper.title) if w not in _STOPWORDS), "paper")
    if not last[:1].isalpha():
        last = "anon" + last
    return f"{last[:30]}{paper.year or ''}{word[:30]}"


def _suffixes() -> Iterator[str]:
    """'', b, c, ..., z, aa, ab, ...: the dataset's way of telling apart keys with the same stem."""
    yield ""
    yield from string.ascii_lowercase[1:]
    for size in itertools.count(2):
        for letters in itertools.product(string.ascii_lowercase, repeat=size):
            yield "".join(letters)


def unique_key(stem: str, taken: Collection[str]) -> str:
    """`stem`, or `stem` plus the first free suffix.

    >>> unique_key("lee2024fast", {"lee2024fast", "lee2024fastb"})
    'lee2024fastc'
    """
    return next(stem + s for s in _suffixes() if stem + s not in taken)


def _located(problem: Problem, draft: Draft) -> Problem:
    field = _FORM_FIELD.get(problem.field, problem.field) if draft.form else problem.field
    return replace(problem, key=draft.label, field=field)


def _duplicate_problem(match: Match, draft: Draft) -> Problem:
    field = {"arxiv": "eprint", "doi": "doi"}.get(match.kind, "title")
    if match.is_exact:
        hint = "this paper is already in the atlas or waiting for review; no need to submit it again"
        return _located(Problem(f"duplicate: {match.describe()}", draft.source, draft.paper.line, field=field, hint=hint), draft)
    hint = "a maintainer will check that it is a different paper"
    return _located(Problem(f"possible duplicate: {match.describe()}", draft.source, draft.paper.line, field=field, hint=hint, severity="warning"), draft)


def check_drafts(drafts: Sequence[Draft], corpus: Corpus, others: Sequence[Paper] = ()) -> list[Problem]:
    """Every problem of the drafts: field rules (strict), taxonomy ids, and duplicates of the corpus, of
    `others` (pending submissions) and of each other. Exact duplicates are errors, near titles warnings.
    """
    problems: list[Problem] = []
    ids = set(corpus.taxonomy.nodes)
    keys = set(corpus.by_key)
    index = DuplicateIndex([*corpus.papers, *others])
    earlier: list[Paper] = []
    for n, draft in enumerate(drafts, 1):
        paper = draft.paper
        where = {"source": draft.source, "line": paper.line}
        found = validate_paper(paper, ids, source=draft.source, strict=True)
        if not paper.taxonomy:
            found.append(Problem("no taxonomy node", field="taxonomy", hint="choose the node of the survey's taxonomy this paper belongs to", **where))
        found += check_text(draft.why, "why", where) + check_text(draft.contact, "contact", where)
        if paper.entry_type not in ENTRY_TYPES:
            found.append(
                Problem(f"{paper.entry_type[:30]!r} is not a BibTeX entry type", field="entry_type", hint="use one of " + ", ".join(ENTRY_TYPES), **where)
            )
        if len(paper.doi) > MAX_DOI:
            found.append(Problem(f"is {len(paper.doi)} characters long; the limit is {MAX_DOI}", field="doi", hint="give the DOI only", **where))
        for cited in paper.cites:
            if cited not in keys:
                found.append(Problem(f"cites unknown key {cited[:40]!r}", field="cites", hint="cite only keys of the dataset, or leave cites out", **where))
        problems += [_located(p, draft) for p in found]
        matches = index.matches(paper) + DuplicateIndex(earlier).matches(paper)
        problems += [_duplicate_problem(m, draft) for m in matches]
        earlier.append(replace(paper, key=draft.label or f"entry {n} of this submission"))
    return problems


def _drop_redundant(problems: Sequence[Problem]) -> list[Problem]:
    """A field that could not be read is also empty; report only why it could not be read."""
    specific = {(p.source, p.line, p.key, p.field) for p in problems if p.message not in _ABSENT}
    return [p for p in problems if p.message not in _ABSENT or (p.source, p.line, p.key, p.field) not in specific]


def payload_of(draft: Draft) -> dict[str, Any]:
    """The stored payload: the form's fields with normalised values; `read_payload` reads it back."""
    p = draft.paper
    data: dict[str, Any] = {
        "title": p.title,
        "authors": list(p.authors),
        "year": p.year,
        "venue": p.venue,
        "arxiv": p.arxiv,
        "doi": p.doi,
        "url": p.url,
        "code": p.code,
        "taxonomy": list(p.taxonomy),
        "facets": list(p.topics),
        "summary": p.summary,
        "why": draft.why,
        "contact": draft.contact,
        "booktitle": p.booktitle,
        "journal": p.journal,
        "entry_type": p.entry_type,
        "note": p.note,
        "cites": list(p.cites),
    }
    return {name: value for name, value in data.items() if value not in ("", [], None)}


def hash_session(session: str) -> str:
    """Sessions are stored only as this hash, so the table holds no identifier of a person."""
    return hashlib.sha256(f"survey-session:{session}".encode()).hexdigest()


def check_token(given: str, configured: str) -> None:
    """Raise `SubmissionError` unless review is enabled and `given` is the admin token (constant-time compare)."""
    if not configured:
        raise SubmissionError("review is disabled: no admin token is configured; set SURVEY_ADMIN_TOKEN to a long random string and restart")
    if not hmac.compare_digest(given.encode("utf-8"), configured.encode("utf-8")):
        raise SubmissionError("wrong admin token: nothing was changed")


def _break_autolink(match: re.Match) -> str:
    text = match.group(0)
    return "\u2060@" if text == "@" else text[0] + "\u2060" + text[1:]


def markdown_text(value: str) -> str:
    r"""User text made safe for Streamlit's Markdown: every Markdown character is escaped, and a word joiner
    (U+2060, invisible) breaks `http`, `www` and `@`, since GitHub-style autolinking runs after escapes are
    resolved and would still turn a URL or an e-mail address into a link. Streamlit already escapes HTML.

    >>> print(markdown_text("**bold** [x](y)"))
    \*\*bold\*\* \[x\]\(y\)
    >>> "h\u2060ttps" in markdown_text("https://e.org")
    True
    """
    return _AUTOLINK.sub(_break_autolink, _MARKDOWN.sub(r"\\\1", " ".join(value.split())))


# --- the store --------------------------------------------------------------------------------------

METADATA = MetaData()
SUBMISSIONS = Table(
    "submissions",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(80), nullable=False, unique=True),
    Column("status", String(16), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("arxiv", Text),
    Column("doi", Text),
    Column("payload", Text, nullable=False),
    Column("bibtex", Text, nullable=False),
    Column("source", String(40), nullable=False),
    Column("session_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("reviewed_at", DateTime),
    Column("reviewer", Text),
    Column("review_note", Text),
    Column("merged_at", DateTime),
    Index("ix_submissions_session_created", "session_hash", "created_at"),
)


def _now() -> dt.datetime:
    """Naive UTC: stored the same way by SQLite and PostgreSQL, and compared correctly by both."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def database_url(url: str) -> str:
    """Accept the URLs people paste: `postgres://` and `postgresql://` mean our driver, psycopg 3.

    >>> database_url("postgres://u@db/x"), database_url("sqlite:///var/s.db")
    ('postgresql+psycopg://u@db/x', 'sqlite:///var/s.db')
    """
    return re.sub(r"^postgres(?:ql)?://", "postgresql+psycopg://", url.strip())


def _create_engine(url: str) -> Engine:
    parsed = make_url(database_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _begin)
        dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dbapi_connection.execute("PRAGMA journal_mode = WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A writer takes the lock up front: upgrading a read transaction fails at once with "database is
        # locked" instead of waiting; BEGIN IMMEDIATE waits up to the busy timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def _row_to_submission(row) -> Submission:
    return Submission(
        id=row.id,
        key=row.key,
        status=row.status,
        title=row.title,
        payload=json.loads(row.payload),
        bibtex=row.bibtex,
        source=row.source,
        created_at=row.created_at,
        reviewed_at=row.reviewed_at,
        reviewer=row.reviewer or "",
        review_note=row.review_note or "",
        merged_at=row.merged_at,
    )


class SubmissionStore:
    """The submissions table behind one database URL; tables are created or migrated on construction."""

    def __init__(self, url: str):
        self.url = database_url(url)
        self.engine = _create_engine(self.url)
        try:
            with self._write() as conn:
                self._migrate(conn)
        except DBAPIError as exc:
            self.engine.dispose()
            reason = " ".join(str(exc.orig).split())
            raise SubmissionError(f"the submission store at {make_url(self.url).render_as_string()} cannot be opened: {reason}; check SURVEY_DB_URL") from exc

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A transaction that holds the writers' lock until it ends."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _LOCK_ID})
                yield conn

    @staticmethod
    def _migrate(conn: Connection) -> None:
        """Create what is missing; columns added to `SUBMISSIONS` later are added (nullable) to old tables."""
        METADATA.create_all(conn)
        present = {c["name"] for c in inspect(conn).get_columns(SUBMISSIONS.name)}
        for column in SUBMISSIONS.columns:
            if column.name not in present:
                conn.exec_driver_sql(f"ALTER TABLE {SUBMISSIONS.name} ADD COLUMN {column.name} {column.type.compile(conn.dialect)}")
        for index in SUBMISSIONS.indexes:
            index.create(conn, checkfirst=True)

    def close(self) -> None:
        self.engine.dispose()

    # reading

    def find(self, status: str | None = None) -> list[Submission]:
        """Submissions in the order they arrived, optionally only those with `status`."""
        query = select(SUBMISSIONS).order_by(SUBMISSIONS.c.id)
        if status is not None:
            query = query.where(SUBMISSIONS.c.status == status)
        with self.engine.connect() as conn:
            return [_row_to_submission(row) for row in conn.execute(query)]

    def get(self, submission_id: int) -> Submission:
        with self.engine.connect() as conn:
            row = conn.execute(select(SUBMISSIONS).where(SUBMISSIONS.c.id == submission_id)).first()
        if row is None:
            raise SubmissionError(f"there is no submission #{submission_id}; list them with `python -m survey_taxonomy submissions list`")
        return _row_to_submission(row)

    def version(self) -> int:
        """Grows with every approval and every merge (the two only ever go up), so it names the approved set."""
        query = select(func.count(), func.count(SUBMISSIONS.c.merged_at)).where(SUBMISSIONS.c.status == "approved")
        with self.engine.connect() as conn:
            approved, merged = conn.execute(query).one()
        return approved + merged

    def approved(self) -> list[Paper]:
        """Approved papers not yet merged into papers.bib (merged ones come from the file itself)."""
        query = select(SUBMISSIONS).where(SUBMISSIONS.c.status == "approved", SUBMISSIONS.c.merged_at.is_(None)).order_by(SUBMISSIONS.c.id)
        with self.engine.connect() as conn:
            return [_row_to_submission(row).paper for row in conn.execute(query)]

    @staticmethod
    def _open_papers(conn: Connection, corpus_keys: Collection[str], exclude: int | None = None) -> list[Paper]:
        """Pending and approved submissions not already in the corpus, as papers for the duplicate index."""
        columns = (SUBMISSIONS.c.id, SUBMISSIONS.c.key, SUBMISSIONS.c.status, SUBMISSIONS.c.title, SUBMISSIONS.c.arxiv, SUBMISSIONS.c.doi)
        rows = conn.execute(select(*columns).where(SUBMISSIONS.c.status != "rejected"))
        return [
            Paper(key=f"{r.status} submission #{r.id}", title=r.title, arxiv=r.arxiv or "", doi=r.doi or "")
            for r in rows
            if r.key not in corpus_keys and r.id != exclude
        ]

    # writing

    @staticmethod
    def _assign_key(conn: Connection, paper: Paper, taken: set[str]) -> str:
        stem = citation_key(paper)
        taken |= set(conn.execute(select(SUBMISSIONS.c.key).where(SUBMISSIONS.c.key.like(stem + "%"))).scalars())
        key = unique_key(stem, taken)
        taken.add(key)
        return key

    def submit(
        self, drafts: Sequence[Draft], corpus: Corpus, *, session: str, per_minute: int | None, problems: Sequence[Problem] = (), source: str = "form"
    ) -> SubmitResult:
        """Check the drafts and store them all, or none.

        `problems` are those found while reading the input, reported together with the checks. Returns the
        stored submissions (and near-duplicate warnings), or no submission and every problem. Raises
        `SubmissionError` when `session` already sent `per_minute` submissions in the last minute
        (`None`: no limit, for the maintainers' CLI).
        """
        found = list(problems)
        if not drafts and not found:
            found.append(Problem("no paper in the input", source, hint="fill in the form, or paste at least one BibTeX entry"))
        if len(drafts) > MAX_PAPERS:
            found.append(Problem(f"{len(drafts)} papers at once; the limit is {MAX_PAPERS}", source, hint="split the input"))
        corpus_keys = set(corpus.by_key)
        session_hash = hash_session(session)
        with self._write() as conn:
            found = _drop_redundant([*found, *check_drafts(drafts, corpus, self._open_papers(conn, corpus_keys))])
            if any(p.severity == "error" for p in found) or not drafts:
                return SubmitResult((), tuple(found))
            if per_minute is not None:
                since = _now() - dt.timedelta(minutes=1)
                recent = conn.execute(select(func.count()).where(SUBMISSIONS.c.session_hash == session_hash, SUBMISSIONS.c.created_at >= since)).scalar_one()
                if recent + len(drafts) > per_minute:
                    raise SubmissionError(
                        f"too many submissions: this session sent {recent} in the last minute and the limit is {per_minute} per minute; "
                        "wait a minute and submit again (nothing was stored)"
                    )
            stored = []
            taken = set(corpus_keys)
            for draft in drafts:
                key = self._assign_key(conn, draft.paper, taken)
                paper = replace(draft.paper, key=key, relation="community", line=None)
                values = {
                    "key": key,
                    "status": "pending",
                    "title": paper.title,
                    "arxiv": paper.arxiv or None,
                    "doi": paper.doi or None,
                    "payload": json.dumps(payload_of(draft), ensure_ascii=False),
                    "bibtex": format_bibtex([paper]),
                    "source": draft.source[:40],
                    "session_hash": session_hash,
                    "created_at": _now(),
                }
                new_id = conn.execute(SUBMISSIONS.insert().values(**values).returning(SUBMISSIONS.c.id)).scalar_one()
                stored.append(Submission(new_id, key, "pending", paper.title, payload_of(draft), values["bibtex"], values["source"], values["created_at"]))
            return SubmitResult(tuple(stored), tuple(found))

    def findings(self, submission: Submission, corpus: Corpus) -> list[Problem]:
        """What a reviewer should know: the field rules and duplicates, checked against today's data."""
        with self.engine.connect() as conn:
            others = self._open_papers(conn, set(corpus.by_key), exclude=submission.id)
        return check_drafts([replace(submission.draft, label=f"#{submission.id}")], corpus, others)

    def review(
        self, submission_id: int, decision: str, *, token: str, admin_token: str, corpus: Corpus | None = None, reviewer: str = "", note: str = ""
    ) -> Submission:
        """Approve or reject a pending submission; only with the admin token.

        Approval re-checks the submission against `corpus` (default: `load_corpus()`, the configured dataset)
        and the other open submissions, and refuses while it has errors, e.g. an exact duplicate added since.
        Raises `SubmissionError` for a missing or wrong token, an unknown id, a decision already taken.
        """
        check_token(token, admin_token)
        if decision not in DECISIONS:
            raise SubmissionError(f"unknown decision {decision!r}; use approve or reject")
        for value, field in ((reviewer, "reviewer"), (note, "note")):
            if problems := check_text(value, field, {}):
                raise SubmissionError(f"{field}: {problems[0].message}; {problems[0].hint}")
        submission = self.get(submission_id)
        if submission.status != "pending":
            raise SubmissionError(f"submission #{submission_id} is already {submission.status}")
        if decision == "approve":
            errors = [p for p in self.findings(submission, corpus or load_corpus()) if p.severity == "error"]
            if errors:
                raise SubmissionError(f"submission #{submission_id} cannot be approved: " + "; ".join(str(p) for p in errors) + "; reject it instead")
        with self._write() as conn:
            done = conn.execute(
                update(SUBMISSIONS)
                .where(SUBMISSIONS.c.id == submission_id, SUBMISSIONS.c.status == "pending")
                .values(status=DECISIONS[decision], reviewed_at=_now(), reviewer=" ".join(reviewer.split()), review_note=note.strip())
            ).rowcount
        if not done:
            raise SubmissionError(f"submission #{submission_id} was reviewed by someone else meanwhile")
        return self.get(submission_id)

    def merge(self, data_dir: str | Path, *, dry_run: bool = False) -> tuple[list[Paper], list[Problem]]:
        """Write approved, unmerged submissions into `data_dir/papers.bib`, sorted by key, and mark them merged.

        Each is validated against the dataset as it is now; a key taken meanwhile gets a new one. A
        submission the dataset already holds (same arXiv id, DOI or title) is marked merged without being
        written, and reported as a warning. Raises `SubmissionError`, writing nothing, if any has errors.
        Returns the papers written and the warnings.
        """
        data = Path(data_dir)
        corpus = load_corpus(data)
        ids = set(corpus.taxonomy.nodes)
        index = DuplicateIndex(corpus.papers)
        with self._write() as conn:
            rows = conn.execute(
                select(SUBMISSIONS).where(SUBMISSIONS.c.status == "approved", SUBMISSIONS.c.merged_at.is_(None)).order_by(SUBMISSIONS.c.id)
            ).all()
            taken = set(corpus.by_key)
            papers: list[tuple[Submission, Paper]] = []
            already: list[Submission] = []
            problems: list[Problem] = []
            for submission in map(_row_to_submission, rows):
                paper = submission.paper
                if paper.key in taken:
                    paper = replace(paper, key=self._assign_key(conn, paper, taken))
                taken.add(paper.key)
                day = (submission.reviewed_at or submission.created_at).date().isoformat()
                provenance = f"Community submission #{submission.id}, approved by {submission.reviewer or 'a maintainer'} on {day}."
                paper = replace(paper, note=f"{provenance} {paper.note}".strip())
                source = f"submission #{submission.id}"
                exact = [m for m in index.matches(paper) if m.is_exact]
                if exact:
                    already.append(submission)
                    problems.append(Problem(f"not written: the dataset already has it ({exact[0].describe()})", source, key=paper.key, severity="warning"))
                    continue
                problems += validate_paper(paper, ids, source=source, strict=True)
                papers.append((submission, paper))
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                raise SubmissionError("cannot merge, nothing was written: " + "; ".join(str(p) for p in errors))
            papers.sort(key=lambda pair: pair[1].key)
            if dry_run:  # nothing was written in this transaction yet
                return [p for _, p in papers], problems
            now = _now()
            for submission, paper in papers:
                conn.execute(update(SUBMISSIONS).where(SUBMISSIONS.c.id == submission.id).values(key=paper.key, bibtex=format_bibtex([paper]), merged_at=now))
            for submission in already:
                conn.execute(update(SUBMISSIONS).where(SUBMISSIONS.c.id == submission.id).values(merged_at=now))
            if papers:
                append_papers(data / "papers.bib", [p for _, p in papers])  # last: a failure here rolls the marks back
        return [p for _, p in papers], problems


# --- one store per database URL, for the app ----------------------------------------------------------

_STORES: dict[str, SubmissionStore] = {}
_APPROVED: dict[str, tuple[int, list[Paper]]] = {}
_LOCK = threading.Lock()


def store_for(settings: Settings) -> SubmissionStore:
    """The process-wide store for `settings.db_url`, created (with its tables) on first use."""
    url = database_url(settings.db_url)
    with _LOCK:
        if url not in _STORES:
            _STORES[url] = SubmissionStore(url)
        return _STORES[url]


def approved_papers(settings: Settings) -> tuple[int, list[Paper]]:
    """The store's approval version and its approved papers (relation `community`).

    One small query when nothing changed since the last call: the papers are rebuilt only when the
    version moves. Works on a fresh database (the store creates its tables).
    """
    store = store_for(settings)
    version = store.version()
    cached = _APPROVED.get(store.url)
    if cached is None or cached[0] != version:
        cached = (version, store.approved())
        _APPROVED[store.url] = cached
    return version, list(cached[1])

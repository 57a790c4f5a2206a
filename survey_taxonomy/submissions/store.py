"""The submission store: the SQL tables behind submissions, rate limits, review, and the merge into papers.bib.

Storage is SQLAlchemy Core: SQLite (WAL, busy timeout, `BEGIN IMMEDIATE` for writes) by default, PostgreSQL
(`postgresql+psycopg://`) for deployments with several app replicas. Writes take one lock (SQLite's write lock,
a PostgreSQL advisory lock) so that duplicate checks, rate limits and key choices see every earlier submission.
The terms (submission, client, rate limit, throttle, sent back, version, origin) are defined in the package
docstring.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import itertools
import json
import math
import re
import secrets
import string
import unicodedata
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    case,
    create_engine,
    event,
    func,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from ..config import Settings, check_database_url, database_url
from ..data.acceptance import check_papers, find_duplicates
from ..data.bibliography import append_papers, format_bibtex, parse_bibtex
from ..data.corpus import Corpus, load_corpus
from ..data.records import Paper, Problem, Status
from ..data.validation import check_text
from ..errors import BibliographyError, SubmissionError
from .checks import MAX_PAPERS, check_drafts, drop_redundant
from .payload import Draft, payload_of, read_payload

DECISIONS: dict[str, Status] = {"approve": "approved", "reject": "rejected"}
BUSY_TIMEOUT_MS = 30_000
MAX_RETRY_DELAY_S = 900
GLOBAL_CLIENT = "*"  # the throttle's row for wrong tokens from every client together
_LOCK_ID = 4_242_001  # the PostgreSQL advisory lock that serialises writers
_WRITE = "survey_write"
_STOPWORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "when", "towards", "toward", "via"}
    | {"is", "are", "do", "does", "can", "be", "by", "from", "at"}
)


@dataclass(frozen=True)
class Submission:
    """One stored submission (a row of the `submissions` table)."""

    id: int
    key: str
    status: Status
    title: str
    payload: dict[str, Any]
    bibtex: str
    source: str
    created_at: dt.datetime
    reviewed_at: dt.datetime | None = None
    reviewer: str = ""
    review_note: str = ""
    merged_at: dt.datetime | None = None
    merge_error: str = ""
    origin: str = "form"
    evidence: Mapping[str, Any] | None = None

    @property
    def draft(self) -> Draft:
        drafts, _ = read_payload(self.payload, f"submission #{self.id}")
        return drafts[0]

    @property
    def paper(self) -> Paper:
        """The paper under its assigned key, as the corpus shows it (without the submitter's claims)."""
        return replace(self.draft.paper, key=self.key, relation="community")

    @property
    def claimed_cites(self) -> tuple[str, ...]:
        """Keys the submitter says this paper cites: for the reviewer to check, never written to the dataset."""
        return self.draft.cites

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
            "merge_error": self.merge_error,
            "origin": self.origin,
            "evidence": self.evidence,
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


@dataclass(frozen=True)
class QueuePage:
    """One page of the review queue: its pending submissions, oldest first, and where it sits among all of them."""

    submissions: tuple[Submission, ...]
    total: int  # pending submissions of the chosen origin, on every page
    page: int  # 1-based, within 1..pages
    pages: int
    size: int

    @property
    def first(self) -> int:
        """The 1-based position of the page's first submission in the queue (0 when the queue is empty)."""
        return (self.page - 1) * self.size + 1 if self.submissions else 0


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


def hash_client(client: str, salt: str) -> str:
    """Clients are stored only as this salted hash, so the tables hold no identifier a person could be found by.

    >>> len(hash_client("cookie-value", "salt")), hash_client("a", "s") == hash_client("a", "t")
    (64, False)
    """
    return hashlib.sha256(f"{salt}:{client}".encode("utf-8", "backslashreplace")).hexdigest()


def client_key(ip_address: object) -> str:
    """What the rate limit counts by: the client's network address, which a new cookie or a fresh browser does
    not change. An IPv6 client owns at least a /64 and can rotate within it at no cost, so IPv6 counts by its /64.
    No address (Streamlit gives none for loopback connections, nor in AppTest) is one client, `local`: a reverse
    proxy on the same host therefore puts all its users under one limit, the strict side.

    >>> client_key("203.0.113.7"), client_key("2001:db8:1:2:3:4:5:6"), client_key("::ffff:203.0.113.7"), client_key(None)
    ('ip:203.0.113.7', 'ip:2001:db8:1:2::/64', 'ip:203.0.113.7', 'local')
    """
    if not isinstance(ip_address, str) or not ip_address:  # AppTest's context gives a mock, not an address
        return "local"
    try:
        address = ipaddress.ip_address(ip_address.split("%")[0])
    except ValueError:
        return "ip:" + ip_address[:64]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return f"ip:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"ip:{address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else address}"


def retry_delay(failures: int) -> float:
    """Seconds to wait after `failures` wrong tokens in a row: 0, 1, 2, 4, ... at most `MAX_RETRY_DELAY_S`.

    >>> [retry_delay(n) for n in (0, 1, 2, 3, 40)]
    [0.0, 1.0, 2.0, 4.0, 900.0]
    """
    return 0.0 if failures <= 0 else float(min(2 ** min(failures - 1, 20), MAX_RETRY_DELAY_S))


def check_token(given: str, configured: str) -> None:
    """Raise `SubmissionError` unless review is enabled and `given` is the admin token (constant-time compare)."""
    if not configured:
        raise SubmissionError("review is disabled: no admin token is configured; set SURVEY_ADMIN_TOKEN to a long random string and restart")
    if not hmac.compare_digest(given.encode("utf-8", "backslashreplace"), configured.encode("utf-8", "backslashreplace")):
        raise SubmissionError("wrong admin token: nothing was changed")


def is_admin(state: Mapping[str, Any], admin_token: str) -> bool:
    """Whether a session's state holds the admin token (the review page keeps it under `review_token_ok` once
    signed in): what the app asks before a visitor may clear the shared caches.

    >>> is_admin({"review_token_ok": "t0ken"}, "t0ken"), is_admin({}, "t0ken"), is_admin({"review_token_ok": ""}, "")
    (True, False, False)
    """
    token = state.get("review_token_ok")
    return (
        isinstance(token, str)
        and bool(admin_token)
        and hmac.compare_digest(token.encode("utf-8", "backslashreplace"), admin_token.encode("utf-8", "backslashreplace"))
    )


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
    Column("merge_error", Text),
    Column("origin", String(16)),
    Column("evidence", Text),
    Index("ix_submissions_session_created", "session_hash", "created_at"),
)
# One row: the store's random salt for client hashes (made on first use, so no setting is needed).
STORE_META = Table("store_meta", METADATA, Column("name", String(40), primary_key=True), Column("value", Text, nullable=False))
REVIEW_FAILURES = Table(
    "review_failures",
    METADATA,
    Column("client_hash", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure", DateTime, nullable=False),
)


def _now() -> dt.datetime:
    """Naive UTC: stored the same way by SQLite and PostgreSQL, and compared correctly by both."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _create_engine(url: str) -> Engine:
    parsed = make_url(database_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _begin)
        dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dbapi_connection.execute("PRAGMA journal_mode = WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A writer takes the lock up front: upgrading a read transaction fails at once with "database is
        # locked" instead of waiting; BEGIN IMMEDIATE waits up to the busy timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


OUT_OF_SCOPE_NOTE = "rejected in bulk: out of the survey's scope by triage"


def _triage_of(evidence: object) -> Mapping[str, Any]:
    found = evidence.get("triage") if isinstance(evidence, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def triage_relevance(evidence: object) -> float | None:
    """The triage relevance in a submission's evidence, if it holds a number in 0..1.

    >>> triage_relevance({"triage": {"relevance": 0.25}}), triage_relevance({"triage": {"relevance": "high"}}), triage_relevance(None)
    (0.25, None, None)
    """
    value = _triage_of(evidence).get("relevance")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0 else None


def triage_in_scope(evidence: object) -> bool | None:
    """Whether the triage in a submission's evidence judged it in scope; None without a triage."""
    value = _triage_of(evidence).get("in_scope")
    return value if isinstance(value, bool) else None


def _row_to_submission(row: Row[Any]) -> Submission:
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
        merge_error=row.merge_error or "",
        origin=row.origin or "form",
        evidence=json.loads(row.evidence) if row.evidence else None,
    )


class SubmissionStore:
    """The submissions table behind one database URL; tables are created or migrated on construction."""

    def __init__(self, url: str):
        try:
            self.url = check_database_url(url)
        except ValueError as exc:
            raise SubmissionError(f"the submission store URL {url[:80]!r} {exc}; check SURVEY_DB_URL") from exc
        self.engine = _create_engine(self.url)
        try:
            with self._write() as conn:
                self._migrate(conn)
                self.salt = self._salt(conn)
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
        legacy = case((or_(SUBMISSIONS.c.source == "BibTeX", SUBMISSIONS.c.source.like("%.bib")), "bibtex"), else_="form")
        conn.execute(update(SUBMISSIONS).where(SUBMISSIONS.c.origin.is_(None)).values(origin=legacy))

    @staticmethod
    def _salt(conn: Connection) -> str:
        salt = conn.execute(select(STORE_META.c.value).where(STORE_META.c.name == "client_salt")).scalar()
        if salt is None:
            salt = secrets.token_hex(16)
            conn.execute(STORE_META.insert().values(name="client_salt", value=salt))
        return salt

    def client_hash(self, client: str) -> str:
        """How `client` is stored: `hash_client` with this store's salt."""
        return hash_client(client, self.salt)

    def close(self) -> None:
        """Close the database connections; the store is not used after this."""
        self.engine.dispose()

    def __enter__(self) -> SubmissionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # reading

    @staticmethod
    def _matching(query: Any, status: Status | Collection[Status] | None, origin: str | None) -> Any:
        if isinstance(status, str):
            query = query.where(SUBMISSIONS.c.status == status)
        elif status is not None:
            query = query.where(SUBMISSIONS.c.status.in_(list(status)))
        if origin is not None:
            query = query.where(SUBMISSIONS.c.origin == origin)
        return query

    def find(
        self,
        status: Status | Collection[Status] | None = None,
        origin: str | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[Submission]:
        """Submissions in the order they arrived (or newest first), optionally only those with `status` (one or
        several) and/or `origin` (one of ORIGINS); `limit` and `offset` page in the query itself, so that one page
        of a long queue reads one page of rows."""
        query = self._matching(select(SUBMISSIONS), status, origin)
        query = query.order_by(SUBMISSIONS.c.id.desc() if newest_first else SUBMISSIONS.c.id).offset(max(offset, 0))
        if limit is not None:
            query = query.limit(max(limit, 0))
        with self.engine.connect() as conn:
            return [_row_to_submission(row) for row in conn.execute(query)]

    def queue(self, page: int, *, size: int = 20, origin: str | None = None) -> QueuePage:
        """Page `page` of the pending submissions (of `origin`, or all), oldest first; a page beyond the last
        shows the last. Two queries whatever the queue's length: a count and one page of rows."""
        total = self.count("pending", origin)
        pages = max(1, math.ceil(total / size))
        page = min(max(page, 1), pages)
        rows = self.find("pending", origin, limit=size, offset=(page - 1) * size)
        return QueuePage(tuple(rows), total, page, pages, size)

    def relevance_of_pending(self, origin: str | None = None) -> dict[int, float | None]:
        """The triage relevance (`evidence["triage"]`, written by `discover`) of each pending submission, by id;
        None for one without a triage. Reads only the ids and evidence, not the payloads."""
        query = self._matching(select(SUBMISSIONS.c.id, SUBMISSIONS.c.evidence), "pending", origin).order_by(SUBMISSIONS.c.id)
        with self.engine.connect() as conn:
            return {row.id: triage_relevance(json.loads(row.evidence) if row.evidence else None) for row in conn.execute(query)}

    def queue_by_relevance(self, page: int, *, size: int = 20, origin: str | None = None) -> QueuePage:
        """Like `queue`, but the most relevant first by triage (untriaged last, oldest first among equals)."""
        relevance = self.relevance_of_pending(origin)
        ranked = sorted(relevance, key=lambda i: (relevance[i] is None, -(relevance[i] or 0.0), i))
        pages = max(1, math.ceil(len(ranked) / size))
        page = min(max(page, 1), pages)
        ids = ranked[(page - 1) * size : page * size]
        with self.engine.connect() as conn:
            rows = {row.id: _row_to_submission(row) for row in conn.execute(select(SUBMISSIONS).where(SUBMISSIONS.c.id.in_(ids)))}
        return QueuePage(tuple(rows[i] for i in ids if i in rows), len(ranked), page, pages, size)

    def reject_out_of_scope(self, *, token: str, admin_token: str, reviewer: str = "", origin: str | None = None) -> list[Submission]:
        """Reject every pending submission that the triage judged out of scope, each through `review` (so the
        token is checked and a submission reviewed meanwhile is left alone); returns those rejected."""
        check_token(token, admin_token)
        query = self._matching(select(SUBMISSIONS.c.id, SUBMISSIONS.c.evidence), "pending", origin).order_by(SUBMISSIONS.c.id)
        with self.engine.connect() as conn:
            out = [row.id for row in conn.execute(query) if triage_in_scope(json.loads(row.evidence) if row.evidence else None) is False]
        done = []
        for submission_id in out:
            try:
                done.append(self.review(submission_id, "reject", token=token, admin_token=admin_token, reviewer=reviewer, note=OUT_OF_SCOPE_NOTE))
            except SubmissionError:  # reviewed by someone else meanwhile: theirs stands
                continue
        return done

    def count(self, status: Status | Collection[Status] | None = None, origin: str | None = None) -> int:
        """How many submissions `find` would return without a limit, counted by the database."""
        with self.engine.connect() as conn:
            return int(conn.execute(self._matching(select(func.count()).select_from(SUBMISSIONS), status, origin)).scalar_one())

    def get(self, submission_id: int) -> Submission:
        with self.engine.connect() as conn:
            row = conn.execute(select(SUBMISSIONS).where(SUBMISSIONS.c.id == submission_id)).first()
        if row is None:
            raise SubmissionError(f"there is no submission #{submission_id}: check its number")
        return _row_to_submission(row)

    def version(self) -> int:
        """Grows with every approval and every merge (the two only ever go up), so it names the approved set."""
        query = select(func.count(), func.count(SUBMISSIONS.c.merged_at)).where(SUBMISSIONS.c.status == "approved")
        with self.engine.connect() as conn:
            approved, merged = conn.execute(query).one()
        return approved + merged

    def approved(self) -> list[Paper]:
        """Every approved paper, merged or not: the store is the source of truth for community additions.

        `load_corpus` leaves out those the local papers.bib already holds (same key: merge writes the row's key), so
        an app server whose papers.bib has the merge shows each paper once, from the file, and a replica whose file
        lacks it still shows it, from here. (Leaving merged rows out, as before, lost them on every other replica.)
        """
        query = select(SUBMISSIONS).where(SUBMISSIONS.c.status == "approved").order_by(SUBMISSIONS.c.id)
        with self.engine.connect() as conn:
            return [_row_to_submission(row).paper for row in conn.execute(query)]

    @staticmethod
    def _open_papers(conn: Connection, corpus_keys: Collection[str]) -> list[Paper]:
        """Pending and approved submissions not already in the corpus, as papers for the duplicate index."""
        columns = (SUBMISSIONS.c.id, SUBMISSIONS.c.key, SUBMISSIONS.c.status, SUBMISSIONS.c.title, SUBMISSIONS.c.arxiv, SUBMISSIONS.c.doi)
        rows = conn.execute(select(*columns).where(SUBMISSIONS.c.status != "rejected"))
        return [Paper(key=f"{r.status} submission #{r.id}", title=r.title, arxiv=r.arxiv or "", doi=r.doi or "") for r in rows if r.key not in corpus_keys]

    # writing

    @staticmethod
    def _assign_key(conn: Connection, paper: Paper, taken: set[str]) -> str:
        stem = citation_key(paper)
        taken |= set(conn.execute(select(SUBMISSIONS.c.key).where(SUBMISSIONS.c.key.like(stem + "%"))).scalars())
        key = unique_key(stem, taken)
        taken.add(key)
        return key

    def check_rate(
        self,
        client: str,
        *,
        per_minute: int | None,
        max_pending: int | None = None,
        per_minute_all: int | None = None,
        count: int = 1,
        now: dt.datetime | None = None,
    ) -> None:
        """Raise `SubmissionError` if `count` more submissions from `client` would break the rate limit.

        `client` is what a client cannot reset cheaply: `client_key` of its network address, not a cookie (a fresh
        browser has a new one) nor the Streamlit session (a reload makes a new one). `per_minute`, `per_minute_all`
        and `max_pending` are `Settings.submissions_per_minute`, `Settings.submissions_per_minute_all` (everyone
        together: the backstop when many addresses send at once) and `Settings.max_pending` (`None`: no limit, for
        the maintainers' CLI and `discover`). `submit` applies the same check inside its transaction; a page may
        call this first to refuse before the user fills the form.
        """
        with self.engine.connect() as conn:
            self._check_rate(conn, self.client_hash(client), count, per_minute, max_pending, now or _now(), per_minute_all)

    @staticmethod
    def _check_rate(
        conn: Connection,
        client_hash: str,
        count: int,
        per_minute: int | None,
        max_pending: int | None,
        now: dt.datetime,
        per_minute_all: int | None = None,
    ) -> None:
        since = now - dt.timedelta(minutes=1)
        if per_minute is not None:
            recent = conn.execute(select(func.count()).where(SUBMISSIONS.c.session_hash == client_hash, SUBMISSIONS.c.created_at >= since)).scalar_one()
            if recent + count > per_minute:
                raise SubmissionError(
                    f"too many submissions: {recent} came from your network address in the last minute and the limit is {per_minute} per minute; "
                    "wait a minute and submit again (nothing was stored)"
                )
        if per_minute_all is not None:
            # Discovered papers arrive in bursts from the maintainers' own runs: they do not hold up visitors.
            everyone = select(func.count()).where(SUBMISSIONS.c.created_at >= since, SUBMISSIONS.c.origin != "discovered")
            recent = conn.execute(everyone).scalar_one()
            if recent + count > per_minute_all:
                raise SubmissionError(
                    f"the atlas is receiving many submissions: {recent} in the last minute from all visitors, and it takes at most {per_minute_all}; "
                    "wait a minute and submit again (nothing was stored)"
                )
        if max_pending is not None:
            pending = conn.execute(select(func.count()).where(SUBMISSIONS.c.status == "pending")).scalar_one()
            if pending + count > max_pending:
                raise SubmissionError(
                    f"the review queue is full: {pending} submissions wait for review and the limit is {max_pending}; "
                    "please try again once maintainers have reviewed some (nothing was stored)"
                )

    def submit(
        self,
        drafts: Sequence[Draft],
        corpus: Corpus,
        *,
        session: str,
        per_minute: int | None,
        problems: Sequence[Problem] = (),
        source: str = "form",
        max_pending: int | None = None,
        per_minute_all: int | None = None,
    ) -> SubmitResult:
        """Check the drafts and store them all, or none.

        `problems` are those found while reading the input, reported together with the checks. Returns the
        stored submissions (and near-duplicate warnings), or no submission and every problem. `session` is
        the client (see `check_rate`); raises `SubmissionError` when storing would break the rate limit.
        """
        found = list(problems)
        if not drafts and not found:
            found.append(Problem("no paper in the input", source, hint="fill in the form, or paste at least one BibTeX entry"))
        if len(drafts) > MAX_PAPERS:
            found.append(Problem(f"{len(drafts)} papers at once; the limit is {MAX_PAPERS}", source, hint="split the input"))
        corpus_keys = set(corpus.by_key)
        session_hash = self.client_hash(session)
        with self._write() as conn:
            found = drop_redundant([*found, *check_drafts(drafts, corpus, self._open_papers(conn, corpus_keys))])
            if any(p.severity == "error" for p in found) or not drafts:
                return SubmitResult((), tuple(found))
            self._check_rate(conn, session_hash, len(drafts), per_minute, max_pending, _now(), per_minute_all)
            stored = []
            taken = set(corpus_keys)
            for draft in drafts:
                key = self._assign_key(conn, draft.paper, taken)
                paper = replace(draft.paper, key=key, relation="community", line=None)
                values: dict[str, Any] = {
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
                    "origin": draft.origin_name,
                    "evidence": json.dumps(draft.evidence, ensure_ascii=False) if draft.evidence else None,
                }
                new_id = conn.execute(SUBMISSIONS.insert().values(**values).returning(SUBMISSIONS.c.id)).scalar_one()
                submission = Submission(new_id, key, "pending", paper.title, payload_of(draft), values["bibtex"], values["source"], values["created_at"])
                stored.append(replace(submission, origin=draft.origin_name, evidence=draft.evidence))
            return SubmitResult(tuple(stored), tuple(found))

    def authenticate(self, token: str, admin_token: str, *, client: str, now: dt.datetime | None = None) -> None:
        """`check_token`, throttled: refuse at once, without comparing, while `client` (or everyone) must wait.

        A wrong token adds one to the client's and to everyone's count of wrong tokens in a row and raises
        `SubmissionError`; the right one clears the client's count. The counts live in the store, so a reload or
        a second server does not reset them. The review page calls this with `client_key` of the network address.
        """
        if not admin_token:
            check_token(token, admin_token)  # review is disabled: say so, count nothing
        now = now or _now()
        keys = (self.client_hash(client), GLOBAL_CLIENT)
        with self._write() as conn:
            rows = {r.client_hash: r for r in conn.execute(select(REVIEW_FAILURES).where(REVIEW_FAILURES.c.client_hash.in_(keys)))}
            waits = [
                retry_delay(row.failures if key != GLOBAL_CLIENT else row.failures // 10) - (now - row.last_failure).total_seconds()
                for key, row in rows.items()
            ]
            if max(waits, default=0) > 0:
                raise SubmissionError(f"too many wrong tokens: try again in {math.ceil(max(waits))} s")
            try:
                check_token(token, admin_token)
                right = True
            except SubmissionError:
                right = False
            if right:
                conn.execute(REVIEW_FAILURES.delete().where(REVIEW_FAILURES.c.client_hash.in_(keys)))
            for key in keys if not right else ():
                failures = rows[key].failures + 1 if key in rows else 1
                if key in rows:
                    conn.execute(update(REVIEW_FAILURES).where(REVIEW_FAILURES.c.client_hash == key).values(failures=failures, last_failure=now))
                else:
                    conn.execute(REVIEW_FAILURES.insert().values(client_hash=key, failures=failures, last_failure=now))
        if not right:  # raised after the commit, so the failure is counted
            raise SubmissionError("wrong admin token: nothing was changed")

    def findings(self, submission: Submission, corpus: Corpus) -> list[Problem]:
        """What a reviewer should know: the field rules and duplicates, checked against today's data."""
        return self.findings_of([submission], corpus)[submission.id]

    def findings_of(self, submissions: Sequence[Submission], corpus: Corpus) -> dict[int, list[Problem]]:
        """`findings` of each submission (by id), reading the open submissions once for all of them: a page of
        the review queue costs one query, not one per submission."""
        with self.engine.connect() as conn:
            others = self._open_papers(conn, set(corpus.by_key))
        # `_open_papers` names each "<status> submission #<id>": a submission is not a duplicate of itself.
        return {
            s.id: check_drafts([replace(s.draft, label=f"#{s.id}")], corpus, [o for o in others if o.key.rpartition("#")[2] != str(s.id)]) for s in submissions
        }

    def review(
        self, submission_id: int, decision: str, *, token: str, admin_token: str, corpus: Corpus | None = None, reviewer: str = "", note: str = ""
    ) -> Submission:
        """Approve or reject a pending submission; only with the admin token.

        Approval re-checks the submission against `corpus` (the dataset with the approved submissions; the caller
        loads it, from its own settings) and the other open submissions, and refuses while it has errors, e.g. an
        exact duplicate added since.
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
            if corpus is None:
                raise ValueError("approving needs the corpus to check the submission against")
            errors = [p for p in self.findings(submission, corpus) if p.severity == "error"]
            if errors:
                raise SubmissionError(f"submission #{submission_id} cannot be approved: " + "; ".join(str(p) for p in errors) + "; reject it instead")
        with self._write() as conn:
            done = conn.execute(
                update(SUBMISSIONS)
                .where(SUBMISSIONS.c.id == submission_id, SUBMISSIONS.c.status == "pending")
                .values(status=DECISIONS[decision], reviewed_at=_now(), reviewer=" ".join(reviewer.split()), review_note=note.strip(), merge_error=None)
            ).rowcount
        if not done:
            raise SubmissionError(f"submission #{submission_id} was reviewed by someone else meanwhile")
        return self.get(submission_id)

    def merge(self, data_dir: str | Path, *, dry_run: bool = False) -> tuple[list[Paper], list[Problem]]:
        """Write approved, unmerged submissions into `data_dir/papers.bib`, sorted by key, and mark them merged.

        Each is validated against the dataset as it is now; a key taken meanwhile gets a new one. A
        submission the dataset already holds (same arXiv id, DOI or title) is marked merged without being
        written, and reported as a warning. One that cannot be written (an error against today's data, a value
        the BibTeX writer refuses) is sent back to `pending` with the reason in `merge_error`, reported as an
        error, and the others are written all the same. Returns the papers written and the problems.
        Raises `DataWriteError` or `BibliographyError`, writing and marking nothing, when papers.bib itself
        cannot be written.
        """
        data = Path(data_dir)
        corpus = load_corpus(data)
        ids = set(corpus.taxonomy.nodes)
        with self._write() as conn:
            rows = conn.execute(
                select(SUBMISSIONS).where(SUBMISSIONS.c.status == "approved", SUBMISSIONS.c.merged_at.is_(None)).order_by(SUBMISSIONS.c.id)
            ).all()
            taken = set(corpus.by_key)
            papers: list[tuple[Submission, Paper]] = []
            already: list[Submission] = []
            sent_back: list[tuple[Submission, str]] = []
            problems: list[Problem] = []
            today = _now().date().isoformat()
            for submission in map(_row_to_submission, rows):
                paper = replace(submission.paper, added=today)
                if paper.key in taken:
                    paper = replace(paper, key=self._assign_key(conn, paper, taken))
                day = (submission.reviewed_at or submission.created_at).date().isoformat()
                provenance = f"Community submission #{submission.id}, approved by {submission.reviewer or 'a maintainer'} on {day}."
                paper = replace(paper, note=f"{provenance} {paper.note}".strip())
                source = f"submission #{submission.id}"
                exact = find_duplicates([paper], corpus.papers, near_titles=False)[0]
                if exact:
                    already.append(submission)
                    problems.append(Problem(f"not written: the dataset already has it ({exact[0].describe()})", source, key=paper.key, severity="warning"))
                    continue
                if reason := _why_unwritable(paper, ids, source):
                    sent_back.append((submission, reason))
                    problems.append(
                        Problem(f"sent back to review, not written: {reason}", source, key=paper.key, hint="reject it, or fix it and approve it again")
                    )
                    continue
                taken.add(paper.key)
                papers.append((submission, paper))
            papers.sort(key=lambda pair: pair[1].key)
            if dry_run:  # nothing was written in this transaction yet
                return [p for _, p in papers], problems
            now = _now()
            for submission, reason in sent_back:
                conn.execute(update(SUBMISSIONS).where(SUBMISSIONS.c.id == submission.id).values(status="pending", merge_error=reason[:2000]))
            for submission, paper in papers:
                conn.execute(update(SUBMISSIONS).where(SUBMISSIONS.c.id == submission.id).values(key=paper.key, bibtex=format_bibtex([paper]), merged_at=now))
            for submission in already:
                conn.execute(update(SUBMISSIONS).where(SUBMISSIONS.c.id == submission.id).values(merged_at=now))
            if papers:
                append_papers(data / "papers.bib", [p for _, p in papers])  # last: a failure here rolls the marks back
        return [p for _, p in papers], problems


def _why_unwritable(paper: Paper, taxonomy_ids: set[str], source: str) -> str:
    """Why `paper` cannot go into papers.bib (its errors under the acceptance rule, or the writer's refusal), or ""
    when it can. Duplicates are the caller's: a paper the dataset already has is not written, but not sent back."""
    errors = [p for p in check_papers([paper], taxonomy_ids, source=source) if p.severity == "error"]
    if errors:
        return "; ".join(f"{p.field}: {p.message}" for p in errors)
    try:
        text = format_bibtex([paper])
    except BibliographyError as exc:
        return str(exc)
    back = parse_bibtex(text, source)
    if back.problems or [p.key for p in back.papers] != [paper.key]:
        return f"its BibTeX does not read back as one entry: {back.problems[0] if back.problems else 'entries differ'}"
    return ""


def open_store(settings: Settings) -> SubmissionStore:
    """A store on `settings.db_url`, its tables created or migrated. Whoever opens one closes it (`with` or `close`):
    the app keeps one for the server's life (`atlas_ui.cache.store`), each CLI command opens its own."""
    return SubmissionStore(database_url(settings.db_url))


def corpus_with_approved(settings: Settings, store: SubmissionStore) -> Corpus:
    """The dataset with the store's approved submissions: what a new or approved submission is checked against (the
    app checks against the same, so the CLI and the form agree)."""
    return load_corpus(settings.data_dir, extra_papers=store.approved())

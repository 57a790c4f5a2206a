"""The submission flow: reading and checking input, the store on SQLite and on a real PostgreSQL, rate
limits, concurrency, restarts, review with the admin token, merge into papers.bib, and the CLI."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import inspect

from survey_taxonomy.config import Settings
from survey_taxonomy.data.bibliography import load_bibliography, parse_bibtex
from survey_taxonomy.data.corpus import Corpus, load_corpus
from survey_taxonomy.data.records import Paper
from survey_taxonomy.errors import SubmissionError
from survey_taxonomy.submissions import MAX_INPUT_CHARS, SubmissionStore, SubmitResult, open_store, read_payload, read_text
from tests.conftest import CliRun

NODE = "collaboration/sm-enhance-llm/efficient-inference/cascading-and-routing"
VALID = {
    "title": "Tiny routers for huge language models",
    "authors": ["Ada Lovelace", "Alan Turing"],
    "year": 2025,
    "url": "https://example.org/tiny-routers",
    "taxonomy": NODE,
    "facets": ["model routing"],
    "summary": "Routes each query to a small model first and escalates only the hard ones.",
    "why": "It is a router between a small and a large model.",
}
ADMIN = "a-long-random-admin-token-for-tests"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def form(**changes: object) -> dict[str, object]:
    """VALID with some fields changed; a value of None removes the field."""
    return {k: v for k, v in {**VALID, **changes}.items() if v is not None}


def bib(key: str = "orig2024", **changes: str | None) -> str:
    """One BibTeX entry with valid defaults; values are inserted raw, so they can be hostile."""
    fields = {
        "title": "A tiny cascade of language models",
        "author": "Ada Lovelace and Alan Turing",
        "year": "2024",
        "url": "https://example.org/bib",
        "taxonomy": NODE,
        "summary": "Cascades a small and a large model.",
    } | changes
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items() if value is not None)
    return f"@misc{{{key},\n{body}\n}}\n"


# --- services ------------------------------------------------------------------------------------------


def _url(backend: str, folder: Path, request: pytest.FixtureRequest) -> str:
    return f"sqlite:///{folder / 'submissions.db'}" if backend == "sqlite" else request.getfixturevalue("postgres")()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _url(request.param, tmp_path, request)


@pytest.fixture
def store(db_url: str) -> Iterator[SubmissionStore]:
    store = SubmissionStore(db_url)
    yield store
    store.close()


@pytest.fixture(scope="module", params=BACKENDS)
def shared_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubmissionStore]:
    """One store per backend for the refused inputs: since nothing may be stored, they can share it."""
    store = SubmissionStore(_url(request.param, tmp_path_factory.mktemp("refused"), request))
    yield store
    store.close()


def approvals(db_url: str) -> tuple[int, list[Paper]]:
    """The approval version and approved papers as another process sees them: through its own store."""
    with open_store(Settings(db_url=db_url)) as other:
        return other.version(), other.approved()


def submit(store: SubmissionStore, corpus: Corpus, payload: object, session: str = "test", per_minute: int | None = None) -> SubmitResult:
    drafts, problems = read_payload(payload) if isinstance(payload, dict | list) else read_text(str(payload))
    return store.submit(drafts, corpus, session=session, per_minute=per_minute, problems=problems)


# --- refused inputs ----------------------------------------------------------------------------------

REFUSED = [
    pytest.param(form(title=None), [("title", "is missing")], id="missing-title"),
    pytest.param(form(title="   "), [("title", "is missing")], id="blank-title"),
    pytest.param(form(authors=None), [("authors", "no author given")], id="missing-authors"),
    pytest.param(form(authors=["12345"]), [("authors", "has no letters")], id="author-without-letters"),
    pytest.param(form(year=None), [("year", "is missing")], id="missing-year"),
    pytest.param(form(year=1800), [("year", "1800 is outside 1950")], id="year-1800"),
    pytest.param(form(year=2999), [("year", "2999 is outside")], id="year-far-future"),
    pytest.param(form(year="20x4"), [("year", "'20x4' is not a year")], id="year-not-digits"),
    pytest.param(form(year=True), [("year", "'True' is not a year")], id="year-boolean"),
    pytest.param(form(year="2024; DROP TABLE submissions"), [("year", "is not a year")], id="year-sql"),
    pytest.param(form(summary=None), [("summary", "is missing")], id="missing-summary"),
    pytest.param(form(url=None), [("url", "no link")], id="no-link"),
    pytest.param(form(url="javascript:alert(1)"), [("url", "is not an http(s) url")], id="javascript-url"),
    pytest.param(form(url="JaVaScRiPt:alert(document.cookie)"), [("url", "is not an http(s) url")], id="javascript-url-mixed-case"),
    pytest.param(form(url="data:text/html;base64,PHNjcmlwdD4="), [("url", "is not an http(s) url")], id="data-url"),
    pytest.param(form(url="/papers/1"), [("url", "is not an http(s) url")], id="relative-url"),
    pytest.param(form(url="https://exa mple.org"), [("url", "is not an http(s) url")], id="url-with-space"),
    pytest.param(form(code="ftp://example.org/repo"), [("code", "is not an http(s) url")], id="ftp-code-url"),
    pytest.param(form(title="<script>alert(1)</script>"), [("title", "html or script markup")], id="script-title"),
    pytest.param(form(title="Nice <img src=x onerror=alert(1)>"), [("title", "html or script markup")], id="img-onerror-title"),
    pytest.param(form(summary='Read <a href="https://evil.example">this</a>'), [("summary", "html or script markup")], id="link-in-summary"),
    pytest.param(form(venue='NeurIPS" onmouseover="alert(1)'), [("venue", "html or script markup")], id="attribute-injection-venue"),
    pytest.param(form(arxiv="2401.01234' OR '1'='1"), [("arxiv", "is not an arxiv id")], id="arxiv-sql"),
    pytest.param(form(arxiv="arXiv:2401"), [("arxiv", "'2401' is not an arxiv id")], id="arxiv-truncated"),
    pytest.param(form(doi="10.1/x"), [("doi", "is not a doi")], id="doi-short-registrant"),
    pytest.param(form(doi="10.1234/x'; DROP TABLE submissions;--"), [("doi", "is not a doi")], id="doi-sql"),
    pytest.param(form(doi="10.1234/" + "a" * 300), [("doi", "the limit is 200")], id="huge-doi"),
    pytest.param(form(taxonomy="x'; DROP TABLE submissions; --"), [("taxonomy", "does not exist")], id="taxonomy-sql"),
    pytest.param(form(taxonomy="collaboration/../competition"), [("taxonomy", "does not exist")], id="taxonomy-path-traversal"),
    pytest.param(form(taxonomy=None), [("taxonomy", "no taxonomy node")], id="missing-taxonomy"),
    pytest.param(form(title="A" * 10_000), [("title", "10000 characters long; the limit is 300")], id="huge-title"),
    pytest.param(form(summary="word " * 2000), [("summary", "the limit is 600")], id="huge-summary"),
    pytest.param(form(authors=[f"Author Number{i}" for i in range(500)]), [("authors", "500 authors; at most 200")], id="too-many-authors"),
    pytest.param(form(why="because " * 500), [("why", "the limit is 1000")], id="huge-why"),
    pytest.param(form(contact="<script>document.location='https://evil.example'</script>"), [("contact", "html or script markup")], id="script-contact"),
    pytest.param(form(title="Tiny\x00routers"), [("title", "control characters")], id="nul-in-title"),
    pytest.param(form(facets=["<b>bold</b>"]), [("facets", "html or script markup")], id="html-facet"),
    pytest.param(form(titel="typo"), [("titel", "unknown field")], id="unknown-field"),
    pytest.param(form(title=42), [("title", "must be text, not int")], id="title-not-text"),
    pytest.param(form(authors={"name": "Ada"}), [("authors", "must be a list of strings")], id="authors-as-object"),
    pytest.param(form(entry_type="<script>"), [("entry_type", "is not a bibtex entry type")], id="bad-entry-type"),
    pytest.param(form(cites=["nobody2099nothing"]), [("cites", "cites unknown key")], id="cites-unknown-key"),
    pytest.param(form(arxiv="2211.17192"), [("arxiv", "same arxiv id as 'leviathan2023fast'")], id="duplicate-arxiv"),
    pytest.param(form(arxiv="arXiv:2211.17192v3"), [("arxiv", "same arxiv id as 'leviathan2023fast'")], id="duplicate-arxiv-other-version"),
    pytest.param(form(doi="https://doi.org/10.18653/V1/2024.naacl-long.79"), [("doi", "same doi as 'lee2024orchestrallm'")], id="duplicate-doi"),
    pytest.param(
        form(title="Fast inference from transformers via speculative decoding!"), [("title", "100% similar to 'leviathan2023fast'")], id="duplicate-title"
    ),
    pytest.param([VALID, form(title="Another tiny router", year=1800)], [("year", "outside")], id="json-list-with-one-bad-item"),
    pytest.param('{"title": "x",}', [("", "not valid json")], id="json-syntax-error"),
    pytest.param("[1, 2]", [("", "item 1 is not an object")], id="json-list-of-numbers"),
    pytest.param("[]", [("", "no paper in the input")], id="json-empty-list"),
    pytest.param("hello world", [("", "no bibtex entry found")], id="neither-json-nor-bibtex"),
    pytest.param(bib(title="A {tiny cascade"), [("", "cannot be parsed")], id="bibtex-unbalanced-braces"),
    pytest.param("@misc{x, title = {A tiny cascade}", [("", "cannot be parsed")], id="bibtex-truncated"),
    pytest.param(bib(year="20x4"), [("year", "'20x4' is not a four-digit year")], id="bibtex-bad-year"),
    pytest.param(bib(summary=None), [("summary", "is missing")], id="bibtex-missing-summary"),
    pytest.param(bib(url="javascript:alert(1)"), [("url", "is not an http(s) url")], id="bibtex-javascript-url"),
    pytest.param(bib(eprint="1' OR 1=1"), [("eprint", "is not an arxiv id")], id="bibtex-sql-eprint"),
    pytest.param(bib(title="<iframe src=https://evil.example>"), [("title", "html or script markup")], id="bibtex-html-title"),
    pytest.param(bib(taxonomy="nowhere/at-all"), [("taxonomy", "does not exist")], id="bibtex-unknown-node"),
    pytest.param(bib("same2024") + bib("same2024", title="Another cascade"), [("key", "duplicate key 'same2024'")], id="bibtex-duplicate-keys"),
    pytest.param(
        bib("one", eprint="2501.00001", title="One cascade") + bib("two", eprint="2501.00001v2", title="Two cascades"),
        [("eprint", "same arxiv id as 'one'")],
        id="bibtex-same-arxiv-twice",
    ),
    pytest.param("@misc{x, title={" + "a" * MAX_INPUT_CHARS + "}}", [("", f"the limit is {MAX_INPUT_CHARS}")], id="bibtex-huge-input"),
]


@pytest.mark.parametrize(("payload", "expected"), REFUSED)
def test_refused_inputs_say_what_and_store_nothing(shared_store: SubmissionStore, corpus: Corpus, payload: object, expected: list[tuple[str, str]]) -> None:
    result = submit(shared_store, corpus, payload, session=f"refused-{uuid.uuid4()}", per_minute=5)
    assert not result.ok and result.errors
    for field, words in expected:
        assert any(p.field == field and words.lower() in p.message.lower() and p.hint for p in result.errors), (field, words, [str(p) for p in result.problems])
    assert shared_store.find() == []


def test_there_are_at_least_forty_refused_inputs() -> None:
    assert len(REFUSED) >= 40


def test_all_problems_come_at_once(shared_store: SubmissionStore, corpus: Corpus) -> None:
    result = submit(shared_store, corpus, form(title=None, year=1800, url="javascript:x", summary=None, taxonomy="nowhere"))
    assert {p.field for p in result.errors} >= {"title", "year", "url", "summary", "taxonomy"}
    assert shared_store.find() == []


# --- accepted inputs -----------------------------------------------------------------------------------


ACCEPTED = [
    pytest.param(
        form(title="Über kleine Modelle: 小さなモデル and émigrés", authors=["Gaël Varoquaux", "Zoë Çelik"]),
        {"title": "Über kleine Modelle: 小さなモデル and émigrés", "authors": ("Gaël Varoquaux", "Zoë Çelik")},
        id="unicode",
    ),
    pytest.param(
        bib(author='Ga{\\"e}l Varoquaux and M{\\"u}ller, Hans', title="{\\'E}tude of {BERT} routers"),
        {"title": "Étude of BERT routers", "authors": ("Gaël Varoquaux", "Hans Müller")},
        id="latex-accents",
    ),
    pytest.param(
        form(title="Robert'); DROP TABLE submissions;-- a study of routers"),
        {"title": "Robert'); DROP TABLE submissions;-- a study of routers"},
        id="sql-in-title-is-just-text",
    ),
    pytest.param(
        form(title="{Curly} & 100% $cash$ #1 a_b \\ c"),
        {"title": "{Curly} & 100% $cash$ #1 a_b \\ c"},
        id="bibtex-special-characters",
    ),
    pytest.param(
        form(title="Routers}, relation = {survey}, note = {pwned"),
        {"title": "Routers}, relation = {survey}, note = {pwned", "relation": "community", "note": ""},
        id="field-injection-attempt",
    ),
    pytest.param(
        form(arxiv="https://arxiv.org/abs/2501.00002v2", doi="doi:10.1234/ABC.1", url=None),
        {"arxiv": "2501.00002v2", "doi": "10.1234/ABC.1"},
        id="arxiv-and-doi-links",
    ),
    pytest.param(form(arxiv="cs.CL/0101001", url=None), {"arxiv": "cs.CL/0101001"}, id="old-style-arxiv-id"),
    pytest.param(form(authors="Turing, Alan; Ada Lovelace"), {"authors": ("Alan Turing", "Ada Lovelace")}, id="authors-as-text"),
]


@pytest.mark.parametrize(("payload", "expected"), ACCEPTED)
def test_valid_inputs_are_stored_faithfully(store: SubmissionStore, corpus: Corpus, payload: object, expected: dict[str, object]) -> None:
    result = submit(store, corpus, payload)
    assert result.ok, [str(p) for p in result.problems]
    (stored,) = store.find()
    paper = stored.paper
    for name, value in expected.items():
        assert getattr(paper, name) == value
    assert paper.relation == "community" and stored.status == "pending"
    (written,) = parse_bibtex(stored.bibtex).papers  # the BibTeX it would add reads back to the same paper
    assert written == paper
    assert inspect(store.engine).has_table("submissions")


def test_near_duplicate_titles_are_stored_with_a_warning(store: SubmissionStore, corpus: Corpus) -> None:
    result = submit(store, corpus, form(title="Fast inference from transformers via speculative decodings"))
    assert result.ok
    assert any(p.field == "title" and "possible duplicate" in p.message and "leviathan2023fast" in p.message for p in result.warnings)


def test_pending_submissions_count_as_duplicates(store: SubmissionStore, corpus: Corpus) -> None:
    assert submit(store, corpus, form(arxiv="2501.00003")).ok
    again = submit(store, corpus, form(arxiv="2501.00003v2", title="A different title for the same paper"))
    assert not again.ok and any(p.field == "arxiv" and "pending submission #1" in p.message for p in again.errors)
    assert len(store.find()) == 1


def test_keys_follow_the_dataset_style_and_stay_unique(store: SubmissionStore, corpus: Corpus) -> None:
    collides = form(title="Fast routers", authors=["Yaniv Leviathan"], year=2023)  # leviathan2023fast is in the dataset
    first = submit(store, corpus, collides).submissions[0]
    second = submit(store, corpus, form(title="Fast routers, again", authors=["Yaniv Leviathan"], year=2023, url="https://example.org/2")).submissions[0]
    assert (first.key, second.key) == ("leviathan2023fastb", "leviathan2023fastc")


# --- the store ------------------------------------------------------------------------------------------


def test_rate_limit_per_session(store: SubmissionStore, corpus: Corpus) -> None:
    for i in range(5):
        assert submit(store, corpus, form(title=f"Router study {i} of many", url=f"https://example.org/{i}"), session="busy", per_minute=5).ok
    with pytest.raises(SubmissionError, match=r"too many submissions.*limit is 5 per minute"):
        submit(store, corpus, form(title="One router too many", url="https://example.org/6"), session="busy", per_minute=5)
    assert submit(store, corpus, form(title="Someone else's router", url="https://example.org/7"), session="other", per_minute=5).ok
    assert len(store.find()) == 6
    assert all(len(row) == 64 for row in _session_hashes(store))  # hashes, never the raw session id


def _session_hashes(store: SubmissionStore) -> list[str]:
    with store.engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT session_hash FROM submissions")]


def test_concurrent_writers_lose_nothing(store: SubmissionStore, corpus: Corpus) -> None:
    def writer(w: int) -> list[str]:
        failures = []
        for i in range(50):
            try:
                result = submit(
                    store, corpus, form(title=f"Writer {w} reports study {i}", url=f"https://example.org/{w}/{i}"), session=f"w{w}-{i}", per_minute=5
                )
                if not result.ok:
                    failures.append(str(result.errors))
            except Exception as exc:  # a "database is locked" here would be a failure the user sees
                failures.append(repr(exc))
        return failures

    with ThreadPoolExecutor(max_workers=8) as pool:
        failures = [f for batch in pool.map(writer, range(8)) for f in batch]
    assert failures == []
    stored = store.find()
    assert len(stored) == 400 and len({s.key for s in stored}) == 400


def test_pending_submissions_survive_a_restart(db_url: str, corpus: Corpus) -> None:
    first = SubmissionStore(db_url)
    titles = [f"Restart-proof router {i}" for i in range(3)]
    for i, title in enumerate(titles):
        assert submit(first, corpus, form(title=title, url=f"https://example.org/r{i}")).ok
    first.close()
    second = SubmissionStore(db_url)  # a new engine, as after restarting the app
    assert [s.title for s in second.find("pending")] == titles
    second.close()


def test_old_tables_are_migrated(tmp_path: Path, corpus: Corpus) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE submissions (id INTEGER PRIMARY KEY, key VARCHAR(80) NOT NULL UNIQUE, status VARCHAR(16) NOT NULL, title TEXT NOT NULL,"
            " arxiv TEXT, doi TEXT, payload TEXT NOT NULL, bibtex TEXT NOT NULL, source VARCHAR(40) NOT NULL, session_hash VARCHAR(64) NOT NULL,"
            " created_at DATETIME NOT NULL)"
        )
        conn.execute(
            "INSERT INTO submissions VALUES (1, 'old2024router', 'pending', 'Old router', NULL, NULL, ?, '', 'form', 'x', '2024-01-01 00:00:00')",
            (json.dumps(form(title="Old router")),),
        )
    store = SubmissionStore(f"sqlite:///{path}")
    assert {"reviewed_at", "reviewer", "review_note", "merged_at"} <= {c["name"] for c in inspect(store.engine).get_columns("submissions")}
    assert [s.key for s in store.find("pending")] == ["old2024router"]
    assert submit(store, corpus, form()).ok
    store.close()


def test_sqlite_store_uses_wal_and_creates_its_folder(tmp_path: Path) -> None:
    store = SubmissionStore(f"sqlite:///{tmp_path / 'new' / 'folder' / 'submissions.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert (conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 5000
    store.close()


def test_a_store_opened_on_a_database_that_does_not_exist_yet_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "var" / "fresh.db"
    assert approvals(f"sqlite:///{path}") == (0, [])
    assert path.exists()


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match=r"cannot be opened.*SURVEY_DB_URL"):
        SubmissionStore(f"postgresql://nobody@/nothing?host={tmp_path}&port=1")


# --- review ---------------------------------------------------------------------------------------------


def test_review_needs_the_admin_token_and_approval_reaches_explore(db_url: str, store: SubmissionStore, corpus: Corpus, data_dir: Path) -> None:
    (submission,) = submit(store, corpus, form()).submissions
    for token, configured, message in (
        ("", "", "review is disabled"),
        ("guess", "", "review is disabled"),
        ("wrong", "right", "wrong admin token"),
        ("", "right", "wrong admin token"),
    ):
        with pytest.raises(SubmissionError, match=message):
            store.review(submission.id, "approve", token=token, admin_token=configured, corpus=corpus)
    assert store.get(submission.id).status == "pending"
    before, papers = approvals(db_url)
    assert papers == []

    done = store.review(submission.id, "approve", token="right", admin_token="right", corpus=corpus, reviewer="Grace Hopper", note="Fits the node.")
    assert (done.status, done.reviewer, done.review_note) == ("approved", "Grace Hopper", "Fits the node.") and done.reviewed_at is not None
    after, papers = approvals(db_url)
    assert after != before
    explore = load_corpus(data_dir, extra_papers=papers)
    assert explore.by_key[done.key].relation == "community" and done.key in set(explore.frame["key"])
    with pytest.raises(SubmissionError, match="already approved"):
        store.review(submission.id, "reject", token="right", admin_token="right")
    with pytest.raises(SubmissionError, match="no submission #999"):
        store.review(999, "approve", token="right", admin_token="right", corpus=corpus)


def test_rejected_submissions_stay_out_and_can_be_resubmitted(db_url: str, store: SubmissionStore, corpus: Corpus) -> None:
    (submission,) = submit(store, corpus, form(arxiv="2501.00004")).submissions
    store.review(submission.id, "reject", token="t", admin_token="t", note="Out of scope.")
    assert approvals(db_url)[1] == []
    assert submit(store, corpus, form(arxiv="2501.00004")).ok


def test_approval_is_refused_when_the_paper_arrived_meanwhile(store: SubmissionStore, corpus: Corpus, data_dir: Path) -> None:
    (submission,) = submit(store, corpus, form(arxiv="2501.00005")).submissions
    newer = load_corpus(data_dir, extra_papers=[Paper(key="someone2025tiny", title="Some paper", arxiv="2501.00005")])
    with pytest.raises(SubmissionError, match=r"cannot be approved.*same arXiv id as 'someone2025tiny'"):
        store.review(submission.id, "approve", token="t", admin_token="t", corpus=newer)
    assert store.get(submission.id).status == "pending"


# --- merge ----------------------------------------------------------------------------------------------


def test_merge_writes_sorted_valid_entries_once(db_url: str, store: SubmissionStore, corpus: Corpus, data_copy: Path) -> None:
    ids = [
        s.id
        for p in (form(title="Zebra routers"), form(title="Aardvark routers", authors=["Zoë Çelik"], url="https://example.org/a"))
        for s in submit(store, corpus, p).submissions
    ]
    for submission_id in ids:
        store.review(submission_id, "approve", token="t", admin_token="t", corpus=corpus, reviewer="Grace")
    version = approvals(db_url)[0]

    papers, warnings = store.merge(data_copy)
    assert [p.key for p in papers] == ["celik2025aardvark", "lovelace2025zebra"] and warnings == []
    merged = load_bibliography(data_copy / "papers.bib")
    assert merged.ok and [p.key for p in merged.papers][-2:] == ["celik2025aardvark", "lovelace2025zebra"]
    assert merged.papers[-2].authors == ("Zoë Çelik",) and merged.papers[-2].note.startswith("Community submission #2, approved by Grace")
    assert store.merge(data_copy) == ([], [])  # marked merged: never written twice
    assert approvals(db_url)[0] != version
    assert load_corpus(data_copy).errors == []  # what `validate` checks; the CLI test runs it for real


def test_merge_skips_papers_the_dataset_already_has(store: SubmissionStore, corpus: Corpus, data_copy: Path) -> None:
    (submission,) = submit(store, corpus, form(arxiv="2501.00006", url=None)).submissions
    store.review(submission.id, "approve", token="t", admin_token="t", corpus=corpus)
    bib_path = data_copy / "papers.bib"
    bib_path.write_text(bib_path.read_text(encoding="utf-8") + "\n" + bib("handmade2025", eprint="2501.00006", title="Added by hand"), encoding="utf-8")
    papers, warnings = store.merge(data_copy)
    assert papers == [] and "already has it" in warnings[0].message
    assert bib_path.read_text(encoding="utf-8").count("2501.00006") == 1


# --- command line ---------------------------------------------------------------------------------------


def test_cli_add_list_review_merge(run_cli: Callable[..., CliRun], tmp_path: Path, data_copy: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"

    def cli(*args: str, token: str | None = None, stdin: str | None = None) -> CliRun:
        env = {"SURVEY_DATA_DIR": str(data_copy), "SURVEY_DB_URL": db} | ({"SURVEY_ADMIN_TOKEN": token} if token is not None else {})
        return run_cli(*args, stdin=stdin, **env)

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([form(), form(title="<b>x</b>", year=1800, url="javascript:alert(1)")]), encoding="utf-8")
    refused = cli("submissions", "add", str(bad))
    assert refused.returncode == 1
    for expected in ("title: contains HTML", "year: 1800 is outside", "url: 'javascript:alert(1)' is not an http(s) URL", "nothing was stored"):
        assert expected in refused.stderr

    entries = bib("a", title="Piped cascade one", taxonomy=None) + bib("b", title="Piped cascade two", url="https://example.org/two", taxonomy=None)
    added = cli("submissions", "add", "-", "--node", NODE, stdin=entries)
    assert added.returncode == 0 and "stored submission #1 as lovelace2024piped" in added.stdout and "stored submission #2" in added.stdout
    listed = json.loads(cli("submissions", "list", "--status", "pending", "--format", "json").stdout)
    assert [s["id"] for s in listed] == [1, 2] and listed[0]["payload"]["taxonomy"] == [NODE]  # ids from 1: the refused file stored nothing

    disabled = cli("submissions", "approve", "1")
    assert disabled.returncode == 1 and "review is disabled" in disabled.stderr and "SURVEY_ADMIN_TOKEN" in disabled.stderr
    wrong = cli("submissions", "approve", "1", "--token", "guess", token=ADMIN)
    assert wrong.returncode == 1 and "wrong admin token" in wrong.stderr
    assert cli("submissions", "approve", "1", "--note", "Good fit", token=ADMIN).returncode == 0

    merged = cli("submissions", "merge")
    assert merged.returncode == 0 and "added 1 approved submission to" in merged.stdout and "lovelace2024piped" in merged.stdout
    assert "@misc{lovelace2024piped," in (data_copy / "papers.bib").read_text(encoding="utf-8")
    validated = cli("validate")
    assert validated.returncode == 0 and "0 errors" in validated.stdout, validated.stderr


def test_the_queue_pages_in_the_database(store: SubmissionStore, corpus: Corpus) -> None:
    for i in range(7):
        origin = {"title": f"Paged router {i}", "url": f"https://example.org/paged{i}"}
        assert submit(store, corpus, form(**origin)).ok
    store.review(2, "reject", token=ADMIN, admin_token=ADMIN)
    assert store.count("pending") == 6 and store.count(("approved", "rejected")) == 1 and store.count() == 7
    first, last = store.queue(1, size=4), store.queue(9, size=4)  # a page past the end shows the last one
    assert [s.id for s in first.submissions] == [1, 3, 4, 5] and (first.total, first.pages, first.first) == (6, 2, 1)
    assert [s.id for s in last.submissions] == [6, 7] and (last.page, last.first) == (2, 5)
    assert [s.id for s in store.find(limit=2, offset=1, newest_first=True)] == [6, 5]
    assert store.queue(1, origin="bibtex").submissions == () and store.queue(1, origin="bibtex").pages == 1
    findings = store.findings_of(first.submissions, corpus)
    assert set(findings) == {1, 3, 4, 5} and findings[3] == store.findings(store.get(3), corpus)
    assert not [p for p in findings[1] if p.severity == "error"]  # a submission is no duplicate of itself


VENUE_PAPERS = [
    pytest.param(
        form(venue="ACL 2024", arxiv="2401.00001"), {"entry_type": "inproceedings", "booktitle": "ACL 2024"}, "paper-conference", id="form-conference"
    ),
    pytest.param(form(venue="TMLR 2024", arxiv="2401.00001"), {"entry_type": "article", "journal": "TMLR 2024"}, "article-journal", id="form-journal"),
    pytest.param(
        bib(
            entry_type=None,
            booktitle="Proceedings of the 62nd Annual Meeting of the ACL",
            venue="ACL 2024",
            eprint="2401.00001",
            doi="10.18653/v1/2024.acl-long.1",
            note="Oral.",
        ).replace("@misc", "@inproceedings"),
        {
            "entry_type": "inproceedings",
            "booktitle": "Proceedings of the 62nd Annual Meeting of the ACL",
            "venue": "ACL 2024",
            "doi": "10.18653/v1/2024.acl-long.1",
            "note": "Oral.",
        },
        "paper-conference",
        id="pasted-inproceedings",
    ),
    pytest.param(
        bib(journal="Transactions on Machine Learning Research", venue="TMLR 2024").replace("@misc", "@article"),
        {"entry_type": "article", "journal": "Transactions on Machine Learning Research", "venue": "TMLR 2024"},
        "article-journal",
        id="pasted-article",
    ),
]


@pytest.mark.parametrize(("payload", "fields", "csl_type"), VENUE_PAPERS)
def test_an_approved_submission_keeps_its_fields_and_is_exported_as_what_it_is(
    db_url: str, store: SubmissionStore, corpus: Corpus, data_copy: Path, payload: object, fields: dict[str, object], csl_type: str
) -> None:
    from survey_taxonomy.export.writers import export

    (submission,) = submit(store, corpus, payload).submissions
    submitted = submission.paper
    store.review(submission.id, "approve", token="t", admin_token="t", corpus=corpus)
    (approved,) = [p for p in approvals(db_url)[1] if p.key == submission.key]
    assert approved == submitted and {name: getattr(approved, name) for name in fields} == fields
    assert export([approved], "cite").startswith(f"@{fields['entry_type']}{{")
    assert json.loads(export([approved], "csl"))[0]["type"] == csl_type
    store.merge(data_copy)
    (merged,) = [p for p in load_bibliography(data_copy / "papers.bib").papers if p.key == submission.key]
    assert {name: getattr(merged, name) for name in fields if name != "note"} == {k: v for k, v in fields.items() if k != "note"}
    assert merged.note.endswith(submitted.note)

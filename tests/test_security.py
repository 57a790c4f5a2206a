"""Issue 11, library side: untrusted text stays inert in every writer, writers cannot be subverted or lose
updates, a stuck paper does not block a merge, the rate limit and the review throttle live in the store, and
every failure the attack report lists answers with a message, not a traceback."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import streamlit
from bibtexparser import parse_string
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas_ui import compat
from survey_taxonomy.data.bibliography import append_papers, format_bibtex, load_bibliography, parse_bibtex
from survey_taxonomy.data.corpus import Corpus, load_corpus, read_citations
from survey_taxonomy.data.latex import decode
from survey_taxonomy.data.records import Paper
from survey_taxonomy.data.validation import clean_url, is_arxiv_id, is_doi, validate_paper
from survey_taxonomy.errors import BibliographyError, DataWriteError, SubmissionError
from survey_taxonomy.export.writers import export, markdown_text, to_csv, to_markdown
from survey_taxonomy.submissions import (
    MAX_INPUT_CHARS,
    SUBMISSIONS,
    SubmissionStore,
    SubmitResult,
    client_key,
    is_admin,
    read_payload,
    read_text,
)
from tests.conftest import CliRun

ROOT = Path(__file__).resolve().parent.parent
NODE = "collaboration/efficient-inference/cascading-and-routing"  # of the tiny taxonomy
TOKEN = "a-long-random-admin-token-for-tests"
SMUGGLED = "10.5555/inj},url={javascript:alert(1)},code={javascript:alert(2)},x={"
VALID = {
    "title": "Tiny routers for huge language models",
    "authors": ["Ada Lovelace", "Alan Turing"],
    "year": 2025,
    "url": "https://example.org/tiny-routers",
    "taxonomy": NODE,
    "summary": "Routes each query to a small model first and escalates only the hard ones.",
}


def form(**changes: object) -> dict[str, object]:
    return {k: v for k, v in {**VALID, **changes}.items() if v is not None}


def bib(key: str = "orig2024", quoted: dict[str, str] | None = None, **fields: str) -> str:
    """One BibTeX entry with valid defaults; values are inserted raw (braced, or quoted when in `quoted`)."""
    values = {"title": "A tiny cascade of language models", "author": "Ada Lovelace", "year": "2024", "taxonomy": NODE, "summary": "Cascades."} | fields
    body = [f"  {name} = {{{value}}}" for name, value in values.items()] + [f'  {name} = "{value}"' for name, value in (quoted or {}).items()]
    return f"@misc{{{key},\n" + ",\n".join(body) + "\n}\n"


@pytest.fixture
def corpus(tiny_copy: Path) -> Corpus:
    return load_corpus(tiny_copy)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SubmissionStore]:
    store = SubmissionStore(f"sqlite:///{tmp_path / 'submissions.db'}")
    yield store
    store.close()


def submit(store: SubmissionStore, corpus: Corpus, payload: object, client: str = "test", **limits: int | None) -> SubmitResult:
    drafts, problems = read_payload(payload) if isinstance(payload, dict | list) else read_text(str(payload))
    return store.submit(
        drafts,
        corpus,
        session=client,
        per_minute=limits.get("per_minute"),
        problems=problems,
        max_pending=limits.get("max_pending"),
        per_minute_all=limits.get("per_minute_all"),
    )


def approve(store: SubmissionStore, corpus: Corpus, payload: object) -> int:
    result = submit(store, corpus, payload)
    assert result.ok, [str(p) for p in result.problems]
    (submission,) = result.submissions
    store.review(submission.id, "approve", token=TOKEN, admin_token=TOKEN, corpus=corpus)
    return submission.id


# --- 1. field smuggling ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(form(doi=SMUGGLED), id="form-doi"),
        pytest.param(bib(quoted={"doi": SMUGGLED}), id="bibtex-quoted-doi"),
        pytest.param(bib(doi=SMUGGLED), id="bibtex-braced-doi"),
        pytest.param(form(arxiv="2401.00001\n, url = {javascript:alert(1)}"), id="form-arxiv-newline"),
    ],
)
def test_smuggled_fields_are_refused_with_a_message(store: SubmissionStore, corpus: Corpus, payload: object) -> None:
    result = submit(store, corpus, payload)
    assert not result.ok and store.find() == []
    assert any(p.field in ("doi", "url", "code", "arxiv", "eprint") and p.hint for p in result.errors), [str(p) for p in result.problems]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("10.18653/v1/2023.acl-long.1", True),
        ("10.1002/(SICI)1097-4636(199812)43:4", True),
        (SMUGGLED, False),
        ("10.1234/x y", False),
        ('10.1234/x"', False),
        ("10.1234/a,b", False),
        ("10.1234/a=b", False),
        ("10.1234/x\n", False),
        ("10.12/x", False),
    ],
)
def test_doi_grammar(value: str, ok: bool) -> None:
    assert is_doi(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        *[("2401.01234", True), ("2401.01234v12", True), ("0704.0001", True), ("hep-th/9901001v2", True), ("math.AG/0101001", True)],
        *[("2401.01234\n", False), ("2401.123", False), ("cs.CL/010100", False), ("CS/0101001", False), ("2401.01234}", False)],
    ],
)
def test_arxiv_grammar(value: str, ok: bool) -> None:
    assert is_arxiv_id(value) is ok


@pytest.mark.parametrize(
    ("value", "rebuilt"),
    [
        ("https://example.org/a_b?x=1&y=%20", "https://example.org/a_b?x=1&y=%20"),
        ("HTTPS://Example.ORG:8443/p", "https://example.org:8443/p"),
        ("https://example.org/p1)![px](https://evil.example/pixel.png)", "https://example.org/p1%29!%5Bpx%5D%28https://evil.example/pixel.png%29"),
        ("https://example.org/{a}\\b", "https://example.org/%7Ba%7D%5Cb"),
        ("https://example.org/100%", "https://example.org/100%25"),
        ("javascript:alert(1)", None),
        ("https://good.example@evil.example/", None),
        ("http://[::1", None),
        ("https://example.org:99999/", None),
        ("https:///path-only", None),
        ("https://exa mple.org", None),
        ("https://example.org/\u202egnp.exe", None),
    ],
)
def test_urls_are_parsed_and_rebuilt(value: str, rebuilt: str | None) -> None:
    assert clean_url(value) == rebuilt
    if rebuilt is not None:
        assert clean_url(rebuilt) == rebuilt  # rebuilding is stable, so written data reads back the same


def test_submitted_links_are_stored_rebuilt(store: SubmissionStore, corpus: Corpus) -> None:
    (submission,) = submit(store, corpus, form(url="https://Example.org/p1)![px](https://evil.example/x.png)")).submissions
    assert submission.paper.url == "https://example.org/p1%29!%5Bpx%5D%28https://evil.example/x.png%29"


@pytest.mark.parametrize("field", ["doi", "arxiv", "taxonomy", "relation", "cites"])
def test_the_bibtex_writer_refuses_a_value_that_would_change_the_entry(field: str) -> None:
    value = (SMUGGLED,) if field in ("taxonomy", "cites") else SMUGGLED
    smuggled: dict[str, Any] = {field: value}
    paper = Paper(key="evil2024x", title="T", **smuggled)
    with pytest.raises(BibliographyError, match=r"\[evil2024x\] .*refusing to write"):
        format_bibtex([paper])


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from('{}\\"=,@%#x \n'), max_size=40), st.sampled_from(["title", "venue", "url", "code", "doi", "arxiv"]))
def test_no_value_can_add_fields_or_entries(value: str, field: str) -> None:
    fields: dict[str, Any] = {"key": "probe2024x", "title": "T"} | {field: value}
    paper = Paper(**fields)
    try:
        text = format_bibtex([paper])
    except BibliographyError:
        return
    library = parse_string(text)
    assert len(library.entries) == 1 and not library.failed_blocks
    written = {"title", "relation", "archiveprefix", "eprint" if field == "arxiv" else field}
    assert {f.key for f in library.entries[0].fields} <= written


def test_latex_link_in_a_venue_decodes_to_text_not_html() -> None:
    (paper,) = parse_bibtex(bib(venue=r"\url{a~href=https://evil.example}", title=r"See \href{https://evil.example}{here}")).papers
    assert "<" not in paper.venue and "href=https://evil.example" in paper.venue
    assert paper.title == "See here"


def test_bibtex_export_escapes_for_latex_not_html() -> None:
    text = format_bibtex([Paper(key="b2024x", title="Why <b> & </b> are tags")])
    assert "<b> \\& </b>" in text and "&lt;" not in text
    assert parse_bibtex(text).papers[0].title == "Why <b> & </b> are tags"


# --- 2. a stuck merge ---------------------------------------------------------------------------------


def test_a_paper_that_cannot_be_written_is_sent_back_and_the_others_merge(store: SubmissionStore, corpus: Corpus, tiny_copy: Path) -> None:
    innocent = approve(store, corpus, form(title="Innocent router", url="https://example.org/innocent"))
    hostile = approve(store, corpus, form(title="Hostile router", url="https://example.org/hostile"))
    payload = dict(store.get(hostile).payload)
    payload["doi"] = SMUGGLED  # as the old DOI check stored it
    with store.engine.begin() as conn:
        conn.execute(SUBMISSIONS.update().where(SUBMISSIONS.c.id == hostile).values(payload=json.dumps(payload), doi=SMUGGLED))

    papers, problems = store.merge(tiny_copy)
    assert [p.title for p in papers] == ["Innocent router"]
    (sent_back,) = [p for p in problems if p.severity == "error"]
    assert sent_back.source == f"submission #{hostile}" and "doi" in sent_back.message and sent_back.hint
    stuck = store.get(hostile)
    assert stuck.status == "pending" and "is not a DOI" in stuck.merge_error
    assert store.get(innocent).merged_at is not None
    text = (tiny_copy / "papers.bib").read_text(encoding="utf-8")
    assert "Innocent router" in text and "javascript:" not in text and "Hostile" not in text
    assert load_corpus(tiny_copy).errors == []

    assert store.review(hostile, "reject", token=TOKEN, admin_token=TOKEN).status == "rejected"
    assert store.merge(tiny_copy) == ([], [])  # nothing left, nothing blocked


def test_merge_command_reports_the_sent_back_paper_and_exits_1(run_cli: Callable[..., CliRun], tmp_path: Path, tiny_copy: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    store = SubmissionStore(db)
    corpus = load_corpus(tiny_copy)
    hostile = approve(store, corpus, form(title="Hostile router"))
    with store.engine.begin() as conn:
        conn.execute(SUBMISSIONS.update().where(SUBMISSIONS.c.id == hostile).values(payload=json.dumps(form(title="Hostile router", doi=SMUGGLED))))
    store.close()
    proc = run_cli("submissions", "merge", SURVEY_DATA_DIR=str(tiny_copy), SURVEY_DB_URL=db)
    assert proc.returncode == 1 and "sent back to review" in proc.stderr and "added 0 approved" in proc.stdout and "Traceback" not in proc.stderr


# --- 3. the decoder never raises; a bad entry is a problem ----------------------------------------------

LATEX = st.lists(st.sampled_from([*"\\{}[]$^_~%#&'\"` aeuhrflnc@=,\n", "\\href", "\\url", "\\begin", "\\end", "\\'", '\\"', "\\\\"]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(LATEX)
def test_decoding_never_raises_and_makes_no_link(value: str) -> None:
    text = decode(value)
    assert isinstance(text, str) and "<a" not in text.lower()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.text(max_size=80), LATEX)
def test_validation_never_raises_on_arbitrary_text(title: str, other: str, latex: str) -> None:
    paper = Paper(key=other or "k", title=title, authors=(other,), venue=latex, url=other, code=title, doi=other, arxiv=latex, summary=title, topics=(other,))
    assert all(p.message for p in validate_paper(paper, {"a"}, strict=True))
    for text in (latex + other, bib("fuzz2024x", title=latex, venue=latex.replace("}", "")), json.dumps({"title": latex, "doi": other})):
        drafts, problems = read_text(text)
        assert all(p.message for p in problems) and all(isinstance(d.paper.title, str) for d in drafts)


def test_a_bad_entry_in_papers_bib_is_a_problem_and_the_rest_load(run_cli: Callable[..., CliRun], tiny_copy: Path) -> None:
    bib_path = tiny_copy / "papers.bib"
    before = len(load_bibliography(bib_path).papers)
    bib_path.write_text(bib_path.read_text(encoding="utf-8") + "\n" + bib("odd2024x", title=r"\href{https://x.example}{text} \href"), encoding="utf-8")
    corpus = load_corpus(tiny_copy)
    assert len(corpus) == before + 1 and corpus.by_key["odd2024x"].title == "text"
    validated = run_cli("validate", SURVEY_DATA_DIR=str(tiny_copy))
    assert "Traceback" not in validated.stderr and "papers" in validated.stdout


# --- 4. CSV and Markdown writers ---------------------------------------------------------------------------


HOSTILE = Paper(
    key="hostile2024x",
    title='=HYPERLINK("https://evil.example","x") [Phish](https://evil.example/phish) ![t](https://evil.example/t.png)',
    authors=("+SUM(A1:A9)", "@cmd"),
    year=2024,
    venue="-2+3 <b>bold</b> **bold**",
    url="https://example.org/p1)![px](https://evil.example/pixel.png)[Phish](https://evil.example/phish",
    code="javascript:alert(1)",
    topics=("\tTab",),
    taxonomy=("collaboration",),
    relation="cited-by-survey",
    summary="\rCR start",
)


def test_csv_neutralises_formulas() -> None:
    text = to_csv([HOSTILE])
    assert text.count("\r\n") == 2  # the header and one row: the CR inside a cell is quoted, not a row break
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    cells = [v for v in rows[0].values() if v]
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in cells)
    assert rows[0]["title"].startswith("'=HYPERLINK(") and rows[0]["authors"] == "'+SUM(A1:A9); @cmd" and rows[0]["venue"].startswith("'-2+3")


def test_markdown_export_makes_no_link_or_image_from_untrusted_text(tiny_copy: Path) -> None:
    taxonomy = load_corpus(tiny_copy).taxonomy
    text = to_markdown([HOSTILE], taxonomy)
    row = next(line for line in text.splitlines() if "HYPERLINK" in line)
    markup = re.sub(r"\\.", "", row)  # what Markdown reads as markup: the row without its escaped characters
    assert re.findall(r"\]\(([^)]*)\)", markup) == [
        "https://example.org/p1%29!%5Bpx%5D%28https://evil.example/pixel.png%29%5BPhish%5D%28https://evil.example/phish"
    ]
    assert "![" not in markup and "<" not in markup and "**" not in markup
    outside_code = re.sub(r"`[^`]*`", "", row.split("](")[0])
    assert "javascript" not in row and "https://evil" not in outside_code  # no code link; would-be autolinks only as code
    assert export([HOSTILE], "markdown", taxonomy) == text


# --- 5. cites is a claim ------------------------------------------------------------------------------------


def test_cites_from_a_submission_is_held_for_the_reviewer(store: SubmissionStore, corpus: Corpus, tiny_copy: Path) -> None:
    submission_id = approve(store, corpus, form(cites=["leviathan2023fast"]))
    submission = store.get(submission_id)
    assert submission.claimed_cites == ("leviathan2023fast",) and submission.payload["cites"] == ["leviathan2023fast"]
    assert submission.paper.cites == () and "cites" not in submission.bibtex
    (shown,) = store.approved()
    assert shown.cites == ()
    assert (shown.key, "leviathan2023fast") not in load_corpus(tiny_copy, extra_papers=[shown]).edges()
    (merged,), _ = store.merge(tiny_copy)
    assert merged.cites == () and load_bibliography(tiny_copy / "papers.bib").papers[-1].cites == ()


def test_cites_from_pasted_bibtex_is_a_claim_too(store: SubmissionStore, corpus: Corpus) -> None:
    (submission,) = submit(store, corpus, bib(cites="leviathan2023fast", url="https://example.org/c")).submissions
    assert submission.claimed_cites == ("leviathan2023fast",) and submission.paper.cites == ()


# --- 6. invisible characters ----------------------------------------------------------------------------

INVISIBLE = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
@pytest.mark.parametrize("field", ["title", "summary", "authors", "venue"])
def test_bidi_and_zero_width_characters_are_refused_naming_the_field(store: SubmissionStore, corpus: Corpus, char: str, field: str) -> None:
    value = f"Tiny{char}routers"
    result = submit(store, corpus, form(**{field: [value] if field == "authors" else value}))
    assert not result.ok
    assert any(p.field == field and f"U+{ord(char):04X}" in p.message for p in result.errors), [str(p) for p in result.problems]


# --- 7. locked, atomic writers ---------------------------------------------------------------------------


def _paper(i: int, prefix: str) -> Paper:
    return Paper(key=f"{prefix}{i}x", title=f"{prefix} paper {i}", authors=("Ada Lovelace",), year=2024, url=f"https://example.org/{prefix}/{i}")


WRITER = textwrap.dedent(
    """
    import sys
    from survey_taxonomy.data.bibliography import append_papers
    from survey_taxonomy.data.records import Paper
    path, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for i in range(n):
        append_papers(path, [Paper(key=f"{prefix}{i}x", title=f"{prefix} paper {i}", authors=("Ada Lovelace",), year=2024)])
    """
)


def test_two_processes_appending_at_once_lose_nothing(tiny_copy: Path) -> None:
    path = tiny_copy / "papers.bib"
    before = len(load_bibliography(path).papers)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), prefix, "25"], cwd=ROOT, stderr=subprocess.PIPE, text=True) for prefix in ("imp", "mrg")
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    keys = [p.key for p in load_bibliography(path).papers]
    assert len(keys) == before + 50 and {f"{prefix}{i}x" for prefix in ("imp", "mrg") for i in range(25)} <= set(keys)
    assert list(tiny_copy.glob("*.tmp")) == [] and list(tiny_copy.glob(".*.tmp")) == []


def test_import_and_merge_at_once_lose_no_merged_paper(store: SubmissionStore, corpus: Corpus, tiny_copy: Path, tmp_path: Path) -> None:
    for i in range(8):
        approve(store, corpus, form(title=f"Merged router number {i}", url=f"https://example.org/m{i}", authors=[f"Ada Lovelace{chr(97 + i)}"]))
    imports = tmp_path / "import.bib"
    imports.write_text("".join(bib(f"imported{i}x", title=f"Imported cascade {i}", url=f"https://example.org/i{i}") for i in range(8)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")} | {"SURVEY_DATA_DIR": str(tiny_copy)}
    command = [sys.executable, "-m", "survey_taxonomy", "import", str(imports)]
    importer = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    merged, _ = store.merge(tiny_copy)
    _, err = importer.communicate(timeout=300)
    assert importer.returncode == 0, err
    keys = {p.key for p in load_bibliography(tiny_copy / "papers.bib").papers}
    assert len(merged) == 8 and {p.key for p in merged} <= keys
    assert {f"imported{i}x" for i in range(8)} <= keys
    assert all(s.merged_at for s in store.find("approved"))


def test_a_symlinked_papers_bib_is_written_through(tmp_path: Path, tiny_copy: Path) -> None:
    real = tmp_path / "elsewhere" / "papers.bib"
    real.parent.mkdir()
    (tiny_copy / "papers.bib").rename(real)
    (tiny_copy / "papers.bib").symlink_to(real)
    append_papers(tiny_copy / "papers.bib", [_paper(1, "linked")])
    assert (tiny_copy / "papers.bib").is_symlink() and "linked1x" in real.read_text(encoding="utf-8")
    assert list(real.parent.glob(".*.tmp")) == []


def test_stale_temporary_files_are_cleaned(tiny_copy: Path) -> None:
    stale = [tiny_copy / "papers.bib.tmp", tiny_copy / ".papers.bib.k1ll3d.tmp"]
    for path in stale:
        path.write_text("half a file", encoding="utf-8")
    append_papers(tiny_copy / "papers.bib", [_paper(1, "fresh")])
    assert not any(path.exists() for path in stale)


@contextmanager
def immutable(folder: Path) -> Iterator[None]:
    """The folder made unwritable, for root too (`chattr +i`, as in the attack report), then restored."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
    elif subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here, and root ignores file modes")
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        else:
            folder.chmod(0o755)


def test_an_immutable_data_folder_is_a_message(run_cli: Callable[..., CliRun], tiny_copy: Path, tmp_path: Path) -> None:
    entry = tmp_path / "new.bib"
    entry.write_text(bib("readonly2024x", url="https://example.org/ro"), encoding="utf-8")
    before = (tiny_copy / "papers.bib").read_bytes()
    with immutable(tiny_copy):
        proc = run_cli("import", str(entry), SURVEY_DATA_DIR=str(tiny_copy))
        with pytest.raises(DataWriteError, match=r"cannot write .*papers\.bib"):
            append_papers(tiny_copy / "papers.bib", [_paper(1, "readonly")])
    assert proc.returncode == 1 and "cannot write" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert (tiny_copy / "papers.bib").read_bytes() == before and list(tiny_copy.glob(".*.tmp")) == []


# --- 8. rate limit and review throttle in the store ----------------------------------------------------------


def test_the_rate_limit_holds_across_reloads_and_restarts(tmp_path: Path, corpus: Corpus) -> None:
    url = f"sqlite:///{tmp_path / 'rate.db'}"
    for i in range(2):
        page = SubmissionStore(url)  # a reload is a new session; a restart a new store: the count is in the database
        assert submit(page, corpus, form(title=f"Reloaded router {i}", url=f"https://example.org/r{i}"), client="cookie-1", per_minute=2).ok
        page.close()
    again = SubmissionStore(url)
    with pytest.raises(SubmissionError, match="2 came from your network address in the last minute and the limit is 2"):
        again.check_rate("cookie-1", per_minute=2)
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=2)
    again.check_rate("cookie-1", per_minute=2, now=later)
    with again.engine.connect() as conn:
        stored = {row[0] for row in conn.exec_driver_sql("SELECT session_hash FROM submissions")}
    assert stored == {again.client_hash("cookie-1")} and "cookie-1" not in str(stored)
    other = SubmissionStore(f"sqlite:///{tmp_path / 'other.db'}")
    assert other.client_hash("cookie-1") != again.client_hash("cookie-1")  # salted per store
    again.close()
    other.close()


def test_a_global_cap_on_pending_submissions_holds_against_new_client_ids(store: SubmissionStore, corpus: Corpus) -> None:
    for i in range(3):
        assert submit(store, corpus, form(title=f"Fresh client router {i}", url=f"https://example.org/f{i}"), client=f"c{i}", per_minute=5, max_pending=3).ok
    with pytest.raises(SubmissionError, match="review queue is full: 3 submissions wait for review and the limit is 3"):
        submit(store, corpus, form(title="One router too many", url="https://example.org/f9"), client="c9", per_minute=5, max_pending=3)
    assert len(store.find()) == 3


def test_wrong_review_tokens_are_throttled_in_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'auth.db'}"
    store = SubmissionStore(url)
    t0 = dt.datetime(2030, 1, 1)
    with pytest.raises(SubmissionError, match="wrong admin token"):
        store.authenticate("guess", TOKEN, client="attacker", now=t0)
    with pytest.raises(SubmissionError, match=r"too many wrong tokens: try again in 1 s"):
        store.authenticate(TOKEN, TOKEN, client="attacker", now=t0)  # even the right token waits
    tried = t0
    for _ in range(4):
        tried += dt.timedelta(seconds=20)
        with pytest.raises(SubmissionError, match="wrong admin token"):
            SubmissionStore(url).authenticate("guess", TOKEN, client="attacker", now=tried)  # a reload or restart does not reset it
    with pytest.raises(SubmissionError, match=r"try again in 15 s"):
        store.authenticate(TOKEN, TOKEN, client="attacker", now=tried + dt.timedelta(seconds=1))
    store.authenticate(TOKEN, TOKEN, client="maintainer", now=tried + dt.timedelta(seconds=1))  # others are not locked out by 5
    store.authenticate(TOKEN, TOKEN, client="attacker", now=tried + dt.timedelta(seconds=17))
    store.authenticate(TOKEN, TOKEN, client="attacker", now=tried + dt.timedelta(seconds=17))  # the right token cleared the count
    store.close()


def test_many_clients_guessing_slow_everyone_down(store: SubmissionStore) -> None:
    t0 = dt.datetime(2030, 1, 1)
    for i in range(10):
        with pytest.raises(SubmissionError, match="wrong admin token"):
            store.authenticate("guess", TOKEN, client=f"rotating-{i}", now=t0)
    with pytest.raises(SubmissionError, match="too many wrong tokens"):
        store.authenticate("guess", TOKEN, client="rotating-10", now=t0)


# --- 9. messages, not tracebacks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply", id="deeply-nested-json"),
        pytest.param(json.dumps(form(title="Tiny \ud800 routers")), "lone surrogates", id="lone-surrogate"),
        pytest.param(json.dumps(form(**{"ti\udc80tle": "x"})), "unknown field", id="lone-surrogate-in-a-field-name"),
    ],
)
def test_add_answers_hostile_input_with_a_message(run_cli: Callable[..., CliRun], tmp_path: Path, tiny_copy: Path, stdin: str, message: str) -> None:
    proc = run_cli("submissions", "add", "-", stdin=stdin, SURVEY_DATA_DIR=str(tiny_copy), SURVEY_DB_URL=f"sqlite:///{tmp_path / 'add.db'}")
    assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_export_into_a_missing_folder_is_a_message(run_cli: Callable[..., CliRun], tmp_path: Path) -> None:
    proc = run_cli("export", "--format", "csv", "--out", str(tmp_path / "missing" / "out.csv"))
    assert proc.returncode == 1 and "cannot write" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("url", ["garbage", "mysql://u@localhost/db", "sqlite://"])
def test_a_bad_store_url_is_a_message_in_the_library_and_the_cli(run_cli: Callable[..., CliRun], url: str, tiny_copy: Path) -> None:
    with pytest.raises(SubmissionError, match="check SURVEY_DB_URL"):
        SubmissionStore(url)
    proc = run_cli("submissions", "list", SURVEY_DB_URL=url, SURVEY_DATA_DIR=str(tiny_copy))
    assert proc.returncode == 2 and "SURVEY_DB_URL" in proc.stderr and "Traceback" not in proc.stderr


def test_a_file_as_data_folder_is_a_message(run_cli: Callable[..., CliRun]) -> None:
    proc = run_cli("--data", "/etc/passwd", "validate")
    assert proc.returncode == 1 and "is not a folder" in proc.stderr and "Traceback" not in proc.stderr


def test_a_two_column_row_in_citations_csv_is_a_problem(run_cli: Callable[..., CliRun], tiny_copy: Path) -> None:
    path = tiny_copy / "citations.csv"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\nleviathan2023fast,chen2024what\n", encoding="utf-8")
    _, problems = read_citations(path)
    (problem,) = problems
    assert "needs citing, cited and source" in problem.message and problem.line == len(path.read_text(encoding="utf-8").splitlines())
    proc = run_cli("validate", SURVEY_DATA_DIR=str(tiny_copy))
    assert proc.returncode == 1 and "needs citing, cited and source" in proc.stderr and "Traceback" not in proc.stderr


# --- 9. flooding: sizes, addresses, everyone together, the shared caches ---------------------------------


def test_a_global_cap_per_minute_holds_against_many_addresses(store: SubmissionStore, corpus: Corpus) -> None:
    for i in range(3):
        assert submit(
            store,
            corpus,
            form(title=f"Address router {i}", url=f"https://example.org/a{i}"),
            client=client_key(f"203.0.113.{i}"),
            per_minute=5,
            per_minute_all=3,
        ).ok
    with pytest.raises(SubmissionError, match="3 in the last minute from all visitors, and it takes at most 3"):
        submit(store, corpus, form(title="Address router 9", url="https://example.org/a9"), client=client_key("198.51.100.9"), per_minute=5, per_minute_all=3)
    assert len(store.find()) == 3


def test_an_ipv6_client_counts_as_its_64(store: SubmissionStore, corpus: Corpus) -> None:
    for i in range(2):
        assert submit(
            store, corpus, form(title=f"Rotating router {i}", url=f"https://example.org/v{i}"), client=client_key(f"2001:db8:0:1::{i + 1}"), per_minute=2
        ).ok
    with pytest.raises(SubmissionError, match="network address"):
        store.check_rate(client_key("2001:db8:0:1:ffff::9"), per_minute=2)
    store.check_rate(client_key("2001:db8:0:2::1"), per_minute=2)  # another /64 is another client


def test_a_form_with_150k_topics_is_refused_before_it_is_read(store: SubmissionStore, corpus: Corpus) -> None:
    started = time.perf_counter()
    result = submit(store, corpus, form(facets="; ".join(f"topic {i}" for i in range(150_000))), per_minute=5)
    assert not result.ok and store.find() == [] and time.perf_counter() - started < 5
    assert [p.message for p in result.errors] == [f"the submission holds more than {MAX_INPUT_CHARS:,} characters of text, the limit"]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        pytest.param("facets", [f"topic {i}" for i in range(21)], "21 topic values; at most 20", id="topics"),
        pytest.param("taxonomy", [NODE] * 6, "6 taxonomy values; at most 5", id="nodes"),
        pytest.param("authors", [f"Author Number{i}" for i in range(201)], "201 authors; at most 200", id="authors"),
        pytest.param("title", "T" * 301, "the limit is 300", id="title"),
        pytest.param("venue", "V" * 201, "the limit is 200", id="venue"),
        pytest.param("doi", "10.5555/" + "d" * 200, "the limit is 200", id="doi"),
        pytest.param("url", "https://example.org/" + "u" * 500, "the limit is 500", id="url"),
        pytest.param("summary", "S" * 601, "the limit is 600", id="summary"),
        pytest.param("why", "W" * 1001, "the limit is 1000", id="why"),
        pytest.param("contact", "C" * 201, "the limit is 200", id="contact"),
        pytest.param("note", "N" * 2001, "the limit is 2000", id="note"),
        pytest.param("booktitle", "B" * 301, "the limit is 300", id="booktitle"),
        pytest.param("cites", [f"k{i}" for i in range(301)], "301 cited keys; at most 300", id="cites"),
    ],
)
def test_every_field_has_a_size_limit(store: SubmissionStore, corpus: Corpus, field: str, value: object, words: str) -> None:
    result = submit(store, corpus, form(**{field: value}))
    assert not result.ok and any(words in p.message for p in result.errors), [str(p) for p in result.errors]


def test_every_submission_is_stored_small(store: SubmissionStore, corpus: Corpus) -> None:
    """The most a form can carry within the limits: far from the 22 MB row the unlimited form stored."""
    largest = form(
        title="T" * 300, authors=[f"Author Number{i}" for i in range(200)], venue="V" * 200, summary="S" * 600, why="W" * 1000, contact="C" * 200,
        facets=[f"topic {i}" for i in range(20)], note="N" * 2000, booktitle="B" * 300,
    )  # fmt: skip
    assert submit(store, corpus, largest).ok
    with store.engine.connect() as conn:
        (size,) = conn.exec_driver_sql("SELECT length(payload) + length(bibtex) FROM submissions").one()
    assert size < 60_000


@pytest.mark.parametrize(
    "text",
    [":material/home:", ":material_home:", "Ask :streamlit: now", "see https://evil.example/x", "www.evil.example", "mail@evil.example"],
)
def test_markdown_text_leaves_no_icon_or_link_and_inserts_nothing_invisible(text: str) -> None:
    out = markdown_text(text)
    assert "\u2060" not in out and all(c.isprintable() for c in out)
    assert ":material/" not in out  # Streamlit turns it into an icon before escapes are read, even in code
    for live in re.findall(r"(?:https?://|www\.|@|:material_\w+:|:streamlit:)\S*", text):
        assert f"`{live}`" in out or f"`{text}`" in out  # shown as code, which neither icons nor autolinks read
    assert re.sub(r"\\(.)", r"\1", out).replace("`", "") == text  # and it reads as the very text given


def test_a_clear_cache_message_from_a_visitor_clears_nothing() -> None:
    from streamlit.runtime.app_session import AppSession

    source = inspect.getsource(AppSession.handle_backmsg)
    assert '"clear_cache"' in source and "self._handle_clear_cache_request()" in source, f"Streamlit {streamlit.__version__} routes clear_cache elsewhere"

    calls: list[int] = []

    @streamlit.cache_data
    def cached(x: int) -> int:
        calls.append(x)
        return x

    class Session:  # what the guard reads of an AppSession
        def __init__(self, state: dict[str, str]) -> None:
            self._session_state = types.SimpleNamespace(filtered_state=state, clear=state.clear)

    compat.guard_cache_clearing(lambda state: is_admin(state, TOKEN))
    try:
        cached(1)
        AppSession._handle_clear_cache_request(Session({"review_token_ok": "a guess"}))  # type: ignore[arg-type]
        AppSession._handle_clear_cache_request(Session({}))  # type: ignore[arg-type]
        cached(1)
        assert calls == [1]  # still cached
        AppSession._handle_clear_cache_request(Session({"review_token_ok": TOKEN}))  # type: ignore[arg-type]
        cached(1)
        assert calls == [1, 1]  # a maintainer may clear it
    finally:
        AppSession._handle_clear_cache_request = AppSession._handle_clear_cache_request.__wrapped__  # type: ignore[attr-defined,method-assign]

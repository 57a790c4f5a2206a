"""Two app servers on one PostgreSQL store, each with its own data folder, as two replicas behind a load balancer:
an approval and a maintainer's merge on one are seen on both, each paper once, nothing lost."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from survey_taxonomy.config import Settings
from survey_taxonomy.data.bibliography import load_bibliography
from survey_taxonomy.data.corpus import Corpus, load_corpus
from survey_taxonomy.submissions import SubmissionStore, open_store, read_payload
from tests.browser import ADMIN_TOKEN, app_server, new_context, wait_for_app

PAPER = {
    "title": "A replica-safe cascade of small and large language models",
    "authors": "Ada Lovelace; Grace Hopper",
    "year": "2025",
    "venue": "arXiv 2025",
    "arxiv": "2501.01234",
    "taxonomy": "collaboration/sm-enhance-llm/efficient-inference/cascading-and-routing",
    "summary": "A small model answers first and a large one takes the hard queries, checked on two replicas.",
}


def shown_once(corpus: Corpus, title: str) -> bool:
    return sum(p.title == title for p in corpus.papers) == 1


@pytest.mark.postgres
@pytest.mark.browser
def test_two_app_servers_agree_after_approve_and_merge(postgres: Callable[[], str], browser: Browser, data_dir: Path, tmp_path: Path) -> None:
    url = postgres()
    folders = {name: tmp_path / name for name in ("a", "b")}
    for folder in folders.values():
        shutil.copytree(data_dir, folder / "data")
    settings = {name: Settings(db_url=url, data_dir=folder / "data", admin_token=ADMIN_TOKEN) for name, folder in folders.items()}
    store = SubmissionStore(url)
    corpus = load_corpus(settings["a"].data_dir)
    drafts, problems = read_payload(PAPER)
    (submission,) = store.submit(drafts, corpus, session="test", per_minute=None, max_pending=None, problems=problems).submissions
    store.review(submission.id, "approve", token=ADMIN_TOKEN, admin_token=ADMIN_TOKEN, corpus=corpus, reviewer="Grace Hopper")

    env = {name: {"SURVEY_DB_URL": url, "SURVEY_DATA_DIR": str(folder / "data")} for name, folder in folders.items()}
    with app_server(folders["a"], env["a"]) as base_a, app_server(folders["b"], env["b"]) as base_b:
        context = new_context(browser)
        page = context.new_page()

        def seen_on(base: str) -> None:
            page.goto(f"{base}/paper?key={submission.key}")
            wait_for_app(page)
            expect(page.get_by_role("heading", name=PAPER["title"], exact=True)).to_be_visible()

        seen_on(base_a)
        seen_on(base_b)

        papers, problems = store.merge(settings["a"].data_dir)  # the maintainer merges on replica a only
        assert [p.key for p in papers] == [submission.key] and not [p for p in problems if p.severity == "error"]
        assert submission.key in {p.key for p in load_bibliography(settings["a"].data_dir / "papers.bib").papers}
        assert submission.key not in {p.key for p in load_bibliography(settings["b"].data_dir / "papers.bib").papers}
        for name in ("a", "b"):  # what each replica loads: the file plus the store, the paper once
            with open_store(settings[name]) as replica:
                explore = load_corpus(settings[name].data_dir, extra_papers=replica.approved())
            assert shown_once(explore, PAPER["title"]), name
        seen_on(base_a)
        seen_on(base_b)  # before, b lost the paper: the store dropped merged rows and b's file did not have it
        context.close()
    store.close()

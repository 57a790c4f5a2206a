"""Reading lists in a real store: kept per browser digest, in order, bounded, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import create_engine, select

from survey_taxonomy.submissions.reading_list import MAX_PAPERS, READING_LISTS, ReadingLists, owner_id
from tests.apptest import open_page


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def lists(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadingLists]:
    url = f"sqlite:///{tmp_path / 'lists.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres")()
    engine = create_engine(url)
    yield ReadingLists(engine)
    engine.dispose()


def test_toggle_adds_then_removes_and_keeps_the_order(lists: ReadingLists) -> None:
    me = owner_id("cookie-a")
    assert lists.keys(me) == []
    assert lists.toggle(me, "b2024x") is True
    assert lists.toggle(me, "a2023y") is True
    assert lists.keys(me) == ["b2024x", "a2023y"]
    assert lists.toggle(me, "b2024x") is False
    assert lists.keys(me) == ["a2023y"]


def test_lists_of_two_browsers_are_apart_and_survive_a_new_store(lists: ReadingLists) -> None:
    me, other = owner_id("cookie-a"), owner_id("cookie-b")
    lists.toggle(me, "a2023y")
    lists.toggle(other, "c2022z")
    again = ReadingLists(lists.engine)  # a restarted app
    assert again.keys(me) == ["a2023y"] and again.keys(other) == ["c2022z"]


def test_a_list_is_bounded_and_drops_repeats(lists: ReadingLists) -> None:
    me = owner_id("cookie-a")
    assert lists.save(me, ["k1", "k1", "k2"]) == ["k1", "k2"]
    lists.save(me, [f"k{i}" for i in range(MAX_PAPERS + 10)])
    assert len(lists.keys(me)) == MAX_PAPERS
    with pytest.raises(ValueError, match="at most"):
        lists.toggle(me, "one-more")


def test_the_stored_owner_is_not_the_cookie(lists: ReadingLists) -> None:
    lists.toggle(owner_id("secret-cookie"), "k1")
    with lists.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT owner FROM reading_lists").scalars().all()
    assert stored and all("secret-cookie" not in owner for owner in stored)


def test_a_store_that_could_not_be_reached_is_used_once_it_can(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed connection is never cached: the app once kept "no store" after one failure, and every list after
    it lived only in its browser tab until a restart. Here a folder stands where the database file belongs until
    the second view."""
    path = tmp_path / "store.db"
    path.mkdir()  # SQLite cannot open a folder
    url = f"sqlite:///{path}"
    monkeypatch.setenv("SURVEY_DB_URL", url)
    st.cache_resource.clear()
    at = open_page("pages/paper.py", key="leviathan2023fast")
    assert any("cannot be reached" in w.value for w in at.warning)
    path.rmdir()
    at.run()
    at.button(key="paper_keep_leviathan2023fast").click().run()
    assert not at.exception
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(select(READING_LISTS.c["keys"])).scalars().all()
    engine.dispose()
    assert stored == ['["leviathan2023fast"]']

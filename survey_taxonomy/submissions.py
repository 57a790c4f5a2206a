"""Submissions of new papers (placeholder until the submission store lands: no store, nothing approved)."""

from __future__ import annotations

from .config import Settings
from .model import Paper


def approved_papers(settings: Settings) -> tuple[int, list[Paper]]:
    """The store's approval version and its approved papers (relation `community`)."""
    return 0, []

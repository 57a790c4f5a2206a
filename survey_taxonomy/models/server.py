"""Local GGUF models served in this process by xllamacpp (llama.cpp's own server engine).

Terms:
- *server spec*: which GGUF to serve (and, for speculative decoding, which smaller GGUF drafts for it), with
  how many CPU threads and how much context; equal specs share one server.
- *local server*: an `xllamacpp.Server` listening on an ephemeral port of 127.0.0.1 and speaking the OpenAI
  chat API, so local and remote models go through the same client code (`chat.ChatModel`).
- *local servers*: an owner's servers (`LocalServers`), one per spec; a local `ChatModel` holds its owner's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError


@dataclass(frozen=True)
class ServerSpec:
    """What a local server serves; `draft` turns on draft-model speculative decoding."""

    model: Path
    draft: Path | None = None
    threads: int = 2
    n_ctx: int = 4096
    parallel: int = 2
    draft_max: int = 8


class LocalServer:
    """One running xllamacpp server; it stops when the object is garbage-collected."""

    def __init__(self, spec: ServerSpec) -> None:
        import xllamacpp as xlc

        for path in (spec.model, spec.draft):
            if path is not None and not path.is_file():
                raise ModelError(f"GGUF file not found: {path}; check the path (SURVEY_SMALL_GGUF / SURVEY_LLM_GGUF)")
        params = xlc.CommonParams()
        params.model.path = str(spec.model)
        params.n_ctx = spec.n_ctx
        params.n_parallel = spec.parallel
        params.cpuparams.n_threads = spec.threads
        params.cpuparams_batch.n_threads = spec.threads
        params.verbosity = -1  # llama.cpp logs every request on stderr otherwise
        if spec.draft is not None:
            params.speculative.types = [xlc.common_speculative_type.COMMON_SPECULATIVE_TYPE_DRAFT_SIMPLE]
            params.speculative.draft.mparams.path = str(spec.draft)
            params.speculative.draft.n_max = spec.draft_max
            params.speculative.draft.cpuparams.n_threads = spec.threads
            params.speculative.draft.cpuparams_batch.n_threads = spec.threads
        try:
            self._server = xlc.Server(params)
        except RuntimeError as exc:
            what = f"{spec.model.name} with draft {spec.draft.name}" if spec.draft else spec.model.name
            hint = "a draft model must share the target's vocabulary (same family, e.g. SmolLM2)" if spec.draft else "is it a valid GGUF file?"
            raise ModelError(f"llama.cpp could not load {what}: {exc} ({hint})") from exc
        # The first request after loading is several times slower (buffers, thread pool); pay it here, not in metrics.
        self._server.handle_chat_completions({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
        self.spec = spec
        self.address: str = self._server.listening_address

    @property
    def base_url(self) -> str:
        return f"{self.address}/v1"


class LocalServers:
    """The local servers of one owner, one per spec, started on first use. The app keeps one for the server's life
    (`atlas_ui.cache.local_servers`), each CLI command, benchmark or test its own; `close` (or leaving a `with`
    block) drops them, and xllamacpp stops a server when its last reference goes."""

    def __init__(self) -> None:
        self._servers: dict[ServerSpec, LocalServer] = {}
        self._lock = threading.Lock()

    def get(self, spec: ServerSpec) -> LocalServer:
        """The server for `spec`, started now if it is not running; safe to call from many threads."""
        with self._lock:
            server = self._servers.get(spec)
            if server is None:
                server = self._servers[spec] = LocalServer(spec)
            return server

    def __len__(self) -> int:
        return len(self._servers)

    def close(self) -> None:
        with self._lock:
            self._servers.clear()

    def __enter__(self) -> LocalServers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Chat with any OpenAI-compatible model, streamed, with the metrics shown under every answer.

Terms:
- *time to first token* (TTFT): from sending the request to the first piece of text; unknown for plain
  (non-streamed) requests.
- *tokens/s*: decode speed, the tokens after the first divided by the time after the first.
- *cost*: for a remote model, tokens times its price per million tokens (`SURVEY_LLM_PRICE_IN/OUT`); for a model
  served in this process, $0 plus the CPU seconds the process used meanwhile (`time.process_time`, which counts
  llama.cpp's threads and anything else the process did at the time).
- *confidence*: exp of the mean log-probability of the generated tokens, in (0, 1]; None when the server sends
  no log-probabilities.

Every failure to reach or use a model becomes a `ModelError` whose message names the model, the URL and a fix;
clients never retry and always time out, so a page never hangs on a dead server.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import openai

from ..errors import ModelError
from .server import LocalServers, ServerSpec

Message = dict[str, str]

# wordllama sets the root logger to INFO when imported, and the HTTP client then logs every request on stderr.
logging.getLogger("httpx2").setLevel(logging.WARNING)


def rounded(record: Mapping[str, Any]) -> dict[str, Any]:
    """A report's fields for JSON, floats to 4 decimals: the one rounding of every model report (answers, LOO, triage).

    >>> rounded({"a": 0.123456, "n": 3})
    {'a': 0.1235, 'n': 3}
    """
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()}


@dataclass(frozen=True)
class Metrics:
    """What one answer cost; numbers are plain Python floats so they serialise to JSON as they are."""

    model: str
    ttft_s: float | None
    total_s: float
    tokens_in: int | None
    tokens_out: int
    tokens_per_s: float | None
    cost_usd: float
    cpu_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return rounded(asdict(self))

    def describe(self) -> str:
        """One line for the UI.

        >>> Metrics("SM", 0.2, 1.0, 30, 81, 100.0, 0.0, 0.9).describe()
        'SM · first token 0.20 s · total 1.00 s · 30 → 81 tokens · 100.0 tokens/s · $0 + 0.90 CPU-s'
        """
        ttft = f"{self.ttft_s:.2f} s" if self.ttft_s is not None else "n/a"
        tokens_in = "?" if self.tokens_in is None else str(self.tokens_in)
        speed = f"{self.tokens_per_s:.1f} tokens/s" if self.tokens_per_s is not None else "tokens/s n/a"
        cost = f"$0 + {self.cpu_s:.2f} CPU-s" if self.cpu_s is not None else f"${self.cost_usd:.6f}"
        return f"{self.model} · first token {ttft} · total {self.total_s:.2f} s · {tokens_in} → {self.tokens_out} tokens · {speed} · {cost}"


@dataclass(frozen=True)
class Answer:
    """A finished answer; `drafted`/`accepted` count speculative-decoding draft tokens when a draft model ran."""

    text: str
    model: str
    confidence: float | None
    metrics: Metrics
    finish_reason: str = ""
    drafted: int | None = None
    accepted: int | None = None

    @property
    def acceptance(self) -> float | None:
        """Share of drafted tokens the target model accepted."""
        return self.accepted / self.drafted if self.drafted and self.accepted is not None else None


def confidence(logprobs: Sequence[float]) -> float | None:
    """exp(mean log-probability); greedy tokens have logprob >= -log(vocabulary), so it stays well above 0.

    >>> confidence([0.0, 0.0]), round(confidence([-1.0, -3.0]), 4), confidence([])
    (1.0, 0.1353, None)
    """
    if not logprobs:
        return None
    return min(1.0, math.exp(math.fsum(logprobs) / len(logprobs)))


@functools.lru_cache(maxsize=32)
def _client(base_url: str, api_key: str, connect_s: float, read_s: float) -> openai.OpenAI:
    timeout = openai.Timeout(read_s, connect=connect_s)
    return openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=0)


@dataclass(frozen=True)
class ChatModel:
    """A model behind an OpenAI-compatible chat endpoint: a URL, or a local GGUF `server` that `servers` (its owner's
    `LocalServers`) starts on first use.

    `read_timeout_s` bounds each wait for bytes (the first token included); `deadline_s` bounds a whole answer.
    `frequency_penalty` (OpenAI's parameter) curbs the loops tiny models fall into.
    """

    label: str
    model: str
    base_url: str = ""
    server: ServerSpec | None = None
    servers: LocalServers | None = field(default=None, compare=False, repr=False)
    api_key: str = ""
    price_in: float = 0.0
    price_out: float = 0.0
    frequency_penalty: float = 0.0
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 60.0
    deadline_s: float = 300.0

    @property
    def local(self) -> bool:
        """Served in this process: costs $0 and the CPU seconds we measure."""
        return self.server is not None

    def endpoint(self) -> str:
        if self.server is None:
            return self.base_url
        if self.servers is None:
            raise ModelError(f"{self.label} is a local model without an owner to start it; build it with `models.local.gguf_model`")
        return self.servers.get(self.server).base_url

    def stream(self, messages: Sequence[Message], max_tokens: int = 256, temperature: float = 0.0) -> Reply:
        """Start a streamed answer; iterate the reply for text, then read `reply.answer`."""
        return Reply(self, list(messages), max_tokens, temperature)

    def complete(self, messages: Sequence[Message], max_tokens: int = 256, temperature: float = 0.0) -> Answer:
        """A plain (non-streamed) answer."""
        url = self.endpoint()
        start, cpu0 = time.perf_counter(), time.process_time()
        with _translated_errors(self, url):
            response = self._create(url, list(messages), max_tokens, temperature, stream=False)
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content or "") if choice else ""
        logprobs = [t.logprob for t in (choice.logprobs.content or [])] if choice and choice.logprobs else []
        usage = response.usage
        timings = (response.model_extra or {}).get("timings") or {}
        return self._answer(text, logprobs, usage, timings, choice.finish_reason if choice else "", start, cpu0, None)

    def _create(self, url: str, messages: list[Message], max_tokens: int, temperature: float, stream: bool) -> Any:
        client = _client(url, self.api_key, self.connect_timeout_s, self.read_timeout_s)
        extras: dict[str, Any] = {"logprobs": True, "top_logprobs": 1}
        if stream:
            extras["stream_options"] = {"include_usage": True}
        base: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": temperature, "stream": stream}
        if self.frequency_penalty:
            base["frequency_penalty"] = self.frequency_penalty
        try:
            return client.chat.completions.create(**base, **extras)
        except openai.BadRequestError:
            # Some endpoints (e.g. reasoning models) refuse log-probabilities or usage in streams: ask without them.
            return client.chat.completions.create(**base)

    def _run(self, reply: Reply) -> Iterator[str]:
        url = self.endpoint()
        start, cpu0 = time.perf_counter(), time.process_time()
        parts: list[str] = []
        logprobs: list[float] = []
        usage: Any = None
        timings: dict[str, Any] = {}
        finish = ""
        ttft: float | None = None
        with _translated_errors(self, url):
            stream = self._create(url, reply.messages, reply.max_tokens, reply.temperature, stream=True)
            with stream:
                for chunk in stream:
                    if time.perf_counter() - start > self.deadline_s:
                        raise ModelError(f"{self.label}: the answer took longer than {self.deadline_s:.0f} s and was stopped")
                    usage = chunk.usage or usage
                    timings = (chunk.model_extra or {}).get("timings") or timings
                    for choice in chunk.choices:
                        if choice.logprobs and choice.logprobs.content:
                            logprobs += [t.logprob for t in choice.logprobs.content]
                        finish = choice.finish_reason or finish
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            ttft = ttft if ttft is not None else time.perf_counter() - start
                            parts.append(piece)
                            yield piece
        reply.answer = self._answer("".join(parts), logprobs, usage, timings, finish, start, cpu0, ttft, pieces=len(parts))

    def _answer(
        self, text: str, logprobs: list[float], usage: Any, timings: dict[str, Any], finish: str, start: float, cpu0: float, ttft: float | None, pieces: int = 0
    ) -> Answer:
        total = time.perf_counter() - start
        tokens_out = int(usage.completion_tokens) if usage and usage.completion_tokens is not None else len(logprobs) or pieces
        tokens_in = int(usage.prompt_tokens) if usage and usage.prompt_tokens is not None else None
        speed = (tokens_out - 1) / (total - ttft) if ttft is not None and tokens_out > 1 and total > ttft else None
        if self.local:
            cost, cpu = 0.0, time.process_time() - cpu0
        else:
            cost, cpu = ((tokens_in or 0) * self.price_in + tokens_out * self.price_out) / 1e6, None
        metrics = Metrics(self.label, ttft, total, tokens_in, tokens_out, speed, cost, cpu)
        drafted, accepted = timings.get("draft_n"), timings.get("draft_n_accepted")
        return Answer(text, self.label, confidence(logprobs), metrics, finish or "", drafted, accepted)


@contextlib.contextmanager
def _translated_errors(model: ChatModel, url: str) -> Iterator[None]:
    """Turn the client's exceptions into a `ModelError` that says what happened and what to check."""
    name = f"{model.label} at {url}"
    try:
        yield
    except openai.APITimeoutError as exc:
        raise ModelError(f"{name} did not answer within {model.read_timeout_s:g} s; the server is stuck or too slow for this machine") from exc
    except openai.APIConnectionError as exc:
        raise ModelError(f"cannot reach {name} ({exc.__cause__ or exc}); is the server running and the URL right?") from exc
    except openai.APIStatusError as exc:
        hint = {401: "check SURVEY_LLM_API_KEY", 403: "check SURVEY_LLM_API_KEY", 404: "check SURVEY_LLM_MODEL and SURVEY_LLM_BASE_URL"}.get(exc.status_code)
        raise ModelError(f"{name} answered HTTP {exc.status_code}: {_detail(exc)}" + (f" ({hint})" if hint else "")) from exc
    except openai.OpenAIError as exc:
        raise ModelError(f"{name} failed: {exc}") from exc


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(exc.message)


@dataclass
class Reply:
    """A streamed answer: iterate it once for the pieces of text; `answer` is set when the stream ends."""

    model: ChatModel
    messages: list[Message]
    max_tokens: int
    temperature: float
    answer: Answer | None = None
    _started: bool = field(default=False, repr=False)

    @property
    def started(self) -> bool:
        """Whether someone began to stream it (it can be streamed only once)."""
        return self._started

    def __iter__(self) -> Iterator[str]:
        if self._started:
            raise RuntimeError("a reply can be streamed only once")
        self._started = True
        return self.model._run(self)

    def result(self) -> Answer:
        """The finished answer, streaming the rest first if nobody did."""
        if not self._started:
            for _ in self:
                pass
        if self.answer is None:
            raise ModelError(f"{self.model.label}: the stream ended before the answer was complete")
        return self.answer

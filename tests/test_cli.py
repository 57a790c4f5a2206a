"""The maintainers' CLI, run in-process through `cli.main` (the `run_cli` fixture), plus one real `python -m`."""

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, CliRun


def test_python_dash_m_validates_the_shipped_data() -> None:
    """The one subprocess run: `python -m survey_taxonomy` starts, registers every command and exits 0."""
    proc = subprocess.run([sys.executable, "-m", "survey_taxonomy", "validate"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0 and "0 errors" in proc.stdout, proc.stderr


def test_every_command_group_is_registered_without_imports_for_side_effects(run_cli: Callable[..., CliRun]) -> None:
    for command in (["submissions", "--help"], ["citations", "--help"], ["discover", "--help"], ["ask", "--help"], ["suggest-category", "--help"]):
        assert run_cli(*command).returncode == 0, command


def test_validate_reports_errors_with_exit_one(run_cli: Callable[..., CliRun], tiny_copy: Path) -> None:
    bib = tiny_copy / "papers.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@misc{x2024, title = {broken\n", encoding="utf-8")
    proc = run_cli("--data", tiny_copy, "validate")
    assert proc.returncode == 1 and "cannot be parsed" in proc.stderr


def test_validate_checks_the_question_set(run_cli: Callable[..., CliRun], tiny_copy: Path) -> None:
    (tiny_copy / "questions.yaml").write_text(
        "questions:\n  - id: q1\n    question: Which router?\n    answer: A small one.\n    keys: [nobody2099x]\n    node: nowhere\n", encoding="utf-8"
    )
    proc = run_cli("--data", tiny_copy, "validate")
    assert proc.returncode == 1 and "unknown paper key 'nobody2099x'" in proc.stderr and "unknown taxonomy node 'nowhere'" in proc.stderr


def test_export_json_has_the_documented_shape(run_cli: Callable[..., CliRun], tiny_dir: Path) -> None:
    papers = json.loads(run_cli("--data", tiny_dir, "export", "--format", "json").stdout)
    assert {p["relation"] for p in papers} >= {"survey", "cited-by-survey", "cites-survey"}
    leviathan = next(p for p in papers if p["key"] == "leviathan2023fast")
    assert leviathan["authors"] == ["Yaniv Leviathan", "Matan Kalman", "Yossi Matias"] and leviathan["year"] == 2023


def test_export_node_and_query_filter(run_cli: Callable[..., CliRun], tiny_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "spec.bib"
    node = "collaboration/efficient-inference/speculative-decoding"
    assert run_cli("--data", tiny_dir, "export", "--format", "bibtex", "--node", node, "--out", out).returncode == 0
    assert out.read_text(encoding="utf-8").count("@") == 3
    assert json.loads(run_cli("--data", tiny_dir, "export", "--format", "json", "--query", "leviathan").stdout)[0]["key"] == "leviathan2023fast"
    assert run_cli("--data", tiny_dir, "export", "--node", "nowhere").returncode == 2


def test_taxonomy_json_and_text_and_stats(run_cli: Callable[..., CliRun], tiny_dir: Path) -> None:
    nodes = json.loads(run_cli("--data", tiny_dir, "taxonomy", "--format", "json").stdout)
    assert {"id", "label", "parent", "section", "description", "facets"} == set(nodes[0])
    assert nodes[0]["id"] == "collaboration" and nodes[0]["parent"] is None
    sectioned = next(n for n in nodes if n["section"])
    assert f"§{sectioned['section']} {sectioned['label']}  [{sectioned['id']}]" in run_cli("--data", tiny_dir, "taxonomy").stdout
    stats = json.loads(run_cli("--data", tiny_dir, "stats", "--format", "json").stdout)
    assert stats["papers"] == sum(stats["relation"].values()) == 8


def test_search_ranks_the_obvious_paper_first(run_cli: Callable[..., CliRun], tiny_dir: Path) -> None:
    hits = json.loads(run_cli("--data", tiny_dir, "search", "speculative decoding draft model", "--k", "3", "--format", "json").stdout)
    assert len(hits) == 3 and hits[0]["key"] in {"leviathan2023fast", "chen2023accelerating", "xia2024unlocking"}
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]


def test_import_with_broken_entries_names_each_and_writes_nothing(run_cli: Callable[..., CliRun], tiny_copy: Path, fixtures_dir: Path) -> None:
    before = (tiny_copy / "papers.bib").read_bytes()
    proc = run_cli("--data", tiny_copy, "import", fixtures_dir / "broken.bib")
    assert proc.returncode == 1
    for where in ("broken.bib:12", "broken.bib:27 [good2023first]", "broken.bib:33 [badyear2023]"):
        assert where in proc.stderr
    assert "nothing was written" in proc.stderr
    assert (tiny_copy / "papers.bib").read_bytes() == before


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        pytest.param(
            "@misc{dup2023a, title={Fast Inference from Transformers via Speculative Decoding}, author={A B}, year={2023}, url={https://x.org}, summary={s}}",
            "title 100% similar to 'leviathan2023fast'",
            id="same-title",
        ),
        pytest.param(
            "@misc{dup2023b, title={Another}, author={A B}, year={2023}, eprint={2211.17192}, summary={s}}",
            "same arXiv id as 'leviathan2023fast'",
            id="same-arxiv",
        ),
        pytest.param("@misc{leviathan2023fast, title={Other}, author={A B}, year={2023}, url={https://x.org}, summary={s}}", "already used", id="same-key"),
    ],
)
def test_import_flags_duplicates(run_cli: Callable[..., CliRun], tiny_copy: Path, tmp_path: Path, entry: str, words: str) -> None:
    path = tmp_path / "new.bib"
    path.write_text(entry, encoding="utf-8")
    proc = run_cli("--data", tiny_copy, "import", path, "--node", "competition")
    assert proc.returncode == 1 and words in proc.stderr


def test_import_dry_run_then_real(run_cli: Callable[..., CliRun], tiny_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "new.bib"
    path.write_text(
        "@misc{turing1950computing, title={Computing Machinery and Intelligence}, author={Turing, Alan},"
        " year={1950}, doi={10.1093/mind/LIX.236.433}, summary={Asks whether machines can think.}}",
        encoding="utf-8",
    )
    before = (tiny_copy / "papers.bib").read_bytes()
    assert "would be added" in run_cli("--data", tiny_copy, "import", path, "--node", "competition", "--dry-run").stdout
    assert (tiny_copy / "papers.bib").read_bytes() == before
    assert run_cli("--data", tiny_copy, "import", path, "--node", "competition").returncode == 0
    papers = json.loads(run_cli("--data", tiny_copy, "export").stdout)
    added = next(p for p in papers if p["key"] == "turing1950computing")
    assert added["taxonomy"] == ["competition"] and added["relation"] == "curated" and added["authors"] == ["Alan Turing"]
    assert run_cli("--data", tiny_copy, "validate").returncode == 0

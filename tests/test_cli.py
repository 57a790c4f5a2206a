import json
import subprocess
import sys

import pytest


def run(*args, env_data=None, check=False):
    cmd = [sys.executable, "-m", "survey_taxonomy"]
    if env_data is not None:
        cmd += ["--data", str(env_data)]
    proc = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_validate_shipped_data_exits_zero():
    proc = run("validate", check=True)
    assert "0 error(s)" in proc.stdout


def test_validate_reports_errors_with_exit_one(tiny_copy):
    bib = tiny_copy / "papers.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@misc{x2024, title = {broken\n", encoding="utf-8")
    proc = run("validate", env_data=tiny_copy)
    assert proc.returncode == 1 and "cannot be parsed" in proc.stderr


def test_export_json_has_the_documented_shape():
    papers = json.loads(run("export", "--format", "json", check=True).stdout)
    assert {p["relation"] for p in papers} >= {"survey", "cited-by-survey", "cites-survey", "curated"}
    leviathan = next(p for p in papers if p["key"] == "leviathan2023fast")
    assert leviathan["authors"] == ["Yaniv Leviathan", "Matan Kalman", "Yossi Matias"] and leviathan["year"] == 2023


def test_export_node_and_query_filter(tmp_path):
    out = tmp_path / "spec.bib"
    run("export", "--format", "bibtex", "--node", "collaboration/sm-enhance-llm/efficient-inference/speculative-decoding", "--out", str(out), check=True)
    assert out.read_text(encoding="utf-8").count("@") == 3
    assert json.loads(run("export", "--format", "json", "--query", "leviathan", check=True).stdout)[0]["key"] == "leviathan2023fast"
    assert run("export", "--node", "nowhere").returncode == 2


def test_taxonomy_json_and_stats():
    nodes = json.loads(run("taxonomy", "--format", "json", check=True).stdout)
    assert {"id", "label", "parent", "section", "description", "facets"} == set(nodes[0])
    assert nodes[0]["id"] == "collaboration" and nodes[0]["parent"] is None
    stats = json.loads(run("stats", "--format", "json", check=True).stdout)
    assert stats["papers"] == sum(stats["relation"].values())


def test_search_ranks_the_obvious_paper_first():
    hits = json.loads(run("search", "speculative decoding draft model", "--k", "3", "--format", "json", check=True).stdout)
    assert len(hits) == 3 and hits[0]["key"] in {"leviathan2023fast", "chen2023accelerating", "xia2024unlocking"}
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]


def test_import_with_broken_entries_names_each_and_writes_nothing(tiny_copy, fixtures_dir):
    before = (tiny_copy / "papers.bib").read_bytes()
    proc = run("import", str(fixtures_dir / "broken.bib"), env_data=tiny_copy)
    assert proc.returncode == 1
    for where in ("broken.bib:12", "broken.bib:27 [good2023first]", "broken.bib:33 [badyear2023]"):
        assert where in proc.stderr
    assert "nothing was written" in proc.stderr
    assert (tiny_copy / "papers.bib").read_bytes() == before


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (
            "@misc{dup2023a, title={Fast Inference from Transformers via Speculative Decoding}, author={A B}, year={2023}, url={https://x.org}, summary={s}}",
            "title 100% similar to 'leviathan2023fast'",
        ),
        ("@misc{dup2023b, title={Another}, author={A B}, year={2023}, eprint={2211.17192}, summary={s}}", "same arXiv id as 'leviathan2023fast'"),
        ("@misc{leviathan2023fast, title={Other}, author={A B}, year={2023}, url={https://x.org}, summary={s}}", "already used"),
    ],
)
def test_import_flags_duplicates(tiny_copy, tmp_path, entry, words):
    path = tmp_path / "new.bib"
    path.write_text(entry, encoding="utf-8")
    proc = run("import", str(path), "--node", "competition", env_data=tiny_copy)
    assert proc.returncode == 1 and words in proc.stderr


def test_import_dry_run_then_real(tiny_copy, tmp_path):
    path = tmp_path / "new.bib"
    path.write_text(
        "@misc{turing1950computing, title={Computing Machinery and Intelligence}, author={Turing, Alan},"
        " year={1950}, doi={10.1093/mind/LIX.236.433}, summary={Asks whether machines can think.}}",
        encoding="utf-8",
    )
    before = (tiny_copy / "papers.bib").read_bytes()
    assert "would be added" in run("import", str(path), "--node", "competition", "--dry-run", env_data=tiny_copy, check=True).stdout
    assert (tiny_copy / "papers.bib").read_bytes() == before
    run("import", str(path), "--node", "competition", env_data=tiny_copy, check=True)
    papers = json.loads(run("export", env_data=tiny_copy, check=True).stdout)
    added = next(p for p in papers if p["key"] == "turing1950computing")
    assert added["taxonomy"] == ["competition"] and added["relation"] == "curated" and added["authors"] == ["Alan Turing"]
    assert run("validate", env_data=tiny_copy).returncode == 0

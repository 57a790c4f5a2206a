"""abstracts.csv: what the refresh writes reads back, and a hand-edited bad row is named, not shown."""

from __future__ import annotations

from pathlib import Path

from survey_taxonomy.data.abstracts import ABSTRACT_COLUMNS, LIMIT, Abstract, abstract_of, format_abstracts, plain_abstract, read_abstracts
from survey_taxonomy.data.corpus import load_corpus

GOOD = Abstract("leviathan2023fast", "openalex", "W4310000002", "2026-05-01", 'Drafts, "quoted", and commas, kept.')


def test_written_abstracts_read_back_the_same(tmp_path: Path) -> None:
    other = Abstract("leviathan2023fast", "semanticscholar", "a" * 40, "2026-05-02", "=1+1 stays text; the page escapes it.")
    path = tmp_path / "abstracts.csv"
    path.write_text(format_abstracts([other, GOOD]), encoding="utf-8")
    assert read_abstracts(path) == ([GOOD, other], [])  # sorted by key, then provider
    assert abstract_of([other, GOOD], "leviathan2023fast") == GOOD and abstract_of([GOOD], "nobody") is None


def test_bad_rows_are_named_with_their_line_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "abstracts.csv"
    rows = [
        ",".join(ABSTRACT_COLUMNS),
        "k1,crossref,W1,2026-05-01,Fine text.",
        "k2,openalex,W2,2026-13-01,Fine text.",
        "k3,openalex,W3,2026-05-01,<script>alert(1)</script>",
        "k4,openalex,W4,2026-05-01,Hidden\u202etext",
        "k5,openalex,W5,2026-05-01,",
        "k6,openalex,W6,2026-05-01,Kept.",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    abstracts, problems = read_abstracts(path)
    assert [a.key for a in abstracts] == ["k6"]
    assert [(p.line, p.key) for p in problems] == [(2, "k1"), (3, "k2"), (4, "k3"), (5, "k4"), (6, "k5")]
    assert "unknown provider 'crossref'" in problems[0].message and "not a day" in problems[1].message
    assert "HTML" in problems[2].message and "U+202E" in problems[3].message and "needs the abstract" in problems[4].message


def test_a_file_without_the_columns_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "abstracts.csv"
    path.write_text("key,text\nk,hello\n", encoding="utf-8")
    abstracts, problems = read_abstracts(path)
    assert abstracts == [] and len(problems) == 1 and "missing columns" in problems[0].message


def test_plain_abstract_keeps_words_and_cuts_long_text_at_a_word() -> None:
    long = plain_abstract("word " * LIMIT)
    assert len(long) <= LIMIT and long.endswith("word…")
    assert plain_abstract("<p>Two\n\nlines of a real abstract</p>\x07") == "Two lines of a real abstract"
    assert plain_abstract('Ends with onload="x()"') == ""


def test_validate_names_an_abstract_of_an_unknown_paper(tiny_copy: Path) -> None:
    (tiny_copy / "abstracts.csv").write_text(format_abstracts([GOOD, Abstract("ghost2024", "openalex", "W9", "2026-05-01", "Boo.")]), encoding="utf-8")
    corpus = load_corpus(tiny_copy)
    assert [a.key for a in corpus.abstracts] == ["ghost2024", "leviathan2023fast"]
    assert [(p.source, p.key) for p in corpus.problems if p.source == "abstracts.csv"] == [("abstracts.csv", "ghost2024")]

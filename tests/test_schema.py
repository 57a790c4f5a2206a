"""The field table is the one place a field is declared: a field added there reaches every reader and writer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from survey_taxonomy.data import schema
from survey_taxonomy.data.corpus import Corpus
from survey_taxonomy.data.records import Paper

ROOT = Path(__file__).resolve().parent.parent

# Run in a copy of the package with one row added to the table (and the attribute it names on Paper).
PROBE = r"""
import csv, io, json
import rispy
from survey_taxonomy.data.records import Paper
from survey_taxonomy.data.bibliography import format_bibtex, parse_bibtex
from survey_taxonomy.export.cite import csl_item, to_cite_bibtex, to_ris
from survey_taxonomy.export.writers import export
from survey_taxonomy.submissions.payload import FIELDS, payload_of, read_payload
paper = Paper("k2024x", "T", ("Ada Lovelace",), 2024, "ICML 2024", booktitle="Proc. ICML 2024", entry_type="inproceedings", isbn="978-3-16-148410-0")
drafts, problems = read_payload({"title": "T", "authors": "Ada Lovelace", "isbn": "978-0-00-000000-2"})
print(json.dumps({
    "bibtex": parse_bibtex(format_bibtex([paper])).papers[0].isbn,
    "cite": parse_bibtex(to_cite_bibtex([paper])).papers[0].isbn,
    "csv": next(csv.DictReader(io.StringIO(export([paper], "csv"))))["isbn"],
    "json": json.loads(export([paper], "json"))[0]["isbn"],
    "csl": csl_item(paper)["ISBN"],
    "ris": rispy.loads(to_ris([paper]))[0]["issn"],
    "form": FIELDS["isbn"],
    "payload": drafts[0].paper.isbn if not problems else str(problems),
    "stored": read_payload(payload_of(drafts[0]))[0][0].paper.isbn,
}))
"""

# The submit page of the same copy, under AppTest: the new field has its box, and what is typed there is stored.
FORM_PROBE = r"""
import json, os
from streamlit.testing.v1 import AppTest
from survey_taxonomy.data.schema import FORM_SPECS
from survey_taxonomy.submissions import SubmissionStore
at = AppTest.from_file("app.py", default_timeout=60)
at.run()
at.switch_page("pages/submit.py").run()
assert not at.exception, [e.value for e in at.exception]
keys = [w.key for w in at.text_input if w.key and w.key.startswith("submit_")]
box = at.text_input(key="submit_isbn")
label = box.label
box.input("978-0-00-000000-2")
at.text_input(key="submit_title").input("Tiny routers")
at.text_area(key="submit_authors").input("Ada Lovelace")
at.text_input(key="submit_year").input("2025")
at.text_input(key="submit_url").input("https://example.org/tiny")
at.selectbox(key="submit_taxonomy").set_value("competition/task-specific")
at.text_input(key="submit_summary").input("Routes each query to a small model first.")
at.run()
at.button(key="submit_send").click().run()
assert not at.exception, [e.value for e in at.exception]
(stored,) = SubmissionStore(os.environ["SURVEY_DB_URL"]).find("pending")
table = [f"submit_{spec.form}" for spec in FORM_SPECS if spec.widget in ("text", "year")]  # the one-line boxes
print(json.dumps({"label": label, "in table order": [k for k in keys if k in table] == table, "stored": stored.paper.isbn}))
"""


def test_a_field_added_to_the_table_reaches_every_format(tmp_path: Path) -> None:
    package = tmp_path / "survey_taxonomy"
    shutil.copytree(ROOT / "survey_taxonomy", package, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("atlas_ui", "pages", ".streamlit"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    records = package / "data" / "records.py"
    records.write_text(records.read_text().replace('    s2: str = ""', '    s2: str = ""\n    isbn: str = ""', 1))
    table = package / "data" / "schema.py"
    row = '    FieldSpec("isbn", "raw", "isbn", "ISBN", "issn", "isbn", "isbn", "ISBN", 20, citable=True, widget="text"),\n'
    table.write_text(table.read_text().replace('    FieldSpec("openalex"', row + '    FieldSpec("openalex"', 1))
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen == {
        "bibtex": "978-3-16-148410-0",
        "cite": "978-3-16-148410-0",
        "csv": "978-3-16-148410-0",
        "json": "978-3-16-148410-0",
        "csl": "978-3-16-148410-0",
        "ris": "978-3-16-148410-0",
        "form": "ISBN",
        "payload": "978-0-00-000000-2",
        "stored": "978-0-00-000000-2",
    }
    env = os.environ | {"SURVEY_DATA_DIR": str(ROOT / "data"), "SURVEY_DB_URL": f"sqlite:///{tmp_path / 'submissions.db'}"}
    done = subprocess.run([sys.executable, "-c", FORM_PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"label": "ISBN", "in table order": True, "stored": "978-0-00-000000-2"}


def test_every_field_names_an_attribute_of_paper_and_formats_do_not_collide() -> None:
    attributes = set(Paper.__dataclass_fields__)
    assert {spec.name for spec in schema.FIELDS} <= attributes
    for fmt in ("bibtex", "column", "form"):
        names = [getattr(spec, fmt) for spec in schema.FIELDS if getattr(spec, fmt)]
        assert len(names) == len(set(names)), fmt
    csl = [spec.csl for spec in schema.FIELDS if spec.csl and spec.name not in ("booktitle", "journal")]
    assert len(csl) == len(set(csl))  # only the two containers share a variable: a paper has one of them


def test_every_field_the_form_asks_for_has_a_payload_name_and_a_label() -> None:
    missing = [spec.name for spec in schema.FORM_SPECS if not (spec.form and spec.label)]
    assert missing == [], f"these rows have a widget: give each form= (the payload's name, which keys its box) and label=: {missing}"


def test_payload_reads_back_what_the_json_export_writes(corpus: Corpus) -> None:
    """`export --format json` then `import`: every column is a payload field, an alias of one, or the atlas's own."""
    from survey_taxonomy.export.writers import export
    from survey_taxonomy.submissions.payload import read_payload

    records = json.loads(export(corpus.papers[:20], "json"))
    drafts, problems = read_payload(records)
    assert [p for p in problems if p.message == "unknown field"] == []
    for draft, paper in zip(drafts, corpus.papers[:20], strict=True):
        assert (draft.paper.title, draft.paper.author_names, draft.paper.booktitle, draft.paper.journal) == (
            paper.title,
            paper.author_names,
            paper.booktitle,
            paper.journal,
        )
        assert (draft.paper.entry_type, draft.paper.venue, draft.paper.arxiv, draft.paper.doi, draft.paper.note) == (
            paper.entry_type,
            paper.venue,
            paper.arxiv,
            paper.doi,
            paper.note,
        )


def test_the_readme_shows_the_field_table_as_the_code_declares_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert schema.fields_table() in readme


def test_the_data_folder_readme_explains_every_bibtex_field() -> None:
    """data/README.md tells the people who edit papers.bib by hand what each field means."""
    section = (ROOT / "data" / "README.md").read_text(encoding="utf-8").split("## Fields of `papers.bib`", 1)[1].split("\n## ", 1)[0]
    missing = [spec.bibtex for spec in schema.BIBTEX_FIELDS if f"`{spec.bibtex}`" not in section]
    assert missing == [], f"add a row for each to the field table of data/README.md: {missing}"

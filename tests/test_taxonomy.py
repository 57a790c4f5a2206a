from pathlib import Path

import pytest

from survey_taxonomy.data.taxonomy import load_taxonomy, parse_taxonomy
from survey_taxonomy.errors import TaxonomyError


def test_tiny_taxonomy_tree(tiny_dir: Path) -> None:
    tax = load_taxonomy(tiny_dir / "taxonomy.yaml")
    assert tax.roots == ("collaboration", "competition")
    assert tax.subtree("collaboration/efficient-inference") == [
        "collaboration/efficient-inference",
        "collaboration/efficient-inference/speculative-decoding",
        "collaboration/efficient-inference/cascading-and-routing",
    ]
    assert tax.ancestors("collaboration/efficient-inference/speculative-decoding") == ["collaboration", "collaboration/efficient-inference"]
    assert tax.path_labels("competition/task-specific") == ["Competition", "Task-specific environment"]
    assert tax["collaboration/efficient-inference/speculative-decoding"].is_leaf()
    assert not tax["collaboration"].is_leaf()


def test_category_groups_by_second_level_in_collaboration(data_dir: Path) -> None:
    tax = load_taxonomy(data_dir / "taxonomy.yaml")
    assert tax.category("collaboration/sm-enhance-llm/efficient-inference/speculative-decoding") == "SMs enhance LLMs"
    assert tax.category("collaboration/llm-enhance-sm/data-synthesis") == "LLMs enhance SMs"
    assert tax.category("competition/task-specific") == "Competition"


def node(id_: str, **extra: object) -> dict[str, object]:
    return {"id": id_, "label": "L", "description": "D", **extra}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        pytest.param({"nodes": [node("Bad Id")]}, "lowercase slash paths", id="bad-id"),
        pytest.param({"nodes": [node("a", children=[node("b")])]}, "must start with its parent", id="child-not-prefixed"),
        pytest.param({"nodes": [node("a"), node("a")]}, "appears twice", id="duplicate"),
        pytest.param({"nodes": [{"id": "a", "label": "L"}]}, "needs a non-empty 'description'", id="no-description"),
        pytest.param({"nodes": [node("a", facets="x")]}, "not a list of strings", id="facets-not-list"),
        pytest.param({"nodes": [node("a/b")]}, "must not contain '/'", id="root-with-slash"),
        pytest.param([1, 2], "expected a mapping", id="not-a-mapping"),
    ],
)
def test_bad_taxonomies_name_the_problem(data: object, words: str) -> None:
    with pytest.raises(TaxonomyError, match=words):
        parse_taxonomy(data)


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="SURVEY_DATA_DIR"):
        load_taxonomy(tmp_path / "nope.yaml")


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text("nodes: [\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(path)

"""params.yaml overrides the defaults; typos and bad types are errors, not silent defaults."""
import pytest

from pipeline.errors import ParamsError
from pipeline.settings import DEFAULTS, REPO_ROOT, load_params


def test_the_project_params_file_loads_and_resolves_paths():
    params = load_params(REPO_ROOT / "params.yaml")
    assert params["extract"]["lexicon"] == str(REPO_ROOT / "models/zh_bodies.txt")
    assert params["inputs"] == [str(REPO_ROOT / "corpus/raw"), str(REPO_ROOT / "corpus/dev")]


@pytest.mark.parametrize("content, message", [
    ("extract:\n  treshold: 0.5\n", "unknown key extract.'treshold'"),
    ("extract:\n  threshold: high\n", "extract.threshold must be float"),
    ("ingest: 3\n", "ingest must be a mapping"),
    ("- a\n- b\n", "mapping at the top level"),
    ("extract: [\n", "not valid YAML"),
])
def test_bad_params_are_refused(tmp_path, content, message):
    p = tmp_path / "params.yaml"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        load_params(p)
    assert message in str(err.value)


def test_other_tools_sections_are_ignored_and_ints_accepted_for_floats(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("plots: {x: 1}\nextract:\n  threshold: 1\n", encoding="utf-8")
    assert load_params(p)["extract"]["threshold"] == 1
    assert load_params(None) == DEFAULTS

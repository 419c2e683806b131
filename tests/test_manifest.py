"""Model files are checked against models/MANIFEST.json before loading; nothing unsafe is loaded."""
from __future__ import annotations

import argparse
import ast
import json
import shutil
from pathlib import Path

import pytest

from pipeline import boilerplate, manifest
from pipeline.confidence import Scorer
from pipeline.errors import ModelInvalid
from pipeline.settings import MODELS_DIR

ROOT = Path(__file__).resolve().parents[1]


def _models_copy(tmp_path: Path) -> Path:
    """A copy of models/ with its manifest brought up to date (others may be editing a lexicon)."""
    folder = tmp_path / "models"
    shutil.copytree(MODELS_DIR, folder)
    manifest.update(None, folder=folder)
    return folder


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith((".tmp", ".lock"))]


# Files whose loaders call manifest.verify (the lexicon and alias loaders do not, yet).
VERIFIED = ("scorer.json", "boilerplate.json")


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="obligations")
    manifest.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_the_committed_manifest_matches_the_verified_model_files() -> None:
    problems = [p for p in manifest.check_all(MODELS_DIR) if any(f"/{n} " in p for n in VERIFIED)]
    assert problems == [], ("\n".join(problems) + "\nif you changed these files on purpose, run "
                            "`python -m pipeline.manifest --update` (or `obligations manifest --update`)")
    listed = json.loads((MODELS_DIR / "MANIFEST.json").read_text(encoding="utf-8"))["files"]
    assert {"scorer.json", "boilerplate.json", "zh_bodies.txt", "actor_aliases.tsv"} <= set(listed)


def test_a_scorer_changed_by_hand_is_refused_with_what_to_do(tmp_path: Path) -> None:
    folder = _models_copy(tmp_path)
    assert Scorer.load(folder / "scorer.json").weights  # intact: loads
    data = json.loads((folder / "scorer.json").read_text(encoding="utf-8"))
    data["intercept"] = 5.0
    (folder / "scorer.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelInvalid) as err:
        Scorer.load(folder / "scorer.json")
    msg = str(err.value)
    assert err.value.code == "E201"
    assert "scorer.json does not match" in msg and "MANIFEST.json" in msg
    assert "changed outside `obligations train`" in msg
    assert "re-run `obligations train`" in msg and "`obligations manifest --update`" in msg
    assert _cli("manifest", "--models", str(folder)) == 3
    assert _cli("manifest", "--models", str(folder), "--update") == 0
    assert Scorer.load(folder / "scorer.json").intercept == 5.0  # recorded on purpose: accepted


def test_a_truncated_boilerplate_model_is_refused(tmp_path: Path) -> None:
    folder = _models_copy(tmp_path)
    path = folder / "boilerplate.json"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ModelInvalid, match="boilerplate.json does not match"):
        boilerplate.load_model(path)


def test_save_and_train_record_their_hash(tmp_path: Path) -> None:
    folder = _models_copy(tmp_path)
    scorer = Scorer({"has_cue": 1.5}, -0.25, {"n": 3})
    scorer.save(folder / "scorer.json")
    assert Scorer.load(folder / "scorer.json").weights == {"has_cue": 1.5}
    scorer.save(folder / "other_scorer.json")  # a new file is added, the others stay
    model = boilerplate.train(out_path=folder / "boilerplate.json")
    assert boilerplate.load_model(folder / "boilerplate.json") == model["weights"]
    assert manifest.check_all(folder) == []
    assert not _leftovers(folder)  # no temporary or lock file left behind


def test_a_file_missing_from_the_manifest_is_refused(tmp_path: Path) -> None:
    folder = _models_copy(tmp_path)
    shutil.copy(folder / "scorer.json", folder / "copied.json")
    with pytest.raises(ModelInvalid, match="copied.json is not listed in"):
        Scorer.load(folder / "copied.json")
    assert any("copied.json is not listed" in p for p in manifest.check_all(folder))


def test_the_project_models_folder_needs_a_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _models_copy(tmp_path)
    (folder / "MANIFEST.json").unlink()
    monkeypatch.setattr("pipeline.settings.MODELS_DIR", folder)
    with pytest.raises(ModelInvalid, match="MANIFEST.json is missing"):
        Scorer.load(folder / "scorer.json")
    # a model written by hand elsewhere (no manifest beside it) is read as it is
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.copy(folder / "scorer.json", other / "scorer.json")
    assert Scorer.load(other / "scorer.json").weights


def test_a_broken_manifest_is_a_clear_error(tmp_path: Path) -> None:
    folder = _models_copy(tmp_path)
    (folder / "MANIFEST.json").write_text('{"files": ["scorer.json"]}', encoding="utf-8")
    with pytest.raises(ModelInvalid, match="not a models manifest") as err:
        Scorer.load(folder / "scorer.json")
    assert "manifest --update" in str(err.value)


def test_a_failed_save_leaves_the_previous_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _models_copy(tmp_path)
    before = (folder / "scorer.json").read_bytes()

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", broken)
    with pytest.raises(OSError):
        Scorer({"has_cue": 1.0}).save(folder / "scorer.json")
    monkeypatch.undo()
    assert (folder / "scorer.json").read_bytes() == before
    assert not _leftovers(folder) and manifest.check_all(folder) == []


UNSAFE_CALLS = {("pickle", "load"), ("pickle", "loads"), ("joblib", "load"), ("marshal", "load"),
                ("marshal", "loads"), ("dill", "load"), ("cloudpickle", "load"), ("torch", "load"),
                ("pd", "read_pickle"), ("pandas", "read_pickle"), ("shelve", "open")}
UNSAFE_MODULES = {"pickle", "joblib", "marshal", "dill", "cloudpickle", "shelve", "_pickle"}


# jieba keeps its dictionary cache in marshal format and reads it itself; segment.py reads
# it faster the same way, only from a file and folder that no other user can write
# (tests/test_segment.py checks that guard).
# run.py reads the documents its own prefetch helper pickled into a folder it made with
# mkdtemp (mode 0700), under the same guard (tests/test_run.py checks it).
ALLOWED = {"segment.py": ({("marshal", "loads")}, {"marshal"}),
           "run.py": ({("pickle", "loads")}, {"pickle"})}


@pytest.mark.parametrize("path", sorted((ROOT / "pipeline").glob("*.py")), ids=lambda p: p.name)
def test_no_pickle_style_loading_in_the_package(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed_calls, allowed_modules = ALLOWED.get(path.name, (set(), set()))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & (UNSAFE_MODULES - allowed_modules), \
                (path, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in UNSAFE_MODULES, (path, node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            assert (name, node.func.attr) not in UNSAFE_CALLS - allowed_calls, (path, node.lineno)
            if node.func.attr == "load" and name in ("np", "numpy"):
                assert not any(k.arg == "allow_pickle" for k in node.keywords), (path, node.lineno)

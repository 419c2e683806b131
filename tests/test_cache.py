"""cache: a re-run recomputes only changed pages; entries are JSON, keyed on code and params."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from pipeline.cache import ExtractCache, code_version
from pipeline.ingest import iter_inputs
from pipeline.run import process
from pipeline.settings import load_params

HERE = Path(__file__).parent
ROOT = HERE.parent
PARAMS = load_params()


def _rows(results) -> list:
    return [(r.doc.doc_id, r.doc.text, r.doc.issued, [vars(m) for m in r.mentions], r.candidates)
            for r in results]


def test_rerun_recomputes_only_the_changed_page(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(ROOT / "corpus" / "dev", pages)
    for p in pages.iterdir():
        p.chmod(0o644)
    cache = tmp_path / "cache"
    first = list(process(iter_inputs([pages]), PARAMS, jobs=1, cache_dir=cache))
    assert not any(r.cached for r in first)
    again = list(process(iter_inputs([pages]), PARAMS, jobs=2, cache_dir=cache))
    assert all(r.cached for r in again)
    assert _rows(again) == _rows(first)  # dates, floats and offsets survive the JSON round trip
    changed = pages / "zh_lishan2023_division.txt"
    changed.write_bytes(changed.read_bytes() + "\n各乡镇要于2025年底前完成整改。\n".encode("utf-8"))
    third = list(process(iter_inputs([pages]), PARAMS, jobs=1, cache_dir=cache))
    assert [r.doc.doc_id for r in third if not r.cached] == ["zh_lishan2023_division"]
    fresh = list(process(iter_inputs([pages]), PARAMS, jobs=1))
    assert _rows(third) == _rows(fresh)


def test_entries_are_json_and_a_broken_entry_is_recomputed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    items = list(iter_inputs([ROOT / "corpus" / "raw"]))[:2]
    first = list(process(items, PARAMS, cache_dir=cache))
    files = sorted(cache.rglob("*.json"))
    assert len(files) == 2
    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert set(data) == {"doc", "mentions", "candidates"}
    files[0].write_text("{not json", encoding="utf-8")
    second = list(process(items, PARAMS, cache_dir=cache))
    assert sorted(r.cached for r in second) == [False, True]
    assert _rows(second) == _rows(first)


def test_version_follows_params_and_model_files(tmp_path: Path) -> None:
    base = code_version(PARAMS)
    other = copy.deepcopy(PARAMS)
    other["ingest"]["boilerplate_threshold"] = 0.6
    assert code_version(other) != base
    lexicon = tmp_path / "zh_bodies.txt"
    lexicon.write_text(Path(PARAMS["extract"]["lexicon"]).read_text(encoding="utf-8"), encoding="utf-8")
    moved = copy.deepcopy(PARAMS)
    moved["extract"]["lexicon"] = str(lexicon)
    assert code_version(moved) == base  # same content, other place: same results
    edited_lexicon = tmp_path / "bodies2.txt"
    edited_lexicon.write_text(lexicon.read_text(encoding="utf-8") + "新设局\n", encoding="utf-8")
    edited = copy.deepcopy(PARAMS)
    edited["extract"]["lexicon"] = str(edited_lexicon)
    assert ExtractCache(tmp_path, edited).version != base  # a model edit invalidates the cache
    thr = copy.deepcopy(PARAMS)
    thr["extract"]["threshold"] = 0.9
    assert code_version(thr) == base  # the threshold is applied after the cache

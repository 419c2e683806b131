"""cache: a re-run recomputes only changed pages; entries are JSON, keyed on code and params."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from pipeline.cache import ExtractCache, code_version
from pipeline.ingest import iter_inputs
from pipeline.run import process
from pipeline.schemas import Provision
from pipeline.settings import load_params

HERE = Path(__file__).parent
ROOT = HERE.parent
PARAMS = load_params()


def _rows(results) -> list:
    return [(r.doc.doc_id, r.doc.text, r.doc.issued, [vars(p) for p in r.doc.provisions],
             [vars(m) for m in r.mentions], r.candidates) for r in results]


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


def test_provision_text_is_stored_only_when_it_is_not_a_slice_of_the_document(tmp_path: Path) -> None:
    items = list(iter_inputs([ROOT / "corpus" / "raw"]))[:1]
    (result,) = process(items, PARAMS)
    doc = result.doc
    assert len(doc.provisions) > 2
    first = doc.provisions[0]
    doc.provisions.append(Provision(doc.doc_id, "p9999", None, 1, "", "not in the text", first.start, first.end))
    store = ExtractCache(tmp_path, PARAMS)
    store.put("k" * 64, doc, result.mentions, result.candidates)
    stored = json.loads(next(tmp_path.rglob("*.json")).read_text(encoding="utf-8"))["doc"]["provisions"]
    assert ["text" in p for p in stored] == [False] * (len(stored) - 1) + [True]
    back, mentions, candidates = store.get("k" * 64)
    assert [vars(p) for p in back.provisions] == [vars(p) for p in doc.provisions]
    assert back == doc and mentions == result.mentions and candidates == result.candidates


def test_a_cache_that_cannot_be_written_never_fails_the_run(tmp_path: Path) -> None:
    items = list(iter_inputs([ROOT / "corpus" / "raw"]))[:2]
    cache = tmp_path / "cache"
    cache.write_text("a file where the cache folder should be", encoding="utf-8")
    results = list(process(items, PARAMS, cache_dir=cache))
    assert _rows(results) == _rows(process(items, PARAMS))
    assert not any(r.cached for r in results)

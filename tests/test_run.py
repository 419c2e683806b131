"""run: one process or several give the same results, in input order, streaming."""
from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.errors import ObligationsError
from pipeline.ingest import iter_inputs
from pipeline.schemas import Document
from pipeline.run import Prefetch, chunks, process, process_batches, process_item, worker_state
from pipeline.settings import load_params

HERE = Path(__file__).parent
ROOT = HERE.parent
INPUTS = [ROOT / "corpus" / "raw", ROOT / "corpus" / "dev", HERE / "data" / "hostile"]
PARAMS = load_params()


def _summary(results) -> list[tuple]:
    return [(r.doc.doc_id, r.doc.status, len(r.mentions),
             [(c["actor"], c["role"], c["duty"], c["confidence"]) for c in r.candidates])
            for r in results]


def test_jobs_two_equals_jobs_one_in_input_order() -> None:
    items = list(iter_inputs(INPUTS))
    one = _summary(process(items, PARAMS, jobs=1))
    two = _summary(process(items, PARAMS, jobs=2))
    assert [s[0] for s in one] == [d for _, d in items]
    assert two == one
    assert sum(len(s[3]) for s in one) > 50  # real pages give real candidates


def test_ingested_documents_two_jobs_equal_one() -> None:
    docs = [r.doc for r in process(list(iter_inputs(INPUTS))[:8], PARAMS, extract=False, jobs=1)]
    one = _summary(process(copy.deepcopy(docs), PARAMS, jobs=1))
    assert _summary(process(copy.deepcopy(docs), PARAMS, jobs=2)) == one
    assert sum(len(s[3]) for s in one) > 5


def test_cli_tables_identical_for_one_and_two_jobs(tmp_path: Path) -> None:
    args = [str(p) for p in INPUTS] + ["--no-cache", "--docs-per-group", "3"]
    assert main(["extract", *args, "--out", str(tmp_path / "a"), "--jobs", "1"]) == 0
    assert main(["extract", *args, "--out", str(tmp_path / "b"), "--jobs", "2"]) == 0
    for name in ("documents", "provisions", "mentions", "obligations"):
        a = (tmp_path / "a" / f"{name}.parquet").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.parquet").read_bytes(), name
    assert (tmp_path / "a" / "obligations.csv").read_text() == (tmp_path / "b" / "obligations.csv").read_text()
    obl = pd.read_parquet(tmp_path / "a" / "obligations.parquet")
    assert len(obl) > 20 and {"调宣部", "各地"} & set(obl["actor"])


def test_items_are_read_lazily_with_bounded_look_ahead() -> None:
    pulled = []
    pages = list(iter_inputs(INPUTS)) * 6

    def feed():
        for item in pages:
            pulled.append(item)
            yield item

    gen = process(feed(), PARAMS, extract=False, jobs=2, in_flight=8)
    first = next(gen)
    assert first.doc.doc_id == pages[0][1]
    assert len(pulled) <= 8 + 1 < len(pages)
    gen.close()  # stopping early must not hang the pool


def test_batches_equal_per_document_results_and_are_read_lazily() -> None:
    items = list(iter_inputs(INPUTS))
    one = list(process(items, PARAMS, jobs=1))
    batches = list(process_batches(items, PARAMS, jobs=2, batch_size=3, with_candidates=True))
    assert [b.n_docs for b in batches] == [len(c) for c in chunks(items, 3, workers=2)]
    assert [s[0] for b in batches for s in b.statuses] == [r.doc.source for r in one]
    assert [c for b in batches for c in b.candidates] == [c for r in one for c in r.candidates]
    assert [m for b in batches for m in b.table("mentions").column("mention_id").to_pylist()] == \
        [m.mention_id for r in one for m in r.mentions]

    pulled = []

    def feed():
        for item in items * 6:
            pulled.append(item)
            yield item

    gen = process_batches(feed(), PARAMS, extract=False, jobs=2, batch_size=2, in_flight=4)
    assert next(gen).n_docs == 2
    # 4 batches in flight, one being made, and the chunker's read-ahead (2 * jobs batches)
    assert len(pulled) <= 2 * (4 + 1) + 2 * 2 * 2 + 2 + 1 < len(items) * 6
    gen.close()


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 33, 100, 341])
def test_chunks_shrink_at_the_end_so_workers_finish_together(n: int) -> None:
    plain = list(chunks(range(n), 8))
    assert [len(c) for c in plain] == [8] * (n // 8) + ([n % 8] if n % 8 else [])
    spread = list(chunks(iter(range(n)), 8, workers=2))
    assert [x for c in spread for x in c] == list(range(n))  # every item once, in order
    left = n
    for c in spread:
        assert 1 <= len(c) <= 8
        assert len(c) == 8 or len(c) == -(-left // 4)  # near the end: a quarter of what is left
        left -= len(c)
    if n >= 64:
        assert [len(c) for c in spread[-4:]] == [1, 1, 1, 1]


def test_a_generator_left_open_does_not_hang_the_interpreter_at_exit() -> None:
    import subprocess
    import sys

    script = (
        "from pipeline.ingest import iter_inputs\n"
        "from pipeline.run import process, process_batches\n"
        "from pipeline.settings import load_params\n"
        f"items = list(iter_inputs({[str(p) for p in INPUTS]!r})) * 4\n"
        "gen = process(items, load_params(), extract=False, jobs=2, in_flight=4)\n"
        "batches = process_batches(items, load_params(), extract=False, jobs=2, batch_size=2, in_flight=2)\n"
        "extracted = process_batches(items, load_params(), jobs=2, batch_size=2, in_flight=2)\n"
        "print(next(gen).doc.doc_id, next(batches).n_docs, next(extracted).n_docs)\n")  # all left open
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [next(iter_inputs(INPUTS))[1], "2", "2"]


def test_bad_setup_fails_in_the_parent_instead_of_hanging() -> None:
    params = copy.deepcopy(PARAMS)
    params["extract"]["lexicon"] = str(ROOT / "models" / "no_such_lexicon.txt")
    with pytest.raises(ObligationsError):
        list(process(list(iter_inputs(INPUTS)), params, jobs=2))


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["extract", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--no-cache"]) == 2
    assert not (tmp_path / "o" / "documents.parquet").exists()


def _prefetched(head: list[tuple[str, str]], cache_dir: str | None) -> tuple[Prefetch, list[tuple[str, ...]]]:
    prefetch = Prefetch(head, PARAMS, cache_dir)
    prefetch._proc.join(timeout=60)  # let the helper finish every page it was given
    prefetch.stop()
    return prefetch, list(prefetch.items())


def test_pages_the_helper_ingested_give_the_same_results(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("pipeline.run.CACHE_ROOT", tmp_path)
    head = [(str(p), d) for p, d in iter_inputs(INPUTS)][:6]
    prefetch, items = _prefetched(head, None)
    try:
        assert prefetch.n_done == len(head)
        assert all(len(item) == 3 and Path(item[2]).is_file() for item in items)
        state = worker_state(PARAMS, True, None)
        assert _summary(process_item(item, state) for item in items) == \
            _summary(process_item(item, state) for item in head)
        Path(items[0][2]).unlink()  # a file gone (removed by another run): the page is ingested
        assert _summary([process_item(items[0], state)]) == _summary([process_item(head[0], state)])
        # A file that someone else could have written is never unpickled.
        planted = Path(items[1][2])
        planted.write_bytes(pickle.dumps(Document(doc_id="planted", source="x")))
        planted.chmod(0o666)
        assert _summary([process_item(items[1], state)]) == _summary([process_item(head[1], state)])
    finally:
        prefetch.close()
    assert not prefetch.folder.exists()


def test_stopping_the_helper_kills_it_at_once_and_keeps_only_whole_pages(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("pipeline.run.CACHE_ROOT", tmp_path)
    pages = [(str(p), d) for p, d in iter_inputs(INPUTS)]
    head = [(path, f"{doc_id}-{i}") for i in range(20) for path, doc_id in pages]  # minutes of work
    prefetch = Prefetch(head, PARAMS, None)
    try:
        while not any(prefetch.folder.glob("*.pickle")):  # let it finish a page or two
            prefetch._proc.join(timeout=0.05)
        prefetch.stop()
        assert not prefetch._proc.is_alive()
        assert 0 < prefetch.n_done < len(head)
        state = worker_state(PARAMS, True, None)
        for item, original in zip(prefetch.items(), head):
            if len(item) == 3:  # a finished page: its file is whole and gives the same result
                assert _summary([process_item(item, state)]) == _summary([process_item(original, state)])
    finally:
        prefetch.close()
    assert not prefetch.folder.exists()


def test_the_helper_skips_cached_pages_and_a_killed_runs_folder_is_removed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("pipeline.run.CACHE_ROOT", tmp_path / "root")
    stale = tmp_path / "root" / ".prefetch-x.999999999.tmp"  # no such process
    stale.mkdir(parents=True)
    head = [(str(p), d) for p, d in iter_inputs(INPUTS)][:4]
    cache = str(tmp_path / "cache")
    list(process(head[:2], PARAMS, jobs=1, cache_dir=cache))
    prefetch, items = _prefetched(head, cache)
    try:
        assert not stale.exists()
        assert [len(item) for item in items] == [2, 2, 3, 3]
    finally:
        prefetch.close()


def test_a_worker_that_dies_is_an_error_not_a_hang() -> None:
    from concurrent.futures.process import BrokenProcessPool

    from pipeline.run import _pool_map

    with pytest.raises(BrokenProcessPool):
        list(_pool_map(iter(range(4)), (), 2, remote=_die, in_flight=2))


def _die(task: int) -> None:
    import os

    os._exit(3)


def test_without_a_writable_cache_folder_the_workers_ingest_every_page(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "a file").write_text("")
    monkeypatch.setattr("pipeline.run.CACHE_ROOT", tmp_path / "a file" / "root")
    items = list(iter_inputs(INPUTS))[:6]
    assert _summary(process(items, PARAMS, jobs=2)) == _summary(process(items, PARAMS, jobs=1))

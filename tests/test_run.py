"""run: one process or several give the same results, in input order, streaming."""
from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.errors import ObligationsError
from pipeline.ingest import iter_inputs
from pipeline.run import chunks, process, process_batches
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
    assert [m for b in batches for m in b.columns["mentions"]["mention_id"]] == \
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
        "print(next(gen).doc.doc_id, next(batches).n_docs)\n")  # both left open
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [next(iter_inputs(INPUTS))[1], "2"]


def test_bad_setup_fails_in_the_parent_instead_of_hanging() -> None:
    params = copy.deepcopy(PARAMS)
    params["extract"]["lexicon"] = str(ROOT / "models" / "no_such_lexicon.txt")
    with pytest.raises(ObligationsError):
        list(process(list(iter_inputs(INPUTS)), params, jobs=2))


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["extract", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--no-cache"]) == 2
    assert not (tmp_path / "o" / "documents.parquet").exists()

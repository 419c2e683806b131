"""tables: streamed row groups read back exactly like one-shot tables."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.ingest import iter_inputs
from pipeline.run import process
from pipeline.settings import load_params
from pipeline.schemas import to_table
from pipeline.tables import (TABLES, Batch, ResultWriter, document_tables, obligation_rows, write_candidates,
                             write_part, write_table)

HERE = Path(__file__).parent
ROOT = HERE.parent
PARAMS = load_params()
THRESHOLD = PARAMS["extract"]["threshold"]


@pytest.fixture(scope="module")
def results():
    items = iter_inputs([ROOT / "corpus" / "raw", ROOT / "corpus" / "dev"])
    return list(process(items, PARAMS, jobs=1))


def test_streamed_tables_equal_one_shot_tables(results, tmp_path: Path) -> None:
    with ResultWriter(tmp_path / "s", THRESHOLD, tmp_path / "s" / "cands.parquet", docs_per_group=3) as w:
        for r in results:
            w.add(r.doc, r.mentions, r.candidates)
    one = tmp_path / "o"
    doc_rows, prov_rows = document_tables(r.doc for r in results)
    write_table("documents", doc_rows, one)
    write_table("provisions", prov_rows, one)
    write_table("mentions", [vars(m) for r in results for m in r.mentions], one)
    cands = [c for r in results for c in r.candidates]
    write_table("obligations", obligation_rows(cands, THRESHOLD), one)
    write_candidates(cands, one / "cands.parquet")
    assert pq.ParquetFile(tmp_path / "s" / "documents.parquet").num_row_groups == 4  # 11 pages, K=3
    for name in ("documents", "provisions", "mentions", "obligations", "cands"):
        a = pd.read_parquet(tmp_path / "s" / f"{name}.parquet")
        b = pd.read_parquet(one / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, b, check_categorical=False)
    assert (tmp_path / "s" / "obligations.csv").read_text() == (one / "obligations.csv").read_text()
    assert w.n_obligations == len(pd.read_parquet(one / "obligations.parquet")) > 0
    assert str(pd.read_parquet(tmp_path / "s" / "obligations.parquet")["role"].dtype) == "category"


@pytest.mark.parametrize("batch_size", [1, 2, 5, 11])
def test_batches_of_any_size_write_the_same_bytes_as_one_document_at_a_time(results, tmp_path, batch_size):
    with ResultWriter(tmp_path / "one", THRESHOLD, tmp_path / "one" / "cands.parquet", docs_per_group=3) as w:
        for r in results:
            w.add(r.doc, r.mentions, r.candidates)
    with ResultWriter(tmp_path / "b", THRESHOLD, tmp_path / "b" / "cands.parquet", docs_per_group=3) as wb:
        for start in range(0, len(results), batch_size):
            batch = wb.new_batch()
            for r in results[start:start + batch_size]:
                batch.add(r.doc, r.mentions, r.candidates)
            wb.add_batch(batch)
    for name in ("documents.parquet", "provisions.parquet", "mentions.parquet", "obligations.parquet",
                 "obligations.csv", "cands.parquet"):
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    assert (wb.n_docs, wb.n_obligations, wb.statuses) == (w.n_docs, w.n_obligations, w.statuses)


def test_a_batch_split_anywhere_and_joined_again_is_the_same_batch(results) -> None:
    whole = Batch(THRESHOLD, with_candidates=True)
    for r in results:
        whole.add(r.doc, r.mentions, r.candidates)
    assert whole.n_obligations == len(obligation_rows([c for r in results for c in r.candidates], THRESHOLD))
    for n in range(len(results) + 1):
        head, tail = whole.split(n)
        assert (head.n_docs, tail.n_docs) == (n, len(results) - n)
        head.extend(tail)
        assert vars(head) == vars(whole), n


def test_a_finished_batch_travels_as_arrow_and_takes_no_more_rows(results) -> None:
    import pickle

    import pyarrow as pa

    batch = Batch(THRESHOLD)
    for r in results:
        batch.add(r.doc, r.mentions, r.candidates)
    expected = {name: batch.table(name) for name in TABLES}  # table() finishes the batch
    assert batch.finished and all(isinstance(t, pa.Table) for t in batch.arrow.values())
    back = pickle.loads(pickle.dumps(batch))
    assert all(back.table(name).equals(expected[name]) for name in TABLES)
    assert len(back.csv_rows) == back.n_obligations
    with pytest.raises(ValueError, match="finished"):
        batch.add(results[0].doc, results[0].mentions, results[0].candidates)


def test_a_batch_made_for_other_settings_is_refused(results, tmp_path: Path) -> None:
    batch = Batch(THRESHOLD, with_candidates=True)
    batch.add(results[0].doc, results[0].mentions, results[0].candidates)
    with pytest.raises(ValueError, match="new_batch"):
        with ResultWriter(tmp_path, THRESHOLD) as w:
            w.add_batch(batch)


def test_csv_offsets_stay_integers_where_some_rows_have_none(results, tmp_path: Path) -> None:
    import csv

    cands = [c for r in results for c in r.candidates]
    write_table("obligations", obligation_rows(cands, THRESHOLD), tmp_path)
    with (tmp_path / "obligations.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    starts = [r["deadline_start"] for r in rows]
    assert "" in starts and any(starts)  # both kinds of row are there
    assert all(v == "" or v.isdigit() for v in starts)
    assert all(r["confidence"] and r["start"].isdigit() for r in rows)


def test_csv_is_what_pandas_writes(results, tmp_path: Path) -> None:
    import datetime as dt

    from pipeline.tables import write_csv

    cands = [c for r in results for c in r.candidates]
    tricky = [{"obligation_id": "a,b", "doc_id": 'say "x"', "duty": "two\nlines", "actor": "cr\rlf",
               "confidence": 0.1 + 0.2, "start": None, "end": 5, "due_start": dt.date(2022, 1, 2),
               "method": "zh.you", "deadline": ""},
              {"obligation_id": "b", "confidence": None, "role": "lead", "duty": " x ", "deadline": "  "}]
    for rows in (obligation_rows(cands, THRESHOLD), tricky):
        table = to_table("obligations", rows)
        write_csv(table.slice(0, 1), tmp_path / "ours.csv")
        write_csv(table.slice(1), tmp_path / "ours.csv", header=False)
        table.to_pandas(integer_object_nulls=True).to_csv(tmp_path / "pandas.csv", index=False)
        assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_failed_run_leaves_previous_tables(results, tmp_path: Path) -> None:
    with ResultWriter(tmp_path, THRESHOLD) as w:
        w.add(results[0].doc, results[0].mentions, results[0].candidates)
    before = (tmp_path / "documents.parquet").read_bytes()
    with pytest.raises(RuntimeError):
        with ResultWriter(tmp_path, THRESHOLD, docs_per_group=1) as w:
            for r in results:
                w.add(r.doc, r.mentions, r.candidates)
            raise RuntimeError("interrupted")
    assert (tmp_path / "documents.parquet").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_no_documents_gives_empty_tables_with_their_columns(tmp_path: Path) -> None:
    with ResultWriter(tmp_path, THRESHOLD):
        pass
    obl = pd.read_parquet(tmp_path / "obligations.parquet")
    assert len(obl) == 0 and "actor_norm" in obl.columns
    assert (tmp_path / "obligations.csv").read_text().startswith("obligation_id,doc_id")


def test_parts_read_back_as_one_table_in_order(results, tmp_path: Path) -> None:
    table_dir = tmp_path / "documents.parquet"
    for n, r in enumerate(results):
        write_part(to_table("documents", document_tables([r.doc])[0]), table_dir, n)
    df = pd.read_parquet(table_dir)
    assert list(df["doc_id"]) == [r.doc.doc_id for r in results]


def test_temporaries_of_killed_runs_are_removed_and_live_ones_kept(tmp_path):
    import os
    import subprocess

    from pipeline.tables import remove_stale_temporaries

    dead = subprocess.Popen(["true"])
    dead.wait()  # its pid is now free: the run that wrote this file was killed
    stale = tmp_path / f".obligations.parquet.{dead.pid}.tmp"
    stale.write_bytes(b"partial")
    live = tmp_path / f".documents.parquet.{os.getpid()}.tmp"
    live.write_bytes(b"being written")
    table = tmp_path / "documents.parquet"
    table.write_bytes(b"the previous table")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert not stale.exists() and live.exists() and table.exists()

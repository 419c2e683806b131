"""The Dask engine on a local 2-worker cluster writes the same rows as the local engine."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from distributed import LocalCluster

from pipeline.cli import main

HERE = Path(__file__).parent
ROOT = HERE.parent
INPUTS = [str(ROOT / "corpus" / "raw"), str(ROOT / "corpus" / "dev"), str(HERE / "data" / "hostile")]
TABLES = ("documents", "provisions", "mentions", "obligations")


def _frame(path: Path) -> pd.DataFrame:
    df = pd.read_parquet(path)
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(object)  # parts may hold different dictionaries
    return df.reset_index(drop=True)


def test_dask_engine_rows_equal_local_engine(tmp_path: Path) -> None:
    local, dask_out = tmp_path / "local", tmp_path / "dask"
    assert main(["extract", *INPUTS, "--out", str(local), "--jobs", "1", "--no-cache",
                 "--candidates", str(local / "cands.parquet")]) == 0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40) as cluster:
        code = main(["extract", *INPUTS, "--out", str(dask_out), "--engine", "dask",
                     "--scheduler", cluster.scheduler_address, "--docs-per-group", "4",
                     "--cache-dir", str(tmp_path / "cache"), "--candidates", str(dask_out / "cands")])
    assert code == 0
    assert len(list((dask_out / "documents.parquet").glob("part-*.parquet"))) == 3  # 12 pages, K=4
    for name in TABLES:
        a, b = _frame(local / f"{name}.parquet"), _frame(dask_out / f"{name}.parquet")
        pd.testing.assert_frame_equal(b, a, check_dtype=False)
    assert len(_frame(dask_out / "obligations.parquet")) > 20
    pd.testing.assert_frame_equal(_frame(dask_out / "cands"), _frame(local / "cands.parquet"),
                                  check_dtype=False)
    assert (dask_out / "obligations.csv").read_text() == (local / "obligations.csv").read_text()
    assert not [p for p in dask_out.iterdir() if p.name.startswith(".dask-")]


def test_unreachable_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    code = main(["extract", INPUTS[1], "--out", str(tmp_path), "--engine", "dask",
                 "--scheduler", "tcp://127.0.0.1:9", "--no-cache"])
    assert code == 2

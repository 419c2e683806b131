"""Killing `obligations extract` at any moment leaves the previous tables intact and readable,
and the next run completes.

A complete run over the sample corpus writes the "previous" tables.  Then a run over a larger
copy of the corpus (the pages ``COPIES`` times) into the same folder is killed with SIGKILL
(the whole process group: the command and its workers) at several points: at once, when the
first temporary table appears, when a few row groups are written, and as soon as the first
table has been moved into place.  At each point every table must be either the previous file,
byte for byte, or a complete new one; all must read with pandas.  A run that happened to finish
before its kill point is fine too: nothing here depends on timing to pass.  Finally a fresh run
(reusing the cache the killed runs left) completes and gives every page.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = [ROOT / "corpus" / "raw", ROOT / "corpus" / "dev"]
COPIES = 6
TABLES = ("documents.parquet", "provisions.parquet", "mentions.parquet", "obligations.parquet",
          "obligations.csv")


def _start(inputs: list[Path], out: Path, cache: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "extract", *map(str, inputs), "--out", str(out),
         "--cache-dir", str(cache), "--jobs", "2", "--docs-per-group", "4"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)


def _temps(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if p.name.endswith(".tmp")]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> list[Path]:
    base = tmp_path_factory.mktemp("corpus")
    inputs = []
    for folder in CORPUS:
        target = base / folder.name
        for n in range(COPIES):
            shutil.copytree(folder, target / f"copy{n:02d}")
        inputs.append(target)
    return inputs


KILL_POINTS = {
    "at_once": lambda out, old: True,
    "first_temporary_table": lambda out, old: bool(_temps(out)),
    "row_groups_written": lambda out, old: any(p.stat().st_size > 20_000 for p in _temps(out)),
    "first_table_moved_into_place": lambda out, old: any(
        (out / name).stat().st_ino != old[name][1] for name in TABLES if (out / name).exists()),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_run_leaves_the_previous_tables(big_corpus: list[Path], tmp_path: Path, point: str) -> None:
    out, cache = tmp_path / "tables", tmp_path / "cache"
    first = _start(CORPUS, out, cache)
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    old = {name: ((out / name).read_bytes(), (out / name).stat().st_ino) for name in TABLES}
    n_pages = len(_read(out / "documents.parquet"))
    n_obligations = len(_read(out / "obligations.parquet"))
    assert n_pages == 11 and n_obligations > 20

    proc = _start(big_corpus, out, cache)
    killed = False
    while proc.poll() is None:
        if KILL_POINTS[point](out, old):
            _kill(proc)
            killed = True
            break
        time.sleep(0.01)
    finished = not killed and proc.returncode == 0
    new = [n for n in TABLES if (out / n).read_bytes() != old[n][0]]
    print(f"{point}: killed={killed} new tables={new} temporaries left={len(_temps(out))}")
    if not killed:
        assert proc.returncode == 0, proc.stderr.read()
    for name in TABLES:
        path = out / name
        df = _read(path)  # every table reads, whatever the moment of the kill
        if path.read_bytes() == old[name][0]:
            continue
        # not the previous table: then it is the complete new one
        if name == "documents.parquet":
            assert len(df) == n_pages * COPIES and set(df["status"]) == {"ok"}
        if name.startswith("obligations"):
            assert len(df) == n_obligations * COPIES
    if finished:
        assert len(_read(out / "documents.parquet")) == n_pages * COPIES

    again = _start(big_corpus, out, cache)  # the next run completes
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    docs = _read(out / "documents.parquet")
    assert len(docs) == n_pages * COPIES and set(docs["status"]) == {"ok"}
    assert len(_read(out / "obligations.parquet")) == n_obligations * COPIES
    assert len(_read(out / "obligations.csv")) == n_obligations * COPIES

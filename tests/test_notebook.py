"""The analysts' notebook (notebooks/analysis.ipynb) runs on real tables, and on empty ones.

It is executed with nbclient in a ``python3`` kernel; jupyter_client starts a
kernelspec whose command is ``python`` with this interpreter (``sys.executable``),
so the notebook sees the same packages as the tests.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

from pipeline.gold import read_gold  # noqa: E402
from pipeline.schemas import SCHEMAS, to_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "analysis.ipynb"
DEV = ROOT / "tests" / "data" / "dev"
_WITHIN_DAYS = re.compile(r"within (\d+) days")
_MONTH = re.compile(r"(\d{1,2})月")
_BASE = dt.date(2020, 1, 1)


def _run(tables: Path, monkeypatch) -> str:
    """Execute the notebook on ``tables`` and return all its text output."""
    monkeypatch.setenv("OBLIGATIONS_TABLES", str(tables))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", out
            texts.append(out.get("text", ""))
            data = out.get("data", {})
            texts.append(data.get("text/plain", "") + data.get("text/html", ""))
    return "\n".join(texts)


def _write_tables(out: Path, rows: dict[str, list[dict]]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        pq.write_table(to_table(name, rows.get(name, [])), out / f"{name}.parquet")
    return out


def _tables_from_gold(out: Path) -> Path:
    """Tables whose obligations are the dev gold rows; deadlines dated from a fixed base day."""
    gold = read_gold(DEV)
    docs = [{"doc_id": d, "source": f"{d}.txt", "lang": "en" if d.startswith("en_") else "zh", "status": "ok"}
            for d in sorted({r["doc_id"] for r in gold})]
    docs.append({"doc_id": "broken", "source": "broken.txt", "status": "undecodable", "error": "E103 test"})
    obligations = []
    for i, r in enumerate(gold):
        days, month = _WITHIN_DAYS.search(r["deadline"]), _MONTH.search(r["deadline"])
        due = (_BASE + dt.timedelta(days=int(days[1])) if days
               else dt.date(_BASE.year, int(month[1]), 28) if month and 1 <= int(month[1]) <= 12 else None)
        kind = "relative" if days else "recurring" if month else "ongoing" if r["deadline"] else None
        obligations.append({**r, "obligation_id": f"o{i}", "actor_norm": r["actor"],
                            "deadline": r["deadline"] or None, "deadline_kind": kind,
                            "due_end": due, "confidence": 1.0, "method": "gold", "start": 0, "end": 0})
    return _write_tables(out, {"documents": docs, "obligations": obligations})


def test_notebook_on_tables_from_dev_gold(tmp_path, monkeypatch):
    tables = _tables_from_gold(tmp_path / "tables")
    n = pq.read_table(tables / "obligations.parquet").num_rows
    text = _run(tables, monkeypatch)
    assert f"{n} obligations" in text
    assert "undecodable" in text and "E103 test" in text
    # a lead -> cooperate pair of zh_gov2014_agri_big5 (由發展改革委會同中央農辦…)
    assert re.search(r"發展改革委\s+中央農辦", text)
    assert f"3 of {n} obligations have a dated deadline" in text
    assert "relative" in text and "recurring" in text


def test_notebook_on_empty_tables(tmp_path, monkeypatch):
    tables = _write_tables(tmp_path / "empty", {})
    text = _run(tables, monkeypatch)
    assert "0 documents, 0 provisions, 0 mentions, 0 obligations" in text
    assert "no lead → cooperate pairs" in text
    assert "no obligation has a dated deadline" in text


def test_notebook_on_missing_tables(tmp_path, monkeypatch):
    text = _run(tmp_path / "nothing", monkeypatch)
    assert "not found, using an empty table" in text


def test_notebook_on_extract_output_of_the_sample_corpus(tmp_path, monkeypatch):
    if importlib.util.find_spec("pipeline.cli") is None:
        pytest.skip("pipeline/cli.py (the extract command) is not written yet")
    out = tmp_path / "tables"
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "extract", str(ROOT / "corpus" / "raw"),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    for name in SCHEMAS:
        assert (out / f"{name}.parquet").exists(), name
    docs = pq.read_table(out / "documents.parquet").num_rows
    n = pq.read_table(out / "obligations.parquet").num_rows
    text = _run(out, monkeypatch)
    assert f"{docs} documents" in text and f"{n} obligations" in text
    assert docs == len(list((ROOT / "corpus" / "raw").iterdir()))

"""Reading and writing the tables as Parquet (and obligations as CSV).

Writes are atomic: a table is written to a temporary file beside its target
and moved into place, so an interrupted run leaves the previous table intact.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import UsageError
from .schemas import SCHEMAS, Document, Provision, document_row, to_table

CANDIDATES_FILE = "candidates.parquet"


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_table(name: str, rows: list[dict[str, Any]], out_dir: Path) -> Path:
    """Write one of the four tables as ``out_dir/<name>.parquet``.

    Args:
        name: ``documents``, ``provisions``, ``mentions`` or ``obligations``.
        rows: dicts keyed by column (extra keys are ignored).
        out_dir: the tables directory.
    """
    path = Path(out_dir) / f"{name}.parquet"
    table = to_table(name, rows)
    _atomic_write(path, lambda tmp: pq.write_table(table, tmp))
    if name == "obligations":
        csv_path = Path(out_dir) / "obligations.csv"
        _atomic_write(csv_path, lambda tmp: table.to_pandas().to_csv(tmp, index=False))
    return path


def write_candidates(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write candidate rows (obligations columns + offsets + features) as Parquet.

    Args:
        rows: the rows from ``Extractor.extract``.
        path: the file to write.
    """
    if rows:
        table = pa.Table.from_pylist(rows)
    else:
        table = to_table("obligations", [])
    _atomic_write(Path(path), lambda tmp: pq.write_table(table, tmp))
    return Path(path)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """All rows of a Parquet file as dicts (dictionary columns decoded to strings).

    Args:
        path: a Parquet file written by this package.
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(f"table not found: {p}", hint="run the stage that writes it first (see dvc.yaml)")
    return pq.read_table(p).to_pylist()


def read_documents(in_dir: Path) -> Iterator[Document]:
    """The documents (with their provisions) of a tables directory.

    Args:
        in_dir: a directory holding ``documents.parquet`` and ``provisions.parquet``.
    """
    in_dir = Path(in_dir)
    provs: dict[str, list[Provision]] = {}
    for r in read_rows(in_dir / "provisions.parquet"):
        provs.setdefault(r["doc_id"], []).append(Provision(**r))
    for r in read_rows(in_dir / "documents.parquet"):
        yield Document(**r, provisions=provs.get(r["doc_id"], []))


def document_tables(docs: Iterable[Document]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of the documents and provisions tables.

    Args:
        docs: ingested documents.
    """
    doc_rows, prov_rows = [], []
    for d in docs:
        doc_rows.append(document_row(d))
        prov_rows.extend(vars(p) for p in d.provisions)
    return doc_rows, prov_rows


def obligation_rows(candidates: Iterable[dict[str, Any]], threshold: float) -> list[dict[str, Any]]:
    """The obligations table: candidates at or above the confidence threshold.

    Args:
        candidates: scored candidate rows.
        threshold: the minimum confidence (``extract.threshold`` in params.yaml).
    """
    cols = SCHEMAS["obligations"].names
    return [{k: c.get(k) for k in cols} for c in candidates if c["confidence"] >= threshold]

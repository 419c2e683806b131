"""Reading and writing the tables as Parquet (and obligations as CSV).

Writes are atomic: a table is written to a temporary file beside its target
and moved into place, so an interrupted run leaves the previous table intact.
Large runs stream: :class:`ResultWriter` writes the four tables a row group
every K documents (pyarrow ``ParquetWriter``), so memory does not grow with the
corpus; the files still read with ``pd.read_parquet(path)``.  Rows travel from
worker processes as Arrow tables, a :class:`Batch` of documents at a time.  The Dask engine
writes each table as a folder of parts (``obligations.parquet/part-00000.parquet``
…), which ``pd.read_parquet`` reads the same way.
"""
from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import UsageError
from .schemas import SCHEMAS, Document, Provision, columns_table, document_row, to_table

TABLES = ("documents", "provisions", "mentions", "obligations")
DOCS_PER_GROUP = 256

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


def _csv_column(column: pa.ChunkedArray) -> list[Any]:
    """A column's values as the CSV writes them (None: an empty field)."""
    if pa.types.is_floating(column.type):
        # the shortest text that reads back as the same value of the column's own type
        # (a float32 0.85 prints as 0.85, not as the float64 0.8500000238418579);
        # to_pylist, because pyarrow's to_numpy imports pandas
        values = np.array([np.nan if v is None else v for v in column.to_pylist()],
                          dtype=np.float32 if column.type == pa.float32() else np.float64)
        text = values.astype(str).astype(object)
        text[np.isnan(values)] = None
        return text.tolist()
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column.to_pylist()


class _Lines(list):
    """What ``csv.writer`` writes into: one string per row (``writerow`` writes once a row)."""

    write = list.append


def csv_rows(table: pa.Table) -> list[str]:
    """The CSV lines of an obligations table's rows, one string per row (no header).

    The same bytes as pandas' ``to_csv(index=False)`` of the table, without
    pandas: offsets print as integers where some rows have none (pandas alone
    would print ``1174.0``), dates as ``2022-10-31``, a missing value as nothing,
    and a field is quoted only when it holds a comma, a quote or a line break.

    Args:
        table: obligations rows (an Arrow table of the obligations columns).
    """
    lines = _Lines()
    csv.writer(lines, lineterminator="\n").writerows(zip(*(_csv_column(c) for c in table.columns)))
    return lines


def write_csv(table: pa.Table, path: Path, header: bool = True) -> None:
    """Write the rows of an obligations table as CSV (see :func:`csv_rows`), or append them.

    Args:
        table: obligations rows (an Arrow table of the obligations schema).
        path: the CSV file.
        header: write a header line and replace the file; False: append.
    """
    _write_csv_rows(table.column_names, csv_rows(table), path, header)


def _write_csv_rows(names: list[str], rows: list[str], path: Path, header: bool) -> None:
    with open(path, "w" if header else "a", encoding="utf-8", newline="") as f:
        if header:
            csv.writer(f, lineterminator="\n").writerow(names)
        f.write("".join(rows))


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
        _atomic_write(csv_path, lambda tmp: write_csv(table, tmp))
    return path


def write_candidates(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write candidate rows (obligations columns + offsets + features) as Parquet.

    Args:
        rows: the rows from ``Extractor.extract``.
        path: the file to write.
    """
    table = candidate_table(rows)
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


def candidate_schema() -> pa.Schema:
    """The schema of candidate rows: the obligations columns (confidence as float64),
    ``lang``, the span offsets and one ``f_<name>`` float column per scorer feature."""
    from .confidence import FEATURES

    fields = [pa.field(f.name, pa.float64() if f.name == "confidence" else
                       (pa.string() if pa.types.is_dictionary(f.type) else f.type))
              for f in SCHEMAS["obligations"]]
    extra = [pa.field("lang", pa.string())]
    extra += [pa.field(col, pa.int64()) for col in
              ("duty_start", "duty_end", "actor_start", "actor_end", "deadline_start", "deadline_end")]
    extra += [pa.field("f_" + k, pa.float64()) for k in FEATURES]
    names = {f.name for f in fields}
    return pa.schema(fields + [f for f in extra if f.name not in names])


def candidate_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Candidate rows as an Arrow table of :func:`candidate_schema` (extra keys kept as
    inferred columns, so a new feature is not lost before the schema knows it).

    Args:
        rows: rows from ``Extractor.extract``.
    """
    schema = candidate_schema()
    extra = [k for k in (rows[0] if rows else {}) if k not in schema.names]
    if extra:
        inferred = pa.Table.from_pylist([{k: r.get(k) for k in extra} for r in rows]).schema
        schema = pa.schema(list(schema) + list(inferred))
    return pa.Table.from_pylist(rows, schema=schema)


class _StreamFile:
    """One Parquet file written in row groups to a temporary name, moved into place on commit."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.writer = pq.ParquetWriter(self.tmp, schema)
        self.schema = schema

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.writer.write_table(table.cast(self.schema) if table.schema != self.schema else table)

    def commit(self) -> None:
        self.writer.close()
        if self.path.is_dir():  # a partitioned table from a Dask run: replace it
            shutil.rmtree(self.path)
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the ``.<name>.<pid>.tmp`` files that a killed run left in ``folder``.

    Only files whose writing process is gone are removed, so a run writing into
    the same folder at this moment keeps its own.

    Args:
        folder: a tables directory.
    """
    removed = []
    for tmp in Path(folder).glob(".*.tmp"):
        pid = tmp.name.rsplit(".", 2)[-2]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)
            removed.append(tmp)
        except PermissionError:  # alive, and someone else's
            pass
    return removed


def _wire_schema(name: str) -> pa.Schema:
    """A table's schema with its dictionary columns as plain strings: how a :class:`Batch`
    holds them, so that batches concatenate without merging dictionaries."""
    return pa.schema([pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f
                      for f in SCHEMAS[name]])


_WIRE = {name: _wire_schema(name) for name in SCHEMAS}


class Batch:
    """The rows that a run of documents gives each table.

    This is what worker processes send back.  Rows are added document by
    document (:meth:`add`), then :meth:`finish` turns them into one Arrow table
    per table and, for obligations, the CSV lines, in the worker: a few Arrow
    buffers pickle and unpickle far faster than the per-document objects they
    come from, and the process that writes the tables, which shares the cores
    with the workers, is left with little more than writing them.  The
    obligations table keeps the candidates at or above ``threshold``; every
    scored candidate is kept only if asked for.

    Args:
        threshold: the minimum confidence for the obligations table.
        with_candidates: also keep every scored candidate row.
        tables: the tables to fill (default: all four).
    """

    def __init__(self, threshold: float = 0.0, with_candidates: bool = False,
                 tables: Iterable[str] = TABLES):
        self.threshold = threshold
        self.with_candidates = with_candidates
        self.tables = tuple(tables)
        self.columns: dict[str, dict[str, list[Any]]] | None = {
            name: {col: [] for col in SCHEMAS[name].names} for name in self.tables}
        # Per table, where each document's rows end: a batch splits at a document boundary.
        self.ends: dict[str, list[int]] = {
            name: [] for name in (*self.tables, *(("candidates",) if with_candidates else ()))}
        self.candidates: list[dict[str, Any]] = []
        self.statuses: list[tuple[str, str, str | None]] = []
        self.arrow: dict[str, pa.Table] = {}
        self.csv_rows: list[str] = []

    @property
    def n_docs(self) -> int:
        """How many documents the batch holds."""
        return len(self.statuses)

    @property
    def n_obligations(self) -> int:
        """How many rows the batch gives the obligations table (0 if it does not fill it)."""
        ends = self.ends.get("obligations")
        return ends[-1] if ends else 0

    @property
    def finished(self) -> bool:
        """Whether :meth:`finish` was called (rows can no longer be added)."""
        return self.columns is None

    def add(self, doc: Document, mentions: Iterable[Any], candidates: list[dict[str, Any]]) -> None:
        """Add one document's rows.

        Args:
            doc: the document (its provisions included).
            mentions: its mentions (``Mention`` records).
            candidates: its scored candidate rows.
        """
        if self.columns is None:
            raise ValueError("rows were added to a finished batch: add every document before finish()")
        records: dict[str, list[Any]] = {
            "documents": [doc], "provisions": doc.provisions, "mentions": list(mentions),
            "obligations": obligation_rows(candidates, self.threshold)}
        for name in self.tables:
            rows = records[name]
            columns = self.columns[name]
            if name == "obligations":
                for col, values in columns.items():
                    values.extend([r.get(col) for r in rows])
            else:
                for col, values in columns.items():
                    values.extend([getattr(r, col) for r in rows])
            self.ends[name].append(len(next(iter(columns.values()))))
        if self.with_candidates:
            self.candidates.extend(candidates)
            self.ends["candidates"].append(len(self.candidates))
        self.statuses.append((doc.source, doc.status, doc.error))

    def finish(self) -> "Batch":
        """Turn the added rows into Arrow tables (and the obligations' CSV lines); returns
        the batch.  Calling it again does nothing."""
        if self.columns is not None:
            self.arrow = {name: columns_table(name, self.columns[name], _WIRE[name]) for name in self.tables}
            if "obligations" in self.tables:
                self.csv_rows = csv_rows(self.arrow["obligations"])
            self.columns = None
        return self

    def extend(self, other: "Batch") -> None:
        """Append another finished batch's rows (same tables and settings) after these
        (finished too).

        Args:
            other: the batch to append.
        """
        self.finish()
        other.finish()
        for name in self.tables:
            base = self.arrow[name].num_rows
            self.arrow[name] = pa.concat_tables([self.arrow[name], other.arrow[name]])
            self.ends[name].extend(base + e for e in other.ends[name])
        if self.with_candidates:
            base = len(self.candidates)
            self.candidates.extend(other.candidates)
            self.ends["candidates"].extend(base + e for e in other.ends["candidates"])
        self.csv_rows.extend(other.csv_rows)
        self.statuses.extend(other.statuses)

    def split(self, n_docs: int) -> tuple["Batch", "Batch"]:
        """The first ``n_docs`` documents' rows and the rest, as two new finished batches.

        Args:
            n_docs: how many documents go into the first batch.
        """
        self.finish()
        head = Batch(self.threshold, self.with_candidates, self.tables).finish()
        tail = Batch(self.threshold, self.with_candidates, self.tables).finish()
        for name, ends in self.ends.items():
            cut = ends[n_docs - 1] if n_docs > 0 else 0
            head.ends[name] = ends[:n_docs]
            tail.ends[name] = [e - cut for e in ends[n_docs:]]
            if name == "candidates":
                head.candidates, tail.candidates = self.candidates[:cut], self.candidates[cut:]
                continue
            head.arrow[name], tail.arrow[name] = self.arrow[name].slice(0, cut), self.arrow[name].slice(cut)
            if name == "obligations":
                head.csv_rows, tail.csv_rows = self.csv_rows[:cut], self.csv_rows[cut:]
        head.statuses, tail.statuses = self.statuses[:n_docs], self.statuses[n_docs:]
        return head, tail

    def table(self, name: str) -> pa.Table:
        """One table's rows as an Arrow table of its schema, in one piece (the batch is
        finished first if it was not).

        Args:
            name: one of the batch's tables.
        """
        # Dictionary columns are encoded here, over the whole table, so that the dictionary
        # does not depend on how the rows were split into batches.
        return self.finish().arrow[name].combine_chunks().cast(SCHEMAS[name])


class ResultWriter:
    """Streams per-document results into the four tables (and the candidates file).

    Rows are buffered and written as a row group every ``docs_per_group``
    documents, however they arrive (one document or a :class:`Batch` at a
    time); nothing replaces the previous tables until :meth:`close`.  Use as a
    context manager: an exception discards the partial files.

    Args:
        out_dir: the tables directory.
        threshold: the minimum confidence for the obligations table.
        candidates: also write every scored candidate to this Parquet file.
        docs_per_group: documents per row group (K).
        tables: the tables to write (default: all four).
    """

    def __init__(self, out_dir: Path, threshold: float = 0.0, candidates: Path | None = None,
                 docs_per_group: int = DOCS_PER_GROUP, tables: Iterable[str] = TABLES):
        self.out = Path(out_dir)
        remove_stale_temporaries(self.out)
        self.threshold = threshold
        self.docs_per_group = max(1, docs_per_group)
        self.tables = tuple(tables)
        self.files = {name: _StreamFile(self.out / f"{name}.parquet", SCHEMAS[name]) for name in self.tables}
        self.cand_path = Path(candidates) if candidates else None
        self.cand_file: _StreamFile | None = None
        self.csv_tmp = self.out / f".obligations.csv.{os.getpid()}.tmp"
        self.csv_header = "obligations" in self.tables
        self.csv_done = not self.csv_header
        self.buffer = self.new_batch()
        self.n_docs = 0
        self.n_obligations = 0
        self.statuses: list[tuple[str, str, str | None]] = []

    def new_batch(self) -> Batch:
        """An empty :class:`Batch` with this writer's threshold, tables and candidates setting."""
        return Batch(self.threshold, self.cand_path is not None, self.tables)

    def add(self, doc: Document, mentions: Iterable[Any], candidates: list[dict[str, Any]]) -> None:
        """Queue one document's rows; writes a row group every K documents.

        Args:
            doc: the document.
            mentions: its mentions (``Mention`` records).
            candidates: its scored candidate rows.
        """
        batch = self.new_batch()
        batch.add(doc, mentions, candidates)
        self.add_batch(batch)

    def add_batch(self, batch: Batch) -> None:
        """Queue a batch's rows (made by :meth:`new_batch`'s settings); writes a row group
        every K documents.

        Args:
            batch: the rows of a run of documents, in input order.
        """
        if (batch.tables, batch.with_candidates, batch.threshold) != (
                self.tables, self.cand_path is not None, self.threshold):
            raise ValueError("the batch was made for other tables, candidates or threshold "
                             "than this writer's: make it with the writer's settings (new_batch)")
        batch.finish()
        self.n_docs += batch.n_docs
        self.n_obligations += batch.n_obligations
        self.statuses.extend(batch.statuses)
        while self.buffer.n_docs + batch.n_docs >= self.docs_per_group:
            head, batch = batch.split(self.docs_per_group - self.buffer.n_docs)
            self.buffer.extend(head)
            self.flush()
        self.buffer.extend(batch)

    def flush(self) -> None:
        """Write the buffered rows as one row group of each table."""
        buffer, self.buffer = self.buffer, self.new_batch()
        if not buffer.n_docs:
            return
        for name in self.tables:
            table = buffer.table(name)
            if not table.num_rows:
                continue
            self.files[name].write(table)
            if name == "obligations":
                _write_csv_rows(table.column_names, buffer.csv_rows, self.csv_tmp, self.csv_header)
                self.csv_header = False
        if buffer.candidates and self.cand_path is not None:
            table = candidate_table(buffer.candidates)
            if self.cand_file is None:
                self.cand_file = _StreamFile(self.cand_path, table.schema)
            self.cand_file.write(table)

    def close(self) -> None:
        """Flush and move every table into place."""
        self.flush()
        if self.csv_header:  # no obligation at all: a CSV with the header only
            write_csv(to_table("obligations", []), self.csv_tmp)
        for f in self.files.values():
            f.commit()
        if not self.csv_done:
            os.replace(self.csv_tmp, self.out / "obligations.csv")
        if self.cand_path is not None:
            if self.cand_file is None:
                self.cand_file = _StreamFile(self.cand_path, candidate_schema())
            self.cand_file.commit()

    def abort(self) -> None:
        """Discard the partial files; the previous tables stay as they were."""
        for f in [*self.files.values(), self.cand_file]:
            if f is not None:
                f.abort()
        self.csv_tmp.unlink(missing_ok=True)

    def __enter__(self) -> "ResultWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_part(table: pa.Table, table_dir: Path, part: int) -> Path:
    """Write one part of a partitioned table: ``table_dir/part-<part>.parquet``.

    Args:
        table: the part's rows.
        table_dir: the table's folder (e.g. ``out/obligations.parquet``).
        part: the part number; parts sort, and so read back, in input order.
    """
    path = Path(table_dir) / f"part-{part:05d}.parquet"
    _atomic_write(path, lambda tmp: pq.write_table(table, tmp))
    return path

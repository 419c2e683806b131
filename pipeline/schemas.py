"""The one place that defines the four output tables.

Each table has a record type (what the stages pass around) and an Arrow
schema (what lands in Parquet).  Column names are the contract with analysts
(see README, "Tables"); the order of fields here is the column order.
Offsets (``start``, ``end``) always index ``documents.text``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pyarrow as pa

LANGS = ["zh", "en"]
SCRIPTS = ["hans", "hant", "latn"]
STATUSES = ["ok", "empty", "error", "binary", "undecodable", "unsupported", "too_large"]
MENTION_KINDS = ["actor", "deadline", "role_cue"]
ROLES = ["lead", "cooperate", "responsible"]
DEADLINE_KINDS = ["date", "period", "recurring", "ongoing", "relative"]


@dataclass
class Provision:
    """One unit of the document's own hierarchy (a numbered item or a paragraph)."""

    doc_id: str
    provision_id: str
    parent_id: str | None
    level: int
    label: str
    text: str
    start: int
    end: int


@dataclass
class Document:
    """A page after ingest: cleaned text, metadata and provisions."""

    doc_id: str
    source: str
    lang: str | None = None
    script: str | None = None
    title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    issued: dt.date | None = None
    n_chars: int = 0
    status: str = "ok"
    error: str | None = None
    sha256: str = ""
    text: str = ""
    provisions: list[Provision] = field(default_factory=list)


@dataclass
class Mention:
    doc_id: str
    mention_id: str
    provision_id: str | None
    kind: str
    text: str
    start: int
    end: int
    normalized: str | None = None


@dataclass
class Obligation:
    obligation_id: str
    doc_id: str
    provision_id: str | None
    actor: str
    actor_norm: str
    role: str
    duty: str
    deadline: str | None
    deadline_kind: str | None
    due_start: dt.date | None
    due_end: dt.date | None
    modality: str | None
    confidence: float
    method: str
    start: int
    end: int


@dataclass
class Candidate:
    """A candidate obligation, as an extractor proposes it, before scoring.

    All offsets index ``documents.text``.  ``scope_start``/``scope_end`` is the
    clause or task the assignment governs (used for deadline attachment and
    features); ``cue`` is the role word as written (牵头, 负责, shall, ...).
    """

    doc_id: str
    provision_id: str | None
    lang: str
    actor: str
    actor_start: int
    actor_end: int
    role: str
    duty: str
    duty_start: int
    duty_end: int
    method: str
    cue: str | None = None
    cue_start: int | None = None
    cue_end: int | None = None
    deadline: str | None = None
    deadline_start: int | None = None
    deadline_end: int | None = None
    scope_start: int | None = None
    scope_end: int | None = None


def _cat(values: list[str]) -> pa.DataType:
    del values  # the categories are documented above; Arrow dictionaries are built from the data
    return pa.dictionary(pa.int8(), pa.string())


DOCUMENTS = pa.schema([
    ("doc_id", pa.string()),
    ("source", pa.string()),
    ("lang", _cat(LANGS)),
    ("script", _cat(SCRIPTS)),
    ("title", pa.string()),
    ("issuer", pa.string()),
    ("doc_number", pa.string()),
    ("issued", pa.date32()),
    ("n_chars", pa.int64()),
    ("status", _cat(STATUSES)),
    ("error", pa.string()),
    ("sha256", pa.string()),
    ("text", pa.string()),
])

PROVISIONS = pa.schema([
    ("doc_id", pa.string()),
    ("provision_id", pa.string()),
    ("parent_id", pa.string()),
    ("level", pa.int16()),
    ("label", pa.string()),
    ("text", pa.string()),
    ("start", pa.int64()),
    ("end", pa.int64()),
])

MENTIONS = pa.schema([
    ("doc_id", pa.string()),
    ("mention_id", pa.string()),
    ("provision_id", pa.string()),
    ("kind", _cat(MENTION_KINDS)),
    ("text", pa.string()),
    ("start", pa.int64()),
    ("end", pa.int64()),
    ("normalized", pa.string()),
])

OBLIGATIONS = pa.schema([
    ("obligation_id", pa.string()),
    ("doc_id", pa.string()),
    ("provision_id", pa.string()),
    ("actor", pa.string()),
    ("actor_norm", pa.string()),
    ("role", _cat(ROLES)),
    ("duty", pa.string()),
    ("deadline", pa.string()),
    # Plain string, not a dictionary: it is null where there is no deadline, and pandas
    # cannot fillna("") on a categorical column (tools such as the gold scorer do that).
    ("deadline_kind", pa.string()),
    ("due_start", pa.date32()),
    ("due_end", pa.date32()),
    ("modality", pa.string()),
    ("confidence", pa.float32()),
    ("method", _cat([])),
    ("start", pa.int64()),
    ("end", pa.int64()),
    # The evidence span by span (the annotation round trip needs each one).
    ("actor_start", pa.int64()),
    ("actor_end", pa.int64()),
    ("duty_start", pa.int64()),
    ("duty_end", pa.int64()),
    ("deadline_start", pa.int64()),
    ("deadline_end", pa.int64()),
])

SCHEMAS: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "provisions": PROVISIONS,
    "mentions": MENTIONS,
    "obligations": OBLIGATIONS,
}


def document_row(doc: Document) -> dict[str, Any]:
    """A documents-table row (everything but the provisions)."""
    return {f.name: getattr(doc, f.name) for f in fields(doc) if f.name != "provisions"}


def to_table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows (dicts keyed by column) as an Arrow table of the named schema."""
    return columns_table(name, {col: [r.get(col) for r in rows] for col in SCHEMAS[name].names})


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_NUMPY_TYPES = {pa.int64(): np.int64, pa.int32(): np.int32, pa.int16(): np.int16, pa.int8(): np.int8,
                pa.float64(): np.float64, pa.float32(): np.float32}


def column_array(values: list[Any], type_: pa.DataType) -> pa.Array:
    """A list of Python values (None for null) as an Arrow array of ``type_``.

    What ``pa.array(values, type=type_)`` gives, built from buffers: ``pa.array``
    imports pandas the first time it runs (0.3 s, for a check that does not
    apply to lists), and nothing else in ``extract`` needs pandas.

    Args:
        values: strings, ints, floats or dates, by the type; None where null.
        type_: string, date32, a signed integer or float type, or a dictionary of strings.
    """
    if pa.types.is_dictionary(type_):
        return column_array(values, pa.string()).dictionary_encode().cast(type_)
    n = len(values)
    missing = np.fromiter((v is None for v in values), dtype=bool, count=n)
    nulls = int(missing.sum())
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little")) if nulls else None
    if type_ == pa.string():
        encoded = [b"" if v is None else v.encode("utf-8") for v in values]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=n), out=offsets[1:])
        if offsets[-1] >= 2**31:  # more than a string column's 32-bit offsets can address
            return pa.array(values, type=type_)
        return pa.Array.from_buffers(type_, n, [validity, pa.py_buffer(offsets.astype(np.int32)),
                                                pa.py_buffer(b"".join(encoded))], null_count=nulls)
    if type_ == pa.date32():
        data = np.fromiter((0 if v is None else v.toordinal() - _EPOCH_ORDINAL for v in values),
                           dtype=np.int32, count=n)
    elif type_ in _NUMPY_TYPES:
        data = np.array([0 if v is None else v for v in values], dtype=_NUMPY_TYPES[type_])
    else:
        return pa.array(values, type=type_)
    return pa.Array.from_buffers(type_, n, [validity, pa.py_buffer(data)], null_count=nulls)


def columns_table(name: str, columns: dict[str, list[Any]], schema: pa.Schema | None = None) -> pa.Table:
    """Columns (one list of values per column of the named schema) as an Arrow table of that
    schema, or of ``schema`` (the same columns, e.g. with dictionaries as plain strings)."""
    schema = schema or SCHEMAS[name]
    return pa.Table.from_arrays([column_array(columns[f.name], f.type) for f in schema], schema=schema)

"""schemas: columns built from buffers equal what pa.array builds."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pyarrow as pa
import pytest

from pipeline.schemas import SCHEMAS, column_array, to_table

VALUES = {
    pa.string(): ["国务院办公厅", None, "", "a,b", "x" * 1000, "\u2028", "𠀀"],
    pa.int64(): [0, None, -1, 2**62, 1174],
    pa.int16(): [1, 2, None, 32767],
    pa.float32(): [0.85, None, 1 / 3, 0.0, 1e-9],
    pa.date32(): [dt.date(2022, 10, 31), None, dt.date(1969, 12, 31), dt.date(1, 1, 1), dt.date(9999, 12, 31)],
    pa.dictionary(pa.int8(), pa.string()): ["lead", None, "cooperate", "lead", ""],
}


def _reference(values, type_):
    if pa.types.is_dictionary(type_):
        return pa.array(values, type=pa.string()).dictionary_encode().cast(type_)
    return pa.array(values, type=type_)


@pytest.mark.parametrize("type_", list(VALUES), ids=str)
@pytest.mark.parametrize("pick", ["all", "no_nulls", "only_nulls", "empty", "one"])
def test_column_array_equals_pa_array(type_, pick):
    values = VALUES[type_]
    values = {"all": values, "no_nulls": [v for v in values if v is not None],
              "only_nulls": [None] * 9, "empty": [], "one": values[:1]}[pick]
    got = column_array(values, type_)
    got.validate(full=True)
    assert got.type == type_
    assert got.equals(_reference(values, type_))
    assert got.null_count == sum(v is None for v in values)
    assert got.to_pylist() == [pytest.approx(v) if isinstance(v, float) else v for v in values]


def test_every_schema_column_type_is_built_from_buffers():
    # a new column type must be added to column_array (or it falls back to pa.array,
    # which imports pandas: the test below would then fail)
    for schema in SCHEMAS.values():
        for field in schema:
            assert any(field.type == t for t in VALUES), (field.name, field.type)


def test_tables_are_built_without_importing_pandas():
    code = ("import sys, datetime as dt\n"
            "from pipeline.schemas import to_table\n"
            "to_table('obligations', [{'obligation_id': 'o', 'confidence': 0.5, 'start': 1, "
            "'role': 'lead', 'due_start': dt.date(2022, 1, 1)}])\n"
            "to_table('documents', [{'doc_id': 'd', 'lang': 'zh', 'n_chars': 3}])\n"
            "assert 'pandas' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_to_table_rows_read_back():
    rows = [{"doc_id": "d", "provision_id": "p1", "parent_id": None, "level": 1, "label": "一、",
             "text": "总体要求", "start": 0, "end": 4}]
    assert to_table("provisions", rows).to_pylist() == rows

"""Reading and validating gold files (pipeline/gold.py) on the real dev gold."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import AnnotationError
from pipeline.gold import read_gold, read_gold_documents, read_gold_file, validate_record
from pipeline.schemas import ROLES

DEV = Path(__file__).parent / "data" / "dev"


def _good() -> dict:
    first = (DEV / "seed_ndrc2021.gold.jsonl").read_text(encoding="utf-8").splitlines()[0]
    return json.loads(first)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reads_the_dev_gold():
    rows = read_gold(DEV)
    files = sorted(DEV.glob("*.gold.jsonl"))
    n_lines = sum(1 for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
    assert len(rows) == n_lines > 100
    assert {r["doc_id"] for r in rows} == {f.name[: -len(".gold.jsonl")] for f in files}
    assert all(r["role"] in ROLES and r["actor"].strip() and r["duty"].strip() for r in rows)
    assert all(isinstance(r["deadline"], str) for r in rows)
    # traditional script is kept as written
    assert any("發展改革委" == r["actor"] for r in rows)


def test_single_file_and_order():
    f = DEV / "seed_most_pilot.gold.jsonl"
    rows = read_gold(f)
    expected = [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert rows == expected


def test_empty_file_is_a_document_without_obligations(tmp_path):
    (tmp_path / "nothing.gold.jsonl").write_text("\n", encoding="utf-8")
    _write(tmp_path / "one.gold.jsonl", [json.dumps({**_good(), "doc_id": "one"}, ensure_ascii=False)])
    docs = read_gold_documents(tmp_path)
    assert docs == {"nothing": [], "one": [{**_good(), "doc_id": "one"}]}
    assert len(read_gold(tmp_path)) == 1


def test_nested_directories_give_path_doc_ids(tmp_path):
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "page.gold.jsonl", [json.dumps({**_good(), "doc_id": "sub/page"})])
    assert list(read_gold_documents(tmp_path)) == ["sub/page"]


def test_null_deadline_becomes_empty():
    row = validate_record({**_good(), "deadline": None}, "x", 1)
    assert row["deadline"] == ""


def test_optional_fields_are_kept():
    row = validate_record({**_good(), "start": 3, "end": 10, "actor_start": 3, "actor_end": 5,
                           "annotator": "lw", "annotated_at": "2024-05-01"}, "x", 1)
    assert row["annotator"] == "lw" and row["end"] == 10


@pytest.mark.parametrize("line, message", [
    ('{"doc_id": "bad", "actor": "x"', "invalid JSON"),
    ("[1, 2]", "JSON object"),
    (json.dumps({"doc_id": "bad", "actor": "财政部", "role": "lead", "duty": "做"}), "missing field(s) deadline"),
    (json.dumps({"doc_id": "bad", "actor": "财政部", "role": "leader", "duty": "做", "deadline": ""}), "unknown role 'leader'"),
    (json.dumps({"doc_id": "bad", "actor": "  ", "role": "lead", "duty": "做", "deadline": ""}), "empty actor"),
    (json.dumps({"doc_id": "bad", "actor": "财政部", "role": "lead", "duty": "", "deadline": ""}), "empty duty"),
    (json.dumps({"doc_id": "bad", "actor": "财政部", "role": "lead", "duty": 3, "deadline": ""}), "'duty' must be a string"),
    (json.dumps({"doc_id": "bad", "actor": "财政部", "role": "lead", "duty": "做", "deadline": 5}), "'deadline' must be a string"),
    (json.dumps({"doc_id": "bad", "actor": "财政部", "role": "lead", "duty": "做", "deadline": "", "start": -1}), "non-negative"),
    (json.dumps({"doc_id": "bad", "actor": "财政部", "role": "lead", "duty": "做", "deadline": "", "start": 9, "end": 2}), "after end"),
    (json.dumps({"doc_id": "other", "actor": "财政部", "role": "lead", "duty": "做", "deadline": ""}), "does not match the file name"),
])
def test_errors_name_file_line_and_problem(tmp_path, line, message):
    good = json.dumps({**_good(), "doc_id": "bad"}, ensure_ascii=False)
    f = _write(tmp_path / "bad.gold.jsonl", [good, "", line])
    with pytest.raises(AnnotationError) as info:
        read_gold(tmp_path)
    err = info.value
    assert err.code == "E300"
    assert err.line == 3 and err.path == str(f)
    assert message in str(err)
    assert str(err).startswith(f"[E300] {f}:3: ")


def test_not_utf8(tmp_path):
    f = tmp_path / "gbk.gold.jsonl"
    f.write_bytes(json.dumps({**_good(), "doc_id": "gbk"}, ensure_ascii=False).encode("gb18030"))
    with pytest.raises(AnnotationError, match="not UTF-8"):
        read_gold_file(f)


def test_missing_path(tmp_path):
    with pytest.raises(AnnotationError, match="gold path not found"):
        read_gold(tmp_path / "nope")

"""doccano JSONL both ways (pipeline/doccano.py), on real pages and their gold."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.annotate import AnnotationFileError, DocIdError, LabelError, RelationError, SpanError
from pipeline.doccano import export_doccano, import_doccano
from pipeline.gold import read_gold_documents, read_gold_file

from test_annotate import DEV, PAGES, build_tables, folder_hash


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    return build_tables(tmp_path_factory.mktemp("tables"))


@pytest.fixture(scope="module")
def jsonl(tables, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("doccano") / "export.jsonl"
    assert export_doccano(tables, out) == len(PAGES)
    return out


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write(records: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_export_format(jsonl):
    recs = _records(jsonl)
    assert [r["doc_id"] for r in recs] == list(PAGES)
    for r in recs:
        ids = {e["id"] for e in r["entities"]}
        assert len(ids) == len(r["entities"]) and all(isinstance(i, int) for i in ids)
        for e in r["entities"]:
            assert e["label"] in ("ACTOR", "DUTY", "DEADLINE")
            assert 0 <= e["start_offset"] < e["end_offset"] <= len(r["text"])
        for rel in r["relations"]:
            assert rel["from_id"] in ids and rel["to_id"] in ids
            assert rel["type"] in ("lead", "cooperate", "responsible", "due")
    en = recs[PAGES.index("en_eo13769_sec5_7")]
    ents = {e["id"]: e for e in en["entities"]}
    deadlines = {en["text"][ents[r["to_id"]]["start_offset"]:ents[r["to_id"]]["end_offset"]]
                 for r in en["relations"] if r["type"] == "due"}
    assert deadlines == {"within 100 days of the date of this order", "within 200 days of the date of this order"}


def test_round_trip_reproduces_the_gold(tables, jsonl, tmp_path):
    gold = tmp_path / "gold"
    report = import_doccano(jsonl, gold, documents=tables / "documents.parquet")
    assert sorted(report.written) == sorted(PAGES)
    got = read_gold_documents(gold)
    import pyarrow.parquet as pq
    predicted = pq.read_table(tables / "obligations.parquet").to_pylist()
    for page in PAGES:
        want = [{**r, "deadline": r["deadline"] or ""} for r in predicted if r["doc_id"] == page]
        assert len(want) >= len(read_gold_file(DEV / f"{page}.gold.jsonl")) - 1  # the real gold, located
        key = lambda r: (r["actor"], r["role"], r["duty"], r["deadline"])  # noqa: E731
        assert sorted(map(key, got[page])) == sorted(map(key, want))
        assert {r["source"] for r in got[page]} == {"doccano"}
    h = folder_hash(gold)
    again = import_doccano(jsonl, gold)
    assert folder_hash(gold) == h and sorted(again.unchanged) == sorted(PAGES)


def test_correction_comes_back(jsonl, tmp_path):
    recs = _records(jsonl)
    rec = recs[0]
    role = next(r for r in rec["relations"] if r["type"] != "due")
    rec["relations"].remove(role)
    actor = next(e for e in rec["entities"] if e["id"] == role["from_id"])
    rec["relations"].append({"id": 999, "from_id": actor["id"], "to_id": role["to_id"], "type": "responsible"})
    gold = tmp_path / "gold"
    import_doccano(_write(recs, tmp_path / "fixed.jsonl"), gold)
    rows = read_gold_file(gold / f"{rec['doc_id']}.gold.jsonl")
    name = rec["text"][actor["start_offset"]:actor["end_offset"]]
    assert any(r["actor"] == name and r["role"] == "responsible" for r in rows)


@pytest.mark.parametrize("mutate, error, words", [
    (lambda r: r["entities"][0].update(label="TASK"), LabelError, "unknown label"),
    (lambda r: r["entities"][0].update(end_offset=10**6), SpanError, "outside the text"),
    (lambda r: r["relations"][0].update(to_id=424242), RelationError, "no span with id '424242'"),
    (lambda r: r.update(doc_id=None), DocIdError, "doc_id"),
], ids=["label", "span", "dangling", "doc_id"])
def test_invalid_lines_are_refused(jsonl, tmp_path, mutate, error, words):
    recs = _records(jsonl)
    mutate(recs[1])
    gold = tmp_path / "gold"
    gold.mkdir()
    h = folder_hash(gold)
    path = _write(recs, tmp_path / "bad.jsonl")
    with pytest.raises(error) as err:
        import_doccano(path, gold)
    assert words in str(err.value) and f"{path}:2" in str(err.value)
    assert folder_hash(gold) == h


def test_truncated_line(jsonl, tmp_path):
    text = jsonl.read_text(encoding="utf-8")
    path = tmp_path / "cut.jsonl"
    path.write_text(text[: len(text) - 40], encoding="utf-8")
    with pytest.raises(AnnotationFileError, match=r"cut\.jsonl:3: invalid JSON"):
        import_doccano(path, tmp_path / "gold")
    assert not (tmp_path / "gold").exists()

"""The gold as a spaCy DocBin (pipeline/docbin.py), on real pages and their gold."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import spacy
from spacy.tokens import DocBin

from pipeline.annotate import export_tasks, import_annotations
from pipeline.docbin import export_docbin

from test_annotate import DEV, PAGES, RARE, as_export, build_tables, dump


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    return build_tables(tmp_path_factory.mktemp("tables"))


def _read(path: Path) -> dict[str, spacy.tokens.Doc]:
    docs = DocBin().from_disk(path).get_docs(spacy.blank("zh").vocab)
    return {d.user_data["doc_id"]: d for d in docs}


def _texts(tables: Path) -> dict[str, str]:
    return {r["doc_id"]: r["text"] for r in pq.read_table(tables / "documents.parquet").to_pylist()}


def test_gold_without_offsets_reads_back_with_spans(tables, tmp_path):
    gold = tmp_path / "gold"
    gold.mkdir()
    for page in PAGES:
        (gold / f"{page}.gold.jsonl").write_bytes((DEV / f"{page}.gold.jsonl").read_bytes())
    report = export_docbin(gold, tables / "documents.parquet", tmp_path / "gold.spacy")
    assert report.docs == len(PAGES)
    docs = _read(tmp_path / "gold.spacy")
    texts = _texts(tables)
    big5 = docs["zh_gov2014_agri_big5"]
    assert big5.text == texts["zh_gov2014_agri_big5"]
    assert all(len(t.text) == 1 for t in big5 if "\u4e00" <= t.text[0] <= "\u9fff")  # one per character
    labelled = {(s.label_, s.text) for s in big5.spans["sc"]}
    assert ("ACTOR", "發展改革委") in labelled and ("ACTOR", "糧食局") in labelled
    gold_rows = [json.loads(line) for line in (DEV / "zh_gov2014_agri_big5.gold.jsonl").open(encoding="utf-8")]
    assert {("DUTY", r["duty"]) for r in gold_rows} <= labelled
    # the English page is tokenized in words; its deadlines are spans too
    en = docs["en_eo13769_sec5_7"]
    assert ("DEADLINE", "within 100 days of the date of this order") in {(s.label_, s.text) for s in en.spans["sc"]}
    assert len(en) < len(en.text) / 3
    assert all(o["role"] in ("lead", "cooperate", "responsible") for o in big5.user_data["obligations"])


def test_imported_offsets_are_used_and_non_bmp_does_not_shift(tmp_path):
    tables = build_tables(tmp_path / "tables", ("zh_lishan2023_division",), prefix=f"{RARE}\n")
    export_tasks(tables, tmp_path / "tasks.json")
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    import_annotations(dump(as_export(tasks), tmp_path / "export.json"), tmp_path / "gold")
    export_docbin(tmp_path / "gold", tables / "documents.parquet", tmp_path / "out.spacy")
    doc = _read(tmp_path / "out.spacy")["zh_lishan2023_division"]
    want = {(r["value"]["labels"][0], r["value"]["start"], r["value"]["end"])
            for r in tasks[0]["predictions"][0]["result"] if r["type"] == "labels"}
    assert {(s.label_, s.start_char, s.end_char) for s in doc.spans["sc"]} == want
    assert doc.text.startswith(RARE)


def test_jieba_segmenter_expands_to_word_edges(tables, tmp_path):
    gold = tmp_path / "gold"
    gold.mkdir()
    page = "zh_gov2014_agri_big5"
    (gold / f"{page}.gold.jsonl").write_bytes((DEV / f"{page}.gold.jsonl").read_bytes())
    report = export_docbin(gold, tables / "documents.parquet", tmp_path / "j.spacy", segmenter="jieba")
    doc = _read(tmp_path / "j.spacy")[page]
    assert len(doc) < len(doc.text)  # words, not characters
    for s in doc.spans["sc"]:
        assert s.start_char == s[0].idx and s.end_char == s[-1].idx + len(s[-1].text)
    assert report.spans == len(doc.spans["sc"])


def test_missing_document_is_reported(tables, tmp_path):
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "seed_ndrc2021.gold.jsonl").write_bytes((DEV / "seed_ndrc2021.gold.jsonl").read_bytes())
    report = export_docbin(gold, tables / "documents.parquet", tmp_path / "x.spacy")
    assert report.docs == 0 and report.missing_docs == ["seed_ndrc2021"]
    assert "seed_ndrc2021" in report.summary()

"""Label Studio export and import (pipeline/annotate.py) on real pages and their gold.

The tables are built from real dev pages (ingested by the pipeline) and their
hand-checked gold, so the tests do not depend on the extractor's current
output; the other test modules of this slice import ``build_tables`` from here.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from pipeline.annotate import (
    LABELING_CONFIG, AnnotationFileError, DocIdError, LabelError, RelationError, SpanError, TextMismatch,
    export_tasks, import_annotations, index_to_utf16, locate, utf16_to_index, write_labeling_config,
)
from pipeline.errors import AnnotationError
from pipeline.gold import read_gold_documents, read_gold_file
from pipeline.settings import load_params
from pipeline.tables import write_table

DEV = Path(__file__).parent / "data" / "dev"
REPO = Path(__file__).resolve().parents[1]
# Two Chinese pages (one traditional, one with actors sharing duties and deadlines) and an English one.
PAGES = ("zh_gov2014_agri_big5", "zh_lishan2023_division", "en_eo13769_sec5_7")
RARE = "𠀋"  # U+2000B, outside the BMP: two UTF-16 code units, one Python character


def build_tables(out: Path, pages: tuple[str, ...] = PAGES, *, prefix: str = "") -> Path:
    """documents.parquet (the pipeline's cleaned text) and obligations.parquet (the gold, located).

    ``prefix`` is put before each cleaned text (to test characters outside the BMP).
    """
    from pipeline.ingest import ingest_file

    params = load_params()
    doc_rows, obl_rows = [], []
    for n, page in enumerate(pages):
        doc = ingest_file(DEV / f"{page}.txt", page, params)
        assert doc.status == "ok", (page, doc.error)
        doc.text = prefix + doc.text
        doc.n_chars = len(doc.text)
        doc_rows.append({k: v for k, v in vars(doc).items() if k != "provisions"})
        for i, g in enumerate(read_gold_file(DEV / f"{page}.gold.jsonl")):
            duty = doc.text.find(g["duty"])
            if duty < 0:
                continue
            actor = locate(doc.text, g["actor"], near=duty)
            ends = [duty, duty + len(g["duty"]), actor, actor + len(g["actor"])]
            obl_rows.append({
                "obligation_id": f"{page}#o{i + 1}", "doc_id": page, "actor": g["actor"],
                "actor_norm": g["actor"], "role": g["role"], "duty": g["duty"],
                "deadline": g["deadline"] or None, "confidence": 0.3 + 0.6 * ((n + i) % 2),
                "method": "gold", "start": min(ends), "end": max(ends)})
    write_table("documents", doc_rows, out)
    write_table("obligations", obl_rows, out)
    return out


def folder_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(p.relative_to(folder).as_posix().encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def as_export(tasks: list[dict], *, annotator: int = 1, when: str = "2025-03-01T10:00:00.000000Z") -> list[dict]:
    """What Label Studio exports after an annotator accepted every prediction unchanged."""
    out = []
    for i, t in enumerate(copy.deepcopy(tasks), start=1):
        result = copy.deepcopy(t["predictions"][0]["result"])
        t.update(id=i, annotations=[{"id": 100 + i, "completed_by": annotator, "result": result,
                                     "was_cancelled": False, "ground_truth": False,
                                     "created_at": when, "updated_at": when}])
        out.append(t)
    return out


def dump(obj, path: Path) -> Path:
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    return build_tables(tmp_path_factory.mktemp("tables"))


@pytest.fixture(scope="module")
def tasks(tables, tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("tasks") / "tasks.json"
    assert export_tasks(tables, out) == len(PAGES)
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture
def gold(tmp_path) -> Path:
    """A gold folder holding a copy of a real gold file that the export does not touch."""
    g = tmp_path / "gold"
    g.mkdir()
    other = "seed_ndrc2021.gold.jsonl"
    (g / other).write_bytes((DEV / other).read_bytes())
    return g


def _rows(key_rows):
    return sorted((r["actor"], r["role"], r["duty"], r["deadline"]) for r in key_rows)


def test_tasks_have_spans_and_relations(tasks):
    lishan = next(t for t in tasks if t["data"]["doc_id"] == "zh_lishan2023_division")
    text = lishan["data"]["text"]
    result = lishan["predictions"][0]["result"]
    spans = {r["id"]: r for r in result if r["type"] == "labels"}
    rels = [r for r in result if r["type"] == "relation"]
    assert len(spans) == len({r["id"] for r in result if r["type"] == "labels"})  # unique ids
    for s in spans.values():
        v = s["value"]
        assert s["from_name"] == "label" and s["to_name"] == "text"
        assert text[v["start"]:v["end"]] == v["text"] and v["labels"][0] in ("ACTOR", "DUTY", "DEADLINE")
    gold = read_gold_file(DEV / "zh_lishan2023_division.gold.jsonl")
    roles = [r for r in rels if r["labels"] != ["due"]]
    assert len(roles) == len(gold)  # one ACTOR->DUTY relation per obligation row
    # a duty shared by several actors is one span
    duties = [s for s in spans.values() if s["value"]["labels"] == ["DUTY"]]
    assert len(duties) == len({g["duty"] for g in gold}) < len(gold)
    for r in rels:
        a, b = spans[r["from_id"]], spans[r["to_id"]]
        want = ("DUTY", "DEADLINE") if r["labels"] == ["due"] else ("ACTOR", "DUTY")
        assert (a["value"]["labels"][0], b["value"]["labels"][0]) == want
        assert r["direction"] == "right"
    en = next(t for t in tasks if t["data"]["doc_id"] == "en_eo13769_sec5_7")
    en_spans = {r["id"]: r["value"] for r in en["predictions"][0]["result"] if r["type"] == "labels"}
    due = [r for r in en["predictions"][0]["result"] if r["type"] == "relation" and r["labels"] == ["due"]]
    assert {en_spans[r["to_id"]]["text"] for r in due} == {
        "within 100 days of the date of this order", "within 200 days of the date of this order"}
    assert 0 < lishan["predictions"][0]["score"] <= 1


def test_unmodified_export_reproduces_the_rows(tables, tasks, gold, tmp_path):
    before = (gold / "seed_ndrc2021.gold.jsonl").read_bytes()
    report = import_annotations(dump(as_export(tasks), tmp_path / "export.json"), gold,
                                documents=tables / "documents.parquet")
    assert sorted(report.written) == sorted(PAGES) and not report.disagreements
    imported = read_gold_documents(gold)
    import pyarrow.parquet as pq
    predicted = pq.read_table(tables / "obligations.parquet").to_pylist()
    texts = {r["doc_id"]: r["text"] for r in pq.read_table(tables / "documents.parquet").to_pylist()}
    for page in PAGES:
        want = [{**r, "deadline": r["deadline"] or ""} for r in predicted if r["doc_id"] == page]
        assert _rows(imported[page]) == _rows(want)
        for r in imported[page]:
            t = texts[page]
            assert t[r["actor_start"]:r["actor_end"]] == r["actor"]
            assert t[r["duty_start"]:r["duty_end"]] == r["duty"]
            assert r["source"] == "label-studio" and r["annotator"] == "label-studio-user-1"
    assert (gold / "seed_ndrc2021.gold.jsonl").read_bytes() == before  # not in the export: untouched


def test_reimport_is_idempotent(tasks, gold, tmp_path):
    export = dump(as_export(tasks), tmp_path / "export.json")
    import_annotations(export, gold)
    h = folder_hash(gold)
    report = import_annotations(export, gold)
    assert folder_hash(gold) == h
    assert sorted(report.unchanged) == sorted(PAGES) and not report.written


def test_truncated_export_is_refused_and_gold_unchanged(tasks, gold, tmp_path):
    full = json.dumps(as_export(tasks), ensure_ascii=False)
    export = tmp_path / "export.json"
    export.write_text(full[: len(full) // 2], encoding="utf-8")
    h = folder_hash(gold)
    with pytest.raises(AnnotationFileError) as err:
        import_annotations(export, gold)
    assert str(export) in str(err.value) and "line 1" in str(err.value) and "export it again" in str(err.value)
    assert folder_hash(gold) == h


def _broken(tasks, tmp_path, mutate) -> Path:
    data = as_export(tasks)
    mutate(data[-1]["annotations"][0]["result"])
    return dump(data, tmp_path / "export.json")


def _first(result, label):
    return next(r for r in result if r["type"] == "labels" and r["value"]["labels"] == [label])


@pytest.mark.parametrize("mutate, error, words", [
    (lambda res: _first(res, "ACTOR")["value"].update(text="国务院"), SpanError, "has text"),
    (lambda res: _first(res, "DUTY")["value"].update(end=10**6), SpanError, "outside the text"),
    (lambda res: _first(res, "DUTY")["value"].update(labels=["TASK"]), LabelError, "unknown label 'TASK'"),
    (lambda res: next(r for r in res if r["type"] == "relation").update(labels=["supervise"]),
     LabelError, "unknown relation label"),
    (lambda res: next(r for r in res if r["type"] == "relation").update(to_id="gone"),
     RelationError, "no span with id 'gone'"),
    (lambda res: res.append({"type": "relation", "from_id": _first(res, "ACTOR")["id"],
                             "to_id": _first(res, "ACTOR")["id"], "labels": ["lead"]}),
     RelationError, "links ACTOR and ACTOR"),
], ids=["span-text", "span-outside", "unknown-label", "unknown-relation", "dangling-relation", "wrong-ends"])
def test_invalid_annotations_are_refused(tasks, gold, tmp_path, mutate, error, words):
    export = _broken(tasks, tmp_path, mutate)
    h = folder_hash(gold)
    with pytest.raises(error) as err:
        import_annotations(export, gold)
    msg = str(err.value)
    assert words in msg and str(export) in msg and "task 3" in msg and "en_eo13769_sec5_7" in msg
    assert folder_hash(gold) == h  # the two valid tasks before it were not written either


def test_text_must_match_documents(tables, tasks, gold, tmp_path):
    data = as_export(tasks)
    data[0]["data"]["text"] = data[0]["data"]["text"].replace("國務院", "国务院", 1)
    export = dump(data, tmp_path / "export.json")
    with pytest.raises(TextMismatch, match="differs from documents.text"):
        import_annotations(export, gold, documents=tables / "documents.parquet")
    data = as_export(tasks)
    data[0]["data"]["doc_id"] = "not_a_document"
    with pytest.raises(DocIdError, match="not_a_document"):
        import_annotations(dump(data, tmp_path / "e2.json"), gold, documents=tables / "documents.parquet")
    data[0]["data"]["doc_id"] = "../escape"
    with pytest.raises(DocIdError, match="relative"):
        import_annotations(dump(data, tmp_path / "e3.json"), gold)


def test_not_json_min(tmp_path, gold):
    export = dump([{"text": "x", "label": []}], tmp_path / "min.json")
    with pytest.raises(AnnotationError, match="JSON-MIN"):
        import_annotations(export, gold)


def test_utf16_conversion_helpers():
    text = f"甲{RARE}乙{RARE}丙"
    assert [index_to_utf16(text, i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 6, 7]
    assert [utf16_to_index(text, u) for u in range(8)] == [0, 1, None, 2, 3, None, 4, 5]


@pytest.fixture(scope="module")
def rare_tables(tmp_path_factory) -> Path:
    return build_tables(tmp_path_factory.mktemp("rare"), ("zh_lishan2023_division",),
                        prefix=f"{RARE}{RARE}阝{RARE}\n")


def test_non_bmp_character_before_spans(rare_tables, tmp_path):
    """Exported offsets are code points (what Label Studio's Text tag stores); both kinds import."""
    out = tmp_path / "tasks.json"
    export_tasks(rare_tables, out)
    task = json.loads(out.read_text(encoding="utf-8"))[0]
    text = task["data"]["text"]
    spans = [r["value"] for r in task["predictions"][0]["result"] if r["type"] == "labels"]
    assert all(text[v["start"]:v["end"]] == v["text"] for v in spans)
    assert all(index_to_utf16(text, v["start"]) == v["start"] + 3 for v in spans)  # 3 astral chars before

    # 1. code-point offsets (Label Studio 1.23) import as they are
    g1 = tmp_path / "g1"
    import_annotations(dump(as_export([task]), tmp_path / "e1.json"), g1,
                       documents=rare_tables / "documents.parquet")
    rows1 = read_gold_file(g1 / "zh_lishan2023_division.gold.jsonl")
    assert all(text[r["duty_start"]:r["duty_end"]] == r["duty"] for r in rows1)

    # 2. UTF-16 offsets (older Label Studio, JavaScript tools) are recognised by their text and converted
    legacy = as_export([task])
    for item in legacy[0]["annotations"][0]["result"]:
        if item["type"] == "labels":
            v = item["value"]
            v["start"], v["end"] = index_to_utf16(text, v["start"]), index_to_utf16(text, v["end"])
    g2 = tmp_path / "g2"
    report = import_annotations(dump(legacy, tmp_path / "e2.json"), g2)
    assert report.utf16_converted == len(spans)
    assert (g2 / "zh_lishan2023_division.gold.jsonl").read_text(encoding="utf-8") == \
        (g1 / "zh_lishan2023_division.gold.jsonl").read_text(encoding="utf-8")


def _correct(task: dict, who: int, when: str, *, drop_relation: bool) -> dict:
    """An annotation by ``who``: the first actor span shortened by one character, maybe one relation dropped."""
    result = copy.deepcopy(task["predictions"][0]["result"])
    actor = _first(result, "ACTOR")["value"]
    actor["end"] -= 1
    actor["text"] = actor["text"][:-1]
    if drop_relation:
        result.remove(next(r for r in result if r["type"] == "relation" and r["labels"] != ["due"]))
    return {"id": who * 1000, "completed_by": who, "result": result, "was_cancelled": False,
            "created_at": when, "updated_at": when}


def test_two_annotators_disagreeing_are_reported(tasks, gold, tmp_path, capsys):
    data = as_export(tasks[:1], annotator=1, when="2025-03-01T10:00:00Z")
    data[0]["annotations"].append(_correct(tasks[0], 2, "2025-03-02T10:00:00Z", drop_relation=True))
    report = import_annotations(dump(data, tmp_path / "export.json"), gold)
    doc = tasks[0]["data"]["doc_id"]
    [d] = report.disagreements
    assert d.doc_id == doc and d.kept == "label-studio-user-2"
    assert d.annotators == ["label-studio-user-1", "label-studio-user-2"]
    assert "DISAGREEMENT" in report.summary() and doc in report.summary()
    rows = read_gold_file(gold / f"{doc}.gold.jsonl")
    predicted = sum(1 for r in tasks[0]["predictions"][0]["result"]
                    if r["type"] == "relation" and r["labels"] != ["due"])
    assert len(rows) == predicted - 1  # the kept annotation dropped one relation
    assert {r["annotator"] for r in rows} == {"label-studio-user-2"}


def test_newer_annotation_by_same_annotator_replaces_older(tasks, gold, tmp_path):
    doc = tasks[0]["data"]["doc_id"]
    old = as_export(tasks[:1], annotator=1, when="2025-03-01T10:00:00Z")
    newer = _correct(tasks[0], 1, "2025-03-05T10:00:00Z", drop_relation=False)
    both = copy.deepcopy(old)
    both[0]["annotations"].append(newer)
    report = import_annotations(dump(both, tmp_path / "both.json"), gold)
    assert not report.disagreements  # same annotator: the newer one simply wins
    rows = read_gold_file(gold / f"{doc}.gold.jsonl")
    shortened = _first(newer["result"], "ACTOR")["value"]["text"]
    assert shortened in {r["actor"] for r in rows}
    # importing the older export afterwards does not undo the correction
    h = folder_hash(gold)
    report = import_annotations(dump(old, tmp_path / "old.json"), gold)
    assert report.stale == [doc] and folder_hash(gold) == h


def test_existing_hand_gold_is_replaced_and_reported(tasks, gold, tmp_path):
    doc = "zh_gov2014_agri_big5"
    (gold / f"{doc}.gold.jsonl").write_bytes((DEV / f"{doc}.gold.jsonl").read_bytes())
    report = import_annotations(dump(as_export(tasks), tmp_path / "export.json"), gold)
    assert doc in report.replaced and "replaced: " + doc in report.summary()


def test_cancelled_and_empty_annotations(tasks, gold, tmp_path):
    data = as_export(tasks[:2])
    data[0]["annotations"][0]["was_cancelled"] = True
    data[1]["annotations"][0]["result"] = []  # the annotator says: no obligation here
    report = import_annotations(dump(data, tmp_path / "export.json"), gold)
    assert report.not_annotated == [tasks[0]["data"]["doc_id"]]
    assert not (gold / f"{tasks[0]['data']['doc_id']}.gold.jsonl").exists()
    assert (gold / f"{tasks[1]['data']['doc_id']}.gold.jsonl").read_text(encoding="utf-8") == ""


def test_only_below_and_sample(tables, tmp_path):
    import pyarrow.parquet as pq
    rows = pq.read_table(tables / "obligations.parquet").to_pylist()
    lowest = {}
    for r in rows:
        lowest[r["doc_id"]] = min(lowest.get(r["doc_id"], 1.0), r["confidence"])
    out = tmp_path / "t.json"
    n = export_tasks(tables, out, only_below=0.5)
    got = {t["data"]["doc_id"] for t in json.loads(out.read_text(encoding="utf-8"))}
    assert got == {d for d, c in lowest.items() if c < 0.5} and n == len(got)
    export_tasks(tables, out, sample=2, seed=1)
    first = [t["data"]["doc_id"] for t in json.loads(out.read_text(encoding="utf-8"))]
    export_tasks(tables, out, sample=2, seed=1)
    assert [t["data"]["doc_id"] for t in json.loads(out.read_text(encoding="utf-8"))] == first
    assert len(first) == 2


def test_labeling_config_file_is_current(tmp_path):
    assert (REPO / "annotations" / "labeling_config.xml").read_text(encoding="utf-8") == LABELING_CONFIG
    import xml.etree.ElementTree as ET
    root = ET.fromstring(write_labeling_config(tmp_path).read_text(encoding="utf-8"))
    assert [l.get("value") for l in root.iter("Label")] == ["ACTOR", "DUTY", "DEADLINE"]
    assert [r.get("value") for r in root.iter("Relation")] == ["lead", "cooperate", "responsible", "due"]
    assert root.find("Text").get("name") == "text" and root.find("Labels").get("toName") == "text"


def test_cli_commands(tables, tmp_path):
    import argparse
    from pipeline.annotate import add_commands

    parser = argparse.ArgumentParser(prog="obligations")
    add_commands(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "ls" / "tasks.json"
    out.parent.mkdir()
    args = parser.parse_args(["export-tasks", "--tables", str(tables), "--out", str(out), "--below", "0.5"])
    assert args.func(args) == 0
    assert (out.parent / "labeling_config.xml").exists()
    export = dump(as_export(json.loads(out.read_text(encoding="utf-8"))), tmp_path / "export.json")
    args = parser.parse_args(["import-annotations", str(export), "--into", str(tmp_path / "gold"),
                              "--documents", str(tables / "documents.parquet")])
    assert args.func(args) == 0 and list((tmp_path / "gold").glob("*.gold.jsonl"))

"""Span models (pipeline.ner): gold strings located on real pages, training, saving, proposing."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline import ner
from pipeline.errors import ModelMissing
from pipeline.gold import read_gold_documents
from pipeline.settings import load_params

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "annotations" / "gold"
DEV = ROOT / "corpus" / "dev"


@pytest.fixture(scope="module")
def params():
    return load_params()


@pytest.fixture(scope="module")
def gold():
    return read_gold_documents(GOLD)


@pytest.fixture(scope="module")
def dev_docs(params):
    ids = {"zh_gov2014_agri_big5", "zh_sichuan2022_logistics", "zh_lishan2023_division",
           "en_eo13769_sec5_7", "en_mofcom_main_responsibilities"}
    return ner.load_documents([DEV], params, ids)


def test_units_cut_paragraphs_and_sentences():
    text = "一、总体要求。各地要做好；区发改局负责。\n\n(f) The Secretary shall submit. It is so."
    pieces = [text[s:e] for s, e in ner.units(text)]
    assert pieces == ["一、总体要求。", "各地要做好；", "区发改局负责。",
                      "(f) The Secretary shall submit.", "It is so."]


def test_fold_keeps_offsets_and_latin():
    assert ner.fold("國務院辦公廳") == "国务院办公厅"
    assert ner.fold("The Secretary") == "The Secretary"


def test_locate_spans_traditional_page_offsets_index_original(dev_docs, gold):
    doc = dev_docs["zh_gov2014_agri_big5"]
    spans = ner.locate_spans(doc.text, gold[doc.doc_id])
    found = {doc.text[s:e] for label, s, e in spans if label == "ACTOR"}
    # written in traditional script in the page and the gold: found through t2s, offsets into the original
    assert "發展改革委" in found and "中央農辦" in found
    wanted = {r["actor"] for r in gold[doc.doc_id]}
    assert wanted <= found | {a for a in wanted if any(a in f for f in found)}


def test_locate_spans_english_deadlines(dev_docs, gold):
    doc = dev_docs["en_eo13769_sec5_7"]
    spans = ner.locate_spans(doc.text, gold[doc.doc_id])
    deadlines = [doc.text[s:e] for label, s, e in spans if label == "DEADLINE"]
    assert "within 100 days of the date of this order" in deadlines
    assert all(e2 <= s1 or s2 >= e1 for i, (_, s1, e1) in enumerate(spans)
               for (_, s2, e2) in spans[i + 1:]), "spans must not overlap"


def test_locate_spans_prefers_the_duty_paragraph():
    text = "区财政局召开会议。\n加强预算管理,由区财政局负责。\n区财政局表示欢迎。"
    rows = [{"actor": "区财政局", "duty": "加强预算管理", "deadline": ""}]
    at = text.index("由区财政局") + 1
    assert ner.locate_spans(text, rows) == [("ACTOR", at, at + 4)]
    rows = [{"actor": "区财政局", "duty": "不在文中的任务", "deadline": ""}]
    assert len(ner.locate_spans(text, rows)) == 3


def test_make_examples_one_per_unit_with_doc_offsets(dev_docs, gold):
    egs = ner.make_examples(dev_docs, gold)
    assert {eg.reference.user_data["lang"] for eg in egs} == {"zh", "en"}
    doc = dev_docs["zh_sichuan2022_logistics"]
    mine = [eg for eg in egs if eg.reference.user_data["doc_id"] == doc.doc_id]
    spans = [s for eg in mine for s in ner.example_spans(eg)]
    assert spans == ner.locate_spans(doc.text, gold[doc.doc_id])
    for label, s, e in spans:
        assert label in ner.LABELS and 0 <= s < e <= len(doc.text)


def test_train_memorises_a_page_and_proposes_valid_spans(dev_docs, gold, tmp_path):
    doc = dev_docs["zh_sichuan2022_logistics"]
    egs = ner.make_examples([doc], gold)
    # the units holding the actors and a few without any: enough to memorise, fast on 2 cores
    egs = [eg for eg in egs if eg.reference.ents] + [eg for eg in egs if not eg.reference.ents][:4]
    metrics = ner.train_ner(egs, "zh", tmp_path / "ner_zh", iterations=30, seed=0, holdout=0)
    assert metrics["held_back"] is None and metrics["train_docs"] == [doc.doc_id]
    assert metrics["losses"][-1] < metrics["losses"][0]
    proposer = ner.SpanProposer(tmp_path / "ner_zh")
    spans = proposer.propose(doc.text)
    for label, s, e in spans:
        assert label in ner.LABELS and 0 <= s < e <= len(doc.text)
    gold_spans = set(ner.locate_spans(doc.text, gold[doc.doc_id]))
    recovered = gold_spans & set(spans)
    assert len(recovered) >= len(gold_spans) // 2, (spans, gold_spans)


def test_span_proposer_missing_model_says_what_to_do(tmp_path):
    with pytest.raises(ModelMissing) as err:
        ner.SpanProposer(tmp_path / "nowhere")
    assert "E200" in str(err.value) and "obligations train" in str(err.value)
    assert "extract.ner: rules" in str(err.value)


def test_split_by_document_is_seeded_and_whole_documents():
    items = [(d, i) for d in "abcdefgh" for i in range(3)]
    train, held, ids = ner.split_by_document(items, lambda x: x[0], 0.25, seed=3)
    assert len(ids) == 2 and ids == ner.split_by_document(items, lambda x: x[0], 0.25, seed=3)[2]
    assert {x[0] for x in held} == set(ids) and not {x[0] for x in train} & set(ids)
    assert ner.split_by_document(items[:3], lambda x: x[0], 0.25, seed=3)[2] == []


def test_score_spans():
    gold = [("d", ("ACTOR", 0, 3)), ("d", ("ACTOR", 5, 8)), ("d", ("DEADLINE", 9, 12))]
    pred = [("d", ("ACTOR", 0, 3)), ("d", ("ACTOR", 5, 7))]
    m = ner.score_spans(pred, gold)
    assert m["ACTOR"]["precision"] == 0.5 and m["ACTOR"]["recall"] == 0.5
    assert m["DEADLINE"]["recall"] == 0.0 and m["ALL"]["n_gold"] == 3


def test_train_from_gold_writes_models_and_metrics(tmp_path, params):
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    for name in ("zh_sichuan2022_logistics", "zh_lishan2023_division", "en_mofcom_main_responsibilities"):
        shutil.copy(GOLD / f"{name}.gold.jsonl", gold_dir)
    (gold_dir / "no_such_page.gold.jsonl").write_text("", encoding="utf-8")
    p = {**params, "train": {**params["train"], "ner_iterations": 2}}
    metrics = ner.train_from_gold(gold_dir, [DEV], tmp_path / "models", p)
    assert metrics["missing_pages"] == ["no_such_page"]
    assert metrics["zh"]["held_back_docs"] and metrics["zh"]["held_back"]["ACTOR"]["n_gold"] > 0
    assert metrics["en"]["held_back"] is None  # one English document: nothing to hold back
    assert (tmp_path / "models" / "ner_zh" / "config.cfg").is_file()
    assert (tmp_path / "models" / "ner_en" / "config.cfg").is_file()
    saved = json.loads((tmp_path / "models" / "ner_metrics.json").read_text(encoding="utf-8"))
    assert saved["zh"]["held_back_docs"] == metrics["zh"]["held_back_docs"]
    assert ner.SpanProposer(tmp_path / "models" / "ner_en").lang == "en"


def test_load_proposer_follows_extract_ner(tmp_path, params):
    p = {**params, "extract": {**params["extract"], "ner": "rules", "ner_model": str(tmp_path)}}
    assert ner.load_proposer(p, "zh") is None
    p["extract"]["ner"] = "spacy"
    with pytest.raises(ModelMissing, match="ner_zh"):
        ner.load_proposer(p, "zh")
    p["extract"]["ner"] = "crf"
    with pytest.raises(Exception, match="rules, spacy or transformers"):
        ner.load_proposer(p, "zh")

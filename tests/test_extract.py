"""The per-document orchestrator: candidates -> scored rows and mentions, with traceable offsets."""
from pathlib import Path

import pytest

from pipeline.extract import Extractor
from pipeline.ingest import ingest_file
from pipeline.settings import load_params

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "corpus/raw").glob("*.txt")) + sorted((ROOT / "corpus/dev").glob("*.txt"))


@pytest.fixture(scope="module")
def extractor():
    return Extractor(load_params())


@pytest.fixture(scope="module")
def results(extractor):
    params = load_params()
    out = []
    for page in PAGES:
        doc = ingest_file(page, page.stem, params)
        out.append((doc, *extractor.extract(doc)))
    return out


def test_every_row_is_traceable_to_the_cleaned_text(results):
    n = 0
    for doc, mentions, rows in results:
        for r in rows:
            n += 1
            assert doc.text[r["duty_start"]:r["duty_end"]] == r["duty"]
            assert r["start"] <= r["duty_start"] and r["duty_end"] <= r["end"]
            if r["deadline"]:
                assert doc.text[r["deadline_start"]:r["deadline_end"]] == r["deadline"]
            assert 0.0 <= r["confidence"] <= 1.0
            assert r["role"] in {"lead", "cooperate", "responsible"}
        for m in mentions:
            assert doc.text[m.start:m.end] == m.text
            assert m.kind in {"actor", "deadline", "role_cue"}
    assert n > 100


def test_deadlines_are_normalised_against_the_issue_date(results):
    by_id = {doc.doc_id: rows for doc, _, rows in results}
    recurring = [r for r in by_id["003_f0efbfdc7317138a"] if r["deadline"] == "每年4月底之前"]
    assert recurring and recurring[0]["deadline_kind"] == "recurring"
    assert str(recurring[0]["due_end"]) == "2021-04-30"
    eo = [r for r in by_id["en_eo13769_sec5_7"] if r["deadline"]]
    assert {r["deadline_kind"] for r in eo} == {"relative"}


def test_actor_norm_folds_script_and_aliases(results):
    by_id = {doc.doc_id: rows for doc, _, rows in results}
    agri = {r["actor"]: r["actor_norm"] for r in by_id["zh_gov2014_agri_big5"]}
    assert agri["發展改革委"] == "国家发展和改革委员会"
    assert agri["國土資源部"] == "国土资源部"


def test_ids_are_unique_and_deterministic(extractor, results):
    ids = [r["obligation_id"] for _, _, rows in results for r in rows]
    assert len(ids) == len(set(ids))
    doc = results[2][0]
    again = extractor.extract(doc)[1]
    assert [r["obligation_id"] for r in again] == [r["obligation_id"] for r in results[2][2]]


def test_a_document_that_is_not_ok_gives_nothing(extractor):
    from pipeline.schemas import Document

    doc = Document(doc_id="x", source="x", status="binary", error="looks like a PNG image")
    assert extractor.extract(doc) == ([], [])


def test_table_rows_pass_the_scorer(extractor, tmp_path):
    # A Big5 page whose division of work is a tab-separated table: its rows are kept, each
    # with its column's name as the role word.
    page = tmp_path / "plan.txt"
    page.write_bytes(("關於推動數位轉型的實施計畫\n一、推動數位政府建設（數位發展部牽頭）。\n"
                      "序號\t重點任務\t主辦機關\t協辦機關\t完成期限\n"
                      "1\t建置資料治理機制\t數位發展部\t各部會\t2024年6月底前\n").encode("big5"))
    params = load_params()
    _, rows = extractor.extract(ingest_file(page, "plan", params))
    kept = [(r["actor"], r["role"], r["deadline"]) for r in rows
            if r["method"] == "zh.table" and r["confidence"] >= params["extract"]["threshold"]]
    assert kept == [("數位發展部", "lead", "2024年6月底前"), ("各部會", "cooperate", "2024年6月底前")]

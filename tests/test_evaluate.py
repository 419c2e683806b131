"""Scoring against gold (pipeline/evaluate.py): agreement with the reference score.py, and each rule."""
from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import opencc
import pyarrow.parquet as pq
import pytest

from pipeline.evaluate import (
    THRESHOLDS, actor_match, duty_similarity, evaluate, fold, infer_lang, match_rows, norm,
    score_rows, units,
)
from pipeline.gold import read_gold
from pipeline.schemas import ROLES, to_table

DEV = Path(__file__).parent / "data" / "dev"
SCORE_PY = Path(__file__).resolve().parents[2] / "shared" / "gold" / "score.py"
GOLD = read_gold(DEV)
_S2T = opencc.OpenCC("s2t").convert
_T2S = opencc.OpenCC("t2s").convert


# --- prediction sets built from real gold rows -------------------------------------------

def _copy(rows):
    return [dict(r) for r in rows]


def _drop(rows, rng):
    return [r for r in _copy(rows) if rng.random() > 0.35]


def _abbreviate(rows, rng):
    out = _copy(rows)
    for r in out:
        a = r["actor"]
        if " " in a.strip():
            words = a.split()
            r["actor"] = " ".join(words[rng.randint(0, len(words) - 1):])  # may keep 1 word: no match
        elif len(a) > 1:
            r["actor"] = a[rng.randint(0, len(a) - 1):]  # may keep 1 character: no match
    return out


def _truncate(rows, rng, share=0.6):
    out = _copy(rows)
    for r in out:
        r["duty"] = r["duty"][: int(len(r["duty"]) * share)]
    return out


def _flip_roles(rows, rng):
    out = _copy(rows)
    for r in out:
        if rng.random() < 0.5:
            r["role"] = ROLES[(ROLES.index(r["role"]) + 1) % len(ROLES)]
    return out


def _deadlines(rows, rng):
    out = _copy(rows)
    for r in out:
        x = rng.random()
        if x < 0.3:
            r["deadline"] = "" if r["deadline"] else "2025年底前"
        elif x < 0.6:
            r["deadline"] = f" ({r['deadline']}) "  # equal after normalisation
    return out


def _extra(rows, rng):
    out = _copy(rows)
    for r in rng.sample(rows, 40):
        other = rng.choice(rows)
        out.append({**r, "duty": other["duty"]})  # same actor, another duty
        out.append({**r, "role": rng.choice(ROLES)})  # duplicate: one-to-one must leave it unmatched
    out.append({"doc_id": "no_gold_here", "actor": "财政部", "role": "lead", "duty": "无", "deadline": ""})
    rng.shuffle(out)
    return out


def _swap_script(rows, rng):
    out = _copy(rows)
    for r in out:
        conv = _T2S if _T2S(r["actor"] + r["duty"]) != r["actor"] + r["duty"] else _S2T
        r["actor"], r["duty"], r["deadline"] = conv(r["actor"]), conv(r["duty"]), conv(r["deadline"])
    return out


def _mixed(rows, rng):
    out = _swap_script(_extra(_deadlines(_flip_roles(_truncate(_abbreviate(_drop(rows, rng), rng), rng,
                                                                rng.uniform(0.4, 0.9)), rng), rng), rng), rng)
    return [r for r in out if r["doc_id"] != "seed_ndrc2021"]  # a document without predictions


PERTURBATIONS = {
    "gold": lambda rows, rng: _copy(rows),
    "dropped": _drop,
    "abbreviated": _abbreviate,
    "truncated60": _truncate,
    "roles_flipped": _flip_roles,
    "deadlines_changed": _deadlines,
    "extra_rows": _extra,
    "script_swapped": _swap_script,
    "mixed_seed1": _mixed,
    "mixed_seed2": _mixed,
    "mixed_seed3": _mixed,
}


def _predictions(name):
    seed = int(name[-1]) if name[-1].isdigit() else 0
    return PERTURBATIONS[name](GOLD, random.Random(seed))


def _reference(pred, tmp_path):
    path = tmp_path / "pred.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in pred), encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCORE_PY), str(DEV), str(path), "--json"],
                          capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("{"))
    return json.loads(line)


def _assert_agrees(ours, ref):
    o = ours["overall"]
    for key in ("precision", "recall", "f1", "role_acc", "deadline_acc"):
        assert o[key] == ref[key], key
    for key, value in ref["counts"].items():
        assert o[key] == value, key
    assert set(ours["per_doc"]) == set(ref["per_doc"])
    for doc, counts in ref["per_doc"].items():
        for key, value in counts.items():
            assert ours["per_doc"][doc][key] == value, (doc, key)


@pytest.mark.skipif(not SCORE_PY.exists(), reason="reference ../shared/gold/score.py is absent")
@pytest.mark.parametrize("name", list(PERTURBATIONS))
def test_agrees_with_reference_scorer(name, tmp_path):
    pred = _predictions(name)
    ours = score_rows(GOLD, pred)
    _assert_agrees(ours, _reference(pred, tmp_path))
    if name == "gold":
        assert ours["overall"]["f1"] == 1.0 and ours["overall"]["role_acc"] == 1.0


def test_perturbations_move_the_scores():
    """The prediction sets are not trivial: each one changes what it should."""
    s = {name: score_rows(GOLD, _predictions(name))["overall"] for name in PERTURBATIONS}
    assert s["gold"]["f1"] == 1.0
    assert s["dropped"]["precision"] == 1.0 and s["dropped"]["recall"] < 0.8
    assert s["abbreviated"]["recall"] < 1.0
    assert 0.9 < s["truncated60"]["recall"] <= 1.0
    assert s["roles_flipped"]["f1"] == 1.0 and s["roles_flipped"]["role_acc"] < 0.7
    assert s["deadlines_changed"]["f1"] == 1.0 and 0.5 < s["deadlines_changed"]["deadline_acc"] < 0.9
    assert s["extra_rows"]["recall"] == 1.0 and s["extra_rows"]["precision"] < 0.7
    assert s["script_swapped"]["f1"] == 1.0 and s["script_swapped"]["deadline_acc"] == 1.0
    assert s["mixed_seed1"]["f1"] < 0.8


# --- the rules one by one ----------------------------------------------------------------

def test_fold_nfkc_script_and_case():
    assert fold("ＡＢＣ　Ｄ") == "abc d"
    assert fold("發展改革委") == "发展改革委"
    assert fold(None) == ""


def test_norm_removes_white_space_and_brackets():
    assert norm(" 市政府（办公室） ( x ) ") == "市政府办公室x"
    assert actor_match("市 政 府", "（市政府）")
    assert actor_match("the  Secretary", "The Secretary")


@pytest.mark.parametrize("a, b, expected", [
    ("发展改革委", "国家发展改革委", True),  # 5 CJK on the shorter side
    ("国家发展改革委", "发展改革委", True),  # either order
    ("委", "发展改革委", False),  # one CJK character is not enough
    ("（委）", "发展改革委", False),
    ("农业部", "農業部", True),  # script folded
    ("Secretary", "the Secretary of Commerce", False),  # one word is not enough
    ("Secretary of Commerce", "the Secretary of Commerce", True),
    ("财政部", "商务部", False),
    ("", "财政部", False),
    ("()", "()", False),  # nothing left after normalisation
])
def test_actor_match(a, b, expected):
    assert actor_match(a, b) is expected


def test_units_bigrams_and_words():
    assert units(fold("推进改革 and Reform2025，加")) == ["推进", "进改", "改革", "and", "reform2025", "加"]
    assert units("") == []


def test_duty_similarity_threshold_and_scripts():
    assert duty_similarity("推进改革", "推进改革") == 1.0
    assert duty_similarity("甲乙丙", "甲乙丁") == 0.5  # {甲乙,乙丙} vs {甲乙,乙丁}: 2*1/4
    assert duty_similarity("建設中央廚房", "建设中央厨房") == 1.0
    assert duty_similarity("", "x") == 0.0
    gold = [{"doc_id": "d", "actor": "财政部", "role": "lead", "duty": "甲乙丙", "deadline": ""}]
    assert score_rows(gold, [{**gold[0], "duty": "甲乙丁"}])["overall"]["matched"] == 1  # 0.5 is enough
    assert score_rows(gold, [{**gold[0], "duty": "甲丁丙"}])["overall"]["matched"] == 0


def test_matching_is_one_to_one():
    g = {"doc_id": "d", "actor": "财政部", "role": "lead", "duty": "制定实施细则", "deadline": ""}
    one_gold_two_pred = score_rows([g], [g, dict(g)])["overall"]
    assert (one_gold_two_pred["matched"], one_gold_two_pred["precision"], one_gold_two_pred["recall"]) == (1, 0.5, 1.0)
    two_gold_one_pred = score_rows([g, dict(g)], [g])["overall"]
    assert (two_gold_one_pred["matched"], two_gold_one_pred["precision"], two_gold_one_pred["recall"]) == (1, 1.0, 0.5)


def test_matching_is_greedy_by_duty_similarity():
    gold = [{"actor": "财政部", "duty": "制定实施细则并组织实施"}, {"actor": "财政部", "duty": "制定实施细则"}]
    pred = [{"actor": "财政部", "duty": "制定实施细则"}]
    assert [(gi, pi) for gi, pi, _ in match_rows(gold, pred)] == [(1, 0)]
    # the best pair goes first, the next pred takes what is left
    pred2 = [{"actor": "财政部", "duty": "制定实施细则"}, {"actor": "财政部", "duty": "制定实施细则并组织"}]
    assert sorted((gi, pi) for gi, pi, _ in match_rows(gold, pred2)) == [(0, 1), (1, 0)]


def test_role_and_deadline_accuracy():
    g = {"doc_id": "d", "actor": "财政部", "role": "lead", "duty": "制定实施细则", "deadline": "2022年 底前"}
    out = score_rows([g], [{**g, "role": "cooperate", "deadline": "（2022年底前）"}])["overall"]
    assert out["role_acc"] == 0.0 and out["deadline_acc"] == 1.0
    out = score_rows([{**g, "deadline": ""}], [{**g, "deadline": None}])["overall"]
    assert out["deadline_acc"] == 1.0 and out["role_acc"] == 1.0
    assert score_rows([g], [])["overall"]["role_acc"] == 0.0  # nothing matched


def test_languages_and_documents():
    zh = {"doc_id": "z", "actor": "财政部", "role": "lead", "duty": "制定实施细则", "deadline": ""}
    en = {"doc_id": "e", "actor": "the Secretary", "role": "responsible", "duty": "submit a report", "deadline": ""}
    out = score_rows([zh, en], [zh])
    assert out["per_doc"]["z"]["lang"] == "zh" and out["per_doc"]["e"]["lang"] == "en"
    assert (out["zh"]["f1"], out["en"]["f1"], out["en"]["documents"]) == (1.0, 0.0, 1)
    assert score_rows([zh, en], [zh], {"z": "en"})["per_doc"]["z"]["lang"] == "en"
    assert score_rows([{**en, "lang": "zh"}], [])["per_doc"]["e"]["lang"] == "zh"
    assert infer_lang([]) == "en"
    # a named document without gold counts its predictions as false positives
    out = score_rows([zh], [zh, {**zh, "doc_id": "empty"}], documents=["z", "empty"])
    assert out["overall"]["pred"] == 2 and out["per_doc"]["empty"]["precision"] == 0.0
    assert "empty" not in score_rows([zh], [{**zh, "doc_id": "empty"}])["per_doc"]


# --- the DVC stage ------------------------------------------------------------------------

def _obligation_rows(rows, rng):
    out = []
    for i, r in enumerate(rows):
        out.append({"obligation_id": f"o{i}", "doc_id": r["doc_id"], "provision_id": None,
                    "actor": r["actor"], "actor_norm": fold(r["actor"]), "role": r["role"],
                    "duty": r["duty"], "deadline": r["deadline"] or None, "deadline_kind": None,
                    "due_start": None, "due_end": None, "modality": None,
                    "confidence": round(rng.random(), 2), "method": "test", "start": 0, "end": 1})
    return out


def test_evaluate_writes_metrics_and_plots(tmp_path):
    rng = random.Random(7)
    pred = _mixed(GOLD, random.Random(1))
    pred_rows = _obligation_rows(pred, rng)
    pq.write_table(to_table("obligations", pred_rows), tmp_path / "obligations.parquet")
    pq.write_table(to_table("obligations", pred_rows), tmp_path / "candidates.parquet")
    docs = [{"doc_id": d, "lang": "en" if d.startswith("en_") else "zh", "status": "ok"}
            for d in {r["doc_id"] for r in GOLD}]
    pq.write_table(to_table("documents", docs), tmp_path / "documents.parquet")
    out = tmp_path / "eval"
    result = evaluate(tmp_path / "obligations.parquet", DEV, out, documents=tmp_path / "documents.parquet",
                      candidates=tmp_path / "candidates.parquet")

    expected = score_rows(GOLD, pred, {d["doc_id"]: d["lang"] for d in docs})
    written = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert set(written) == {"overall", "zh", "en"}
    for group in written:
        for key in ("precision", "recall", "f1", "role_acc", "deadline_acc", "gold", "pred", "matched"):
            assert written[group][key] == expected[group][key] == result[group][key]
    assert written["zh"]["gold"] + written["en"]["gold"] == written["overall"]["gold"] == len(GOLD)

    with open(out / "f1_per_doc.csv", encoding="utf-8") as f:
        per_doc = list(csv.DictReader(f))
    assert [r["doc_id"] for r in per_doc] == sorted(expected["per_doc"])
    assert list(per_doc[0])[:5] == ["doc_id", "lang", "precision", "recall", "f1"]
    for r in per_doc:
        assert float(r["f1"]) == expected["per_doc"][r["doc_id"]]["f1"]
        assert r["lang"] == ("en" if r["doc_id"].startswith("en_") else "zh")

    with open(out / "pr_threshold.csv", encoding="utf-8") as f:
        curve = list(csv.DictReader(f))
    assert [float(r["threshold"]) for r in curve] == THRESHOLDS
    assert curve[0]["pred"] == str(written["overall"]["pred"])  # threshold 0 keeps every candidate
    preds = [int(r["pred"]) for r in curve]
    assert preds == sorted(preds, reverse=True) and preds[-1] < preds[0]
    kept = [r for r, row in zip(pred, pred_rows) if row["confidence"] >= 0.5 and r["doc_id"] != "no_gold_here"]
    assert int(curve[10]["pred"]) == len(kept)
    assert float(curve[10]["f1"]) == score_rows(GOLD, kept)["overall"]["f1"]


@pytest.mark.skipif(not SCORE_PY.exists(), reason="reference ../shared/gold/score.py is absent")
def test_evaluate_agrees_with_reference_on_parquet(tmp_path):
    pred = _mixed(GOLD, random.Random(2))
    pq.write_table(to_table("obligations", _obligation_rows(pred, random.Random(0))), tmp_path / "o.parquet")
    result = evaluate(tmp_path / "o.parquet", DEV, tmp_path / "eval")
    ref = _reference(pred, tmp_path)
    for key in ("precision", "recall", "f1", "role_acc", "deadline_acc"):
        assert result["overall"][key] == ref[key]


def test_threshold_keeps_float32_confidence_at_the_boundary(tmp_path):
    g = dict(GOLD[0])
    rows = _obligation_rows([g], random.Random(0))
    rows[0]["confidence"] = 0.35  # stored as float32 0.3499999940…
    pq.write_table(to_table("obligations", rows), tmp_path / "c.parquet")
    evaluate(tmp_path / "c.parquet", DEV / f"{g['doc_id']}.gold.jsonl", tmp_path / "eval",
             candidates=tmp_path / "c.parquet")
    with open(tmp_path / "eval" / "pr_threshold.csv", encoding="utf-8") as f:
        curve = {float(r["threshold"]): int(r["pred"]) for r in csv.DictReader(f)}
    assert curve[0.35] == 1 and curve[0.4] == 0


def test_evaluate_errors(tmp_path):
    from pipeline.errors import AnnotationError, UsageError

    with pytest.raises(UsageError, match="predictions not found"):
        evaluate(tmp_path / "missing.parquet", DEV, tmp_path / "eval")
    pq.write_table(to_table("documents", [{"doc_id": "x", "status": "ok"}]), tmp_path / "documents.parquet")
    with pytest.raises(UsageError, match="lack column"):
        evaluate(tmp_path / "documents.parquet", DEV, tmp_path / "eval")
    pq.write_table(to_table("obligations", []), tmp_path / "empty.parquet")
    with pytest.raises(AnnotationError):
        evaluate(tmp_path / "empty.parquet", tmp_path / "no_gold", tmp_path / "eval")
    result = evaluate(tmp_path / "empty.parquet", DEV, tmp_path / "eval",  # nothing predicted
                      documents=tmp_path / "missing_documents.parquet")
    assert result["overall"]["recall"] == 0.0 and result["overall"]["gold"] == len(GOLD)

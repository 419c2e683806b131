"""The annotation loop: a corrected gold file changes what the pipeline outputs after `train`."""
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import EXIT_OK, main

ROOT = Path(__file__).resolve().parents[1]
NEWS = "004_9839b539e096a784"  # a minister's article: its "科技部认真学习贯彻…" is narration


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    work = tmp_path_factory.mktemp("loop")
    ing, cand = work / "ing", work / "cand"
    assert main(["ingest", str(ROOT / "corpus/raw"), str(ROOT / "corpus/dev"), "--out", str(ing),
                 "--jobs", "1"]) == EXIT_OK
    assert main(["candidates", str(ing), "--out", str(cand), "--jobs", "1"]) == EXIT_OK
    return work, ing, cand


def run_with_gold(staged, gold: Path, name: str) -> pd.DataFrame:
    work, ing, cand = staged
    model = work / f"{name}.json"
    assert main(["train", str(cand / "candidates.parquet"), "--gold", str(gold), "--out", str(model),
                 "--params", str(ROOT / "params.yaml")]) == EXIT_OK
    params = work / f"{name}.yaml"
    params.write_text(f"extract:\n  scorer: {model}\ntrain:\n  C: 10.0\n", encoding="utf-8")
    out = work / name
    assert main(["tables", str(ing), str(cand), "--out", str(out), "--params", str(params)]) == EXIT_OK
    return pd.read_parquet(out / "obligations.parquet")


def test_a_correction_flips_the_output_after_train(staged, tmp_path):
    # Today's gold says the news article assigns nothing: its narrated "duties" are dropped.
    before = run_with_gold(staged, ROOT / "annotations/gold", "before")
    assert (before.doc_id == NEWS).sum() == 0

    # An annotator disagrees and accepts the ministry's rows as obligations.
    gold = tmp_path / "gold"
    shutil.copytree(ROOT / "annotations/gold", gold)
    cands = pd.read_parquet(staged[2] / "candidates.parquet")
    news = cands[cands.doc_id == NEWS]
    assert len(news) > 0
    with open(gold / f"{NEWS}.gold.jsonl", "w", encoding="utf-8") as f:
        for r in news.itertuples():
            f.write(json.dumps({"doc_id": NEWS, "actor": r.actor, "role": r.role, "duty": r.duty,
                                "deadline": r.deadline if isinstance(r.deadline, str) else ""},
                               ensure_ascii=False) + "\n")
    after = run_with_gold(staged, gold, "after")
    assert (after.doc_id == NEWS).sum() == len(news)
    # ... and the rest of the output is unchanged by the correction.
    others = lambda df: df[df.doc_id != NEWS][["doc_id", "actor", "duty"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(others(before), others(after))

"""The command line end to end on the real sample corpus, and the quality gate."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import EXIT_FAILED_DOCS, EXIT_OK, EXIT_USAGE, main
from pipeline.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[1]

# The evaluation gate: extraction on the project's annotated pages must not drop below these.
GATE = {"f1": 0.90, "role_acc": 0.90, "deadline_acc": 0.90}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("tables")
    assert main(["extract", str(ROOT / "corpus/raw"), str(ROOT / "corpus/dev"), "--out", str(out),
                 "--jobs", "1"]) == EXIT_OK
    return out


def test_extract_writes_the_four_tables_and_csv(tables):
    for name in ("documents", "provisions", "mentions", "obligations"):
        df = pd.read_parquet(tables / f"{name}.parquet")
        assert len(df) > 0, name
    docs = pd.read_parquet(tables / "documents.parquet")
    assert set(docs.status) == {"ok"} and len(docs) == 11
    assert set(docs.lang) == {"zh", "en"}
    assert "hant" in set(docs.script)
    csv = pd.read_csv(tables / "obligations.csv")
    assert len(csv) == len(pd.read_parquet(tables / "obligations.parquet"))


def test_quality_gate_on_the_annotated_pages(tables, tmp_path):
    result = evaluate(tables / "obligations.parquet", ROOT / "annotations/gold", tmp_path,
                      documents=tables / "documents.parquet")
    for lang in ("overall", "zh", "en"):
        for key, floor in GATE.items():
            assert result[lang][key] >= floor, (lang, key, result[lang])


def test_the_shared_scorer_reads_our_parquet(tables):
    """The gold scorer (`score.py`) fills nulls with "": no categorical column may hold nulls."""
    df = pd.read_parquet(tables / "obligations.parquet").fillna("")
    assert len(df) > 0


def test_unreadable_pages_become_rows_and_strict_fails(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "ok.txt").write_text("各地要认真落实。", encoding="utf-8")
    (pages / "empty.txt").write_bytes(b"")
    (pages / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    out = tmp_path / "out"
    assert main(["extract", str(pages), "--out", str(out), "--jobs", "1"]) == EXIT_OK
    docs = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    assert docs.loc["ok", "status"] == "ok"
    assert docs.loc["empty", "status"] == "empty" and docs.loc["empty", "error"]
    assert docs.loc["image", "status"] != "ok" and "PNG" in docs.loc["image", "error"]
    assert main(["extract", str(pages), "--out", str(out), "--jobs", "1", "--strict"]) == EXIT_FAILED_DOCS


def test_usage_errors_exit_2_without_a_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "extract", str(tmp_path / "missing"),
                           "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == EXIT_USAGE
    assert "Traceback" not in proc.stderr and "missing" in proc.stderr
    bad = tmp_path / "params.yaml"
    bad.write_text("extract:\n  treshold: 0.5\n", encoding="utf-8")
    assert main(["extract", str(ROOT / "corpus/raw"), "--out", str(tmp_path / "o"),
                 "--params", str(bad)]) == EXIT_USAGE


def test_help_documents_formats_and_exit_codes():
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "extract", "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    for word in ("GB18030", "Big5", "UTF-16", "status", "exit codes", "--strict"):
        assert word in proc.stdout


def test_the_dvc_stages_in_sequence(tmp_path):
    """ingest -> candidates -> train -> tables -> evaluate, as dvc.yaml runs them."""
    ing, cand, model, tab, met = (tmp_path / n for n in ("ing", "cand", "scorer.json", "tab", "met"))
    assert main(["ingest", str(ROOT / "corpus/raw"), str(ROOT / "corpus/dev"), "--out", str(ing),
                 "--jobs", "1"]) == EXIT_OK
    assert main(["candidates", str(ing), "--out", str(cand), "--jobs", "1"]) == EXIT_OK
    assert main(["train", str(cand / "candidates.parquet"), "--gold", str(ROOT / "annotations/gold"),
                 "--out", str(model)]) == EXIT_OK
    assert json.loads(model.read_text())["meta"]["n"] > 100
    params = tmp_path / "params.yaml"
    params.write_text(f"extract:\n  scorer: {model}\n", encoding="utf-8")
    assert main(["tables", str(ing), str(cand), "--out", str(tab), "--params", str(params),
                 "--scored", str(tmp_path / "scored.parquet")]) == EXIT_OK
    assert main(["evaluate", str(tab), "--gold", str(ROOT / "annotations/gold"), "--out", str(met),
                 "--candidates", str(tmp_path / "scored.parquet")]) == EXIT_OK
    metrics = json.loads((met / "metrics.json").read_text())
    assert metrics["overall"]["f1"] >= GATE["f1"]
    assert (met / "pr_threshold.csv").exists() and (met / "f1_per_doc.csv").exists()


def test_extract_does_not_import_pandas(tmp_path):
    # importing pandas costs 0.3 s of every run; extract writes its tables without it
    code = ("import sys\nfrom pipeline.cli import main\n"
            f"main(['extract', {str(ROOT / 'corpus/raw')!r}, '--out', {str(tmp_path / 'out')!r}, "
            "'--jobs', '1', '--no-cache'])\n"
            "assert 'pandas' not in sys.modules, 'extract imported pandas'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    assert (tmp_path / "out" / "obligations.csv").stat().st_size > 0


def test_the_command_exits_with_main_s_code(tmp_path):
    # `obligations` (pipeline.cli:entry) and `python -m pipeline.cli` exit with what main returns
    ok = subprocess.run([sys.executable, "-m", "pipeline.cli", "extract", str(ROOT / "tests/data/dev"),
                         "--out", str(tmp_path / "out"), "--jobs", "1", "--no-cache"], cwd=ROOT)
    missing = subprocess.run([sys.executable, "-m", "pipeline.cli", "extract", str(tmp_path / "missing"),
                              "--out", str(tmp_path / "out2")], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == EXIT_OK and (tmp_path / "out" / "obligations.csv").stat().st_size > 0
    assert missing.returncode == EXIT_USAGE and "missing" in missing.stderr

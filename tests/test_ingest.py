"""ingest: every input becomes a Document; hostile files get a status and a reason."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from pipeline.errors import UsageError
from pipeline.ingest import ingest_bytes, ingest_file, iter_inputs
from pipeline.settings import load_params

HERE = Path(__file__).parent
DEV = HERE / "data" / "dev"
RAW = HERE.parent / "corpus" / "raw"
HOSTILE = HERE / "data" / "hostile"
SHARED = HERE.parents[1] / "shared" / "corpora"
PARAMS = load_params()


def test_iter_inputs_is_sorted_and_skips_non_pages(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ["b/z.txt", "a.html", "a.gold.jsonl", "SOURCES.md", ".DS_Store", "b/x.pdf", "c.txt.dvc"]:
        (tmp_path / name).write_bytes(b"x")
    got = list(iter_inputs([tmp_path]))
    assert [d for _, d in got] == ["a", "b/x", "b/z"]
    single = tmp_path / "b" / "z.txt"
    assert list(iter_inputs([single])) == [(single, "z")]
    with pytest.raises(UsageError) as info:
        list(iter_inputs([tmp_path / "missing"]))
    assert "missing" in str(info.value) and info.value.code == "E001"


def test_dev_folder_yields_pages_only() -> None:
    ids = [d for _, d in iter_inputs([DEV])]
    assert ids == sorted(p.stem for p in DEV.glob("*.txt"))


@pytest.mark.parametrize("path", sorted(RAW.glob("*.txt")), ids=lambda p: p.stem)
def test_sample_corpus_is_ok(path: Path) -> None:
    doc = ingest_file(path, path.stem, PARAMS)
    assert doc.status == "ok", doc.error
    assert doc.error is None and doc.n_chars == len(doc.text) > 500
    assert len(doc.sha256) == 64 and doc.lang in ("zh", "en")
    assert "Copyright" not in doc.text


def test_encodings_give_the_same_document() -> None:
    text = (DEV / "seed_ndrc2021.txt").read_text(encoding="utf-8")
    base = ingest_bytes(text.encode("utf-8"), "d", "d.txt", PARAMS)
    for enc in ["gb18030", "utf-16", "utf-16-be"]:
        doc = ingest_bytes(text.encode(enc), "d", "d.txt", PARAMS)
        assert doc.text == base.text and doc.status == "ok", enc
        assert doc.sha256 != base.sha256


def _hostile(tmp_path: Path) -> dict[str, Path]:
    rng = random.Random(11)
    files = {
        "empty.txt": b"",
        "random.txt": bytes(rng.getrandbits(8) for _ in range(30000)),
        "image.png": b"\x89PNG\r\n\x1a\n" + bytes(rng.getrandbits(8) for _ in range(500)),
        "report.pdf": b"%PDF-1.4\n" + bytes(rng.getrandbits(8) for _ in range(500)),
        "bundle.zip": b"PK\x03\x04" + bytes(rng.getrandbits(8) for _ in range(500)),
        "truncated.html": "<html><head><title>通知</title></head><body><div><p>各地要高度重视,"
                          "认真落实。</p><p>未完<span cl".encode("utf-8"),
        "deep.html": ("<div>" * 20000 + "<p>各地要认真贯彻落实。</p>" + "</div>" * 20000).encode(),
        "oneline.txt": ("各地要认真贯彻落实有关要求," * 400_000 + "。").encode("utf-8"),
        "nav_only.txt": "首页 > 科技信息\n分享到: 微信\nCopyright © 2020 版权所有\n".encode("utf-8"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    for path in sorted(HOSTILE.glob("*")):
        shutil.copy(path, tmp_path / path.name)
    return {p.name: p for p in tmp_path.iterdir()}


def test_hostile_files_never_raise(tmp_path: Path) -> None:
    paths = _hostile(tmp_path)
    docs = {p.name: ingest_file(p, p.stem, PARAMS) for p in paths.values()}
    expect = {"empty.txt": "empty", "random.txt": "binary", "image.png": "unsupported",
              "report.pdf": "unsupported", "bundle.zip": "unsupported", "nav_only.txt": "empty"}
    for name, status in expect.items():
        assert docs[name].status == status, (name, docs[name].error)
    assert "PDF" in docs["report.pdf"].error and "convert" in docs["report.pdf"].error
    for doc in docs.values():
        if doc.status != "ok":
            assert doc.error and doc.text == "" and doc.n_chars == 0 and "Traceback" not in doc.error
    assert docs["truncated.html"].status == "ok" and "各地要高度重视" in docs["truncated.html"].text
    assert docs["deep.html"].status == "ok" and "认真贯彻落实" in docs["deep.html"].text
    big = docs["oneline.txt"]
    assert big.status == "ok" and big.n_chars > 4_000_000
    assert len(big.sha256) == 64


def test_too_large_reports_the_size(tmp_path: Path) -> None:
    params = load_params()
    params["ingest"]["max_bytes"] = 1000
    path = tmp_path / "big.txt"
    path.write_bytes("各地要认真落实。\n".encode() * 200)
    doc = ingest_file(path, "big", params)
    assert doc.status == "too_large" and "over the limit of 1,000" in doc.error
    doc = ingest_bytes(path.read_bytes(), "big", str(path), params)
    assert doc.status == "too_large" and doc.sha256


def test_unexpected_exceptions_become_error_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import normalize

    def boom(text: str) -> str:
        raise ValueError("broken normaliser")

    monkeypatch.setattr(normalize, "normalize_text", boom)
    doc = ingest_bytes("各地要认真落实。".encode(), "x", "x.txt", PARAMS)
    assert doc.status == "error" and doc.error.startswith("[E100] x.txt: ValueError: broken normaliser")
    assert "report it" in doc.error


@pytest.mark.slow
def test_govcn2019_all_ok() -> None:
    root = SHARED / "govcn2019"
    if not root.exists():
        pytest.skip("../shared/corpora is absent")
    docs = [ingest_file(p, d, PARAMS) for p, d in iter_inputs([root])]
    assert len(docs) == 60
    bad = [(d.doc_id, d.status, d.error) for d in docs if d.status != "ok"]
    assert not bad

"""A folder of hostile files through the real command line: one row per file, a status and a
reason for each, and the readable ones decoded correctly.

Also: entity expansion (billion laughs) and external entities (a local file, a local
HTTP server) are never resolved, and ``--strict`` / ``too_large`` behave as documented.
"""
from __future__ import annotations

import base64
import http.server
import random
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]

# Body sentences of the readable pages: each must come out of ingest unchanged.
ZH = ["关于做好2024年防汛工作的通知", "各地要认真贯彻落实有关要求，省发展改革委负责组织实施。",
      "省水利厅牵头，省财政厅配合，于每年4月底之前完成隐患排查。"]
HANT = ["關於做好農業農村工作的通知", "各地區要認真貫徹落實有關要求，農業部負責組織實施。",
        "財政部牽頭，各有關部門配合，每年年底前報送工作情況。"]
EN = ["Executive Order on Reporting", "The Secretary of State shall, within 90 days, submit a "
      "report to the President on the \u201cprogress\u201d made.",
      "The heads of agencies will cooperate with the Secretary."]


def _html(lines: list[str], charset: str = "utf-8", extra_head: str = "", extra_body: str = "") -> str:
    paras = "".join(f"<p>{x}</p>" for x in lines[1:])
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{lines[0]}</title>'
            f'{extra_head}</head><body><div class="nav">首页 &gt; 通知公告</div>{extra_body}'
            f'<div class="content"><h1>{lines[0]}</h1>{paras}</div>'
            f"<div>Copyright &copy; 2024 版权所有</div></body></html>")


def _docx() -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document><w:body><w:p>" + ZH[1] + "</w:p></w:body></w:document>")
    return buf.getvalue()


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE html [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>关于做好2024年防汛工作的通知</title></head>
<body><div><p>各地要认真贯彻落实有关要求，省发展改革委负责组织实施。&lol9;</p>
<p>省水利厅牵头，省财政厅配合，于每年4月底之前完成隐患排查。</p></div></body></html>
"""


def _xxe(secret: Path, url: str) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE html [
 <!ENTITY file SYSTEM "file://{secret}">
 <!ENTITY web SYSTEM "{url}">
 <!ENTITY % remote SYSTEM "{url}dtd">
 %remote;
]>
<html><head><title>关于做好2024年防汛工作的通知</title><link rel="stylesheet" href="{url}css"></head>
<body><div><p>各地要认真贯彻落实有关要求，省发展改革委负责组织实施。&file;</p>
<p>省水利厅牵头，省财政厅配合，于每年4月底之前完成隐患排查。&web;</p>
<iframe src="{url}frame"></iframe><img src="{url}img"></div></body></html>
"""


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"FETCHED-OVER-THE-NETWORK")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def web():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    _Counter.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def build_hostile(folder: Path, url: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Write the hostile folder; return {file: expected status} and {file: sentences its text holds}."""
    rng = random.Random(7)
    secret = folder.parent / "secret.txt"
    secret.write_text("SECRET-MARKER-7f3a", encoding="utf-8")
    big_img = base64.b64encode(rng.randbytes(9_000_000)).decode()
    script = "var a=[" + ",".join(str(i) for i in range(40_000)) + "];"
    truncated = _html(ZH).encode("utf-8")
    cut = truncated.index("省水利厅".encode()) + 4  # inside a 3-byte character
    files: dict[str, tuple[bytes, str, list[str]]] = {
        # readable pages in the encodings crawls deliver, some with a lying <meta charset>
        "gbk_declared_utf8.html": (_html(ZH, "utf-8").encode("gbk"), "ok", ZH),
        "gb18030_declared_big5.html": (_html(ZH, "big5").encode("gb18030"), "ok", ZH),
        "big5.txt": ("\n".join(HANT).encode("big5"), "ok", HANT),
        "utf16_no_bom.txt": ("\n".join(ZH).encode("utf-16-le"), "ok", ZH),
        "utf8_bom.html": (b"\xef\xbb\xbf" + _html(ZH).encode("utf-8"), "ok", ZH),
        "cp1252.txt": ("\r\n".join(EN).encode("cp1252"), "ok", EN),
        "名单 (final) copy.txt": ("\n".join(ZH).encode("utf-8"), "ok", ZH),
        "no_extension": ("\n".join(ZH).encode("gb18030"), "ok", ZH),
        "truncated.html": (truncated[:cut], "ok", ZH[:2]),
        "deep.html": (("<div>" * 20_000 + "".join(f"<p>{x}</p>" for x in ZH) + "</div>" * 20_000)
                      .encode(), "ok", ZH),
        "deep_unclosed.html": (("<div><span>" * 20_000 + "<p>" + ZH[1]).encode(), "ok", ZH[1:2]),
        "oneline_12mb.html": (_html(ZH, extra_head=f"<script>{script}</script>",
                                    extra_body=f'<img src="data:image/png;base64,{big_img}">')
                              .encode(), "ok", ZH),
        "billion_laughs.xhtml": (BILLION_LAUGHS.encode(), "ok", ZH[1:]),
        "xxe.html": (_xxe(secret, url).encode(), "ok", ZH[1:]),
        # unreadable ones
        "empty.txt": (b"", "empty", []),
        "blank.html": (b" \r\n\t\n  ", "empty", []),
        "nav_only.html": (_html(["首页"], extra_body="").replace("<h1>首页</h1>", "").encode(), "empty", []),
        "binary.txt": (rng.randbytes(20_000), "binary", []),
        "nul_page.html": (b"<html>" + b"\x00" * 400 + rng.randbytes(2000), "binary", []),
        "report.docx": (_docx(), "unsupported", []),
        "notice.pdf": (b"%PDF-1.7\n" + rng.randbytes(3000), "unsupported", []),
        "scan.jpg": (b"\xff\xd8\xff\xe0" + rng.randbytes(3000), "unsupported", []),
        "mojibake.txt": (bytes(rng.choice(range(0x80, 0x100)) for _ in range(4000)), "undecodable", []),
    }
    status, sentences = {}, {}
    for name, (data, want, expect) in files.items():
        (folder / name).write_bytes(data)
        status[name] = want
        sentences[name] = expect
    assert len((folder / "oneline_12mb.html").read_bytes()) > 12_000_000
    assert b"\n" not in (folder / "oneline_12mb.html").read_bytes()
    return status, sentences


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """``obligations ARGS`` as a user runs it (a new process)."""
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def _doc_id(name: str) -> str:
    return Path(name).stem if "." in name else name


def test_hostile_folder_gives_one_row_per_file(tmp_path: Path, web: str) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    status, sentences = build_hostile(folder, web)
    out = tmp_path / "out"
    proc = run_cli("extract", str(folder), "--out", str(out), "--no-cache", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    docs = pd.read_parquet(out / "documents.parquet")
    assert sorted(docs["doc_id"]) == sorted(_doc_id(n) for n in status)
    rows = {r["doc_id"]: r for r in pq.read_table(out / "documents.parquet").to_pylist()}
    for name, want in status.items():
        row = rows[_doc_id(name)]
        assert row["status"] == want, (name, row["error"])
        if want == "ok":
            assert row["error"] is None and row["n_chars"] == len(row["text"]) > 0
            for sentence in sentences[name]:
                assert sentence in row["text"], (name, sentence, row["text"][:300])
            assert "版权所有" not in row["text"] and "首页" not in row["text"], name
        else:
            error = row["error"]
            assert row["text"] == "" and error and "Traceback" not in error
            assert error.startswith("[E1") and str(folder / name) in error, error  # code and file
            assert "(" in error and error.endswith(")"), error  # ... and what to do
            assert str(folder / name) in proc.stderr  # the summary names every failed file
    assert "lollollol" not in rows["billion_laughs"]["text"]
    assert len(rows["billion_laughs"]["text"]) < 500
    assert "SECRET-MARKER" not in rows["xxe"]["text"]
    assert "FETCHED" not in rows["xxe"]["text"]
    assert _Counter.hits == [], "an external entity or resource was fetched"
    assert "PDF" in rows["notice"]["error"] and "docx" in rows["report"]["error"]
    assert rows["big5"]["script"] == "hant" and rows["cp1252"]["lang"] == "en"
    for name in ("documents", "provisions", "mentions", "obligations"):
        pd.read_parquet(out / f"{name}.parquet")  # every table reads back
    obl = pd.read_parquet(out / "obligations.parquet")
    assert set(obl["doc_id"]) <= set(docs.loc[docs["status"] == "ok", "doc_id"])


def test_lxml_parsers_never_expand_or_fetch(tmp_path: Path, web: str) -> None:
    from lxml import etree

    from pipeline.boilerplate import _safe_xml_parser, clean_html

    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER-7f3a", encoding="utf-8")
    for doc in (BILLION_LAUGHS, _xxe(secret, web)):
        root = etree.fromstring(doc.encode(), _safe_xml_parser())
        text = "".join(root.itertext())
        assert "lollollol" not in text and "SECRET" not in text and "FETCHED" not in text
        body = clean_html(doc).text
        assert "lollollol" not in body and "SECRET" not in body and "FETCHED" not in body
        assert ZH[1] in body
    assert _Counter.hits == []


def test_strict_exits_1_when_a_page_failed_and_0_otherwise(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    (good / "a.txt").write_text("\n".join(ZH), encoding="utf-8")
    (bad / "a.txt").write_text("\n".join(ZH), encoding="utf-8")
    (bad / "empty.txt").write_bytes(b"")
    assert run_cli("extract", str(good), "--out", str(tmp_path / "o1"), "--no-cache", "--jobs", "1",
                   "--strict").returncode == 0
    proc = run_cli("extract", str(bad), "--out", str(tmp_path / "o2"), "--no-cache", "--jobs", "1", "--strict")
    assert proc.returncode == 1, proc.stderr
    assert "empty.txt: empty" in proc.stderr
    proc = run_cli("extract", str(bad), "--out", str(tmp_path / "o3"), "--no-cache", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_parquet(tmp_path / "o3" / "documents.parquet")) == 2
    helptext = run_cli("--help").stdout
    for code in ("0 ", "1 ", "2 ", "3 "):
        assert f"\n  {code}" in helptext  # the exit codes are documented


def test_too_large_page_is_a_row_with_its_size(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "big.txt").write_bytes(("各地要认真贯彻落实。" * 80_000).encode())
    (folder / "small.txt").write_text("\n".join(ZH), encoding="utf-8")
    params = tmp_path / "params.yaml"
    params.write_text("ingest:\n  max_bytes: 1000000\n", encoding="utf-8")
    proc = run_cli("extract", str(folder), "--out", str(tmp_path / "o"), "--no-cache", "--jobs", "1",
                   "--params", str(params))
    assert proc.returncode == 0, proc.stderr
    docs = pd.read_parquet(tmp_path / "o" / "documents.parquet").set_index("doc_id")
    assert docs.loc["big", "status"] == "too_large" and docs.loc["small", "status"] == "ok"
    error = docs.loc["big", "error"]
    assert "2,400,000 bytes" in error and "1,000,000" in error and "max_bytes" in error
    assert str(folder / "big.txt") in error

"""decode: encodings of real pages round-trip; hostile bytes raise coded errors."""
from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest

from pipeline.decode import decode_bytes, looks_like_html, plausibility
from pipeline.errors import BinaryFile, EmptyFile, UndecodableFile, UnsupportedFormat

DEV = Path(__file__).parent / "data" / "dev"
ZH_PAGES = ["seed_cast2018", "seed_ndrc2021", "zh_lishan2023_division", "zh_sichuan2022_logistics"]


def _text(name: str) -> str:
    return (DEV / f"{name}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ZH_PAGES)
@pytest.mark.parametrize("enc", ["gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_chinese_page_roundtrips(name: str, enc: str) -> None:
    text = _text(name)
    try:
        data = text.encode(enc)
    except UnicodeEncodeError:
        pytest.skip(f"{name} has characters outside {enc}")
    if enc == "utf-16":
        assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    assert decode_bytes(data).text == text


def test_big5_traditional_page() -> None:
    text = _text("zh_gov2014_agri_big5")
    data = text.encode("big5", errors="replace")  # a few characters have no Big5 code
    out = decode_bytes(data)
    assert out.encoding in ("cp950", "big5", "big5hkscs")
    assert out.text == data.decode("big5")
    # Read as GBK, the same bytes are valid but implausible: the scorer must see it.
    assert plausibility(data.decode("gb18030", "replace")) < plausibility(out.text)


def test_utf8_read_as_gb18030_is_implausible() -> None:
    data = _text("seed_ndrc2021").encode("utf-8")
    assert plausibility(data.decode("gb18030", "replace")) < 0.6 < plausibility(data.decode("utf-8"))


def test_meta_charset_is_used_when_plausible() -> None:
    body = _text("zh_sichuan2022_logistics")
    html = f'<html><head><meta charset="gb2312"><title>t</title></head><body><p>{body}</p></body></html>'
    out = decode_bytes(html.encode("gb18030"))
    assert out.is_html and out.encoding == "gb18030" and body[:50] in out.text


def test_wrong_meta_charset_loses_to_utf8() -> None:
    body = _text("zh_sichuan2022_logistics")
    html = f'<html><head><meta charset="gb2312"></head><body><p>{body}</p></body></html>'
    out = decode_bytes(html.encode("utf-8"))
    assert out.encoding == "utf-8" and body[:50] in out.text


def test_line_ends_and_controls_are_cleaned() -> None:
    text = _text("seed_ndrc2021")
    data = text.replace("\n", "\r\n").encode("utf-8")
    assert decode_bytes(data).text == text
    data = text.replace("\n", "\r").encode("utf-8")
    assert decode_bytes(data).text == text
    out = decode_bytes(("a\x00b\x07c\n" + text).encode("utf-8"))
    assert out.text.startswith("abc\n")


def test_html_saved_as_txt_is_recognised() -> None:
    assert looks_like_html("<!DOCTYPE html>\n<html><body><p>x</p></body></html>")
    assert looks_like_html("  <html>\n<p>x")
    assert not looks_like_html(_text("seed_cast2018"))
    assert decode_bytes(b"<html><body><p>\xe4\xb8\xad</p></body></html>").is_html


@pytest.mark.parametrize("data, error, words", [
    (b"", EmptyFile, "empty"),
    (b"  \r\n\t \n", EmptyFile, "white space"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", UnsupportedFormat, "PDF"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(100), UnsupportedFormat, "ZIP"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", UnsupportedFormat, "PNG"),
])
def test_hostile_bytes(data: bytes, error: type, words: str) -> None:
    with pytest.raises(error) as info:
        decode_bytes(data, source="x.txt")
    assert words in str(info.value) and info.value.code.startswith("E1")
    assert "x.txt" in str(info.value)


def test_random_bytes_are_binary() -> None:
    rng = random.Random(7)
    data = bytes(rng.getrandbits(8) for _ in range(20000))
    with pytest.raises((BinaryFile, UndecodableFile)) as info:
        decode_bytes(data)
    assert info.value.hint


def test_high_bytes_without_controls_are_undecodable_or_decoded_plausibly() -> None:
    rng = random.Random(3)
    data = bytes(rng.randrange(0x80, 0x100) for _ in range(5000))
    try:
        out = decode_bytes(data)
    except UndecodableFile as exc:
        assert "re-save" in str(exc)
    else:
        assert plausibility(out.text) >= 0.6


def test_corpus_executive_orders_decode() -> None:
    root = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "executive_orders"
    if not root.exists():
        pytest.skip("../shared/corpora is absent")
    files = sorted(root.glob("*.htm"))[:50]  # they hold a few NUL bytes: must not be "binary"
    for path in files:
        out = decode_bytes(path.read_bytes(), source=str(path))
        assert out.is_html, path


@pytest.mark.parametrize("enc", ["utf-8", "gb18030"])
def test_a_page_cut_inside_its_last_character_still_decodes(enc: str) -> None:
    text = "各地要认真贯彻落实有关要求。\n省水利厅牵头"
    data = text.encode(enc)
    cut = data[:-1]  # a download that stopped one byte early
    decoded = decode_bytes(cut, source="cut.txt")
    assert decoded.text == text[:-1] and decoded.encoding == codecs.lookup(enc).name

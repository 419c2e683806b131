"""Fuzzing ingest and extract: no input raises, every input is one valid documents row.

Hypothesis drives ``ingest_bytes`` and then ``Extractor.extract`` with random
bytes, random Unicode (astral characters, combining marks, RTL marks, lone
surrogates in the encodings that can carry them), random HTML fragments and
random mixtures of real page lines from ``corpus/``.  For every input:

* ``ingest_bytes`` returns a Document whose status is one of the named
  statuses; a non-ok row has a reason and no text; an ok row has text;
* the documents row converts to the Arrow schema (so it can be written);
* extraction does not raise, every offset lies inside ``documents.text`` and
  the mentions and obligations convert to their Arrow schemas.

Sizes: about 1 900 examples in all, under a minute on two cores
(``FUZZ_SCALE`` multiplies them, e.g. ``FUZZ_SCALE=10`` for a long local run).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import ingest_bytes
from pipeline.schemas import STATUSES, document_row, to_table
from pipeline.settings import load_params
from pipeline.tables import obligation_rows

ROOT = Path(__file__).resolve().parents[1]
PARAMS = load_params()
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))  # e.g. FUZZ_SCALE=10 for a long local run


def fuzz(n: int):
    """Hypothesis settings for ``n`` examples (times ``FUZZ_SCALE``), no deadline."""
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@functools.lru_cache(maxsize=1)
def extractor():
    from pipeline.extract import Extractor

    return Extractor(load_params())


@functools.lru_cache(maxsize=1)
def real_lines() -> list[str]:
    lines = []
    for folder in ("raw", "dev"):
        for p in sorted((ROOT / "corpus" / folder).glob("*.txt")):
            data = p.read_bytes()
            for enc in ("utf-8", "big5", "cp950", "gb18030"):
                try:
                    text = data.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            lines.extend(x for x in text.splitlines() if x.strip())
    assert len(lines) > 200
    return lines


def check(data: bytes) -> None:
    """The invariants of one input (see the module docstring).

    Args:
        data: the page's bytes.
    """
    doc = ingest_bytes(data, "fuzz/page", "fuzz/page.html", PARAMS)
    assert doc.status in STATUSES, doc.status
    assert len(doc.sha256) == 64
    if doc.status != "ok":
        assert doc.error and "Traceback" not in doc.error and doc.text == "" and doc.n_chars == 0
        assert not doc.status == "error", f"an unexpected error is a bug: {doc.error}"
    else:
        assert doc.error is None and doc.text.strip() and doc.n_chars == len(doc.text)
        assert doc.lang in ("zh", "en") and doc.script in ("hans", "hant", "latn")
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in doc.text), "a lone surrogate in the text"
        for p in doc.provisions:
            assert 0 <= p.start <= p.end <= len(doc.text)
    to_table("documents", [document_row(doc)])
    to_table("provisions", [vars(p) for p in doc.provisions])
    mentions, rows = extractor().extract(doc)
    n = len(doc.text)
    for m in mentions:
        assert 0 <= m.start <= m.end <= n and doc.text[m.start:m.end] == m.text
    for r in rows:
        assert 0 <= r["start"] <= r["end"] <= n
        assert r["doc_id"] == doc.doc_id and 0.0 <= r["confidence"] <= 1.0
    to_table("mentions", [vars(m) for m in mentions])
    to_table("obligations", obligation_rows(rows, 0.0))


# ------------------------------------------------------------------ strategies
# Every codec a crawl delivers, and the error handlers that let broken text through.
ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "gb18030", "gbk", "big5", "cp950",
             "cp1252", "utf-32", "utf-8-sig"]

astral = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF)
specials = st.sampled_from([
    "\u200f", "\u200e", "\u202e", "\u202d", "\u2066", "\u2069", "\u061c",  # RTL / bidi controls
    "\u0301", "\u0308", "\u20dd", "\u3099", "\ufe0f", "\u200d", "\u200b", "\ufeff",  # combining, ZW
    "\ud800", "\udfff", "\udc80",  # lone surrogates
    "\x00", "\x1b", "\x85", "\u2028", "\u2029", "\r", "\r\n", "\f", "\u3000", "\ufffd",
    "𠀋", "𪚥", "〔2021〕", "（一）", "牵头", "负责", "shall", "The Secretary",
])
any_char = st.characters(codec=None, exclude_categories=())
_unicode_piece = st.one_of(any_char, astral, specials,
                          st.sampled_from(list("各地要认真贯彻落实。省发展改革委，各部门")))
unicode_text = st.lists(_unicode_piece, max_size=400).map("".join)
short_text = st.lists(_unicode_piece, max_size=12).map("".join)


@st.composite
def encoded_text(draw) -> bytes:
    text = draw(unicode_text)
    enc = draw(st.sampled_from(ENCODINGS))
    errors = "surrogatepass" if enc.startswith("utf") else draw(st.sampled_from(["replace", "ignore"]))
    try:
        return text.encode(enc, errors)
    except UnicodeEncodeError:  # utf-8-sig/gb18030 cannot pass surrogates
        return text.encode(enc, "replace") if not enc.startswith("utf") else \
            text.encode("utf-8", "surrogatepass")


TAGS = ["html", "head", "body", "title", "meta", "div", "p", "span", "table", "tr", "td", "br", "a",
        "script", "style", "ul", "li", "h1", "font", "pre", "iframe", "svg", "math", "template",
        "noscript", "textarea", "xmp", "plaintext", "select", "option", "frameset", "?xml", "!--",
        "![CDATA[", "!DOCTYPE html"]
ATTRS = st.sampled_from(['', ' class="x"', ' charset="gbk"', ' http-equiv="Content-Type" '
                         'content="text/html; charset=big5"', ' style="display:none"', ' id=a b=c',
                         ' href="javascript:alert(1)"', ' onload="x()"', ' =="', " '", ' a="&amp;&#0;"'])
ENTITIES = st.sampled_from(["&amp;", "&lt;", "&nbsp;", "&#0;", "&#xD800;", "&#x10FFFF;", "&#1114112;",
                            "&#99999999999;", "&nosuch;", "&", "&#", "&#x;", "&lol9;", "&ensp;"])
html_text = st.one_of(st.sampled_from(["各地要认真贯彻落实。", "省发展改革委牵头，省财政厅配合。",
                                       "The Secretary shall report within 90 days.", "首页 > 通知",
                                       "Copyright © 2020", "（一）加强组织领导。", ""]),
                      short_text, ENTITIES)


@st.composite
def html_fragment(draw) -> bytes:
    budget = [draw(st.integers(1, 40))]  # nodes in the page: keeps generation fast

    def node(depth: int) -> str:
        budget[0] -= 1
        if depth > 8 or budget[0] <= 0 or draw(st.integers(0, 3)) == 0:
            return draw(html_text)
        tag = draw(st.sampled_from(TAGS))
        inner = "".join(node(depth + 1) for _ in range(draw(st.integers(0, 4))))
        close = draw(st.sampled_from([f"</{tag.split()[0]}>", "", "</div>", "</"]))
        return f"<{tag}{draw(ATTRS)}>{inner}{close}"

    page = "".join(node(0) for _ in range(draw(st.integers(1, 4))))
    if draw(st.booleans()):
        page = "<!DOCTYPE html><html><head><title>关于做好工作的通知</title></head><body>" + page
    cut = draw(st.integers(0, len(page)))
    if draw(st.booleans()):
        page = page[:cut]  # truncated downloads
    enc = draw(st.sampled_from(["utf-8", "gb18030", "big5", "utf-16"]))
    return page.encode(enc, "replace")


@st.composite
def page_mixture(draw) -> bytes:
    lines = real_lines()
    idx = draw(st.lists(st.integers(0, len(lines) - 1), min_size=1, max_size=40))
    picked = [lines[i] for i in idx]
    if draw(st.booleans()):  # cut a line, as a truncated download would
        j = draw(st.integers(0, len(picked) - 1))
        picked[j] = picked[j][:draw(st.integers(0, len(picked[j])))]
    sep = draw(st.sampled_from(["\n", "\r\n", "\r", "\n\n", "", " "]))
    text = sep.join(picked)
    if draw(st.booleans()):
        text = "<html><body>" + "".join(f"<p>{x}</p>" for x in picked) + "</body></html>"
    enc = draw(st.sampled_from(["utf-8", "gb18030", "big5", "utf-16", "utf-8-sig", "cp950"]))
    data = text.encode(enc, "replace")
    if draw(st.integers(0, 4)) == 0:  # a stray byte or a cut multi-byte character
        k = draw(st.integers(0, len(data)))
        data = data[:k] + draw(st.binary(min_size=1, max_size=3)) + data[k:]
    return data


# ------------------------------------------------------------------ tests
@fuzz(600)
@given(st.binary(max_size=3000))
def test_random_bytes(data: bytes) -> None:
    check(data)


@fuzz(600)
@given(encoded_text())
def test_random_unicode_in_any_encoding(data: bytes) -> None:
    check(data)


@fuzz(350)
@given(html_fragment())
def test_random_html_fragments(data: bytes) -> None:
    check(data)


@fuzz(350)
@given(page_mixture())
def test_mixtures_of_real_page_lines(data: bytes) -> None:
    check(data)


@pytest.mark.parametrize("data", [
    b"", b"\xff\xfe", b"\xfe\xff\xd8\x00", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xed\xa0\x80",
    "\ud800各地要落实。".encode("utf-8", "surrogatepass"),
    "\ud800各地要落实。".encode("utf-16-le", "surrogatepass"),
    b"<html>" + "&#xD800;各地要落实。".encode() + b"</html>",
    "\u202e各地要认真落实。\u0301\u0301\u0301".encode(),
    "𠀋𪚥各部门要负责。".encode("utf-16"),
], ids=lambda d: repr(d[:12]))
def test_known_edge_cases(data: bytes) -> None:
    check(data)

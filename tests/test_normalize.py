"""normalize: spacing and broken lines, on real page text."""
from __future__ import annotations

import re
from pathlib import Path

from pipeline.normalize import join_broken_lines, normalize_text

DEV = Path(__file__).parent / "data" / "dev"
_WS = re.compile(r"\s+")


def test_letter_spaced_names_are_joined() -> None:
    assert normalize_text("  国家发展改革委\n\n  科  技  部\n\n  2021年4月7日") == \
        "国家发展改革委\n\n科技部\n\n2021年4月7日"
    assert normalize_text("標\u3000\u3000題: 通知") == "標題: 通知"


def test_spaces_between_names_are_kept() -> None:
    # Two multi-character names: the space separates two issuers.
    assert normalize_text("国家发展改革委 科技部关于深入推进全面创新改革工作的通知") == \
        "国家发展改革委 科技部关于深入推进全面创新改革工作的通知"
    assert normalize_text("Sec.\u00a05.  The  Secretary") == "Sec. 5. The Secretary"


def test_blank_lines_collapse_and_indent_goes() -> None:
    assert normalize_text("\u3000\u3000一、总体要求\n\n\n\n  正文。\n") == "一、总体要求\n\n正文。"


def test_chinese_headings_and_signatures_are_not_joined() -> None:
    lines = ["一、总体要求", "以习近平新时代中国特色社会主义思想为指导,全面贯彻。", "国家发展改革委", "科技部",
             "2021年4月7日"]
    assert join_broken_lines(lines) == lines


def test_chinese_broken_sentences_are_joined() -> None:
    assert join_broken_lines(["抄送:各全国学会、协会、研究会,各省、自治区、直辖市、副省级城", "市科协。"]) == \
        ["抄送:各全国学会、协会、研究会,各省、自治区、直辖市、副省级城市科协。"]
    assert join_broken_lines(["我們第一届全國人民代表大會第一次會議，在聽了報告", "，接着，又通過了法律。"]) == \
        ["我們第一届全國人民代表大會第一次會議，在聽了報告，接着，又通過了法律。"]
    assert join_broken_lines(["牵头单位:区发改局", "责任单位:立山经济开发区,全区经济运行各专班",
                              "2.规模上工业增加值增长5%左右。"]) == \
        ["牵头单位:区发改局", "责任单位:立山经济开发区,全区经济运行各专班", "2.规模上工业增加值增长5%左右。"]


def test_federal_register_wrapping() -> None:
    text = normalize_text((DEV / "en_eo13769_sec5_7.txt").read_text(encoding="utf-8"))
    lines = text.split("\n")
    starts = [x[:8] for x in lines]
    assert "(g) It i" in starts and "Sec. 7. " in starts and "(a) The " in starts and "(b) The " in starts
    g = next(x for x in lines if x.startswith("(g)"))
    assert "their jurisdictions of aliens" in g and "To that end, the Secretary" in g
    assert "National Commission on Terrorist Attacks" in text
    sec6 = next(x for x in lines if x.startswith("Sec. 6."))
    assert "Grounds of Inadmissibility. The Secretaries" in sec6


def test_content_is_unchanged_but_whitespace() -> None:
    for path in sorted(DEV.glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        out = normalize_text(raw)
        removed_hyphen = _WS.sub("", raw).replace("-", "")
        assert _WS.sub("", out).replace("-", "") == removed_hyphen, path.name
        assert "\n\n\n" not in out and "\u3000" not in out

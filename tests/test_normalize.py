"""normalize: spacing and broken lines, on real page text."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from pipeline import normalize
from pipeline.normalize import changed_by, join_broken_lines, normalize_text, to_simplified

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


def test_a_compound_broken_at_its_own_hyphen_keeps_it() -> None:
    # EO 13491: "shall serve as Co-Vice-" | "Chair"
    assert join_broken_lines(["(ii) the Director of National Intelligence, who shall serve as Co-Vice-",
                              "Chair;"]) == [
        "(ii) the Director of National Intelligence, who shall serve as Co-Vice-Chair;"]


def test_content_is_unchanged_but_whitespace() -> None:
    for path in sorted(DEV.glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        out = normalize_text(raw)
        removed_hyphen = _WS.sub("", raw).replace("-", "")
        assert _WS.sub("", out).replace("-", "") == removed_hyphen, path.name
        assert "\n\n\n" not in out and "\u3000" not in out


@pytest.fixture
def table_cache(tmp_path, monkeypatch):
    """An empty cache folder for the OpenCC tables, and no table memoised in this process."""
    monkeypatch.setattr(normalize, "CACHE_ROOT", tmp_path)
    changed_by.cache_clear()
    yield tmp_path
    changed_by.cache_clear()


def test_the_table_of_changed_characters_is_kept_and_read_back(table_cache, monkeypatch) -> None:
    t2s = changed_by("t2s")
    assert t2s[ord("國")] and t2s[ord("發")] and not t2s[ord("国")] and not t2s[ord("A")]
    assert changed_by("s2t")[ord("国")] and not changed_by("s2t")[ord("國")]
    (path,) = table_cache.glob("opencc_t2s.*.npy")
    assert path.stat().st_size < 150_000  # one bit per code point

    def no_build(config: str) -> np.ndarray:
        raise AssertionError("the cached table should have been read")

    monkeypatch.setattr(normalize, "_build_changed_by", no_build)
    changed_by.cache_clear()
    again = changed_by("t2s")
    assert again.dtype == bool and again.shape == t2s.shape and (again == t2s).all()


def test_a_table_others_could_have_written_is_rebuilt(table_cache, monkeypatch) -> None:
    expected = changed_by("t2s").copy()
    (path,) = table_cache.glob("opencc_t2s.*.npy")
    np.save(path, np.packbits(np.ones_like(expected)))  # a wrong table...
    table_cache.chmod(0o777)  # ...in a folder anyone can write
    built = []
    monkeypatch.setattr(normalize, "_build_changed_by",
                        lambda config, build=normalize._build_changed_by: built.append(config) or build(config))
    changed_by.cache_clear()
    try:
        assert (changed_by("t2s") == expected).all() and built == ["t2s"]
    finally:
        table_cache.chmod(0o700)


def test_simplified_text_converts_to_itself_without_opencc(table_cache, monkeypatch) -> None:
    changed_by("t2s")

    def no_opencc(config: str):
        raise AssertionError(f"OpenCC ({config}) loaded for text it does not change")

    monkeypatch.setattr(normalize, "opencc_converter", no_opencc)
    text = "各地区要在2022年10月底前完成排查（国家发展改革委牵头）。" * 20
    assert to_simplified(text) is text
    monkeypatch.undo()
    monkeypatch.setattr(normalize, "CACHE_ROOT", table_cache)
    assert to_simplified("各地區要在2022年10月底前完成排查（國家發展改革委牵頭）。") == \
        "各地区要在2022年10月底前完成排查（国家发展改革委牵头）。"


def test_table_rows_keep_their_cells_and_their_lines() -> None:
    # A division-of-work table pasted as text: cells separated by tabs.  The first row's
    # last cell looks unfinished (long, with a 、), but a row ends at its line.
    raw = ("序号\t重点任务\t牵头单位\t配合单位\t完成时限\n"
           "1\t建立企业诉求快速响应机制\t市工商联\t市发展改革委、市司法局\t2023年6月底前\n"
           "2\t开展营商环境评价  发布评价报告\t市发展改革委\t\t每年11月底前\n")
    assert normalize_text(raw).split("\n") == [
        "序号\t重点任务\t牵头单位\t配合单位\t完成时限",
        "1\t建立企业诉求快速响应机制\t市工商联\t市发展改革委、市司法局\t2023年6月底前",
        "2\t开展营商环境评价 发布评价报告\t市发展改革委\t每年11月底前"]
    # without the tabs, the same first line runs on into the next
    assert "\n" not in normalize_text(raw.replace("\t", " ")).split("\n", 1)[1]

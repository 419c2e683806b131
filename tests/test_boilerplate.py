"""boilerplate: gold strings survive, labelled boilerplate goes, HTML == text."""
from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest

from pipeline.boilerplate import (FEATURES, clean_html, clean_text, html_text_lines, load_model,
                                  read_labelled, train)
from pipeline.normalize import normalize_text

HERE = Path(__file__).parent
DEV = HERE / "data" / "dev"
RAW = HERE.parent / "corpus" / "raw"
SHARED = HERE.parents[1] / "shared" / "corpora"
_WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _WS.sub("", text)


def _squash_hyphens(text: str) -> str:
    # normalize undoes end-of-line hyphenation ("Ter-\nrorist"); gold keeps it sometimes.
    return _squash(text).replace("-", "")


def _clean(path: Path) -> str:
    return normalize_text(clean_text(path.read_text(encoding="utf-8"), 0.5).text)


@pytest.mark.parametrize("page", sorted(DEV.glob("*.txt")), ids=lambda p: p.stem)
def test_gold_strings_survive_cleaning(page: Path) -> None:
    body = _squash_hyphens(_clean(page))
    gold = [json.loads(x) for x in page.with_suffix(".gold.jsonl").read_text(encoding="utf-8").splitlines()
            if x.strip()]
    for row in gold:
        for key in ("actor", "duty"):
            assert _squash_hyphens(row[key]) in body, (key, row[key][:60])


def test_labelled_boilerplate_of_sample_pages_is_gone() -> None:
    cast = _clean(next(RAW.glob("002_*.txt")))
    for gone in ["联系我们", "相关链接", "深圳市海塞姆科技有限公司", "Copyright", "ICP备", "首页 >",
                 "中文 | English", "office@cstam.org.cn", "发布日期"]:
        assert gone not in cast, gone
    for kept in ["机关各部门,各直属单位:", "中国科协办公厅关于印发", "一、总体要求", "中国科协办公厅"]:
        assert kept in cast, kept
    ndrc = _clean(next(RAW.glob("003_*.txt")))
    assert "浏览:157次" not in ndrc and "时间:2021-04-12" not in ndrc
    assert ndrc.endswith("国家发展改革委\n\n科技部\n\n2021年4月7日")
    assert ndrc.startswith("国家发展改革委 科技部关于深入推进全面创新改革工作的通知")


def test_metadata_table_goes_title_stays() -> None:
    body = _clean(DEV / "zh_gov2014_agri_big5.txt")
    assert "索引號" not in body and "主題分類" not in body and "發佈日期" not in body
    assert "國務院辦公廳關於落實中共中央國務院" in body and "國辦函〔2014〕31號" in body


def test_heldout_accuracy(tmp_path: Path) -> None:
    model = train(out_path=tmp_path / "bp.json")
    assert model["n_lines"] >= 250 and model["n_docs"] >= 10
    assert model["heldout_accuracy"] >= 0.88
    assert set(model["weights"]) == set(FEATURES)


def test_model_on_disk_is_plain_json() -> None:
    weights = load_model()
    assert set(weights) == set(FEATURES)
    rows = read_labelled()
    assert {label for _, label, _ in rows} == {0, 1}


def _render_html(text: str) -> str:
    nav = "".join(f'<li><a href="/c{i}">栏目{i}</a></li>' for i in range(12))
    paras = "".join(f"<p>{html.escape(x.strip())}</p>\n" for x in text.split("\n") if x.strip())
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>页面</title>"
        "<script>var x = '<p>not text</p>';</script><style>p{}</style></head><body>"
        f"<div class='nav'><ul>{nav}</ul></div><div class='crumb'>首页 &gt; 政策 &gt; 通知</div>"
        f"<div class='article'>{paras}</div>"
        "<div class='share'>分享到: 微信 微博</div>"
        "<div class='footer'><p>联系我们 | 网站地图</p><p>Copyright © 2021 版权所有 京ICP备05039218号</p></div>"
        "</body></html>")


@pytest.mark.parametrize("name", ["seed_ndrc2021", "zh_sichuan2022_logistics", "en_mofcom_main_responsibilities"])
def test_html_rendering_gives_same_body(name: str) -> None:
    page = (DEV / f"{name}.txt").read_text(encoding="utf-8")
    from_text = _squash(normalize_text(clean_text(page, 0.5).text))
    body = clean_html(_render_html(page))
    from_html = _squash(normalize_text(body.text))
    assert from_html == from_text
    assert body.title_hint == "页面"
    assert "栏目3" not in from_html and "not text" not in from_html


def test_pathological_html_does_not_crash() -> None:
    deep = "<div>" * 20000 + "<p>深层正文。各地要落实。</p>" + "</div>" * 20000
    assert "各地要落实" in clean_html(deep).text
    truncated = "<html><body><p>各地要高度重视,将全面创新改革作为重点任务来抓。</p><p>未完的段落<span cla"
    assert "各地要高度重视" in clean_html(truncated).text
    assert html_text_lines("<p>a<b>b</p><!-- c")[:2] == ["", "ab"]


@pytest.mark.slow
def test_govcn2019_pages_keep_their_title() -> None:
    root = SHARED / "govcn2019"
    if not root.exists():
        pytest.skip("../shared/corpora is absent")
    with open(root / "index.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 60
    missing = []
    for row in rows:
        body = clean_html((root / row["file"]).read_text(encoding="utf-8"))
        text = _squash(normalize_text(body.text))
        if len(text) < 100 or _squash(row["title"]) not in text:
            missing.append(row["file"])
    assert not missing


def test_tags_of_any_length_are_stripped_and_angle_brackets_in_text_kept() -> None:
    img = "<img src=\"data:image/png;base64," + "A" * 50_000 + "\">"
    lines = [x for x in html_text_lines(f"<p>甲 < 乙</p>{img}<p>依据<中华人民共和国水法>执行。</p>") if x]
    assert lines == ["甲 < 乙", "依据<中华人民共和国水法>执行。"]


def test_a_page_whose_parse_stops_at_a_huge_attribute_keeps_its_body() -> None:
    body = "<p>各地要认真贯彻落实有关要求，省发展改革委负责组织实施。</p><p>省水利厅牵头，省财政厅配合。</p>"
    page = (f"<html><head><title>关于防汛工作的通知</title></head><body><div>首页 &gt; 通知</div>"
            f"<img src=\"data:image/png;base64,{'QUJD' * 3_000_000}\"><div>{body}</div></body></html>")
    text = clean_html(page).text
    assert "省发展改革委负责组织实施" in text and "省财政厅配合" in text and "base64" not in text


def test_print_page_numbers_go_and_the_sentence_they_cut_runs_on() -> None:
    # Federal Register text (EO 13927, EO 13151): page numbers on lines of their own, and
    # item labels set apart from their items
    raw = ("(b) To facilitate the Nation's economic recovery, the Secretary of Defense, the Secretary\n"
           "of the Interior, and the Secretary of Agriculture shall use\n\n[[Page 35167]]\n\n"
           "all relevant emergency and other authorities to expedite work.\n\n[[Page 35168]]\n\n"
           "Sec. 3. Responsibilities. (a) The Committee shall:\n\n(1)\n\n"
           "serve as the United States Government's single entity for all matters;\n\n(2)\n\n"
           "provide leadership and high-level coordination of Network activities;\n")
    lines = clean_text(raw, 0.0).text.split("\n")
    assert "[[Page" not in "\n".join(lines)
    assert lines[:3] == ["(b) To facilitate the Nation's economic recovery, the Secretary of Defense, the Secretary",
                         "of the Interior, and the Secretary of Agriculture shall use",
                         "all relevant emergency and other authorities to expedite work."]
    assert lines[3] == ""  # the page number after a full stop leaves the paragraph gap
    assert "(1) serve as the United States Government's single entity for all matters;" in lines
    assert "(2) provide leadership and high-level coordination of Network activities;" in lines


def _word_table(rows: list[tuple[str, ...]]) -> str:
    """A table as Word exports it to HTML: every cell's text inside a paragraph."""
    def td(text: str) -> str:
        return ('<td width="120" valign="top"><p class="MsoNormal" align="center">'
                f'<span style="font-family:仿宋_GB2312">{text}</span></p></td>' if text else "<td></td>")
    return ('<table class="MsoTableGrid" border="1">'
            + "".join("<tr>" + "".join(td(c) for c in row) + "</tr>" for row in rows) + "</table>")


def test_a_word_table_keeps_one_line_per_row_and_its_header() -> None:
    rows = [("序号", "重点任务", "牵头单位", "配合单位", "完成时限"),
            ("1", "建立企业诉求快速响应机制，及时回应企业关切", "市工商联", "市发展改革委、市司法局", "2023年6月底前"),
            ("2", "开展营商环境评价，发布评价报告", "市发展改革委", "", "每年11月底前")]
    intro = ("<p>为进一步明确责任分工，确保各项工作任务落到实处，现将2023年重点工作任务分解如下，"
             "请各责任单位认真抓好落实，并于每季度末将进展情况报市政府办公室。</p>")
    page = (f"<html><head><title>关于印发重点任务分工方案的通知</title></head><body>"
            f"<div class='nav'>首页 | 政务公开 | 政策文件</div><div class='content'>"
            f"<h1>关于印发重点任务分工方案的通知</h1>{intro * 2}{_word_table(rows)}"
            f"<p>XX市人民政府办公室</p></div><div class='foot'>版权所有：XX市人民政府</div></body></html>")
    lines = normalize_text(clean_html(page).text).split("\n")
    # the header row, short cells and bars like a menu, stays with the rows under it;
    # an empty cell keeps its place
    assert lines[-4:-1] == ["序号 | 重点任务 | 牵头单位 | 配合单位 | 完成时限",
                            "1 | 建立企业诉求快速响应机制，及时回应企业关切 | 市工商联 | 市发展改革委、市司法局 | 2023年6月底前",
                            "2 | 开展营商环境评价，发布评价报告 | 市发展改革委 | | 每年11月底前"]
    assert "政务公开" not in "\n".join(lines)


def test_a_page_laid_out_in_a_table_is_not_a_table_row() -> None:
    paragraphs = "".join(f"<p>第{i}条 各地要认真落实本办法的各项要求，加强组织领导。</p>" for i in range(1, 20))
    page = (f"<html><head><title>管理办法</title></head><body><table><tr><td>栏目导航</td>"
            f"<td>{paragraphs}</td></tr></table></body></html>")
    text = clean_html(page).text
    assert "|" not in text and "第19条 各地要认真落实" in text


@pytest.mark.skipif(not (SHARED / "govcn2019").is_dir(), reason="the State Council pages are not here")
def test_a_real_indicator_table_stays_whole() -> None:
    # 国办发〔2019〕4号's annex: 55 indicator rows, most opening with cells merged down from above
    text = normalize_text(clean_html((SHARED / "govcn2019" / "govcn2019_04.html").read_text(encoding="utf-8")).text)
    rows = [x for x in text.split("\n") if x.count("|") == 4]
    assert rows[0] == "一级指标 | 二级指标 | 三级指标 | 指标性质 | 指标说明"
    assert len(rows) == 56 and rows[-1].startswith("| （十四） | 55.医务人员满意度")


def test_a_table_header_naming_the_host_agency_is_not_a_footer() -> None:
    # 主辦機關 (lead agency) heads a column; 主辦單位： (site host) opens a footer line
    raw = ("行政院公報 > 法規命令\n關於推動數位轉型的實施計畫\n"
           "一、推動數位政府建設，完善雲端服務平台（數位發展部牽頭，2024年12月底前完成）。\n"
           "序號\t重點任務\t主辦機關\t協辦機關\t完成期限\n"
           "1\t建置資料治理機制\t數位發展部\t各部會\t2024年6月底前\n"
           "網站導覽 | 隱私權政策 | 政府網站資料開放宣告\n主辦單位：行政院\n")
    lines = clean_text(raw, 0.5).text.split("\n")
    assert "序號\t重點任務\t主辦機關\t協辦機關\t完成期限" in lines
    assert not any(x.startswith(("行政院公報", "網站導覽", "主辦單位")) for x in lines)


def test_character_classes_are_counted_as_the_regexes_count_them() -> None:
    # Scoring counts digits, CJK, Latin letters and punctuation for a whole page at once
    # with a table of code points; each count is what a regex over the line gives.
    from pipeline.boilerplate import _class_counts

    classes = {1: r"[0-9０-９]", 2: r"[\u4e00-\u9fff\u3400-\u4dbf]", 3: r"[A-Za-z]",
               4: r"[，。、；：！？,.;:!?（）()“”《》]"}
    pages = [*sorted(DEV.glob("*.txt")), *sorted((HERE / "data" / "hostile").iterdir())]
    lines = [x[:400] for page in pages for x in page.read_bytes().decode("utf-8", "replace").split("\n")]
    lines += ["", "𠀀𪚥 Ｕ+FFFF \uffff ０９", "\ud800 lone surrogate 1"]
    counts = _class_counts(lines)
    for cls, pattern in classes.items():
        assert counts[cls] == [len(re.findall(pattern, x)) for x in lines], pattern
    assert sum(counts[2]) > 5_000 and sum(counts[1]) > 100 and sum(counts[3]) > 1_000
    assert _class_counts([]) == {1: [], 2: [], 3: [], 4: []}


def test_feature_rows_follow_the_feature_names() -> None:
    # scoring reads rows against FEATURES by position: a feature added to one and not the
    # other must fail here rather than shift every weight by one
    from pipeline.boilerplate import _CUES, _feature_rows, line_features

    lines = [x.strip() for x in (DEV / "seed_cast2018.txt").read_text(encoding="utf-8").split("\n") if x.strip()]
    rows = _feature_rows(lines)
    assert {len(row) for row in rows} == {len(FEATURES)}
    start = FEATURES.index(_CUES[0])
    assert FEATURES[start:start + len(_CUES)] == _CUES
    feats = line_features(lines)
    assert feats[0]["bias"] == 1.0 and all(list(f) == FEATURES for f in feats)
    assert any(f["cjk"] > 0.5 for f in feats) and any(f["final"] == 1.0 for f in feats)

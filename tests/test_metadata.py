"""Tests for pipeline.metadata on real pages (dev pages, sample corpus, govcn2019)."""
from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest

from pipeline.metadata import extract_metadata, find_doc_number, parse_date
from pipeline.normalize import normalize_text

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "dev"
GOVCN = ROOT.parent / "shared" / "corpora" / "govcn2019"
_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h\d>")
_TITLE = re.compile(r"(?is)<title>(.*?)</title>")


def _meta(name: str) -> dict:
    raw = (DEV / f"{name}.txt").read_text(encoding="utf-8")
    return extract_metadata(raw.split("\n"), normalize_text(raw))


def html_page(path: Path) -> tuple[list[str], str, str | None]:
    """Crude text of an HTML page: raw lines, normalised body, <title>."""
    import lxml.html

    html = path.read_text(encoding="utf-8")
    title = _TITLE.search(html)
    text = lxml.html.fromstring(_BLOCK_END.sub("\n", html)).text_content()
    return text.split("\n"), normalize_text(text), title.group(1).strip() if title else None


def test_big5_gateway_page_fields_and_script():
    m = _meta("zh_gov2014_agri_big5")
    assert m["issuer"] == "國務院辦公廳"
    assert m["doc_number"] == "國辦函〔2014〕31號"
    assert m["script"] == "hant" and m["lang"] == "zh"
    assert m["issued"] == dt.date(2014, 2, 23)  # 成文日期 wins over 發佈日期
    assert m["title"].startswith("國務院辦公廳關於落實") and m["title"].endswith("分工的通知")


def test_lishan_number_signature_date_and_title():
    m = _meta("zh_lishan2023_division")
    assert m["doc_number"] == "鞍立政发〔2023〕2号"
    assert m["issued"] == dt.date(2023, 3, 28)
    assert m["issuer"] == "立山区人民政府"
    assert m["script"] == "hans"
    assert "关于印发" in m["title"] and m["title"].endswith("的通知")


def test_signature_date_preferred_and_joint_issuers():
    m = _meta("seed_ndrc2021")
    assert m["issued"] == dt.date(2021, 4, 7)  # not the 时间:2021-04-12 publication line
    assert m["issuer"] == "国家发展改革委、科技部"


def test_broken_signature_date_falls_back_to_publication_date():
    m = _meta("seed_cast2018")  # signature date printed as "201842"
    assert m["issued"] == dt.date(2018, 4, 13)
    assert m["issuer"] == "中国科协办公厅"
    assert m["title"] == "中国科协办公厅关于印发《2018年科协系统深化改革重点任务》的通知"


def test_signature_issuer_without_title_body():
    m = _meta("zh_sichuan2022_logistics")
    assert m["issuer"] == "四川省发展和改革委员会"
    assert m["issued"] == dt.date(2022, 10, 18)


def test_english_pages():
    m = _meta("en_gov_cn_work_report_tasks_2019")
    assert (m["lang"], m["script"], m["issued"]) == ("en", "latn", dt.date(2019, 4, 9))
    assert m["title"] == "Division of tasks laid out for implementing govt work report"
    m = _meta("en_mofcom_main_responsibilities")
    assert m["issued"] == dt.date(2006, 11, 16) and m["issuer"] == "Ministry of Commerce"
    m = _meta("seed_wenzhou_functions")
    assert m["title"] == "Functions of Wenzhou Municipal Science and Technology Bureau"
    assert m["issuer"] == "Wenzhou Municipal Science and Technology Bureau"
    m = _meta("en_eo13769_sec5_7")
    assert m["issued"] == dt.date(2017, 2, 1)  # the Federal Register header


@pytest.mark.parametrize("text, expected", [
    ("发布日期:2018年04月13日", dt.date(2018, 4, 13)),
    ("成文日期 2025-02-28", dt.date(2025, 2, 28)),
    ("一九九六年六月二十九日", dt.date(1996, 6, 29)),
    ("二〇〇四年四月二十七日", dt.date(2004, 4, 27)),
    ("Updated: Apr 9,2019 7:43 PM", dt.date(2019, 4, 9)),
    ("Executive Order 13096 of August 6, 1998", dt.date(1998, 8, 6)),
    ("201842", None),
    ("2018年2月30日", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("国办发〔2018〕128号", "国办发〔2018〕128号"),
    ("粤府[2021]22号", "粤府[2021]22号"),
    ("粤府（2021）22号", "粤府（2021）22号"),
    ("中华人民共和国国务院令\n第707号", "国令第707号"),
    ("Executive Order 13096 of August 6, 1998", "Executive Order 13096"),
    ("X.B. [2018] No. 65", "X.B. [2018] No. 65"),
    ("根据2018年第2次会议精神", None),
])
def test_doc_numbers(text, expected):
    assert find_doc_number(text, text) == expected


def test_executive_order_metadata():
    raw = ("Federal Register / Vol. 63, No. 154 / Tuesday, August 11, 1998 / Presidential Documents\n"
           "Executive Order 13096 of August 6, 1998\nAmerican Indian and Alaska Native Education\n"
           "By the authority vested in me as President, it is hereby ordered as follows:")
    m = extract_metadata(raw.split("\n"), raw)
    assert m["doc_number"] == "Executive Order 13096"
    assert m["issued"] == dt.date(1998, 8, 6)
    assert m["issuer"] == "President of the United States"


def _month_back(value: str) -> dt.date | None:
    # index.csv's 成文日期 is one month late (a 0-based month written as 1-based):
    # 2019-02-27 for a text signed 2019年1月27日, 1996-07-29 for 一九九六年六月二十九日.
    d = dt.date.fromisoformat(value[:10])
    year, month = (d.year, d.month - 1) if d.month > 1 else (d.year - 1, 12)
    try:
        return dt.date(year, month, d.day)
    except ValueError:
        return None


def test_govcn2019_accuracy():
    if not (GOVCN / "index.csv").exists():
        pytest.skip("../shared/corpora/govcn2019 is not present")
    rows = list(csv.DictReader((GOVCN / "index.csv").open(encoding="utf-8")))
    hits = {"title": 0, "title_from_body": 0, "doc_number": 0, "issuer": 0, "issued": 0}
    for row in rows:
        raw_lines, body, html_title = html_page(GOVCN / row["file"])
        m = extract_metadata(raw_lines, body, html_title)
        m_body = extract_metadata(raw_lines, body, None)
        hits["title"] += m["title"] == row["title"]
        hits["title_from_body"] += (m_body["title"] or "").replace(" ", "") == row["title"].replace(" ", "")
        hits["doc_number"] += m["doc_number"] == row["doc_number"]
        hits["issuer"] += m["issuer"] == row["issuer"]
        hits["issued"] += m["issued"] == _month_back(row["written"])
        assert m["lang"] == "zh" and m["script"] == "hans"
    n = len(rows)
    assert n == 60
    for key, value in hits.items():
        assert value >= 0.9 * n, (key, value, n)


def test_english_patterns_skipped_on_pages_without_their_words_find_what_they_found():
    # _EO, _EO_OF, _DOCNO_EN and _UPDATED open with \b (re tries them at every position), so
    # they are searched only in texts holding their words; the matches are the same.
    from pipeline import metadata as M

    cases = [(M._EO, ("Executive",), False), (M._EO_OF, ("Executive",), False),
             (M._DOCNO_EN, ("No.",), False), (M._UPDATED, M._UPDATED_WORDS, True)]
    texts = ["Executive Order 13769 of January 27, 2017", "executive order 13769", "Ex. Order 1",
             "Guo Ban Fa [2018] No. 65", "X.B. (2019) No. 3", "no. 5", "Updated: 2020-01-02",
             "RELEASE DATE : Jan 3, 2021", "PUBLİSHED: 2020", "publıshed: 2020", "发布日期：2020年1月2日",
             *(p.read_text(encoding="utf-8") for p in sorted((Path(__file__).parent / "data" / "dev").glob("*.txt")))]
    for rx, needles, fold in cases:
        for text in texts:
            found, direct = M._search_with(rx, text, needles, fold), rx.search(text)
            assert (found and found.span()) == (direct and direct.span()), (rx.pattern, text[:40])

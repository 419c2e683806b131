"""Deadline finding and normalisation, on hand-written cases and on real pages."""
from __future__ import annotations

import collections
import html
import re
from datetime import date
from pathlib import Path

import pytest

from pipeline.deadlines import DeadlineSpan, DueDate, find_deadlines, normalize_deadline

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "dev"
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
ISSUED = date(2021, 4, 7)


def _texts(spans: list[DeadlineSpan]) -> list[str]:
    return [s.text for s in spans]


# ---------------------------------------------------------------- finding

# (sentence, expected spans in order)
ZH_FIND = [
    ("各地要于2022年10月底前完成清理工作。", ["2022年10月底前"]),
    ("2022年底前,建成统一平台。", ["2022年底前"]),
    ("2020年年底前省属重点文化企业完成改制。", ["2020年年底前"]),
    ("年底前完成。", ["年底前"]),
    ("年内完成首批试点(市发改委牵头)。", ["年内"]),
    ("并在每年4月底之前向国家发展改革委报送建议书。", ["每年4月底之前"]),
    ("每年一季度召开联席会议。", ["每年一季度"]),
    ("每季度通报一次,每月报送进度。", ["每季度", "每月"]),
    ("区政府办公室于每月5日前汇总上报进展情况。", ["每月5日前"]),
    ("2023年6月30日前完成验收。", ["2023年6月30日前"]),
    ("6月底前完成,市财政局负责。", ["6月底前"]),
    ("争取三年内实现全覆盖,3年内完成改造。", ["三年内", "3年内"]),
    ("2025年前基本建成。", ["2025年前"]),
    ("到2025年,基本形成现代物流体系。", ["到2025年"]),
    ("“十四五”期间,持续加大投入。", ["“十四五”期间"]),
    ("十四五期间推进改革。", ["十四五期间"]),
    ("十四五时期推进改革。", ["十四五时期"]),
    ("(市科技局牵头,长期坚持)", ["长期坚持"]),
    ("(市发改委牵头,持续推进)", ["持续推进"]),
    ("(市审改办牵头,年内持续推进)", ["年内持续推进"]),
    ("(各区县负责,逐年推进)", ["逐年推进"]),
    ("2024年起,全面实行新标准。", ["2024年起"]),
    ("各地要自本通知印发之日起30日内报送方案。", ["自本通知印发之日起30日内"]),
    ("2023—2025年,每年安排专项资金。", ["2023—2025年", "每年"]),
    ("执行期限为2019年1月1日至2020年12月31日。", ["2019年1月1日至2020年12月31日"]),
    ("(有关部门负责,立即执行)", ["立即执行"]),
    ("应当自受理申请之日起20日内作出决定。", ["自受理申请之日起20日内"]),
    ("各省、自治区、直辖市人民政府要在本意见印发之日起30日内制定方案。", ["在本意见印发之日起30日内"]),
]

ZH_NEGATIVE = [
    "国家发展改革委\n2021年4月7日\n",
    "2016年以来,全面创新改革试验突破了一批体制机制障碍。",
    "关于印发2018年科协系统深化改革重点任务的通知",
    "2019年政府工作报告",
    "增速达到6.5%,占比12.3%。",
    "国办发〔2018〕128号",
    "《物流业发展规划(2021—2025年)》",
    "2023—2025年行动计划",
    "要持续推进改革,长期使用权归科研人员。",
    "实现制度化、常态化推进。",
    "扣除标准为每月1500元。",
    "短期固定期限劳动合同",
    "3月19日新疆阿图什6.9级、5月3日内蒙古包头西6.4级地震",
    "近三年内未发生重大事故。",
    "本办法自2019年1月1日起施行。",
]

EN_FIND = [
    ("shall submit a report within 90 days of the date of this order.", ["within 90 days of the date of this order"]),
    ("within 100 days of the date of this order", ["within 100 days of the date of this order"]),
    ("Not later than 1 year after the date of enactment of this Act, the Secretary shall",
     ["Not later than 1 year after the date of enactment of this Act"]),
    ("shall be completed no later than December 31, 2025.", ["no later than December 31, 2025"]),
    ("shall be published by 31 December 2025.", ["by 31 December 2025"]),
    ("by the end of fiscal year 2021, each agency shall", ["by the end of fiscal year 2021"]),
    ("as of 10 July 2020, the list shall", ["as of 10 July 2020"]),
    ("shall report annually to the President", ["annually"]),
    ("shall review the list on an annual basis", ["on an annual basis"]),
    ("The council shall meet every 6 months.", ["every 6 months"]),
    ("shall periodically review", ["periodically"]),
    ("within 30 days after receipt of the request", ["within 30 days after receipt of the request"]),
    ("Not later than 180 days after the date of this order, and every 180 days thereafter, the Secretary",
     ["Not later than 180 days after the date of this order", "every 180 days thereafter"]),
    ("and annually thereafter.", ["annually thereafter"]),
    ("Not later than 72 hours after the commander's order", ["Not later than 72 hours"]),
]

EN_NEGATIVE = [
    "Sec. 5. Realignment of the U.S. Refugee Admissions Program.",
    "pursuant to section 212(f) of the INA",
    "Federal Register / Vol. 82, No. 20 / Monday, January 30, 2017 / Presidential Documents",
    "Executive Order 13096 of August 6, 1998 (American Indian and Alaska Native Education)",
    "Weekly Compilation of Presidential Documents",
    "shall be imprisoned not more than 5 years",
    "filed later than 30 days after the hearing",
    "the President periodic reports on the progress",
]


@pytest.mark.parametrize("text,expected", ZH_FIND)
def test_find_zh(text: str, expected: list[str]) -> None:
    assert _texts(find_deadlines(text, "zh")) == expected


@pytest.mark.parametrize("text", ZH_NEGATIVE)
def test_find_zh_negatives(text: str) -> None:
    assert find_deadlines(text, "zh") == []


@pytest.mark.parametrize("text,expected", EN_FIND)
def test_find_en(text: str, expected: list[str]) -> None:
    assert _texts(find_deadlines(text, "en")) == expected


@pytest.mark.parametrize("text", EN_NEGATIVE)
def test_find_en_negatives(text: str) -> None:
    assert find_deadlines(text, "en") == []


def test_spans_are_exact_sorted_and_disjoint() -> None:
    text = "".join(t for t, _ in ZH_FIND)
    spans = find_deadlines(text, "zh")
    assert spans
    for a, b in zip(spans, spans[1:]):
        assert a.end <= b.start
    for s in spans:
        assert text[s.start:s.end] == s.text


def test_longest_match_wins() -> None:
    # 年内 is inside 三年内 and 年内持续推进; 10月底前 is inside 2022年10月底前
    assert _texts(find_deadlines("三年内完成", "zh")) == ["三年内"]
    assert _texts(find_deadlines("(年内持续推进)", "zh")) == ["年内持续推进"]
    assert _texts(find_deadlines("2022年10月底前完成", "zh")) == ["2022年10月底前"]


def test_chinese_patterns_let_re_skip_to_where_a_match_can_start() -> None:
    # A pattern that starts with a look-around or an optional part is tried at every
    # position of a page; with a literal or a character class first, re skips ahead.
    from re import _compiler, _parser  # the module re itself compiles with

    from pipeline import deadlines

    for rule in deadlines._ZH_RULES:
        flags = rule.pattern.flags
        parsed = _parser.parse(rule.pattern.pattern, flags)
        prefix, _, _ = _compiler._get_literal_prefix(parsed, flags)
        assert prefix or _compiler._get_charset_prefix(parsed, flags), rule.pattern.pattern


def test_find_empty_and_unknown_lang() -> None:
    assert find_deadlines("", "zh") == []
    # an unknown language runs both pattern sets
    assert _texts(find_deadlines("年底前完成 and annually", "xx")) == ["年底前", "annually"]


# ---------------------------------------------------------------- normalising

D = date
# (text, lang, issued, kind, due_start, due_end, normalized)
NORMALIZE = [
    ("2022年10月底前", "zh", ISSUED, "date", None, D(2022, 10, 31), "2022-10-31"),
    ("2022年10月底前", "zh", None, "date", None, D(2022, 10, 31), "2022-10-31"),
    ("2022年底前", "zh", ISSUED, "date", None, D(2022, 12, 31), "2022-12-31"),
    ("年底前", "zh", ISSUED, "date", None, D(2021, 12, 31), "2021-12-31"),
    ("年底前", "zh", None, "date", None, None, "Y-12-31"),
    ("年内", "zh", ISSUED, "period", ISSUED, D(2021, 12, 31), "2021-04-07/2021-12-31"),
    ("年内", "zh", None, "period", None, None, "Y"),
    ("每年4月底之前", "zh", ISSUED, "recurring", ISSUED, D(2021, 4, 30), "every year by 04-30"),
    ("每年4月底之前", "zh", D(2021, 5, 10), "recurring", D(2021, 5, 10), D(2022, 4, 30), "every year by 04-30"),
    ("每年4月底之前", "zh", None, "recurring", None, None, "every year by 04-30"),
    ("每年2月底前", "zh", D(2019, 3, 1), "recurring", D(2019, 3, 1), D(2020, 2, 29), "every year by 02-28"),
    ("每年一季度", "zh", D(2021, 2, 1), "recurring", D(2021, 2, 1), D(2021, 3, 31), "every year in Q1"),
    ("每月5日前", "zh", D(2023, 2, 20), "recurring", D(2023, 2, 20), D(2023, 3, 5), "every month by day 05"),
    ("每月三十一日前", "zh", D(2023, 2, 20), "recurring", D(2023, 2, 20), D(2023, 2, 28), "every month by day 31"),
    ("每月", "zh", D(2023, 2, 20), "recurring", D(2023, 2, 20), D(2023, 2, 28), "every month"),
    ("每季度", "zh", ISSUED, "recurring", ISSUED, D(2021, 6, 30), "every quarter"),
    ("每月", "zh", ISSUED, "recurring", ISSUED, D(2021, 4, 30), "every month"),
    ("2023年6月30日前", "zh", ISSUED, "date", None, D(2023, 6, 30), "2023-06-30"),
    ("6月底前", "zh", ISSUED, "date", None, D(2021, 6, 30), "2021-06-30"),
    ("3月底前", "zh", ISSUED, "date", None, D(2022, 3, 31), "2022-03-31"),
    ("6月底前", "zh", None, "date", None, None, "Y-06-30"),
    ("三年内", "zh", ISSUED, "period", ISSUED, D(2024, 4, 7), "P3Y"),
    ("3年内", "zh", None, "period", None, None, "P3Y"),
    ("半年内", "zh", ISSUED, "period", ISSUED, D(2021, 10, 7), "P6M"),
    ("2025年前", "zh", ISSUED, "date", None, D(2025, 12, 31), "2025-12-31"),
    ("到2025年", "zh", None, "date", None, D(2025, 12, 31), "2025-12-31"),
    ("到2020年底", "zh", None, "date", None, D(2020, 12, 31), "2020-12-31"),
    ("“十四五”期间", "zh", None, "period", D(2021, 1, 1), D(2025, 12, 31), "2021-01-01/2025-12-31"),
    ("十四五时期", "zh", ISSUED, "period", D(2021, 1, 1), D(2025, 12, 31), "2021-01-01/2025-12-31"),
    ("“九五”期间", "zh", None, "period", D(1996, 1, 1), D(2000, 12, 31), "1996-01-01/2000-12-31"),
    ("长期坚持", "zh", ISSUED, "ongoing", None, None, "ongoing"),
    ("持续推进", "zh", None, "ongoing", None, None, "ongoing"),
    ("年内持续推进", "zh", ISSUED, "ongoing", ISSUED, D(2021, 12, 31), "ongoing/2021-12-31"),
    ("年内持续推进", "zh", None, "ongoing", None, None, "ongoing/Y-12-31"),
    ("2024年起", "zh", ISSUED, "period", D(2024, 1, 1), None, "2024-01-01/.."),
    ("自本通知印发之日起30日内", "zh", ISSUED, "relative", ISSUED, D(2021, 5, 7), "R+30D"),
    ("自受理申请之日起20日内", "zh", ISSUED, "relative", None, None, "R+20D"),
    ("2023—2025年", "zh", None, "period", D(2023, 1, 1), D(2025, 12, 31), "2023-01-01/2025-12-31"),
    ("2019年1月1日至2020年12月31日", "zh", None, "period", D(2019, 1, 1), D(2020, 12, 31),
     "2019-01-01/2020-12-31"),
    ("立即执行", "zh", ISSUED, "relative", ISSUED, ISSUED, "R+0D"),
    ("within 90 days of the date of this order", "en", ISSUED, "relative", ISSUED, D(2021, 7, 6), "R+90D"),
    ("within 90 days of the date of this order", "en", None, "relative", None, None, "R+90D"),
    ("not later than 1 year after the date of enactment", "en", ISSUED, "relative", ISSUED, D(2022, 4, 7), "R+1Y"),
    ("within 30 days after receipt of the request", "en", ISSUED, "relative", None, None, "R+30D"),
    ("no later than December 31, 2025", "en", None, "date", None, D(2025, 12, 31), "2025-12-31"),
    ("by 31 December 2025", "en", None, "date", None, D(2025, 12, 31), "2025-12-31"),
    ("by the end of fiscal year 2021", "en", None, "date", None, D(2021, 9, 30), "2021-09-30"),
    ("as of 10 July 2020", "en", None, "date", None, D(2020, 7, 10), "2020-07-10"),
    ("annually", "en", ISSUED, "recurring", ISSUED, D(2021, 12, 31), "every year"),
    ("on an annual basis", "en", None, "recurring", None, None, "every year"),
    ("every 6 months", "en", ISSUED, "recurring", ISSUED, D(2021, 10, 7), "every 6 months"),
    ("periodically", "en", None, "recurring", None, None, "periodic"),
    ("every 180 days thereafter", "en", None, "recurring", None, None, "every 180 days"),
    ("on an ongoing basis", "en", ISSUED, "ongoing", None, None, "ongoing"),
]


@pytest.mark.parametrize("text,lang,issued,kind,start,end,norm", NORMALIZE)
def test_normalize(text: str, lang: str, issued: date | None, kind: str,
                   start: date | None, end: date | None, norm: str) -> None:
    assert normalize_deadline(text, lang, issued) == DueDate(kind, start, end, norm)


@pytest.mark.parametrize("text", ["", "   ", "随便什么", "blah", "每", "〔2018〕", "within days", "2099年99月底前", None])
def test_normalize_never_raises(text: str) -> None:
    out = normalize_deadline(text, "zh", ISSUED)  # type: ignore[arg-type]
    assert out.kind in {"date", "period", "recurring", "ongoing", "relative"}


def test_normalize_never_invents_a_date() -> None:
    for text, _ in ZH_FIND:
        for span in find_deadlines(text, "zh"):
            due = normalize_deadline(span.text, "zh", None)
            if not re.search(r"(?:19|20)\d\d|十[一二三四五六七八九]五|[六七八九]五", span.text):
                assert due.due_start is None and due.due_end is None, span.text


# ---------------------------------------------------------------- real pages

def test_ndrc2021_recurring_deadline() -> None:
    text = (DEV / "seed_ndrc2021.txt").read_text(encoding="utf-8")
    spans = find_deadlines(text, "zh")
    assert "每年4月底之前" in _texts(spans)
    due = normalize_deadline("每年4月底之前", "zh", date(2021, 4, 7))
    assert due.kind == "recurring" and due.due_end == date(2021, 4, 30)
    # 2016年以来 (since) is in this page and must not be a deadline
    assert not any("2016" in s.text for s in spans)


def test_eo13769_exactly_the_gold_deadlines() -> None:
    text = (DEV / "en_eo13769_sec5_7.txt").read_text(encoding="utf-8")
    assert _texts(find_deadlines(text, "en")) == [
        "within 100 days of the date of this order",
        "within 200 days of the date of this order",
    ]


def test_dev_gold_deadlines_are_found() -> None:
    import json

    for gold in sorted(DEV.glob("*.gold.jsonl")):
        text = gold.with_name(gold.name.replace(".gold.jsonl", ".txt")).read_text(encoding="utf-8")
        lang = "en" if gold.name.startswith("en_") else "zh"
        found = set(_texts(find_deadlines(text, lang)))
        for line in gold.read_text(encoding="utf-8").splitlines():
            deadline = json.loads(line).get("deadline")
            if deadline:
                assert deadline in found, (gold.name, deadline)


def test_sample_corpus_spans() -> None:
    files = sorted((ROOT / "corpus" / "raw").glob("*.txt"))
    if not files:
        pytest.skip("corpus/raw is empty")
    spans = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        spans += [(path.name, s.text) for s in find_deadlines(text, "zh")]
    print(f"\n{len(spans)} deadline spans in {len(files)} sample pages:", spans)
    assert ("003_f0efbfdc7317138a.txt", "每年4月底之前") in spans or not (ROOT / "corpus/raw/003_f0efbfdc7317138a.txt").exists()
    assert all(not re.fullmatch(r"(?:19|20)\d\d年\d{1,2}月\d{1,2}日", t) for _, t in spans)


def test_executive_orders_precision() -> None:
    folder = CORPORA / "executive_orders"
    if not folder.is_dir():
        pytest.skip("../shared/corpora/executive_orders is absent")
    files = sorted(folder.glob("*.htm"))[:100]
    forms: collections.Counter[str] = collections.Counter()
    for path in files:
        text = html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8", errors="replace")))
        for s in find_deadlines(text, "en"):
            forms[re.sub(r"\d+", "N", " ".join(s.text.lower().split()))] += 1
    print("\n20 most frequent forms:", forms.most_common(20))
    assert forms, "no deadline in 100 executive orders"
    for form in forms:
        # never a bare date, a section number or a Federal Register header
        assert not re.match(r"(?:sec|section|vol|executive order|of )", form), form


def test_govcn2019_dates_are_limits_not_signatures() -> None:
    folder = CORPORA / "govcn2019"
    if not folder.is_dir():
        pytest.skip("../shared/corpora/govcn2019 is absent")
    n = 0
    for path in sorted(folder.glob("*.html")):
        raw = path.read_bytes()
        try:
            page = raw.decode("utf-8")
        except UnicodeDecodeError:
            page = raw.decode("gb18030", errors="replace")
        text = html.unescape(re.sub(r"<[^>]+>", " ", page))
        for s in find_deadlines(text, "zh"):
            n += 1
            assert not re.fullmatch(r"(?:19|20)\d\d年\d{1,2}月\d{1,2}日", s.text), s.text
            assert "以来" not in s.text and "〔" not in s.text and "%" not in s.text, s.text
            due = normalize_deadline(s.text, "zh", date(2019, 3, 1))
            assert due.kind in {"date", "period", "recurring", "ongoing", "relative"}
    assert n > 50

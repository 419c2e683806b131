"""Deadline mentions: finding time limits in text and normalising them.

Two public functions:

* :func:`find_deadlines` — regex spans of time LIMITS or time frames for a
  duty (``2022年10月底前``, ``每年4月底之前``, ``“十四五”期间``, ``within 90 days
  of the date of this order``, ``annually``), sorted, non-overlapping, longest
  match.  A bare date (a signature line ``2021年4月7日``), ``2016年以来``
  (since), a year inside a title (``2019年政府工作报告``) or a document number
  is not a deadline and is not matched.
* :func:`normalize_deadline` — a :class:`DueDate` (kind, due_start, due_end,
  a compact canonical string), resolving relative forms against the issue date.

Rules worth knowing (documented decisions):

* Chinese input is simplified script (OpenCC, length-preserving); only
  simplified forms are matched.  ASCII and full-width digits are both accepted.
* The span is the time expression only: ``6月底前完成`` gives ``6月底前``;
  ``到2025年`` keeps its ``到`` (it is what makes the year a limit);
  ``在``/``于`` are left out.
* ``长期坚持``/``持续推进``/``逐年推进``/``立即`` are matched only as a *tag*
  (after punctuation or a line start, before punctuation or a line end, as in
  ``(发展改革委牵头,长期坚持)``); in running text they are verbs/adverbs.
* ``年内持续推进`` is ``ongoing`` bounded by the year: due_start = issued,
  due_end = Dec 31 of the issue year (None without an issue date).
* ``立即``/``即时`` (tag form) is ``relative`` with offset 0 (``R+0D``).
* ``2025年前`` means "by the end of 2025" (the common reading, and jionlp's).
* A month without a year (``6月底前``) takes the issue year; if that date is
  before the issue date it rolls to the next year.
* ``recurring``: due_end is the first occurrence on or after ``issued``; with
  no point in the period (``每季度``, ``annually``) the end of the calendar
  period containing ``issued``; with an interval (``every 6 months``) issued+N.
* ``relative`` (``within 90 days of the date of this order``, ``自…之日起30日内``)
  resolves against ``issued`` only when the anchor is the document itself
  (this order/Act/memorandum, 印发/发布/公布 …) or is absent; an anchor
  such as "receipt of the request" leaves the dates None.
* English ``by the end of fiscal year 2021`` ends on Sep 30 (US federal FY).
* No issue date means no invented date: fields that need it stay None.
"""
from __future__ import annotations

import calendar
import contextlib
import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from .numerals import CN_DIGITS, cn_int

__all__ = ["DeadlineSpan", "DueDate", "find_deadlines", "normalize_deadline"]


@dataclass(frozen=True)
class DeadlineSpan:
    """A deadline as written: ``text == source[start:end]``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class DueDate:
    """A normalised deadline.

    ``kind`` is one of ``date``, ``period``, ``recurring``, ``ongoing``,
    ``relative``; ``normalized`` is compact and canonical (``2022-10-31``,
    ``P3Y``, ``every year by 04-30``, ``ongoing``, ``R+90D``).
    """

    kind: str
    due_start: date | None
    due_end: date | None
    normalized: str


# --------------------------------------------------------------------------
# Chinese patterns (simplified script)
# --------------------------------------------------------------------------


def _each(chars: str, rest: str = "") -> str:
    """``a{rest}|b{rest}|…``, one branch a character of ``chars``.

    ``re`` skips quickly to where a match can begin only when a pattern starts
    with a literal, a character class, or branches that each start with a
    literal; a pattern that starts with a look-around, an optional part or a
    branch led by a class is tried at every position of the page.
    """
    return "|".join(re.escape(c) + rest for c in chars)


_CN_DIGITS = "〇零一二两三四五六七八九十百"
_YEAR = r"(?<!\d)(?:19|20)\d\d(?!\d)"
# A year that starts a pattern: the "no digit before" check is the rule's bad_before,
# since a pattern that starts with a look-behind is tried at every position (see _Rule).
_YEAR_LEAD = r"(?:19|20)\d\d(?!\d)"
_MON_N = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY_N = r"(?:3[01]|[12]\d|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_MON = rf"{_MON_N}月"
# _MON_N at the start of a pattern, each branch led by a literal (see _each)
_MON_N_LEAD = rf"1[0-2]|{_each('123456789')}|0[1-9]|十[一二]?|{_each('一二三四五六七八九')}"
_DAY = rf"{_DAY_N}[日号]"
_MPART = r"(?:底|末|中旬|上旬|下旬|中|初)"
# a part of a year written after 年 (2022年底, 2022年上半年)
_YPART = r"(?:底|末|初|中|上半年|下半年|前三季度|第?[一二三四1-4]季度末?)"
# the same, written without a year (年底前, 上半年前)
_YPART_BARE = r"(?:年底|年末|年初|年中|上半年|下半年|前三季度|第?[一二三四1-4]季度末?)"
_YPART_BARE_LEAD = rf"年底|年末|年初|年中|上半年|下半年|前三季度|第[一二三四1-4]季度末?|{_each('一二三四1234', '季度末?')}"
_LIMIT = r"(?:之前|以前|前|为止|以内|之内|内)"
_NUM = r"(?:\d{1,3}|[一二两三四五六七八九十百]{1,3}|半)"
_UNIT = r"(?:个?(?:年|月|季度|星期|周|工作日|小时)|年度|天|日)"
# 十四五, 九五: the plan a 五年规划 is numbered by
_PLAN = r"(?:十[一二三四五六七八九]|[六七八九])"
_QUOTES_OPEN = "“‘\""
_ONGOING_VERBS = r"(?:推进|开展|实施|坚持|落实)"
_ONGOING = rf"(?:(?:持续|长期|逐年|逐步|常态化){_ONGOING_VERBS}|长期|持续)"
_ONGOING_LEAD = "|".join(f"{w}{_ONGOING_VERBS}" for w in ("持续", "长期", "逐年", "逐步", "常态化")) + "|长期|持续"
_TAG_AFTER = r"(?=[）)\]】；;。，,、\s]|$)"
_LIMIT_PT = r"(?:之前|以前|前|为止)"  # after a day: 6月30日前 (6月30日内 is not written; 3日内蒙古 is a place)


@dataclass(frozen=True)
class _Rule:
    """A deadline pattern and what may stand just before a match.

    The context checks live outside the pattern so that every Chinese pattern
    starts with a literal, a character class or branches led by literals
    (``_each``), which ``re`` scans for quickly; a leading look-behind would be
    tried at every position of the page (``tests/test_deadlines.py`` checks it).
    """

    pattern: re.Pattern[str]
    bad_before: re.Pattern[str] | None = None   # searched in the 3 characters before; a hit rejects
    need_before: re.Pattern[str] | None = None  # must match the 3 characters before (``^`` = text start)
    title_guard: bool = False                   # English: "Weekly Compilation" is a title, not a frequency


def _rule(pattern: str, bad: str | None = None, need: str | None = None, flags: int = 0,
          title_guard: bool = False) -> _Rule:
    return _Rule(re.compile(pattern, flags), re.compile(bad) if bad else None,
                 re.compile(need) if need else None, title_guard)


_AFTER_DIGIT = r"\d$"
# a tag stands alone: at a line or text start, or after punctuation
_TAG_BEFORE = r"(?:^|[（(，,；;：:。\s\[【])$"
_STAT_BEFORE = r"平均$"  # 平均每年增长, 平均4个工作日以内: statistics, not a time limit

_ZH_RULES: list[_Rule] = [
    # 2022年10月底前, 2023年6月30日前, 2022年底前, 2025年前, 2021年内
    _rule(rf"{_YEAR_LEAD}年(?:{_MON}(?:{_DAY}{_LIMIT_PT}|{_MPART}?{_LIMIT})|(?:年?{_YPART})?{_LIMIT})", _AFTER_DIGIT),
    # 到2025年, 到2025年底, 至2022年6月 (到/至 make the date a limit; 增加到2007年的 is a past figure)
    _rule(rf"(?:至|到)(?:19|20)\d\d(?!\d)年(?:{_MON}(?:{_DAY}|{_MPART})?|{_YPART})?"
          rf"(?:{_LIMIT_PT}|(?<![日号]){_LIMIT})?(?!的)", r"[截直]$"),
    # 年底前, 今年底前, 明年上半年前, 一季度末前 (inside 2022年底前 the longer match wins)
    _rule(rf"(?:{_each('今明当本次', '年?' + _YPART_BARE)}|{_YPART_BARE_LEAD}){_LIMIT}"),
    # 年内, 今年内, 今年年内, 本年度内 (not 近年内, 多年内; 三年内 is a duration)
    _rule(rf"{_each('今明当本', '年(?:度|年)?内')}|年内", rf"[\d{_CN_DIGITS}几多近数去上往历逐]$"),
    # 6月底前, 6月30日前, 十月底之前
    _rule(rf"(?:{_MON_N_LEAD})月(?:{_DAY}{_LIMIT_PT}|{_MPART}?{_LIMIT})", r"[\d年十]$"),
    # durations: 三年内, 3年内, 30个工作日内, 半年内 (not 近三年内: the past; not 5月3日内: a date)
    # (one rule a form of _NUM, so that each starts with a character class)
    *(_rule(rf"{num}{_UNIT}(?:以内|之内|内)", rf"[\d{_CN_DIGITS}几多近去前月]$|过去$|{_STAT_BEFORE}")
      for num in (r"\d\d{0,2}", r"[一二两三四五六七八九十百][一二两三四五六七八九十百]{0,2}", "半")),
    # 自本通知印发之日起30日内, 在执法决定作出之日起7个工作日内, 从收到申请后15个工作日内
    # (the body excludes 自/从/在/于 so that the nearest one starts the span, not the 自 of 自治区)
    _rule(rf"(?:自|从|在|于)[^，,。；;：:、\n自从在于]{{1,40}}?(?:之日|后)?起{_NUM}{_UNIT}(?:以内|之内|内)"),
    # 2024年起, 自2024年1月1日起 (not 自…起施行/生效: a validity clause, not a duty's time frame)
    _rule(rf"(?:{_each('自从', '(?:19|20)')}|19|20)\d\d(?!\d)年(?:{_MON}(?:{_DAY})?)?(?:起|开始)(?!草|诉|义|施行|生效|实行|废止)",
          _AFTER_DIGIT),
    # 2023—2025年, 2021-2025年期间 (not a title qualifier: in brackets, or not followed by punctuation)
    _rule(rf"{_YEAR_LEAD}年?(?:——|[—–\-－~～至到]){_YEAR}年(?:期间|间|内|时期)?(?=[，,。；;：:、\s]|$)",
          r"[\d（(《〈【\[]$"),
    # 2019年1月1日至2020年12月31日(止)
    _rule(rf"{_YEAR_LEAD}年{_MON}(?:{_DAY})?(?:——|[—–\-－~～至到]){_YEAR}年{_MON}(?:{_DAY})?止?", _AFTER_DIGIT),
    # 十四五期间, “十四五”时期, “九五”期间, “十四五”末
    _rule(rf"(?:{_each(_QUOTES_OPEN, _PLAN)}|十[一二三四五六七八九]|{_each('六七八九')})五[”\"’]?(?:规划)?(?:期间|时期|期末|末|期)"),
    # 每年4月底之前, 每年一季度, 每季度, 每月, 每半年, 每两年 (not 每月1500元: an amount; not 每年增长: a rate)
    # 每月5日前: a day of every month, with its limit
    _rule(rf"每个?月{_DAY}{_LIMIT_PT}", _STAT_BEFORE),
    _rule(rf"每个?(?:年度?|半年|季度?|月|周|星期|旬|[两三四五\d]年)(?:{_MON}(?:{_DAY}|{_MPART})?"
          rf"|第?[一二三四1-4]季度(?:末|初)?|年底|年末|上半年|下半年|初|末|底)?{_LIMIT}?"
          r"(?![\d.０-９]|增长|递增|增加|减少|下降|平均|[一二三四五六日天])", _STAT_BEFORE),
    _rule(r"定期(?![存储寿限])", r"固$"),
    # tags: 长期坚持, 持续推进, 年内持续推进, 逐年推进
    _rule(rf"(?:年内{_ONGOING}|{_ONGOING_LEAD})(?:推进)?{_TAG_AFTER}",
          need=_TAG_BEFORE),
    # 立即执行 as a tag (in running text 立即 is an adverb of manner)
    _rule(rf"(?:立即|即时|马上)(?:执行|实施|启动|开展|落实|办理)?{_TAG_AFTER}", need=_TAG_BEFORE),
]

# --------------------------------------------------------------------------
# English patterns
# --------------------------------------------------------------------------

_EN_NUM_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "eighteen": 18, "twenty": 20, "thirty": 30, "forty": 40,
    "forty-five": 45, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "one hundred": 100, "one hundred twenty": 120,
    "one hundred eighty": 180, "two hundred seventy": 270, "three hundred sixty-five": 365,
}
_EN_NUM = (r"(?:\d{1,4}|" + "|".join(sorted((re.escape(w) for w in _EN_NUM_WORDS), key=len, reverse=True))
           + r")(?:\s*\(\d{1,4}\))?")
_EN_UNIT = r"(?:(?:calendar|business|working)\s+)?(?:days?|weeks?|months?|years?|hours?)"
_EN_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
              "jan\\.?|feb\\.?|mar\\.?|apr\\.?|jun\\.?|jul\\.?|aug\\.?|sept?\\.?|oct\\.?|nov\\.?|dec\\.?")
_EN_DATE = (rf"(?:(?:{_EN_MONTHS})\s+\d{{1,2}},?\s+(?:19|20)\d\d|\d{{1,2}}\s+(?:{_EN_MONTHS}),?\s+(?:19|20)\d\d"
            rf"|(?:{_EN_MONTHS})\s+(?:19|20)\d\d"
            r"|(?:the\s+)?end\s+of\s+(?:(?:the\s+)?(?:current\s+|next\s+)?(?:fiscal|calendar)\s+year(?:\s+(?:19|20)\d\d)?"
            r"|FY\s?(?:19|20)?\d\d|(?:19|20)\d\d|the\s+(?:current\s+|next\s+)?year)"
            r"|(?:fiscal|calendar)\s+year\s+(?:19|20)\d\d|FY\s?(?:19|20)\d\d|(?:19|20)\d\d(?![\d,.%]\d|\s*percent))")
# what a "within N days" is counted from, when it is the document itself or a named event
_EN_ANCHOR = (r"\s+(?:of|after|from|following)\s+(?:the\s+)?(?:(?:effective\s+)?date\s+(?:of|on\s+which)\s+(?:the\s+)?)?"
              r"(?:enactment(?:\s+of\s+(?:this|the)\s+(?:Act|[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,6}\s+Act))?"
              r"|this\s+(?:order|memorandum|proclamation|Act|section|subsection|directive|determination)"
              r"|date\s+(?:on\s+which|that)"
              r"|(?:issuance|publication|receipt|completion|submission|signing|transmittal)"
              r"(?:\s+of\s+(?:this|the|such|that|a|an|any)\s+[\w-]+(?:\s+[\w-]+)?)?)")
_EN_THEREAFTER = r"(?:,?\s+thereafter)?"

# each English pattern starts with \b and a look-ahead on its first letter: ``re`` then skips other positions fast
_EN_RULES: list[_Rule] = [
    _rule(rf"(?=[wnWNiI])\b(?:within|(?:not|no|in\s+no\s+event)\s+later\s+than)\s+(?:the\s+next\s+)?{_EN_NUM}\s+{_EN_UNIT}"
          rf"(?:{_EN_ANCHOR})?", flags=re.I),
    _rule(rf"(?=[bBoOnNaApP])\b(?:by|before|on\s+or\s+before|(?:not|no)\s+later\s+than|as\s+of|prior\s+to)\s+{_EN_DATE}",
          flags=re.I),
    _rule(rf"(?=[abmpqsweoABMPQSWEO])\b(?:(?:at\s+least\s+)?(?:annually|biannually|biennially|semi-?annually|quarterly|monthly|weekly|periodically)"
          rf"|on\s+an?\s+(?:annual|yearly|quarterly|monthly|weekly|periodic|regular|biennial|semi-?annual)\s+basis"
          rf"|every\s+(?:{_EN_NUM}\s+)?(?:(?:calendar|business|working)\s+)?(?:days?|weeks?|months?|years?|quarters?)"
          rf"|each\s+(?:fiscal\s+|calendar\s+)?(?:year|quarter|month)"
          rf"|once\s+(?:a|per|each|every)\s+(?:year|quarter|month))\b{_EN_THEREAFTER}",
          flags=re.I, title_guard=True),
    _rule(r"(?=[oO])\bon\s+an?\s+(?:ongoing|continuing|continuous)\s+basis\b", flags=re.I),
]


def _select(matches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Non-overlapping spans, preferring the longer of two overlapping ones (one pass after sorting)."""
    chosen: list[tuple[int, int]] = []
    for start, end in sorted(matches, key=lambda m: (m[0], -m[1])):
        if end <= start:
            continue
        if chosen and start < chosen[-1][1]:
            if end - start > chosen[-1][1] - chosen[-1][0]:
                chosen[-1] = (start, end)
                # the replacement may now overlap the span before it
                while len(chosen) > 1 and chosen[-2][1] > chosen[-1][0]:
                    if chosen[-2][1] - chosen[-2][0] >= end - start:
                        chosen.pop()
                        break
                    chosen.pop(-2)
            continue
        chosen.append((start, end))
    return chosen


def _rules_for(lang: str) -> list[_Rule]:
    lang = (lang or "").lower()
    if lang.startswith("zh"):
        return _ZH_RULES
    if lang.startswith("en"):
        return _EN_RULES
    return _ZH_RULES + _EN_RULES


def find_deadlines(text: str, lang: str) -> list[DeadlineSpan]:
    """Deadline mentions in ``text``: sorted, non-overlapping, longest match.

    A page's text is scanned once however many stages ask (the last few
    page-sized results are kept).

    Args:
        text: the document text (Chinese already in simplified script).
        lang: ``zh`` or ``en`` (any ``zh-*``/``en-*`` tag); anything else runs both pattern sets.
    """
    if len(text) >= 1000:
        return list(_find_in_page(text, lang))
    return list(_find(text, lang))


def _find(text: str, lang: str) -> tuple[DeadlineSpan, ...]:
    if not text:
        return ()
    raw: list[tuple[int, int]] = []
    for rule in _rules_for(lang):
        for m in rule.pattern.finditer(text):
            start, end = m.span()
            before = text[max(0, start - 3):start]
            if rule.bad_before is not None and rule.bad_before.search(before):
                continue
            if rule.need_before is not None and not rule.need_before.search(before):
                continue
            # trailing white space can come in through the English anchor; never keep it
            while end > start and text[end - 1].isspace():
                end -= 1
            if rule.title_guard and text[start].isupper() and _EN_TITLE_AFTER_RE.match(text, end):
                continue
            raw.append((start, end))
    return tuple(DeadlineSpan(text[s:e], s, e) for s, e in _select(raw))


_find_in_page = functools.lru_cache(maxsize=4)(_find)


# --------------------------------------------------------------------------
# Normalisation helpers
# --------------------------------------------------------------------------



def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _add(d: date, n: int, unit: str) -> date:
    """``d`` plus ``n`` units (``Y``, ``M``, ``W``, ``D``, ``WD`` working days, ``Q`` quarters, ``H`` hours)."""
    if unit == "Y":
        return _add_months(d, 12 * n)
    if unit == "Q":
        return _add_months(d, 3 * n)
    if unit == "M":
        return _add_months(d, n)
    if unit == "W":
        return d + timedelta(weeks=n)
    if unit == "H":
        return d + timedelta(days=(n + 23) // 24)
    if unit == "WD":
        out, left = d, n
        while left > 0:
            out += timedelta(days=1)
            if out.weekday() < 5:
                left -= 1
        return out
    return d + timedelta(days=n)


def _next_on_or_after(point: date, issued: date) -> date:
    """``point`` moved by whole years until it is on or after ``issued``."""
    month_end = point.day == calendar.monthrange(point.year, point.month)[1]
    years = 0
    while _add_months(point, 12 * years) < issued:
        years += 1
    moved = _add_months(point, 12 * years)
    return _month_end(moved.year, moved.month) if month_end else moved


_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

_ZH_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)年?")
_ZH_MON_RE = re.compile(rf"({_MON_N})月(?:({_DAY_N})[日号])?(底|末|中旬|上旬|下旬|中|初)?")
_ZH_YPART_RE = re.compile(r"(上半年|下半年|前三季度|第?([一二三四1-4])季度|年?底|年?末|年?初|年?中)")
_ZH_DUR_RE = re.compile(rf"({_NUM})({_UNIT})(?:以内|之内|内)")
_ZH_DRANGE_RE = re.compile(
    rf"({_YEAR})年({_MON_N})月(?:({_DAY_N})[日号])?(?:——|[—–\-－~～至到])({_YEAR})年({_MON_N})月(?:({_DAY_N})[日号])?")
_ZH_RANGE_RE = re.compile(rf"({_YEAR})年?(?:——|[—–\-－~～至到])({_YEAR})年")
_ZH_PLAN_RE = re.compile(r"(十?)([一二三四五六七八九])五[”\"’]?(?:规划)?(?:期间|时期|期末|末|期)")
_ZH_ONGOING_RE = re.compile(r"持续|长期|逐年|逐步|常态化")
_ZH_NOW_RE = re.compile(r"立即|即时|马上")
_ZH_EVERY_RE = re.compile(r"每个?(年度?|半年|季度?|月|周|星期|旬|([两三四五\d])年)")
_ZH_FROM_RE = re.compile(r"起|开始")
_ZH_LIMIT_RE = re.compile(_LIMIT)
_ZH_SELF_ANCHOR_RE = re.compile(r"印发|发布|公布|下发|施行|实施|本(?:通知|意见|办法|决定|规定|方案)")


def _zh_unit(unit: str) -> str:
    unit = unit.lstrip("个")
    return {"年": "Y", "年度": "Y", "月": "M", "季度": "Q", "星期": "W", "周": "W",
            "工作日": "WD", "小时": "H", "天": "D", "日": "D"}.get(unit, "D")


def _zh_point(text: str, year: int) -> tuple[date | None, date | None]:
    """The (start, end) of the date written in ``text`` within ``year``: month/day/part or a part of the year."""
    m = _ZH_MON_RE.search(text)
    if m:
        month = cn_int(m.group(1))
        if not month or not 1 <= month <= 12:
            return None, None
        first, last = date(year, month, 1), _month_end(year, month)
        if m.group(2):
            day = cn_int(m.group(2))
            if day and 1 <= day <= last.day:
                return date(year, month, day), date(year, month, day)
            return None, None
        part = m.group(3)
        if part in ("上旬", "初"):
            return first, date(year, month, 10)
        if part == "中旬" or part == "中":
            return date(year, month, 11), date(year, month, 20)
        if part == "下旬":
            return date(year, month, 21), last
        return first, last
    y = _ZH_YPART_RE.search(text)
    if y:
        part = y.group(1)
        if part == "上半年":
            return date(year, 1, 1), date(year, 6, 30)
        if part == "下半年":
            return date(year, 7, 1), date(year, 12, 31)
        if part == "前三季度":
            return date(year, 1, 1), date(year, 9, 30)
        if y.group(2):
            q = _QUARTER[y.group(2)]
            return date(year, 3 * q - 2, 1), _month_end(year, 3 * q)
        if part.endswith("初"):
            return date(year, 1, 1), date(year, 1, 31)
        if part.endswith("中"):
            return date(year, 6, 1), date(year, 6, 30)
        return date(year, 12, 1), date(year, 12, 31)
    return date(year, 1, 1), date(year, 12, 31)


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ".."


_ZH_MONTH_DAY_RE = re.compile(rf"({_DAY_N})[日号]")


def _zh_recurring(text: str, issued: date | None) -> DueDate:
    m = _ZH_EVERY_RE.match(text)
    every = m.group(1) if m else "年"
    rest = text[m.end():] if m else text
    if m and m.group(2):
        n = cn_int(m.group(2)) or 1
        due = _add(issued, n, "Y") if issued else None
        return DueDate("recurring", issued, due, f"every {n} years")
    if every in ("年", "年度"):
        has_point = bool(_ZH_MON_RE.search(rest) or _ZH_YPART_RE.search(rest))
        if not has_point:
            return DueDate("recurring", issued, date(issued.year, 12, 31) if issued else None, "every year")
        # the point in a fixed common year (so the label 02-28 does not depend on leap years),
        # then its first occurrence on or after issued
        _, end = _zh_point(rest, 2001)
        label = ""
        mm = _ZH_MON_RE.search(rest)
        if mm and end:
            label = f"by {end.month:02d}-{end.day:02d}" if _ZH_LIMIT_RE.search(rest) or mm.group(3) else \
                f"in {end.month:02d}" if not mm.group(2) else f"on {end.month:02d}-{end.day:02d}"
        else:
            q = _ZH_YPART_RE.search(rest)
            if q and q.group(2):
                label = f"in Q{_QUARTER[q.group(2)]}"
            elif q and end:
                label = f"by {end.month:02d}-{end.day:02d}"
        due = _next_on_or_after(end, issued) if (issued and end) else None
        return DueDate("recurring", issued, due, f"every year {label}".strip())
    if every == "半年":
        due = date(issued.year, 6, 30) if issued and issued.month <= 6 else (date(issued.year, 12, 31) if issued else None)
        return DueDate("recurring", issued, due, "every half-year")
    if every in ("季", "季度"):
        due = _month_end(issued.year, 3 * ((issued.month - 1) // 3 + 1)) if issued else None
        return DueDate("recurring", issued, due, "every quarter")
    if every == "月":
        day = _ZH_MONTH_DAY_RE.match(rest)
        if day:  # 每月5日前: by that day of each month, the first on or after issued
            n = cn_int(day.group(1)) or 1
            due = None
            if issued:
                due = date(issued.year, issued.month, min(n, _month_end(issued.year, issued.month).day))
                if due < issued:
                    nxt = _month_end(issued.year, issued.month) + timedelta(days=1)
                    due = date(nxt.year, nxt.month, min(n, _month_end(nxt.year, nxt.month).day))
            return DueDate("recurring", issued, due, f"every month by day {n:02d}")
        due = _month_end(issued.year, issued.month) if issued else None
        return DueDate("recurring", issued, due, "every month")
    if every in ("周", "星期"):
        due = issued + timedelta(days=6 - issued.weekday()) if issued else None
        return DueDate("recurring", issued, due, "every week")
    if every == "旬":
        due = issued + timedelta(days=10) if issued else None
        return DueDate("recurring", issued, due, "every 10 days")
    return DueDate("recurring", issued, None, "every year")


def _zh_unanchored(rest: str) -> DueDate:
    """A Chinese limit without a year and without an issue date: no dates, ``Y-MM-DD`` as the canonical form."""
    if rest.endswith("内") and not _ZH_MON_RE.search(rest) and not _ZH_YPART_RE.search(rest.replace("年内", "")):
        return DueDate("period", None, None, "Y")
    if _ZH_MON_RE.search(rest) or _ZH_YPART_RE.search(rest):
        _, end = _zh_point(rest, 2001)  # a common year: 2月底 ends on the 28th, the usual case
        if end is not None:
            return DueDate("date", None, None, "Y-" + end.isoformat()[5:])
    return DueDate("date", None, None, "..")


def _normalize_zh(text: str, issued: date | None) -> DueDate:
    t = unicodedata.normalize("NFKC", text).strip()
    # tags first: they carry no date of their own
    if _ZH_NOW_RE.search(t) and not _ZH_YEAR_RE.search(t):
        return DueDate("relative", issued, issued, "R+0D")
    if _ZH_ONGOING_RE.search(t):
        if "年内" in t:
            if issued:
                end = date(issued.year, 12, 31)
                return DueDate("ongoing", issued, end, f"ongoing/{end.isoformat()}")
            return DueDate("ongoing", None, None, "ongoing/Y-12-31")
        return DueDate("ongoing", None, None, "ongoing")
        return DueDate("ongoing", None, None, "ongoing")
    plan = _ZH_PLAN_RE.search(t)
    if plan:
        n = (10 if plan.group(1) else 0) + CN_DIGITS.get(plan.group(2), 0)
        first = 1981 + 5 * (n - 6)  # regular five-year cycles since the 6th plan (1981-1985)
        if "末" in t:
            return DueDate("date", None, date(first + 4, 12, 31), f"{first + 4}-12-31")
        return DueDate("period", date(first, 1, 1), date(first + 4, 12, 31), f"{first}-01-01/{first + 4}-12-31")
    if t.startswith("每"):
        return _zh_recurring(t, issued)
    if t.startswith("定期"):
        return DueDate("recurring", issued, None, "periodic")
    drng = _ZH_DRANGE_RE.search(t)
    if drng:
        y1, m1, d1, y2, m2, d2 = drng.groups()
        start = _safe_date(int(y1), cn_int(m1) or 0, cn_int(d1) or 1 if d1 else 1)
        end_m = cn_int(m2) or 0
        end = (_safe_date(int(y2), end_m, cn_int(d2) or 0) if d2
               else (_month_end(int(y2), end_m) if 1 <= end_m <= 12 else None))
        return DueDate("period", start, end, f"{_iso(start)}/{_iso(end)}")
    rng = _ZH_RANGE_RE.search(t)
    if rng:
        a, b = int(rng.group(1)), int(rng.group(2))
        if a <= b:
            return DueDate("period", date(a, 1, 1), date(b, 12, 31), f"{a}-01-01/{b}-12-31")
    dur = _ZH_DUR_RE.search(t)
    if dur and not _ZH_YEAR_RE.search(t[:dur.start()]) and not t.startswith(("年内", "今年", "本年", "明年", "当年")):
        n = 0.5 if dur.group(1) == "半" else cn_int(dur.group(1))
        unit = _zh_unit(dur.group(2))
        if n == 0.5:  # 半年 = 6 months, 半个月 = 15 days
            n, unit = (6, "M") if unit == "Y" else (15, "D") if unit == "M" else (1, unit)
        if n is None:
            return DueDate("period", None, None, "P?")
        n = int(n)
        if "起" in t[:dur.start()]:
            anchor = t[:dur.start()]
            due = _add(issued, n, unit) if issued and _ZH_SELF_ANCHOR_RE.search(anchor) else None
            return DueDate("relative", issued if due else None, due, f"R+{n}{unit}")
        return DueDate("period", issued, _add(issued, n, unit) if issued else None, f"P{n}{unit}")
    ym = _ZH_YEAR_RE.search(t)
    if ym:
        year = int(ym.group(1))
        rest = t[ym.end():]
    else:
        rest = t
        if issued is None:
            # never invent a year: the kind by rule, the month and day with a 'Y' for the year
            return _zh_unanchored(rest)
        year = issued.year + (1 if "明年" in t else 0)
    if _ZH_FROM_RE.search(rest):
        start, _ = _zh_point(rest, year) if _ZH_MON_RE.search(rest) else (date(year, 1, 1), None)
        return DueDate("period", start, None, f"{_iso(start)}/..")
    if rest.endswith("内") and not _ZH_MON_RE.search(rest) and not _ZH_YPART_RE.search(rest.replace("年内", "")):
        # 年内, 2021年内: the rest of that year
        start = issued if (issued and issued.year == year) else date(year, 1, 1)
        return DueDate("period", start, date(year, 12, 31), f"{start.isoformat()}/{year}-12-31")
    has_point = bool(_ZH_MON_RE.search(rest) or _ZH_YPART_RE.search(rest))
    _, end = _zh_point(rest, year) if has_point else (None, date(year, 12, 31))
    if end is None:
        return _jio_fallback(text, issued)
    if not ym and issued and end < issued and _ZH_MON_RE.search(rest):
        end = _next_on_or_after(end, issued)
    return DueDate("date", None, end, end.isoformat())


# ---- jionlp, for Chinese forms the rules above do not cover ----

_JIO: Any = None


def _jio_module() -> Any:
    """jionlp, imported once and lazily (it prints a banner on import, which is silenced)."""
    global _JIO
    if _JIO is None:
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                import jionlp  # noqa: PLC0415
            _JIO = jionlp
        except Exception:  # jionlp missing or broken: the rules alone are used
            _JIO = False
    return _JIO


def _jio_fallback(text: str, issued: date | None) -> DueDate:
    """Ask jionlp; only trusted when the expression is absolute or ``issued`` is known."""
    jio = _jio_module()
    if not jio or (issued is None and not _ZH_YEAR_RE.search(text)):
        return DueDate("date", None, None, "..")
    base = {"year": issued.year, "month": issued.month, "day": issued.day} if issued else None
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            res = jio.parse_time(text, time_base=base) if base else jio.parse_time(text)
    except Exception:
        return DueDate("date", None, None, "..")
    if res.get("type") == "time_span":
        end_s = res["time"][1]
        if isinstance(end_s, str) and end_s[:4].isdigit():
            end = date.fromisoformat(end_s[:10])
            return DueDate("date", None, end, end.isoformat())
    if res.get("type") == "time_period":
        return DueDate("recurring", issued, None, "periodic")
    return DueDate("date", None, None, "..")


# ---- English ----

_EN_PAREN_NUM_RE = re.compile(r"\((\d+)\)")
_EN_ONGOING_RE = re.compile(r"ongoing|continuing|continuous")
_EN_WITHIN_RE = re.compile(r"(?:within|(?:not|no|in\s+no\s+event)\s+later\s+than)\b")
_EN_RECURRING_RE = re.compile(r"annual|yearly|each\s+(?:fiscal\s+|calendar\s+)?year|once\s+(?:a|per|each|every)\s+year"
                              r"|biennial|quarter|month|week|every|periodic|regular")
_EN_DATE_CUE_RE = re.compile(r"(?:by|before|on\s+or\s+before|(?:not|no)\s+later\s+than|as\s+of|prior\s+to)\b")
_EN_EVERY_RE = re.compile(
    rf"every\s+({_EN_NUM})\s+(?:(?:calendar|business|working)\s+)?(day|week|month|year|quarter)s?", re.I)
_EN_HALF_YEAR_RE = re.compile(r"semi-?annual|biannual")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_EN_MONTH_NUM = {name: i for i, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_EN_DUR_RE = re.compile(rf"({_EN_NUM})\s+((?:calendar|business|working)\s+)?(day|week|month|year|quarter|hour)s?", re.I)
_EN_MDY_RE = re.compile(rf"({_EN_MONTHS})\s+(\d{{1,2}}),?\s+((?:19|20)\d\d)", re.I)
_EN_DMY_RE = re.compile(rf"(\d{{1,2}})\s+({_EN_MONTHS}),?\s+((?:19|20)\d\d)", re.I)
_EN_MY_RE = re.compile(rf"({_EN_MONTHS})\s+((?:19|20)\d\d)", re.I)
_EN_FY_RE = re.compile(r"(?:fiscal\s+year|FY)\s?((?:19|20)?\d\d)\b", re.I)
_EN_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_EN_OTHER_ANCHOR_RE = re.compile(
    r"\b(?:receipt|completion|submission|publication|issuance|signing|transmittal|on\s+which|date\s+that)\b", re.I)
# "Weekly Compilation of Presidential Documents": a capitalised frequency word before a capitalised word is a title
_EN_TITLE_AFTER_RE = re.compile(r"\s+[A-Z]")


def _en_int(s: str) -> int | None:
    s = s.lower().strip()
    paren = _EN_PAREN_NUM_RE.search(s)
    if paren:
        return int(paren.group(1))
    if s.isdigit():
        return int(s)
    return _EN_NUM_WORDS.get(s)


def _en_month(name: str) -> int:
    return _EN_MONTH_NUM.get(name.lower()[:3], 0)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _normalize_en(text: str, issued: date | None) -> DueDate:
    t = " ".join(text.split())
    low = t.lower()
    if _EN_ONGOING_RE.search(low):
        return DueDate("ongoing", None, None, "ongoing")
    if _EN_WITHIN_RE.match(low):
        dur = _EN_DUR_RE.search(t)
        if dur:
            n = _en_int(dur.group(1))
            unit = {"day": "D", "week": "W", "month": "M", "year": "Y", "quarter": "Q", "hour": "H"}[dur.group(3).lower()]
            if dur.group(2) and dur.group(2).lower().strip() in ("business", "working"):
                unit = "WD"
            if n is None:
                return DueDate("relative", None, None, "R+?")
            norm = f"R+{n}{unit}"
            anchor = t[dur.end():]
            if issued and not _EN_OTHER_ANCHOR_RE.search(anchor):
                return DueDate("relative", issued, _add(issued, n, unit), norm)
            return DueDate("relative", None, None, norm)
    if _EN_RECURRING_RE.search(low) and not _EN_DATE_CUE_RE.match(low):
        return _en_recurring(t, low, issued)
    # a fixed date
    end: date | None = None
    m = _EN_MDY_RE.search(t)
    if m:
        end = _safe_date(int(m.group(3)), _en_month(m.group(1)), int(m.group(2)))
    elif (m := _EN_DMY_RE.search(t)):
        end = _safe_date(int(m.group(3)), _en_month(m.group(2)), int(m.group(1)))
    elif (m := _EN_MY_RE.search(t)):
        month = _en_month(m.group(1))
        end = _month_end(int(m.group(2)), month) if month else None
    elif (m := _EN_FY_RE.search(t)):
        fy = int(m.group(1))
        fy = fy + 2000 if fy < 100 else fy
        end = date(fy, 9, 30) if "calendar" not in low else date(fy, 12, 31)
    elif (m := _EN_YEAR_RE.search(t)):
        end = date(int(m.group(1)), 12, 31)
    elif "year" in low and issued:
        year = issued.year + (1 if "next" in low else 0)
        end = date(year, 9, 30) if "fiscal" in low else date(year, 12, 31)
    if end is None:
        return DueDate("date", None, None, "..")
    return DueDate("date", None, end, end.isoformat())


def _en_recurring(t: str, low: str, issued: date | None) -> DueDate:
    m = _EN_EVERY_RE.search(t)
    if m:
        n = _en_int(m.group(1)) or 1
        unit = {"day": "D", "week": "W", "month": "M", "year": "Y", "quarter": "Q"}[m.group(2).lower()]
        due = _add(issued, n, unit) if issued else None
        word = {"D": "days", "W": "weeks", "M": "months", "Y": "years", "Q": "quarters"}[unit]
        return DueDate("recurring", issued, due, f"every {n} {word}")
    if "biennial" in low:
        return DueDate("recurring", issued, _add(issued, 2, "Y") if issued else None, "every 2 years")
    if _EN_HALF_YEAR_RE.search(low):
        return DueDate("recurring", issued, _add(issued, 6, "M") if issued else None, "every 6 months")
    if "annual" in low or "year" in low:
        return DueDate("recurring", issued, date(issued.year, 12, 31) if issued else None, "every year")
    if "quarter" in low:
        due = _month_end(issued.year, 3 * ((issued.month - 1) // 3 + 1)) if issued else None
        return DueDate("recurring", issued, due, "every quarter")
    if "month" in low:
        return DueDate("recurring", issued, _month_end(issued.year, issued.month) if issued else None, "every month")
    if "week" in low:
        due = issued + timedelta(days=6 - issued.weekday()) if issued else None
        return DueDate("recurring", issued, due, "every week")
    return DueDate("recurring", issued, None, "periodic")


def normalize_deadline(text: str, lang: str, issued: date | None = None) -> DueDate:
    """Normalise one deadline expression; never raises.

    Args:
        text: the deadline as written (usually a :func:`find_deadlines` span).
        lang: ``zh`` or ``en`` (any ``zh-*``/``en-*``); otherwise guessed from the script of ``text``.
        issued: the document's issue date; relative forms resolve against it.
            Without it, fields that need it stay None.
    """
    try:
        if not isinstance(text, str) or not text.strip():
            return DueDate("date", None, None, "..")
        lang = (lang or "").lower()
        if not (lang.startswith("zh") or lang.startswith("en")):
            lang = "zh" if _CJK_RE.search(text) else "en"
        if lang.startswith("zh"):
            return _normalize_zh(text, issued)
        return _normalize_en(text, issued)
    except Exception:  # odd input must not stop a pipeline run; the kind falls back by rule
        return DueDate("date", None, None, "..")

"""Document metadata: title, issuer, document number, issue date, language, script.

Metadata often sits in what boilerplate removal throws away (gov.cn's field
table ``发文机关: … 成文日期: …``, a ``发布日期:`` line, ``Updated: …``), so
``extract_metadata`` reads both the raw lines of the page and its cleaned body.

Traditional-script pages are matched through OpenCC's ``t2s`` conversion,
which is character-for-character: a pattern found in the converted text is
sliced out of the original, so values keep the page's own script.

``issued`` is the document's own date when the page has one (the 成文日期
field, the date under the signature, ``Executive Order N of <date>``), else
its publication date (发布日期, ``Updated:``, the Federal Register header).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from .normalize import changed_by, code_points, to_simplified

__all__ = [
    "extract_metadata", "detect_lang", "detect_script", "parse_date",
    "find_doc_number", "find_issued", "find_issuer", "find_title",
]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_LATIN_RE = re.compile(r"[A-Za-z]")

# ---------------------------------------------------------------- dates
_ZH_DIGITS = {"〇": 0, "零": 0, "○": 0, "О": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "两": 2}
_ZH_NUM = "〇零○一二三四五六七八九十两"
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}

_DATE_ZH = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_ZH_NUM = re.compile(rf"([{_ZH_NUM}]{{4}})\s*年\s*([{_ZH_NUM}]{{1,3}})\s*月\s*([{_ZH_NUM}]{{1,3}})\s*日")
_DATE_ISO = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?!\d)")
_DATE_EN = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2})\s*,\s*((?:19|20)\d{2})\b")
_DATE_EN_DMY = re.compile(
    r"\b(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\s+((?:19|20)\d{2})\b")

# ------------------------------------------------------------ labelled fields
# Matched on the t2s-converted text, so simplified labels cover both scripts.
_FIELD_NAMES = (r"索\s*引\s*号|主\s*题\s*分\s*类|主\s*题\s*词|发\s*文\s*机\s*关|发\s*布\s*机\s*[构关]|成\s*文\s*日\s*期"
                r"|标\s*题|发\s*文\s*字\s*号|文\s*号|发\s*布\s*日\s*期|发\s*布\s*时\s*间|时\s*效|来\s*源|浏\s*览"
                r"|时\s*间|日\s*期|作\s*者|字\s*号|分\s*类")
_NEXT_FIELD = re.compile(rf"[ \t\u3000]+(?:{_FIELD_NAMES})\s*[:：]|[ \t\u3000]{{2,}}|\n")


def _field(name: str) -> re.Pattern[str]:
    # No look-behind in front (the start of a line or a blank or a bar must precede the
    # name: see _field_matches): the name's first characters then let re skip ahead fast.
    return re.compile(rf"(?:{name})[ \t\u3000]*[:：][ \t\u3000]*\n?[ \t\u3000\n]*(?=\S)")


def _field_matches(rx: re.Pattern[str], simp: str) -> Iterable[re.Match[str]]:
    """The matches of a ``_field`` pattern that start a line or follow a blank or a bar."""
    pos = 0
    while (m := rx.search(simp, pos)) is not None:
        if m.start() == 0 or simp[m.start() - 1].isspace() or simp[m.start() - 1] == "|":
            yield m
            pos = max(m.end(), m.start() + 1)
        else:
            pos = m.start() + 1


_F_ISSUER = _field(r"发\s*文\s*机\s*关|发\s*布\s*机\s*[构关]|发\s*文\s*单\s*位")
_F_WRITTEN = _field(r"成\s*文\s*日\s*期")
_F_TITLE = _field(r"标\s*题|文\s*件\s*名\s*称")
_F_NUMBER = _field(r"发\s*文\s*字\s*号|文\s*号")
_F_PUBLISHED = _field(r"发\s*布\s*日\s*期|发\s*布\s*时\s*间|发\s*文\s*日\s*期|时\s*间|日\s*期")
_UPDATED = re.compile(r"\b(?:Updated|Published|Release Date|Date)\s*:\s*", re.I)
# what every match of _UPDATED holds, in lower case (no "i": re.I also matches İ and ı to it)
_UPDATED_WORDS = ("upda", "publ", "date")


def _search_with(rx: re.Pattern[str], text: str, needles: tuple[str, ...], fold: bool = False) -> re.Match[str] | None:
    """``rx.search(text)``, skipped when ``text`` holds none of ``needles`` (strings
    every match of ``rx`` holds; ``fold``: compared in lower case).  The English patterns
    open with ``\\b``, which makes ``re`` try every position of a page, Chinese ones included."""
    hay = text.lower() if fold else text
    return rx.search(text) if any(n in hay for n in needles) else None


# ------------------------------------------------------------- doc numbers
_OPEN = "〔\\[［(（【"
_CLOSE = "〕\\]］)）】"
_DOCNO = re.compile(
    rf"([{_CJK}]{{1,10}})\s*[{_OPEN}]\s*((?:19|20)\d{{2}})\s*[{_CLOSE}]\s*(第?\s*\d{{1,5}})\s*[号號]")
_DECREE = re.compile(rf"(?:中华人民共和国)?([{_CJK}]{{2,12}})令\s*(?:[（(]?\s*(\d{{4}})\s*年?\s*[)）]?\s*)?第\s*(\d{{1,5}})\s*号")
_DECREE_LINE = re.compile(rf"(?:中华人民共和国)?([{_CJK}]{{2,12}})令")
_DOCNO_ANCHOR = re.compile(rf"[{_OPEN}]\s*(?:19|20)\d{{2}}\s*[{_CLOSE}]")
_DECREE_ANCHOR = re.compile(r"令\s*(?:[（(]?\s*\d{4}\s*年?\s*[)）]?\s*)?第")
_DOCNO_EN = re.compile(r"\b([A-Z][A-Za-z]*\.(?:\s?[A-Z][A-Za-z]*\.)*)\s*[\[(〔]\s*((?:19|20)\d{2})\s*[\])〕]\s*No\.\s*(\d{1,5})")
_EO = re.compile(r"\bExecutive\s+Order\s+(?:No\.\s*)?(\d{4,5})\b")
_EO_OF = re.compile(r"\bExecutive\s+Order\s+(?:No\.\s*)?\d{4,5}\s+of\s+([A-Z][a-z]+\.?\s+\d{1,2},\s*\d{4})")
_FR_HEADER = re.compile(r"Federal Register\s*(?:/|,)?\s*Vol(?:ume|\.)\s*\d+.{0,40}?((?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s*[A-Z][a-z]+\s+\d{1,2},\s*\d{4})")

# ---------------------------------------------------------------- titles
_DOC_TYPES = ("通知", "意见", "方案", "办法", "规定", "决定", "条例", "规划", "纲要", "批复", "函", "公告",
              "通告", "细则", "要点", "报告", "任务", "规则", "指引", "指南", "措施", "命令", "令", "决议",
              "计划", "章程", "标准", "目录", "清单", "答复", "复函", "通报", "公报", "法")
_TITLE_WORD = re.compile(r"关于|通知|意见|方案|办法|规定|决定|条例|规划|纲要|批复|公告|通告|细则|要点|实施|印发|若干|措施|计划|指引|报告")
_TITLE_END = re.compile(rf"(?:{'|'.join(_DOC_TYPES)})》?$|》$")
_SENT_END = re.compile(r"[。；;！？!?，,：:]$")
_SITE_SUFFIX = re.compile(r"\s*(?:[_|｜]|\s[-–—]\s|——)\s*")
_ABOUT = re.compile(r"^(.{2,40}?)(?:关于|印发|转发|批转)")
_BYLINE = re.compile(r"^\s*(?:来源|发布日期|发布时间|时间|日期|作者|浏览)\s*[:：]")
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}《》“”（）、])\s+(?=[{_CJK}《》“”（）])")

# --------------------------------------------------------------- issuers
_ORG_SUFFIX = re.compile(r"(?:部|委|委员会|局|厅|办|办公厅|办公室|院|府|政府|会|署|行|总局|中心|协|联|社|集团|公司|组|处|科|所|队|党委|军委|人大|政协|法院|检察院|小组)$")
_PERSON_TITLE = re.compile(r"^(?:总理|副总理|主席|省长|市长|区长|县长|部长|主任|局长|书记|委员长|署长|行长|院长|厅长)")
_EN_ORG = re.compile(
    r"\b((?:[A-Z][A-Za-z&'’-]*[ ]+(?:(?:and|&)[ ]+)?)*(?:Ministry|Bureau|Commission|Council|Office|Administration|"
    r"Department|Committee|Agency|Government|Congress|Bank)(?:[ ]+(?:of|for|and|on|the|&)(?=[ ]+[A-Z]|[ ]+the)"
    r"|[ ]+[A-Z][A-Za-z&'’-]*)*)")
_EN_ISSUED = re.compile(r"^(?:The\s+)?(.{3,80}?)\s+(?:has\s+|have\s+)?(?:released|issued|published|promulgated)\b")
_PUNCT_IN = re.compile(r"[，。；：:;,！？!?“”\"]")


# ======================================================================= dates

def _zh_number(s: str) -> int | None:
    """A Chinese numeral under 100 (``二十九``, ``十一``) or a digit-by-digit year (``一九九六``)."""
    if not s:
        return None
    if "十" in s:
        head, _, tail = s.partition("十")
        tens = _ZH_DIGITS.get(head, None) if head else 1
        ones = _ZH_DIGITS.get(tail, None) if tail else 0
        if tens is None or ones is None:
            return None
        return tens * 10 + ones
    value = 0
    for ch in s:
        if ch not in _ZH_DIGITS:
            return None
        value = value * 10 + _ZH_DIGITS[ch]
    return value


def _make_date(y: int | None, m: int | None, d: int | None) -> dt.date | None:
    if y is None or m is None or d is None:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str) -> dt.date | None:
    """The first complete date written in ``text``, or None.

    Args:
        text: any string; understood are ``2021年4月7日``, ``一九九六年六月二十九日``,
            ``2025-02-28`` (also ``/`` and ``.``), ``Apr 9,2019``, ``August 6, 1998``
            and ``16 November 2006``.  Impossible dates (``2018-02-30``) and broken
            ones (``201842``) give None.
    """
    found: list[tuple[int, dt.date]] = []
    for rx, order in ((_DATE_ZH, "ymd"), (_DATE_ISO, "ymd"), (_DATE_ZH_NUM, "zh"),
                      (_DATE_EN, "mdy"), (_DATE_EN_DMY, "dmy")):
        for m in rx.finditer(text):
            a, b, c = m.groups()
            if order == "ymd":
                date = _make_date(int(a), int(b), int(c))
            elif order == "zh":
                date = _make_date(_zh_number(a), _zh_number(b), _zh_number(c))
            elif order == "mdy":
                date = _make_date(int(c), _MONTHS[a[:3].lower()], int(b))
            else:
                date = _make_date(int(c), _MONTHS[b[:3].lower()], int(a))
            if date is not None:
                found.append((m.start(), date))
                break
    return min(found)[1] if found else None


# ===================================================================== fields

def _field_value(raw: str, simp: str, rx: re.Pattern[str]) -> str | None:
    """The value after the first ``label:`` matched by ``rx`` in ``simp``, sliced from ``raw``."""
    for m in _field_matches(rx, simp):
        start = m.end()
        stop = _NEXT_FIELD.search(simp, start)
        end = stop.start() if stop else len(simp)
        value = raw[start:end].strip()
        if value:
            return value
    return None


# ============================================================== doc numbers

def _finditer_near(rx: re.Pattern[str], anchor: re.Pattern[str], text: str, back: int,
                   ahead: int) -> Iterable[re.Match[str]]:
    """``rx.finditer(text)``, searched only around the matches of ``anchor``: a part every
    match of ``rx`` contains, at most ``back`` characters after the match's start and
    ``ahead`` before its end.  Patterns that open with a repeated character class (the
    issuer's name of a doc number) are slow to search along a whole page."""
    last = 0
    for a in anchor.finditer(text):
        if a.start() < last:
            continue
        m = rx.search(text, max(last, a.start() - back), a.end() + ahead)
        if m:
            yield m
            last = m.end()


def _doc_numbers(text: str, simp: str) -> Iterable[tuple[int, str]]:
    for m in _finditer_near(_DOCNO, _DOCNO_ANCHOR, simp, 40, 40):
        # The prefix is the issuing body's abbreviation: keep at most the CJK run
        # after the last function word that cannot be part of one.
        prefix_start = m.start(1)
        cut = max(simp.rfind(w, m.start(1), m.end(1)) for w in ("将", "的", "和", "按", "据", "照", "见", "及"))
        if cut >= 0:
            prefix_start = cut + 1
        if prefix_start >= m.end(1):
            continue
        yield prefix_start, re.sub(r"\s+", "", text[prefix_start:m.end()])
    for m in _finditer_near(_DECREE, _DECREE_ANCHOR, simp, 40, 40):
        body, year, num = m.group(1), m.group(2), m.group(3)
        body_raw = text[m.start(1):m.end(1)]
        if body == "国务院":
            yield m.start(), f"{text[m.start(1)]}令第{num}号"
        else:
            yield m.start(), f"{body_raw}令" + (f"{year}年" if year else "") + f"第{num}号"


def find_doc_number(raw: str, body: str) -> str | None:
    """The document number (文号) of a page.

    Args:
        raw: the raw page text (boilerplate included), lines joined by ``\\n``.
        body: the cleaned text.

    Returns:
        ``国办发〔2018〕128号`` style numbers as written (script kept, spaces
        removed), ``国令第707号`` for State Council decrees, ``X.B. [2018] No. 65``,
        or ``Executive Order 13096``; None when there is none.  A 发文字号 field
        wins; otherwise a number standing at the start of a line near the top of
        the body (before the text cites other documents), then anywhere in the raw page.
    """
    simp_raw = to_simplified(raw)
    value = _field_value(raw, simp_raw, _F_NUMBER)
    if value:
        found = list(_doc_numbers(value, to_simplified(value)))
        if found:
            return found[0][1]
    for text in (body, raw):
        simp = to_simplified(text)
        lines = _lines_with_offsets(text, 40)
        starts = {s for s, _ in lines}
        hits = sorted(_doc_numbers(text, simp))
        for pos, number in hits:
            line_start = text.rfind("\n", 0, pos) + 1
            if line_start in starts and not text[line_start:pos].strip():
                return number
    for text in (body, raw):
        m = _search_with(_EO, text, ("Executive",))
        if m:
            return f"Executive Order {m.group(1)}"
        m = _search_with(_DOCNO_EN, text, ("No.",))
        if m:
            return f"{m.group(1)} [{m.group(2)}] No. {m.group(3)}"
    return None


# ===================================================================== dates

def _lines_with_offsets(text: str, n: int) -> list[tuple[int, str]]:
    """The first ``n`` lines of ``text``, each with its offset."""
    out, pos = [], 0
    for line in text.split("\n", n)[:n]:
        out.append((pos, line))
        pos += len(line) + 1
    return out


_DATE_LINE = re.compile(
    rf"^\s*(?:(?:19|20)\d{{2}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日|[{_ZH_NUM}]{{4}}\s*年[{_ZH_NUM}]{{1,3}}月[{_ZH_NUM}]{{1,3}}日)"
    r"\s*(?:印发|发布|签发)?\s*$")


def _signature_dates(body: str) -> list[int]:
    """Indices (in non-empty body lines) of lines that are a date and nothing else."""
    lines = [x for x in body.split("\n") if x.strip()]
    return [i for i, x in enumerate(lines) if _DATE_LINE.match(x)]


def find_issued(raw: str, body: str) -> dt.date | None:
    """The issue date: the document's own date, else its publication date.

    Args:
        raw: the raw page text (boilerplate included).
        body: the cleaned text.

    Order: the 成文日期 field; the first date standing alone on a line of the
    body (the date under a signature, ``2021年4月7日``); ``Executive Order N of
    <date>``; then the publication date (发布日期/时间 field, ``Updated:``, the
    Federal Register header).
    """
    simp_raw = to_simplified(raw)
    value = _field_value(raw, simp_raw, _F_WRITTEN)
    if value and parse_date(value):
        return parse_date(value)
    lines = [x for x in body.split("\n") if x.strip()]
    for i in _signature_dates(body):
        date = parse_date(lines[i])
        if date:
            return date
    for text in (body, raw):
        m = _search_with(_EO_OF, text, ("Executive",))
        if m and parse_date(m.group(1)):
            return parse_date(m.group(1))
    for text in (raw, body):
        simp = to_simplified(text)
        value = _field_value(text, simp, _F_PUBLISHED)
        if value and parse_date(value[:40]):
            return parse_date(value[:40])
        m = _search_with(_UPDATED, text, _UPDATED_WORDS, fold=True)
        if m and parse_date(text[m.end():m.end() + 40]):
            return parse_date(text[m.end():m.end() + 40])
        m = _FR_HEADER.search(text)
        if m and parse_date(m.group(1)):
            return parse_date(m.group(1))
    return None


# ==================================================================== issuers

def _signature_name(line: str) -> str | None:
    """A signature line as an issuer name: letter-spacing removed, several bodies joined by 、."""
    tokens = line.split()
    if not tokens:
        return None
    if len(tokens) > 1 and all(len(t) == 1 for t in tokens):
        return "".join(tokens)
    return "、".join(tokens)


def _is_signature_line(line: str) -> bool:
    s = line.strip()
    compact = re.sub(r"\s+", "", s)
    return (0 < len(compact) <= 40 and bool(_CJK_RE.search(s)) and not _PUNCT_IN.search(s)
            and not _PERSON_TITLE.match(compact) and not s.startswith(("(", "（", "附件", "抄送"))
            and not _DATE_LINE.match(s) and not _DOCNO.search(s))


def _issuer_from_signature(body: str) -> str | None:
    lines = [x for x in body.split("\n") if x.strip()]
    for i in _signature_dates(body):
        names: list[str] = []
        j = i - 1
        while j >= 0 and len(names) < 4 and _is_signature_line(lines[j]):
            names.insert(0, lines[j])
            j -= 1
        parts = [p for n in names if (p := _signature_name(n))]
        parts = [p for p in parts if _ORG_SUFFIX.search(p.split("、")[-1])]
        if parts:
            return "、".join(parts)
    return None


def _issuer_from_title(title: str | None) -> str | None:
    if not title:
        return None
    m = _ABOUT.match(to_simplified(title))
    if not m:
        return None
    lead = title[:m.end(1)].strip()
    if _PUNCT_IN.search(lead) or "《" in lead:
        return None
    lead = "、".join(lead.split())
    return lead if _ORG_SUFFIX.search(to_simplified(lead.split("、")[-1])) else None


def find_issuer(raw: str, body: str, title: str | None, lang: str) -> str | None:
    """The body that issued the document.

    Args:
        raw: the raw page text (boilerplate included).
        body: the cleaned text.
        title: the title found by ``find_title`` (used for ``X关于…`` titles).
        lang: ``zh`` or ``en``.

    Order: the 发文机关/发布机构 field; a decree header (``中华人民共和国国务院令``);
    the body leading the title (``国务院办公厅关于…``, which names the issuer
    even when the signature under an attachment does not); the signature
    lines just above the first date under the text (several bodies joined by ``、``).  For
    English: the President for executive orders, else an organisation named in
    the title or first sentence.
    """
    simp_raw = to_simplified(raw)
    value = _field_value(raw, simp_raw, _F_ISSUER)
    if value and len(value) <= 60:
        return "、".join(value.split())
    if lang == "en":
        if _EO.search(body) or _EO.search(raw):
            return "President of the United States"
        for text in (title or "", body[:600]):
            m = _EN_ISSUED.match(text.strip())
            if m and _EN_ORG.search(m.group(1)):
                return re.sub(r"^the\s+", "", _EN_ORG.search(m.group(1)).group(1), flags=re.I)
            m = _EN_ORG.search(text)
            if m:
                return re.sub(r"^the\s+", "", m.group(1), flags=re.I)
        return None
    for text in (body, raw):
        simp = to_simplified(text)  # one conversion of the page: OpenCC is slow per call
        for (_, line), (_, s) in zip(_lines_with_offsets(text, 30), _lines_with_offsets(simp, 30)):
            m = _DECREE_LINE.fullmatch(s.strip())
            if m:
                return line.strip()[m.start(1):m.end(1)]
    from_title = _issuer_from_title(title)
    signed = _issuer_from_signature(body)
    if from_title and signed and signed.replace("、", "") == from_title.replace("、", ""):
        return signed  # the signature shows where one body's name ends and the next begins
    return from_title or signed


# ===================================================================== titles

def _clean_title(title: str) -> str:
    title = re.sub(r"\s+", " ", title).strip().strip("|｜ ").strip()
    return _CJK_SPACE.sub("", title) if _CJK_RE.search(title) else title


def _title_from_html(html_title: str | None) -> str | None:
    if not html_title or not html_title.strip():
        return None
    parts = [p for p in _SITE_SUFFIX.split(html_title.strip()) if p.strip()]
    if not parts:
        return None
    best = parts[0]
    return _clean_title(best) if len(best.strip()) >= 4 else None


def _title_from_body(body: str, lang: str) -> str | None:
    lines = [x.strip() for x in body.split("\n") if x.strip()]
    if lang == "en":
        for line in lines[:15]:
            words = line.split()
            if re.match(r"^(?:\(\w{1,4}\)|\d+\.|Sec(?:tion|\.))\s", line):
                continue
            if (3 <= len(words) <= 40 and not line.endswith(".") and len(_LATIN_RE.findall(line)) > 0.6 * len(line)
                    and not re.match(r"(?:Updated|Published|Source|By)\b", line)):
                return _clean_title(line)
        return _clean_title(lines[0]) if lines else None
    for i, line in enumerate(lines[:20]):
        simp = to_simplified(line)
        if (_TITLE_WORD.search(simp) and not _SENT_END.search(simp) and len(line) <= 100
                and not _DATE_LINE.match(line) and not re.match(r"^[（(]?[一二三四五六七八九十\d]+[、.．)）]", simp)
                and not (_DOCNO.search(simp) and len(_DOCNO.search(simp).group(0)) >= len(simp) - 2)):
            parts = [line]
            j = i + 1
            # A title broken over lines goes on until it names a document type.
            while (not _TITLE_END.search(to_simplified(parts[-1])) and j < len(lines) and len(parts) < 4
                   and not _SENT_END.search(lines[j]) and len(lines[j]) <= 60
                   and not _DOCNO.search(to_simplified(lines[j])) and not _DATE_LINE.match(lines[j])):
                parts.append(lines[j])
                j += 1
            if not _TITLE_END.search(to_simplified(parts[-1])):
                parts = [line]
            return _clean_title("".join(parts))
    # News layout: the headline stands just above a 来源/发布日期 line.
    for i, line in enumerate(lines[1:20], 1):
        if _BYLINE.match(to_simplified(line)) and not _SENT_END.search(lines[i - 1]):
            return _clean_title(lines[i - 1])
    return _clean_title(lines[0]) if lines else None


def find_title(raw: str, body: str, html_title: str | None, lang: str) -> str | None:
    """The document's title.

    Args:
        raw: the raw page text (boilerplate included).
        body: the cleaned text.
        html_title: the page's ``<title>``, if any.
        lang: ``zh`` or ``en``.

    Order: a 标题/標題 field; the HTML title without its site suffix
    (``… _ 中国政府网``); the first heading-like line of the body (for Chinese,
    one naming a document: 关于/通知/意见/方案…, joined with the lines it was
    broken into); else the first line.
    """
    value = _field_value(raw, to_simplified(raw), _F_TITLE)
    if value and len(value) >= 4:
        return _clean_title(value)
    return _title_from_html(html_title) or _title_from_body(body, lang)


# ============================================================ lang and script

def detect_lang(text: str) -> str:
    """``zh`` when CJK characters dominate ``text``, else ``en``.

    Args:
        text: the cleaned text.  A CJK character counts as much as an English
            word (about five letters).
    """
    cjk, latin = _count_cjk_latin(text)
    return "zh" if cjk > 0 and cjk * 5 >= latin else "en"


def _count_cjk_latin(text: str) -> tuple[int, int]:
    """How many CJK characters (``_CJK``) and ASCII letters ``text`` has."""
    c = code_points(text)
    cjk = ((c >= 0x3400) & (c <= 0x4DBF)) | ((c >= 0x4E00) & (c <= 0x9FFF)) | ((c >= 0xF900) & (c <= 0xFAFF))
    latin = ((c >= 0x41) & (c <= 0x5A)) | ((c >= 0x61) & (c <= 0x7A))
    return int(cjk.sum()), int(latin.sum())


def detect_script(text: str, lang: str | None = None) -> str:
    """``hant`` or ``hans`` for Chinese text, ``latn`` for English.

    Args:
        text: the cleaned text.
        lang: its language, if known (``detect_lang`` otherwise).

    Counts the characters that OpenCC's ``t2s`` changes (traditional forms)
    against those ``s2t`` changes (simplified forms), each character on its
    own (a table look-up: converting the page itself is slow).
    """
    lang = lang or detect_lang(text)
    if lang != "zh":
        return "latn"
    codes = code_points(text[:20000])
    n_trad = int(changed_by("t2s")[codes].sum())
    n_simp = int(changed_by("s2t")[codes].sum())
    return "hant" if n_trad > n_simp else "hans"


# ================================================================ entry point

def extract_metadata(raw_lines: list[str], body: str, html_title: str | None = None) -> dict:
    """Title, issuer, doc number, issue date, language and script of a page.

    Args:
        raw_lines: the decoded page's lines before boilerplate removal (the
            field tables and dates often sit in what is removed).
        body: the cleaned text (title, addressees, body, signature, date).
        html_title: the HTML ``<title>``, when the page is HTML.

    Returns:
        a dict with keys ``title``, ``issuer``, ``doc_number`` (str or None),
        ``issued`` (``datetime.date`` or None), ``lang`` (``zh``/``en``) and
        ``script`` (``hans``/``hant``/``latn``).
    """
    raw = "\n".join(raw_lines)
    lang = detect_lang(body if body.strip() else raw)
    script = detect_script(body if body.strip() else raw, lang)
    title = find_title(raw, body, html_title, lang)
    return {
        "title": title,
        "issuer": find_issuer(raw, body, title, lang),
        "doc_number": find_doc_number(raw, body),
        "issued": find_issued(raw, body),
        "lang": lang,
        "script": script,
    }

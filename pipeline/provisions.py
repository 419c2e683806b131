"""The document's own hierarchy: numbered items, their sub-items, and paragraphs.

Labels recognised at the start of a line (after indentation):

- Chinese: ``第一编/章/节/条``, ``一、``, ``(一)``/``（一）``, ``1.``/``1、``/``1．``,
  ``(1)``/``（1）``, ``1)``, ``①``;
- English: ``Part/Chapter I``, ``Article 31``, ``Section 1.``/``Sec. 5.``, ``(a)``,
  ``(i)``, ``(A)``, ``(1)``, ``1.``.

Nesting follows the document, not a fixed table: label styles open in the
order the document uses them (a style already open means a sibling, a new
style means a child of the open item), so a text that starts at ``(一)`` or
uses ``(1)`` above ``1.`` is fine.  Only heading styles close deeper open
styles when they are met for the first time: ``第X章/条``, ``一、`` and ``(一)``
over the styles that GB/T 9704 puts below them, ``Section``/``Article`` over
parenthesised items in English.  ``level`` is the depth in the resulting tree
(1 = top).

Labels also run inline in a paragraph (``具体包括:1探索…;2创新…;(3)实施…``,
``(1) To implement … (2) To coordinate …``).  They are split off only when
their numbers run consecutively from 1 (or continue the paragraph's own
label: ``(1) … (2) … (3)`` on one line are siblings), and each sits at the
start or after punctuation; this keeps ``2018年``, ``第2次``, ``subsection (b)
of`` and ``8 U.S.C. 1182`` whole.  A closing tag in brackets after the last
inline item (``…。(调宣部牵头)``, ``〔责任单位:…〕``) stays with the enclosing
item, not the last sub-item, because it governs the whole task.

A numbered provision spans from its label to the end of the last line
before the next label of the same or a higher level; lines without a label
are paragraph provisions (``label == ""``), children of the enclosing item.
Every provision's ``text`` is ``text[start:end]`` (trailing white space and
list separators ``;，`` excluded).

Provision ids are hierarchical and zero-padded, ``p0002.0001`` being the
first child of the second top-level provision; the padding is the same for
the whole document, so sorting the ids gives document order, which
``provision_at`` relies on.
"""
from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from .schemas import Provision
from .numerals import cn_int

__all__ = ["split_provisions", "provision_at"]

_ZH_NUMERALS = "一二三四五六七八九十百零〇两"
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# --------------------------------------------------------------- line labels
_ZH_LINE = re.compile(
    rf"(?P<ch>第(?P<chn>[{_ZH_NUMERALS}\d]{{1,6}})(?P<chu>编|章|节|条))"
    rf"|(?P<dun>(?P<dunn>[{_ZH_NUMERALS}]{{1,4}})[、．.])"
    rf"|(?P<zp>[（(](?P<zpn>[{_ZH_NUMERALS}]{{1,4}})[）)])"
    r"|(?P<ap>[（(](?P<apn>\d{1,3})[）)])"
    r"|(?P<ad>(?P<adn>\d{1,3})(?:[.．](?![\d.．])|、))"
    r"|(?P<ar>(?P<arn>\d{1,3})[)）])"
    r"|(?P<ci>[\u2460-\u2473])")
_EN_LINE = re.compile(
    r"(?P<sec>(?:Section|SECTION|Sec\.|SEC\.)\s*(?P<secn>\d{1,3})[A-Za-z]?\b\.?)"
    r"|(?P<art>(?:Article|ARTICLE)\s+(?P<artn>\d{1,3}|[IVXLC]{1,6})\b\.?)"
    r"|(?P<chap>(?:Chapter|CHAPTER|Part|PART)\s+(?P<chapn>\d{1,3}|[IVXLC]{1,6})\b\.?)"
    r"|(?P<lp>\((?P<lpn>[a-z]{1,5})\))"
    r"|(?P<up>\((?P<upn>[A-Z])\))"
    r"|(?P<ap>\((?P<apn>\d{1,3})\))"
    r"|(?P<ad>(?P<adn>\d{1,3})\.(?=\s))")

# Conventional rank of heading styles; a heading style met for the first time
# closes open styles ranked below it.
_ZH_HEADING = {"第编": 0, "第章": 1, "第节": 2, "第条": 3, "zh_dun": 4, "zh_paren": 5}
_ZH_RANK = {**_ZH_HEADING, "ar_dot": 6, "ar_paren": 7, "ar_rparen": 7, "circled": 8}
_EN_HEADING = {"chapter": 0, "article": 1, "section": 2}

# --------------------------------------------------------------- inline labels
_INLINE_BEFORE = set(":：;；。.，,！？!?、—")
# where a Chinese inline label may stand: after punctuation, before a character one can open with
_ZH_LABEL_SLOT = re.compile(r"[:：;；。.，,！？!?、—]\s*(?=[（(\d一二三四五六七八九十\u2460-\u2473])")
_ZH_INLINE = re.compile(
    r"(?P<ar>(?P<open>[（(])?(?P<arn>\d{1,2})(?!\d)(?P<close>[)）]|[.．、](?![\d.．]))?)"
    rf"|(?P<zp>[（(](?P<zpn>[{_ZH_NUMERALS}]{{1,3}})[）)])"
    rf"|(?P<shi>(?P<shin>[一二三四五六七八九十]{{1,3}})是)"
    r"|(?P<ci>[\u2460-\u2473])")
_EN_INLINE = re.compile(
    r"(?P<ap>\((?P<apn>\d{1,3})\))"
    r"|(?P<lp>\((?P<lpn>[a-z]{1,5})\))"
    r"|(?P<up>\((?P<upn>[A-Z])\))"
    r"|(?P<ad>(?<!\S)(?P<adn>\d{1,2})\.(?=\s+[A-Z]))")
# A bare number before these is a quantity or a date, not a label.
_UNITS = set("年月日号次个项条款章节%％倍万亿千百元名家所岁种类批期届级点只台件座天周分秒层位户人米吨亩公斤平")
# A bracketed group closing a paragraph: the task's tag (牵头/责任单位/...).
_TRAILING_GROUP = re.compile(r"[（(〔【][^（()）〔〕【】\n]{1,120}[)）〕】][。.；;]?\s*$")
_TRIM = " \t\u3000\u00a0\n;；,，"
_TERMINAL = tuple(".;:!?。；：！？\"”")
_MAX_INLINE_DEPTH = 3
# Lines that end a document's numbered body: what follows is not part of the last item.
_END_MATTER = re.compile(r"^(?:抄送|抄報|抄报|附件[:：\d一二三四五六七八九十]|联系人|聯繫人|联系电话|[（(]此件|印发日期)")
_DATE_ALONE = re.compile(
    r"^(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇零○一二三四五六七八九]{4}年[〇一二三四五六七八九十]{1,3}月"
    r"[〇一二三四五六七八九十]{1,3}日)\s*(?:印发|发布)?$")
_CLAUSE_PUNCT = re.compile(r"[，。；：:;,！？!?]")


@dataclass
class _Label:
    style: str
    family: str
    value: int
    form: str
    start: int
    end: int


@dataclass
class _Node:
    start: int
    end: int
    label: str
    children: list[_Node] = field(default_factory=list)


# ================================================================== numbers

def _zh_value(s: str) -> int:
    """Value of a Chinese numeral under 1000 (``十二``, ``二十``, ``一百零三``), 0 if unreadable."""
    return cn_int(s) or 0


def _roman_value(s: str) -> int:
    """Value of a lower-case roman numeral, 0 if ``s`` is not one."""
    s = s.lower()
    if not s or any(c not in _ROMAN for c in s):
        return 0
    total = 0
    for i, c in enumerate(s):
        v = _ROMAN[c]
        total += -v if i + 1 < len(s) and _ROMAN[s[i + 1]] > v else v
    return total


def _letter_or_roman(s: str, last_letter: int) -> tuple[str, int]:
    """``(i)`` is the letter after ``(h)``, else the roman one; same for ``(v)``, ``(x)``."""
    if len(s) == 1 and (s not in "ivxlc" or last_letter == ord(s) - ord("a")):
        return "letter", ord(s) - ord("a") + 1
    value = _roman_value(s)
    if value:
        return "roman", value
    return "", 0


# ============================================================== line labels

def _line_label(text: str, pos: int, end: int, lang: str, prev: str, last_letter: int) -> _Label | None:
    """The label opening the line at ``text[pos:end]``, if any.

    Args:
        text: the document text.
        pos: where the line's content starts (indentation skipped).
        end: where the line ends.
        lang: ``zh`` or ``en``.
        prev: the previous non-empty line (an English ``(b)`` continuing a
            wrapped sentence is no label unless that line opened a list).
        last_letter: value of the last ``(a)``-style label met (tells ``(i)`` apart).
    """
    rx = _ZH_LINE if lang == "zh" else _EN_LINE
    m = rx.match(text, pos, end)
    if not m:
        return None
    after = text[m.end():end].lstrip()
    if lang == "zh":
        if m.group("ch"):
            return _Label("第" + m.group("chu"), "zh_" + m.group("chu"), _zh_value(m.group("chn")), "",
                          pos, m.end())
        if m.group("dun"):
            return _Label("zh_dun", "zh", _zh_value(m.group("dunn")), "dun", pos, m.end())
        if m.group("zp"):
            return _Label("zh_paren", "zh", _zh_value(m.group("zpn")), "paren", pos, m.end())
        if m.group("ap"):
            return _Label("ar_paren", "arabic", int(m.group("apn")), "paren", pos, m.end())
        if m.group("ad"):
            if not after:
                return None
            return _Label("ar_dot", "arabic", int(m.group("adn")), "dot", pos, m.end())
        if m.group("ar"):
            return _Label("ar_rparen", "arabic", int(m.group("arn")), "rparen", pos, m.end())
        return _Label("circled", "circled", ord(m.group("ci")) - 0x245F, "circled", pos, m.end())
    if m.group("sec"):
        return _Label("section", "section", int(m.group("secn")), "", pos, m.end())
    if m.group("art"):
        n = m.group("artn")
        return _Label("article", "article", int(n) if n.isdigit() else _roman_value(n), "", pos, m.end())
    if m.group("chap"):
        n = m.group("chapn")
        return _Label("chapter", "chapter", int(n) if n.isdigit() else _roman_value(n), "", pos, m.end())
    # A parenthesised label starting a wrapped line of running text ("(b) of this
    # section") is part of the sentence, unless the line before opened a list.
    if after[:1].islower() and not prev.rstrip().endswith((":", ";")):
        return None
    if m.group("lp"):
        family, value = _letter_or_roman(m.group("lpn"), last_letter)
        if not family:
            return None
        return _Label(family, family, value, "paren", pos, m.end())
    if m.group("up"):
        return _Label("upper", "upper", ord(m.group("upn")) - ord("A") + 1, "paren", pos, m.end())
    if m.group("ap"):
        return _Label("ar_paren", "arabic", int(m.group("apn")), "paren", pos, m.end())
    return _Label("ar_dot", "arabic", int(m.group("adn")), "dot", pos, m.end())


# ================================================================== blocks

def _blocks(text: str, lang: str) -> list[tuple[int, int, _Label | None]]:
    """Paragraph blocks ``(start, end, label)``: non-empty lines, English wrapped lines joined."""
    blocks: list[tuple[int, int, _Label | None]] = []
    pos = 0
    prev_line = ""
    last_letter = 0
    joinable = False  # whether the next line may continue the current block
    for line in text.split("\n"):
        line_end = pos + len(line)
        stripped = line.strip()
        if not stripped:
            joinable = False
            pos = line_end + 1
            continue
        start = pos + len(line) - len(line.lstrip())
        end = start + len(stripped)
        label = _line_label(text, start, end, lang, prev_line, last_letter)
        if label and label.family == "letter":
            last_letter = label.value
        if lang == "en" and label is None and joinable and blocks:
            b_start, _, b_label = blocks[-1]
            blocks[-1] = (b_start, end, b_label)
        else:
            blocks.append((start, end, label))
        joinable = not stripped.endswith(_TERMINAL)
        prev_line = stripped
        pos = line_end + 1
    return blocks


# ============================================================ inline labels

def _label_matches(text: str, start: int, end: int, lang: str) -> Iterator[re.Match[str]]:
    """Matches of the inline-label pattern in ``text[start:end]``.  A Chinese label
    counts only at the start or after punctuation, so the pattern is tried just
    there: searched along the whole text, its optional bracket in front makes
    ``re`` try every position."""
    if lang != "zh":
        yield from _EN_INLINE.finditer(text, start, end)
        return
    first = start
    while first < end and text[first].isspace():
        first += 1
    last = start
    for p in itertools.chain((first,), (m.end() for m in _ZH_LABEL_SLOT.finditer(text, start, end))):
        if p < last:
            continue
        m = _ZH_INLINE.match(text, p, end)
        if m:
            yield m
            last = m.end()


def _inline_candidates(text: str, start: int, end: int, lang: str) -> dict[str, list[_Label]]:
    """Inline labels in ``text[start:end]`` by family, each at the start or after punctuation."""
    found: dict[str, list[_Label]] = {}
    for m in _label_matches(text, start, end, lang):
        k = m.start()  # the end of what precedes the label, white space skipped
        while k > start and text[k - 1].isspace():
            k -= 1
        before = text[max(start, k - 2):k]  # its last two characters are all that is looked at
        if before and before[-1] not in _INLINE_BEFORE and (lang == "zh" or before[-1].isalnum()):
            continue
        if lang == "en" and before and m.start() == k:
            continue  # "(a)" glued to the previous word
        nxt = text[m.end():m.end() + 1]
        if lang == "zh":
            if m.group("ar"):
                if before.endswith((".", "．")) and before[-2:-1].isdigit():
                    continue  # "2.5"
                bare = not m.group("open") and not m.group("close")
                if not nxt or nxt.isdigit() or (bare and (nxt in _UNITS or not re.match(f"[{_CJK}]", nxt))):
                    continue
                form = ("paren" if m.group("open") and m.group("close") and m.group("close") in ")）" else
                        "dot" if m.group("close") and m.group("close") not in ")）" else
                        "rparen" if m.group("close") else "lparen" if m.group("open") else "bare")
                found.setdefault("arabic", []).append(
                    _Label("inline", "arabic", int(m.group("arn")), form, m.start(), m.end()))
            elif m.group("zp"):
                found.setdefault("zh", []).append(
                    _Label("inline", "zh", _zh_value(m.group("zpn")), "paren", m.start(), m.end()))
            elif m.group("shi"):
                found.setdefault("zh_shi", []).append(
                    _Label("inline", "zh_shi", _zh_value(m.group("shin")), "shi", m.start(), m.end()))
            else:
                found.setdefault("circled", []).append(
                    _Label("inline", "circled", ord(m.group("ci")) - 0x245F, "circled", m.start(), m.end()))
            continue
        if nxt and not nxt.isspace():
            continue
        if m.group("ap") or m.group("ad"):
            n = int(m.group("apn") or m.group("adn"))
            found.setdefault("arabic", []).append(
                _Label("inline", "arabic", n, "paren" if m.group("ap") else "dot", m.start(), m.end()))
        elif m.group("lp"):
            s = m.group("lpn")
            if len(s) == 1:
                found.setdefault("letter", []).append(
                    _Label("inline", "letter", ord(s) - ord("a") + 1, "paren", m.start(), m.end()))
            if _roman_value(s):
                found.setdefault("roman", []).append(
                    _Label("inline", "roman", _roman_value(s), "paren", m.start(), m.end()))
        else:
            found.setdefault("upper", []).append(
                _Label("inline", "upper", ord(m.group("upn")) - ord("A") + 1, "paren", m.start(), m.end()))
    return found


def _consecutive(cands: list[_Label], first: int, form: str | None = None) -> list[_Label]:
    """The labels numbered ``first, first+1, …`` in order (others skipped), optionally of one form."""
    run: list[_Label] = []
    expected = first
    for c in cands:
        if c.value == expected and (form is None or c.form == form):
            run.append(c)
            expected += 1
    return run


def _child_run(cands: dict[str, list[_Label]]) -> list[_Label]:
    """The earliest run of at least two labels numbered from 1, over all families."""
    best: list[_Label] = []
    for labels in cands.values():
        firsts = [i for i, c in enumerate(labels) if c.value == 1]
        if not firsts:
            continue
        run = _consecutive(labels[firsts[0]:], 1)
        if len(run) >= 2 and (not best or run[0].start < best[0].start):
            best = run
    return best


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return end


def _split_inline(text: str, start: int, end: int, lang: str, depth: int, out: list[_Node]) -> None:
    """Append to ``out`` the inline items numbered from 1 in ``text[start:end]``, recursively."""
    if depth > _MAX_INLINE_DEPTH or end - start < 4:
        return
    run = _child_run(_inline_candidates(text, start, end, lang))
    if not run:
        return
    tail = end
    m = _TRAILING_GROUP.search(text, run[-1].end, end)
    if m:
        tail = m.start()
    for i, c in enumerate(run):
        stop = _trim_end(text, c.start, run[i + 1].start if i + 1 < len(run) else tail)
        if stop <= c.end:
            continue
        out.append(_Node(c.start, stop, text[c.start:c.end].strip()))
        _split_inline(text, c.end, stop, lang, depth + 1, out)


# =========================================================== the hierarchy

def _closes(style: str, open_style: str, lang: str) -> bool:
    """Whether heading ``style``, met for the first time, closes the open ``open_style``."""
    if lang == "zh":
        if style not in _ZH_HEADING:
            return False
        return _ZH_RANK.get(open_style, 99) > _ZH_HEADING[style]
    if style not in _EN_HEADING:
        return False
    return _EN_HEADING.get(open_style, 99) > _EN_HEADING[style]


def _closes_document(text: str, blocks: list[tuple[int, int, _Label | None]], k: int) -> bool:
    """Whether block ``k`` ends the numbered body: 抄送/附件/联系人 lines, a date
    standing alone, or a short signature line right above such a date."""
    start, end, _ = blocks[k]
    line = text[start:end]
    if _END_MATTER.match(line) or _DATE_ALONE.match(line):
        return True
    if k + 1 < len(blocks) and len(line) <= 30 and not _CLAUSE_PUNCT.search(line):
        n_start, n_end, n_label = blocks[k + 1]
        return n_label is None and bool(_DATE_ALONE.match(text[n_start:n_end]))
    return False


def _line_nodes(text: str, lang: str) -> list[_Node]:
    """Numbered and paragraph provisions as nodes (unordered, properly nested)."""
    blocks = _blocks(text, lang)
    nodes: list[_Node] = []
    stack: list[tuple[str, _Node]] = []
    continuations: list[tuple[_Node, list[_Label], int]] = []
    last_end = 0
    for k, (start, end, label) in enumerate(blocks):
        if label is None and stack and _closes_document(text, blocks, k):
            for _, node in stack:
                node.end = last_end
            stack.clear()
        if label is None:
            nodes.append(_Node(start, end, ""))
            _split_inline(text, start, end, lang, 1, nodes)
            last_end = end
            continue
        styles = [s for s, _ in stack]
        if label.style in styles:
            while stack:
                s, node = stack.pop()
                node.end = last_end
                if s == label.style:
                    break
        else:
            while stack and _closes(label.style, stack[-1][0], lang):
                stack.pop()[1].end = last_end
        node = _Node(start, end, text[label.start:label.end].strip())
        nodes.append(node)
        stack.append((label.style, node))
        # Same-style labels continuing this one on the same line are siblings,
        # unless a run from 1 of the same family starts first (then they are sub-items).
        cands = _inline_candidates(text, label.end, end, lang)
        same = cands.get(label.family, [])
        child = _consecutive(same[next((i for i, c in enumerate(same) if c.value == 1), len(same)):], 1)
        limit = child[0].start if len(child) >= 2 else end
        siblings = _consecutive([c for c in same if c.start < limit], label.value + 1, label.form)
        continuations.append((node, siblings, end))
        last_end = end
    for _, node in stack:
        node.end = last_end
    for node, siblings, block_end in continuations:
        bounds = [node.start] + [c.start for c in siblings]
        labels = [node.label] + [text[c.start:c.end].strip() for c in siblings]
        ends = [b for b in bounds[1:]] + [block_end]
        full_end = node.end
        for i, (b, lab) in enumerate(zip(bounds, labels)):
            seg_end = _trim_end(text, b, ends[i])
            if i == 0:
                target = node
                if siblings:
                    node.end = seg_end
            else:
                target = _Node(b, seg_end, lab)
                nodes.append(target)
            if i == len(bounds) - 1:
                target.end = full_end
            label_end = b + len(lab) if i else node.start + len(node.label)
            _split_inline(text, label_end, seg_end, lang, 1, nodes)
    return nodes


def split_provisions(doc_id: str, text: str, lang: str) -> list[Provision]:
    """The document's provisions in document order, parents before children.

    Args:
        doc_id: the document id, copied into every provision.
        text: the cleaned text; offsets index it.
        lang: ``zh`` or ``en`` (chooses the label grammar).

    Returns:
        provisions with hierarchical ids (``p0001``, ``p0001.0002``), the
        parent's id (None at the top), ``level`` (the depth, 1 = top), the
        label as written (``""`` for a paragraph) and ``text == text[start:end]``.
    """
    nodes = _line_nodes(text, lang or "zh")
    nodes = [n for n in nodes if n.end > n.start]
    nodes.sort(key=lambda n: (n.start, -n.end))
    roots: list[_Node] = []
    stack: list[_Node] = []
    for node in nodes:
        while stack and stack[-1].end <= node.start:
            stack.pop()
        if stack:
            node.end = min(node.end, stack[-1].end)  # never overlap a parent's end
            stack[-1].children.append(node)
        else:
            roots.append(node)
        stack.append(node)
    widest = max([len(roots)] + [len(n.children) for n in nodes] + [1])
    width = max(4, len(str(widest)))
    out: list[Provision] = []

    def emit(node: _Node, pid: str, parent: str | None, level: int) -> None:
        out.append(Provision(doc_id, pid, parent, level, node.label, text[node.start:node.end],
                             node.start, node.end))
        for k, child in enumerate(node.children, 1):
            emit(child, f"{pid}.{k:0{width}d}", pid, level + 1)

    for k, root in enumerate(roots, 1):
        emit(root, f"p{k:0{width}d}", None, 1)
    return out


def provision_at(provisions: list[Provision], offset: int) -> Provision | None:
    """The deepest provision containing ``offset``, or None.

    Args:
        provisions: one document's provisions as ``split_provisions`` returns
            them (document order; ids sort in the same order).
        offset: a position in the document's text.

    Runs in O(depth * log n): the last provision starting at or before
    ``offset`` is found by bisection, then its ancestors are tried upwards.
    """
    i = bisect_right(provisions, offset, key=lambda p: p.start) - 1
    while i >= 0:
        p = provisions[i]
        if p.start <= offset < p.end:
            return p
        if p.parent_id is None:
            return None
        i = bisect_left(provisions, p.parent_id, key=lambda q: q.provision_id)
        if i >= len(provisions) or provisions[i].provision_id != p.parent_id:
            return None
    return None

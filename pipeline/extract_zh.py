"""Chinese assignment patterns -> candidate obligations.

Works on a simplified-script view of ``documents.text`` (OpenCC t2s is
length-preserving), so offsets found here index the text as written and every
output string is sliced from the original: traditional pages stay traditional.

Patterns, in the order they claim text:

0. task tables: a header row (序号 | 工作任务 | 牵头单位 | 配合单位 | 完成时限, or
   成员单位 | 主要职责) and the rows under it, one a line, cells between bars
   (HTML tables), tabs or spaces; role words inside a cell (``X牵头，Y配合``,
   ``X（牵头）、Y``) count;
1. closing tags on a task: ``(调宣部牵头)``, ``(X牵头,Y配合)``,
   ``〔责任单位:X、Y按职责分工负责〕``, ``(X分别负责,年内持续推进)`` — the duty is the
   whole task the tag closes (its heading sentence and sub-items);
2. role lines after a task: ``牵头单位:X`` / ``责任单位:X`` / ``配合单位:X``;
3. function lists: ``X主要职责:(一)负责…`` — X responsible for each item;
4. inline assignments: ``由X会同Y…``, ``请X…``, and a clause that opens with
   an actor list followed by its predicate (``X要/应/须/负责/牵头/协助…``).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .actors import ActorGrammar, Span, is_actor_text
from .deadlines import find_deadlines
from .provisions import provision_at
from .schemas import Candidate, Document, Provision

_TAG_CUE = re.compile(r"牵头|负责|配合|参与|协助|协办|主责|责任单位|责任部门|落实")
# (人力资源社会保障部、财政部负责。列第一位者为牵头单位，下同): the document's own convention
# that the body listed first in a tag leads, stated once for the tags from there on
_FIRST_LEADS = re.compile(r"(?:列|排)在?(?:第一位|首位)(?:者|的(?:部门|单位)?)?(?:为|是)牵头(?:单位|部门)")
_FIELD = re.compile(
    r"\s*(牵头单位|牵头部门|责任单位|责任部门|负责单位|负责部门|主责单位|主责部门|配合单位|配合部门|协办单位|参与单位|"
    r"实施单位|完成单位)\s*[:：]\s*")
_OTHER_FIELD = re.compile(r"\s*[\u4e00-\u9fff]{2,6}\s*[:：]")
_DEADLINE_FIELD = re.compile(r"\s*(?:完成时限|完成时间|时间进度|时限要求|时间节点|时间安排|进度安排)\s*[:：]\s*")
# A role field inside a paragraph, after the task it governs: 1.推进…。牵头单位:X;配合单位:Y
_INLINE_FIELD = re.compile(
    r"(?<=[。；;，,\s])(?:牵头单位|牵头部门|责任单位|责任部门|负责单位|负责部门|主责单位|主责部门|配合单位|配合部门|协办单位|"
    r"参与单位|实施单位)\s*[:：]")
_FIELD_ROLE = {"牵头": "lead", "主责": "lead", "配合": "cooperate", "协办": "cooperate",
               "参与": "cooperate", "责任": "responsible", "负责": "responsible", "实施": "responsible", "完成": "responsible"}
# Role words closing an actor list in a tag segment, longest first.
_SEGMENT_CUE = re.compile(
    r"(按职责分工负责|按职责分工落实|按职责负责|分别负责|负责落实|共同负责|牵头负责|负责牵头|牵头抓总|"
    r"牵头|负责|配合|参与|协助|协办|落实|主责)(.*)$")
_CUE_ROLE = {"牵头负责": "lead", "负责牵头": "lead", "牵头抓总": "lead", "牵头": "lead", "主责": "lead",
             "配合": "cooperate", "参与": "cooperate", "协助": "cooperate", "协办": "cooperate"}
_LABEL = re.compile(
    r"\s*(?:[一二三四五六七八九十百]+、|[(（][一二三四五六七八九十百]+[)）]|"
    r"\d{1,2}(?:[.．]\d{1,2}){1,3}(?:\s+|(?=[\u4e00-\u9fff])(?![万亿千百十元倍个年月日周天分秒度]))|\d{1,3}\s*[.、．]|"
    r"[(（]\d{1,3}[)）]|[①-⑳]|第[一二三四五六七八九十百零\d]+[条章节]|\d{1,2}(?=[\u4e00-\u9fff]))\s*")
_ADVERBIAL = re.compile(r"(?:原则上|同时|此外|另外|其中|必要时|今后|届时|为此|对此|随后|并且?|还|也|均|"
                        r"[一二三四五六七八九十]{1,2}是(?!否))")  # 三是各级经济综合部门要…: an enumerator
_MODAL = re.compile(r"(?:要|应当|应该|应|须|必须|需要|需|务必|将|可以|可|负责|牵头负责|牵头|主要负责|分别负责|共同负责)")
_MODAL_NEXT = re.compile(r"(?:要|应当|应|须|必须|需|务必|不得|严禁|负责|及时|立即)")
# 在职责范围内，分别负责…; 在指挥部的统一领导下，做好…: a circumstance between an actor and its duty
_CIRCUMSTANCE = re.compile(r"在[^，,。；;：:\n]{1,24}?(?:下|内|中)(?:[，,]|(?=要|应当|应|须|必须|负责|分别负责|共同负责))")
_LEAD_IN_PRED = re.compile(r"负总体责任|负主体责任|负总责|牵头抓总|统筹协调")
_COOP_PRED = re.compile(r"(?:协助|配合|参与|协同)")
_SPEECH = re.compile(r"(?:也|还|均|都|亦)?(?:强调|指出|表示|认为|提出了?|要求|介绍|说|透露|称|获悉|了解到|发布|印发|转发|"
                     r"召开|举行|决定|是|为|作为|已|已经|曾|先后|一直|始终|一向|历来|正在|正按|共|将于|于\d|"
                     r"反映|意见[:：]|商定|由于|近年来)|"
                     # 国家地震局《关于…的报告》已经国务院同意: a document forwarded, not a duty
                     r"《[^》\n]{1,80}》已")
# A perfective 了 or a 以来 in the clause marks narration of what was done, not a duty.
_NARRATIVE = re.compile(r"(?<![为除])了(?![解结])|以来")
# 市公安局：负责…: an actor, a colon, and its duty opening with a role word or a modal
_COLON_DUTY = re.compile(r"[:：](?=负责|牵头|配合|参与|协助|承担|主要负责|要|应当|应|须|必须)")
# A time limit (by when), not a start, a period or a frequency: 2023年底前, 三年内, 年底.
_BY_WHEN = re.compile(r"^(?!.*[起至]).*(?:前|内|底|截至|截止)")
_FREQUENCY = re.compile(r"每(?:年|年度|半年|季度?|月|周|天|日)")
_NOT_PRED_START = re.compile(r"[的之、：:，,。)）》”]|有关|(?:常务|执行)?副?(?:党委|党组|董事|主要|分管|部|局|厅|司|处|科|署|"
                             r"秘书|行|院|省|市|县|区|主|总)?"
                             r"(?:长(?![期效远足])|主任|书记|负责人|同志|领导(?!小组)|经理|主席|总理|成员(?!单位)|委员(?!会))|(?:主要)?职(?:责|能)|关于|文件|(?:发布|印发|成文)日期|函〔|发〔|[〔\[(（]\d{4}")
_DUTY_LEAD_STRIP = re.compile(r"(?:要|应当|应该|应|须|必须|需要|需|务必|将|可以|可(?!持续|靠|行|能|信|视|控|比)|负责|牵头负责|分别负责|共同负责)[，,]?(?=[\u4e00-\u9fff])")
_FUNCTIONS_HEAD = re.compile(r"^(?P<actor>.{0,30}?)(?:的)?(?:主要职责|主要职能|职责)(?:是|如下|包括)?[:：]?\s*$")
_TRIM = "。；;，,：: \t"
# A clause that is only a role word after its actors: 由市发展改革委牵头，各区县政府配合，…
_ROLE_ONLY = re.compile(r"(?:牵头负责|负责牵头|共同负责|分别负责|牵头|负责|配合|参与|协助|协同)[，,。；;]")
_WILL = re.compile(r"(?:还|也|并)?(?:将|要|应当|应|须|必须)(?=会同)")
_BY = re.compile(r"(?<![自理缘经])由(?!于)")  # the 由 of 由X负责, not of 自由贸易试验区


@dataclass
class _Inline:
    clause_start: int
    sentence_start: int
    actors: list[tuple[Span, str]]  # span, role
    pred_start: int
    method: str
    cue: tuple[int, int] | None
    whole_sentence: bool


class ChineseExtractor:
    """Candidate obligations from a Chinese document.

    Args:
        grammar: the actor grammar (lexicon + suffix rules) to use.
    """

    def __init__(self, grammar: ActorGrammar):
        self.grammar = grammar

    def __call__(self, doc: Document, view: str) -> list[Candidate]:
        """All candidates of a document.

        Args:
            doc: the ingested document; strings are sliced from ``doc.text``.
            view: ``doc.text`` in simplified script, same length.
        """
        self._doc, self._view = doc, view
        paragraphs = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", view)]
        out: list[Candidate] = []
        claimed = _Claims()
        self._sentence_ends = [m.start() for m in _SENTENCE_END.finditer(view)]
        self._deadlines = find_deadlines(view, "zh")
        self._deadline_starts = [d.start for d in self._deadlines]
        out += self._tables(paragraphs, claimed)
        out += self._tags(paragraphs, claimed)
        out += self._role_lines(paragraphs, claimed)
        out += self._function_lists(paragraphs, claimed)
        out += self._inline(paragraphs, claimed)
        return out

    # -- helpers ---------------------------------------------------------------------------

    def _cand(self, actor: Span, role: str, duty: tuple[int, int], method: str,
              cue: tuple[int, int] | None, scope: tuple[int, int],
              deadline: tuple[int, int] | None) -> Candidate | None:
        text = self._doc.text
        ds, de = _trim(self._view, *duty)
        if de - ds < 2 or actor.end <= actor.start:
            return None
        return Candidate(
            doc_id=self._doc.doc_id, provision_id=self._provision_id(ds), lang="zh",
            actor=text[actor.start:actor.end], actor_start=actor.start, actor_end=actor.end,
            role=role, duty=text[ds:de], duty_start=ds, duty_end=de, method=method,
            cue=text[cue[0]:cue[1]] if cue else None, cue_start=cue[0] if cue else None,
            cue_end=cue[1] if cue else None,
            deadline=text[deadline[0]:deadline[1]] if deadline else None,
            deadline_start=deadline[0] if deadline else None,
            deadline_end=deadline[1] if deadline else None,
            scope_start=scope[0], scope_end=scope[1])

    def _provision_id(self, offset: int) -> str | None:
        prov = self._provision_at(offset)
        return prov.provision_id if prov else None

    def _provision_at(self, offset: int) -> Provision | None:
        return provision_at(self._doc.provisions, offset)

    def _sentence_end(self, pos: int, limit: int) -> int:
        """Where the sentence around ``pos`` ends (。！？), at most ``limit``."""
        i = bisect.bisect_left(self._sentence_ends, pos)
        return min(self._sentence_ends[i], limit) if i < len(self._sentence_ends) else limit

    def _first_deadline(self, start: int, end: int) -> tuple[int, int] | None:
        # The page's deadlines are found once (in context, so a slice boundary cannot cut
        # one short): those that lie inside [start, end) are the candidates.
        i = bisect.bisect_left(self._deadline_starts, start)
        for d in self._deadlines[i:]:
            if d.start >= end:
                break
            if d.end > end or _FREQUENCY.fullmatch(d.text):
                continue  # 每月召开一次: how often, not by when
            return d.start, d.end
        return None

    # -- 0. task tables ---------------------------------------------------------------------

    def _tables(self, paragraphs: list[tuple[int, int]], claimed: _Claims) -> list[Candidate]:
        """Rows of a division-of-work table (序号 | 工作任务 | 牵头单位 | 配合单位 | 完成时限),
        as ingest renders them: one row a line, cells separated by bars (HTML tables),
        tabs, or spaces."""
        out: list[Candidate] = []
        view = self._view
        columns: list[str] | None = None
        headers: dict[str, tuple[int, int]] = {}
        generic: set[str] = set()
        for ps, pe in paragraphs:
            cells = _cells(view, ps, pe)
            kinds = [_column_kind(view[a:b]) for a, b in cells]
            if _is_header(kinds, [b - a for a, b in cells]):
                columns = [k or "other" for k in kinds]
                # the column's name (牵头单位) is the role word of every actor under it
                headers = {k: cell for k, cell in zip(kinds, cells) if k in _ROLE_COLUMNS}
                generic = {k for k, (a, b) in headers.items() if _GENERIC_COLUMN.fullmatch(view[a:b])}
                claimed.append((ps, pe))
                continue
            if columns is None:
                continue
            row = _align(cells, columns)
            if row is None:
                if len(cells) == 1 and pe - ps <= _SECTION_ROW_CHARS:
                    continue  # 一、知识产权保护方面: a section row spanning the table
                columns = None  # the table has ended
                continue
            duty = row.get("duty")
            if duty is None:
                continue
            lead_in = _DUTY_LEAD_STRIP.match(view, duty[0], duty[1])  # 负责统筹协调…: the duty itself
            if lead_in and lead_in.end() < duty[1]:
                duty = (lead_in.end(), duty[1])
            deadline = None
            if "deadline" in row:
                a, b = row["deadline"]
                found = find_deadlines(view[a:b], "zh")
                deadline = (a + found[0].start, a + found[0].end) if found else ((a, b) if b > a else None)
            for kind, role in _ROLE_COLUMNS.items():
                if kind in row:
                    found = self._cell_actors(*row[kind], role)
                    if kind in generic and not all(
                            is_actor_text(view[a.start:a.end], self.grammar.lexicon) for a, _, _ in found):
                        continue  # under a column named only 单位 or 部门, 数量 of a table of figures
                    for span, cell_role, cue in found:
                        c = self._cand(span, cell_role, duty, "zh.table", cue or headers.get(kind), (ps, pe),
                                       deadline)
                        if c:
                            out.append(c)
            claimed.append((ps, pe))
        return out

    def _cell_actors(self, start: int, end: int, role: str) -> list[tuple[Span, str, tuple[int, int] | None]]:
        """The actors of a table cell under a column of ``role``, with their own role where
        the cell names one: ``市发展改革委牵头，市财政局配合``, ``区生态环境分局（牵头）、各街道``."""
        view = self._view
        if _TAG_CUE.search(view, start, end):
            rows = self._parse_tag(start, end)
            if rows:
                return [(span, r, cue) for span, r, cue, _ in rows]
        return self._marked_actors(start, end, role)

    def _marked_list(self, start: int, end: int, role: str) -> list[tuple[Span, str, tuple[int, int] | None]]:
        """Like :meth:`_marked_actors`, for a list that may end in its own role word:
        ``市发展改革委（牵头）、市财政局负责``."""
        view = self._view
        last = None
        for last in _ROLE_MARK.finditer(view, start, end):
            pass
        tail = _SEGMENT_CUE.search(view, last.end() if last else start, end)
        if tail and not tail.group(2).strip():
            role = _CUE_ROLE.get(tail.group(1), role)
            end = tail.start()
        return self._marked_actors(start, end, role)

    def _marked_actors(self, start: int, end: int, role: str) -> list[tuple[Span, str, tuple[int, int] | None]]:
        """The actors of a list, each with ``role`` unless a role is marked after it:
        ``区生态环境分局（牵头）、各街道``."""
        view = self._view
        out = []
        for span in self.grammar.split_list(view, start, end):
            m = _ROLE_MARK.search(view, span.start, span.end)
            if m and m.end() == span.end and m.start() > span.start:
                out.append((Span(span.start, m.start()), _CUE_ROLE.get(m.group(1), "responsible"),
                            (m.start(1), m.end(1))))
            else:
                out.append((span, role, None))
        return out

    # -- 1. closing tags -------------------------------------------------------------------

    def _tags(self, paragraphs: list[tuple[int, int]], claimed: _Claims) -> list[Candidate]:
        out: list[Candidate] = []
        view = self._view
        note = _FIRST_LEADS.search(view)
        for ps, pe in paragraphs:
            prev_end = ps
            for ts, te in _bracket_groups(view, ps, pe):
                inner = view[ts + 1:te - 1]
                if len(inner) > 160 or not _TAG_CUE.search(inner):
                    continue
                rows = self._parse_tag(ts + 1, te - 1)
                if not rows:
                    continue
                task = self._task_scope(ts, prev_end, ps)
                body_start = _skip_label(view, task[0])
                if note and te > note.start() and (len(rows) > 1 or "等" in inner) and rows[0][1] == "responsible":
                    rows[0] = (rows[0][0], "lead", rows[0][2], rows[0][3])
                # 持续压减审批时限（2023年底前完成）。（X牵头）: a time limit in the task itself
                in_task = None if rows[0][3] else self._first_deadline(body_start, ts)
                if in_task and not _BY_WHEN.match(view[in_task[0]:in_task[1]]):
                    in_task = None  # 定期, 从2019年1月1日起, 2019年1月1日至…: not a time limit
                for actor, role, cue, deadline in rows:
                    c = self._cand(actor, role, (body_start, ts), "zh.tag", cue, (task[0], te),
                                   deadline or in_task)
                    if c:
                        out.append(c)
                claimed.append((task[0], te))
                prev_end = te
        return out

    def _parse_tag(self, start: int, end: int):
        """Rows (actor span, role, cue span, deadline span) of a tag's content."""
        view = self._view
        rows = []
        deadline = None
        field_role = None
        seg_start = start
        segments = []
        depth = 0
        for pos in range(start, end + 1):
            ch = view[pos] if pos < end else "，"
            if ch in "(（":
                depth += 1
            elif ch in ")）":
                depth = max(0, depth - 1)
            elif depth == 0 and (ch in "，,；;。" or ch in " \u3000" and (
                    _FIELD.match(view, pos, end) or _DEADLINE_FIELD.match(view, pos, end))):
                # 牵头单位：X 配合单位：Y 完成时限：…: fields set apart by spaces only
                segments.append((seg_start, pos, ch))
                seg_start = pos + 1
        after_full_stop = False
        for s, e, sep in segments:
            seg = view[s:e]
            if not seg.strip():
                continue
            dm = _DEADLINE_FIELD.match(seg)
            if dm:  # 完成时限:2023年底前 / 时间进度:长期坚持
                field_role = None
                deadline = deadline or self._field_deadline(s + dm.end(), e)
                continue
            m = _FIELD.match(seg)
            if m:
                field_role = _role_of_field(m.group(1))
                s += m.end()
                seg = view[s:e]
            elif _OTHER_FIELD.match(seg):
                field_role = None  # 适用范围:… and other fields that name no actor
                continue
            found = find_deadlines(seg, "zh")
            if found and not _SEGMENT_CUE.search(seg[:found[0].start]):
                d = found[0]
                deadline = deadline or (s + d.start, s + d.end)
                if d.end - d.start >= len(seg.strip()) - 2:
                    continue
            if after_full_stop and not m:
                continue
            cm = _SEGMENT_CUE.search(seg)
            if cm and cm.group(2).strip() and _ROLE_MARK.search(seg):
                # 责任单位：市大数据局（牵头），市直各部门: a role marked after one body
                rows.extend(self._marked_list(s, e, field_role or "responsible"))
                after_full_stop = sep == "。"
                continue
            if cm and cm.group(2).strip():
                continue  # the role word is not the segment's last (共落实了165名…, 排在第一位的为牵头部门)
            if cm:
                list_end = s + cm.start()
                role = _CUE_ROLE.get(cm.group(1), "responsible")
                cue = (s + cm.start(1), s + cm.end(1))
            elif field_role:
                list_end, role, cue = e, field_role, None
            else:
                continue
            if m and cm and cm.group(1) in ("负责", "按职责分工负责", "分别负责", "落实") and field_role:
                role = field_role if field_role != "responsible" else role
            if view.startswith("会同", s) and role == "responsible":
                s, role = s + 2, "cooperate"  # (市发展改革委牵头，会同市财政局负责): the partners
            by = [b.end() for b in _BY.finditer(view, s, list_end)] if cm else []
            if by:
                s = by[-1]  # 技工院校内由人力资源社会保障行政部门负责: the bodies follow 由
            lead_end = view.find("会同", s, list_end) if cm else -1
            parts = [(s, list_end, role)]
            if lead_end > s:  # 国家发展改革委会同有关部门负责: the first leads, the others cooperate
                parts = [(s, lead_end, "lead" if role == "responsible" else role),
                         (lead_end + 2, list_end, "cooperate")]
            for ls, le, part_role in parts:
                for span in self.grammar.split_list(view, ls, le):
                    if is_actor_text(view[span.start:span.end], self.grammar.lexicon) or cm:
                        rows.append((span, part_role, cue))
            after_full_stop = sep == "。"
        return [(a, r, c, deadline) for a, r, c in rows]

    def _task_scope(self, tag_start: int, prev_end: int, para_start: int) -> tuple[int, int]:
        """The task a closing tag governs: the largest provision ending at the tag, else
        the paragraph text since the previous tag."""
        prov = self._provision_at(tag_start)
        if prov is None:
            return (prev_end, tag_start)
        by_id = {p.provision_id: p for p in self._doc.provisions} if prov.parent_id else {}
        best = prov
        while best.parent_id and best.parent_id in by_id:
            parent = by_id[best.parent_id]
            if _trim(self._view, parent.start, parent.end)[1] > _closing_end(self._view, tag_start) + 1:
                break
            best = parent
        start = max(best.start, prev_end)
        return (start, tag_start)

    # -- 2. role lines ---------------------------------------------------------------------

    def _role_lines(self, paragraphs, claimed) -> list[Candidate]:
        out: list[Candidate] = []
        view = self._view
        task: tuple[int, int] | None = None
        task_rows: list[Candidate] = []  # the current task's rows, for a time-limit line after them
        task_deadline: tuple[int, int] | None = None
        for ps, pe in paragraphs:
            m = _FIELD.match(view[ps:pe])
            dm = _DEADLINE_FIELD.match(view, ps, pe) if not m and task is not None else None
            if dm:  # 完成时限：持续推进, a line of the task's fields, before or after its units
                task_deadline = self._field_deadline(dm.end(), pe)
                for c in task_rows:
                    if c.deadline is None and task_deadline is not None:
                        self._set_deadline(c, task_deadline)
                continue
            if not m:
                if claimed.covers(ps):
                    continue
                task = (ps, pe)
                task_rows, task_deadline = [], None
                inline = _INLINE_FIELD.search(view, ps, pe)
                if inline:
                    out.extend(self._inline_fields(ps, inline.start(), pe))
                    claimed.append((ps, pe))
                    task = None
                continue
            if task is None:
                continue
            role = _role_of_field(m.group(1))
            list_start = ps + m.end()
            deadline = self._first_deadline(list_start, pe) or task_deadline
            body = _skip_label(view, task[0])
            if _ROLE_MARK.search(view, list_start, pe):  # 责任单位：市发展改革委（牵头）、市财政局
                actors = [(span, r) for span, r, _ in self._marked_list(list_start, pe, role)]
            else:
                cm = _SEGMENT_CUE.search(view[list_start:pe])
                list_end = list_start + cm.start() if cm and cm.start() > 0 else pe
                if cm and cm.start() > 0 and role == "responsible":
                    role = _CUE_ROLE.get(cm.group(1), role)
                actors = [(span, role) for span in self.grammar.split_list(view, list_start, list_end)]
            for span, span_role in actors:
                c = self._cand(span, span_role, (body, task[1]), "zh.role_line", (ps, ps + len(m.group(1))),
                               (task[0], pe), deadline)
                if c:
                    out.append(c)
                    task_rows.append(c)
            claimed.append((task[0], pe))
        return out

    def _field_deadline(self, start: int, end: int) -> tuple[int, int] | None:
        """The deadline in a time-limit field's value: the time expression in it, else the
        whole value as written (持续推进, 长期坚持)."""
        vs, ve = _trim(self._view, start, end)
        if ve <= vs:
            return None
        found = find_deadlines(self._view[vs:ve], "zh")
        return (vs + found[0].start, vs + found[0].end) if found else (vs, ve)

    def _set_deadline(self, c: Candidate, span: tuple[int, int]) -> None:
        c.deadline = self._doc.text[span[0]:span[1]]
        c.deadline_start, c.deadline_end = span

    def _inline_fields(self, ps: int, fields_start: int, pe: int) -> list[Candidate]:
        """A task followed, in the same paragraph, by its role fields."""
        body = _skip_label(self._view, ps)
        out = []
        for actor, role, cue, deadline in self._parse_tag(fields_start, pe):
            c = self._cand(actor, role, (body, fields_start), "zh.role_line", cue, (ps, pe), deadline)
            if c:
                out.append(c)
        return out

    # -- 3. function lists -----------------------------------------------------------------

    def _function_lists(self, paragraphs, claimed) -> list[Candidate]:
        out: list[Candidate] = []
        view = self._view
        title = self._doc.title or ""
        for k, (ps, pe) in enumerate(paragraphs):
            m = _FUNCTIONS_HEAD.match(view[ps:pe])
            if not m:
                continue
            a_start = _skip_label(view, ps + m.start("actor"))
            actor_text = view[a_start:ps + m.end("actor")].strip()
            if not is_actor_text(actor_text, self.grammar.lexicon):
                t = _FUNCTIONS_HEAD.match(title) or re.match(r"^(.{2,30}?)(?:主要职责|职能配置|机构职能)", title)
                if not t:
                    continue
                pos = view.find(t.group(1).strip())
                if pos < 0 or not is_actor_text(t.group(1).strip(), self.grammar.lexicon):
                    continue
                a_start, actor_text = pos, t.group(1).strip()
            actor = Span(a_start, a_start + len(actor_text))
            first_label = None
            for qs, qe in paragraphs[k + 1:]:
                lm = _LABEL.match(view[qs:qe])
                if not lm:
                    break
                kind = _label_kind(lm.group(0))
                first_label = first_label or kind
                if kind != first_label:
                    continue
                body = qs + lm.end()
                if self._names_own_actor(body, qe):
                    continue  # (3)公安部负责…: the members' duties under a heading of the whole body
                if view.startswith("负责", body):
                    body += 2
                c = self._cand(actor, "responsible", (body, qe), "zh.functions", None, (qs, qe),
                               None)
                if c:
                    out.append(c)
                    claimed.append((qs, qe))
        return out

    def _names_own_actor(self, start: int, end: int) -> bool:
        """Whether the list item at ``start`` opens with an assignment to bodies of its own
        (an actor list, then a role word: 负责, 牵头, 会同, a modal), as in a list of what each
        member of a headquarters does, rather than a function of the body in the heading."""
        first = _clauses(self._view, start, end)[:1]
        item = self._clause(first[0][0], first[0][1], start, end) if first else None
        if item is None:
            return False
        return item.cue is not None or self._view.find("负责", start, self._sentence_end(start, end)) >= 0

    # -- 4. inline assignments -------------------------------------------------------------

    def _inline(self, paragraphs, claimed) -> list[Candidate]:
        out: list[Candidate] = []
        for ps, pe in paragraphs:
            if claimed.covers(ps) or _FIELD.match(self._view[ps:pe]):
                continue
            items = self._inline_items(ps, pe, claimed)
            shared = self._shared_duties(items, ps, pe, claimed)
            for n, item in enumerate(items):
                nxt = items[n + 1] if n + 1 < len(items) else None
                end = pe
                if nxt is not None:
                    end = nxt.clause_start if nxt.sentence_start == item.sentence_start else nxt.sentence_start
                cut = claimed.first_start_in(item.pred_start, end)
                if cut is not None:
                    end = cut
                duty_start = item.sentence_start if item.whole_sentence else item.pred_start
                if n in shared:
                    duty_start, end = shared[n]
                elif item.whole_sentence:
                    duty_start = _skip_label(self._view, duty_start)
                    end = min(end, self._sentence_end(item.pred_start, pe))
                else:
                    m = _DUTY_LEAD_STRIP.match(self._view, duty_start)
                    if m:
                        duty_start = m.end()
                deadline = self._first_deadline(item.pred_start, end)
                for span, role in item.actors:
                    c = self._cand(span, role, (duty_start, end), item.method, item.cue,
                                   (item.sentence_start, end), deadline)
                    if c:
                        out.append(c)
        return out

    def _shared_duties(self, items: list[_Inline], ps: int, pe: int, claimed) -> dict[int, tuple[int, int]]:
        """The duty of items whose clause is only a role word (由X牵头，Y配合，…), by index.

        A run of such clauses shares the rest of its sentence (由市发展改革委牵头，各区县
        政府配合，于2023年底前完成); a run that ends its paragraph closes the task before
        it, as a bracketed tag does (1.加强…。由X牵头，Y配合。).
        """
        view = self._view
        out: dict[int, tuple[int, int]] = {}
        n = 0
        while n < len(items):
            m = _ROLE_ONLY.match(view, items[n].pred_start)
            if not m:
                n += 1
                continue
            run, after = [n], m.end()
            while n + len(run) < len(items):
                nxt = items[n + len(run)]
                mm = _ROLE_ONLY.match(view, nxt.pred_start)
                if not mm or nxt.clause_start != after or view[after - 1] not in "，,":
                    break
                run.append(n + len(run))
                after = mm.end()
            first = items[run[0]]
            following = items[n + len(run)].clause_start if n + len(run) < len(items) else pe
            span: tuple[int, int] | None = None
            if view[after - 1] in "，," and following > after:
                end = min(following, self._sentence_end(after, pe))
                cut = claimed.first_start_in(after, end)
                span = (after, cut if cut is not None else end)
            elif not view[after:pe].strip() and first.sentence_start > ps:
                span = (_skip_label(view, ps), first.sentence_start)
            if span is not None and span[1] - span[0] >= 2:
                for k in run:
                    out[k] = span
            n += len(run)
        return out

    def _inline_items(self, ps: int, pe: int, claimed) -> list[_Inline]:
        view = self._view
        items: list[_Inline] = []
        if view[ps:pe].rstrip().endswith((":", "：")) and pe - ps < 160:
            return items  # an addressee line (各省、自治区…：) or a heading that opens a list
        if pe - ps < 120 and "。" not in view[ps:pe] and _TITLE.search(view[ps:pe].rstrip()):
            return items  # the document's title
        sentence_start = ps
        for clause_start, clause_end in _clauses(view, ps, pe):
            if clause_start == ps or view[clause_start - 1] in "。！？!?；;":
                sentence_start = clause_start
            if not claimed.covers(clause_start):
                item = self._clause(clause_start, clause_end, sentence_start, pe)
                if item:
                    items.append(item)
        return items

    def _partners(self, at: int, pe: int) -> tuple[list[Span], int] | None:
        """The bodies after a 会同 at ``at`` and where the duty then starts (past a comma:
        财政部会同有关部门，对…), or None."""
        view = self._view
        if not view.startswith("会同", at):
            return None
        co, co_end = self.grammar.actor_list(view, at + 2, pe)
        if not co:
            return None
        return co, co_end + (view[co_end:co_end + 1] in ("，", ","))

    def _clause(self, cs: int, ce: int, sentence_start: int, pe: int) -> _Inline | None:
        view = self._view
        start = _skip_label(view, cs) if cs == sentence_start else cs
        while start < ce and view[start] in " \t“\"":
            start += 1
        m = _ADVERBIAL.match(view, start)
        if m and m.end() < ce:
            start = m.end()
        method = "zh.subject"
        whole_sentence = False
        if view.startswith(("由", "将由"), start):  # 将由信息产业部牵头，…: a commitment
            method, start = "zh.you", start + (1 if view[start] == "由" else 2)
        elif view.startswith(("请", "建议"), start):
            method, start = "zh.qing", start + (1 if view[start] == "请" else 2)
        actors, list_end = self.grammar.actor_list(view, start, pe)
        if not actors or actors[0].start != start:
            return None
        rest = view[list_end:pe]
        colon = _COLON_DUTY.match(rest)
        if colon:  # 市公安局：负责维护现场秩序…, a member's duties in a list of them
            list_end += 1
            rest = rest[1:]
        if not rest or _NOT_PRED_START.match(rest) or _SPEECH.match(rest):
            return None
        roles = []
        cue = None
        circumstance = _CIRCUMSTANCE.match(view, list_end, pe)
        at = pred = circumstance.end() if circumstance else list_end
        if circumstance and _SPEECH.match(view, at):
            return None
        lead_role = "responsible"
        cooperators: list[Span] = []
        co_at = list_end
        if method != "zh.qing":
            will = _WILL.match(view, list_end)  # 国办将会同有关部门…: a commitment, as 会同 alone
            co_at = will.end() if will else list_end
        partners = self._partners(co_at, pe)
        if partners:
            cooperators, pred = partners
            lead_role = "lead"
            cue = (co_at, co_at + 2)
            whole_sentence = method == "zh.you"
        if not cooperators:
            mm = _MODAL.match(view, at)
            if mm:
                cue = (at, mm.end())
                word = mm.group(0)
                if word.startswith("牵头"):
                    lead_role = "lead"
                # 由省卫生健康委牵头，会同省财政厅等部门，建立…: partners after the role word
                partners = self._partners(mm.end() + (view[mm.end():mm.end() + 1] in ("，", ",")), pe) \
                    if word in ("牵头", "负责", "牵头负责") else None
                if partners:
                    cooperators, pred = partners
                    lead_role = "lead"
                    whole_sentence = method == "zh.you"
            if _COOP_PRED.match(view, at):
                lead_role = "cooperate"
                cue = (at, at + 2)
            if _LEAD_IN_PRED.search(view, at, min(self._sentence_end(at, pe), at + _LOOKAHEAD)):
                lead_role = "lead"
        if pred >= pe or _NOT_PRED_START.match(view, pred):
            return None
        if method == "zh.subject" and cue is None and (
                not _looks_like_predicate(view, pred)
                or view[ce - 1] in "后时" and not _MODAL_NEXT.match(view, min(ce + 1, pe))):
            # a noun phrase, or a time clause (国务院批准启动本预案后，…) but for its actor's
            # own duty (指挥部接到通知后，要立即组织…; 代理机构接受委托后，不得…)
            return None
        if _NARRATIVE.search(view, pred, min(self._sentence_end(pred, pe), pred + _LOOKAHEAD)):
            return None
        if method == "zh.you" and (view[ce - 1] == "的" or view.startswith(("担任", "兼任"), ce - 2)):
            return None  # 由交通部施工的(项目): a description; 由…负责同志担任: who holds a post
        roles = [(a, lead_role) for a in actors] + [(c, "cooperate") for c in cooperators]
        return _Inline(cs, sentence_start, roles, pred, method, cue, whole_sentence)


_PREDICATE_START = re.compile(r"(?!和|与|及(?!时)|等|是|在|于)[\u4e00-\u9fff《“]")
_QUOTE_OPEN = "“‘《(（「『"
_QUOTE_CLOSE = "”’》)）」』"
_CLAUSE_MARK = re.compile("[" + re.escape(_QUOTE_OPEN + _QUOTE_CLOSE) + "，,：:。！？!?；;]")


def _clauses(view: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clauses of ``view[start:end]``, split at ，：。；！？ outside quotes and brackets."""
    out = []
    depth = 0
    clause_start = start
    for m in _CLAUSE_MARK.finditer(view, start, end):
        ch = m.group()
        if ch in _QUOTE_OPEN:
            depth += 1
        elif ch in _QUOTE_CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            pos = m.start()
            out.append((clause_start, pos))
            clause_start = pos + 1
    if clause_start < end:
        out.append((clause_start, end))
    return out


def _looks_like_predicate(view: str, pos: int) -> bool:
    """A bare subject (no modal) must be followed by a verb-like start, not a noun phrase."""
    return bool(_PREDICATE_START.match(view, pos))


_GROUP = re.compile(r"[(（〔【\[]((?:[^(（)）〔〕【】\[\]\n]|[(（][^(（)）〔〕【】\[\]\n]*[)）])*)[)）〕】\]]")
_TITLE = re.compile(r"(?:关于.{2,80}的|的)(?:通知|意见|方案|决定|办法|规定|函|复函|批复|答复|报告|公告|通告|通报)\s*$|"
                    r"^.{0,40}(?:方案|办法|规定|细则|制度)\s*$")


def _bracket_groups(view: str, start: int, end: int):
    """(start, end) of each bracket group in ``view[start:end]`` with at most one nested
    pair inside; stray unbalanced brackets such as ``(2加快…`` do not hide later groups."""
    for m in _GROUP.finditer(view, start, end):
        yield m.start(), m.end()


_CELL = re.compile(r"[^\s|｜]+(?:[ \u3000][^\s|｜]+)*?(?=\s{1,}|[|｜]|$)")
_CELL_SEP = {"|": re.compile(r"\s*[|｜]\s*"), "\t": re.compile(r"\s*\t\s*")}
# 区生态环境分局（牵头）: a role marked after one actor of a table cell
_ROLE_MARK = re.compile(r"[(（](牵头|主责|配合|协办|参与|负责)[)）]")
# A column named by no role (单位, 部门): responsible, but its cells must read as bodies
_GENERIC_COLUMN_NAMES = r"(?:成员)?单位(?:名称)?|部门|责任主体"
_COLUMNS = [
    ("number", re.compile(r"序号|编号|\d{1,3}")),
    ("duty", re.compile(r"(?:重点|主要|工作|具体|目标)?(?:任务|工作|措施|内容|事项)(?:内容|名称|措施|事项)?"
                        r"|(?:主要|工作)?职责(?:分工|任务)?|任务分工")),
    ("lead", re.compile(r"(?:牵头|主责|主办)(?:单位|部门|机关)")),
    ("responsible", re.compile(r"(?:责任|负责|实施|落实|承办)(?:单位|部门|机关)|" + _GENERIC_COLUMN_NAMES)),
    ("cooperate", re.compile(r"(?:配合|协办|参与|协同)(?:单位|部门|机关)")),
    ("deadline", re.compile(r"完成(?:时限|时间|期限)|时间(?:节点|进度|安排|要求)|时限(?:要求)?|进度安排|办理时限|期限")),
]
_ROLE_COLUMNS = {"lead": "lead", "responsible": "responsible", "cooperate": "cooperate"}
_GENERIC_COLUMN = re.compile(_GENERIC_COLUMN_NAMES)
# A one-cell line this short inside a table is a section row, not the table's end.
_SECTION_ROW_CHARS = 40
# Header cells of no known kind (类别, 备注, 责任领导) are allowed when this short.
_OTHER_HEADER_CHARS = 8


def _cells(view: str, start: int, end: int) -> list[tuple[int, int]]:
    """A line's cells: between bars (how ingest renders an HTML table row, empty cells
    kept) or tabs, else runs separated by white space."""
    line = view[start:end]
    sep = "|" if ("|" in line or "｜" in line) else "\t" if "\t" in line else None
    if sep is None:
        return [(m.start(), m.end()) for m in _CELL.finditer(view, start, end)]
    out = []
    for m in _CELL_SEP[sep].finditer(view, start, end):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, end))
    return [_trim(view, a, b) if b > a else (a, b) for a, b in out]


def _column_kind(header: str) -> str | None:
    header = re.sub(r"\s+", "", header)
    for kind, pattern in _COLUMNS:
        if pattern.fullmatch(header):
            return kind
    return None


def _is_header(kinds: list[str | None], widths: list[int]) -> bool:
    """Whether a row of cells of these kinds is the header of a task table: a task column,
    a role column, at least two named columns, the rest short."""
    return (sum(k not in (None, "number") for k in kinds) >= 2 and "duty" in kinds
            and any(k in _ROLE_COLUMNS for k in kinds)
            and all(k is not None or w <= _OTHER_HEADER_CHARS for k, w in zip(kinds, widths)))


def _align(cells: list[tuple[int, int]], columns: list[str]) -> dict[str, tuple[int, int]] | None:
    """A row's cells by column, the task being the last non-empty task column.

    More cells than columns: spaces inside the task text split it, which is merged.  Fewer:
    cells merged down from the rows above (a category spanning several rows) are missing
    before the last task column, so the row aligns from its end."""
    n = len(columns)
    last_duty = max(i for i, k in enumerate(columns) if k == "duty")
    if len(cells) > n:
        extra = len(cells) - n
        cells = cells[:last_duty] + [(cells[last_duty][0], cells[last_duty + extra][1])] \
            + cells[last_duty + extra + 1:]
    elif len(cells) < n:
        missing = n - len(cells)
        spanned = [i for i in range(last_duty) if columns[i] != "number"]
        if missing > len(spanned) or not cells:
            return None
        keep = set(range(n)) - set(spanned[:missing])
        columns = [k for i, k in enumerate(columns) if i in keep]
    row: dict[str, tuple[int, int]] = {}
    for kind, (a, b) in zip(columns, cells):
        if kind == "duty":
            if b > a:
                row["duty"] = (a, b)
        elif kind not in ("number", "other"):
            row[kind] = (a, b)
    return row


def _role_of_field(name: str) -> str:
    for key, role in _FIELD_ROLE.items():
        if name.startswith(key):
            return role
    return "responsible"


def _label_kind(label: str) -> str:
    label = label.strip()
    if re.match(r"[(（][一二三四五六七八九十]", label):
        return "paren_cn"
    if re.match(r"[(（]\d", label):
        return "paren_num"
    if re.match(r"\d", label):
        return "num"
    if re.match(r"[一二三四五六七八九十]", label):
        return "cn"
    return label[:1]


def _skip_label(view: str, pos: int) -> int:
    m = _LABEL.match(view, pos)
    return m.end() if m else pos


def _trim(view: str, start: int, end: int) -> tuple[int, int]:
    while end > start and view[end - 1] in _TRIM + "\n":
        end -= 1
    while start < end and view[start] in " \t\n，,。；;：:":
        start += 1
    return start, end


def _closing_end(view: str, tag_start: int) -> int:
    """Where the closing tag that starts at ``tag_start`` ends."""
    for s, e in _bracket_groups(view, tag_start, min(len(view), tag_start + 200)):
        return e
    return tag_start


_SENTENCE_END = re.compile(r"[。！？!?]")
# How far past a predicate's start its cues are looked for: sentences in real documents are
# shorter, and a page that is one endless sentence must not make every clause rescan it.
_LOOKAHEAD = 300


class _Claims:
    """Spans of text that a pattern has claimed, kept sorted so lookups are logarithmic."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def append(self, span: tuple[int, int]) -> None:
        bisect.insort(self.spans, span)

    def covers(self, pos: int) -> bool:
        # Claims are tasks and paragraphs: they barely nest, so the few spans starting
        # last before ``pos`` are the only ones that can contain it.
        if not self.spans:
            return False
        i = bisect.bisect_right(self.spans, (pos, float("inf")))
        for s, e in self.spans[max(0, i - 8):i]:
            if s <= pos < e:
                return True
        return False

    def first_start_in(self, lo: int, hi: int) -> int | None:
        """The first claimed span starting strictly between ``lo`` and ``hi``."""
        i = bisect.bisect_right(self.spans, (lo, float("inf")))
        return self.spans[i][0] if i < len(self.spans) and self.spans[i][0] < hi else None

"""Chinese actor recognition and actor normalisation.

An actor is a government body or a collective of bodies.  Names come from two
sources: the lexicon (``models/zh_bodies.txt``, so abbreviations such as 调宣部
or 发展改革委 are known) and a grammar of heads — a token that is a lexicon
body or ends with an organisational suffix (部, 委, 局, 厅, 办公室, 委员会,
领导小组 …) — preceded by modifier tokens (国家, 省, 市, 区, 各, 有关 …), so
that bodies missing from the lexicon are still found.  Collectives (各地,
各有关部门, 国务院各部门, 每个地方 …) are heads too.

All functions work on simplified script (the extractors pass an OpenCC view of
the text, which is length-preserving) and return offsets into what they were
given.
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .segment import WordTags, jieba_tokenizer, read_lexicon, word_tags

# What jieba segments as one block (its re_han_default): everything else is one token a character.
_RUN = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
# A token ending with one of these is an organisational head (longest first).
_HEAD_SUFFIXES = (
    "领导小组办公室", "领导小组", "工作小组", "工作组", "办公厅", "办公室", "委员会", "管理局",
    "人民政府", "政府", "总局", "总署", "专班", "中心", "部门", "单位", "机构", "机关", "科协",
    "协会", "学会", "联合会", "工会", "商会", "理事会", "公司", "集团", "银行", "街道",
    "开发区", "高新区", "示范区", "新区", "园区", "事务所", "研究所", "研究院", "法院", "检察院",
    "部", "委", "局", "厅", "办", "处", "署", "院", "司", "所", "站", "队", "室",
)
_HEAD_RE = re.compile("(?:" + "|".join(map(re.escape, _HEAD_SUFFIXES)) + ")$")
# Tokens that end with a head suffix but are not bodies.
_NOT_HEADS = frozenset(
    "全部 内部 外部 局部 干部 部分 大部 底部 顶部 头部 本部 全局 格局 布局 结局 当局 大局 开局 "
    "主委 编委 常委 办事 举办 创办 承办 兴办 督办 代办 主办 好处 到处 之处 用处 处处 益处 长处 "
    "短处 难处 相处 出处 住处 住院 出院 入院 教室 卧室 温室 密室 医院 学院 法院 庭院 寺院 场所 处所 厕所 住所 诊所 研究所 车站 网站 "
    "岗位 上司 公司 官司 部队 军队 团队 排队 梯队 单位 部门 机构 机关 中心 重心 核心 信心 "
    "小组 分组 编组 有所 无所".split()
)
# Endings of words that are not bodies whatever comes before them (合理布局, 全面部署, 基层干部)
_NOT_HEAD_ENDINGS = frozenset("布局 格局 结局 大局 全局 开局 部署 干部".split())
# Generic heads: a body only with a modifier (有关部门, 各单位), never alone.
_GENERIC = frozenset("部门 单位 机构 机关 中心 公司 银行 小组 工作组".split())

_COLLECTIVE_RE = re.compile(
    r"(?:国务院|中央|省直|市直|区直|县直|省级|市级|区级|县级|全区|全市|全省|全县|本级)?"
    r"(?:各级|各|每个|所有)(?:有关|相关|直属)?"
    r"(?:地方|地区|地|省|市|县|区|乡镇|街道|部门|单位|机构|部委|直属机构|成员单位|学会|"
    r"级政府|级党委和政府|级人民政府|省区市|省份)$"
)
_COLLECTIVE_PREFIX = re.compile(r"(?:各级|各|每个|所有)(?:有关|相关|直属)?")
_PLACE_COLLECTIVE = re.compile(r"^各(?:地|省|市|县|区|级)$|^各地区$|^各省市$|^各级地方$|^地方各级$")
_PREFIX_TOKENS = frozenset(
    "国家 中央 中共 国务院 省 市 区 县 乡 镇 州 自治区 直辖市 省级 市级 区级 县级 各 各级 有关 相关 "
    "全国 全省 全市 全区 全县 本级 同级 地方 各地 省直 市直 区直 县直 其他 其它 主管 行业 "
    "牵头 责任 配合 所属 直属 下属 上级 中国 我国 当地 属地".split()
)
# Tokens that never occur inside a body's name: modal and function words, common predicates.
_STOP_TOKENS = frozenset(
    "要 应 应当 须 必须 需 需要 将 可 可以 能 会 把 对 在 于 从 向 按 按照 依 依照 根据 为 为了 "
    "以 与 和 及 以及 或 并 并且 等 的 之 是 已 已经 曾 也 都 均 还 再 又 就 则 由 请 经 "
    "负责 牵头 会同 协助 配合 参与 落实 做好 加强 推进 推动 组织 研究 制定 完善 建立 健全 "
    "开展 实施 及时 认真 切实 积极 进一步 加快 统筹 指导 督促 强调 指出 表示 认为 提出 "
    "召开 发布 印发 通知 意见 方案 关于 深化 强化 优化 提升 促进 扩大 坚持 支持 鼓励 引导 服务 "
    "围绕 聚焦 打造 培育 探索 创新 发挥 增强 提高 保障 确保 实现 形成 针对 结合 通过".split()
)
# nominal tags: nouns, and verbs or adjectives used as nouns (教育 vn, 卫生 an: 国务院教育行政部门)
_NOUN_TAGS = frozenset("n nz j ns nt vn an".split())
# 县级以上, 省级以下: a range of government levels, part of the name (县级以上地方人民政府)
_LEVEL_RANGE = frozenset("以上 以下".split())
_VERB_TAGS = frozenset("v vd vi".split())
# jieba dictionary tags that a name-modifier token cannot carry (verbs, adverbs, pronouns ...).
_VERBAL_TAGS = frozenset("v vd ad d p c u r a ad m q f t i".split())
_ADVERB_TAGS = frozenset("d ad a".split())
# adverbs of manner that jieba's dictionary tags as nouns (全面推行, 依法取缔)
_ADVERBS_TAGGED_AS_NOUNS = frozenset("全面 依法".split())
# verbs that jieba's dictionary tags as nouns, seen opening clauses before their object
# (压实部门责任, 联系指挥部成员单位, 代表国务院发表讲话, 报经人民银行审核): never a name's first word
_VERBS_TAGGED_AS_NOUNS = frozenset(
    "规范 压实 建立健全 经商 报经 动员 联系 领导 代表 责令 部署 通报 备案 有所 周密 高标准 现将 报".split())
# one-character heads that jieba leaves apart from the field before them (教材 + 局)
_BUREAU_CHARS = frozenset("局处司室")
# the levels a local bureau's name opens with, and the last characters such a name may end in
_LEVELS = frozenset("省 市 区 县 州 旗 乡 镇 自治区 自治州 自治县".split())
_BUREAU_HEADS = frozenset("局厅委办")
# words that end a name's middle: a role, a modal or a function word (not 促进, 审批, 服务)
_NOT_IN_BUREAU_NAME = frozenset(
    "要 应 应当 须 必须 需 需要 将 可以 已 已经 负责 牵头 会同 协助 配合 参与 按照 依照 根据 为了 "
    "以及 并且 及时 认真 切实 积极 进一步 强调 指出 表示 认为 提出".split())
_LEVEL = "(?:" + "|".join(sorted(_LEVELS, key=len, reverse=True)) + ")"
_LOCAL_BODY = re.compile(_LEVEL + "(?:委|政府)")
_LOCAL_BUREAU_SHAPE = re.compile(_LEVEL + "[\u4e00-\u9fff]{2,10}?[" + "".join(sorted(_BUREAU_HEADS)) + "]")
_EXTENSIBLE = re.compile("(?:小组|办公室|办公厅|委员会|工作组|中心|专班|指挥部)$")
# role words that name a body only right before its head (牵头单位, 配合部门, 责任单位)
_ROLE_PREFIXES = frozenset("牵头 配合 责任".split())
_SUBORDINATE = frozenset("有关 相关 各 所属 直属 下属 主管".split())
_LIST_SEPARATORS = frozenset("、,，;；/")
_CONJUNCTIONS = frozenset("和 及 与 以及 暨".split())
_ETC_CONJ = re.compile(r"等(?:有关|相关)?(?:部门|单位|机构)?(?:和|及|以及|与)")
_TRAILING_ETC = re.compile(r"(?:等(?:有关|相关)?(?:部门|单位|机构|地方|地区)?)$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_COLLECTIVE_HINTS = ("各", "每个", "所有")
_COLLECTIVE_HINT = re.compile("|".join(_COLLECTIVE_HINTS))
_CLAUSE_END = re.compile(r"[，,。；;：:！？!?\n]")
# 省、自治区、直辖市人民政府: kinds of division listed before the head they share (one
# actor, the governments of all of them), or standing alone before a modal (各省、自治区、
# 直辖市要…)
_DIVISION = "省|自治区|直辖市|计划单列市|副省级城市|新疆生产建设兵团|地级市|地市|市|州|盟|县|区|旗|乡镇|乡|镇"
_DIVISION_LIST = re.compile(rf"各?(?:{_DIVISION})(?:[、和及](?:{_DIVISION}))+")
_DIVISION_LIST_MODAL = re.compile(r"要|应当|应|须|必须|需|负责|牵头|可")
# 财政、教育、卫生健康等部门要: fields of government listed before the 等部门 they share
_FIELD_LIST = re.compile(r"((?:[\u4e00-\u9fff]{2,8}、)+[\u4e00-\u9fff]{2,8})等(?:有关|相关)?(?:部门|单位)"
                         r"(?=要|应当|应|须|必须|负责|牵头)")
# 省级人民政府 + 管理专利工作的部门: a department named by what it does, under a body
# (only when a modal or a role word follows: 国务院有关规定的部门 is not an actor)
_DESCRIBED_UNIT = re.compile(r"[^，,。；;：:、\s的]{2,12}的(?:部门|机构|单位)(?=要|应当|应|须|必须|负责|牵头|会同|配合)")
_CLAUSE_OPENER_TAGS = frozenset("c d t f p u".split())
# and a local bureau's middle words are neither these nor pronouns, numerals or measure words
_NOT_IN_BUREAU_NAME_TAGS = _CLAUSE_OPENER_TAGS | frozenset("r m q".split())
_UNIT_BEFORE_MODAL = re.compile(r"[\u4e00-\u9fff]{1,12}?(?:部门|单位|机构|机关)"
                                r"(?=要|应当|应该|应|须|必须|需|负责(?!同志|人)|可以|不得|牵头|会同|配合)")
# after a head, words that make it part of a longer noun (政府性基金, 政府网站)
_NOUN_AFTER_HEAD = frozenset("性 网 网站".split())
_BRACKETS_OPEN = "(（"
_BRACKETS_CLOSE = ")）"

MAX_ACTOR_CHARS = 24


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _is_generic(token: str) -> bool:
    """部门, 单位 … alone or after a field (主管部门, 行政部门): a body only under another."""
    return token in _GENERIC or token.endswith(("部门", "单位", "机构"))


@functools.lru_cache(maxsize=4)
def lexicon_set(path: str) -> frozenset[str]:
    """The lexicon's names as a set.

    Args:
        path: the lexicon file.
    """
    return frozenset(read_lexicon(path))


def is_head(token: str, lexicon: frozenset[str]) -> bool:
    """Whether a token can end an actor's name.

    Args:
        token: one segmenter token (simplified script).
        lexicon: the body names of the lexicon.
    """
    if token in lexicon or _COLLECTIVE_RE.search(token):
        return True
    if len(token) < 2 or token in _NOT_HEADS and token not in _GENERIC or token[-2:] in _NOT_HEAD_ENDINGS:
        return False
    tag = word_tags()[token]
    if tag in _VERB_TAGS or tag == "f" or _adverb_verb(token):
        return False  # 查处, 住院, 依法查处: verbs that end like a body; 东部: a direction
    return bool(_HEAD_RE.search(token))


def _adverb_verb(word: str) -> bool:
    """A dictionary word made of an adverb and a verb that jieba's dictionary tags as
    a noun or an idiom (充分发挥 n, 不断完善 l, 严肃查处 nr, 依法查处 l; not 医疗保障,
    机构编制: a noun first).  It cannot open a name, nor end one, though inside one it
    may stand (中央全面依法治国委员会)."""
    tags = word_tags()
    return len(word) >= 4 and tags[word[-2:]] == "v" and (
        tags[word[:-2]] in _ADVERB_TAGS or word[:-2] in _ADVERBS_TAGGED_AS_NOUNS)


def is_actor_text(text: str, lexicon: frozenset[str]) -> bool:
    """Whether a whole string reads as an actor (used to validate list items).

    Args:
        text: a candidate actor name, simplified script.
        lexicon: the body names of the lexicon.
    """
    t = text.strip()
    if not t or len(t) > MAX_ACTOR_CHARS or not _CJK.search(t):
        return False
    core = re.sub(r"[(（][^()（）]*[)）]$", "", t)
    if core in lexicon or _COLLECTIVE_RE.search(core):
        return True
    if core in _GENERIC or core in _NOT_HEADS:
        return False
    return bool(_HEAD_RE.search(core))


class ActorGrammar:
    """Finds actor lists in simplified Chinese text.

    Args:
        lexicon: path of the lexicon file (``models/zh_bodies.txt``).
    """

    def __init__(self, lexicon: str | Path):
        self.lexicon_path = str(lexicon)
        self.lexicon = lexicon_set(self.lexicon_path)
        # Every head is a lexicon name, ends with a head suffix or holds a collective hint
        # (is_head), so a text holding none of these strings holds no name (_holds_head).
        heads = {*_HEAD_SUFFIXES, *self.lexicon, *_COLLECTIVE_HINTS}
        singles = {x for x in heads if len(x) == 1}
        self._head_ends_alone = frozenset(singles)
        self._head_strings = frozenset(x for x in heads if x[-1] not in singles)
        lengths: dict[str, set[int]] = {}
        for string in self._head_strings:
            lengths.setdefault(string[-1], set()).add(len(string))
        self._head_lengths = {ch: sorted(ns) for ch, ns in lengths.items()}
        self._head_end = re.compile("[" + "".join(sorted(singles | set(lengths))) + "]")
        # what _part makes of a word as a name's first word, and as a later one
        self._parts: tuple[dict[str, str], dict[str, str]] = ({}, {})
        self._text: str | None = None
        self._runs: list[tuple[int, int]] = []
        self._run_starts: list[int] = []
        self._run_tokens: dict[int, list[tuple[str, int, int]]] = {}

    @functools.cached_property
    def _tok(self):
        """jieba with the lexicon, loaded on first use (a run whose pages all come from the
        result cache never needs it)."""
        return jieba_tokenizer(self.lexicon_path)

    @functools.cached_property
    def _tags(self) -> WordTags:
        return word_tags()

    def warm(self) -> None:
        """Load jieba's dictionary and tags now: before worker processes are forked, so
        that they share one copy instead of each loading its own."""
        self._tok
        self._tags

    def tokens(self, text: str, start: int, end: int) -> list[tuple[str, int, int]]:
        """Tokens of ``text[start:end]`` with absolute offsets.

        Args:
            text: the text.
            start: where to begin.
            end: where to stop.
        """
        if text is not self._text:
            self._text = text
            self._runs = [(m.start(), m.end()) for m in _RUN.finditer(text)]
            self._run_starts = [r[0] for r in self._runs]
            self._run_tokens = {}
        out: list[tuple[str, int, int]] = []
        i = max(0, bisect.bisect_right(self._run_starts, start) - 1)
        pos = start
        while pos < end:
            if i < len(self._runs) and self._runs[i][1] <= pos:
                i += 1
                continue
            if i >= len(self._runs) or self._runs[i][0] >= end:
                out.extend((ch, k, k + 1) for k, ch in enumerate(text[pos:end], pos) if not ch.isspace())
                break
            rs, re_ = self._runs[i]
            if rs > pos:  # punctuation between runs: one token a character, as jieba gives it
                out.extend((ch, k, k + 1) for k, ch in enumerate(text[pos:rs], pos) if not ch.isspace())
            toks = self._run_tokens.get(rs)
            if toks is None:
                # jieba segments each run of word characters on its own, so a run's tokens
                # are the same whichever clause asks for them: segment it once per document.
                toks = [(w, rs + a, rs + b) for w, a, b in self._tok.tokenize(text[rs:re_], HMM=True)]
                self._run_tokens[rs] = toks
            for tok in toks:
                if tok[1] < pos < tok[2]:  # the window starts inside a word: segment it as is
                    return self._window(text, start, end)
                if tok[1] >= pos and tok[1] < end:
                    out.append(tok)
            pos = re_
            i += 1
        return out

    def may_hold_name(self, text: str, start: int, limit: int) -> bool:
        """Whether a name built of words may begin at ``start``: the gate before segmenting.

        Every actor ends with a head, and begins with a word that can open a name: a
        clause without both is not segmented at all (most open with a verb or an adverb).

        Args:
            text: simplified-script text.
            start: the offset to test.
            limit: offset the name may not run past.
        """
        return self._holds_head(text, start, min(limit, start + MAX_ACTOR_CHARS + 1)) \
            and self.may_open(text, start)

    def _holds_head(self, text: str, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` holds a string a head ends with (部, 委员会, 妇联, 各 …)."""
        for m in self._head_end.finditer(text, start, end):
            ch = m.group()
            if ch in self._head_ends_alone:
                return True
            k = m.end()
            for n in self._head_lengths[ch]:
                if k - n >= start and text[k - n:k] in self._head_strings:
                    return True
        return False

    def may_open(self, text: str, start: int) -> bool:
        """Whether an actor's name can begin at ``start``, judged without segmenting.

        jieba's tokens are dictionary words (or unknown words its HMM glues from
        single characters).  A name is modifier words up to a head
        (``actor_at``); if no chain of dictionary words from ``start`` passes
        for one — every chain meets a modal, a verb or a preposition before a
        head, or runs past ``MAX_ACTOR_CHARS`` — no segmentation gives a name
        here.  Most clauses open with a verb or an adverb and are ruled out in a
        few dictionary look-ups.

        Args:
            text: simplified-script text.
            start: the offset to test.
        """
        if start < len(text) and not _RUN.match(text, start) and not text[start].isspace():
            return False  # punctuation, a full-width digit: a token of its own, which opens no name
        freq = self._tok.FREQ
        first_parts, later_parts = self._parts
        limit = min(len(text), start + MAX_ACTOR_CHARS)
        # _part judges a word alone (memoised) unless the name so far holds a collective
        # hint; the hints are one or two characters, so the first one found in the window
        # is in text[start:k] exactly when it ends by k.
        hint = _COLLECTIVE_HINT.search(text, start, limit)
        hint_end = hint.end() if hint else limit + 1
        todo, seen = [start], {start}
        while todo:
            p = todo.pop()
            if not freq.get(text[p:p + 1]):
                return True  # a character jieba knows no word for: its HMM may make one here
            ends = self._word_ends(text, p, limit)
            if len(ends) == 1 and _CJK.match(text, p + 1) \
                    and all(k == p + 2 for k in self._word_ends(text, p + 1, limit)):
                # Two lone characters in a row: jieba's HMM may glue them into a word the
                # dictionary lacks (立 + 山: 立山经济开发区).
                ends += [k for k in (p + 2, p + 3) if k <= limit]
            first = p == start
            parts = first_parts if first else later_parts
            for k in ends:
                word = text[p:k]
                part = parts.get(word) if k < hint_end else None
                if part is None:
                    part = self._part(word, text[start:k], first)
                if part == "head":
                    return True
                if part == "modifier" and k < limit and k not in seen:
                    seen.add(k)
                    todo.append(k)
        return False

    def _word_ends(self, text: str, p: int, limit: int) -> list[int]:
        """The ends ``k`` of the dictionary words ``text[p:k]`` (jieba's DAG at ``p``),
        at most ``limit``; empty when not even ``text[p]`` is a word."""
        freq = self._tok.FREQ
        ends = []
        for k in range(p + 1, limit + 1):
            n = freq.get(text[p:k])
            if n is None:
                break  # no longer dictionary word starts at p
            if n:
                ends.append(k)
        return ends

    def _part(self, word: str, so_far: str, first: bool) -> str:
        """What ``actor_at`` makes of a token: ``head``, ``modifier`` or ``stop``.

        Args:
            word: the token.
            so_far: the text from the name's start to the token's end.
            first: whether the token would be the name's first.
        """
        if _COLLECTIVE_HINT.search(so_far) or word in _LEVEL_RANGE:
            # 各 + 地方: the tokens together may make a collective; 县级 + 以上: a range of levels
            return self._judge(word, so_far, first)
        parts = self._parts[0 if first else 1]
        part = parts.get(word)
        if part is None:
            part = parts[word] = self._judge(word, so_far, first)
        return part

    def _judge(self, word: str, so_far: str, first: bool) -> str:
        if word in _STOP_TOKENS and word not in _PREFIX_TOKENS or not _CJK.search(word) and not word.isalnum():
            return "stop"
        if is_head(word, self.lexicon) or not first and _COLLECTIVE_RE.fullmatch(so_far):
            return "head"
        if not first and word in _LEVEL_RANGE and so_far[:-len(word)].endswith("级"):
            return "modifier"
        if word not in _PREFIX_TOKENS and (self._tags[word] in _VERBAL_TAGS or self._verbal_prefix(word)) \
                and not _COLLECTIVE_PREFIX.fullmatch(so_far):
            return "stop"
        if first and (len(word) == 1 and word not in _PREFIX_TOKENS or _adverb_verb(word)
                      or word in _VERBS_TAGGED_AS_NOUNS):
            return "stop"
        return "modifier"

    def _window(self, text: str, start: int, end: int) -> list[tuple[str, int, int]]:
        return [(w, start + a, start + b) for w, a, b in self._tok.tokenize(text[start:end], HMM=True)]

    def actor_at(self, toks: list[tuple[str, int, int]], i: int) -> tuple[Span, int] | None:
        """The actor that starts at token ``i``, and the index of the token after it.

        Modifier tokens are consumed up to a head; a head is extended by a
        following head (中国科协 + 深化改革 + 领导小组, 市政府 + 办公室) when only
        name-like tokens lie between, and by a bracketed note (科技厅(委、局)).

        Args:
            toks: tokens with offsets, from ``tokens``.
            i: the index of the first token.
        """
        local = self._local_bureau(toks, i)
        if local is not None:
            return local
        best: int | None = None
        j = i
        n_chars = 0
        while j < len(toks):
            word = toks[j][0]
            if word in _STOP_TOKENS and not (best is None and word in _PREFIX_TOKENS):
                break
            if not _CJK.search(word) and not word.isalnum():
                break
            n_chars += len(word)
            if n_chars > MAX_ACTOR_CHARS:
                break
            if is_head(word, self.lexicon) or (
                    j > i and _COLLECTIVE_RE.fullmatch("".join(t[0] for t in toks[i:j + 1]))):
                best = j
                # A head ends the name unless a further head extends it (中国科协 + 深化改革 +
                # 领导小组, 各地 + 发展改革委); follow such extensions as far as they go.
                while (nxt := self._extension(toks, best, i)) is not None:
                    n_chars += sum(len(toks[k][0]) for k in range(best + 1, nxt + 1))
                    if n_chars > MAX_ACTOR_CHARS:
                        break
                    best = nxt
                break
            if word not in _PREFIX_TOKENS and (self._tags[word] in _VERBAL_TAGS
                                               or self._verbal_prefix(word)) \
                    and not _COLLECTIVE_PREFIX.fullmatch("".join(t[0] for t in toks[i:j + 1])) \
                    and not (word in _LEVEL_RANGE and j > i and toks[j - 1][0].endswith("级")):
                break
            if j == i and len(word) == 1 and word not in _PREFIX_TOKENS:
                break  # 报有关部门, 商同级部门: a one-character verb, not a name's first part
            if j == i and (_adverb_verb(word) or word in _VERBS_TAGGED_AS_NOUNS):
                break  # 充分发挥政府作用, 压实部门责任: a verb phrase, not a name's first part
            j += 1
        if best is None:
            return None
        first = toks[i][0]
        if best == i and first in _GENERIC:
            return None
        if first in _ROLE_PREFIXES and best != i + 1:
            return None  # 牵头单位, 配合部门 are names; 配合有关部门 is a verb and its object
        end_tok = best + 1
        end = toks[best][2]
        if end_tok < len(toks) and toks[best][0].endswith("部") and toks[end_tok][0].startswith("门"):
            # 住房城乡建设部 + 门 (or 门要, glued by jieba's HMM): the departments
            end, end_tok = toks[end_tok][1] + 1, end_tok + 1
        elif end_tok < len(toks) and toks[end_tok][0] in _NOUN_AFTER_HEAD:
            return None  # 政府 + 性融资担保机构, 中国政府 + 网, 气象站 + 网: the head qualifies a noun
        # 科技厅(委、局): a bracketed note right after the head belongs to the name.
        if end_tok < len(toks) and toks[end_tok][0] in _BRACKETS_OPEN:
            k = end_tok + 1
            while k < len(toks) and toks[k][0] not in _BRACKETS_CLOSE and k - end_tok < 8:
                k += 1
            if k < len(toks) and toks[k][0] in _BRACKETS_CLOSE:
                inner = "".join(t[0] for t in toks[end_tok + 1:k])
                if all(is_head(part, self.lexicon) or len(part) <= 2
                       for part in re.split(r"[、,，]", inner) if part):
                    end = toks[k][2]
                    end_tok = k + 1
                    # 各县(市、区) + 人民政府
                    if end_tok < len(toks) and is_head(toks[end_tok][0], self.lexicon):
                        end = toks[end_tok][2]
                        end_tok += 1
        return Span(toks[i][1], end), end_tok

    def _local_bureau(self, toks: list[tuple[str, int, int]], i: int) -> tuple[Span, int] | None:
        """A local bureau whose last character jieba leaves on its own: 市 + 交通运输 + 局,
        县 + 行政 + 审批 + 局, 区 + 金融 + 办 (or glued to a modal: 局要).  The name opens
        with a level (市, 县, 区 …) and its middle words, even verbs (审批, 振兴), are at
        least two characters and not function words."""
        if toks[i][0] not in _LEVELS:
            return None
        for k in range(i + 1, min(len(toks), i + 6)):
            word = toks[k][0]
            if k >= i + 2 and word[0] in _BUREAU_HEADS and (len(word) == 1 or word[1:] in _STOP_TOKENS):
                return Span(toks[i][1], toks[k][1] + 1), k + 1
            if is_head(word, self.lexicon):
                if k >= i + 2 and word[-1] in _BUREAU_HEADS:  # 县 + 行政 + 审批 + 服务局
                    return Span(toks[i][1], toks[k][2]), k + 1
                return None  # 县 + 财政局: a name actor_at reads as it stands
            if len(word) < 2 or word in _NOT_IN_BUREAU_NAME or not _CJK.search(word) \
                    or self._tags[word] in _NOT_IN_BUREAU_NAME_TAGS:
                return None
        return None

    def _verbal_prefix(self, word: str) -> bool:
        """An out-of-vocabulary token that jieba's HMM glued onto a verb (进一步提高, 仅是)."""
        if self._tags[word] is not None:  # a dictionary word
            return False
        if len(word) < 2:
            return False
        if word[0] in _STOP_TOKENS or word[-1] == "是":
            return True  # 将雄安, 经向, 应由: a function word glued onto what follows; 这是, 四是
        if len(word) == 2:  # 仅是: an adverb glued to a verb
            return self._tags[word[0]] in {"d", "c", "p"}
        return any(self._tags[word[:n]] in _VERBAL_TAGS or word[:n] in _STOP_TOKENS
                   for n in (2, 3))

    def _extension(self, toks: list[tuple[str, int, int]], j: int, i: int) -> int | None:
        """The index of a head that extends the name ending at token ``j``, if any."""
        so_far = "".join(t[0] for t in toks[i:j + 1])
        if j + 1 < len(toks) and _PLACE_COLLECTIVE.search(so_far) \
                and is_head(toks[j + 1][0], self.lexicon) and not _is_generic(toks[j + 1][0]):
            return j + 1  # 各地 + 发展改革委
        # 国务院 + 自由贸易试验区工作部际联席会议 + 办公室: an office named after its remit;
        # 国务院 + 有关/税务主管 + 部门: the departments of a field under a body;
        # 市政府 + 办公室, 市政府 + 督查室: an office of a body.
        for k in range(j + 1, min(len(toks), j + 7)):
            word = toks[k][0]
            if word in _STOP_TOKENS and word not in _SUBORDINATE or not _CJK.search(word):
                return None
            if word == "办" and (k == j + 1 or k == j + 2 and len(toks[j + 1][0]) == 2) \
                    or k == j + 1 and word.endswith("办") and _LOCAL_BODY.fullmatch(so_far):
                return k  # 县政府 + 办, 市委 + 网信 + 办, 市委 + 改革办: an office of a local body
            if word not in _SUBORDINATE and (self._tags[word] in _VERBAL_TAGS or word in _VERBS_TAGGED_AS_NOUNS
                                             or self._verbal_prefix(word)):
                return None  # 单位主管部门 + 报 + 项目管理部门: two bodies and a verb between
            if k == j + 2 and word in _BUREAU_CHARS and self._tags[toks[j + 1][0]] in _NOUN_TAGS:
                return k  # 教育部 + 教材 + 局: a bureau of the ministry that jieba splits
            if is_head(word, self.lexicon):
                if _EXTENSIBLE.search(word):
                    return k
                between = [t[0] for t in toks[j + 1:k]]
                if _is_generic(word) and k <= j + 3 and (
                        all(w in _SUBORDINATE for w in between)
                        or all(self._tags[w] in _NOUN_TAGS for w in between)):
                    return k  # 国务院各部门, 国务院税务主管部门 (not 科技部汇总各部门)
                if k == j + 1 and word[-1] in "部委局厅办处署院司室" and len(word) <= 3 \
                        and word not in self.lexicon:
                    return k
                return None
        return None

    def actor_list(self, text: str, start: int, limit: int) -> tuple[list[Span], int]:
        """Actors listed from ``start`` (``X、Y和Z等部门``), and where the list ends.

        Returns an empty list when ``text[start:]`` does not begin with an actor.

        Args:
            text: simplified-script text.
            start: offset where the list must begin.
            limit: offset the list may not run past.
        """
        # A list runs on only across 、/ and brackets: segment up to the clause's end.
        stop = _CLAUSE_END.search(text, start, min(limit, start + 80))
        clause_end = stop.start() if stop else min(limit, start + 80)
        shared = self._division_list(text, start, clause_end) or self._field_list(text, start, clause_end)
        if shared is None and not _LOCAL_BUREAU_SHAPE.match(text, start) \
                and not self.may_hold_name(text, start, limit):
            shared = self._unit_before_modal(text, start, clause_end)
            if shared is None:
                return [], start
        toks = self.tokens(text, shared.end if shared else start, clause_end)
        actors: list[Span] = []
        i = 0
        end = start
        while True:
            if shared is not None:
                span, shared = shared, None
            else:
                found = self.actor_at(toks, i) if i < len(toks) else None
                if found is None:
                    break
                span, i = found
            if i < len(toks) and (m := _DESCRIBED_UNIT.match(text, span.end, toks[-1][2])):
                k = next((k for k in range(i, len(toks)) if toks[k][2] == m.end()), None)
                if k is not None:
                    span, i = Span(span.start, m.end()), k + 1
            if i + 1 < len(toks) and toks[i][0] in _CONJUNCTIONS and _shares_qualifier(
                    text[span.start:span.end], toks[i + 1][0]):  # 各县区党委和政府: one party
                span, i = Span(span.start, toks[i + 1][2]), i + 2
            if i < len(toks) and toks[i][0] == "及其":  # 各级人民政府及其有关部门: one party
                k = i + 1
                while k < len(toks) and toks[k][0] in {"有关", "相关", "所属", "直属"}:
                    k += 1
                if k < len(toks) and _is_generic(toks[k][0]):
                    span, i = Span(span.start, toks[k][2]), k + 1
            actors.append(span)
            end = span.end
            if i < len(toks) and toks[i][0] == "等":
                end = toks[i][2]
                i += 1
                while i < len(toks) and toks[i][0] in {"有关", "相关", "部门", "单位", "机构", "地方"}:
                    end = toks[i][2]
                    i += 1
                break
            if i < len(toks) and (toks[i][0] in {"、", "/"} or toks[i][0] in _CONJUNCTIONS):
                nxt = self.actor_at(toks, i + 1) if i + 1 < len(toks) else None
                if nxt is None:
                    break
                i += 1
                continue
            break
        if not actors:
            unit = self._unit_before_modal(text, start, clause_end)
            if unit is not None:
                return [unit], unit.end
        return actors, end

    def _unit_before_modal(self, text: str, start: int, end: int) -> Span | None:
        """A department named by what it does or which one it is, right before a modal
        (审核机构要, 起草单位应当, 卫生健康部门负责, 任何部门不得), or None.

        Such names open with a verb, an adjective or a determiner, which the name grammar
        does not take as a first word; right before a modal they cannot be a verb and its
        object (压实部门责任).

        Args:
            text: simplified-script text.
            start: where the name must begin.
            end: the end of the clause.
        """
        m = _UNIT_BEFORE_MODAL.match(text, start, end)
        if m is None:
            return None
        words = [w for w, _, _ in self._window(text, start, m.end())]
        if len(words) < 2 or len(words[0]) == 1 and words[0] not in _PREFIX_TOKENS \
                or self._tags[words[0]] in _CLAUSE_OPENER_TAGS:
            return None  # 重 + 工业部门, 报 + 有关部门; 因此, 今年, 以后: the clause's adverbial
        if any(self._tags[w] == "nr" for w in words):
            return None  # 温家宝总理率国务院有关部门: a person leads the way
        for w in words:
            if w in _STOP_TOKENS or w in _VERBS_TAGGED_AS_NOUNS or not _CJK.search(w) or _adverb_verb(w):
                return None  # 加强和改进部门, 压实部门: a verb phrase or two parties
        return Span(start, m.end())

    def _division_list(self, text: str, start: int, end: int) -> Span | None:
        """The actor ``省、自治区、直辖市人民政府`` (or ``各省、自治区、直辖市`` before a modal)
        starting at ``start``, or None.

        Args:
            text: simplified-script text.
            start: where the actor must begin.
            end: the end of the clause.
        """
        m = _DIVISION_LIST.match(text, start, end)
        if m is None:
            return None
        head = self.actor_at(self.tokens(text, m.end(), end), 0) if m.end() < end else None
        if head is not None and head[0].start == m.end():
            return Span(start, head[0].end)
        if _DIVISION_LIST_MODAL.match(text, m.end(), end):
            return Span(start, m.end())
        return None

    def _field_list(self, text: str, start: int, end: int) -> Span | None:
        """The actor ``财政、教育、卫生健康等部门`` starting at ``start`` (before a modal), or
        None: fields of government, none of them opening with a verb (加强教育、卫生等部门
        is a verb's object).

        Args:
            text: simplified-script text.
            start: where the actor must begin.
            end: the end of the clause.
        """
        m = _FIELD_LIST.match(text, start, end)
        if m is None:
            return None
        fields = m.group(1).split("、")
        if all(is_head(field, self.lexicon) for field in fields):
            return None  # 发展改革委、财政部等部门: bodies, each its own actor
        for field in fields:
            first = self._tok.lcut(field, HMM=True)[0]
            if first in _STOP_TOKENS or self._tags[first] in _VERBAL_TAGS or self._verbal_prefix(first):
                return None
        return Span(start, m.end())

    def split_list(self, text: str, start: int, end: int) -> list[Span]:
        """Split a span known to hold only a list of actors (a tag or a 牵头单位 line).

        Items are separated by 、,;/ or 和/及/与 between two actors; a trailing
        等… is trimmed; every item is kept, even one the grammar does not know.

        Args:
            text: simplified-script text.
            start: start of the list.
            end: end of the list.
        """
        spans: list[Span] = []
        depth = 0
        item_start = start
        for pos in range(start, end + 1):
            ch = text[pos] if pos < end else ","
            if ch in _BRACKETS_OPEN:
                depth += 1
            elif ch in _BRACKETS_CLOSE:
                depth = max(0, depth - 1)
            elif depth == 0 and ch in _LIST_SEPARATORS:
                spans.extend(self._split_conjunctions(text, item_start, pos))
                item_start = pos + 1
        return [s for s in (self._trim(text, s) for s in spans) if s is not None]

    def _split_conjunctions(self, text: str, start: int, end: int) -> list[Span]:
        item = text[start:end]
        etc = _ETC_CONJ.search(item)
        if etc:  # 市场监管总局等和各有关省级人民政府
            if item[etc.end():].strip() in _GENERIC:  # 人力资源社会保障部等有关部门和单位: one party
                return [Span(start, start + etc.start())]
            return [Span(start, start + etc.start()),
                    *self._split_conjunctions(text, start + etc.end(), end)]
        if item in self.lexicon:
            return [Span(start, end)]
        for conj in ("以及", "和", "及", "与"):
            k = item.find(conj)
            if 0 < k < len(item) - len(conj):
                left, right = item[:k], item[k + len(conj):]
                if _shares_qualifier(left, right):
                    return [Span(start, end)]
                if is_actor_text(left, self.lexicon) and is_actor_text(right, self.lexicon):
                    return [Span(start, start + k), *self._split_conjunctions(text, start + k + len(conj), end)]
        return [Span(start, end)]

    @staticmethod
    def _trim(text: str, span: Span) -> Span | None:
        s, e = span.start, span.end
        while s < e and (text[s].isspace() or text[s] in "“”\"'"):
            s += 1
        while e > s and (text[e - 1].isspace() or text[e - 1] in "。.“”\"'"):
            e -= 1
        m = _TRAILING_ETC.search(text[s:e])
        if m and m.start() > 0:
            e = s + m.start()
        return Span(s, e) if e - s >= 2 or (e - s == 1 and _CJK.match(text[s])) else None


# 各县区党委和政府, 地方各级党委和人民政府: a bare head after a party committee shares its
# qualifier (the county's committee and the county's government), one party as written.
_COMMITTEES = ("党委", "党组")
_SHARED_HEADS = frozenset(("政府", "人民政府"))


def _shares_qualifier(left: str, right: str) -> bool:
    return right in _SHARED_HEADS and left.endswith(_COMMITTEES)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", " ", text).strip()


@functools.lru_cache(maxsize=4)
def read_aliases(path: str) -> dict[str, str]:
    """The alias table: alias -> canonical name (tab-separated, ``#`` comments).

    Args:
        path: the alias file (``models/actor_aliases.tsv``).
    """
    out: dict[str, str] = {}
    p = Path(path)
    if not p.exists():
        return out
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            from .errors import ParamsError

            raise ParamsError("expected 'alias<TAB>canonical name'", path=str(p), line=n)
        out[_fold(parts[0]).lower()] = parts[1].strip()
    return out


_EN_ARTICLE = re.compile(r"^(?:the|The)\s+")


def normalize_actor(actor: str, aliases: dict[str, str], to_simplified=None) -> str:
    """The canonical name of an actor: its alias-table entry, else the folded surface form.

    Folding: NFKC, simplified script, white space collapsed, a leading English
    article dropped.

    Args:
        actor: the actor as written.
        aliases: the alias table from ``read_aliases``.
        to_simplified: a traditional -> simplified converter, or None.
    """
    folded = _fold(actor)
    if to_simplified is not None:
        folded = to_simplified(folded)
    folded = _EN_ARTICLE.sub("", folded)
    key = folded.lower()
    return aliases.get(key) or aliases.get("the " + key) or folded

"""Web page -> body text: drop navigation, footers, share bars and metadata tables.

HTML goes through trafilatura (recall-oriented, tables kept, no comments),
rendered from its XML output so that paragraphs inside layout tables stay
separate lines; if trafilatura fails or finds nothing (pathological or
truncated HTML), a linear regex tag stripper takes over.  The resulting lines,
like the lines of a text page, are then scored by a small logistic regression
over line features (length, punctuation, digits, position, repetition,
vocabulary cues such as ``首页 >``, ``分享到``, ``Copyright``, ``ICP备``, and the
same cues on neighbouring lines).  Its weights live in
``models/boilerplate.json`` (plain JSON) and are learned from the labelled
lines in ``annotations/boilerplate/lines.tsv`` by :func:`train`.

What is kept: the title, addressees, body, signature and date lines.  What
goes: navigation, share/print bars, contact and link blocks, copyright lines,
metadata tables (their content reaches metadata through the raw lines) and
repeated title lines.
"""
from __future__ import annotations

import functools
import html as html_lib
import json
import math
import operator
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelInvalid
from .normalize import code_points
from .settings import MODELS_DIR, REPO_ROOT

__all__ = [
    "Body", "clean_html", "clean_text", "html_text_lines", "line_features",
    "score_lines", "train", "load_model", "FEATURES",
]

MODEL_PATH = MODELS_DIR / "boilerplate.json"
LINES_PATH = REPO_ROOT / "annotations" / "boilerplate" / "lines.tsv"


@dataclass
class Body:
    """The body of a page: ``text`` (kept lines joined with ``\\n``; an empty
    line marks a paragraph gap of the source) and a ``title_hint``."""

    text: str
    title_hint: str | None


# ---------------------------------------------------------------- line cues
_PUNCT_CHARS = "，。、；：！？,.;:!?（）()“”《》"
_PUNCT = re.compile(f"[{re.escape(_PUNCT_CHARS)}]")
_FINAL_CHARS = tuple("。！？；.!?;…")  # what a line that ends a sentence ends with
_PAGE_MARK = re.compile(r"\[\[Page \d+\]\]")
_LONE_LABEL = re.compile(r"\((?:\d{1,3}|[a-zA-Z]{1,2}|[ivxlIVXL]{1,6})\)|\d{1,3}\.|[（(][一二三四五六七八九十]{1,3}[)）]")
class _AnyOf:
    """Patterns searched one after the other as if they were one alternation.

    ``re`` skips quickly to where a pattern's first character can match only
    when every branch starts with a literal; one alternation that mixes in
    anchors, classes or ``re.I`` is tried position by position, which on body
    paragraphs is most of the cost of scoring lines.

    Args:
        patterns: the compiled patterns.
    """

    def __init__(self, *patterns: re.Pattern[str]):
        self.patterns = patterns

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        for rx in self.patterns:
            m = rx.search(text, pos, endpos)
            if m:
                return m
        return None


class _Latin:
    """A case-insensitive pattern over Latin words, searched only in text that has a
    Latin letter (``re.I`` makes ``re`` try every position of a Chinese paragraph).

    Args:
        rx: the compiled pattern.
    """

    def __init__(self, rx: re.Pattern[str]):
        self.rx = rx

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.rx.search(text, pos, endpos) if _A_LETTER.search(text, pos, endpos) else None


_A_LETTER = re.compile(r"[A-Za-z]")
_NAV = _AnyOf(re.compile(r"首页\s*[>›»/]|首頁\s*[>›»/]|当前位置|當前位置|您的位置|您现在的位置|返回顶部|上一篇|下一篇|"
                         r"网站地图|網站地圖|网站导航|網站導覽|站内搜索|Home\s*[>|]|You are here"),
              re.compile(r"[>›»]\s*\S+\s*[>›»]"),
              # 行政院公報 > 法規命令: a breadcrumb of two short parts
              re.compile(r"\A[^\s>›»，。,.]{1,15}\s+[>›»]\s+[^\s>›»，。,.]{1,15}\Z"))
_SHARE = re.compile(r"分享到|分享至|打印本页|打印|关闭窗口|关闭本页|复制链接|收藏|【字[体號号]\s*[:：]?\s*[大中小]|"
                    r"字[体號号]\s*[:：]?\s*[大中小]|"
                    r"浏览\s*[:：]?\s*\d+\s*次|阅读\s*[:：]?\s*\d+|点击\s*[:：]?\s*\d+|瀏覽|微信|微博|扫一扫|二维码|"
                    r"Print|Share|Email this|E-mail this|Font size")
_CONTACT = re.compile(r"联系我们|聯繫我們|电话\s*[:：]|传真\s*[:：]|邮箱\s*[:：]|邮编\s*[:：]|地址\s*[:：]|電話|傳真|"
                      r"Email\s*[:：]|E-mail\s*[:：]|Tel\s*[:：]|Fax\s*[:：]|Contact us|"
                      r"@[\w.]+\.\w+")  # an e-mail address (its @ first: a literal re can skip to)
# 主办单位： opens a footer line; 主辦機關 without a colon heads a table column
_COPY = _AnyOf(re.compile(r"©|版权所有|版權所有|备案号|公网安备|(?:主办|承办|主辦|承辦)(?:单位|單位)?\s*[:：]|"
                          r"技术支持|网站标识码|免责声明|隐私|隱私|ICP\s*备|ICP備"),
               _Latin(re.compile(r"Copyright|ICP\s*备|ICP備|All rights reserved", re.I)))
_LINKS = re.compile(r"相关链接|友情链接|热点栏目|热门栏目|热门|推荐内容|相关文章|相关新闻|相关阅读|延伸阅读|"
                    r"更多|赞助本站|学会链接|Related|More\b|Links\b")
_LANG = _AnyOf(re.compile(r"中文\s*\|\s*English|English\s*\|\s*中文|繁體|简体|无障碍|手机版"),
               re.compile(r"\A(?:EN\Z|中文\Z|App\b)"), re.compile(r"English\Z"))
_IMG = re.compile(r"\.(?:jpe?g|png|gif|bmp|webp|svg)\b", re.I)
_URL = _Latin(re.compile(r"https?://|www\.", re.I))
_EDIT = re.compile(r"\[编辑\]|\[編輯\]|\[edit\]", re.I)
_META = _AnyOf(re.compile(r"发布日期|發佈日期|发布时间|發布時間|成文日期|索\s*引\s*[号號]|主[题題]分[类類]|发文机关|發文機關|"
                          r"发文字号|發文字號|来源\s*[:：]|來源|作者\s*[:：]|时间\s*[:：]\s*\d|Updated\s*:|Source\s*:|"
                          r"Editor\s*:|Date\s*:"),
               re.compile(r"\A(?:[标標]\s*[题題]\s*[:：]|[时時]\s*效\s*[:：]|\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2})"))
_META_LABEL = re.compile(r"^(?:索\s*引\s*[号號]|主\s*[题題]\s*分\s*[类類]|发\s*文\s*机\s*关|發\s*文\s*機\s*關|"
                         r"成\s*文\s*日\s*期|[标標]\s*[题題]|发\s*文\s*字\s*号|發\s*文\s*字\s*號|发\s*布\s*日\s*期|"
                         r"發\s*佈\s*日\s*期|[时時]\s*效|来\s*源|來\s*源|作\s*者|文\s*号|分\s*类)\s*[:：]?$")
_DATE_LINE = re.compile(r"^(?:\d{4}|[〇零一二三四五六七八九○]{4})\s*年\s*\S{1,3}\s*月\s*\S{1,3}\s*日(?:印发)?$|"
                        r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$")
_ORG_LINE = re.compile(r"^[\u4e00-\u9fff\s（）()]{2,20}(?:部|委|厅|局|办|办公厅|政府|院|会|室|署|处|中心|办公室)$")
_MARKER = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]|"
                     r"第[一二三四五六七八九十百\d]+[章节条]|\(?[a-z]\)|Sec(?:tion|\.)\s*\d)")
_TITLE_WORDS = ("关于", "關於")
# the kinds of document a title names last (…的通知); a title line may also end with 任务
_DOC_KINDS = ("通知", "意见", "决定", "方案", "办法", "规划", "规定", "条例", "纲要", "批复", "复函", "函",
              "答复", "通报", "公告", "报告", "请示", "决议", "命令", "细则", "预案", "规则")
_TITLE_ENDS = (*_DOC_KINDS, "任务")
_TITLE_OPENINGS = ("Functions", "Main responsibilities", "Notice", "Opinions", "Executive Order", "Division of")


def _is_title(text: str) -> bool:
    """Whether a line (its first 200 characters are given) reads like a document's title."""
    return any(w in text for w in _TITLE_WORDS) or text.endswith(_TITLE_ENDS) or text.startswith(_TITLE_OPENINGS)


_TITLE_END = re.compile(f"(?:{'|'.join(_DOC_KINDS)})" r"(?:[（(].{1,20}[）)])?$")
_DOC_NO = re.compile(r"〔\d{4}〕|\[\d{4}\]|第\s*\d+\s*号$")
_MODAL = re.compile(r"要|负责|牵头|落实|推进|加强|shall|will|must|responsible|To\s+\w+")
_ADDRESSEE = re.compile(r"^[^。；;]{4,}[、,，][^。；;]*[:：]$")
_PIPES = re.compile(r"\||\s[I丨]\s")
_STRONG_FOOTER = (_CONTACT, _COPY, _LINKS)
_SPACES = re.compile(r"\s+")

FEATURES = [
    "bias", "log_len", "short", "long", "final", "colon_end", "punct", "digit", "cjk", "latin",
    "nopunct_long", "pos", "first3", "last3", "repeated", "nav", "share", "contact", "copyright",
    "links", "lang", "img_url", "edit", "meta", "meta_label", "after_meta_label", "pipes",
    "date_line", "org_line", "marker", "title", "modal", "addressee", "footer_zone",
    "prev_cue", "next_cue", "window_short",
]


# Cues are looked for in a line's first characters only: they mark short lines, and
# searching every body paragraph whole for them is most of the cost of scoring.
_PROBE = 200
# Character classes whose share of a line's first 400 characters are features, as a
# table over the Basic Multilingual Plane (no character outside it is in any class).
_DIGITS, _CJK_CHARS, _LATIN_LETTERS, _PUNCT_MARKS = 1, 2, 3, 4


@functools.lru_cache(maxsize=1)
def _char_classes() -> np.ndarray:
    table = np.zeros(0x10000, dtype=np.uint8)
    for lo, hi, cls in (("0", "9", _DIGITS), ("０", "９", _DIGITS), ("\u4e00", "\u9fff", _CJK_CHARS),
                        ("\u3400", "\u4dbf", _CJK_CHARS), ("A", "Z", _LATIN_LETTERS),
                        ("a", "z", _LATIN_LETTERS)):
        table[ord(lo):ord(hi) + 1] = cls
    table[[ord(ch) for ch in _PUNCT_CHARS]] = _PUNCT_MARKS
    return table


def _class_counts(texts: list[str]) -> dict[int, list[int]]:
    """How many characters of each class each text holds, counted for a whole page at
    once (one regex ``findall`` a line and class was a sixth of the cost of scoring)."""
    classes = _char_classes()[np.minimum(code_points("\n".join(texts)), 0xFFFF)]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths + 1) - 1
    starts = ends - lengths
    counts = {}
    for cls in (_DIGITS, _CJK_CHARS, _LATIN_LETTERS, _PUNCT_MARKS):
        running = np.concatenate(([0], np.cumsum(classes == cls)))
        counts[cls] = (running[ends] - running[starts]).tolist()
    return counts


def _cues(line: str) -> list[float]:
    """The cue features of a line, in ``_CUES`` order."""
    line = line[:_PROBE]
    return [
        float(bool(_NAV.search(line))),
        float(bool(_SHARE.search(line))),
        float(bool(_CONTACT.search(line))),
        float(bool(_COPY.search(line))),
        float(bool(_LINKS.search(line))) if len(line) < 30 else 0.0,
        float(bool(_LANG.search(line))),
        float(bool(_IMG.search(line) or _URL.search(line))),
        float(bool(_EDIT.search(line))),
        float(bool(_META.search(line))),
        float(bool(_META_LABEL.match(line))),
    ]


_CUES = ["nav", "share", "contact", "copyright", "links", "lang", "img_url", "edit", "meta", "meta_label"]


def _feature_rows(lines: list[str]) -> list[list[float]]:
    """The features of each line of a page, in ``FEATURES`` order."""
    n = len(lines)
    counts: dict[str, int] = {}
    keys = [_SPACES.sub("", x) for x in lines]
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    cues = [_cues(x) for x in lines]
    any_cue = [max(c) for c in cues]
    strong = [len(x) < 80 and any(p.search(x) for p in _STRONG_FOOTER) for x in lines]
    lens = [len(k) for k in keys]
    heads = [k[:400] for k in keys]
    classes = _class_counts(heads)
    digits, cjk, latin, punct = (classes[c] for c in (_DIGITS, _CJK_CHARS, _LATIN_LETTERS, _PUNCT_MARKS))
    meta_label = _CUES.index("meta_label")
    out = []
    footer_seen = False
    for i, line in enumerate(lines):
        k = keys[i]
        m = max(1, len(k))
        head = heads[i]
        hm = max(1, len(head))
        pos = i / (n - 1) if n > 1 else 0.0
        if i > 0 and strong[i - 1] and (i - 1) / max(1, n - 1) > 0.5:
            footer_seen = True
        lo, hi = max(0, i - 2), min(n, i + 3)
        out.append([
            1.0,  # bias
            math.log1p(m) / 5.0,
            float(m <= 6),
            float(m >= 60),
            float(k.endswith(_FINAL_CHARS)),
            float(k.endswith((":", "："))),
            min(1.0, 5 * punct[i] / hm),
            digits[i] / hm,
            cjk[i] / hm,
            latin[i] / hm,
            float(m >= 40 and not _PUNCT.search(k)),
            pos,
            float(i < 3),
            float(i >= n - 3),
            float(counts[k] > 1 and m >= 4),
            *cues[i],
            float(i > 0 and bool(cues[i - 1][meta_label])),
            float(bool(_PIPES.search(line, 0, _PROBE))),
            float(bool(_DATE_LINE.match(k))),
            float(bool(_ORG_LINE.match(k))),
            float(bool(_MARKER.match(k))),
            float(_is_title(k[:200])),
            float(bool(_MODAL.search(head))),
            float(bool(_ADDRESSEE.match(k[:200]))),
            float(footer_seen),
            max(any_cue[lo:i], default=0.0),
            max(any_cue[i + 1:hi], default=0.0),
            float(sum(lens[lo:hi]) / (hi - lo) < 12),
        ])
    return out


def line_features(lines: list[str]) -> list[dict[str, float]]:
    """Features of each line of a page, including context from its neighbours.

    Args:
        lines: the page's non-blank lines, stripped, in order.
    """
    return [dict(zip(FEATURES, row)) for row in _feature_rows(lines)]


# ---------------------------------------------------------------- the model
_MODEL_CACHE: dict[str, Any] = {}


def load_model(path: str | Path | None = None) -> dict[str, float]:
    """The classifier's weights (feature name -> weight) from plain JSON.

    Args:
        path: a ``boilerplate.json``; ``None`` is ``models/boilerplate.json``.
    """
    p = Path(path) if path else MODEL_PATH
    key = str(p)
    if key not in _MODEL_CACHE:
        if not p.exists():
            _MODEL_CACHE[key] = dict(_FALLBACK_WEIGHTS)
        else:
            from .manifest import verify

            verify(p)  # a file changed outside the trainer is refused before it is read
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
                weights = {name: float(data["weights"][name]) for name in FEATURES}
            except (ValueError, KeyError, TypeError) as exc:
                raise ModelInvalid(f"not a boilerplate model: {exc}", path=str(p),
                                   hint="retrain it with python -m pipeline.boilerplate") from None
            _MODEL_CACHE[key] = weights
    return _MODEL_CACHE[key]


# Hand-set weights, used only when models/boilerplate.json is missing.
_FALLBACK_WEIGHTS = {name: 0.0 for name in FEATURES} | {
    "bias": 1.0, "final": 2.0, "punct": 2.0, "log_len": 2.0, "nav": -4.0, "share": -4.0,
    "contact": -3.0, "copyright": -4.0, "links": -3.0, "lang": -3.0, "meta": -3.0,
    "meta_label": -4.0, "after_meta_label": -3.0, "footer_zone": -3.0, "title": 2.0,
    "date_line": 2.0, "org_line": 1.5, "addressee": 2.0,
}


def score_lines(lines: list[str], weights: dict[str, float] | None = None) -> list[float]:
    """The probability that each line is body text.

    Args:
        lines: the page's non-blank lines, stripped, in order.
        weights: feature weights; ``None`` loads ``models/boilerplate.json``.
    """
    w = weights if weights is not None else load_model()
    vector = [w[name] for name in FEATURES]
    probs = []
    for row in _feature_rows(lines):
        z = sum(map(operator.mul, vector, row))
        probs.append(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))))
    return probs


def read_labelled(path: str | Path | None = None) -> list[tuple[str, int, str]]:
    """Labelled lines as (document, label, line); documents are separated by
    ``#`` comment lines naming them in ``lines.tsv``.

    Args:
        path: a TSV of ``label<TAB>line``; ``None`` is the project's file.
    """
    p = Path(path) if path else LINES_PATH
    out: list[tuple[str, int, str]] = []
    doc = ""
    for lineno, raw in enumerate(p.read_text(encoding="utf-8").split("\n"), 1):
        if not raw.strip():
            continue
        if raw.startswith("#"):
            doc = raw[1:].strip()
            continue
        label, _, text = raw.partition("\t")
        if label not in ("0", "1") or not text:
            raise ModelInvalid("expected 'label<TAB>line' with label 0 or 1",
                               path=str(p), line=lineno, hint="fix or delete the line")
        out.append((doc, int(label), text))
    return out


def _design(rows: list[tuple[str, int, str]]) -> tuple[list[list[float]], list[int], list[str]]:
    """Features per labelled line, computed within each document."""
    xs: list[list[float]] = []
    ys: list[int] = []
    docs: list[str] = []
    start = 0
    while start < len(rows):
        end = start
        while end < len(rows) and rows[end][0] == rows[start][0]:
            end += 1
        chunk = rows[start:end]
        for (doc, label, _), f in zip(chunk, line_features([t for _, _, t in chunk])):
            xs.append([f[name] for name in FEATURES])
            ys.append(label)
            docs.append(doc)
        start = end
    return xs, ys, docs


def train(lines_path: str | Path | None = None, out_path: str | Path | None = None,
          *, c: float = 1.0) -> dict[str, Any]:
    """Fit the line classifier on labelled lines and write its weights as JSON.

    Args:
        lines_path: labelled lines (``annotations/boilerplate/lines.tsv`` by default).
        out_path: where to write the model (``models/boilerplate.json`` by default).
        c: inverse regularisation strength of the logistic regression.

    Returns:
        the model dict, including leave-one-document-out ``heldout_accuracy``.
    """
    from sklearn.linear_model import LogisticRegression

    rows = read_labelled(lines_path)
    xs, ys, docs = _design(rows)
    correct = 0
    for held in sorted(set(docs)):
        tr = [i for i, d in enumerate(docs) if d != held]
        te = [i for i, d in enumerate(docs) if d == held]
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, fit_intercept=False)
        clf.fit([xs[i] for i in tr], [ys[i] for i in tr])
        pred = clf.predict([xs[i] for i in te])
        correct += sum(int(p == ys[i]) for p, i in zip(pred, te))
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, fit_intercept=False)
    clf.fit(xs, ys)
    model = {
        "kind": "logistic-regression",
        "features": FEATURES,
        "weights": {name: round(float(wt), 6) for name, wt in zip(FEATURES, clf.coef_[0])},
        "n_lines": len(ys),
        "n_docs": len(set(docs)),
        "heldout_accuracy": round(correct / len(ys), 4),
        "heldout": "leave-one-document-out",
    }
    out = Path(out_path) if out_path else MODEL_PATH
    _write_model(out, model)
    _MODEL_CACHE.pop(str(out), None)
    return model


def _write_model(out: Path, model: dict[str, Any]) -> None:
    """Write a model as JSON through a temporary file and a rename, then record its
    hash in the folder's ``MANIFEST.json``.

    Args:
        out: the model file.
        model: the model dict.
    """
    import os

    from .manifest import update

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    update([out])


# ---------------------------------------------------------------- cleaning
def _title_key(line: str) -> str:
    return _SPACES.sub("", line)


def _title_part(line: str) -> bool:
    return (len(line) <= 40 and not line.endswith(_FINAL_CHARS) and not _META.search(line)
            and not _DOC_NO.search(line) and not _DATE_LINE.match(line)
            and not line.endswith((":", "：")) and not _MARKER.match(line))


def _title_block(lines: list[str]) -> list[int]:
    """Indices of the title's lines among the first lines of a page."""
    for j, line in enumerate(lines[:12]):
        if _is_title(line[:200]) and not line.endswith(_FINAL_CHARS) and not _META.search(line) \
                and len(line) <= 150:
            block = [j]
            k = j - 1
            while k >= 0 and j - k <= 2 and _title_part(lines[k]) and not _TITLE_END.search(lines[k]):
                block.insert(0, k)
                k -= 1
            k = j + 1
            while k < len(lines) and k - j <= 2 and not _TITLE_END.search(lines[k - 1]) \
                    and _title_part(lines[k]):
                block.append(k)
                k += 1
            return block
    return []


def _hard_boilerplate(line: str) -> bool:
    if len(line) > 60:
        return False
    return bool(_NAV.search(line) or _COPY.search(line) or _LANG.search(line)
                or (_SHARE.search(line) and not line.endswith(_FINAL_CHARS)))


def _share_within_tables(lines: list[str], probs: list[float]) -> None:
    """Give the rows of one table (consecutive lines with as many ``|`` or tabs between
    cells, two or more) the highest probability among them: a header row of short cells
    (序号 | 工作任务 | 牵头单位) looks like a menu on its own, but is body when the rows
    under it are."""
    i = 0
    while i < len(lines):
        sep = "|" if "|" in lines[i] else "\t"
        n = lines[i].count(sep)
        j = i + 1
        while n >= 2 and j < len(lines) and lines[j].count(sep) == n:
            j += 1
        if j - i >= 2:
            best = max(probs[i:j])
            probs[i:j] = [best] * (j - i)
        i = j


def _mend_print_layout(lines: list[str]) -> list[str]:
    """The lines without the printed edition's page numbers (``[[Page 35167]]`` in the
    Federal Register's text), closing the paragraph gap around one that falls inside a
    sentence (``shall use`` | ``[[Page 35167]]`` | ``all relevant …``), and with an item
    label set on a line of its own (``(1)`` | | ``serve as …``) put back before its item."""
    if not any("[[Page" in x or _LONE_LABEL.fullmatch(x.strip()) for x in lines):
        return lines
    out: list[str] = []
    join = False
    label = ""
    for line in lines:
        s = line.strip()
        if _PAGE_MARK.fullmatch(s):
            last = next((x.strip() for x in reversed(out) if x.strip()), "")
            if last and not last.endswith(_FINAL_CHARS) and not last.endswith((":", "：")):
                while out and not out[-1].strip():
                    out.pop()
                join = True
            continue
        if _LONE_LABEL.fullmatch(s):
            if label:
                out.append(label)
            label = s
            continue
        if not s and (join or label):
            continue
        if label:
            line = label + " " + s
            label = ""
        join = False
        out.append(line)
    if label:
        out.append(label)
    return out


def clean_lines(lines: list[str], threshold: float) -> Body:
    """Keep the body lines of a page given as lines.

    Args:
        lines: the page's lines (blank ones mark paragraph gaps).
        threshold: lines scored below this probability of being body are dropped.
    """
    lines = _mend_print_layout(lines)
    # Short lines with an unmistakable cue (breadcrumbs, share bars, copyright,
    # language switches) go before scoring, so that they do not colour the
    # context features of the lines around them.
    idx = [i for i, x in enumerate(lines) if x.strip() and not _hard_boilerplate(x.strip())]
    stripped = [lines[i].strip() for i in idx]
    probs = score_lines(stripped)
    # The title sits among navigation, so its neighbours' cues count against
    # it: the first title-shaped line near the top, and the short lines that
    # continue it (titles are often broken over two or three lines), are kept.
    for j in _title_block(stripped):
        probs[j] = max(probs[j], threshold)
    _share_within_tables(stripped, probs)
    kept: list[tuple[int, str]] = [(i, s) for i, s, p in zip(idx, stripped, probs) if p >= threshold]
    title = None
    for _, s in kept[:8]:
        if _is_title(s[:200]) and not s.endswith(_FINAL_CHARS):
            title = s
            break
    if title is None and kept and len(kept[0][1]) <= 120:
        title = kept[0][1]
    out: list[str] = []
    seen_titles: set[str] = set()
    prev = None
    for i, s in kept:
        key = _title_key(s)
        is_titleish = len(key) >= 8 and not key.endswith(_FINAL_CHARS) and _is_title(key[:200])
        if is_titleish and key in seen_titles:
            continue  # a repeated title line
        if is_titleish:
            seen_titles.add(key)
        if prev is not None and any(not lines[j].strip() for j in range(prev + 1, i)):
            out.append("")
        out.append(s)
        prev = i
    return Body(text="\n".join(out), title_hint=title)


def clean_text(text: str, threshold: float) -> Body:
    """The body of a text page.

    Args:
        text: the decoded page (``\\n`` line ends).
        threshold: lines scored below this probability of being body are dropped
            (``params['ingest']['boilerplate_threshold']``).
    """
    return clean_lines(text.split("\n"), threshold)


# ---------------------------------------------------------------- HTML
_DROP_BLOCKS = re.compile(r"<(script|style|noscript|template|svg|head)\b.*?(?:</\1\s*>|\Z)", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|tr|li|ul|ol|h[1-6]|table|section|article|header|footer|nav|aside|pre|"
    r"blockquote|dd|dt|dl|form|hr|center|main|body|html|title)\b[^>]*>", re.I)
_CELL_TAG = re.compile(r"</?t[dh]\b[^>]*>", re.I)
# A tag starts with ``<`` and a letter, ``/``, ``!`` or ``?`` and runs to the next ``>`` (or the
# end of a truncated page), however long: a 10 MB ``data:`` URI is one tag.  Every scan of
# ``[^>]*`` is consumed by the match, so this is linear; ``a < b`` and ``<中华人民共和国…法>``
# are text, not tags.
_ANY_TAG = re.compile(r"<[A-Za-z/!?][^>]*(?:>|\Z)")
_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_HSPACE = re.compile(r"[ \t\r\f\v]+")


def html_text_lines(html: str) -> list[str]:
    """All visible text of an HTML page as lines, boilerplate included.

    Linear in the size of the page (regular expressions only), so it copes
    with truncated and absurdly nested HTML.

    Args:
        html: the page's markup.
    """
    text = _COMMENT.sub(" ", html)
    text = _DROP_BLOCKS.sub("\n", text)
    text = _BLOCK_TAG.sub("\n", text)
    text = _CELL_TAG.sub(" ", text)
    text = _ANY_TAG.sub("", text)
    text = html_lib.unescape(text)
    return [_HSPACE.sub(" ", x).strip() for x in text.split("\n")]


def html_title(html: str) -> str | None:
    """The text of the page's ``<title>``, or ``None``.

    Args:
        html: the page's markup.
    """
    m = _TITLE_TAG.search(html[:200_000])
    if not m:
        return None
    title = _HSPACE.sub(" ", html_lib.unescape(_ANY_TAG.sub("", m.group(1)))).strip()
    return title or None


_XML_BLOCKS = {"p", "head", "item", "quote", "code", "list", "table", "row", "cell", "lb", "main", "doc"}


def _safe_xml_parser() -> Any:
    """An lxml parser that never expands entities, loads a DTD or touches the network,
    and keeps libxml2's limits on tree size and depth (``huge_tree`` off)."""
    from lxml import etree

    return etree.XMLParser(recover=True, huge_tree=False, resolve_entities=False, no_network=True,
                           load_dtd=False, dtd_validation=False)


# A table row whose cells hold at most this many paragraphs, and this much text, is a row
# of data (Word-exported tables put every cell's text in a <p>); larger cells hold a page
# laid out in a table.
_DATA_CELL_BLOCKS = 12
_DATA_ROW_CHARS = 3000


def _data_row(row: Any) -> list[str] | None:
    """The cells of a row of trafilatura's XML, each on one line (its paragraphs separated
    by a space), if it is a row of a data table; else None."""
    if len(row) < 2:
        return None
    cells: list[str] = []
    size = 0
    for cell in row:
        blocks = 0
        for sub in cell.iter():
            if sub.tag in ("table", "list"):
                return None
            blocks += sub.tag in ("p", "head")
        text = "".join(cell.itertext())
        size += len(text)
        if blocks > _DATA_CELL_BLOCKS or size > _DATA_ROW_CHARS:
            return None
        cells.append(_HSPACE.sub(" ", " ".join(x.strip() for x in text.split("\n") if x.strip())))
    return cells


def _xml_lines(xml: str) -> list[str]:
    """Render trafilatura's XML output as lines: one per paragraph, heading,
    list item or table row (cells of a row joined with ``" | "``, empty ones kept so
    that each cell stays under its column)."""
    from lxml import etree

    root = etree.fromstring(xml.encode("utf-8"), _safe_xml_parser())
    lines: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        line = _HSPACE.sub(" ", "".join(buf)).strip()
        if line:
            lines.append(line)
        buf.clear()

    def walk(el: Any, depth: int) -> None:
        if depth > 200:
            raise RecursionError("trafilatura output nested too deeply")
        tag = el.tag if isinstance(el.tag, str) else ""
        cells = _data_row(el) if tag == "row" else None
        if cells is not None:
            flush()
            if any(cells):
                lines.append(" | ".join(cells).strip())
            buf.append("")
            flush()
        else:
            if tag in _XML_BLOCKS:
                flush()
            if el.text:
                buf.append(el.text)
            for child in el:
                walk(child, depth + 1)
            if tag in _XML_BLOCKS:
                flush()
        if el.tail:
            buf.append(el.tail)

    walk(root, 0)
    flush()
    return lines


def load_html_parser() -> None:
    """Import trafilatura now (about 0.1 s), e.g. before forking workers that will read HTML."""
    import trafilatura  # noqa: F401


def _trafilatura_lines(html: str) -> list[str] | None:
    import trafilatura

    # fast: no second extraction with the fallback extractors to compare against (a quarter
    # of the time; the same text on all 61 real HTML pages we hold).  Pages it gets wrong
    # still have the tag stripper below as their fallback.
    xml = trafilatura.extract(
        html, output_format="xml", favor_recall=True, fast=True, include_comments=False,
        include_tables=True, include_images=False, include_links=False,
        deduplicate=False, with_metadata=False)
    if not xml:
        return None
    lines = _xml_lines(xml)
    return lines if any(lines) else None


def clean_html(html: str, threshold: float = 0.5) -> Body:
    """The body of an HTML page.

    Args:
        html: the page's markup (decoded text).
        threshold: as for :func:`clean_text`, applied to the extracted lines.
    """
    title = html_title(html)
    try:
        lines = _trafilatura_lines(html)
    except Exception:  # noqa: BLE001 - any failure inside trafilatura
        lines = None  # trafilatura gave up on broken HTML: fall back to the tag stripper
    stripped: list[str] | None = None
    if lines is not None and len([x for x in lines if x.strip()]) <= 1:
        # One line from trafilatura is its baseline fallback gluing the whole page together
        # (menus and footer included); the tag stripper keeps the page's own lines.
        stripped = html_text_lines(html)
        if len([x for x in stripped if x.strip()]) > 2:
            lines = stripped
    if lines is None:
        lines = stripped if stripped is not None else html_text_lines(html)
    body = clean_lines(lines, threshold)
    if not body.text.strip() and lines is not stripped:
        # libxml2 stops at limits it keeps on purpose (an attribute over 10 MB, e.g. a
        # data: URI image; huge_tree stays off): what trafilatura saw was not the page.
        body = clean_lines(html_text_lines(html), threshold)
    return Body(text=body.text, title_hint=title or body.title_hint)


def _main() -> None:  # pragma: no cover - a command
    model = train()
    print(f"trained on {model['n_lines']} lines from {model['n_docs']} documents; "
          f"held-out accuracy {model['heldout_accuracy']:.3f} -> {MODEL_PATH}")


if __name__ == "__main__":  # pragma: no cover
    _main()

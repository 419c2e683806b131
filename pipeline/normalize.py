"""Text normalisation after boilerplate removal: spacing and broken lines.

Only white space and line breaks change; every other character stays as
written (no script conversion, no NFKC: full-width punctuation stays, so that
offsets into ``documents.text`` quote the page faithfully).

- letter-spaced words (``科  技  部``, ``標  題``) lose their spaces: a run of
  single CJK characters separated by blanks is one word;
- U+3000 and NBSP become an ASCII space (or nothing inside letter-spacing);
  runs of blanks inside a line become one space (one tab, in a table row whose
  cells are separated by tabs); indentation is stripped;
- runs of blank lines become one blank line;
- broken lines are joined: in Chinese when the first line is visibly
  unfinished (ends in ``，``/``、``/an opening bracket, or is a long line with
  clause punctuation and no final punctuation) or the next line starts with
  punctuation; in English when the first line does not end a sentence (or the
  text is hard-wrapped, as in the Federal Register) and the next line does not
  open a new item (``(a)``, ``Sec. 5.``, ``1.``).  Headings (``一、总体要求``),
  short lines of their own (``国家发展改革委``, dates) and table rows (cells
  separated by tabs or `` | ``) are never joined.
"""
from __future__ import annotations

import functools
import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .settings import CACHE_ROOT, is_private, write_private

__all__ = ["normalize_text", "join_broken_lines", "to_simplified", "opencc_converter", "changed_by", "code_points"]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_BLANK = " \t\u3000\u00a0\u2002\u2003\u2009\u200b"
# A run of >= 2 single CJK characters separated by blanks, not touching other CJK.
_LETTER_SPACED = re.compile(
    rf"(?<![{_CJK}])[{_CJK}](?:[{_BLANK}]+[{_CJK}])+(?![{_CJK}])")
_BLANKS = re.compile(rf"[{_BLANK}]+")
_TAB_RUN = re.compile(rf"[{_BLANK}]*\t[{_BLANK}]*")
_BLANKS_BUT_TAB = re.compile(rf"[{_BLANK.replace(chr(9), '')}]+")
_BLANK_RUNS = re.compile(r"\n{3,}")

_CJK_RUN = re.compile(rf"[{_CJK}]+")
_ZH_FINAL = tuple("。！？；：…!?;:")
_ZH_OPEN_END = tuple("，、,（(《“「『【〔")
_ZH_CLAUSE = re.compile(r"[，、,；;]")
_STARTS_WITH_PUNCT = re.compile(r"^[，。、；：！？）》」』”’〕】,.;:!?)]")
# Item and heading markers that open a new line.
_ZH_MARKER = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百\d]+[）)]|\d+[、.．]\D"
    r"|\d+[）)]|第[一二三四五六七八九十百\d]+[章节条款部分]|[①-⑳]|附件|抄送|联系人|[•·●■□◆-])")
_EN_MARKER = re.compile(
    r"^(?:\(?[a-zA-Z]\)|\(?[ivxlcdm]{1,6}\)|\(?\d{1,3}\)|\d{1,3}\.(?:\s|$)|Sec(?:tion|\.)\s*\d|"
    r"SEC(?:TION|\.)\s*\d|Article\s+\d|Part\s+[IVX\d]|[-•*·]\s)")
_EN_FINAL = tuple(".?!:;")
_DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$|^\d{4}-\d{1,2}-\d{1,2}$")
_HYPHEN_WRAP = re.compile(r"[A-Za-z]-$")


def _unspace(match: re.Match[str]) -> str:
    return _BLANKS.sub("", match.group(0))


def _clean_line(line: str, row: bool = False) -> str:
    line = _LETTER_SPACED.sub(_unspace, line.strip(_BLANK + "\n"))
    if row:  # a table row keeps one tab between cells: spaces may fall inside a cell
        return _BLANKS_BUT_TAB.sub(" ", _TAB_RUN.sub("\t", line))
    return _BLANKS.sub(" ", line)


def _is_zh(line: str) -> bool:
    cjk = sum(map(len, _CJK_RUN.findall(line, 0, 200)))
    return cjk >= 2 and cjk >= 0.2 * min(len(line), 200)


def _join_zh(a: str, b: str) -> bool:
    if _STARTS_WITH_PUNCT.match(b):
        return True
    if _ZH_MARKER.match(b) or _DATE_LINE.match(b):
        return False
    if a.endswith(_ZH_OPEN_END):
        return True
    if a.endswith(_ZH_FINAL) or a.endswith(("）", ")", "》", "”", "」")):
        return False
    if _ZH_MARKER.match(a) and len(a) < 40 and not _ZH_CLAUSE.search(a):
        return False  # a heading
    # Visibly unfinished: a long line already inside a sentence.
    return len(a) >= 20 and bool(_ZH_CLAUSE.search(a))


def _join_en(a: str, b: str, wrap: int) -> bool:
    if _STARTS_WITH_PUNCT.match(b) and not b.startswith(("(", "[")):
        return True
    if _EN_MARKER.match(b):
        return False
    if not b[:1].isalnum() and b[:1] not in "\"'“‘":
        return False
    if _HYPHEN_WRAP.search(a) or a.endswith((",", "(", "—", "–", " and", " or", " of", " the")):
        return True
    if not a.endswith(_EN_FINAL):
        # A short line with no final punctuation is a heading or a name.
        return len(a) >= 40 or (wrap > 0 and len(a) >= 0.6 * wrap) or b[:1].islower()
    # Hard-wrapped text: a full-width line ending in a period still runs on.
    return wrap > 0 and len(a) >= 0.85 * wrap and b[:1].isalpha()


def _wrap_width(lines: list[str]) -> int:
    """The column at which the text is hard-wrapped, or 0 if it is not."""
    lengths = sorted(len(x) for x in lines if x)
    if len(lengths) < 8:
        return 0
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    if not 40 <= p90 <= 110:
        return 0
    near = sum(1 for n in lengths if 0.75 * p90 <= n <= p90 + 5)
    return p90 if near >= 0.5 * len(lengths) else 0


def _is_table_row(line: str) -> bool:
    """Whether a raw line is a row of table cells (``1<TAB>推进…<TAB>市财政局``): a row
    ends at its line however unfinished its last cell looks."""
    s = line.strip(_BLANK + "\n")
    return "\t" in s or " | " in s


def join_broken_lines(lines: list[str], rows: list[bool] | None = None) -> list[str]:
    """Join lines that a page broke in the middle of a sentence.

    Args:
        lines: stripped lines; an empty string is a paragraph break and is
            never joined across.
        rows: for each line, whether it is a table row, which is never joined
            to the line before or after it (default: none is).
    """
    wrap = _wrap_width(lines)
    out: list[str] = []
    last_row = False
    for i, line in enumerate(lines):
        row = rows[i] if rows is not None else False
        if out and out[-1] and line and not (row or last_row):
            a = out[-1]
            if _is_zh(a) or _is_zh(line):
                if _join_zh(a, line):
                    out[-1] = a + line
                    continue
            elif _join_en(a, line, wrap):
                if _HYPHEN_WRAP.search(a) and (line[:1].islower() or line[:1].isupper()):
                    # "jurisdic-" + "tions"; "Co-Vice-" + "Chair" keeps a compound's own hyphen
                    out[-1] = (a[:-1] if line[:1].islower() else a) + line
                else:
                    out[-1] = a + " " + line
                continue
        out.append(line)
        last_row = row
    return out


def normalize_text(text: str) -> str:
    """Normalise spacing and line breaks of cleaned text.

    Args:
        text: cleaned page text with ``\\n`` line ends.

    Returns:
        the text with letter-spacing removed, blanks collapsed, indentation
        stripped, at most one blank line in a row, and broken lines joined.
    """
    raw = text.split("\n")
    rows = [_is_table_row(x) for x in raw]
    lines = [_clean_line(x, row) for x, row in zip(raw, rows)]
    out = "\n".join(join_broken_lines(lines, rows)).strip("\n")
    return _BLANK_RUNS.sub("\n\n", out)


@functools.lru_cache(maxsize=2)
def opencc_converter(config: str) -> Callable[[str], str] | None:
    """OpenCC's converter for a configuration (``t2s``, ``s2t``), built once per process.

    Args:
        config: the OpenCC configuration name.
    """
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a hard dependency, but stay usable without it
        return None
    try:
        return opencc.OpenCC(config).convert
    except Exception:  # the official binding also accepts the config file name
        return opencc.OpenCC(f"{config}.json").convert


def to_simplified(text: str) -> str:
    """``text`` in simplified script, same length (``text`` itself if a conversion changed length).

    Page-sized strings are memoised: metadata and extraction of one page
    convert the same texts, and Python keeps a string's hash once computed.

    Args:
        text: any text.
    """
    return _convert_page(text) if len(text) >= 256 else _convert(text)


def _convert(text: str) -> str:
    if not changed_by("t2s")[code_points(text)].any():
        # Phrase rules only rewrite sequences holding a character t2s changes on its own:
        # without one, the text converts to itself (most simplified pages, at a fraction of
        # the cost, and without loading OpenCC at all).
        return text
    conv = opencc_converter("t2s")
    if conv is None:
        return text
    out = conv(text)
    return out if len(out) == len(text) else text


_convert_page = functools.lru_cache(maxsize=8)(_convert)


# The characters a conversion may change on their own: U+2000 on (CJK and the punctuation
# OpenCC maps) and the supplementary ideograph planes; the table covers every code point.
_TABLE_RANGES = ((0x2000, 0xD800), (0xE000, 0x10000), (0x20000, 0x2FA20))
_N_CODE_POINTS = 0x110000


@functools.lru_cache(maxsize=2)
def changed_by(config: str) -> np.ndarray:
    """A table over all code points: True for the characters an OpenCC conversion
    (``t2s``, ``s2t``) changes when they stand alone (all False without OpenCC).

    Building it converts some 110,000 characters (0.05 s, after loading OpenCC):
    it is kept in the cache folder, one file per OpenCC version and config, so
    that later processes read 140 KB instead.

    Args:
        config: the OpenCC configuration name.
    """
    path = _table_path(config)
    if path is not None and is_private(path):
        try:
            packed = np.load(path)  # arrays only: numpy refuses pickled objects by default
            if packed.dtype == np.uint8 and packed.shape == (_N_CODE_POINTS // 8,):
                return np.unpackbits(packed).view(bool)
        except (OSError, ValueError):
            pass  # unreadable: build it again
    table = _build_changed_by(config)
    if path is not None:
        buf = io.BytesIO()
        np.save(buf, np.packbits(table))
        write_private(path, buf.getvalue())
    return table


def _table_path(config: str) -> Path | None:
    """Where ``changed_by(config)`` is cached: named after the installed OpenCC (its
    version and files), so that another OpenCC gets a table of its own; None without OpenCC."""
    try:
        import opencc
    except ImportError:
        return None
    package = Path(opencc.__file__).resolve().parent
    stamp = "\0".join([config, str(getattr(opencc, "__version__", "")), str(package), repr(_TABLE_RANGES)]
                       + [f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(package.iterdir())
                          if p.is_file()])
    return CACHE_ROOT / f"opencc_{config}.{hashlib.sha256(stamp.encode()).hexdigest()[:16]}.npy"


def _build_changed_by(config: str) -> np.ndarray:
    table = np.zeros(_N_CODE_POINTS, dtype=bool)
    conv = opencc_converter(config)
    if conv is None:
        return table
    chars = [chr(c) for lo, hi in _TABLE_RANGES for c in range(lo, hi)]
    out = conv("\n".join(chars)).split("\n")
    if len(out) == len(chars):
        table[[ord(c) for c, o in zip(chars, out) if c != o]] = True
    else:  # cannot tell character by character: treat every character as changed
        table[:] = True
    return table


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` as an array (for counting characters by table look-up).

    Args:
        text: any text.
    """
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")

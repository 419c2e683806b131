"""Bytes -> text: find a page's encoding and clean its line ends.

The decision order is: byte-order mark; a UTF-16 page without a BOM (NULs in
every other byte); magic numbers of formats we do not read (PDF, ZIP, images,
...); binary content; then candidate encodings (the HTML ``<meta charset>``,
strict UTF-8, GB18030, Big5, cp1252 and charset-normalizer's guess), each
decoded strictly and judged by how *plausible* the text is.  Decoding without
error is not evidence on its own: GB18030 accepts almost any byte string, and
Big5 bytes read as GBK give valid but rare hanzi.  Plausibility rewards
frequent hanzi, CJK punctuation and printable ASCII, and penalises private-use,
control and replacement characters.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import numpy as np

from .errors import BinaryFile, EmptyFile, UndecodableFile, UnsupportedFormat

__all__ = ["Decoded", "decode_bytes", "looks_like_html", "plausibility"]


@dataclass
class Decoded:
    """A decoded page: ``text`` (``\\n`` line ends, no control characters),
    the ``encoding`` used (a Python codec name) and whether it is HTML."""

    text: str
    encoding: str
    is_html: bool


# The most frequent hanzi (from jieba's dictionary frequencies) plus their
# traditional forms: Big5-vs-GBK and UTF-8-vs-GB18030 are told apart by them.
_COMMON_HANZI = (
    "一七万三上下不与专且世业东两严並个中丰临为主举久么义之乎乐九也习乡书买乱亂了争事二于云互五亚些亞交产京亮亲人亿什仅今介仍"
    "从他代令以们件价任份企伊众优会传伤伯似但位低住体佔何余作你使來例供依侧便俄保信修個們倒候值假做停側備傳傷僅像價億優儿元兄"
    "充先光克免兒党入內全兩八公六兰共关兴兵其具典养内再写军农冲决况冷准减几出击刀分切划列刘则刚创初判別利别到制刺刻則前剑剛剧"
    "副創劇劉劍力办功加务动助劳势動務勝勞勢包化北区医區十千升半华协協单卖南博占卫印危即却卻厂历压原去县参參又及友双反发取受变"
    "口古句另只叫召可台史右叶号司吃各合同名后向吗否吧含听吳吴吸告员呢周味呼命和咱品哈响員哥哪唐商啊問善喜喝喫單嗎器嚴四回因团"
    "园围固国图國圍園圖團土在地场均坐块坚型城域執基堂堅報場塊境墙增壓士声处备复夏外多夜够夠大天太夫央失头奇女她好如妇妈始姑姓"
    "委威娘婦媽子字存孙季学孩孫學宁它守安宋完宗官定宜宝实审客宣室宫宮害家容密富察實寧審寫寶对导封射将將專對導小少尔尚就尼尽局"
    "层居屆届展属層屬山岁岛岸島州工左差己已巴市布师希帝带師席帮帶常幫干平年并幹幾广庆序应底府度座庭康廠廣建开异式引弟张張強弹"
    "强彈归当录形彩影往征待很律後得從復微徵德心必志忙快念忽怀态怎怕思急性怪总恩息恶情惊惡想意愛感愿態慢慶應懷成我或战戰戶户房"
    "所手才打执扩批找承技把投抗护报担拉招括拿持指按挥换据授掌排採探接控推提換揮擊擔據擴支收改攻放政故效敌救敗教敢散数整敵數文"
    "斗料断斯新斷方於施旁旅族无既日旧早时昌明易星春是显時晚普景暗曲更書曾最會月有服望朝期木未本术朱机杀杂权李材村条来杨東松板"
    "极构林果枪架某查标树校样核根格案桥條检植楊楚業極楼構槍樂樓標模樣樹橋機檢權次欢欧歐歡止正此步武歲歷歸死段殺殿母每毒比毕毛"
    "毫民气氣水永求汉江決沉沒沙没河油治沿況法波注泽洋洞洪洲活派流测济海消深清渐減温測港游湖湾源準溫满滿演漢漸澤激濟灣火灵炮点"
    "烈热無然照熟熱營爭爱爲父爷爺爾牆片版牌牙牛物特状狀独献獨獲獻率玉王环现班現球理環甚生產用田由甲电男画界留畢略畫異當病痛登"
    "發白百的皇皮益监盘盛盡監盤目直相省看真眼着督知短石矿研破础确確礎礦示礼社祕祖神票禁福禮离种科秘积称移程種稱稳積穩究空穿突"
    "立站竟章端笑笔第筆等筑答策简算管節範築簡米类精系紀約紅納級素索紧細終組結絕給統經維網緊線編練緻縣總織繼續红约级纪纳线练组"
    "细织终经结给绝统继续维编网罗罪置羅美羣群義習老考者而职联聞聯聲職聽肉股育背胜胡能脑脚脸腦腳臉臣臨自至致臺與興舉舊航般船良"
    "色艺节花苏若苦英范茶荆草荊药获菜華营萬落葉著蒙藏藝藥蘇蘭處號虽血衆行術街衛衝衣补表被装裏補裝襄西要見規視親覺觀见观规视觉"
    "角解言計訓記設許訴評詞試詩話該認語說誰調談請論講證識警議護讀變讓计认让训议记讲许论设证评识诉词试诗话该语说请读谁调谈谷豐"
    "象負財貨責貴買費資賣質賽负财责败货质贵费资赛走赶起超越趕足跟路身車軍軟較載輕輪輯輸轄轉车转轮软轻载较辑输辖辦農边达过迎运"
    "近还这进远连述追退送适选逐這通速造連進遇遊運過道達遗遠適選遺還邊那邦部都鄂鄉配酒醫采里重量金銀銷錄錢錯鍾鎮鐵钟钱铁银销错"
    "镇長长門開間關门问间闻队防阳阵阶阿附际陆陈降限院陣除险陳陵陸陽隊階随際隨險难雄集雖雙雜離難雨雲雷電需露靈青静靜非靠面革音"
    "響頂項順須預頓領頭題額願類顧顯顶项顺须顾顿预领题额風风飛飞食飯養餘館饭馆首香馬驗驚马验骨體高鬥魚鮮鱼鲜麼黃黄黑點黨齊齐龍"
    "龙"
)
_COMMON_SET = frozenset(_COMMON_HANZI)
_COMMON_TABLE = np.zeros(0x10000, dtype=bool)
_COMMON_TABLE[[ord(ch) for ch in _COMMON_SET]] = True

# Magic numbers of formats that are not pages: (prefix, what it looks like).
_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx, which are ZIP files)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.doc/.xls)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "a Windows executable"),
]

_BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]

# Declared names -> the codec that reads what pages labelled so actually contain.
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "gb_2312-80": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "gb18030",
    "big5": "cp950", "big5-hkscs": "big5hkscs", "x-x-big5": "cp950",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "utf-8",
    "ascii": "utf-8", "utf8": "utf-8", "unicode": "utf-16", "utf-16": "utf-16",
}

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]{2,40})""", re.I)
_HTML_START = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
    re.I | re.S)
_HTML_TAG = re.compile(
    r"</?(?:html|head|body|div|p|span|table|tr|td|br|a|ul|li|h[1-6]|meta|script|style|font|pre)\b[^>]*>",
    re.I)
# Controls we delete (keep \t \n \r \f; \r is handled by the line-end cleaning).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_CANDIDATES = ["utf-8", "gb18030", "cp950", "big5hkscs", "cp1252"]
_SAMPLE_CHARS = 60_000
_SAMPLE_BYTES = 128 * 1024


def plausibility(text: str) -> float:
    """How much ``text`` looks like real Chinese or English: about 1.0 for a
    correctly decoded page, lower (possibly negative) for mojibake.

    Args:
        text: decoded text (only the first 60 000 characters are looked at).
    """
    sample = text[:_SAMPLE_CHARS]
    n = len(sample)
    if n == 0:
        return 0.0
    c = np.frombuffer(sample.encode("utf-32-le", "surrogatepass"), dtype="<u4")

    def within(lo: int, hi: int) -> np.ndarray:
        return (c >= lo) & (c <= hi)

    cjk = within(0x4E00, 0x9FFF)
    common = int(_COMMON_TABLE[np.where(cjk, c, 0)].sum())
    ascii_ok = within(0x20, 0x7E) | (c == 9) | (c == 10) | (c == 12) | (c == 13)
    punct = within(0x2000, 0x206F) | within(0x3000, 0x303F) | within(0xFF00, 0xFFEF)
    rare = (within(0x100, 0x2FF) | within(0x370, 0x1FFF) | within(0x2E80, 0x2FFF) | within(0x3100, 0x33FF)
            | within(0x3400, 0x4DBF) | within(0xA000, 0xD7FF) | within(0xF900, 0xFAFF))
    bad = (within(0, 8) | (c == 0xB) | within(0xE, 0x1F) | within(0x7F, 0x9F) | within(0xE000, 0xF8FF)
           | (c == 0xFFFD) | within(0xF0000, 0x10FFFF))
    score = (
        int(ascii_ok.sum())
        + common
        + 0.3 * (int(cjk.sum()) - common)
        + int(punct.sum())
        + 0.5 * int(within(0xA0, 0xFF).sum())
        - 0.5 * int(rare.sum())
        - 5.0 * int(bad.sum())
    )
    return score / n


def looks_like_html(text: str) -> bool:
    """True if ``text`` is an HTML page, whatever its file name says.

    Args:
        text: decoded text; its start and the density of common tags decide.
    """
    head = text[:4096]
    if _HTML_START.match(head):
        return True
    sample = text[:65536]
    return len(_HTML_TAG.findall(sample, 0, 65536)) >= 8


def _magic(data: bytes) -> str | None:
    for prefix, what in _MAGIC:
        if data.startswith(prefix):
            # "MZ" and "BZh" are short: demand binary-looking content as well.
            if prefix in (b"MZ", b"BZh") and data[:512].count(b"\x00") < 4:
                continue
            return what
    return None


def _utf16_without_bom(data: bytes, head: bytes) -> tuple[str, str] | None:
    """(codec, text) when the bytes read as plausible UTF-16 without a BOM.

    ASCII characters (line ends at least) put NULs in every other byte; a
    binary file has NULs too, so the decoded text must also be plausible.
    """
    if len(head) < 16 or head.count(0) < len(head) // 200:
        return None
    even, odd = head[0::2], head[1::2]
    order = ["utf-16-le", "utf-16-be"] if odd.count(0) >= even.count(0) else \
        ["utf-16-be", "utf-16-le"]
    for enc in order:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if plausibility(text) >= 0.8:
            return enc, text
    return None


_CONTROL_BYTES = bytes((*range(1, 9), 11, *range(14, 27), *range(28, 32)))


def _binary_reason(head: bytes) -> str | None:
    n = len(head)
    nul = head.count(0)
    ctrl = n - len(head.translate(None, _CONTROL_BYTES))
    if nul / n > 0.01 or ctrl / n > 0.02:
        return (f"{nul} NUL and {ctrl} control bytes in the first {n} bytes: "
                "this is not a text or HTML page")
    return None


def _declared(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:8192])
    if not m:
        return None
    name = m.group(1).decode("ascii", "ignore").lower().strip()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _detector_guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    best = from_bytes(data[:_SAMPLE_BYTES]).best()
    if best is None:
        return None
    name = _ALIASES.get(best.encoding.lower(), best.encoding)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _clean(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return _CONTROL.sub("", text)


def _finish(text: str, encoding: str, source: str) -> Decoded:
    text = _clean(text)
    if not text.strip():
        raise EmptyFile("the page holds only white space after decoding",
                        path=source, hint="check that the file was saved completely")
    return Decoded(text=text, encoding=encoding, is_html=looks_like_html(text))


def _decode_strict(data: bytes, enc: str) -> str | None:
    """``data`` decoded strictly as ``enc``, or ``None``.

    A download cut off inside a multi-byte character (the last 1-3 bytes of a
    UTF-8 or GB18030 page) is not evidence against the encoding: those bytes
    are dropped and the rest must decode strictly.

    Args:
        data: the page's bytes.
        enc: a Python codec name.
    """
    try:
        return data.decode(enc)
    except LookupError:
        return None
    except UnicodeDecodeError as exc:
        cut = exc.start
    if cut < len(data) - 4 or cut == 0:
        return None
    try:
        return data[:cut].decode(enc)
    except UnicodeDecodeError:
        return None


def decode_bytes(data: bytes, *, source: str = "") -> Decoded:
    """Decode a page's bytes into text.

    Args:
        data: the raw bytes of a ``.txt`` or ``.html`` page.
        source: the file name, used in error messages only.

    Raises:
        EmptyFile: no bytes, or only white space.
        UnsupportedFormat: a PDF, archive, image or Office file.
        BinaryFile: NUL- or control-heavy bytes that are no text.
        UndecodableFile: no candidate encoding gives plausible text.
    """
    if not data or not data.strip(b" \t\r\n\x00"):
        raise EmptyFile("the file is empty" if not data else "the file holds only white space",
                        path=source, hint="check that the download or export finished")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return _finish(data[len(bom):].decode(enc), enc, source)
            except UnicodeDecodeError as exc:
                raise UndecodableFile(
                    f"starts with a {enc} byte-order mark but is not valid {enc} "
                    f"(byte {exc.start + len(bom)})",
                    path=source, hint="re-save the file as UTF-8") from None
    head = data[:_SAMPLE_BYTES]
    utf16 = _utf16_without_bom(data, head)
    if utf16:
        return _finish(utf16[1], utf16[0], source)
    what = _magic(data)
    if what:
        raise UnsupportedFormat(f"looks like {what}, not a text or HTML page",
                                path=source, hint="convert it to text or HTML first")
    reason = _binary_reason(head)
    if reason:
        raise BinaryFile(reason, path=source,
                         hint="only .txt and .html pages can be read; convert the file first")

    declared = _declared(data)
    candidates: list[str] = []
    for enc in [declared, *_CANDIDATES]:
        if enc and enc not in candidates:
            candidates.append(enc)
    if head.isascii():
        return _finish(data.decode("utf-8", "replace"), "utf-8", source)

    best: tuple[float, str, str] | None = None
    for enc in candidates:
        text = _decode_strict(data, enc)
        if text is None:
            continue
        score = plausibility(text)
        # The declared charset and UTF-8 win near-ties: they are evidence, not guesses.
        bonus = 0.05 if enc == declared else (0.03 if enc == "utf-8" else 0.0)
        if best is None or score + bonus > best[0]:
            best = (score + bonus, enc, text)
    if best is None or best[0] < 0.75:
        guess = _detector_guess(data)
        if guess and guess not in candidates:
            try:
                text = data.decode(guess)
                score = plausibility(text)
                if best is None or score > best[0]:
                    best = (score, guess, text)
            except (UnicodeDecodeError, LookupError):
                pass
    if best is not None and best[0] >= 0.6:
        return _finish(best[2], best[1], source)

    # Nothing decodes cleanly: accept a few bad bytes (pages often have one
    # stray byte) but not mojibake.
    lossy: tuple[float, str, str] | None = None
    for enc in candidates:
        text = data.decode(enc, "replace")
        bad = text.count("\ufffd") / max(1, len(text))
        score = plausibility(text)
        if bad <= 0.002 and (lossy is None or score > lossy[0]):
            lossy = (score, enc, text)
    if lossy is not None and lossy[0] >= 0.6:
        return _finish(lossy[2], lossy[1], source)
    tried = ", ".join(candidates)
    detail = f"best was {best[1]} with plausibility {best[0]:.2f}" if best else \
        "none of them decodes without errors"
    raise UndecodableFile(
        f"no encoding gives readable text (tried {tried}; {detail})",
        path=source, hint="re-save the page as UTF-8, or check that it is a text page")

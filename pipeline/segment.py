"""Chinese word segmentation: jieba with the government-body lexicon, or HanLP.

The lexicon (``models/zh_bodies.txt``) makes names such as 发展改革委 or 调宣部
single words.  jieba's dictionary cache is written to a project folder
(``.cache/jieba``), never to /tmp.  HanLP is the alternative backend; it loads
a tokenizer from a local directory and never downloads anything.
"""
from __future__ import annotations

import bisect
import functools
import hashlib
import logging
import marshal
import os
import tempfile
from pathlib import Path
from typing import Callable

from .errors import ModelMissing, UsageError
from .settings import CACHE_ROOT, is_private, write_private

CACHE_DIR = CACHE_ROOT
BODY_TAG = "nt"


def read_lexicon(path: str | os.PathLike[str]) -> list[str]:
    """The names in a lexicon file: one a line, ``#`` comments and blank lines skipped.

    Args:
        path: the lexicon file (plain UTF-8 text).
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UsageError(f"lexicon not found: {p}",
                         hint="set extract.lexicon in params.yaml to an existing file") from None
    return [ln.split()[0] for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


@functools.lru_cache(maxsize=4)
def jieba_tokenizer(lexicon: str):
    """A jieba ``Tokenizer`` with the lexicon added, its cache in the project folder.

    Args:
        lexicon: path of the lexicon file; tokenizers are built once per process and path.
    """
    import jieba

    jieba.setLogLevel(logging.WARNING)
    # jieba keeps its cache in marshal format: keep it in a folder only this user can write.
    CACHE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    tok = jieba.Tokenizer()
    tok.tmp_dir = str(CACHE_DIR)
    tok.cache_file = str(CACHE_DIR / "jieba.cache")
    cache = Path(tok.cache_file)
    if is_private(cache):
        try:
            # What initialize() does with its cache, three times faster: marshal.load on a
            # file object reads it piece by piece, marshal.loads takes the bytes at once.
            tok.FREQ, tok.total = marshal.loads(cache.read_bytes())
            tok.initialized = True
        except (OSError, EOFError, ValueError, TypeError):
            pass  # a broken cache: initialize() rebuilds it
    elif cache.exists():
        # jieba reads its cache with marshal: one that others could have written is
        # never read; the dictionary is loaded from scratch into a cache of our own.
        tok.cache_file = str(Path(tempfile.mkdtemp(prefix="obligations-jieba-")) / "jieba.cache")
    tok.initialize()
    for name in read_lexicon(lexicon):
        tok.add_word(name, freq=max(tok.suggest_freq(name, tune=False), 10_000), tag=BODY_TAG)
    return tok


class WordTags(dict):
    """jieba's dictionary part-of-speech tags: ``tags[word]`` is the tag, or None
    for a word the dictionary lacks.

    A dict of all 349,000 words costs 0.2 s at every start, before any page can
    be read, while a run looks up some 15,000 of them: instead the words stay
    ``word<TAB>tag`` lines of bytes, sorted, searched by bisection the first
    time a word is asked for (a tab sorts before any byte of a word, so the
    lines sort as their words do).  The answer is then kept in the dict itself,
    so asking again costs one dict look-up.

    Args:
        data: the sorted lines, UTF-8, each word once, each line ending in a newline.
    """

    def __init__(self, data: bytes):
        super().__init__()
        self._lines = data.split(b"\n")[:-1]

    def __missing__(self, word: str) -> str | None:
        key = word.encode("utf-8", "surrogatepass") + b"\t"
        i = bisect.bisect_left(self._lines, key)
        tag = None
        if i < len(self._lines) and self._lines[i].startswith(key):
            tag = self._lines[i][len(key):].decode("utf-8")
        self[word] = tag
        return tag

    def get(self, word: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """The tag of ``word``, or ``default`` if the dictionary lacks it.

        Args:
            word: the word.
            default: what to return for a word not in the dictionary.
        """
        tag = self[word]
        return default if tag is None else tag

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self[word] is not None

    @property
    def n_words(self) -> int:
        """How many words jieba's dictionary tags."""
        return len(self._lines)


def _sorted_tag_lines(dict_path: Path) -> bytes:
    """``word<TAB>tag`` lines of a jieba dictionary file, sorted by their UTF-8 bytes
    (a word listed twice keeps its last tag, as a dict built line by line would)."""
    tags: dict[bytes, bytes] = {}
    for line in dict_path.read_bytes().splitlines():
        parts = line.split()
        if len(parts) >= 3:
            tags[parts[0]] = parts[2]
    return b"".join(w + b"\t" + tags[w] + b"\n" for w in sorted(tags))


@functools.lru_cache(maxsize=1)
def word_tags() -> WordTags:
    """jieba's dictionary part-of-speech tags, word -> tag (``get``, ``in``).

    Read from jieba's ``dict.txt`` (importing ``jieba.posseg`` does the same and
    more, at about twice the cost), through a sorted copy kept in the cache
    folder beside jieba's own cache and rebuilt when ``dict.txt`` changes.
    """
    import jieba

    source = Path(jieba.__file__).with_name("dict.txt")
    st = source.stat()
    stamp = hashlib.sha256(f"{source}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:16]
    cached = CACHE_DIR / f"jieba_tags.{stamp}.tsv"
    if is_private(cached):
        try:
            data = cached.read_bytes()
            if data.count(b"\t") == data.count(b"\n") and data.endswith(b"\n"):
                return WordTags(data)
        except OSError:
            pass
    data = _sorted_tag_lines(source)
    write_private(cached, data)
    return WordTags(data)


def hanlp_tokenizer(model_dir: str) -> Callable[[str], list[str]]:
    """A HanLP tokenizer loaded from a local model directory (the ``[hanlp]`` extra).

    Args:
        model_dir: a directory holding a HanLP tokenization model, e.g. one
            unpacked from ``COARSE_ELECTRA_SMALL_ZH``; nothing is downloaded.
    """
    if not model_dir or not Path(model_dir).is_dir():
        raise ModelMissing(
            f"HanLP model directory not found: {model_dir or '(not set)'}",
            hint="download a HanLP tokenizer model on a machine with internet, unpack it, "
                 "and set extract.hanlp_model in params.yaml to that directory; "
                 "or set extract.segmenter: jieba")
    try:
        import hanlp
    except ImportError:
        raise ModelMissing("HanLP is not installed",
                           hint="pip install torch==2.13.0 && pip install -e '.[hanlp]'") from None
    return hanlp.load(model_dir)


def make_segmenter(params: dict) -> Callable[[str], list[str]]:
    """A function text -> tokens for the backend named in ``params['extract']['segmenter']``.

    Args:
        params: the merged parameters (see ``settings.load_params``).
    """
    cfg = params["extract"]
    backend = cfg["segmenter"]
    if backend == "jieba":
        tok = jieba_tokenizer(cfg["lexicon"])
        return lambda text: tok.lcut(text, HMM=True)
    if backend == "hanlp":
        return hanlp_tokenizer(cfg["hanlp_model"])
    raise UsageError(f"unknown segmenter {backend!r}", hint="use 'jieba' or 'hanlp' in params.yaml")

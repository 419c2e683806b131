"""Chinese word segmentation: jieba with the government-body lexicon, or HanLP.

The lexicon (``models/zh_bodies.txt``) makes names such as 发展改革委 or 调宣部
single words.  jieba's dictionary cache is written to a project folder
(``.cache/jieba``), never to /tmp.  HanLP is the alternative backend; it loads
a tokenizer from a local directory and never downloads anything.
"""
from __future__ import annotations

import functools
import logging
import marshal
import os
import tempfile
from pathlib import Path
from typing import Callable

from .errors import ModelMissing, UsageError
from .settings import REPO_ROOT

CACHE_DIR = Path(os.environ.get("OBLIGATIONS_CACHE", REPO_ROOT / ".cache"))
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
    if _private(cache):
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


@functools.lru_cache(maxsize=1)
def word_tags() -> dict[str, str]:
    """jieba's dictionary part-of-speech tags, word -> tag, read once per process.

    Read straight from jieba's ``dict.txt``: importing ``jieba.posseg`` does the
    same and more, at about twice the cost.
    """
    import jieba

    tags: dict[str, str] = {}
    with Path(jieba.__file__).with_name("dict.txt").open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                tags[parts[0]] = parts[2]
    return tags


def _private(path: Path) -> bool:
    """Whether a file and its folder belong to this user and nobody else can write them."""
    try:
        for p in (path, path.parent):
            st = p.stat()
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return False
    except OSError:
        return False
    return True


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

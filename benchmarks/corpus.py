"""Build a benchmark corpus of N MB by recombining real pages.

Sources (read in place, never copied into the repository):

* Chinese: the sample pages (``corpus/raw``, ``corpus/dev``, ``tests/data/dev``)
  and, when present, ``../shared/corpora/govcn2019`` (HTML) and
  ``../shared/corpora/work_reports`` (text);
* English: ``../shared/corpora/executive_orders`` (HTML) when present, else
  the English sample pages.

Each output page keeps the head (title and metadata lines) of one real page
and fills its body with paragraphs drawn, with a fixed seed, from the pool of
all real paragraphs of that language, so pages are realistic in structure but
not byte-identical.  One page in eight is written in GB18030 and one in
sixteen in Big5 (Chinese) so decoding is exercised as in the wild.

    python benchmarks/corpus.py --mb 8 --lang zh --out tmp/bench/zh8
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"
sys.path.insert(0, str(ROOT))

from pipeline.decode import decode_bytes  # noqa: E402
from pipeline.ingest import iter_inputs  # noqa: E402

SAMPLE_DIRS = [ROOT / "corpus" / "raw", ROOT / "corpus" / "dev", ROOT / "tests" / "data" / "dev"]
HEAD_LINES = 6


def _is_zh(text: str) -> bool:
    """Whether a decoded page is mostly Chinese.

    Args:
        text: the decoded page.
    """
    cjk = sum(1 for ch in text[:4000] if "\u4e00" <= ch <= "\u9fff")
    return cjk > 0.2 * max(1, len(text[:4000].strip()))


def source_pages(lang: str) -> list[tuple[str, str]]:
    """The real pages of one language as ``(text, kind)``, kind ``txt`` or ``html``.

    Args:
        lang: ``zh`` or ``en``.
    """
    dirs = list(SAMPLE_DIRS)
    if lang == "zh":
        dirs += [SHARED / "govcn2019", SHARED / "work_reports"]
    else:
        dirs += [SHARED / "executive_orders"]
    seen: set[str] = set()
    out = []
    for d in dirs:
        if not d.is_dir():
            continue
        for path, _ in iter_inputs([d]):
            decoded = decode_bytes(path.read_bytes(), source=str(path))
            text = decoded.text
            if text in seen or _is_zh(text) != (lang == "zh"):
                continue
            seen.add(text)
            out.append((text, "html" if decoded.is_html else "txt"))
    return out


def build(out: Path, mb: float, lang: str, seed: int = 13, page_kb: int = 24) -> dict:
    """Write about ``mb`` megabytes of recombined pages into ``out``.

    Args:
        out: the folder to fill (created; existing pages in it are kept).
        mb: the target size in MB (10**6 bytes) on disk.
        lang: ``zh`` or ``en``.
        seed: the random seed (the same seed gives the same corpus).
        page_kb: the typical size of a text page in KB (HTML pages keep theirs).
    """
    pages = source_pages(lang)
    if not pages:
        raise SystemExit(f"no {lang} source pages found")
    rng = random.Random(seed)
    pool = [ln for text, kind in pages if kind == "txt"
            for ln in text.split("\n")[HEAD_LINES:] if len(ln.strip()) >= 8]
    out.mkdir(parents=True, exist_ok=True)
    target, total, n = int(mb * 1_000_000), 0, 0
    while total < target:
        text, kind = pages[n % len(pages)]
        if kind == "html":  # real HTML pages are recombined whole (their markup is their structure)
            data, suffix = text.encode("utf-8"), ".html"
        else:
            head = text.split("\n")[:HEAD_LINES]
            body: list[str] = []
            size = rng.randint(page_kb // 2, page_kb * 3 // 2) * 1000 // (3 if lang == "zh" else 1)
            while sum(len(x) for x in body) < size and pool:
                body.append(rng.choice(pool))
            page = "\n".join(head + body) + "\n"
            encoding = "utf-8"
            if lang == "zh" and n % 8 == 3:
                encoding = "gb18030"
            elif lang == "zh" and n % 16 == 7:
                encoding = "big5"
            try:
                data = page.encode(encoding)
            except UnicodeEncodeError:
                data = page.encode("utf-8")
            suffix = ".txt"
        path = out / f"{lang}_{n:06d}{suffix}"
        path.write_bytes(data)
        total += len(data)
        n += 1
    return {"pages": n, "bytes": total, "sources": len(pages), "paragraphs": len(pool)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=8.0, help="corpus size in MB")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    print(build(args.out, args.mb, args.lang, args.seed))


if __name__ == "__main__":
    main()

"""Running the per-document work over a corpus, in one process or several.

Each worker process builds its ``Extractor`` once (lexicon, jieba, OpenCC,
scorer) and then handles documents one at a time; results come back in input
order, so ``--jobs 1`` and ``--jobs N`` write identical tables.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterable, Iterator

from .ingest import ingest_file
from .schemas import Document, Mention

_WORKER: dict[str, Any] = {}


@dataclass
class Result:
    """What one page gives: its document, mentions and scored candidate rows."""

    doc: Document
    mentions: list[Mention] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)


def _init(params: dict[str, Any], extract: bool) -> None:
    _WORKER["params"] = params
    if extract:
        from .extract import Extractor

        _WORKER["extractor"] = Extractor(params)


def _process(item: tuple[str, str] | Document) -> Result:
    if isinstance(item, Document):
        doc = item
    else:
        path, doc_id = item
        doc = ingest_file(Path(path), doc_id, _WORKER["params"])
    extractor = _WORKER.get("extractor")
    if extractor is None or doc.status != "ok":
        return Result(doc)
    try:
        mentions, rows = extractor.extract(doc)
    except Exception as exc:  # a bug on one page must not stop the corpus
        doc.status, doc.error = "error", f"extraction failed: {type(exc).__name__}: {exc}"
        return Result(doc)
    return Result(doc, mentions, rows)


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def process(items: Iterable[tuple[Path, str] | Document], params: dict[str, Any], *,
            extract: bool = True, jobs: int = 1) -> Iterator[Result]:
    """Ingest (for paths) and extract each item, yielding results in input order.

    Args:
        items: ``(path, doc_id)`` pairs from ``ingest.iter_inputs``, or ingested documents.
        params: the merged parameters.
        extract: False to ingest only.
        jobs: worker processes; 1 runs in this process.
    """
    work = [(str(i[0]), i[1]) if isinstance(i, tuple) else i for i in items]
    if jobs <= 1 or len(work) <= 1:
        _init(params, extract)
        for item in work:
            yield _process(item)
        return
    ctx = get_context("fork") if hasattr(os, "fork") else get_context()
    with ctx.Pool(jobs, initializer=_init, initargs=(params, extract)) as pool:
        yield from pool.imap(_process, work, chunksize=max(1, min(16, len(work) // (jobs * 4) or 1)))

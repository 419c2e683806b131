"""Running the per-document work over a corpus, in one process or several.

Per-process set-up (lexicon, jieba, OpenCC, scorer: the ``Extractor``) is done
once per process and params (:func:`worker_state`, also what Dask workers use).
With ``fork`` (Linux) it is done once in the parent, before the pool starts, so
the workers inherit it and a bad configuration fails at once instead of in every
worker.  Documents stream through: at most a bounded number are in flight, and
results come back in input order, so ``--jobs 1`` and ``--jobs N`` write
identical tables.  :func:`process` yields one result per page;
:func:`process_batches`, what ``extract`` and ``ingest`` use, has the workers
turn every few pages into table rows (a :class:`~pipeline.tables.Batch`), so the
process writing the tables, which shares the cores with the workers, has little
to do.  With a :class:`~pipeline.cache.ExtractCache`, a page whose
bytes, code, models and params are unchanged is loaded instead of recomputed.
"""
from __future__ import annotations

import atexit
import collections
import gc
import itertools
import json
import os
import threading
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .cache import ExtractCache
from .ingest import ingest_file
from .schemas import Document, Mention
from .tables import TABLES, Batch

# Documents per task of `process_batches`: large enough that each worker round trip
# carries a few column lists, small enough that the last tasks keep both cores busy.
BATCH_SIZE = 8

_STATE: dict[str, Any] = {}
_STATE_LOCK = threading.Lock()


@dataclass
class Result:
    """What one page gives: its document, mentions and scored candidate rows."""

    doc: Document
    mentions: list[Mention] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    cached: bool = False


def _params_key(params: dict[str, Any], extract: bool, cache_dir: str | None) -> str:
    return json.dumps([params, extract, cache_dir], sort_keys=True, default=str)


def worker_state(params: dict[str, Any], extract: bool, cache_dir: str | None) -> dict[str, Any]:
    """This process's set-up for the given params, built on first use and then reused.

    Args:
        params: the merged parameters.
        extract: whether an ``Extractor`` is needed (False: ingest only).
        cache_dir: the result cache folder, or None for no cache.
    """
    key = _params_key(params, extract, cache_dir)
    with _STATE_LOCK:
        if _STATE.get("key") != key:
            state: dict[str, Any] = {"params": params, "extractor": None, "cache": None}
            if extract:
                from .extract import Extractor

                state["extractor"] = Extractor(params)
            if cache_dir:
                state["cache"] = ExtractCache(cache_dir, params)
            _STATE.clear()
            _STATE.update(state, key=key)
        return _STATE


def _extract(doc: Document, extractor: Any) -> Result:
    if extractor is None or doc.status != "ok":
        return Result(doc)
    try:
        mentions, rows = extractor.extract(doc)
    except Exception as exc:  # a bug on one page must not stop the corpus
        doc.status, doc.error = "error", (
            f"[E100] {doc.source}: extraction failed: {type(exc).__name__}: {exc} "
            "(a bug in the extractor: report it with this file; the other pages were processed)")
        return Result(doc)
    return Result(doc, mentions, rows)


def process_item(item: tuple[str, str] | Document, state: dict[str, Any]) -> Result:
    """Ingest (for a path) and extract one item, through the cache when there is one.

    Args:
        item: a ``(path, doc_id)`` pair or an ingested document.
        state: from :func:`worker_state`.
    """
    cache: ExtractCache | None = state["cache"]
    key = _cache_key(item, state)
    if key is not None:
        hit = cache.get(key)
        if hit is not None:
            doc, mentions, rows = hit
            if isinstance(item, Document):
                doc = item
            return Result(doc, mentions, rows, cached=True)
    doc = item if isinstance(item, Document) else ingest_file(Path(item[0]), item[1], state["params"])
    result = _extract(doc, state["extractor"])
    if key is not None and result.doc.status != "error":  # errors may be transient: retry next run
        cache.put(key, result.doc, result.mentions, result.candidates)
    return result


def _cache_key(item: tuple[str, str] | Document, state: dict[str, Any]) -> str | None:
    """The item's key in the result cache; None without a cache or for an unreadable file
    (``ingest_file`` records why)."""
    cache: ExtractCache | None = state["cache"]
    if cache is None:
        return None
    extract = state["extractor"] is not None
    if isinstance(item, Document):
        return cache.key_for_document(item, extract)
    try:
        return cache.key_for_bytes(Path(item[0]).read_bytes(), item[1], str(item[0]), extract)
    except OSError:
        return None


def _cached(item: tuple[str, str] | Document, state: dict[str, Any]) -> bool:
    """Whether the result cache already holds this item (read-only probe)."""
    key = _cache_key(item, state)
    return key is not None and state["cache"].get(key) is not None


def _process(item: tuple[str, str] | Document) -> Result:
    return process_item(item, _STATE)


BatchTask = tuple[list[Any], tuple[float, bool, tuple[str, ...]]]


def _make_batch(task: BatchTask, state: dict[str, Any]) -> Batch:
    items, (threshold, with_candidates, tables) = task
    batch = Batch(threshold, with_candidates, tables)
    for item in items:
        r = process_item(item, state)
        batch.add(r.doc, r.mentions, r.candidates)
    return batch


def _process_batch(task: BatchTask) -> Batch:
    return _make_batch(task, _STATE)


def _init(params: dict[str, Any], extract: bool, cache_dir: str | None) -> None:
    worker_state(params, extract, cache_dir)


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _bounded(items: Iterable[Any], slots: threading.Semaphore, stop: threading.Event) -> Iterator[Any]:
    for item in items:
        slots.acquire()
        if stop.is_set():
            return
        yield item


def process(items: Iterable[tuple[Path, str] | Document], params: dict[str, Any], *,
            extract: bool = True, jobs: int = 1, cache_dir: str | os.PathLike[str] | None = None,
            in_flight: int = 0) -> Iterator[Result]:
    """Ingest (for paths) and extract each item, yielding results in input order.

    Args:
        items: ``(path, doc_id)`` pairs from ``ingest.iter_inputs``, or ingested
            documents; consumed lazily.
        params: the merged parameters.
        extract: False to ingest only.
        jobs: worker processes; 1 runs in this process.
        cache_dir: a result cache folder (``cache.DEFAULT_DIR``), or None for none.
        in_flight: at most this many items are read ahead of the consumer
            (0: ``64 * jobs``), which keeps memory flat in corpus size.
    """
    work, state, init_args = _prepare(items, params, extract, cache_dir)
    yield from _map(work, state, init_args, jobs, local=process_item, remote=_process, item_of=lambda item: item,
                    chunk=4, in_flight=in_flight or 64 * jobs)


def process_batches(items: Iterable[tuple[Path, str] | Document], params: dict[str, Any], *,
                    extract: bool = True, jobs: int = 1, cache_dir: str | os.PathLike[str] | None = None,
                    with_candidates: bool = False, tables: Iterable[str] = TABLES,
                    batch_size: int = BATCH_SIZE, in_flight: int = 0) -> Iterator[Batch]:
    """Like :func:`process`, but yielding the tables' rows a :class:`~pipeline.tables.Batch`
    of ``batch_size`` documents at a time, in input order: what ``extract`` writes.

    Workers build each batch themselves, so the process writing the tables receives
    a few column lists per batch instead of every page's objects.

    Args:
        items: ``(path, doc_id)`` pairs from ``ingest.iter_inputs``, or ingested
            documents; consumed lazily.
        params: the merged parameters (``extract.threshold`` selects the obligations).
        extract: False to ingest only.
        jobs: worker processes; 1 runs in this process.
        cache_dir: a result cache folder (``cache.DEFAULT_DIR``), or None for none.
        with_candidates: also keep every scored candidate row.
        tables: the tables to fill.
        batch_size: documents per batch.
        in_flight: at most this many batches are read ahead of the consumer
            (0: ``16 * jobs``), which keeps memory flat in corpus size.
    """
    work, state, init_args = _prepare(items, params, extract, cache_dir)
    spec = (params["extract"]["threshold"] if extract else 0.0, with_candidates, tuple(tables))
    tasks = ((chunk, spec) for chunk in chunks(work, max(1, batch_size), workers=jobs if jobs > 1 else 0))
    yield from _map(tasks, state, init_args, jobs, local=_make_batch, remote=_process_batch,
                    item_of=lambda task: task[0][0], chunk=1, in_flight=in_flight or 16 * jobs)


def _prepare(items: Iterable[tuple[Path, str] | Document], params: dict[str, Any], extract: bool,
             cache_dir: str | os.PathLike[str] | None) -> tuple[Iterator[Any], dict[str, Any], tuple[Any, ...]]:
    """The items as picklable work, this process's set-up (built, and so validated, before
    any fork) and the arguments that rebuild it in a worker."""
    work = ((str(i[0]), i[1]) if isinstance(i, tuple) else i for i in items)
    cdir = str(cache_dir) if cache_dir else None
    return work, worker_state(params, extract, cdir), (params, extract, cdir)


def _map(tasks: Iterator[Any], state: dict[str, Any], init_args: tuple[Any, ...], jobs: int, *,
         local: Callable[[Any, dict[str, Any]], Any], remote: Callable[[Any], Any],
         item_of: Callable[[Any], Any], chunk: int, in_flight: int) -> Iterator[Any]:
    """Each task's result in input order: ``local(task, state)`` here with one job, else
    ``remote(task)`` in a pool of ``jobs`` workers (``item_of`` gives a task's first item,
    which decides whether jieba is loaded before forking), at most ``in_flight`` tasks
    read ahead of the consumer.  ``init_args`` are :func:`worker_state`'s, for workers
    that do not inherit ``state`` (no ``fork``)."""
    if jobs <= 1:
        for task in tasks:
            yield local(task, state)
        return
    first = next(tasks, None)
    if first is None:
        return
    if state["extractor"] is not None and not _cached(item_of(first), state):
        state["extractor"].warm()  # pages to extract: load jieba once, for all workers to share
    tasks = itertools.chain([first], tasks)
    slots = threading.Semaphore(max(in_flight, chunk))  # imap sends a task once its chunk is full
    if hasattr(os, "fork"):
        # Workers inherit the set-up built above.  Frozen, the garbage collector leaves those
        # objects alone, so the pages holding them stay shared instead of being copied per worker.
        gc.freeze()
        pool = get_context("fork").Pool(jobs)
    else:  # pragma: no cover - spawn: each worker builds its own
        pool = get_context().Pool(jobs, initializer=_init, initargs=init_args)
    stop = threading.Event()

    def unblock_feeder() -> None:
        stop.set()
        for _ in range(jobs * chunk + 1):
            slots.release()

    # A consumer that never closes this generator (it dropped it half-way, or a traceback
    # keeps it) leaves the pool open until the interpreter exits, and multiprocessing's own
    # exit handler then waits for the blocked feeder: unblock it first (exit handlers run
    # last-in, first-out, and multiprocessing registered its own before the pool started).
    atexit.register(unblock_feeder)
    with pool:
        try:
            for result in pool.imap(remote, _bounded(tasks, slots, stop), chunksize=chunk):
                slots.release()
                yield result
        finally:  # the consumer stopped early or failed: unblock the feeder so the pool can close
            atexit.unregister(unblock_feeder)
            unblock_feeder()


def chunks(items: Iterable[Any], size: int, workers: int = 0) -> Iterator[list[Any]]:
    """Lists of ``size`` consecutive items (the last one shorter), read lazily.

    Args:
        items: any iterable.
        size: items per list, at least 1.
        workers: when more than 0, the lists shrink near the end (each at most a
            ``2 * workers``-th of what is left) so that the workers finish together
            instead of one waiting for the other's last full list.  Costs a read-ahead
            of ``2 * workers * size`` items.
    """
    it = iter(items)
    ahead: collections.deque[Any] = collections.deque()
    horizon = 2 * workers * size
    exhausted = False
    while True:
        while not exhausted and len(ahead) < horizon + size:
            try:
                ahead.append(next(it))
            except StopIteration:
                exhausted = True
        if not ahead:
            return
        n = min(size, -(-len(ahead) // (2 * workers))) if exhausted and workers > 0 else size
        yield [ahead.popleft() for _ in range(min(n, len(ahead)))]

"""Running the per-document work over a corpus, in one process or several.

Per-process set-up (lexicon, jieba, OpenCC, scorer: the ``Extractor``) is done
once per process and params (:func:`worker_state`, also what Dask workers use).
With ``fork`` (Linux) it is done once in the parent, before the pool starts, so
the workers inherit it and a bad configuration fails at once instead of in every
worker.  Documents stream through: at most a bounded number are in flight, and
results come back in input order, so ``--jobs 1`` and ``--jobs N`` write
identical tables.  While the parent builds that set-up (about half a second, on
one core), a helper process ingests the first pages on the other
(:class:`Prefetch`).  :func:`process` yields one result per page;
:func:`process_batches`, what ``extract`` and ``ingest`` use, has the workers
turn every few pages into table rows (a :class:`~pipeline.tables.Batch`), so the
process writing the tables, which shares the cores with the workers, has little
to do but write them.  With a :class:`~pipeline.cache.ExtractCache`, a page whose
bytes, code, models and params are unchanged is loaded instead of recomputed.
"""
from __future__ import annotations

import collections
import gc
import itertools
import json
import os
import pickle
import shutil
import signal
import tempfile
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .cache import ExtractCache, code_version
from . import ingest
from .ingest import HTML_SUFFIXES, ingest_file
from .schemas import Document, Mention
from .settings import CACHE_ROOT, is_private
from .tables import TABLES, Batch, remove_stale_temporaries

# Documents per task of `process_batches`: large enough that each worker round trip
# carries a few column lists, small enough that the last tasks keep both cores busy.
BATCH_SIZE = 8
# Pages offered to the prefetch helper: more than it can ingest during the set-up.
PREFETCH_PAGES = 512

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


def process_item(item: tuple[str, ...] | Document, state: dict[str, Any]) -> Result:
    """Ingest (for a path) and extract one item, through the cache when there is one.

    Args:
        item: a ``(path, doc_id)`` pair, the same with the file of its document when
            :class:`Prefetch` ingested it, or an ingested document.
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
    doc = item if isinstance(item, Document) else _ingested(item, state["params"])
    result = _extract(doc, state["extractor"])
    if key is not None and result.doc.status != "error":  # errors may be transient: retry next run
        cache.put(key, result.doc, result.mentions, result.candidates)
    return result


def _ingested(item: tuple[str, ...], params: dict[str, Any]) -> Document:
    """The document of a ``(path, doc_id)`` item, or of a ``(path, doc_id, pickle)`` item
    whose page the :class:`Prefetch` helper already ingested."""
    if len(item) > 2:
        # Written by this run's own helper into a folder only this user can write; anything
        # else (gone, cut short, not private) is ignored and the page ingested here.
        path = Path(item[2])
        if is_private(path):
            try:
                return pickle.loads(path.read_bytes())
            except (OSError, pickle.UnpicklingError, EOFError):
                pass
    return ingest_file(Path(item[0]), item[1], params)


def _cache_key(item: tuple[str, ...] | Document, state: dict[str, Any]) -> str | None:
    """The item's key in the result cache; None without a cache or for an unreadable file
    (``ingest_file`` records why)."""
    cache: ExtractCache | None = state["cache"]
    return None if cache is None else _item_key(item, cache, state["extractor"] is not None)


def _item_key(item: tuple[str, ...] | Document, cache: ExtractCache, extract: bool) -> str | None:
    if isinstance(item, Document):
        return cache.key_for_document(item, extract)
    try:
        return cache.key_for_bytes(Path(item[0]).read_bytes(), item[1], str(item[0]), extract)
    except OSError:
        return None


def _cached(item: tuple[str, ...] | Document, state: dict[str, Any]) -> bool:
    """Whether the result cache already holds this item (read-only probe)."""
    key = _cache_key(item, state)
    return key is not None and state["cache"].get(key) is not None


def _process(item: tuple[str, ...] | Document) -> Result:
    return process_item(item, _STATE)


BatchTask = tuple[list[Any], tuple[float, bool, tuple[str, ...]]]


def _make_batch(task: BatchTask, state: dict[str, Any]) -> Batch:
    items, (threshold, with_candidates, tables) = task
    batch = Batch(threshold, with_candidates, tables)
    for item in items:
        r = process_item(item, state)
        batch.add(r.doc, r.mentions, r.candidates)
    return batch.finish()


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
    work, state, init_args, prefetch = _prepare(items, params, extract, cache_dir, jobs)
    yield from _map(work, state, init_args, jobs, local=process_item, remote=_process, prefetch=prefetch,
                    in_flight=in_flight or 64 * jobs)


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
    work, state, init_args, prefetch = _prepare(items, params, extract, cache_dir, jobs)
    spec = (params["extract"]["threshold"] if extract else 0.0, with_candidates, tuple(tables))
    tasks = ((chunk, spec) for chunk in chunks(work, max(1, batch_size), workers=jobs if jobs > 1 else 0))
    yield from _map(tasks, state, init_args, jobs, local=_make_batch, remote=_process_batch, prefetch=prefetch,
                    in_flight=in_flight or 16 * jobs)


class Prefetch:
    """Ingests the first pages of a run in a helper process while this process builds the
    set-up that the workers will inherit (modules, patterns, jieba's dictionary: about
    half a second on one core, the other idle).

    The helper writes each page's document, pickled, to a private temporary folder,
    text pages first (an HTML page would first make it import trafilatura, a third of a
    second), skipping pages whose result is cached.  :meth:`stop` is called when the
    workers start and kills the helper at once: from then on it would only take CPU
    from them, and a page or an import it had half done is of no use to anyone.  The
    task of a page it finished carries that file instead, and the worker skips ingest.
    Documents are made by the same ``ingest_file`` with the same params, so the tables do
    not depend on how far the helper got; cache keys stay those of the page's bytes.

    Args:
        head: the first ``(path, doc_id)`` items of the run, in order.
        params: the merged parameters.
        cache_dir: the result cache folder, or None.
    """

    def __init__(self, head: list[tuple[str, str]], params: dict[str, Any], cache_dir: str | None):
        ctx = get_context("fork")
        # A private folder named after this process, in the project's cache folder, so that
        # the next run removes it if this one is killed (a run on another machine sharing
        # the folder may remove it too: tasks whose file is gone ingest their page).
        CACHE_ROOT.mkdir(mode=0o700, parents=True, exist_ok=True)
        remove_stale_temporaries(CACHE_ROOT)
        self.folder = Path(tempfile.mkdtemp(prefix=".prefetch-", suffix=f".{os.getpid()}.tmp", dir=CACHE_ROOT))
        self.head = head
        self._done: set[int] | None = None
        self._proc = ctx.Process(target=_prefetch_pages, args=(head, params, cache_dir, self.folder),
                                 name="obligations-prefetch", daemon=True)
        self._proc.start()

    def stop(self) -> None:
        """Kill the helper; the pages it has finished are those the tasks will use."""
        self._kill()
        self._done = {int(p.stem) for p in self.folder.glob("*.pickle")}

    def _kill(self) -> None:
        # SIGKILL, not an event the helper polls between pages: a page or an import of
        # trafilatura can take a third of a second.  The helper shares no lock with this
        # process, and a page's file appears only once complete (``os.replace``).
        self._proc.kill()
        self._proc.join()

    def items(self) -> Iterator[tuple[str, ...]]:
        """The items the helper was given as work items, each page it finished with its
        document's file (read lazily: call :meth:`stop` before the first is taken)."""
        for i, item in enumerate(self.head):
            done = self._done is not None and i in self._done
            yield (*item, str(self.folder / f"{i}.pickle")) if done else item

    @property
    def n_done(self) -> int:
        """How many pages the helper had finished when it was stopped."""
        return len(self._done or ())

    def close(self) -> None:
        """Kill the helper if it still runs and delete its files (once no task needs them)."""
        self._kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def _prefetch_pages(head: list[tuple[str, str]], params: dict[str, Any], cache_dir: str | None,
                    folder: Path) -> None:
    """The :class:`Prefetch` helper: ingest ``head``'s pages into ``folder`` until killed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the parent's to handle
    cache = ExtractCache(cache_dir, params) if cache_dir else None
    for i in sorted(range(len(head)), key=lambda i: Path(head[i][0]).suffix.lower() in HTML_SUFFIXES):
        path, doc_id = head[i]
        if cache is not None:
            key = _item_key(head[i], cache, True)
            if key is None or cache.has(key):  # unreadable (a worker records why) or cached
                continue
        data = pickle.dumps(ingest_file(Path(path), doc_id, params), protocol=pickle.HIGHEST_PROTOCOL)
        tmp = folder / f".{i}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, folder / f"{i}.pickle")


def _prepare(items: Iterable[tuple[Path, str] | Document], params: dict[str, Any], extract: bool,
             cache_dir: str | os.PathLike[str] | None, jobs: int
             ) -> tuple[Iterator[Any], dict[str, Any], tuple[Any, ...], Prefetch | None]:
    """The items as picklable work, this process's set-up (built, and so validated, before
    any fork), the arguments that rebuild it in a worker, and the :class:`Prefetch`
    helper, started before the set-up when workers will extract pages (it reads the
    first ``PREFETCH_PAGES`` items ahead)."""
    work: Iterator[Any] = ((str(i[0]), i[1]) if isinstance(i, tuple) else i for i in items)
    cdir = str(cache_dir) if cache_dir else None
    init_args = (params, extract, cdir)
    if jobs <= 1 or not extract:
        return work, worker_state(*init_args), init_args, None
    head = list(itertools.islice(work, PREFETCH_PAGES if hasattr(os, "fork") else 1))
    prefetch = None
    if len(head) > 1 and all(isinstance(i, tuple) for i in head):
        if cdir:
            code_version(params)  # hashed once here, not again in the helper
        try:
            prefetch = Prefetch(head, params, cdir)
        except OSError:  # no writable cache folder for its files: the workers ingest every page
            prefetch = None
    try:
        state = worker_state(*init_args)
        if head and not _cached(head[0], state):
            # Pages to extract: load jieba and the lazily imported modules once, for all
            # workers to share, instead of once in each.
            state["extractor"].warm()
            paths = [item[0] for item in head if isinstance(item, tuple)]
            if paths:  # pages to ingest, not ingested documents
                ingest.warm(paths)
    except BaseException:
        if prefetch is not None:
            prefetch.close()
        raise
    first = prefetch.items() if prefetch is not None else iter(head)
    return itertools.chain(first, work), state, init_args, prefetch


def _map(tasks: Iterator[Any], state: dict[str, Any], init_args: tuple[Any, ...], jobs: int, *,
         local: Callable[[Any, dict[str, Any]], Any], remote: Callable[[Any], Any],
         prefetch: Prefetch | None, in_flight: int) -> Iterator[Any]:
    """Each task's result in input order: ``local(task, state)`` here with one job, else
    ``remote(task)`` in a pool of ``jobs`` workers, at most ``in_flight`` tasks read ahead
    of the consumer.  ``init_args`` are :func:`worker_state`'s, for workers that do not
    inherit ``state`` (no ``fork``); ``prefetch`` is stopped as the workers start and
    closed when they are done."""
    if jobs <= 1:
        for task in tasks:
            yield local(task, state)
        return
    try:
        if prefetch is not None:
            prefetch.stop()
        yield from _pool_map(tasks, init_args, jobs, remote=remote, in_flight=in_flight)
    finally:
        if prefetch is not None:
            prefetch.close()


def _pool_map(tasks: Iterator[Any], init_args: tuple[Any, ...], jobs: int, *, remote: Callable[[Any], Any],
              in_flight: int) -> Iterator[Any]:
    first = next(tasks, None)
    if first is None:
        return
    if hasattr(os, "fork"):
        # Workers inherit the set-up built above.  Frozen, the garbage collector leaves those
        # objects alone, so the pages holding them stay shared instead of being copied per worker.
        gc.freeze()
        executor = ProcessPoolExecutor(jobs, mp_context=get_context("fork"))
    else:  # pragma: no cover - spawn: each worker builds its own
        executor = ProcessPoolExecutor(jobs, mp_context=get_context(), initializer=_init, initargs=init_args)
    # Tasks are submitted from this generator, so at most `in_flight` are read ahead of the
    # consumer; results are taken in submission order.  (multiprocessing.Pool's worker
    # thread wakes whenever a result is waiting in its pipe, and with batches of a few
    # hundred kB it spun for a tenth of a second per run on the cores the workers need.)
    pending: collections.deque[Future[Any]] = collections.deque()
    with executor:
        try:
            for task in itertools.chain([first], tasks):
                pending.append(executor.submit(remote, task))
                if len(pending) >= in_flight:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # the consumer stopped early or failed: drop what has not started
            for future in pending:
                future.cancel()


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

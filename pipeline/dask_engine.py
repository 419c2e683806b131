"""The Dask engine: the same per-document work as Dask tasks, on a laptop or a cluster.

``obligations extract … --engine dask`` splits the pages into batches of K
documents; each batch is one task that ingests and extracts its pages with the
worker's own set-up (built once per worker process, by :class:`WarmUp` when the
worker joins and then reused from :func:`pipeline.run.worker_state`) and writes
one part of each table.  The tables are folders of parts
(``DIR/obligations.parquet/part-00000.parquet`` …) that read back with
``pd.read_parquet("DIR/obligations.parquet")``, rows in input order.

Without ``--scheduler`` a local cluster is started (one single-threaded worker
process per job, bound to 127.0.0.1, no dashboard).  With ``--scheduler
tcp://HOST:8786`` the work goes to an existing cluster; the workers must have
this package installed (same version) and see the input pages and the output
folder at the same paths (a shared file system).
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterable

from .errors import UsageError
from .run import chunks, process_item, worker_state
from .tables import DOCS_PER_GROUP, TABLES, Batch, candidate_table, to_table, write_csv, write_part

try:  # the plugin base class; without the [dask] extra the engine says what to install
    from distributed import WorkerPlugin as _PluginBase
except ImportError:  # pragma: no cover
    _PluginBase = object

Status = tuple[str, str, str | None]


def _require_dask():
    try:
        import distributed
    except ImportError:
        raise UsageError("the Dask engine needs dask.distributed",
                         hint='pip install -e ".[dask]" (or use --engine local)') from None
    return distributed


def run_part(batch: list[tuple[str, str]], part: int, params: dict[str, Any], staging: str,
             cache_dir: str | None, with_candidates: bool) -> tuple[int, list[Status], int]:
    """One task: ingest and extract a batch of pages and write its part of each table.

    Args:
        batch: ``(path, doc_id)`` pairs, in input order.
        part: the batch's number (its parts are ``part-<part>.parquet``).
        params: the merged parameters.
        staging: the folder the parts are written under (one sub-folder per table).
        cache_dir: the result cache folder, or None.
        with_candidates: also write the scored candidates.
    """
    state = worker_state(params, True, cache_dir)
    rows = Batch(params["extract"]["threshold"], with_candidates)
    for item in batch:
        r = process_item(item, state)
        rows.add(r.doc, r.mentions, r.candidates)
    for name in TABLES:
        write_part(rows.table(name), Path(staging) / f"{name}.parquet", part)
    if with_candidates:
        write_part(candidate_table(rows.candidates), Path(staging) / "candidates.parquet", part)
    return part, rows.statuses, rows.n_obligations


class WarmUp(_PluginBase):
    """A Dask worker plugin that builds the per-worker set-up when the worker starts.

    Args:
        params: the merged parameters.
        cache_dir: the result cache folder, or None.
    """

    name = "obligations-warm-up"

    def __init__(self, params: dict[str, Any], cache_dir: str | None):
        self.params = params
        self.cache_dir = cache_dir

    def setup(self, worker: Any) -> None:
        """Build the extractor (lexicon, jieba, OpenCC, scorer) in this worker process.

        Args:
            worker: the Dask worker (unused).
        """
        worker_state(self.params, True, self.cache_dir)

    def teardown(self, worker: Any) -> None:
        """Nothing to release.

        Args:
            worker: the Dask worker (unused).
        """


def _client(scheduler: str | None, workers: int):
    distributed = _require_dask()
    if scheduler:
        try:
            return distributed.Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                             hint="check the address (tcp://HOST:8786) and that the scheduler runs") from None
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       silence_logs=40)
    return distributed.Client(cluster), cluster


def _move_into_place(staging: Path, out: Path, names: Iterable[str], candidates: Path | None) -> None:
    for name in names:
        src = staging / f"{name}.parquet"
        dst = candidates if name == "candidates" else out / f"{name}.parquet"
        assert dst is not None
        if dst.is_dir():
            shutil.rmtree(dst)
        elif dst.exists():
            dst.unlink()
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)


def _write_csv(obligations_dir: Path, out: Path) -> None:
    """obligations.csv from the parts, one part at a time (memory stays flat)."""
    import pyarrow.parquet as pq

    tmp = out / f".obligations.csv.{os.getpid()}.tmp"
    parts = sorted(obligations_dir.glob("part-*.parquet"))
    header = True
    for part in parts:
        table = pq.read_table(part)
        if table.num_rows or header:
            write_csv(table, tmp, header=header)
            header = False
    if header:
        write_csv(to_table("obligations", []), tmp)
    os.replace(tmp, out / "obligations.csv")


def run_dask(items: Iterable[tuple[Path, str]], params: dict[str, Any], out: Path, *,
             scheduler: str | None = None, workers: int = 1, cache_dir: str | None = None,
             candidates: Path | None = None,
             docs_per_part: int = DOCS_PER_GROUP) -> tuple[list[Status], int]:
    """Run extraction over the pages as Dask tasks and write partitioned tables.

    Returns the ``(source, status, error)`` of every page in input order, and
    the number of obligations written.

    Args:
        items: ``(path, doc_id)`` pairs from ``ingest.iter_inputs``.
        params: the merged parameters.
        out: the tables directory (seen by the workers at the same path).
        scheduler: the address of an existing scheduler; None starts a local cluster.
        workers: worker processes of the local cluster.
        cache_dir: the result cache folder (seen by the workers), or None.
        candidates: also write every scored candidate, as a folder of parts, here.
        docs_per_part: pages per task and per part (K).
    """
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f".dask-{uuid.uuid4().hex[:12]}"
    names = (*TABLES, "candidates") if candidates else TABLES
    client, cluster = _client(scheduler, workers)
    try:
        from distributed import as_completed

        client.register_plugin(WarmUp(params, cache_dir))
        futures = [client.submit(run_part, [(str(p), d) for p, d in batch], n, params, str(staging),
                                 cache_dir, candidates is not None, pure=False)
                   for n, batch in enumerate(chunks(items, max(1, docs_per_part)))]
        done: dict[int, tuple[list[Status], int]] = {}
        for fut in as_completed(futures):
            part, statuses, n_obl = fut.result()
            done[part] = (statuses, n_obl)
            fut.release()
        if not futures:  # no page: empty tables, as the local engine writes
            for name in names:
                empty = candidate_table([]) if name == "candidates" else to_table(name, [])
                write_part(empty, staging / f"{name}.parquet", 0)
        _move_into_place(staging, out, names, Path(candidates).resolve() if candidates else None)
        _write_csv(out / "obligations.parquet", out)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        shutil.rmtree(staging, ignore_errors=True)
    statuses = [s for part in sorted(done) for s in done[part][0]]
    return statuses, sum(n for _, n in done.values())

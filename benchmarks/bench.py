"""Throughput, memory and scaling of ``obligations extract`` against bare ``jieba.cut``.

For each corpus size it builds (once) a corpus of recombined real pages
(``benchmarks/corpus.py``), then in one run times

a. bare ``jieba.cut`` over the decoded text of every page (jieba's own
   dictionary loaded beforehand; decoding not timed), and the same split over
   two processes: the speed-up this machine gives a job that needs nothing
   but two cores (the ceiling for ``extract``'s own),
b. ``obligations extract`` with ``--jobs 1`` and ``--jobs 2`` (fresh result
   cache each time, so everything is computed), as a subprocess, unobserved,
c. the same runs once more, sampling the peak memory of the whole process
   tree (a sampler would take CPU from a two-process run, so these runs are
   not the timed ones),
d. an incremental re-run after one page changed (the cache from c),

(a and b in interleaved rounds, ``--rounds``, the medians reported: this
machine's speed drifts from minute to minute) and writes MB/s, the ratio
extract/jieba (strict: all of ``extract`` against the time inside ``jieba.cut``
alone; and process against process), the 1 -> 2 process speed-up, peak memory
of the process tree (RSS summed, and PSS, which counts the pages forked
workers share once) and the incremental time to a JSON file.  Ratios, not
absolute times, are what to compare across machines.

    python benchmarks/bench.py --mb 8 --mb 200 --out benchmarks/results.json
"""
from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus as corpus_mod  # noqa: E402

JIEBA_SCRIPT = r"""
import sys, time, json
from pathlib import Path
import jieba
from pipeline.decode import decode_bytes
jieba.setLogLevel(60)
jieba.initialize()
total, cpu, n_bytes = 0.0, 0.0, 0
part, parts = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (0, 1)
for i, path in enumerate(sorted(Path(sys.argv[1]).iterdir())):
    if i % parts != part:
        continue
    data = path.read_bytes()
    text = decode_bytes(data).text
    n_bytes += len(data)
    t, c = time.perf_counter(), time.process_time()
    for _ in jieba.cut(text):
        pass
    total += time.perf_counter() - t
    cpu += time.process_time() - c
print(json.dumps({"seconds": total, "cpu_seconds": cpu, "bytes": n_bytes}))
"""


def _tree_rss(procs: list[psutil.Process]) -> int:
    """Summed RSS (bytes) of processes: cheap (``/proc/PID/statm``)."""
    rss = 0
    for p in procs:
        try:
            rss += p.memory_info().rss
        except psutil.Error:
            pass
    return rss


def _tree_pss(procs: list[psutil.Process]) -> int:
    """Summed PSS (bytes) of processes.  Forked workers share the pages they inherited:
    RSS counts those once per process, PSS splits them between the sharers.  Reading it
    walks each process's page tables, so it is sampled far less often than RSS."""
    pss = 0
    for p in procs:
        try:
            info = p.memory_full_info()
        except (psutil.AccessDenied, AttributeError):
            info = p.memory_info()
        except psutil.Error:
            continue
        pss += getattr(info, "pss", info.rss)
    return pss


def run_tree(cmd: list[str], cwd: Path, sample: bool = True, interval: float = 0.05,
             pss_interval: float = 1.0) -> tuple[float, float, int, float, float, float]:
    """Run a command; its wall time, the peak RSS (MB) of its process tree, its exit code,
    the CPU seconds of the tree (user + system, all processes), its peak PSS (MB) and the
    CPU seconds this sampler used.

    The sampler shares the cores with the command: with both cores busy (``--jobs 2``),
    whatever it uses is taken from the workers (0.12 CPU seconds a run on 8 MB, most of
    it reading PSS), while a one-process run leaves it a core of its own.  So timed runs
    are not sampled (``sample=False``: memory and sampler figures are 0) and memory is
    measured in runs of its own.  RSS is read every ``interval`` seconds, the process list
    and PSS (expensive) only every ``pss_interval``.

    Args:
        cmd: the command.
        cwd: where to run it (the code snapshot: ``python -m pipeline.cli`` imports from there).
        sample: whether to sample memory.
        interval: seconds between RSS samples.
        pss_interval: seconds between PSS samples (and process-list refreshes).
    """
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = time.process_time()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = peak_pss = 0
    if sample:
        ps = psutil.Process(proc.pid)
        procs: list[psutil.Process] = [ps]
        next_slow = 0.0
        while proc.poll() is None:
            now = time.perf_counter()
            if now >= next_slow:
                try:
                    procs = [ps, *ps.children(recursive=True)]
                except psutil.Error:
                    pass
                peak_pss = max(peak_pss, _tree_pss(procs))
                # Early on, refresh often: the workers are forked within the first second or so.
                next_slow = now + (0.25 if now - start < 2 else pss_interval)
            peak = max(peak, _tree_rss(procs))
            time.sleep(interval)
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    proc.wait()
    wall = time.perf_counter() - start
    sampler = time.process_time() - own
    if proc.returncode:
        print(err, file=sys.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak / 1e6, proc.returncode, cpu, peak_pss / 1e6, sampler


def snapshot(work: Path) -> Path:
    """A frozen copy of ``pipeline/`` and ``models/`` to run, so that edits made to the
    tree during a long benchmark change neither the timings nor the cache keys.

    Args:
        work: the scratch folder; the copy goes to ``work/src``.
    """
    src = work / "src"
    shutil.rmtree(src, ignore_errors=True)
    for name in ("pipeline", "models"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    # Byte-compiled, as `pip install .` leaves a package (an editable install under
    # PYTHONDONTWRITEBYTECODE compiles every module at every start).
    compileall.compile_dir(src / "pipeline", quiet=1)
    return src


def _jieba_round(cdir: Path, src: Path, size_mb: float) -> dict:
    """Bare ``jieba.cut`` over a corpus: in one process, then split over two."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", JIEBA_SCRIPT, str(cdir)], cwd=src, check=True,
                         capture_output=True, text=True)
    one = time.perf_counter() - start
    j = json.loads(out.stdout.strip().splitlines()[-1])
    # The machine's own ceiling: bare jieba over the same pages, split over two processes
    # (start-up and dictionary loading included, as in `extract`).
    start = time.perf_counter()
    halves = [subprocess.Popen([sys.executable, "-c", JIEBA_SCRIPT, str(cdir), str(k), "2"], cwd=src,
                               stdout=subprocess.DEVNULL) for k in (0, 1)]
    for proc in halves:
        proc.wait()
    two = time.perf_counter() - start
    return {"seconds": round(j["seconds"], 2), "mb_s": round(size_mb / j["seconds"], 3),
            "cpu_seconds": round(j["cpu_seconds"], 2),
            "wall_1_process": round(one, 2), "wall_2_processes": round(two, 2),
            "speedup_1_to_2": round(one / two, 3)}


def _median_record(records: list[dict]) -> dict:
    """Field by field, the median of several measurement records (peaks: the maximum)."""
    out: dict = {}
    for key, value in records[0].items():
        values = [r[key] for r in records]
        if isinstance(value, dict):
            out[key] = _median_record(values)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = max(values) if key.startswith("peak") or key == "exit" else round(statistics.median(values), 3)
        else:
            out[key] = value
    return out


def bench_size(mb: float, work: Path, params: str | None, jobs: list[int], lang: str,
               save=lambda res: None, rounds: int = 1) -> dict:
    """All measurements for one corpus size.

    Args:
        save: called with the partial results after each measurement.
        mb: the corpus size in MB.
        work: scratch folder (corpora, outputs, caches).
        params: a params.yaml for ``obligations``, or None.
        jobs: the process counts to time.
        lang: ``zh`` or ``en``.
        rounds: how many times to time bare jieba and ``extract``, one after the other;
            each figure is the median over the rounds, each ratio the median of the
            rounds' own ratios (the machine's speed drifts between rounds, not within one).
    """
    cdir = work / f"{lang}{mb:g}"
    info_file = cdir.with_suffix(".json")
    if not info_file.exists():
        shutil.rmtree(cdir, ignore_errors=True)
        info_file.write_text(json.dumps(corpus_mod.build(cdir, mb, lang)))
    info = json.loads(info_file.read_text())
    size_mb = info["bytes"] / 1e6
    res: dict = {"corpus": {"mb": round(size_mb, 2), "pages": info["pages"], "lang": lang,
                            "source_pages": info["sources"]}, "rounds": rounds}
    src = snapshot(work)
    res["code"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                 text=True).stdout.strip() + " + working tree snapshot"
    base = [sys.executable, "-m", "pipeline.cli", "extract", str(cdir)] + (["--params", params] if params else [])
    # What a fresh install does once (jieba's dictionary cache, the sorted copy of its tags)
    # is not throughput: do it before the first timed run.
    first_page = min(p for p in cdir.iterdir() if p.is_file())
    subprocess.run(base[:4] + [str(first_page)] + base[5:] + ["--out", str(work / "out-warm-up"), "--no-cache"],
                   cwd=src, check=True, capture_output=True)
    each: list[dict] = []
    for r in range(rounds):
        record: dict = {"jieba_cut": _jieba_round(cdir, src, size_mb), "extract": {}}
        for n in jobs:
            cache = work / f"cache-{lang}{mb:g}-j{n}"
            shutil.rmtree(cache, ignore_errors=True)
            load = os.getloadavg()[0]
            wall, _, rc, cpu, _, _ = run_tree(
                base + ["--out", str(work / f"out-{lang}{mb:g}-j{n}"), "--jobs", str(n), "--cache-dir", str(cache)],
                src, sample=False)
            record["extract"][f"jobs{n}"] = {"seconds": round(wall, 2), "mb_s": round(size_mb / wall, 3),
                                             "cpu_seconds": round(cpu, 1), "exit": rc,
                                             "load_avg_before": round(load, 2)}
            print(f"  {mb:g} MB round {r + 1} jobs={n}: {wall:.1f}s {size_mb / wall:.3f} MB/s", file=sys.stderr)
        one = record["extract"][f"jobs{jobs[0]}"]
        # The strict ratio: all of `extract` (interpreter start-up, imports, dictionaries,
        # decoding, writing the tables) against the time spent inside `jieba.cut` alone.
        record["ratio_extract_over_jieba"] = round(one["mb_s"] / record["jieba_cut"]["mb_s"], 3)
        # The strict ratio in CPU seconds: time the VM gives other guests counts in neither.
        record["ratio_extract_over_jieba_cpu"] = round(
            record["jieba_cut"]["cpu_seconds"] / one["cpu_seconds"], 3)
        # Process against process: bare jieba's run also starts Python, loads its dictionary
        # and decodes the pages.
        record["ratio_extract_over_jieba_process"] = round(
            record["jieba_cut"]["wall_1_process"] / one["seconds"], 3)
        if len(jobs) > 1:
            last = record["extract"][f"jobs{jobs[-1]}"]
            record[f"speedup_{jobs[0]}_to_{jobs[-1]}"] = round(one["seconds"] / last["seconds"], 3)
            if jobs[0] == 1 and jobs[-1] == 2:
                # Against what the machine gave bare jieba split over two processes in the same
                # round: 1.0 means extract scales as well as a job that needs nothing but CPU.
                record["speedup_over_machine_1_to_2"] = round(
                    record["speedup_1_to_2"] / record["jieba_cut"]["speedup_1_to_2"], 3)
            # What the speed-up would be on idle cores: the work is the CPU time, spread evenly.
            record[f"cpu_bound_speedup_{jobs[0]}_to_{jobs[-1]}"] = round(
                jobs[-1] / jobs[0] * one["cpu_seconds"] / last["cpu_seconds"], 3)
        each.append(record)
        res.update(_median_record(each))
        if rounds > 1:
            res["each_round"] = [{k: v for k, v in e.items() if k.startswith(("ratio", "speedup"))}
                                 | {"machine_speedup_1_to_2": e["jieba_cut"]["speedup_1_to_2"]} for e in each]
        save(res)
    # Peak memory, in runs of their own: sampling it would slow the timed two-process runs.
    for n in jobs:
        cache = work / f"cache-{lang}{mb:g}-j{n}"
        shutil.rmtree(cache, ignore_errors=True)
        wall, peak, rc, _, pss, sampler = run_tree(
            base + ["--out", str(work / f"out-{lang}{mb:g}-j{n}"), "--jobs", str(n), "--cache-dir", str(cache)],
            src)
        res["extract"][f"jobs{n}"].update(peak_rss_mb=round(peak), peak_pss_mb=round(pss),
                                          sampled_run_seconds=round(wall, 2),
                                          sampler_cpu_seconds=round(sampler, 2))
        res["extract"][f"jobs{n}"]["exit"] = max(res["extract"][f"jobs{n}"]["exit"], rc)
        print(f"  {mb:g} MB memory jobs={n}: peak {peak:.0f} MB RSS, {pss:.0f} MB PSS", file=sys.stderr)
    save(res)
    # Incremental: change one page, re-run on the warm cache of the first run.
    page = sorted(p for p in cdir.iterdir() if p.suffix == ".txt")[0]
    original = page.read_bytes()
    try:
        page.write_bytes(original + "\n各地要于2030年底前完成自查。\n".encode(
            "gb18030" if b"\n" in original and not _is_utf8(original) else "utf-8"))
        cache = work / f"cache-{lang}{mb:g}-j{jobs[-1]}"
        wall, peak, rc, _, pss, _ = run_tree(base + ["--out", str(work / f"out-{lang}{mb:g}-inc"), "--jobs", str(jobs[-1]),
                                          "--cache-dir", str(cache)], src)
    finally:
        page.write_bytes(original)
    res["incremental_one_page_changed"] = {"seconds": round(wall, 2), "peak_rss_mb": round(peak),
                                           "peak_pss_mb": round(pss),
                                           "speedup_vs_cold": round(res["extract"][f"jobs{jobs[-1]}"]["seconds"] / wall, 1)}
    return res


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, action="append", help="corpus size in MB (repeatable; default 8)")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument("--jobs", type=int, action="append", help="process counts (default 1 and 2)")
    parser.add_argument("--work", type=Path, default=ROOT / "tmp" / "bench", help="scratch folder (git-ignored)")
    parser.add_argument("--params", help="params.yaml for obligations (default: built-in defaults)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--rounds", type=int, default=0,
                        help="timings per corpus, interleaved (default: 5 up to 20 MB, else 1)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform(), "load_avg_at_start": os.getloadavg()}
    results["date"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    results.setdefault("runs", {})
    for mb in args.mb or [8.0]:
        print(f"corpus {mb:g} MB ({args.lang})", file=sys.stderr)
        name = f"{args.lang}{mb:g}"

        def save(res: dict, name: str = name) -> None:
            results["runs"][name] = {"date": results["date"], "partial": True, **res}
            args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")

        results["runs"][name] = {"date": results["date"],
                                 **bench_size(mb, args.work, args.params, args.jobs or [1, 2], args.lang, save,
                                              args.rounds or (5 if mb <= 20 else 1))}
        args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(results["runs"], indent=1))


if __name__ == "__main__":
    main()

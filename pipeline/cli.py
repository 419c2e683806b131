"""The ``obligations`` command."""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

# Before NumPy is imported: the command parallelises with processes (--jobs), and OpenBLAS's
# own threads, which spin for a while after each call, would only take CPU from them.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import __version__  # noqa: E402
from .annotate import add_commands as add_annotation_commands  # noqa: E402
from .manifest import add_commands as add_manifest_commands  # noqa: E402
from .errors import ObligationsError, UsageError  # noqa: E402

EXIT_OK, EXIT_FAILED_DOCS, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3

DESCRIPTION = """\
Extract who must do what by when from Chinese and English policy pages.

Reads .txt and .html/.htm pages in any encoding used for Chinese pages
(UTF-8, GB18030/GBK, Big5, UTF-16) or English (UTF-8, cp1252), simplified or
traditional script, with the web boilerplate still in them, and writes tidy
tables as Parquet: documents, provisions, mentions and obligations (the
obligations also as CSV).  A page that cannot be read becomes a documents row
with a non-ok status and its reason; the other pages are processed.
"""

EPILOG = """\
exit codes:
  0  the run finished (pages that could not be read are rows with status != ok)
  1  --strict was given and some page was not ok
  2  usage error: bad arguments, a missing input, a bad params.yaml
  3  an output could not be written, or another error the message explains

examples:
  obligations extract corpus/raw --out tables
  obligations extract page.html other/ --out out --jobs 2
  obligations evaluate tables --gold annotations/gold --out metrics
"""


def _params(args: argparse.Namespace) -> dict[str, Any]:
    from .settings import load_params

    params = load_params(args.params)
    if getattr(args, "threshold", None) is not None:
        params["extract"]["threshold"] = args.threshold
    return params


def _jobs(args: argparse.Namespace) -> int:
    from .run import default_jobs

    if args.jobs is None:
        return default_jobs()
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    return args.jobs


def _summary(docs, n_obligations: int | None, out: Path) -> None:
    from collections import Counter

    status = Counter(d.status for d in docs)
    parts = [f"{len(docs)} documents ({', '.join(f'{k}: {v}' for k, v in sorted(status.items()))})"]
    if n_obligations is not None:
        parts.append(f"{n_obligations} obligations")
    print(f"{'; '.join(parts)} -> {out}", file=sys.stderr)
    for d in docs:
        if d.status != "ok":
            print(f"  {d.source}: {d.status}: {d.error}", file=sys.stderr)


def cmd_extract(args: argparse.Namespace) -> int:
    """Pages -> the four tables, streamed (local processes) or as Dask tasks.

    Args:
        args: the parsed arguments of ``obligations extract``.
    """
    from types import SimpleNamespace

    from .cache import DEFAULT_DIR
    from .ingest import iter_inputs

    params = _params(args)
    out = Path(args.out)
    jobs = _jobs(args)
    cache_dir = None if args.no_cache else str(args.cache_dir or DEFAULT_DIR)
    if args.docs_per_group < 1:
        raise UsageError("--docs-per-group must be at least 1")
    if args.scheduler and args.engine != "dask":
        raise UsageError("--scheduler needs --engine dask")
    for item in args.inputs:  # fail on a missing input before any work starts
        if not Path(item).exists():
            list(iter_inputs([item]))
    items = iter_inputs(args.inputs)
    if args.engine == "dask":
        from .dask_engine import run_dask

        statuses, n_obligations = run_dask(
            items, params, out, scheduler=args.scheduler, workers=jobs, cache_dir=cache_dir,
            candidates=Path(args.candidates) if args.candidates else None,
            docs_per_part=args.docs_per_group)
    else:
        from .run import process_batches
        from .tables import ResultWriter

        with ResultWriter(out, params["extract"]["threshold"],
                          Path(args.candidates) if args.candidates else None,
                          docs_per_group=args.docs_per_group) as writer:
            for batch in process_batches(items, params, jobs=jobs, cache_dir=cache_dir,
                                         with_candidates=bool(args.candidates)):
                writer.add_batch(batch)
        statuses, n_obligations = writer.statuses, writer.n_obligations
    docs = [SimpleNamespace(source=s, status=st, error=e) for s, st, e in statuses]
    _summary(docs, n_obligations, out)
    return EXIT_FAILED_DOCS if args.strict and any(d.status != "ok" for d in docs) else EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    from types import SimpleNamespace

    from .ingest import iter_inputs
    from .run import process_batches
    from .tables import ResultWriter

    params = _params(args)
    inputs = args.inputs or params["inputs"]
    if not inputs:
        raise UsageError("no INPUT given and no `inputs:` in the params file",
                         hint="name page files or folders, or list them under inputs: in params.yaml")
    with ResultWriter(Path(args.out), tables=("documents", "provisions")) as writer:
        for batch in process_batches(list(iter_inputs(inputs)), params, extract=False, jobs=_jobs(args),
                                     tables=writer.tables):
            writer.add_batch(batch)
    docs = [SimpleNamespace(source=s, status=st, error=e) for s, st, e in writer.statuses]
    _summary(docs, None, Path(args.out))
    return EXIT_FAILED_DOCS if args.strict and any(d.status != "ok" for d in docs) else EXIT_OK


def cmd_candidates(args: argparse.Namespace) -> int:
    from .run import process
    from .tables import CANDIDATES_FILE, read_documents, write_candidates, write_table

    params = _params(args)
    # Candidates carry their features; the train and tables stages score them, so this
    # stage never depends on (a possibly stale) models/scorer.json.
    params["extract"]["scorer"] = ""
    docs = list(read_documents(Path(args.ingested)))
    results = list(process(docs, params, extract=True, jobs=_jobs(args)))
    out = Path(args.out)
    write_table("mentions", [vars(m) for r in results for m in r.mentions], out)
    rows = [c for r in results for c in r.candidates]
    write_candidates(rows, out / CANDIDATES_FILE)
    print(f"{len(rows)} candidates from {len(docs)} documents -> {out}", file=sys.stderr)
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from .confidence import FEATURES, label_candidates, train
    from .gold import read_gold_documents
    from .tables import read_rows

    params = _params(args)
    rows = read_rows(Path(args.candidates))
    gold = read_gold_documents(Path(args.gold))
    labels = label_candidates(rows, gold)
    feats = [{k: float(r.get("f_" + k) or 0.0) for k in FEATURES} for r in rows]
    scorer = train(feats, labels, c=float(params["train"]["C"]))
    scorer.save(Path(args.out))
    print(f"scorer trained on {scorer.meta.get('n', 0)} labelled candidates "
          f"({scorer.meta.get('positives', 0)} positive) -> {args.out}", file=sys.stderr)
    return EXIT_OK


def cmd_train_ner(args: argparse.Namespace) -> int:
    from .ner import train_from_gold

    params = _params(args)
    inputs = args.inputs or params["inputs"]
    result = train_from_gold(Path(args.gold), inputs, Path(args.out), params,
                             metrics_path=Path(args.metrics) if args.metrics else None)
    print(json.dumps({k: v for k, v in result.items() if k != "missing_pages"}, ensure_ascii=False,
                     default=str)[:2000], file=sys.stderr)
    return EXIT_OK


def cmd_tables(args: argparse.Namespace) -> int:
    from .confidence import FEATURES, Scorer
    from .tables import CANDIDATES_FILE, obligation_rows, read_rows, write_candidates, write_table

    params = _params(args)
    scorer = Scorer.load(params["extract"]["scorer"])
    rows = read_rows(Path(args.candidates) / CANDIDATES_FILE)
    for r in rows:
        feats = {k: float(r.get("f_" + k) or 0.0) for k in FEATURES}
        r["confidence"] = round(scorer.score(r, feats), 4)
    out = Path(args.out)
    ingested = Path(args.ingested)
    for name in ("documents", "provisions"):
        write_table(name, read_rows(ingested / f"{name}.parquet"), out)
    write_table("mentions", read_rows(Path(args.candidates) / "mentions.parquet"), out)
    obligations = obligation_rows(rows, params["extract"]["threshold"])
    write_table("obligations", obligations, out)
    if args.scored:
        write_candidates(rows, Path(args.scored))
    print(f"{len(obligations)} obligations (of {len(rows)} candidates, threshold "
          f"{params['extract']['threshold']}) -> {out}", file=sys.stderr)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    tables = Path(args.tables)
    result = evaluate(tables / "obligations.parquet", Path(args.gold), Path(args.out),
                      documents=tables / "documents.parquet",
                      candidates=Path(args.candidates) if args.candidates else None)
    overall = result.get("overall", result)
    print(json.dumps(overall, ensure_ascii=False), file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="obligations", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser, jobs: bool = True) -> None:
        p.add_argument("--params", metavar="FILE", help="a params.yaml overriding the defaults")
        if jobs:
            p.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: all cores)")

    p = sub.add_parser("extract", help="pages -> the four tables", description=DESCRIPTION,
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="page files or folders (read recursively)")
    p.add_argument("--out", required=True, metavar="DIR", help="where the tables are written")
    p.add_argument("--threshold", type=float, help="minimum confidence (default: params extract.threshold)")
    p.add_argument("--candidates", metavar="FILE", help="also write every scored candidate here (Parquet)")
    p.add_argument("--strict", action="store_true", help="exit 1 if any page is not ok")
    p.add_argument("--engine", choices=["local", "dask"], default="local",
                   help="local: --jobs processes on this machine (default); dask: Dask tasks, "
                        "tables written as folders of parts (needs the [dask] extra)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: an existing scheduler (tcp://HOST:8786); "
                        "default: a local cluster of --jobs workers")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="per-page result cache, keyed by content, code, models and params "
                        "(default: .cache/extract in the project)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    p.add_argument("--docs-per-group", type=int, default=256, metavar="K",
                   help="pages per Parquet row group (dask: per task and part); default 256")
    common(p)
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("ingest", help="pages -> documents and provisions tables (DVC stage)")
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="page files or folders (default: `inputs:` of the params file)")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--strict", action="store_true", help="exit 1 if any page is not ok")
    common(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("candidates", help="ingested documents -> mentions and scored candidates (DVC stage)")
    p.add_argument("ingested", metavar="DIR", help="output of `obligations ingest`")
    p.add_argument("--out", required=True, metavar="DIR")
    common(p)
    p.set_defaults(func=cmd_candidates)

    p = sub.add_parser("train", help="learn the candidate scorer from gold annotations (DVC stage)")
    p.add_argument("candidates", metavar="FILE", help="candidates.parquet from `obligations candidates`")
    p.add_argument("--gold", required=True, metavar="DIR", help="gold *.gold.jsonl (annotations/gold)")
    p.add_argument("--out", required=True, metavar="FILE", help="model file (models/scorer.json)")
    common(p, jobs=False)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("train-ner", help="train the ACTOR/DEADLINE span models from gold (DVC stage)")
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="page folders (default: `inputs:` of the params file)")
    p.add_argument("--gold", required=True, metavar="DIR")
    p.add_argument("--out", required=True, metavar="DIR", help="writes ner_zh/, ner_en/ (and ner_hf/) here")
    p.add_argument("--metrics", metavar="FILE", help="span precision/recall on held-back documents")
    common(p, jobs=False)
    p.set_defaults(func=cmd_train_ner)

    p = sub.add_parser("tables", help="score candidates and write the four tables (DVC stage)")
    p.add_argument("ingested", metavar="DIR", help="output of `obligations ingest`")
    p.add_argument("candidates", metavar="DIR", help="output of `obligations candidates`")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--scored", metavar="FILE", help="also write every scored candidate here")
    p.add_argument("--threshold", type=float, help="minimum confidence (default: params extract.threshold)")
    common(p, jobs=False)
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("evaluate", help="score the obligations table against gold (DVC stage)")
    p.add_argument("tables", metavar="DIR", help="a tables directory")
    p.add_argument("--gold", required=True, metavar="DIR")
    p.add_argument("--out", required=True, metavar="DIR", help="metrics and plot data")
    p.add_argument("--candidates", metavar="FILE", help="scored candidates, for the P/R-threshold curve")
    p.set_defaults(func=cmd_evaluate)
    add_annotation_commands(sub)
    add_manifest_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"obligations: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ObligationsError as exc:
        print(f"obligations: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"obligations: [E003] {exc.filename or ''}: {exc.strerror or exc} "
              "(check the path and its permissions)", file=sys.stderr)
        return EXIT_ERROR


def entry() -> None:
    """The ``obligations`` command: :func:`main`, then exit."""
    code = main()
    # The interpreter's last garbage collection, as it exits, would walk every object the
    # run still holds (jieba's dictionary, the extractor's patterns): 0.1 s after a run of
    # --jobs 1 over 8 MB.  Frozen, they are left to reference counting alone.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()

"""Scoring predicted obligations against gold (the rules of ``annotations/SCHEMA.md``).

The rules, implemented here so that the numbers agree exactly with the
reference ``score.py`` next to the shared gold:

- fold: NFKC, traditional -> simplified (OpenCC ``t2s``), lower case;
- actor match: equal after folding and removing white space and the brackets
  ``()（）``; or one contains the other and the shorter (as written) has at
  least 2 CJK characters or 2 words;
- duty match: Dice >= 0.5 over units of the folded text (character bigrams
  inside CJK runs, whole words elsewhere);
- a predicted row matches a gold row when actor and duty match; matching is
  one-to-one, greedy by duty similarity;
- precision/recall/F1 of matched rows, micro over documents; role and
  deadline accuracy over matched rows (deadlines equal after normalisation).

:func:`evaluate` is the DVC stage: it writes ``metrics.json``,
``f1_per_doc.csv`` and (given the candidate rows) ``pr_threshold.csv``.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Callable, NamedTuple

from .errors import ObligationsError, UsageError
from .gold import read_gold_documents

log = logging.getLogger(__name__)

DUTY_THRESHOLD = 0.5
THRESHOLDS = [round(i * 0.05, 2) for i in range(20)]  # 0.0 .. 0.95
GROUPS = ("overall", "zh", "en")
PRED_COLUMNS = ("doc_id", "actor", "role", "duty", "deadline")

_SPACE_BRACKETS = re.compile(r"[\s()（）]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_UNIT = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")


def _load_t2s() -> Callable[[str], str] | None:
    try:
        import opencc
    except ImportError:
        return None
    for config in ("t2s", "t2s.json"):  # the official binding also accepts the file name
        try:
            return opencc.OpenCC(config).convert
        except Exception:  # noqa: BLE001 - bindings raise different errors for an unknown config
            continue
    return None


_t2s = _load_t2s()


def fold(text: str | None) -> str:
    """NFKC, traditional -> simplified, lower case.

    Args:
        text: any text; ``None`` folds to ``""``.
    """
    text = unicodedata.normalize("NFKC", text or "")
    if _t2s is not None:
        text = _t2s(text)
    return text.lower()


def norm(text: str | None) -> str:
    """The folded text without white space and the brackets ``()（）`` (actors, deadlines).

    Args:
        text: any text; ``None`` gives ``""``.
    """
    return _SPACE_BRACKETS.sub("", fold(text))


def substantial(text: str) -> bool:
    """Whether a string may match by containment: at least 2 CJK characters or 2 words.

    Args:
        text: the actor as written (not normalised).
    """
    return len(_CJK.findall(text)) >= 2 or len(text.split()) >= 2


def _actor_match_normed(a: str, na: str, b: str, nb: str) -> bool:
    if not na or not nb:
        return False
    if na == nb:
        return True
    # The shorter normalised form (the first on equal length) must be contained
    # in the longer, and its written form must be substantial.
    short, long_ = (na, nb) if len(na) <= len(nb) else (nb, na)
    raw_short = a if na == short else b
    return short in long_ and substantial(raw_short)


def actor_match(a: str | None, b: str | None) -> bool:
    """Whether two actors name the same party under the scoring rule.

    Args:
        a: one actor as written.
        b: the other actor as written.
    """
    a, b = a or "", b or ""
    return _actor_match_normed(a, norm(a), b, norm(b))


def units(text: str) -> list[str]:
    """Character bigrams inside CJK runs (a lone character stays whole), whole words elsewhere.

    Args:
        text: folded text (lower case; see :func:`fold`).
    """
    out: list[str] = []
    for run in _UNIT.findall(text):
        if _CJK.match(run):
            out += [run[i:i + 2] for i in range(len(run) - 1)] or [run]
        else:
            out.append(run)
    return out


def _dice_counts(ua: Counter[str], na: int, ub: Counter[str], nb: int) -> float:
    if not na or not nb:
        return 0.0
    small, large = (ua, ub) if len(ua) <= len(ub) else (ub, ua)
    inter = sum(min(c, large[u]) for u, c in small.items() if u in large)
    return 2 * inter / (na + nb)


def duty_similarity(a: str | None, b: str | None) -> float:
    """Dice coefficient of the units of two duties after folding.

    Args:
        a: one duty as written.
        b: the other duty as written.
    """
    ua, ub = units(fold(a)), units(fold(b))
    return _dice_counts(Counter(ua), len(ua), Counter(ub), len(ub))


class _Prepared(NamedTuple):
    """A row's actor (as written and normalised) and duty units, computed once."""

    actor: str
    actor_norm: str
    units: Counter[str]
    n_units: int


def _prepare(rows: Iterable[Mapping[str, Any]]) -> list[_Prepared]:
    out = []
    for row in rows:
        actor = row.get("actor") or ""
        u = units(fold(row.get("duty") or ""))
        out.append(_Prepared(actor, norm(actor), Counter(u), len(u)))
    return out


def _match_prepared(pg: list[_Prepared], pp: list[_Prepared]) -> list[tuple[int, int, float]]:
    pairs = []
    for gi, g in enumerate(pg):
        for pi, p in enumerate(pp):
            if _actor_match_normed(g.actor, g.actor_norm, p.actor, p.actor_norm):
                s = _dice_counts(g.units, g.n_units, p.units, p.n_units)
                if s >= DUTY_THRESHOLD:
                    pairs.append((s, gi, pi))
    # Descending on (similarity, gold index, pred index): the reference's tie order.
    pairs.sort(reverse=True)
    used_g: set[int] = set()
    used_p: set[int] = set()
    matches = []
    for s, gi, pi in pairs:
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            matches.append((gi, pi, s))
    return matches


def match_rows(gold: list[Mapping[str, Any]], pred: list[Mapping[str, Any]]) -> list[tuple[int, int, float]]:
    """One-to-one greedy matching of one document's rows, best duty similarity first.

    Ties are broken as the reference does: by the higher gold index, then the
    higher predicted index.

    Args:
        gold: the document's gold rows (``actor``, ``duty``).
        pred: the document's predicted rows (``actor``, ``duty``).

    Returns:
        ``(gold_index, pred_index, similarity)`` for each matched pair, in matching order.
    """
    return _match_prepared(_prepare(gold), _prepare(pred))


def _count(gold: list[Mapping[str, Any]], pred: list[Mapping[str, Any]],
           matches: list[tuple[int, int, float]]) -> dict[str, int]:
    role_ok = sum(gold[gi]["role"] == (pred[pi].get("role") or "") for gi, pi, _ in matches)
    deadline_ok = sum(norm(gold[gi].get("deadline", "")) == norm(pred[pi].get("deadline", "") or "")
                      for gi, pi, _ in matches)
    return {"gold": len(gold), "pred": len(pred), "matched": len(matches),
            "role_ok": role_ok, "deadline_ok": deadline_ok}


def count_document(gold: list[Mapping[str, Any]], pred: list[Mapping[str, Any]]) -> dict[str, int]:
    """Counts for one document: gold, pred, matched, role_ok, deadline_ok.

    Args:
        gold: the document's gold rows.
        pred: the document's predicted rows.
    """
    return _count(gold, pred, match_rows(gold, pred))


def metrics(counts: Mapping[str, int]) -> dict[str, float | int]:
    """Precision, recall, F1, role and deadline accuracy from summed counts.

    Accuracies are 0.0 when nothing matched.

    Args:
        counts: ``gold``, ``pred``, ``matched``, ``role_ok``, ``deadline_ok``.
    """
    p = counts["matched"] / counts["pred"] if counts["pred"] else 0.0
    r = counts["matched"] / counts["gold"] if counts["gold"] else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    m = counts["matched"] or 1
    return {"precision": p, "recall": r, "f1": f,
            "role_acc": counts["role_ok"] / m, "deadline_acc": counts["deadline_ok"] / m,
            **{k: counts[k] for k in ("gold", "pred", "matched", "role_ok", "deadline_ok")}}


def infer_lang(rows: Iterable[Mapping[str, Any]]) -> str:
    """``zh`` when any duty has a CJK character, else ``en``.

    Args:
        rows: rows with a ``duty``.
    """
    return "zh" if any(_CJK.search(r.get("duty") or "") for r in rows) else "en"


def _group(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    by_doc: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_doc.setdefault(str(row.get("doc_id", "")), []).append(row)
    return by_doc


def _doc_lang(doc: str, gold: list[Mapping[str, Any]], pred: list[Mapping[str, Any]],
              langs: Mapping[str, str | None] | None) -> str:
    if langs and langs.get(doc) in ("zh", "en"):
        return str(langs[doc])
    for row in (*gold, *pred):
        if row.get("lang") in ("zh", "en"):
            return str(row["lang"])
    return infer_lang(gold or pred)


def score_documents(gold: Mapping[str, list[Mapping[str, Any]]], pred: list[Mapping[str, Any]],
                    langs: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """Score predicted rows against gold grouped by document (documents without gold are ignored).

    Args:
        gold: doc_id -> gold rows; a document with no rows still counts (its predictions are false).
        pred: predicted rows (``doc_id, actor, role, duty, deadline``).
        langs: optional doc_id -> ``zh``/``en``; otherwise a ``lang`` key on the rows,
            otherwise CJK in the gold duties decides.

    Returns:
        ``{"overall": {...}, "zh": {...}, "en": {...}, "per_doc": {doc_id: {..., "lang"}}}``,
        each with precision, recall, f1, role_acc, deadline_acc, the counts and ``documents``.
    """
    pred_by_doc = _group(pred)
    totals = {g: Counter() for g in GROUPS}
    per_doc: dict[str, dict[str, Any]] = {}
    for doc in sorted(gold):
        g_rows, p_rows = list(gold[doc]), pred_by_doc.get(doc, [])
        counts = count_document(g_rows, p_rows)
        lang = _doc_lang(doc, g_rows, p_rows, langs)
        for group in ("overall", lang):
            totals[group].update(counts)
            totals[group]["documents"] += 1
        per_doc[doc] = {"lang": lang, **metrics(counts)}
    result: dict[str, Any] = {}
    for group in GROUPS:
        c = {k: totals[group][k] for k in ("gold", "pred", "matched", "role_ok", "deadline_ok")}
        result[group] = {**metrics(c), "documents": totals[group]["documents"]}
    result["per_doc"] = per_doc
    return result


def score_rows(gold: list[dict], pred: list[dict], langs: Mapping[str, str | None] | None = None,
               *, documents: Iterable[str] | None = None) -> dict:
    """Score predicted rows against gold rows (the rules of ``annotations/SCHEMA.md``).

    Args:
        gold: gold rows (``doc_id, actor, role, duty, deadline``).
        pred: predicted rows with the same keys; rows of documents without gold are ignored.
        langs: optional doc_id -> ``zh``/``en`` (see :func:`score_documents`).
        documents: the documents to score; default the documents of ``gold``.  Name a
            document with no gold rows here to count its predictions as false positives.

    Returns:
        the dict of :func:`score_documents`.
    """
    by_doc: dict[str, list[Mapping[str, Any]]] = {d: [] for d in documents or ()}
    for doc, rows in _group(gold).items():
        if documents is None or doc in by_doc:
            by_doc.setdefault(doc, []).extend(rows)
    return score_documents(by_doc, pred, langs)


def read_rows(path: Path, columns: Iterable[str] = PRED_COLUMNS) -> list[dict[str, Any]]:
    """Predicted rows from a ``.parquet``, ``.csv`` or ``.jsonl`` file, nulls as ``""``.

    Args:
        path: the file (e.g. ``tables/obligations.parquet``).
        columns: columns that must be present.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise UsageError("predictions not found", path=str(path),
                         hint="run `obligations extract` first, or pass the right --obligations")
    try:
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
        elif path.suffix == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            df = pd.read_json(path, lines=True, dtype=False)
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot read predictions: {exc}", path=str(path),
                         hint="expected Parquet, CSV or JSON lines") from None
    missing = [c for c in columns if c not in df.columns]
    if missing and len(df.columns):
        raise UsageError(f"predictions lack column(s) {', '.join(missing)}", path=str(path),
                         hint="columns are those of the obligations table (pipeline/schemas.py)")
    df = df.astype(object).where(df.notna(), "")
    return df.to_dict("records")


def _read_langs(documents: Path) -> dict[str, str | None]:
    import pandas as pd

    if not documents.is_file():
        log.warning("%s not found: document languages are inferred from the gold duties", documents)
        return {}
    df = pd.read_parquet(documents, columns=["doc_id", "lang"])
    return {str(d): (None if pd.isna(lang) else str(lang)) for d, lang in zip(df["doc_id"], df["lang"])}


def pr_curve(gold: Mapping[str, list[Mapping[str, Any]]], candidates: list[Mapping[str, Any]],
             thresholds: Iterable[float] = THRESHOLDS) -> list[dict[str, float]]:
    """Micro precision, recall and F1 of the candidates kept at each confidence threshold.

    A candidate is kept when its confidence (rounded to 6 decimals, as float32
    storage shifts 0.35 to 0.3499999…) is at least the threshold.  Rows are
    folded once; each threshold only re-runs the matching.

    Args:
        gold: doc_id -> gold rows.
        candidates: candidate rows with a ``confidence``.
        thresholds: the thresholds.
    """
    by_doc = _group(c for c in candidates if str(c.get("doc_id", "")) in gold)
    prepared = {}
    for doc, g_rows in gold.items():
        p_rows = by_doc.get(doc, [])
        conf = [round(float(c.get("confidence") or 0.0), 6) for c in p_rows]
        prepared[doc] = (list(g_rows), _prepare(g_rows), p_rows, _prepare(p_rows), conf)
    out = []
    for t in thresholds:
        total: Counter[str] = Counter()
        for g_rows, pg, p_rows, pp, conf in prepared.values():
            keep = [i for i, c in enumerate(conf) if c >= t]
            kept_rows, kept_pp = [p_rows[i] for i in keep], [pp[i] for i in keep]
            total.update(_count(g_rows, kept_rows, _match_prepared(pg, kept_pp)))
        s = metrics({k: total[k] for k in ("gold", "pred", "matched", "role_ok", "deadline_ok")})
        out.append({"threshold": t, "precision": s["precision"], "recall": s["recall"],
                    "f1": s["f1"], "pred": s["pred"], "matched": s["matched"]})
    return out


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def evaluate(obligations: Path, gold_dir: Path, out_dir: Path, *, documents: Path | None = None,
             candidates: Path | None = None) -> dict:
    """Score the obligations table against gold and write the DVC metrics and plot data.

    Writes into ``out_dir``: ``metrics.json`` (``overall``/``zh``/``en``),
    ``f1_per_doc.csv`` (doc_id, lang, precision, recall, f1, gold, pred,
    matched) and, given ``candidates``, ``pr_threshold.csv`` (threshold,
    precision, recall, f1, pred, matched).  Only documents with a gold file are scored.

    Args:
        obligations: the predicted obligations (Parquet, columns of ``schemas.OBLIGATIONS``).
        gold_dir: a directory of ``*.gold.jsonl`` (or one such file).
        out_dir: where the outputs go (created).
        documents: optional documents table, whose ``lang`` column gives each document's language.
        candidates: optional Parquet of all candidate rows before thresholding, with ``confidence``.

    Returns:
        the metrics written to ``metrics.json`` plus ``per_doc``.
    """
    gold = read_gold_documents(Path(gold_dir))
    if not gold:
        log.warning("no *.gold.jsonl under %s: every metric is 0", gold_dir)
    pred = read_rows(Path(obligations))
    langs = _read_langs(Path(documents)) if documents is not None else None
    result = score_documents(gold, pred, langs)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {g: {k: v for k, v in result[g].items() if k not in ("role_ok", "deadline_ok")}
               for g in GROUPS}
    (out_dir / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    per_doc = [{"doc_id": d, **m} for d, m in result["per_doc"].items()]
    _write_csv(out_dir / "f1_per_doc.csv", per_doc,
               ["doc_id", "lang", "precision", "recall", "f1", "gold", "pred", "matched"])
    if candidates is not None:
        cand = read_rows(Path(candidates), columns=(*PRED_COLUMNS, "confidence"))
        _write_csv(out_dir / "pr_threshold.csv", pr_curve(gold, cand),
                   ["threshold", "precision", "recall", "f1", "pred", "matched"])
    return {**summary, "per_doc": result["per_doc"]}


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.evaluate OBLIGATIONS GOLD OUT [--documents P] [--candidates P]``.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(prog="python -m pipeline.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("obligations", type=Path, help="obligations.parquet")
    parser.add_argument("gold", type=Path, help="directory of *.gold.jsonl")
    parser.add_argument("out", type=Path, help="output directory for metrics.json and plot CSVs")
    parser.add_argument("--documents", type=Path, help="documents.parquet (for each document's lang)")
    parser.add_argument("--candidates", type=Path, help="candidates.parquet (for pr_threshold.csv)")
    args = parser.parse_args(argv)
    try:
        result = evaluate(args.obligations, args.gold, args.out, documents=args.documents,
                          candidates=args.candidates)
    except ObligationsError as exc:
        print(exc)
        return 2
    o = result["overall"]
    print(f"P={o['precision']:.3f} R={o['recall']:.3f} F1={o['f1']:.3f} role={o['role_acc']:.3f} "
          f"deadline={o['deadline_acc']:.3f} (gold={o['gold']} pred={o['pred']} docs={o['documents']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

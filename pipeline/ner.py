"""Learned span models for ACTOR and DEADLINE mentions (spaCy, CPU, offline).

The gold files (``annotations/gold/*.gold.jsonl``) carry strings, not
offsets, so training spans are made by locating each gold ``actor`` and
``deadline`` string in ``documents.text``: every occurrence inside the
paragraph(s) where the record's duty is, or every occurrence in the
document when the duty (or the string within it) cannot be found.  Chinese
text is matched and modelled through OpenCC ``t2s`` (length-preserving, so
offsets stay valid for the traditional original).

One training example is one paragraph (a line of the cleaned text).  Chinese
uses spaCy's character segmenter: jieba works offline in spaCy, but its
words cross actor boundaries (``由发展改革委会同`` -> ``改 / 革委会``), which
would make gold spans unalignable; it also writes its cache to /tmp.

Entry points:

* :func:`make_examples` and :func:`train_ner` (one language, one model dir);
* :func:`train_from_gold`, the ``train`` stage: ``models/ner_zh``,
  ``models/ner_en`` and a metrics JSON;
* :class:`SpanProposer`, which extract uses to propose ``(label, start, end)``.
"""
from __future__ import annotations

import functools
import json
import logging
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import ModelInvalid, ModelMissing, UsageError
from .schemas import Document

log = logging.getLogger(__name__)

LABELS = ("ACTOR", "DEADLINE")
SpanT = tuple[str, int, int]
DEFAULT_ITERATIONS = 30
DEFAULT_HOLDOUT = 0.25
METRICS_FILE = "ner_metrics.json"
_MISSING_HINT = "run `obligations train` / `dvc repro train` first, or set extract.ner: rules"
_PROBE = 12  # characters of a duty used to find it when the whole duty is not verbatim


# --------------------------------------------------------------------------- text helpers

@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Traditional -> simplified script when that keeps every offset, else the text unchanged.

    Args:
        text: any text (Latin text passes through unchanged).
    """
    if not text or not re.search(r"[\u3400-\u9fff]", text):
        return text
    out = _t2s().convert(text)
    return out if len(out) == len(text) else text


def paragraphs(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each non-blank line of ``text``, trimmed of surrounding spaces.

    Args:
        text: a document's cleaned text (paragraphs are separated by newlines).
    """
    out = []
    for m in re.finditer(r"[^\n]+", text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=[.:])\s+(?=[A-Z(“\"])")


def units(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each sentence-like unit: paragraphs cut after 。！？；!?; and English full stops.

    These are the pieces the models see (training and inference alike).

    Args:
        text: a document's cleaned text.
    """
    out = []
    for ps, pe in paragraphs(text):
        start = ps
        for m in _SENTENCE_END.finditer(text, ps, pe):
            cut = m.start()
            if cut - start >= 1 and m.end() < pe:
                piece = text[start:cut].rstrip()
                if piece.strip():
                    out.append((start, start + len(piece)))
                start = m.end()
                while start < pe and text[start].isspace():
                    start += 1
        if pe > start:
            out.append((start, pe))
    return out


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _find_duty(text: str, duty: str) -> tuple[int, int] | None:
    """Where a duty is in ``text`` (both already folded): exact, else first/last probes."""
    duty = _squash(duty)
    if not duty:
        return None
    i = text.find(duty)
    if i >= 0:
        return i, i + len(duty)
    n = min(_PROBE, len(duty))
    head = text.find(duty[:n])
    tail = text.find(duty[-n:], max(head, 0)) if head >= 0 else text.find(duty[-n:])
    if head >= 0 and tail >= 0:
        return head, tail + n
    if head >= 0:
        return head, head + n
    if tail >= 0:
        return tail, tail + n
    for k in range(0, len(duty) - n + 1, n):  # any chunk of the duty
        j = text.find(duty[k:k + n])
        if j >= 0:
            return j, j + n
    return None


def _window(paras: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The paragraphs that the character range ``[start, end)`` touches, as one range."""
    touched = [(s, e) for s, e in paras if s < max(end, start + 1) and e > start]
    if not touched:
        return start, end
    return touched[0][0], touched[-1][1]


def _occurrences(text: str, needle: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    hi = len(text) if hi is None else hi
    out, i = [], text.find(needle, lo, hi)
    while needle and i >= 0:
        out.append((i, i + len(needle)))
        i = text.find(needle, i + len(needle), hi)
    return out


def _non_overlapping(spans: Iterable[SpanT]) -> list[SpanT]:
    """Longest spans first, then earliest; overlapping ones are dropped."""
    chosen: list[SpanT] = []
    for span in sorted(set(spans), key=lambda x: (-(x[2] - x[1]), x[1], x[0])):
        if all(span[2] <= c[1] or span[1] >= c[2] for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda x: (x[1], x[2], x[0]))


def locate_spans(text: str, rows: Sequence[Mapping[str, Any]]) -> list[SpanT]:
    """Character spans ``(label, start, end)`` of a document's gold actors and deadlines.

    Each gold string is searched (script-folded) in the paragraphs that hold
    its record's duty; when the duty or the string is not found there, every
    occurrence in the document is taken.  Overlaps are resolved longest-first.

    Args:
        text: the document's cleaned text (``documents.text``).
        rows: the document's gold records (``actor``, ``deadline``, ``duty``);
            records carrying ``actor_start``/``actor_end`` are used as they are.
    """
    folded = fold(text)
    paras = paragraphs(folded)
    spans: list[SpanT] = []
    for row in rows:
        duty_at = _find_duty(folded, fold(str(row.get("duty") or "")))
        lo, hi = _window(paras, *duty_at) if duty_at else (0, len(folded))
        for label, key in (("ACTOR", "actor"), ("DEADLINE", "deadline")):
            if key == "actor" and isinstance(row.get("actor_start"), int) \
                    and isinstance(row.get("actor_end"), int):
                spans.append((label, row["actor_start"], row["actor_end"]))
                continue
            needle = _squash(fold(str(row.get(key) or "")))
            if not needle:
                continue
            found = _occurrences(folded, needle, lo, hi) or _occurrences(folded, needle)
            spans.extend((label, s, e) for s, e in found)
    return _non_overlapping(spans)


# --------------------------------------------------------------------------- examples

@functools.lru_cache(maxsize=4)
def blank_nlp(lang: str):
    """A blank spaCy pipeline for ``zh`` (character segmenter) or ``en``.

    Args:
        lang: ``zh`` or ``en``.
    """
    import spacy

    if lang not in ("zh", "en"):
        raise UsageError(f"no NER language {lang!r}", hint="use 'zh' or 'en'")
    return spacy.blank(lang)


def _example(nlp, text: str, spans: Sequence[SpanT], user_data: dict[str, Any]):
    from spacy.training import Example

    doc = nlp.make_doc(text)
    ents = []
    for label, s, e in spans:
        span = doc.char_span(s, e, label=label, alignment_mode="contract")
        if span is not None and len(span):
            ents.append(span)
    from spacy.util import filter_spans

    doc.ents = filter_spans(ents)
    eg = Example(nlp.make_doc(text), doc)
    eg.reference.user_data.update(user_data)
    eg.predicted.user_data.update(user_data)
    return eg


def make_examples(docs: Iterable[Document] | Mapping[str, Document],
                  gold: Mapping[str, Sequence[Mapping[str, Any]]] | Sequence[Mapping[str, Any]],
                  *, nlp=None) -> list:
    """spaCy training examples (entities ACTOR, DEADLINE), one per sentence-like unit (:func:`units`).

    Only documents that have gold (a gold file, even an empty one) are used;
    the text of Chinese documents is script-folded.  Each example's
    ``reference.user_data`` holds ``doc_id``, ``lang`` and ``offset`` (where
    the unit starts in ``documents.text``).

    Args:
        docs: ingested documents (``status == "ok"`` ones are used), or a mapping doc_id -> Document.
        gold: gold records grouped by doc_id (``gold.read_gold_documents``), or a flat list of records.
        nlp: the pipeline whose tokenizer to use; by default a blank one for each document's language.
    """
    if isinstance(docs, Mapping):
        docs = list(docs.values())
    if not isinstance(gold, Mapping):
        grouped: dict[str, list[Mapping[str, Any]]] = {}
        for row in gold:
            grouped.setdefault(str(row["doc_id"]), []).append(row)
        gold = grouped
    examples = []
    for doc in docs:
        if doc.status != "ok" or doc.doc_id not in gold or not doc.text:
            continue
        lang = doc.lang if doc.lang in ("zh", "en") else "zh"
        tok = nlp if nlp is not None else blank_nlp(lang)
        text = fold(doc.text)
        spans = locate_spans(doc.text, gold[doc.doc_id])
        for ps, pe in units(text):
            inside = [(lab, s - ps, e - ps) for lab, s, e in spans if s >= ps and e <= pe]
            examples.append(_example(tok, text[ps:pe], inside,
                                     {"doc_id": doc.doc_id, "lang": lang, "offset": ps}))
    return examples


def example_spans(eg) -> list[SpanT]:
    """The gold spans of an example, in document offsets.

    Args:
        eg: an example from :func:`make_examples`.
    """
    off = int(eg.reference.user_data.get("offset", 0))
    return [(e.label_, e.start_char + off, e.end_char + off) for e in eg.reference.ents]


def split_by_document(items: Sequence[Any], doc_id_of, holdout: float, seed: int
                      ) -> tuple[list[Any], list[Any], list[str]]:
    """A seeded document-level split: ``(train, held_back, held_back_doc_ids)``.

    At least one document is held back when there are two or more, none when
    ``holdout`` is 0 or there is a single document.

    Args:
        items: examples (or any records).
        doc_id_of: a function item -> doc_id.
        holdout: the fraction of documents held back (0 <= holdout < 1).
        seed: the random seed of the split.
    """
    ids = sorted({doc_id_of(x) for x in items})
    n_held = 0 if holdout <= 0 or len(ids) < 2 else min(len(ids) - 1, max(1, round(len(ids) * holdout)))
    rng = random.Random(seed)
    rng.shuffle(ids)
    held = set(ids[:n_held])
    return ([x for x in items if doc_id_of(x) not in held],
            [x for x in items if doc_id_of(x) in held], sorted(held))


def score_spans(pred: Iterable[tuple[str, SpanT]], gold: Iterable[tuple[str, SpanT]]) -> dict[str, Any]:
    """Exact-match span precision, recall and F1 per label and overall.

    Args:
        pred: ``(doc_id, (label, start, end))`` predicted.
        gold: ``(doc_id, (label, start, end))`` expected.
    """
    p, g = set(pred), set(gold)
    out: dict[str, Any] = {}
    for label in (*LABELS, "ALL"):
        ps = {x for x in p if label == "ALL" or x[1][0] == label}
        gs = {x for x in g if label == "ALL" or x[1][0] == label}
        tp = len(ps & gs)
        prec = tp / len(ps) if ps else 0.0
        rec = tp / len(gs) if gs else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[label] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4),
                      "n_pred": len(ps), "n_gold": len(gs), "n_correct": tp}
    return out


# --------------------------------------------------------------------------- training

def _doc_id(eg) -> str:
    return str(eg.reference.user_data.get("doc_id", ""))


def _rebase(nlp, eg):
    """The same example, tokenised by ``nlp`` (so that training uses its vocab)."""
    text = eg.reference.text
    spans = [(e.label_, e.start_char, e.end_char) for e in eg.reference.ents]
    return _example(nlp, text, spans, dict(eg.reference.user_data))


def _predict(nlp, examples: Sequence[Any]) -> list[tuple[str, SpanT]]:
    out = []
    texts = (eg.reference.text for eg in examples)
    for eg, doc in zip(examples, nlp.pipe(texts, batch_size=32)):
        off = int(eg.reference.user_data.get("offset", 0))
        out.extend((_doc_id(eg), (e.label_, e.start_char + off, e.end_char + off)) for e in doc.ents)
    return out


def train_ner(examples: Sequence[Any], lang: str, out_dir: str | Path, *,
              iterations: int = DEFAULT_ITERATIONS, seed: int = 0,
              holdout: float = DEFAULT_HOLDOUT, dropout: float = 0.2,
              batch_size: int = 4) -> dict[str, Any]:
    """Train a blank ``lang`` pipeline with an ``ner`` component; save it; score it on held-back documents.

    Documents are split (seeded) before training; the saved model is the one
    trained without the held-back documents, so the metrics describe it.

    Args:
        examples: examples from :func:`make_examples`; those of other languages are ignored.
        lang: ``zh`` or ``en``.
        out_dir: where the model is saved (``nlp.to_disk``); created or overwritten.
        iterations: passes over the training paragraphs.
        seed: seeds the split, the initialisation and the shuffling.
        holdout: fraction of documents held back for the metrics (0 trains on everything).
        dropout: dropout rate during training.
        batch_size: paragraphs per update.

    Returns:
        ``{"lang", "n_docs", "train_docs", "held_back_docs", "n_train_examples",
        "iterations", "losses", "held_back": score_spans(...) or None}``.
    """
    import spacy
    from spacy.util import fix_random_seed, minibatch

    examples = [eg for eg in examples if eg.reference.user_data.get("lang", lang) == lang]
    if not examples:
        raise UsageError(f"no {lang} training examples",
                         hint="add gold files for pages in that language to annotations/gold")
    fix_random_seed(seed)
    nlp = spacy.blank(lang)
    ner = nlp.add_pipe("ner")
    for label in LABELS:
        ner.add_label(label)
    examples = [_rebase(nlp, eg) for eg in examples]
    train, held, held_ids = split_by_document(examples, _doc_id, holdout, seed)
    optimizer = nlp.initialize(lambda: train)
    rng = random.Random(seed)
    losses_per_iter = []
    for _ in range(max(0, iterations)):
        order = list(train)
        rng.shuffle(order)
        losses: dict[str, float] = {}
        for batch in minibatch(order, size=batch_size):
            nlp.update(batch, drop=dropout, sgd=optimizer, losses=losses)
        losses_per_iter.append(round(float(losses.get("ner", 0.0)), 3))
    scores = None
    if held:
        gold = [(_doc_id(eg), s) for eg in held for s in example_spans(eg)]
        scores = score_spans(_predict(nlp, held), gold)
    metrics = {
        "lang": lang,
        "n_docs": len({_doc_id(eg) for eg in examples}),
        "train_docs": sorted({_doc_id(eg) for eg in train}),
        "held_back_docs": held_ids,
        "n_train_examples": len(train),
        "iterations": iterations,
        "seed": seed,
        "losses": losses_per_iter,
        "held_back": scores,
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nlp.meta["name"] = f"obligations_ner_{lang}"
    nlp.meta["version"] = "0.0.0"
    nlp.meta["description"] = "ACTOR / DEADLINE spans for policy-obligations (trained from annotations/gold)"
    nlp.meta["performance"] = {"held_back": scores}
    nlp.to_disk(out)
    return metrics


# --------------------------------------------------------------------------- inference

class SpanProposer:
    """ACTOR / DEADLINE spans from a model saved by :func:`train_ner`."""

    def __init__(self, model_dir: str | Path):
        """Load the model.

        Args:
            model_dir: the directory written by :func:`train_ner` (e.g. ``models/ner_zh``).

        Raises:
            ModelMissing: the directory (or its ``config.cfg``) does not exist.
            ModelInvalid: it exists but spaCy cannot load it.
        """
        import spacy

        path = Path(model_dir)
        if not (path / "config.cfg").is_file():
            raise ModelMissing(f"no NER model in {path}", path=str(path), hint=_MISSING_HINT)
        try:
            self.nlp = spacy.load(path)
        except Exception as exc:  # noqa: BLE001 - any load failure means a broken model dir
            raise ModelInvalid(f"cannot load the NER model: {type(exc).__name__}: {exc}",
                               path=str(path), hint="retrain it: " + _MISSING_HINT) from None
        if "ner" not in self.nlp.pipe_names:
            raise ModelInvalid("the model has no ner component", path=str(path),
                               hint="retrain it: " + _MISSING_HINT)
        self.lang = self.nlp.lang
        self.model_dir = path

    def propose(self, text: str) -> list[SpanT]:
        """The ``(label, start, end)`` spans found in ``text``, sorted; offsets index ``text``.

        Args:
            text: a document's cleaned text (traditional Chinese is folded internally).
        """
        folded = fold(text)
        paras = units(folded)
        out: list[SpanT] = []
        for (ps, pe), doc in zip(paras, self.nlp.pipe((folded[s:e] for s, e in paras), batch_size=32)):
            out.extend((e.label_, e.start_char + ps, e.end_char + ps) for e in doc.ents)
        return sorted(out, key=lambda x: (x[1], x[2], x[0]))


def model_dir_for(params: Mapping[str, Any], lang: str) -> Path:
    """Where the spaCy NER model of a language lives: ``<extract.ner_model>/ner_<lang>``.

    Args:
        params: the merged parameters; ``extract.ner_model`` (default ``models``) is read.
        lang: ``zh`` or ``en``.
    """
    from .settings import MODELS_DIR

    base = params.get("extract", {}).get("ner_model") or str(MODELS_DIR)
    return Path(base) / f"ner_{lang}"


HF_DIR = "ner_hf"


def load_proposer(params: Mapping[str, Any], lang: str):
    """The span proposer that ``extract.ner`` names, or ``None`` for ``rules``.

    ``spacy`` loads ``<extract.ner_model>/ner_<lang>``; ``transformers`` loads
    ``<extract.ner_model>/ner_hf`` (one model for both languages).

    Args:
        params: the merged parameters (``extract.ner``, ``extract.ner_model``).
        lang: the document's language, ``zh`` or ``en``.

    Raises:
        ModelMissing: the model has not been trained (says what to run).
        UsageError: ``extract.ner`` is not one of rules, spacy, transformers.
    """
    backend = params.get("extract", {}).get("ner", "rules")
    if backend == "rules":
        return None
    if backend == "spacy":
        return SpanProposer(model_dir_for(params, lang))
    if backend == "transformers":
        from .hf import HFSpanProposer

        return HFSpanProposer(model_dir_for(params, lang).parent / HF_DIR)
    raise UsageError(f"unknown extract.ner {backend!r}", hint="use rules, spacy or transformers")


# --------------------------------------------------------------------------- the train stage

def load_documents(corpus_dirs: Iterable[str | Path], params: Mapping[str, Any],
                   doc_ids: set[str] | None = None) -> dict[str, Document]:
    """Ingest the pages under ``corpus_dirs`` (only ``doc_ids`` when given).

    Args:
        corpus_dirs: folders or files of pages (doc_id = path under the folder, no extension).
        params: the merged parameters (passed to ``ingest.ingest_file``).
        doc_ids: restrict to these documents (e.g. the ones that have gold).
    """
    from .ingest import ingest_file, iter_inputs

    out: dict[str, Document] = {}
    for path, doc_id in iter_inputs([Path(d) for d in corpus_dirs]):
        if doc_ids is not None and doc_id not in doc_ids:
            continue
        if doc_id not in out:
            out[doc_id] = ingest_file(path, doc_id, dict(params))
    return out


def train_from_gold(gold_dir: str | Path, corpus_dirs: Iterable[str | Path], out_dir: str | Path,
                    params: Mapping[str, Any], *, metrics_path: str | Path | None = None
                    ) -> dict[str, Any]:
    """The train stage for span models: ``out_dir/ner_zh``, ``out_dir/ner_en`` and a metrics JSON.

    Args:
        gold_dir: the gold directory (``annotations/gold``).
        corpus_dirs: the folders holding the gold documents' pages (``corpus/raw``, ``corpus/dev``).
        out_dir: the models folder; a language without gold documents gets no model.
        params: the merged parameters; ``train.ner_iterations`` (default 30),
            ``train.ner_holdout`` (default 0.25), ``train.seed`` (default 0) and, for the
            transformers model ``out_dir/ner_hf`` (trained only when set),
            ``train.transformers_base`` (a local model directory) and
            ``train.transformers_epochs`` (default 3) are read when present.
        metrics_path: where to write the metrics (default ``out_dir/ner_metrics.json``).

    Returns:
        ``{lang: train_ner metrics}`` plus ``missing_pages``: gold documents with no page.
    """
    from .gold import read_gold_documents

    cfg = params.get("train", {})
    iterations = int(cfg.get("ner_iterations", DEFAULT_ITERATIONS))
    holdout = float(cfg.get("ner_holdout", DEFAULT_HOLDOUT))
    seed = int(cfg.get("seed", 0))
    gold = read_gold_documents(Path(gold_dir))
    docs = load_documents(corpus_dirs, params, set(gold))
    metrics: dict[str, Any] = {"missing_pages": sorted(set(gold) - set(docs))}
    for doc_id in metrics["missing_pages"]:
        log.warning("gold document %s has no page under %s", doc_id, list(map(str, corpus_dirs)))
    examples = make_examples(docs, gold)
    for lang in ("zh", "en"):
        mine = [eg for eg in examples if eg.reference.user_data["lang"] == lang]
        if not mine:
            metrics[lang] = None
            continue
        metrics[lang] = train_ner(mine, lang, Path(out_dir) / f"ner_{lang}",
                                  iterations=iterations, seed=seed, holdout=holdout)
    base = cfg.get("transformers_base") or ""
    if base:
        from .hf import fine_tune

        metrics["transformers"] = fine_tune(examples, base, Path(out_dir) / HF_DIR,
                                            epochs=int(cfg.get("transformers_epochs", 3)),
                                            seed=seed, holdout=holdout)
    path = Path(metrics_path) if metrics_path else Path(out_dir) / METRICS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return metrics

"""Transformers token classification for ACTOR / DEADLINE spans (the ``[transformers]`` extra).

A BERT-style base model is fine-tuned with BIO tags over ACTOR and DEADLINE.
The base model is read from a local directory only: a hub name is refused,
``HF_HUB_OFFLINE=1`` is set and every load passes ``local_files_only=True``,
so nothing is ever downloaded.  Models are saved with ``save_pretrained``
(safetensors), never pickled.

Training data is the same as for the spaCy models: examples from
:func:`pipeline.ner.make_examples`, or plain ``(text, [(label, start, end)])``
pairs.  Texts are cut into the units of :func:`pipeline.ner.units` at
inference, as in training; Chinese is script-folded (length-preserving).
"""
from __future__ import annotations

import os
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import ModelInvalid, ModelMissing, UsageError
from .ner import LABELS, SpanT, fold, score_spans, split_by_document, units

BIO = ["O"] + [f"{p}-{label}" for label in LABELS for p in ("B", "I")]
LABEL2ID = {tag: i for i, tag in enumerate(BIO)}
IGNORE = -100
Record = tuple[str, str, list[SpanT]]  # (doc_id, text, spans)

_BASE_HINT = ("put a BERT-style model (config.json, vocab/tokenizer files, weights) in {dir}, "
              "e.g. saved with save_pretrained on a machine with internet, "
              "and set train.transformers_base in params.yaml")
_TRAINED_HINT = ("run `obligations train` with train.transformers_base set first, "
                 "or set extract.ner: rules")


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def _imports():
    try:
        import torch
        import transformers
    except ImportError:
        raise ModelMissing("torch/transformers are not installed",
                           hint="pip install torch==2.13.0 && pip install -e '.[transformers]'") from None
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return torch, transformers


def local_model_dir(path: str | os.PathLike[str] | None, hint: str) -> Path:
    """``path`` as an existing directory with a ``config.json``; anything else (a hub name) is refused.

    Args:
        path: the model directory.
        hint: what to tell the user when it is not there.
    """
    p = Path(path) if path else None
    if p is None or not p.is_dir():
        raise ModelMissing(f"model directory not found: {path or '(not set)'}"
                           " (only local directories are used; nothing is downloaded)",
                           hint=hint.format(dir=path or "a local directory"))
    if not (p / "config.json").is_file():
        raise ModelMissing(f"{p} has no config.json", path=str(p), hint=hint.format(dir=p))
    return p


def to_records(examples_or_spans: Iterable[Any]) -> list[Record]:
    """``(doc_id, text, spans)`` from spaCy examples or ``(text, spans)`` / ``(doc_id, text, spans)`` tuples.

    Args:
        examples_or_spans: examples from :func:`pipeline.ner.make_examples`, or tuples
            whose spans are ``(label, start, end)`` offsets into the text.
    """
    out: list[Record] = []
    for n, item in enumerate(examples_or_spans):
        if hasattr(item, "reference"):
            ref = item.reference
            out.append((str(ref.user_data.get("doc_id", n)), ref.text,
                        [(e.label_, e.start_char, e.end_char) for e in ref.ents]))
        elif isinstance(item, tuple) and len(item) == 2:
            out.append((str(n), item[0], list(item[1])))
        elif isinstance(item, tuple) and len(item) == 3:
            out.append((str(item[0]), item[1], list(item[2])))
        else:
            raise UsageError(f"cannot train on {type(item).__name__}",
                             hint="pass spaCy Examples or (text, [(label, start, end)]) tuples")
    return out


def _tags_for(offsets: Sequence[tuple[int, int]], spans: Sequence[SpanT]) -> list[int]:
    """BIO label ids for tokens with character ``offsets``; special tokens get IGNORE.

    A token inside a span is ``B-`` when the previous real token is not in the same span.
    """
    tags: list[int] = []
    prev_span: SpanT | None = None
    for s, e in offsets:
        if s == e:
            tags.append(IGNORE)
            continue
        span = next((sp for sp in spans if s >= sp[1] and e <= sp[2]), None)
        if span is None:
            tags.append(LABEL2ID["O"])
        else:
            tags.append(LABEL2ID[("I-" if span == prev_span else "B-") + span[0]])
        prev_span = span
    return tags


def _encode(tokenizer, text: str, max_length: int, stride: int):
    return tokenizer(text, truncation=True, max_length=max_length, stride=stride,
                     return_overflowing_tokens=True, return_offsets_mapping=True)


def decode(offsets: Sequence[tuple[int, int]], tags: Sequence[int]) -> list[SpanT]:
    """Character spans from BIO label ids (an ``I-`` after something else opens a span).

    Args:
        offsets: each token's ``(start, end)`` in the text; ``(0, 0)`` for special tokens.
        tags: each token's label id (indexes :data:`BIO`).
    """
    spans: list[SpanT] = []
    cur: list[Any] | None = None
    for (s, e), t in zip(offsets, tags):
        tag = BIO[t] if 0 <= t < len(BIO) else "O"
        if s == e or tag == "O":
            if cur:
                spans.append(tuple(cur))  # type: ignore[arg-type]
            cur = None
            continue
        kind, label = tag.split("-", 1)
        if cur and kind == "I" and cur[0] == label:
            cur[2] = e
        else:
            if cur:
                spans.append(tuple(cur))  # type: ignore[arg-type]
            cur = [label, s, e]
    if cur:
        spans.append(tuple(cur))  # type: ignore[arg-type]
    return spans


def fine_tune(examples_or_spans: Iterable[Any], base_dir: str | os.PathLike[str],
              out_dir: str | os.PathLike[str], *, epochs: int = 3, seed: int = 0,
              lr: float = 5e-5, batch_size: int = 8, max_length: int = 256, stride: int = 32,
              holdout: float = 0.0) -> dict[str, Any]:
    """Fine-tune a local BERT-style model for BIO token classification and save it.

    Args:
        examples_or_spans: training data (see :func:`to_records`); texts are script-folded.
        base_dir: a local directory with a base model and a fast tokenizer (never a hub name).
        out_dir: where the fine-tuned model and tokenizer are saved (``save_pretrained``).
        epochs: passes over the data.
        seed: seeds torch, the split and the shuffling.
        lr: AdamW learning rate.
        batch_size: windows per update.
        max_length: tokens per window; longer texts are cut into overlapping windows.
        stride: tokens of overlap between windows.
        holdout: fraction of documents held back and scored (0: train on everything).

    Returns:
        ``{"n_train", "epochs", "losses", "held_back_docs", "held_back": score_spans(...) or None}``.
    """
    base = local_model_dir(base_dir, _BASE_HINT)
    _offline()
    torch, transformers = _imports()
    records = [(d, fold(t), s) for d, t, s in to_records(examples_or_spans)]
    if not records:
        raise UsageError("no training examples", hint="add gold files to annotations/gold")
    train, held, held_ids = split_by_document(records, lambda r: r[0], holdout, seed)
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(base, local_files_only=True)
        # use_safetensors: a pickled pytorch_model.bin is refused, never unpickled.
        model = transformers.AutoModelForTokenClassification.from_pretrained(
            base, local_files_only=True, use_safetensors=True, num_labels=len(BIO),
            id2label=dict(enumerate(BIO)), label2id=LABEL2ID, ignore_mismatched_sizes=True)
    except (OSError, ValueError) as exc:
        raise ModelInvalid(f"cannot load the base model: {exc}", path=str(base),
                           hint=_BASE_HINT.format(dir=base)) from None
    if not getattr(tokenizer, "is_fast", False):
        raise ModelInvalid("the base model has no fast tokenizer (needed for character offsets)",
                           path=str(base), hint="save a *TokenizerFast with save_pretrained into it")
    windows = []
    for _, text, spans in train:
        enc = _encode(tokenizer, text, max_length, stride)
        for ids, offs in zip(enc["input_ids"], enc["offset_mapping"]):
            windows.append((ids, _tags_for([tuple(o) for o in offs], spans)))
    pad = tokenizer.pad_token_id or 0
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    rng = random.Random(seed)
    losses = []
    for _ in range(max(0, epochs)):
        rng.shuffle(windows)
        total = 0.0
        for i in range(0, len(windows), batch_size):
            batch = windows[i:i + batch_size]
            width = max(len(ids) for ids, _ in batch)
            input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in batch])
            mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch])
            labels = torch.tensor([tags + [IGNORE] * (width - len(tags)) for _, tags in batch])
            out = model(input_ids=input_ids, attention_mask=mask, labels=labels)
            out.loss.backward()
            opt.step()
            opt.zero_grad()
            total += float(out.loss.detach())
        losses.append(round(total, 4))
    model.eval()
    out_path = Path(out_dir)
    out_path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_path)
    tokenizer.save_pretrained(out_path)
    scores = None
    if held:
        proposer = HFSpanProposer(out_path, max_length=max_length, stride=stride)
        pred = [(d, s) for d, t, _ in held for s in proposer.propose_unit(t)]
        scores = score_spans(pred, [(d, s) for d, _, spans in held for s in spans])
    return {"n_train": len(train), "n_windows": len(windows), "epochs": epochs, "seed": seed,
            "losses": losses, "held_back_docs": held_ids, "held_back": scores}


class HFSpanProposer:
    """ACTOR / DEADLINE spans from a model saved by :func:`fine_tune`."""

    def __init__(self, model_dir: str | os.PathLike[str], *, max_length: int = 256, stride: int = 32):
        """Load the model and tokenizer (local files only).

        Args:
            model_dir: the directory written by :func:`fine_tune`.
            max_length: tokens per window at inference.
            stride: tokens of overlap between windows.
        """
        path = local_model_dir(model_dir, _TRAINED_HINT)
        _offline()
        self.torch, transformers = _imports()
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model = transformers.AutoModelForTokenClassification.from_pretrained(
                path, local_files_only=True, use_safetensors=True)
        except (OSError, ValueError) as exc:
            raise ModelInvalid(f"cannot load the span model: {exc}", path=str(path),
                               hint=_TRAINED_HINT) from None
        if list(self.model.config.id2label.values()) != BIO:
            raise ModelInvalid(f"the model's labels are {list(self.model.config.id2label.values())}, "
                               f"not {BIO}", path=str(path), hint=_TRAINED_HINT)
        self.model.eval()
        self.max_length, self.stride = max_length, stride

    def propose_unit(self, text: str) -> list[SpanT]:
        """Spans in one short text (a sentence or paragraph), offsets into it.

        Args:
            text: the text, already script-folded.
        """
        if not text.strip():
            return []
        enc = _encode(self.tokenizer, text, self.max_length, self.stride)
        found: list[SpanT] = []
        with self.torch.no_grad():
            for ids, offs in zip(enc["input_ids"], enc["offset_mapping"]):
                logits = self.model(input_ids=self.torch.tensor([ids])).logits[0]
                found.extend(decode([tuple(o) for o in offs], logits.argmax(-1).tolist()))
        chosen: list[SpanT] = []  # overlapping windows: keep the longest of overlapping spans
        for span in sorted(set(found), key=lambda x: (-(x[2] - x[1]), x[1])):
            if all(span[2] <= c[1] or span[1] >= c[2] for c in chosen):
                chosen.append(span)
        return sorted(chosen, key=lambda x: (x[1], x[2]))

    def propose(self, text: str) -> list[SpanT]:
        """The ``(label, start, end)`` spans in a document's text, sorted; offsets index ``text``.

        Args:
            text: a document's cleaned text (traditional Chinese is folded internally).
        """
        folded = fold(text)
        out: list[SpanT] = []
        for s, e in units(folded):
            out.extend((label, a + s, b + s) for label, a, b in self.propose_unit(folded[s:e]))
        return out

"""The candidate scorer: a logistic regression over a few features of each candidate.

Trained by the ``train`` stage from the gold in ``annotations/`` (a candidate is
positive when it matches a gold row by the scoring rules of SCHEMA.md) and
stored as plain JSON (feature names, weights, intercept, training summary) —
no pickle, so a model file handed to a user cannot run code.  Without a model
file, every candidate gets the prior of its pattern.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import ModelInvalid

# Pattern priors: the share of the pattern's candidates that were right on the
# dev pages when the patterns were written; used only when no model is trained.
PRIORS: dict[str, float] = {
    "zh.tag": 0.95, "zh.role_line": 0.95, "zh.table": 0.95, "zh.functions": 0.85, "zh.you": 0.85,
    "zh.subject": 0.6, "zh.qing": 0.5,
}
DEFAULT_PRIOR = 0.6

_MODAL_ZH = re.compile(r"^(?:要|应当|应|须|必须|需要|需|务必)")
_STRONG_EN = re.compile(r"\b(?:shall|must)\b", re.I)
_SOFT_EN = re.compile(r"\b(?:will|should|may|is to|are to)\b", re.I)
_COLLECTIVE = re.compile(r"^(?:各|每个|所有|有关|相关)|部门$|单位$|^the heads of|agencies$", re.I)
_NARRATIVE = re.compile(r"以来|已经|取得|成效|显著|强调|指出|表示|we |reported|learned|recently", re.I)
# Titles of documents that assign work, as opposed to news and commentary.
_DIRECTIVE = re.compile(
    r"通知|意见|方案|办法|规定|决定|规划|分工|任务|职责|职能|细则|纲要|计划|要点|条例|令|函|批复|"
    r"order|functions|responsibilit|division of|plan|notice|regulation|measures", re.I)
_PRINCIPLE = re.compile(r"总体要求|指导思想|基本原则|工作原则|主要目标|背景|principles?|background", re.I)

FEATURES = [
    "bias_method_tag", "bias_method_role_line", "bias_method_functions", "bias_method_you",
    "bias_method_subject", "bias_method_qing", "bias_method_table", "bias_method_en",
    "role_lead", "role_cooperate", "has_cue", "zh_modal", "en_strong_modal", "en_soft_modal",
    "has_deadline", "actor_collective", "actor_len_log", "duty_len_log", "narrative",
    "principle_section", "doc_directive",
]


def featurize(c: Mapping[str, Any], title: str = "", headings: str = "") -> dict[str, float]:
    """Features of one candidate (a ``Candidate`` as a dict).

    Args:
        c: the candidate's fields (``method``, ``role``, ``cue``, ``actor``, ``duty`` …).
        title: the document's title (directives assign work; news reports narrate it).
        headings: the labels and headings of the provisions that enclose the candidate.
    """
    method = str(c.get("method") or "")
    cue = str(c.get("cue") or "")
    duty = str(c.get("duty") or "")
    actor = str(c.get("actor") or "")
    f = {name: 0.0 for name in FEATURES}
    key = "bias_method_en" if method.startswith("en.") else "bias_method_" + method.split(".")[-1]
    if key in f:
        f[key] = 1.0
    f["role_lead"] = float(c.get("role") == "lead")
    f["role_cooperate"] = float(c.get("role") == "cooperate")
    f["has_cue"] = float(bool(cue))
    f["zh_modal"] = float(bool(_MODAL_ZH.match(cue)))
    f["en_strong_modal"] = float(bool(_STRONG_EN.search(cue)))
    f["en_soft_modal"] = float(bool(_SOFT_EN.search(cue)))
    f["has_deadline"] = float(bool(c.get("deadline")))
    f["actor_collective"] = float(bool(_COLLECTIVE.search(actor)))
    f["actor_len_log"] = math.log1p(len(actor)) / 4
    f["duty_len_log"] = math.log1p(len(duty)) / 6
    f["narrative"] = float(bool(_NARRATIVE.search(duty[:80])))
    f["principle_section"] = float(bool(_PRINCIPLE.search(headings)))
    f["doc_directive"] = float(bool(_DIRECTIVE.search(title or "")))
    return f


class Scorer:
    """Scores candidates: a trained logistic regression, or the pattern priors.

    Args:
        weights: feature name -> weight; ``None`` for the priors.
        intercept: the model's intercept.
        meta: what the model was trained on (kept in the JSON file).
    """

    def __init__(self, weights: dict[str, float] | None = None, intercept: float = 0.0,
                 meta: dict[str, Any] | None = None):
        self.weights = weights
        self.intercept = intercept
        self.meta = meta or {}

    @property
    def version(self) -> str:
        """A short hash of the model, for provenance (``method`` and cache keys)."""
        blob = json.dumps([self.weights, self.intercept], sort_keys=True).encode()
        return "prior" if self.weights is None else hashlib.sha256(blob).hexdigest()[:10]

    def score(self, c: Mapping[str, Any], features: Mapping[str, float]) -> float:
        """The probability that a candidate is a true obligation.

        Args:
            c: the candidate's fields.
            features: its features from ``featurize``.
        """
        if self.weights is None:
            return PRIORS.get(str(c.get("method")), DEFAULT_PRIOR)
        z = self.intercept + sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def load(cls, path: str | Path | None) -> "Scorer":
        """A scorer from a JSON file; the priors when ``path`` is empty or absent.

        Args:
            path: the model file written by ``save`` (``models/scorer.json``).
        """
        if not path or not Path(path).exists():
            return cls()
        from .manifest import verify

        verify(path)  # a file changed outside `obligations train` is refused before it is read
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            weights = {str(k): float(v) for k, v in data["weights"].items()}
            intercept = float(data["intercept"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelInvalid(f"not a scorer model: {exc}", path=str(path),
                               hint="re-create it with `obligations train` (or delete it to use the priors)") from None
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ModelInvalid(f"unknown features {sorted(unknown)}", path=str(path),
                               hint="the model was trained by another version; re-run `obligations train`")
        return cls(weights, intercept, data.get("meta"))

    def save(self, path: str | Path) -> None:
        """Write the model as JSON, atomically, and record its hash in the folder's manifest.

        The file is written to a temporary name beside it (unique per process)
        and renamed into place, so a killed run leaves the previous model intact;
        then ``MANIFEST.json`` of the folder gets the new SHA-256 (see
        :mod:`pipeline.manifest`).

        Args:
            path: where to write (``models/scorer.json``).
        """
        import os

        from .manifest import update

        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({"weights": self.weights, "intercept": self.intercept,
                                       "meta": self.meta}, ensure_ascii=False, indent=1, sort_keys=True)
                           + "\n", encoding="utf-8")
            os.replace(tmp, p)
        finally:
            tmp.unlink(missing_ok=True)
        update([p])


def label_candidates(candidates: list[Mapping[str, Any]],
                     gold: Mapping[str, list[Mapping[str, Any]]]) -> list[int | None]:
    """1 for a candidate that matches a gold row, 0 for one that does not, None for a
    candidate of a document without gold.

    Args:
        candidates: candidate rows (``doc_id``, ``actor``, ``duty`` …).
        gold: gold rows by document.
    """
    from .evaluate import match_rows

    by_doc: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        by_doc.setdefault(str(c["doc_id"]), []).append(i)
    labels: list[int | None] = [None] * len(candidates)
    for doc, idx in by_doc.items():
        if doc not in gold:
            continue
        rows = [candidates[i] for i in idx]
        matched = {pi for _, pi, _ in match_rows(gold[doc], rows)}
        for k, i in enumerate(idx):
            labels[i] = int(k in matched)
    return labels


def train(features: list[Mapping[str, float]], labels: Iterable[int | None], *, c: float = 1.0,
          seed: int = 0) -> Scorer:
    """Fit the logistic regression on the labelled candidates.

    Args:
        features: one feature dict per candidate.
        labels: 1/0 per candidate, None to leave it out.
        c: inverse regularisation strength (small = simpler model).
        seed: random seed, for reproducible models.
    """
    from sklearn.linear_model import LogisticRegression

    X, y = [], []
    for f, lab in zip(features, labels):
        if lab is not None:
            X.append([f.get(k, 0.0) for k in FEATURES])
            y.append(lab)
    counts = Counter(y)
    if len(counts) < 2:
        return Scorer(meta={"note": "not enough labelled candidates of both kinds; priors used",
                            "n": len(y)})
    model = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    model.fit(X, y)
    weights = {k: round(float(w), 6) for k, w in zip(FEATURES, model.coef_[0])}
    return Scorer(weights, round(float(model.intercept_[0]), 6),
                  {"n": len(y), "positives": counts[1], "negatives": counts[0], "C": c})

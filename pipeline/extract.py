"""A Document -> its mentions and its scored candidate obligations.

Per-process set-up (lexicon, jieba, OpenCC, alias table, scorer) happens once in
``Extractor.__init__``; ``Extractor.extract`` is then pure per-document work.
"""
from __future__ import annotations

from typing import Any

from .actors import ActorGrammar, normalize_actor, read_aliases
from .confidence import Scorer, featurize
from .deadlines import find_deadlines, normalize_deadline
from .extract_en import extract_en
from .extract_zh import ChineseExtractor
from .normalize import to_simplified
from .provisions import provision_at
from .schemas import Candidate, Document, Mention


class Extractor:
    """Extracts mentions and candidate obligations from ingested documents.

    Args:
        params: the merged parameters (``settings.load_params``); uses the
            ``extract`` section: lexicon, aliases, scorer, segmenter.
        scorer: a scorer to use instead of the one named in params.
    """

    def __init__(self, params: dict[str, Any], scorer: Scorer | None = None):
        cfg = params["extract"]
        if cfg["segmenter"] != "jieba":
            from .segment import make_segmenter

            make_segmenter(params)  # fails early, with a clear message, when the backend is missing
        self.grammar = ActorGrammar(cfg["lexicon"])
        self.zh = ChineseExtractor(self.grammar)
        self.aliases = read_aliases(cfg["aliases"])
        self.t2s = to_simplified
        self.scorer = scorer if scorer is not None else Scorer.load(cfg["scorer"])
        self._params = params
        self._proposers: dict[str, Any] = {}

    def warm(self) -> None:
        """Load what extraction loads lazily (jieba's dictionary, the span proposers of
        ``extract.ner``), e.g. before forking workers."""
        self.grammar.warm()
        for lang in ("zh", "en"):
            self._proposer(lang)

    def _proposer(self, lang: str):
        """The learned span proposer of ``extract.ner`` for a language (None for rules)."""
        if lang not in self._proposers:
            from .ner import load_proposer

            self._proposers[lang] = load_proposer(self._params, lang)
        return self._proposers[lang]

    def candidates(self, doc: Document) -> tuple[list[Candidate], str]:
        """The raw candidates of a document, and its simplified-script view.

        Args:
            doc: an ingested document (status ``ok``).
        """
        if doc.status != "ok" or not doc.text:
            return [], ""
        if doc.lang == "en":
            return extract_en(doc), doc.text
        view = self.t2s(doc.text)
        if len(view) != len(doc.text):  # OpenCC t2s is length-preserving; guard anyway
            view = doc.text
        return self.zh(doc, view), view

    def extract(self, doc: Document) -> tuple[list[Mention], list[dict[str, Any]]]:
        """Mentions and scored candidate rows (all of them, before the threshold).

        Each candidate row has the obligations columns plus its features, so
        the train stage can learn from it and the evaluate stage can plot
        precision and recall against the threshold.

        Args:
            doc: an ingested document.
        """
        cands, view = self.candidates(doc)
        cands = _dedupe(cands)
        lang = doc.lang or "zh"
        headings = _headings(doc)
        rows: list[dict[str, Any]] = []
        for n, c in enumerate(cands):
            cd = dict(vars(c))  # flat fields: no need for asdict's deep copies
            feats = featurize(cd, doc.title or "", headings.get(c.provision_id, ""))
            due = None
            if c.deadline:
                due = normalize_deadline(view[c.deadline_start:c.deadline_end] if view else c.deadline,
                                         lang, doc.issued)
            start = min(c.actor_start, c.duty_start)
            end = max(c.actor_end, c.duty_end, c.deadline_end or 0)
            rows.append({
                "obligation_id": f"{doc.doc_id}#o{n + 1}",
                "doc_id": doc.doc_id,
                "provision_id": c.provision_id,
                "actor": c.actor,
                "actor_norm": normalize_actor(c.actor, self.aliases, self.t2s),
                "role": c.role,
                "duty": c.duty,
                "deadline": c.deadline,
                "deadline_kind": due.kind if due else None,
                "due_start": due.due_start if due else None,
                "due_end": due.due_end if due else None,
                "modality": c.cue,
                "confidence": round(self.scorer.score(cd, feats), 4),
                "method": c.method,
                "start": start,
                "end": end,
                "lang": lang,
                "duty_start": c.duty_start,
                "duty_end": c.duty_end,
                "actor_start": c.actor_start,
                "actor_end": c.actor_end,
                "deadline_start": c.deadline_start,
                "deadline_end": c.deadline_end,
                **{"f_" + k: v for k, v in feats.items()},
            })
        return self._mentions(doc, view, cands, rows), rows

    def _mentions(self, doc: Document, view: str, cands: list[Candidate],
                  rows: list[dict[str, Any]]) -> list[Mention]:
        seen: set[tuple[str, int, int]] = set()
        out: list[Mention] = []
        lang = doc.lang or "zh"

        def add(kind: str, start: int, end: int, normalized: str | None) -> None:
            if (kind, start, end) in seen or end <= start:
                return
            seen.add((kind, start, end))
            out.append(Mention(doc.doc_id, "", None, kind, doc.text[start:end], start, end, normalized))

        for r, c in zip(rows, cands):
            add("actor", r["actor_start"], r["actor_end"], r["actor_norm"])
            if c.cue_start is not None and c.cue_end is not None:
                add("role_cue", c.cue_start, c.cue_end, c.role)
        proposer = self._proposer(lang) if doc.text else None
        if proposer is not None:
            for label, start, end in proposer.propose(doc.text):
                add("actor" if label == "ACTOR" else "deadline", start, end, f"model:{label}")
        if view:
            for d in find_deadlines(view, lang):
                due = normalize_deadline(d.text, lang, doc.issued)
                add("deadline", d.start, d.end, due.normalized)
        out.sort(key=lambda m: (m.start, m.end, m.kind))
        for n, m in enumerate(out):
            m.mention_id = f"{doc.doc_id}#m{n + 1}"
            prov = provision_at(doc.provisions, m.start)
            m.provision_id = prov.provision_id if prov else None
        return out


def _dedupe(cands: list[Candidate]) -> list[Candidate]:
    """One candidate per actor and duty: the first pattern to claim a span wins, and a
    statement repeated word for word (a page's teaser of its own body) counts once."""
    seen: set[tuple] = set()
    out = []
    for c in cands:
        keys = ((c.actor, c.actor_start, c.duty_start, c.duty_end), (c.actor, c.role, c.duty))
        if not any(k in seen for k in keys):
            seen.update(keys)
            out.append(c)
    return out


def _headings(doc: Document) -> dict[str | None, str]:
    """For each provision, the opening words of it and its ancestors."""
    by_id = {p.provision_id: p for p in doc.provisions}
    out: dict[str | None, str] = {}
    for p in doc.provisions:
        parts, q = [], p
        while q is not None:
            parts.append(q.text[:16])
            q = by_id.get(q.parent_id) if q.parent_id else None
        out[p.provision_id] = " / ".join(reversed(parts))
    return out

"""The gold as a spaCy ``DocBin``: ACTOR/DUTY/DEADLINE spans for a span categorizer.

Each gold document becomes a ``Doc`` of its cleaned text (``documents.text``)
with ``doc.spans["sc"]`` holding one span per distinct (label, start, end);
``doc.user_data`` keeps the ``doc_id`` and the obligations as offset tuples,
so a relation model can be trained from the same file.

Chinese is tokenized by ``spacy.blank("zh")``'s default, one token per
character, so every gold span aligns exactly; ``segmenter="jieba"`` uses
jieba's words instead (offline: jieba ships its dictionary), and then a span
that cuts a word is expanded to the word's edges (``alignment_mode="expand"``).
English uses ``spacy.blank("en")``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .annotate import LABELS, locate
from .errors import UsageError
from .gold import read_gold_documents

SPANS_KEY = "sc"


@dataclass
class DocBinReport:
    """What went into the DocBin."""

    out: str
    docs: int = 0
    spans: int = 0
    expanded: int = 0
    missing_docs: list[str] = field(default_factory=list)
    unlocated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line per fact worth knowing, for the terminal."""
        lines = [f"{self.docs} documents, {self.spans} spans -> {self.out}"]
        if self.expanded:
            lines.append(f"  {self.expanded} spans expanded to token edges")
        if self.missing_docs:
            lines.append(f"  {len(self.missing_docs)} gold documents not in the documents table: "
                         + ", ".join(self.missing_docs))
        lines += [f"  not found in the text: {u}" for u in self.unlocated]
        return "\n".join(lines)


def _nlp(lang: str, segmenter: str):
    import spacy

    if lang == "zh" and segmenter == "jieba":
        return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    return spacy.blank("zh" if lang == "zh" else "en")


def _lang_of(text: str, lang: str | None) -> str:
    if lang in ("zh", "en"):
        return lang
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return "zh" if cjk > len(text) * 0.1 else "en"


def gold_offsets(row: dict[str, Any], name: str, text: str, near: int = 0) -> tuple[int, int] | None:
    """The span of a gold row's ``actor``/``duty``/``deadline``: its offsets if right, else found in the text.

    Args:
        row: a gold record.
        name: ``actor``, ``duty`` or ``deadline``.
        text: the document text.
        near: where to look first when the string occurs several times.
    """
    value = row.get(name) or ""
    if not value.strip():
        return None
    s, e = row.get(f"{name}_start"), row.get(f"{name}_end")
    if isinstance(s, int) and isinstance(e, int) and text[s:e] == value:
        return s, e
    i = locate(text, value, near=near)
    return None if i is None else (i, i + len(value))


def export_docbin(gold_dir: Path, documents_parquet: Path, out: Path, *, segmenter: str = "char") -> DocBinReport:
    """Write the gold documents as a spaCy ``DocBin`` with ``doc.spans["sc"]``.

    Args:
        gold_dir: the gold folder (``*.gold.jsonl``) or one gold file.
        documents_parquet: the documents table holding each document's cleaned text and language.
        out: the ``.spacy`` file to write.
        segmenter: for Chinese, ``char`` (one token per character) or ``jieba``.
    """
    import pyarrow.parquet as pq
    from spacy.tokens import DocBin

    if segmenter not in ("char", "jieba"):
        raise UsageError(f"unknown segmenter {segmenter!r}", hint="use char or jieba")
    documents_parquet = Path(documents_parquet)
    if not documents_parquet.exists():
        raise UsageError(f"documents table not found: {documents_parquet}")
    docs = {r["doc_id"]: r for r in
            pq.read_table(documents_parquet, columns=["doc_id", "lang", "text"]).to_pylist()}
    gold = read_gold_documents(Path(gold_dir))
    report = DocBinReport(out=str(out))
    nlps: dict[str, Any] = {}
    docbin = DocBin(store_user_data=True)
    for doc_id, rows in sorted(gold.items()):
        if doc_id not in docs or not docs[doc_id]["text"]:
            report.missing_docs.append(doc_id)
            continue
        text = docs[doc_id]["text"]
        lang = _lang_of(text, docs[doc_id]["lang"])
        nlp = nlps.setdefault(lang, _nlp(lang, segmenter))
        doc = nlp.make_doc(text)
        chosen: dict[tuple[str, int, int], Any] = {}
        obligations = []
        for row in rows:
            duty = gold_offsets(row, "duty", text)
            actor = gold_offsets(row, "actor", text, near=duty[0] if duty else 0)
            deadline = gold_offsets(row, "deadline", text, near=duty[1] if duty else 0)
            for label, where in (("ACTOR", actor), ("DUTY", duty), ("DEADLINE", deadline)):
                name = label.lower()
                if where is None:
                    if (row.get(name) or "").strip():
                        report.unlocated.append(f"{doc_id}: {label} {row[name][:40]!r}")
                    continue
                if (label, *where) not in chosen:
                    span = doc.char_span(where[0], where[1], label=label, alignment_mode="expand")
                    if span is None:
                        report.unlocated.append(f"{doc_id}: {label} at {where[0]}-{where[1]} (no tokens)")
                        continue
                    report.expanded += (span.start_char, span.end_char) != where
                    chosen[(label, *where)] = span
            if actor and duty:
                obligations.append({"actor": list(actor), "role": row["role"], "duty": list(duty),
                                    "deadline": list(deadline) if deadline else None})
        spans = sorted(chosen.values(), key=lambda s: (s.start_char, s.end_char, LABELS.index(s.label_)))
        doc.spans[SPANS_KEY] = spans
        doc.user_data["doc_id"] = doc_id
        doc.user_data["obligations"] = obligations
        docbin.add(doc)
        report.docs += 1
        report.spans += len(spans)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    docbin.to_disk(tmp)
    tmp.replace(out)
    return report

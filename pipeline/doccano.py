"""doccano JSONL, both ways: the extractions out for correction, the corrections back as gold.

One line per document: ``{"doc_id", "text", "entities": [{"id", "label",
"start_offset", "end_offset"}], "relations": [{"id", "from_id", "to_id",
"type"}]}`` — doccano's format for a "sequence labeling with relations"
project, plus ``doc_id`` (kept by doccano as metadata).  Labels and relation
types are those of Label Studio (``pipeline.annotate``): ACTOR/DUTY/DEADLINE
entities, ACTOR→DUTY relations typed with the role, DUTY→DEADLINE typed
``due``.  Validation, the choice among annotations and the atomic writing
are shared with the Label Studio importer.

doccano's JSONL carries no span text, so offsets are taken as code points
(Python ``str`` indices) and cannot be checked for UTF-16 shifts; they are
checked against the text's length and, with ``documents``, the text itself
against ``documents.text``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .annotate import (
    LABELS, AnnotationFileError, DocIdError, ImportReport, LabelError, Parsed, RelationItem, SpanItem,
    atomic_write_text, check_doc_id, check_documents, check_span, load_graphs, read_export,
    rows_from_graph, write_gold,
)

SOURCE = "doccano"


def record_of(graph) -> dict[str, Any]:
    """One doccano JSONL record for a document graph (entity ids are 1-based integers).

    Args:
        graph: a :class:`pipeline.annotate.Graph`.
    """
    ids = {s.id: n for n, s in enumerate(graph.spans, start=1)}
    return {
        "doc_id": graph.doc_id,
        "text": graph.text,
        "entities": [{"id": ids[s.id], "label": s.label, "start_offset": s.start, "end_offset": s.end}
                     for s in graph.spans],
        "relations": [{"id": n, "from_id": ids[r.from_id], "to_id": ids[r.to_id], "type": r.label}
                      for n, r in enumerate(graph.relations, start=1)],
    }


def export_doccano(tables_dir: Path, out: Path, *, only_below: float | None = None,
                   sample: int | None = None, seed: int = 0) -> int:
    """Write the extractions as doccano JSONL (one document a line); return the number of documents.

    Args:
        tables_dir: the tables (``documents.parquet`` and ``obligations.parquet``).
        out: the ``.jsonl`` file to write.
        only_below: only documents whose lowest obligation confidence is under this
            (a document without obligations counts as 0).
        sample: only a seeded random sample of this many documents.
        seed: the sample's random seed.
    """
    graphs = load_graphs(tables_dir, only_below=only_below, sample=sample, seed=seed)
    lines = [json.dumps(record_of(g), ensure_ascii=False) for g in graphs]
    atomic_write_text(Path(out), "".join(line + "\n" for line in lines))
    return len(graphs)


def _parse_record(obj: Any, *, path: str, line: int, annotator: str) -> Parsed:
    where = "record"
    if not isinstance(obj, dict):
        raise AnnotationFileError(f"{where}: expected a JSON object", path=path, line=line)
    doc_id = check_doc_id(obj.get("doc_id"), path=path, where=where, line=line)
    where = f"doc_id {doc_id!r}"
    text = obj.get("text")
    if not isinstance(text, str):
        raise AnnotationFileError(f"{where}: 'text' is missing", path=path, line=line)
    entities, relations = obj.get("entities", []), obj.get("relations", [])
    if not isinstance(entities, list) or not isinstance(relations, list):
        raise AnnotationFileError(f"{where}: 'entities' and 'relations' must be lists", path=path, line=line,
                                  hint="export the project as JSONL (relation) from doccano")
    spans: dict[str, SpanItem] = {}
    for n, ent in enumerate(entities, start=1):
        ewhere = f"{where}, entity {n}"
        if not isinstance(ent, dict):
            raise AnnotationFileError(f"{ewhere}: expected an object", path=path, line=line)
        if ent.get("label") not in LABELS:
            raise LabelError(f"{ewhere}: unknown label {ent.get('label')!r}", path=path, line=line,
                             hint="the project's labels are " + ", ".join(LABELS))
        sid = str(ent.get("id"))
        if sid in spans:
            raise AnnotationFileError(f"{ewhere}: two entities share the id {sid}", path=path, line=line)
        s, e, _ = check_span(text, ent.get("start_offset"), ent.get("end_offset"), None, path=path,
                             where=ewhere, line=line)
        spans[sid] = SpanItem(sid, ent["label"], s, e)
    rels = []
    for rel in relations:
        if not isinstance(rel, dict):
            raise AnnotationFileError(f"{where}: a relation must be an object", path=path, line=line)
        rels.append(RelationItem(str(rel.get("from_id")), str(rel.get("to_id")), str(rel.get("type"))))
    rows, unlinked = rows_from_graph(doc_id, text, spans, rels, path=path, where=where, line=line)
    return Parsed(doc_id, text, rows, annotator, None, where, unlinked=unlinked)


def import_doccano(path: Path, into: Path, *, documents: Path | None = None,
                   annotator: str = "doccano") -> ImportReport:
    """Import doccano JSONL into the gold folder, validated and atomic like the Label Studio import.

    Args:
        path: doccano's JSONL export (one document a line, with ``doc_id``).
        into: the gold directory.
        documents: a ``documents.parquet``; when given, each text must be the document's cleaned text.
        annotator: recorded as each row's ``annotator`` (doccano's export does not say who).
    """
    path = Path(path)
    raw = read_export(path)
    report = ImportReport(source=str(path))
    parsed: list[Parsed] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AnnotationFileError(f"invalid JSON: {exc.msg} (column {exc.colno})", path=str(path), line=n,
                                      hint="each line must be one complete JSON object; "
                                           "a cut-off last line means an interrupted download") from None
        p = _parse_record(obj, path=str(path), line=n, annotator=annotator)
        if p.doc_id in seen:
            raise DocIdError(f"doc_id {p.doc_id!r} appears on lines {seen[p.doc_id]} and {n}", path=str(path),
                             line=n, hint="keep one line per document")
        seen[p.doc_id] = n
        report.tasks += 1
        parsed.append(p)
    if documents is not None:
        check_documents(parsed, Path(documents))
    return write_gold(parsed, Path(into), report, source=SOURCE)

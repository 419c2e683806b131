"""Annotators correct extractions; their corrections come back as gold.

Export: one Label Studio task per document, pre-annotated with the
extracted obligations (:func:`export_tasks`).  Import: Label Studio's JSON
export back into ``annotations/gold/<doc_id>.gold.jsonl``
(:func:`import_annotations`).  ``pipeline.doccano`` shares the graph model,
the validation and the writing defined here.

The graph of one document: span items labelled ``ACTOR``, ``DUTY`` or
``DEADLINE``, relations ACTOR→DUTY labelled with the role and DUTY→DEADLINE
labelled ``due``.  One ACTOR→DUTY relation is one obligation row; a span that
several rows share (one duty, three actors) is one span item.

Offsets: Label Studio's ``Text`` tag stores ``start``/``end`` in Unicode code
points (its editor tests "Should calculate offsets by code points in text"),
which is what Python's ``str`` indexes, so exported offsets are the
``documents.text`` offsets unchanged.  Older Label Studio versions and other
JavaScript tools counted UTF-16 code units, which puts every span after a
character outside the BMP (e.g. 𠀋, U+2000B) one unit late per such
character; on import, a span whose ``value.text`` does not match its
code-point slice but matches its UTF-16 slice is converted (and counted in
the report).

Choices (documented in ``--help`` too):

* ``only_below=X`` exports the documents whose *lowest* obligation
  confidence is under X, i.e. any row that needs a look.  A document with no
  extracted obligation counts as confidence 0: the extractor may have missed
  everything in it.  The prediction's ``score`` is that lowest confidence,
  so Label Studio's "uncertainty" sampling shows the weakest documents first.
* Several annotations of one document: cancelled (skipped) annotations are
  ignored; per annotator only the newest (``updated_at``, else
  ``created_at``) counts; of the remaining annotators the one marked
  ``ground_truth`` wins, else the most recent.  When annotators' rows differ
  the document is listed in :attr:`ImportReport.disagreements`: nothing is
  merged silently.
* An existing gold file of a document the export annotates is replaced (and
  listed in :attr:`ImportReport.replaced`) unless its own ``annotated_at`` is
  newer than the annotation's (then it is kept and listed as ``stale``).
  Documents the export does not annotate are left alone.
"""
from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import logging
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import __version__
from .errors import AnnotationError, UsageError
from .gold import GOLD_SUFFIX, read_gold_file, validate_record
from .schemas import ROLES

logger = logging.getLogger(__name__)

LABELS = ("ACTOR", "DUTY", "DEADLINE")
DUE = "due"
RELATION_LABELS = (*ROLES, DUE)
FROM_NAME, TO_NAME = "label", "text"
SOURCE = "label-studio"
CONFIG_FILE = "labeling_config.xml"
GOLD_FIELDS = ("doc_id", "actor", "role", "duty", "deadline",
               "actor_start", "actor_end", "duty_start", "duty_end", "deadline_start", "deadline_end",
               "start", "end", "annotator", "annotated_at", "source")

LABELING_CONFIG = """\
<View>
  <Header value="$doc_id"/>
  <Relations>
    <Relation value="lead"/>
    <Relation value="cooperate"/>
    <Relation value="responsible"/>
    <Relation value="due"/>
  </Relations>
  <Labels name="label" toName="text">
    <Label value="ACTOR" background="#1f77b4"/>
    <Label value="DUTY" background="#2ca02c"/>
    <Label value="DEADLINE" background="#ff7f0e"/>
  </Labels>
  <Style>.htx-text { white-space: pre-wrap; }</Style>
  <Text name="text" value="$text" granularity="symbol"/>
</View>
"""


class AnnotationFileError(AnnotationError):
    """The export cannot be read: not JSON (e.g. truncated), or not the expected structure."""

    code = "E301"


class SpanError(AnnotationError):
    """A span lies outside the text, is empty, or its ``text`` differs from the text it covers."""

    code = "E302"


class LabelError(AnnotationError):
    """A span or relation label the labeling config does not define."""

    code = "E303"


class RelationError(AnnotationError):
    """A relation names a span that does not exist, or links the wrong kinds of span."""

    code = "E304"


class TextMismatch(AnnotationError):
    """The task's text is not the document's cleaned text (``documents.text``)."""

    code = "E305"


class DocIdError(AnnotationError):
    """A task without a usable ``doc_id``, or one unknown to ``documents.parquet``."""

    code = "E306"


class GoldLocked(AnnotationError):
    """Another import is writing the same gold folder (its lock file is held)."""

    code = "E307"


LOCK_NAME = ".import.lock"
# Seconds an import waits for another import into the same gold folder
# (``OBLIGATIONS_LOCK_TIMEOUT`` overrides it).
LOCK_TIMEOUT = float(os.environ.get("OBLIGATIONS_LOCK_TIMEOUT", "120"))


def _gold_locked(lock: str, pid: int | None, waited: float) -> GoldLocked:
    """The error of an import that waited too long for the gold folder's lock.

    Args:
        lock: the lock file.
        pid: the holder's process id, if it could be read.
        waited: how many seconds the import waited.
    """
    who = f"process {pid}" if pid else "another process"
    return GoldLocked(f"another import ({who}) is writing this gold folder; waited {waited:g} s",
                      path=lock, hint="run the imports one after the other, or wait and retry; if "
                                      f"{who} is not running any more, delete the lock file")


# ---------------------------------------------------------------------------
# The document graph, shared by Label Studio and doccano


@dataclass(frozen=True)
class SpanItem:
    """A labelled span; offsets are code points into the document text."""

    id: str
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class RelationItem:
    """A relation between two span ids, with its one label (a role or ``due``)."""

    from_id: str
    to_id: str
    label: str


@dataclass
class Graph:
    """The spans and relations of one document, ready to be rendered for a tool."""

    doc_id: str
    text: str
    spans: list[SpanItem]
    relations: list[RelationItem]
    score: float | None = None
    skipped_rows: int = 0


def utf16_to_index(text: str, unit: int) -> int | None:
    """The code-point index of a UTF-16 offset into ``text``, or None if it splits a surrogate pair.

    Args:
        text: the document text.
        unit: an offset counted in UTF-16 code units (as JavaScript's ``String.length``).
    """
    starts = _utf16_starts(text)
    i = bisect.bisect_left(starts, unit)
    return i if i < len(starts) and starts[i] == unit else None


def index_to_utf16(text: str, index: int) -> int:
    """The UTF-16 offset of a code-point index into ``text``.

    Args:
        text: the document text.
        index: a Python ``str`` index (0..len(text)).
    """
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


def _utf16_starts(text: str) -> list[int]:
    starts, pos = [], 0
    for ch in text:
        starts.append(pos)
        pos += 2 if ord(ch) > 0xFFFF else 1
    starts.append(pos)
    return starts


def locate(text: str, value: str, near: int = 0, lo: int | None = None, hi: int | None = None) -> int | None:
    """Where ``value`` occurs in ``text``: inside ``[lo, hi)`` if it does, else the occurrence nearest ``near``.

    Args:
        text: the document text.
        value: the string to find (an actor, duty or deadline as extracted).
        near: the offset to be close to when searching the whole text.
        lo: start of the preferred window (the row's evidence), or None.
        hi: end of the preferred window, or None.
    """
    if not value:
        return None
    if lo is not None and hi is not None:
        i = text.find(value, lo, hi)
        if i >= 0:
            return i
    best, i = None, text.find(value)
    while i >= 0:
        if best is None or abs(i - near) < abs(best - near):
            best = i
        i = text.find(value, i + 1)
    return best


def _offsets(row: dict[str, Any], name: str, text: str) -> tuple[int, int] | None:
    """The span of ``row[name]``: its offset columns when present and right, else found in the text."""
    value = row.get(name) or ""
    if not value.strip():
        return None
    s, e = row.get(f"{name}_start"), row.get(f"{name}_end")
    if isinstance(s, int) and isinstance(e, int) and text[s:e] == value:
        return s, e
    lo, hi = row.get("start"), row.get("end")
    near = lo if isinstance(lo, int) else 0
    i = locate(text, value, near=near, lo=lo if isinstance(lo, int) else None,
               hi=hi if isinstance(hi, int) else None)
    return None if i is None else (i, i + len(value))


def build_graph(doc_id: str, text: str, rows: Iterable[dict[str, Any]]) -> Graph:
    """The span/relation graph of one document's obligation rows.

    Args:
        doc_id: the document id.
        text: the document's cleaned text (``documents.text``).
        rows: its obligations-table rows (``actor``, ``role``, ``duty``, ``deadline``,
            ``start``/``end`` and, when present, ``actor_start`` … ``deadline_end``).
    """
    rows = sorted(rows, key=lambda r: (r.get("start") or 0, str(r.get("obligation_id") or "")))
    ids: dict[tuple[str, int, int], str] = {}
    spans: list[SpanItem] = []
    relations: list[RelationItem] = []
    seen_rel: set[tuple[str, str, str]] = set()
    skipped = 0

    def span(label: str, where: tuple[int, int]) -> str:
        key = (label, *where)
        if key not in ids:
            ids[key] = f"{label.lower()}-{sum(1 for k in ids if k[0] == label) + 1}"
            spans.append(SpanItem(ids[key], label, *where))
        return ids[key]

    def relate(a: str, b: str, label: str) -> None:
        if (a, b, label) not in seen_rel:
            seen_rel.add((a, b, label))
            relations.append(RelationItem(a, b, label))

    confidences = []
    for row in rows:
        if row.get("confidence") is not None:
            confidences.append(float(row["confidence"]))
        actor, duty = _offsets(row, "actor", text), _offsets(row, "duty", text)
        if actor is None or duty is None or row.get("role") not in ROLES:
            skipped += 1  # not in the text: nothing an annotator could see or correct
            continue
        duty_id = span("DUTY", duty)
        relate(span("ACTOR", actor), duty_id, row["role"])
        deadline = _offsets(row, "deadline", text)
        if deadline is not None:
            relate(duty_id, span("DEADLINE", deadline), DUE)
    score = min(confidences) if confidences else None
    return Graph(doc_id, text, spans, relations, score=score, skipped_rows=skipped)


def load_graphs(tables_dir: Path, *, only_below: float | None = None, sample: int | None = None,
                seed: int = 0) -> list[Graph]:
    """The graphs of the documents of a tables directory, filtered and sampled.

    Args:
        tables_dir: holds ``documents.parquet`` and ``obligations.parquet``.
        only_below: keep documents whose lowest obligation confidence is under this
            (a document without obligations counts as 0); None keeps all.
        sample: keep a seeded random sample of this many documents; None keeps all.
        seed: the random seed of the sample.
    """
    import pyarrow.parquet as pq

    tables_dir = Path(tables_dir)
    for name in ("documents", "obligations"):
        if not (tables_dir / f"{name}.parquet").exists():
            raise UsageError(f"{name}.parquet not found in {tables_dir}",
                             hint="pass the --out folder of `obligations extract` as --tables")
    docs = pq.read_table(tables_dir / "documents.parquet", columns=["doc_id", "text", "status"]).to_pylist()
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for r in pq.read_table(tables_dir / "obligations.parquet").to_pylist():
        by_doc.setdefault(r["doc_id"], []).append(r)
    graphs = []
    for d in docs:
        if d["status"] != "ok" or not d["text"]:
            continue
        g = build_graph(d["doc_id"], d["text"], by_doc.get(d["doc_id"], []))
        if only_below is not None and (g.score if g.score is not None else 0.0) >= only_below:
            continue
        graphs.append(g)
    if sample is not None:
        if sample < 0:
            raise UsageError(f"--sample must be positive, got {sample}")
        keep = set(random.Random(seed).sample(range(len(graphs)), min(sample, len(graphs))))
        graphs = [g for i, g in enumerate(graphs) if i in keep]
    return graphs


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename.

    Args:
        path: the file to write.
        text: its whole content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# ---------------------------------------------------------------------------
# Label Studio export


def task_of(graph: Graph) -> dict[str, Any]:
    """One Label Studio task (``data`` + ``predictions``) for a document graph.

    Args:
        graph: from :func:`build_graph`.
    """
    result: list[dict[str, Any]] = [
        {"id": s.id, "type": "labels", "from_name": FROM_NAME, "to_name": TO_NAME, "origin": "prediction",
         "value": {"start": s.start, "end": s.end, "text": graph.text[s.start:s.end], "labels": [s.label]}}
        for s in graph.spans]
    result += [{"type": "relation", "from_id": r.from_id, "to_id": r.to_id, "direction": "right",
                "labels": [r.label]} for r in graph.relations]
    prediction = {"model_version": f"policy-obligations {__version__}", "result": result}
    if graph.score is not None:
        prediction["score"] = round(graph.score, 4)
    return {"data": {"doc_id": graph.doc_id, "text": graph.text}, "predictions": [prediction]}


def export_tasks(tables_dir: Path, out: Path, *, only_below: float | None = None,
                 sample: int | None = None, seed: int = 0) -> int:
    """Write Label Studio tasks (one per document, pre-annotated) as a JSON list; return their number.

    Args:
        tables_dir: the tables (``documents.parquet`` and ``obligations.parquet``).
        out: the JSON file to write (Label Studio: Import → Upload Files).
        only_below: only documents whose lowest obligation confidence is under this;
            a document without obligations counts as 0.
        sample: only a seeded random sample of this many documents.
        seed: the sample's random seed.
    """
    graphs = load_graphs(tables_dir, only_below=only_below, sample=sample, seed=seed)
    tasks = [task_of(g) for g in graphs]
    skipped = sum(g.skipped_rows for g in graphs)
    if skipped:
        logger.warning("%d obligation rows not exported: their actor or duty is not in the text", skipped)
    atomic_write_text(Path(out), json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    return len(tasks)


def write_labeling_config(out: Path) -> Path:
    """Write the labeling config (``<View>`` with the Labels, Relations and Text tags).

    Args:
        out: the file to write, or a directory to write ``labeling_config.xml`` into.
    """
    out = Path(out)
    if out.is_dir():
        out = out / CONFIG_FILE
    atomic_write_text(out, LABELING_CONFIG)
    return out


# ---------------------------------------------------------------------------
# Validation shared by the importers


@dataclass
class Parsed:
    """One validated annotation of one document: its gold rows and provenance."""

    doc_id: str
    text: str
    rows: list[dict[str, Any]]
    annotator: str
    annotated_at: str | None
    where: str
    ground_truth: bool = False
    unlinked: int = 0


def check_span(text: str, start: Any, end: Any, quoted: Any, *, path: str, where: str,
               line: int | None = None) -> tuple[int, int, bool]:
    """Validated code-point offsets of a span, converting UTF-16 offsets when they are what matches.

    Returns ``(start, end, converted)``.

    Args:
        text: the document text.
        start: the span's ``start`` as found in the file.
        end: its ``end``.
        quoted: the span's ``text`` as found in the file (None when the tool did not save it).
        path: the file, for errors.
        where: the task/annotation/item, for errors.
        line: the line of the file (JSONL formats), for errors.
    """
    for name, v in (("start", start), ("end", end)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise SpanError(f"{where}: {name} must be an integer, got {v!r}", path=path, line=line,
                            hint="re-export from the annotation tool; do not edit offsets by hand")
    if quoted is not None and not isinstance(quoted, str):
        raise SpanError(f"{where}: text must be a string, got {quoted!r}", path=path, line=line)
    if 0 <= start < end <= len(text) and (quoted is None or text[start:end] == quoted):
        if not text[start:end].strip():
            raise SpanError(f"{where}: the span {start}-{end} covers only white space", path=path, line=line,
                            hint="delete the span or extend it over the words")
        return start, end, False
    if quoted is not None:
        s16, e16 = utf16_to_index(text, start), utf16_to_index(text, end)
        if s16 is not None and e16 is not None and s16 < e16 and text[s16:e16] == quoted:
            return s16, e16, True
    if not 0 <= start < end <= len(text):
        raise SpanError(f"{where}: span {start}-{end} is outside the text (length {len(text)})",
                        path=path, line=line, hint="was the task's text changed after annotation? re-export the tasks")
    raise SpanError(f"{where}: span {start}-{end} has text {quoted!r} but the document has "
                    f"{text[start:end]!r} there", path=path, line=line,
                    hint="the offsets and the text disagree: re-annotate the span in the tool")


def check_doc_id(doc_id: Any, *, path: str, where: str, line: int | None = None) -> str:
    """A task's ``doc_id``, checked to be a safe relative name for a gold file.

    Args:
        doc_id: the value found in the task's data.
        path: the file, for errors.
        where: the task, for errors.
        line: the line of the file (JSONL formats), for errors.
    """
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise DocIdError(f"{where}: doc_id is missing or not a string ({doc_id!r})", path=path, line=line,
                         hint="import the tasks written by `obligations export-tasks`, which carry doc_id")
    parts = doc_id.replace("\\", "/").split("/")
    if doc_id.startswith("/") or "\\" in doc_id or any(p in ("", ".", "..") for p in parts):
        raise DocIdError(f"{where}: doc_id {doc_id!r} is not a relative document name", path=path, line=line)
    return doc_id


def rows_from_graph(doc_id: str, text: str, spans: dict[str, SpanItem], relations: list[RelationItem],
                    *, path: str, where: str, line: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """The gold rows (one per ACTOR→DUTY relation) of a validated graph, and the number of unlinked spans.

    Args:
        doc_id: the document id.
        text: the document text.
        spans: span items by id (labels already checked).
        relations: the relations (labels not yet checked).
        path: the file, for errors.
        where: the annotation, for errors.
        line: the line of the file (JSONL formats), for errors.
    """
    # A relation's direction is not used: the labels of its two spans say which end is the actor.
    roles: dict[tuple[str, str], str] = {}
    due: dict[str, str] = {}
    linked: set[str] = set()
    for n, rel in enumerate(relations):
        rwhere = f"{where}, relation {n + 1} ({rel.from_id} -> {rel.to_id})"
        for end in (rel.from_id, rel.to_id):
            if end not in spans:
                raise RelationError(f"{rwhere}: no span with id {end!r}", path=path, line=line,
                                    hint="the relation points at a deleted span: delete or redraw it")
        if rel.label not in RELATION_LABELS:
            raise LabelError(f"{rwhere}: unknown relation label {rel.label!r}", path=path, line=line,
                             hint="label relations with one of " + ", ".join(RELATION_LABELS))
        a, b = spans[rel.from_id], spans[rel.to_id]
        kinds = {a.label: a, b.label: b}
        if rel.label == DUE:
            if set(kinds) != {"DUTY", "DEADLINE"}:
                raise RelationError(f"{rwhere}: 'due' links {a.label} and {b.label}", path=path, line=line,
                                    hint="'due' goes from a DUTY to its DEADLINE")
            duty, deadline = kinds["DUTY"].id, kinds["DEADLINE"].id
            if due.get(duty, deadline) != deadline:
                raise RelationError(f"{rwhere}: the DUTY {text[kinds['DUTY'].start:kinds['DUTY'].end]!r} "
                                    "has two deadlines", path=path, line=line,
                                    hint="keep one 'due' relation per duty (split the duty if it has two)")
            due[duty] = deadline
        else:
            if set(kinds) != {"ACTOR", "DUTY"}:
                raise RelationError(f"{rwhere}: role {rel.label!r} links {a.label} and {b.label}", path=path, line=line,
                                    hint="a role relation goes from an ACTOR to a DUTY")
            key = (kinds["ACTOR"].id, kinds["DUTY"].id)
            if roles.get(key, rel.label) != rel.label:
                raise RelationError(f"{rwhere}: the actor has two roles ({roles[key]}, {rel.label}) "
                                    "for one duty", path=path, line=line, hint="keep one role relation")
            roles[key] = rel.label
        linked.update((rel.from_id, rel.to_id))
    rows = []
    for (actor_id, duty_id), role in roles.items():
        a, d = spans[actor_id], spans[duty_id]
        t = spans[due[duty_id]] if duty_id in due else None
        ends = [a.start, a.end, d.start, d.end] + ([t.start, t.end] if t else [])
        rows.append({
            "doc_id": doc_id, "actor": text[a.start:a.end], "role": role, "duty": text[d.start:d.end],
            "deadline": text[t.start:t.end] if t else "",
            "actor_start": a.start, "actor_end": a.end, "duty_start": d.start, "duty_end": d.end,
            "deadline_start": t.start if t else None, "deadline_end": t.end if t else None,
            "start": min(ends), "end": max(ends),
        })
    rows.sort(key=lambda r: (r["duty_start"], r["duty_end"], r["actor_start"], r["actor_end"], r["role"]))
    unlinked = sum(1 for s in spans.values() if s.id not in linked)
    return rows, unlinked


def _row_key(row: dict[str, Any]) -> tuple:
    return (row["actor_start"], row["actor_end"], row["role"], row["duty_start"], row["duty_end"],
            row["deadline_start"], row["deadline_end"])


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _newest_key(p: Parsed) -> tuple:
    return (_time(p.annotated_at) or dt.datetime.min.replace(tzinfo=dt.timezone.utc), p.where)


# ---------------------------------------------------------------------------
# Choosing among annotations and writing gold


@dataclass
class Disagreement:
    """Two or more annotators produced different rows for one document."""

    doc_id: str
    annotators: list[str]
    kept: str
    rows: dict[str, int]

    def __str__(self) -> str:
        counts = ", ".join(f"{a}: {n} rows" for a, n in self.rows.items())
        return f"{self.doc_id}: annotators disagree ({counts}); kept {self.kept}"


@dataclass
class ImportReport:
    """What an import did, document by document."""

    source: str
    tasks: int = 0
    annotations: int = 0
    rows: int = 0
    written: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    not_annotated: list[str] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    utf16_converted: int = 0

    def summary(self) -> str:
        """A few lines for the terminal: counts, then every disagreement and warning."""
        lines = [f"{self.source}: {self.tasks} tasks, {self.annotations} annotations used; "
                 f"{len(self.written)} gold files written ({len(self.replaced)} replaced), "
                 f"{len(self.unchanged)} unchanged, {len(self.stale)} kept (newer gold), "
                 f"{len(self.not_annotated)} tasks without annotation; {self.rows} rows"]
        if self.utf16_converted:
            lines.append(f"  {self.utf16_converted} spans had UTF-16 offsets and were converted")
        lines += [f"  replaced: {d}" for d in self.replaced]
        lines += [f"  kept newer gold: {d}" for d in self.stale]
        lines += [f"  DISAGREEMENT {d}" for d in self.disagreements]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def choose(parsed: list[Parsed]) -> tuple[Parsed, Disagreement | None]:
    """The annotation to keep for one document, and the disagreement if annotators differ.

    Per annotator the newest annotation counts; of those, one marked ground truth
    wins, else the most recent.

    Args:
        parsed: the validated, non-cancelled annotations of one document.
    """
    newest: dict[str, Parsed] = {}
    for p in parsed:
        if p.annotator not in newest or _newest_key(p) >= _newest_key(newest[p.annotator]):
            newest[p.annotator] = p
    candidates = list(newest.values())
    kept = max(candidates, key=lambda p: (p.ground_truth, _newest_key(p)))
    keys = {a: frozenset(_row_key(r) for r in p.rows) for a, p in newest.items()}
    if len(set(keys.values())) > 1:
        return kept, Disagreement(kept.doc_id, sorted(newest), kept.annotator,
                                  {a: len(p.rows) for a, p in sorted(newest.items())})
    return kept, None


def render_gold(p: Parsed, source: str) -> str:
    """The content of a gold file: one JSON object a line, fields in :data:`GOLD_FIELDS` order.

    Args:
        p: the chosen annotation.
        source: ``label-studio`` or ``doccano``.
    """
    lines = []
    for n, row in enumerate(p.rows, start=1):
        rec = {**row, "annotator": p.annotator, "annotated_at": p.annotated_at, "source": source}
        validate_record(rec, p.where, n)  # the gold reader must accept what we write
        lines.append(json.dumps({k: rec[k] for k in GOLD_FIELDS}, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def check_documents(parsed: Iterable[Parsed], documents: Path) -> None:
    """Check that each annotated task's text is its document's cleaned text.

    Args:
        parsed: the validated annotations.
        documents: a ``documents.parquet``.
    """
    import pyarrow.parquet as pq

    documents = Path(documents)
    if not documents.exists():
        raise UsageError(f"documents table not found: {documents}",
                         hint="pass the documents.parquet of the tables the tasks were exported from")
    texts = {r["doc_id"]: r["text"] for r in pq.read_table(documents, columns=["doc_id", "text"]).to_pylist()}
    for p in parsed:
        if p.doc_id not in texts:
            raise DocIdError(f"{p.where}: doc_id {p.doc_id!r} is not in {documents}",
                             hint="were the tasks exported from other tables? pass the right --documents")
        if texts[p.doc_id] != p.text:
            want = texts[p.doc_id] or ""
            i = next((k for k, (a, b) in enumerate(zip(want, p.text)) if a != b), min(len(want), len(p.text)))
            raise TextMismatch(
                f"{p.where}: the task's text differs from documents.text of {p.doc_id!r} at character {i} "
                f"(task {p.text[i:i + 20]!r}, document {want[i:i + 20]!r})",
                hint="the document was re-ingested since the export: export the tasks again and re-annotate, "
                     "or import without --documents to keep the offsets of the old text")


def write_gold(parsed: list[Parsed], into: Path, report: ImportReport, *, source: str,
               lock_timeout: float | None = None) -> ImportReport:
    """Choose one annotation per document and write the gold files atomically.

    Every file is rendered and checked before anything is written; then each is
    written to a temporary file beside its target, and only then are they all
    renamed into place.  The whole read-compare-write step holds the gold
    folder's lock (``<into>/.import.lock``), so two imports at once never
    interleave and neither loses the other's files.

    Args:
        parsed: every validated annotation of the export.
        into: the gold directory (``annotations/gold``).
        report: the report to fill in.
        source: ``label-studio`` or ``doccano``, recorded in each row.
        lock_timeout: seconds to wait for another import's lock (default
            :data:`LOCK_TIMEOUT`).

    Raises:
        GoldLocked: another import held the lock for ``lock_timeout`` seconds.
    """
    from .locks import folder_lock

    into = Path(into)
    if into.exists() and not into.is_dir():
        raise UsageError(f"--into must be a directory: {into}")
    timeout = LOCK_TIMEOUT if lock_timeout is None else lock_timeout
    with folder_lock(into / LOCK_NAME, timeout=timeout,
                     error=lambda lock, pid: _gold_locked(lock, pid, timeout)):
        return _write_gold_locked(parsed, into, report, source=source)


def _write_gold_locked(parsed: list[Parsed], into: Path, report: ImportReport, *,
                       source: str) -> ImportReport:
    """The body of :func:`write_gold`, run while holding the gold folder's lock.

    Args:
        parsed: every validated annotation of the export.
        into: the gold directory.
        report: the report to fill in.
        source: recorded in each row.
    """
    by_doc: dict[str, list[Parsed]] = {}
    for p in parsed:
        by_doc.setdefault(p.doc_id, []).append(p)
    plan: dict[Path, str] = {}
    for doc_id, annotations in by_doc.items():
        texts = {p.text for p in annotations}
        if len(texts) > 1:
            raise TextMismatch(f"document {doc_id!r} appears in several tasks with different texts "
                               f"({', '.join(p.where for p in annotations)})", path=report.source,
                               hint="import the tasks of one export only")
        kept, disagreement = choose(annotations)
        if disagreement:
            report.disagreements.append(disagreement)
            logger.warning("%s", disagreement)
        if kept.unlinked:
            report.warnings.append(f"{doc_id}: {kept.unlinked} spans without a relation were ignored")
        report.annotations += 1
        target = into / (doc_id + GOLD_SUFFIX)
        content = render_gold(kept, source)
        if target.exists():
            old = target.read_bytes().decode("utf-8-sig")
            if old == content:
                report.unchanged.append(doc_id)
                report.rows += len(kept.rows)
                continue
            old_rows = read_gold_file(target)
            old_time = max((t for t in (_time(r.get("annotated_at")) for r in old_rows) if t), default=None)
            new_time = _time(kept.annotated_at)
            if old_time and new_time and old_time > new_time:
                report.stale.append(doc_id)
                continue
            report.replaced.append(doc_id)
        plan[target] = content
        report.written.append(doc_id)
        report.rows += len(kept.rows)
    _write_all(plan)
    return report


def _write_all(plan: dict[Path, str]) -> None:
    temps: dict[Path, Path] = {}
    try:
        for target, content in plan.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            tmp.write_text(content, encoding="utf-8", newline="\n")
            temps[target] = tmp
        for target, tmp in temps.items():
            os.replace(tmp, target)
    finally:
        for tmp in temps.values():
            if tmp.exists():
                tmp.unlink()


def read_export(path: Path) -> str:
    """The text of an annotation tool's export file (UTF-8, BOM allowed).

    Args:
        path: the file.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"export file not found: {path}")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnnotationFileError(f"not UTF-8 ({exc.reason} at byte {exc.start})", path=str(path),
                                  hint="export again from the annotation tool") from None


def load_json(path: Path) -> Any:
    """Parse a JSON file, turning a syntax error (e.g. a truncated download) into a clear error.

    Args:
        path: the file.
    """
    path = Path(path)
    raw = read_export(path)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(raw.rstrip()) - 1
        raise AnnotationFileError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno} (character {exc.pos} of {len(raw)}): "
            f"{exc.msg}", path=str(path), line=exc.lineno,
            hint=("the file ends early, probably an interrupted download: export it again"
                  if truncated else "the file is damaged: export it again")) from None


# ---------------------------------------------------------------------------
# Label Studio import


def _annotator(ann: dict[str, Any]) -> str:
    who = ann.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or f"label-studio-user-{who.get('id')}")
    if who is None:
        return "unknown"
    return f"label-studio-user-{who}"


def parse_ls_annotation(task: dict[str, Any], ann: dict[str, Any], doc_id: str, text: str, *,
                        path: str, where: str) -> tuple[Parsed, int]:
    """Validate one Label Studio annotation and turn it into gold rows.

    Returns the parsed annotation and the number of spans whose UTF-16 offsets were converted.

    Args:
        task: the task (for its id in messages).
        ann: one item of the task's ``annotations``.
        doc_id: the task's document id.
        text: the task's text.
        path: the export file, for errors.
        where: the task, for errors.
    """
    where = f"{where}, annotation {ann.get('id', '?')}"
    result = ann.get("result")
    if not isinstance(result, list):
        raise AnnotationFileError(f"{where}: 'result' must be a list", path=path,
                                  hint="use Label Studio's JSON export (not JSON-MIN or CSV)")
    spans: dict[str, SpanItem] = {}
    relations: list[RelationItem] = []
    converted = 0
    for n, item in enumerate(result):
        iwhere = f"{where}, result item {n + 1}"
        if not isinstance(item, dict):
            raise AnnotationFileError(f"{iwhere}: expected an object", path=path)
        kind = item.get("type")
        if kind == "labels":
            value = item.get("value") or {}
            labels = value.get("labels")
            iwhere += f" (id {item.get('id')!r})"
            if not isinstance(labels, list) or len(labels) != 1:
                raise LabelError(f"{iwhere}: a span needs exactly one label, got {labels!r}", path=path,
                                 hint="give each span one of " + ", ".join(LABELS))
            if labels[0] not in LABELS:
                raise LabelError(f"{iwhere}: unknown label {labels[0]!r}", path=path,
                                 hint="the labeling config defines " + ", ".join(LABELS))
            sid = item.get("id")
            if not isinstance(sid, str) or not sid:
                raise AnnotationFileError(f"{iwhere}: a span needs an id", path=path)
            if sid in spans:
                raise AnnotationFileError(f"{iwhere}: two spans share the id {sid!r}", path=path)
            s, e, conv = check_span(text, value.get("start"), value.get("end"), value.get("text"),
                                    path=path, where=iwhere)
            converted += conv
            spans[sid] = SpanItem(sid, labels[0], s, e)
        elif kind == "relation":
            labels = item.get("labels") or []
            if len(labels) != 1:
                raise LabelError(f"{iwhere}: a relation needs exactly one label, got {labels!r}", path=path,
                                 hint="label ACTOR→DUTY with the role and DUTY→DEADLINE with 'due'")
            relations.append(RelationItem(str(item.get("from_id")), str(item.get("to_id")), labels[0]))
        else:
            raise AnnotationFileError(f"{iwhere}: unexpected result type {kind!r}", path=path,
                                      hint="annotate with annotations/labeling_config.xml "
                                           "(labels and relations only)")
    rows, unlinked = rows_from_graph(doc_id, text, spans, relations, path=path, where=where)
    parsed = Parsed(doc_id, text, rows, _annotator(ann), ann.get("updated_at") or ann.get("created_at"),
                    where, ground_truth=bool(ann.get("ground_truth")), unlinked=unlinked)
    return parsed, converted


def parse_ls_export(export: Path) -> tuple[list[Parsed], ImportReport]:
    """Validate a whole Label Studio JSON export; nothing is written.

    Args:
        export: the file downloaded from Label Studio (Export → JSON).
    """
    path = str(export)
    data = load_json(Path(export))
    if not isinstance(data, list):
        raise AnnotationFileError(f"expected a list of tasks, got a JSON {type(data).__name__}", path=path,
                                  hint="use Label Studio's JSON export (Export → JSON)")
    report = ImportReport(source=path, tasks=len(data))
    parsed: list[Parsed] = []
    for i, task in enumerate(data):
        where = f"task {i + 1}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise AnnotationFileError(f"{where}: a task must be an object with 'data'", path=path,
                                      hint="use Label Studio's JSON export, not JSON-MIN or CSV")
        where += f" (id {task.get('id', '?')})"
        doc_id = check_doc_id(task["data"].get("doc_id"), path=path, where=where)
        where += f", doc_id {doc_id!r}"
        text = task["data"].get("text")
        if not isinstance(text, str):
            raise AnnotationFileError(f"{where}: data.text is missing", path=path)
        annotations = task.get("annotations", [])
        if not isinstance(annotations, list):
            raise AnnotationFileError(f"{where}: 'annotations' must be a list", path=path)
        used = 0
        for ann in annotations:
            if not isinstance(ann, dict):
                raise AnnotationFileError(f"{where}: an annotation must be an object", path=path)
            p, conv = parse_ls_annotation(task, ann, doc_id, text, path=path, where=where)
            if ann.get("was_cancelled"):
                continue  # skipped by the annotator: validated, but says nothing about the document
            parsed.append(p)
            report.utf16_converted += conv
            used += 1
        if not used:
            report.not_annotated.append(doc_id)
    return parsed, report


def import_annotations(export: Path, into: Path, *, documents: Path | None = None) -> ImportReport:
    """Import a Label Studio JSON export into the gold folder; return what was done.

    Everything is validated before anything is written; on any error ``into``
    is left as it was.  Importing the same export twice changes nothing.

    Args:
        export: Label Studio's JSON export (a list of tasks with ``annotations``).
        into: the gold directory; each annotated document becomes ``<doc_id>.gold.jsonl``.
        documents: a ``documents.parquet``; when given, each task's text must be the
            document's cleaned text.
    """
    parsed, report = parse_ls_export(Path(export))
    if documents is not None:
        check_documents(parsed, Path(documents))
    return write_gold(parsed, Path(into), report, source=SOURCE)


# ---------------------------------------------------------------------------
# Command line


def cmd_export_tasks(args: argparse.Namespace) -> int:
    """``obligations export-tasks``: tasks JSON plus the labeling config beside it.

    Args:
        args: parsed arguments (tables, out, below, sample, seed).
    """
    out = Path(args.out)
    n = export_tasks(Path(args.tables), out, only_below=args.below, sample=args.sample, seed=args.seed)
    config = write_labeling_config(out.parent / CONFIG_FILE)
    print(f"{n} tasks -> {out}; labeling config -> {config}", file=sys.stderr)
    return 0


def cmd_import_annotations(args: argparse.Namespace) -> int:
    """``obligations import-annotations``: a Label Studio or doccano export into the gold folder.

    Args:
        args: parsed arguments (export, into, documents, format).
    """
    documents = Path(args.documents) if args.documents else None
    into = Path(args.into)
    if not list(into.glob("*" + GOLD_SUFFIX)) and (into / "gold").is_dir():
        # `--into annotations/` (as the README says) means its gold folder
        into = into / "gold"
        print(f"writing gold files into {into}", file=sys.stderr)
    if args.format == "doccano":
        from .doccano import import_doccano

        report = import_doccano(Path(args.export), into, documents=documents)
    else:
        report = import_annotations(Path(args.export), into, documents=documents)
    print(report.summary(), file=sys.stderr)
    return 0


def cmd_export_doccano(args: argparse.Namespace) -> int:
    """``obligations export-doccano``: the tables as doccano JSONL.

    Args:
        args: parsed arguments (tables, out, below, sample, seed).
    """
    from .doccano import export_doccano

    n = export_doccano(Path(args.tables), Path(args.out), only_below=args.below, sample=args.sample,
                       seed=args.seed)
    print(f"{n} documents -> {args.out}", file=sys.stderr)
    return 0


def cmd_export_docbin(args: argparse.Namespace) -> int:
    """``obligations export-docbin``: the gold as a spaCy DocBin.

    Args:
        args: parsed arguments (gold, documents, out, segmenter).
    """
    from .docbin import export_docbin

    report = export_docbin(Path(args.gold), Path(args.documents), Path(args.out), segmenter=args.segmenter)
    print(report.summary(), file=sys.stderr)
    return 0


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tables", required=True, metavar="DIR",
                   help="tables folder with documents.parquet and obligations.parquet")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--below", type=float, metavar="X",
                   help="only documents whose lowest obligation confidence is under X "
                        "(documents with no obligation count as 0)")
    p.add_argument("--sample", type=int, metavar="N", help="a random sample of N documents")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the sample (default 0)")


def add_commands(subparsers: Any) -> None:
    """Register ``export-tasks``, ``import-annotations``, ``export-doccano`` and ``export-docbin``.

    Args:
        subparsers: the object returned by ``ArgumentParser.add_subparsers``.
    """
    p = subparsers.add_parser(
        "export-tasks", help="extractions -> Label Studio tasks to correct",
        description="Write one Label Studio task per document, pre-annotated with the extracted "
                    "obligations (ACTOR/DUTY/DEADLINE spans; ACTOR->DUTY relations labelled with the "
                    "role, DUTY->DEADLINE labelled 'due'), and labeling_config.xml beside it.")
    _selection(p)
    p.set_defaults(func=cmd_export_tasks)

    p = subparsers.add_parser(
        "import-annotations", help="Label Studio (or doccano) export -> gold",
        description="Validate an export and write each annotated document's gold file "
                    "(<doc_id>.gold.jsonl). Nothing is written if anything is wrong. Per annotator the "
                    "newest annotation counts; when annotators disagree the ground-truth or else most "
                    "recent annotation is kept and the disagreement is printed. A gold file newer than "
                    "the annotation is kept.")
    p.add_argument("export", metavar="EXPORT", help="Label Studio JSON export (not JSON-MIN), or doccano JSONL")
    p.add_argument("--into", required=True, metavar="DIR", help="the gold folder (annotations/gold)")
    p.add_argument("--documents", metavar="FILE",
                   help="documents.parquet: check that each task's text is the document's cleaned text")
    p.add_argument("--format", choices=["label-studio", "doccano"], default="label-studio")
    p.set_defaults(func=cmd_import_annotations)

    p = subparsers.add_parser("export-doccano", help="extractions -> doccano JSONL (entities + relations)")
    _selection(p)
    p.set_defaults(func=cmd_export_doccano)

    p = subparsers.add_parser("export-docbin", help="gold -> spaCy DocBin with ACTOR/DUTY/DEADLINE spans")
    p.add_argument("--gold", required=True, metavar="DIR", help="the gold folder (annotations/gold)")
    p.add_argument("--documents", required=True, metavar="FILE", help="documents.parquet with the texts")
    p.add_argument("--out", required=True, metavar="FILE", help="the .spacy file to write")
    p.add_argument("--segmenter", choices=["char", "jieba"], default="char",
                   help="Chinese tokens: one per character (spans align exactly; default) or jieba words")
    p.set_defaults(func=cmd_export_docbin)

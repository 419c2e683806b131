"""Reading and validating gold obligations (``*.gold.jsonl``).

A gold file holds one JSON object a line with the fields of
``annotations/SCHEMA.md``: ``doc_id, actor, role, duty, deadline`` (the
required core), optionally the offsets ``start, end, actor_start,
actor_end`` and the provenance ``annotator, annotated_at``.  The document id
of a file is its path relative to the gold directory without
``.gold.jsonl``; every record in it must carry that ``doc_id``, so that a
renamed or mis-merged file cannot be scored against the wrong page.

Every problem raises :class:`~pipeline.errors.AnnotationError` naming the
file and line.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import AnnotationError
from .schemas import ROLES

GOLD_SUFFIX = ".gold.jsonl"
REQUIRED_FIELDS = ("doc_id", "actor", "role", "duty", "deadline")
OFFSET_FIELDS = ("start", "end", "actor_start", "actor_end", "duty_start", "duty_end",
                 "deadline_start", "deadline_end")
PROVENANCE_FIELDS = ("annotator", "annotated_at")
_TEXT_FIELDS = ("doc_id", "actor", "role", "duty")


def gold_files(path: Path) -> list[Path]:
    """The gold files under a directory (recursively, sorted), or the file itself.

    Args:
        path: a directory holding ``*.gold.jsonl`` files, or one such file.
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise AnnotationError(
            "gold path not found", path=str(path),
            hint="pass a directory of *.gold.jsonl files (e.g. annotations/gold) or one file")
    return sorted(p for p in path.rglob("*" + GOLD_SUFFIX) if p.is_file())


def doc_id_of(file: Path, root: Path) -> str:
    """The document id a gold file stands for: its path under ``root`` without the suffix.

    Args:
        file: a ``*.gold.jsonl`` file.
        root: the gold directory (or the file itself when a single file was given).
    """
    file, root = Path(file), Path(root)
    rel = file.name if root == file or root.is_file() else file.relative_to(root).as_posix()
    return rel[: -len(GOLD_SUFFIX)] if rel.endswith(GOLD_SUFFIX) else Path(rel).stem


def validate_record(obj: Any, path: str, line: int) -> dict[str, Any]:
    """Check one parsed gold line and return it with ``deadline`` as a string.

    Args:
        obj: the parsed JSON value of the line.
        path: the file, for the error message.
        line: the 1-based line number, for the error message.
    """
    if not isinstance(obj, dict):
        raise AnnotationError(f"expected a JSON object, got {type(obj).__name__}",
                              path=path, line=line, hint="write one object per line")
    missing = [k for k in REQUIRED_FIELDS if k not in obj]
    if missing:
        raise AnnotationError(f"missing field(s) {', '.join(missing)}", path=path, line=line,
                              hint="every record needs " + ", ".join(REQUIRED_FIELDS))
    for key in _TEXT_FIELDS:
        if not isinstance(obj[key], str):
            raise AnnotationError(f"field {key!r} must be a string, got {obj[key]!r}",
                                  path=path, line=line)
    if obj["role"] not in ROLES:
        raise AnnotationError(f"unknown role {obj['role']!r}", path=path, line=line,
                              hint="role must be one of " + ", ".join(ROLES))
    for key in ("doc_id", "actor", "duty"):
        if not obj[key].strip():
            raise AnnotationError(f"empty {key}", path=path, line=line,
                                  hint=f"write the {key} as it appears in the text, or delete the line")
    deadline = obj["deadline"]
    if deadline is None:
        deadline = ""
    if not isinstance(deadline, str):
        raise AnnotationError(f"field 'deadline' must be a string, got {deadline!r}",
                              path=path, line=line, hint='use "" when there is no deadline')
    for key in OFFSET_FIELDS:
        value = obj.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise AnnotationError(f"offset {key!r} must be a non-negative integer, got {value!r}",
                                  path=path, line=line)
    for lo, hi in (("start", "end"), ("actor_start", "actor_end"), ("duty_start", "duty_end"),
                   ("deadline_start", "deadline_end")):
        if obj.get(lo) is not None and obj.get(hi) is not None and obj[lo] > obj[hi]:
            raise AnnotationError(f"{lo}={obj[lo]} is after {hi}={obj[hi]}", path=path, line=line)
    return {**obj, "deadline": deadline}


def read_gold_file(file: Path, doc_id: str | None = None) -> list[dict[str, Any]]:
    """The validated records of one gold file.

    Args:
        file: a ``*.gold.jsonl`` file (UTF-8, one JSON object a line; blank lines are skipped).
        doc_id: when given, every record's ``doc_id`` must equal it.
    """
    file = Path(file)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnnotationError(f"not UTF-8 ({exc.reason} at byte {exc.start})", path=str(file),
                              hint="save the file as UTF-8") from None
    rows = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise AnnotationError(f"invalid JSON: {exc.msg} (column {exc.colno})", path=str(file),
                                  line=n, hint="each line must be one complete JSON object") from None
        row = validate_record(obj, str(file), n)
        if doc_id is not None and row["doc_id"] != doc_id:
            raise AnnotationError(
                f"doc_id {row['doc_id']!r} does not match the file name (expected {doc_id!r})",
                path=str(file), line=n,
                hint="a gold file holds the records of one document, named <doc_id>.gold.jsonl")
        rows.append(row)
    return rows


def read_gold_documents(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Gold records grouped by document, including documents whose file has no records.

    A directory's files each stand for one document (checked against the
    records' ``doc_id``); a single file given directly may hold several documents.

    Args:
        path: a gold directory or a single ``*.gold.jsonl`` file.
    """
    path = Path(path)
    docs: dict[str, list[dict[str, Any]]] = {}
    if path.is_file():
        for row in read_gold_file(path):
            docs.setdefault(row["doc_id"], []).append(row)
        return docs
    for file in gold_files(path):
        doc = doc_id_of(file, path)
        docs.setdefault(doc, []).extend(read_gold_file(file, doc_id=doc))
    return docs


def read_gold(path: Path) -> list[dict[str, Any]]:
    """All validated gold records of a directory (or one file), in file and line order.

    Args:
        path: a directory of ``*.gold.jsonl`` files (searched recursively) or one such file.
    """
    return [row for rows in read_gold_documents(path).values() for row in rows]

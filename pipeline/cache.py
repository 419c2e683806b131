"""A content-hash cache of per-document results, so re-runs only redo changed pages.

A result (the document, its mentions and its scored candidate rows) is stored
as one JSON file (never pickle: a cache directory may be shared or handed on)
under a key that hashes

* the page: its bytes (or, for an ingested document, its text, language,
  issue date and provisions), its ``doc_id`` and its source path;
* the code and the models: every ``pipeline/*.py`` source, every file in the
  models folder, the lexicon/alias/scorer files the params name, and the
  ``ingest`` and ``extract`` params (the confidence threshold excluded: it is
  applied after the cache).

Any change to code, models or params therefore gives new keys; old entries are
simply not read again (delete the folder to reclaim the space).  The default
folder is ``.cache/extract/`` in the project (``OBLIGATIONS_CACHE`` moves the
``.cache`` root).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .schemas import Document, Mention, Provision, document_row
from .settings import CACHE_ROOT, MODELS_DIR

DEFAULT_DIR = CACHE_ROOT / "extract"
PACKAGE_DIR = Path(__file__).resolve().parent
FORMAT = 2  # 2: a provision's text is left out when it is the slice of the document's text
_PARAM_FILES = ("lexicon", "aliases", "scorer", "hanlp_model")


def _file_digest(path: Path, h: "hashlib._Hash") -> None:
    """Feed a file's name and bytes (or a directory's files) into a hash.

    Args:
        path: a file or folder; a missing path is hashed as absent.
        h: the hash object to update.
    """
    if path.is_dir():
        for p in sorted(x for x in path.rglob("*") if x.is_file()):
            _file_digest(p, h)
        return
    h.update(path.name.encode() + b"\0")
    h.update(path.read_bytes() if path.is_file() else b"<absent>")
    h.update(b"\0")


@functools.lru_cache(maxsize=8)
def _code_version(params_json: str) -> str:
    params = json.loads(params_json)
    h = hashlib.sha256(f"format {FORMAT}\n".encode())
    for src in sorted(PACKAGE_DIR.glob("*.py")):
        _file_digest(src, h)
    if MODELS_DIR.is_dir():
        _file_digest(MODELS_DIR, h)
    section = dict(params.get("extract", {}))
    section.pop("threshold", None)
    for key in _PARAM_FILES:
        if section.get(key):
            _file_digest(Path(section[key]), h)
            section[key] = Path(section[key]).name
    h.update(json.dumps({"ingest": params.get("ingest", {}), "extract": section},
                        sort_keys=True).encode())
    return h.hexdigest()


def code_version(params: dict[str, Any]) -> str:
    """The hash of the code, the models and the params that results depend on.

    Args:
        params: the merged parameters (``settings.load_params``).
    """
    keep = {"ingest": params.get("ingest", {}), "extract": params.get("extract", {})}
    return _code_version(json.dumps(keep, sort_keys=True, default=str))


def _encode(value: Any) -> Any:
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    raise TypeError(f"cannot store {type(value).__name__} in the cache")


def _stored_provision(p: Provision, text: str) -> dict[str, Any]:
    """A provision as stored: without its text when that is the slice ``text[start:end]``
    of the document's (what ingest makes), which nearly halves a cache file."""
    row = dict(vars(p))
    if text[p.start:p.end] == p.text:
        del row["text"]
    return row


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$date" in obj:
        return dt.date.fromisoformat(obj["$date"])
    return obj


class ExtractCache:
    """Per-document results on disk, keyed by content and code version.

    Args:
        root: the cache folder (created on first write).
        params: the merged parameters, for the code-and-models version.
    """

    def __init__(self, root: str | os.PathLike[str], params: dict[str, Any]):
        self.root = Path(root)
        self.version = code_version(params)
        self._made: set[Path] = set()  # subfolders known to exist: mkdir is a system call per page

    def key_for_bytes(self, data: bytes, doc_id: str, source: str, extract: bool) -> str:
        """The key of a page read from a file.

        Args:
            data: the page's bytes.
            doc_id: its document id.
            source: its path, as recorded in ``documents.source``.
            extract: whether the result includes extraction (False: ingest only).
        """
        h = hashlib.sha256(f"{self.version}\0bytes\0{doc_id}\0{source}\0{int(extract)}\0".encode())
        h.update(data)
        return h.hexdigest()

    def key_for_document(self, doc: Document, extract: bool) -> str:
        """The key of an already-ingested document (the DVC ``candidates`` stage).

        Args:
            doc: the document, with its provisions.
            extract: whether the result includes extraction.
        """
        row = document_row(doc)
        row["provisions"] = [vars(p) for p in doc.provisions]
        blob = json.dumps(row, sort_keys=True, default=_encode, ensure_ascii=False)
        h = hashlib.sha256(f"{self.version}\0doc\0{int(extract)}\0".encode())
        h.update(blob.encode("utf-8"))
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def has(self, key: str) -> bool:
        """Whether a result is stored under ``key`` (not read: :meth:`get` may still fail).

        Args:
            key: from ``key_for_bytes`` or ``key_for_document``.
        """
        return self._path(key).is_file()

    def get(self, key: str) -> tuple[Document, list[Mention], list[dict[str, Any]]] | None:
        """The stored result for a key, or None (absent or unreadable: recomputed).

        Args:
            key: from ``key_for_bytes`` or ``key_for_document``.
        """
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"), object_hook=_decode)
            doc_row = data["doc"]
            text = doc_row["text"] or ""
            provs = [Provision(**p) if "text" in p else Provision(**p, text=text[p["start"]:p["end"]])
                     for p in doc_row.pop("provisions")]
            doc = Document(**doc_row, provisions=provs)
            mentions = [Mention(**m) for m in data["mentions"]]
            return doc, mentions, data["candidates"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, doc: Document, mentions: list[Mention],
            candidates: list[dict[str, Any]]) -> None:
        """Store a result atomically (a concurrent writer of the same key is harmless).

        Args:
            key: from ``key_for_bytes`` or ``key_for_document``.
            doc: the document.
            mentions: its mentions.
            candidates: its scored candidate rows.
        """
        row = document_row(doc)
        row["provisions"] = [_stored_provision(p, doc.text or "") for p in doc.provisions]
        blob = json.dumps({"doc": row, "mentions": [vars(m) for m in mentions],
                           "candidates": candidates}, default=_encode, ensure_ascii=False)
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            if path.parent not in self._made:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(path.parent)
            tmp.write_text(blob, encoding="utf-8")
            os.replace(tmp, path)
        except OSError:  # a full or read-only cache, or its folder removed meanwhile: never fails the run
            self._made.discard(path.parent)
            try:
                tmp.unlink(missing_ok=True)
            except OSError:  # e.g. the folder is a file: there is no temporary file either
                pass

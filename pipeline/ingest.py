"""A file -> a Document: decode, remove boilerplate, normalise, metadata, provisions.

Ingest never raises for a bad page: every input becomes one Document, with
``status`` ``ok`` or the reason it could not be read (``empty``, ``binary``,
``undecodable``, ``unsupported``, ``too_large``, ``error``) and empty text.

Which files are read (:func:`iter_inputs`): every file under the inputs, in
sorted order, except hidden files and folders (``.gitkeep``, ``.DS_Store``,
``.dvc/``) and files that sit next to pages without being pages:
``*.jsonl`` (gold answers), ``*.md`` (notes such as SOURCES.md), ``*.dvc``
and ``*.csv`` (an index). Everything else is yielded, so a ``.pdf`` or
``.docx`` becomes an ``unsupported`` row rather than being skipped silently.
"""
from __future__ import annotations

import hashlib
import importlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from . import boilerplate, decode, normalize
from .errors import IngestError, NoBody, TooLarge, UnsupportedFormat, UsageError
from .schemas import Document, Provision

__all__ = ["iter_inputs", "ingest_file", "ingest_bytes", "warm", "PAGE_SUFFIXES", "HTML_SUFFIXES",
           "SKIPPED_SUFFIXES"]

HTML_SUFFIXES = frozenset({".htm", ".html", ".xhtml", ".shtml"})
PAGE_SUFFIXES = frozenset({".txt", ".text", "", *HTML_SUFFIXES})
SKIPPED_SUFFIXES = frozenset({".jsonl", ".md", ".dvc", ".csv"})


def _skipped(rel: Path) -> bool:
    if any(part.startswith(".") for part in rel.parts):
        return True
    return rel.suffix.lower() in SKIPPED_SUFFIXES or rel.name.lower().endswith(".gold.jsonl")


def _doc_id(rel: Path) -> str:
    return rel.with_suffix("").as_posix() if rel.suffix else rel.as_posix()


def iter_inputs(inputs: Iterable[str | Path]) -> Iterator[tuple[Path, str]]:
    """The files to ingest, as ``(path, doc_id)`` in a deterministic order.

    Args:
        inputs: files and folders.  A folder is walked recursively and its
            files' ``doc_id`` is their path relative to it, without extension,
            ``/``-separated; a file given directly has its stem as ``doc_id``.

    Raises:
        UsageError: an input does not exist.
    """
    for item in inputs:
        root = Path(item)
        if not root.exists():
            raise UsageError(f"input not found: {root}",
                             hint="pass existing files or folders of .txt/.html pages")
        if root.is_file():
            yield root, root.stem
            continue
        files = sorted((p for p in root.rglob("*") if p.is_file()),
                       key=lambda p: p.relative_to(root).as_posix())
        for path in files:
            rel = path.relative_to(root)
            if not _skipped(rel):
                yield path, _doc_id(rel)


def warm(paths: Iterable[str | Path] = ()) -> None:
    """Import now what ingest imports on first use: the metadata and provisions stages, and
    trafilatura (a tenth of a second) if ``paths`` include HTML pages.  Called before
    worker processes are forked, so that they share one copy instead of each importing its own.

    Args:
        paths: pages about to be ingested (only their names are looked at).
    """
    from . import metadata  # noqa: F401

    _provisions_module()
    if any(Path(p).suffix.lower() in HTML_SUFFIXES for p in paths):
        boilerplate.load_html_parser()


def _failed(doc: Document, status: str, reason: str) -> Document:
    doc.status = status
    doc.error = reason
    doc.text = ""
    doc.n_chars = 0
    doc.provisions = []
    return doc


def _provisions_module() -> Any:
    try:
        return importlib.import_module(f"{__package__}.provisions")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__package__}.provisions":
            return None  # the provisions stage is not installed yet: documents still get text
        raise


def _split_provisions(doc_id: str, text: str, lang: str) -> list[Provision]:
    provisions = _provisions_module()
    return provisions.split_provisions(doc_id, text, lang) if provisions is not None else []


def _process(data: bytes, doc: Document, params: dict[str, Any]) -> Document:
    from . import metadata

    opts = params.get("ingest", {})
    max_bytes = int(opts.get("max_bytes", 64 * 1024 * 1024))
    threshold = float(opts.get("boilerplate_threshold", 0.5))
    if len(data) > max_bytes:
        raise TooLarge(f"the page has {len(data):,} bytes, over the limit of {max_bytes:,}",
                       path=doc.source, hint="raise ingest.max_bytes in params.yaml or split the file")
    decoded = decode.decode_bytes(data, source=doc.source)
    if decoded.is_html:
        raw_lines = boilerplate.html_text_lines(decoded.text)
        body = boilerplate.clean_html(decoded.text, threshold)
    else:
        raw_lines = decoded.text.split("\n")
        body = boilerplate.clean_text(decoded.text, threshold)
    text = normalize.normalize_text(body.text)
    if not text.strip():
        raise NoBody(f"nothing but boilerplate was found in {len(raw_lines)} lines",
                     path=doc.source, hint="check the page, or lower ingest.boilerplate_threshold")
    meta = metadata.extract_metadata([x.strip() for x in raw_lines], text, body.title_hint)
    for key in ("title", "issuer", "doc_number", "issued", "lang", "script"):
        setattr(doc, key, meta.get(key))
    doc.text = text
    doc.n_chars = len(text)
    doc.provisions = _split_provisions(doc.doc_id, text, doc.lang or "zh")
    return doc


def ingest_bytes(data: bytes, doc_id: str, source: str, params: dict[str, Any]) -> Document:
    """A page's bytes as a Document; never raises for bad input.

    Args:
        data: the raw bytes of the page.
        doc_id: the document's id (see :func:`iter_inputs`).
        source: where the bytes came from (a path), recorded in ``documents.source``.
        params: the loaded params (``settings.load_params``); ``ingest.max_bytes``
            and ``ingest.boilerplate_threshold`` are used.
    """
    doc = Document(doc_id=doc_id, source=source, sha256=hashlib.sha256(data).hexdigest())
    try:
        return _process(data, doc, params)
    except IngestError as exc:
        return _failed(doc, exc.status, str(exc))
    except RecursionError:
        return _failed(doc, "error", str(IngestError(
            "RecursionError: the page is nested too deeply to parse", path=source,
            hint="simplify the page's markup, or save its text as .txt")))
    except MemoryError:
        return _failed(doc, "error", str(IngestError(
            "MemoryError: the page is too big to process in this much memory", path=source,
            hint="lower ingest.max_bytes in params.yaml, split the file, or use a machine with more memory")))
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop a run
        return _failed(doc, "error", str(IngestError(
            f"{type(exc).__name__}: {exc}", path=source,
            hint="this is a bug in the pipeline: report it with this file; the other pages were processed")))


def ingest_file(path: Path, doc_id: str, params: dict[str, Any]) -> Document:
    """A page file as a Document; never raises for bad input.

    Args:
        path: the file (``.txt``/``.html``/``.htm`` or anything else, which
            becomes an ``unsupported`` row unless its content is a page).
        doc_id: the document's id (see :func:`iter_inputs`).
        params: the loaded params (see :func:`ingest_bytes`).
    """
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        max_bytes = int(params.get("ingest", {}).get("max_bytes", 64 * 1024 * 1024))
        if size > max_bytes:
            doc = Document(doc_id=doc_id, source=source)
            return _failed(doc, TooLarge.status, str(TooLarge(
                f"the page has {size:,} bytes, over the limit of {max_bytes:,}", path=source,
                hint="raise ingest.max_bytes in params.yaml or split the file")))
        data = path.read_bytes()
    except OSError as exc:
        return _failed(Document(doc_id=doc_id, source=source), "error", str(IngestError(
            f"{type(exc).__name__}: cannot read the file: {exc.strerror or exc}", path=source,
            hint="check that it exists and that you may read it")))
    doc = ingest_bytes(data, doc_id, source, params)
    if doc.status == "ok" and path.suffix.lower() not in PAGE_SUFFIXES and not _is_pageish(data):
        return _failed(doc, UnsupportedFormat.status, str(UnsupportedFormat(
            f"unsupported file type {path.suffix!r}", path=source,
            hint="convert it to .txt or .html")))
    return doc


def _is_pageish(data: bytes) -> bool:
    """Content that reads as text (any extension is then accepted, e.g. ``.asp`` pages)."""
    return b"\x00" not in data[:4096]

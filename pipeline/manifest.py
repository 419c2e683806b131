"""The models manifest: a SHA-256 for every model file, checked before loading.

``models/MANIFEST.json`` maps each model file of its folder (``*.json``,
``*.txt``, ``*.tsv``; names relative to the folder) to its SHA-256.  A model
file is loaded only if it matches (:func:`verify`); the code that writes
models (``Scorer.save``, ``boilerplate.train``) updates the entry after
writing (:func:`update`), and ``obligations manifest --update`` records files
changed on purpose by hand (a lexicon, the alias table).

Rules of :func:`verify`:

* a folder with a ``MANIFEST.json``: the file must be listed and match;
* the project's models folder (``settings.MODELS_DIR``) must have one;
* any other folder without a manifest (a model a test or a user wrote
  elsewhere by hand) is not checked.

The model formats themselves are plain JSON and text (never pickle), so a
file that fails the check cannot run code; the manifest catches files
changed outside the commands that write them, and truncated copies.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import ModelInvalid, ObligationsError

__all__ = ["MANIFEST_NAME", "PATTERNS", "ManifestLocked", "verify", "update", "check_all",
           "sha256_of", "add_commands"]

MANIFEST_NAME = "MANIFEST.json"
PATTERNS = ("*.json", "*.txt", "*.tsv")
LOCK_NAME = ".MANIFEST.lock"
LOCK_TIMEOUT = 60.0
_HINT = ("re-run `obligations train` or `obligations manifest --update` "
         "if you changed it on purpose")


class ManifestLocked(ObligationsError):
    """Another process holds the lock of a models folder's manifest."""

    code = "E202"


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex.

    Args:
        path: the file.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _display(path: Path) -> str:
    """``path`` relative to the working directory when it is under it (``models/scorer.json``)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else Path(rel).as_posix()


def _read(manifest: Path) -> dict[str, str]:
    """The ``files`` mapping of a manifest.

    Args:
        manifest: a ``MANIFEST.json``.

    Raises:
        ModelInvalid: the manifest is not valid JSON or not a mapping of names to hashes.
    """
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        files = data["files"]
        if not isinstance(files, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            raise TypeError("'files' must map file names to SHA-256 hex strings")
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelInvalid(f"not a models manifest: {exc}", path=_display(manifest),
                           hint="restore it from git, or re-create it with "
                                "`obligations manifest --update`") from None
    return dict(files)


def _is_project_models(folder: Path) -> bool:
    from .settings import MODELS_DIR

    try:
        return folder.resolve() == Path(MODELS_DIR).resolve()
    except OSError:
        return False


def verify(path: str | os.PathLike[str]) -> bool:
    """Check a model file against the manifest of its folder before it is loaded.

    Args:
        path: the model file (e.g. ``models/scorer.json``).

    Returns:
        True when the file was checked and matches; False when its folder has
        no manifest and is not the project's models folder (not checked).

    Raises:
        ModelInvalid: the file is not listed, or its SHA-256 differs from the
            manifest's, or the project's models folder has no manifest.
    """
    p = Path(path)
    manifest = p.parent / MANIFEST_NAME
    shown, mshown = _display(p), _display(manifest)
    if not manifest.exists():
        if _is_project_models(p.parent):
            raise ModelInvalid(f"{mshown} is missing, so {shown} cannot be checked",
                               hint="restore it from git, or create it with `obligations manifest --update`")
        return False
    files = _read(manifest)
    want = files.get(p.name)
    if want is None:
        raise ModelInvalid(f"{shown} is not listed in {mshown}",
                           hint="re-run `obligations train` or `obligations manifest --update` "
                                "if the file belongs there")
    if sha256_of(p) != want:
        raise ModelInvalid(f"{shown} does not match {mshown}: it was changed outside "
                           "`obligations train`", hint=_HINT)
    return True


def _write(manifest: Path, files: dict[str, str]) -> None:
    """Write a manifest atomically (temporary file, then rename)."""
    body = {"about": "SHA-256 of each model file in this folder; checked before loading. "
                     "Update with `obligations manifest --update`.",
            "files": dict(sorted(files.items()))}
    tmp = manifest.with_name(f".{manifest.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, manifest)
    finally:
        tmp.unlink(missing_ok=True)


def _locked_error(lock: str, pid: int | None) -> ObligationsError:
    who = f"process {pid}" if pid else "another process"
    return ManifestLocked(f"the manifest is locked by {who}", path=lock,
                          hint="wait for that `obligations train` to finish; if no such process "
                               "is running, delete the lock file")


def model_files(folder: Path) -> list[Path]:
    """The files a models folder's manifest covers: ``*.json``, ``*.txt``, ``*.tsv``.

    Args:
        folder: a models folder.
    """
    out = {p for pat in PATTERNS for p in Path(folder).glob(pat)
           if p.is_file() and p.name != MANIFEST_NAME and not p.name.startswith(".")}
    return sorted(out)


def update(paths: Iterable[str | os.PathLike[str]] | None = None, *,
           folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """Record the current SHA-256 of model files in their folders' manifests.

    Args:
        paths: the files just written (each recorded in the manifest beside
            it); ``None`` records every model file of ``folder`` and drops
            entries of files that no longer exist.
        folder: with ``paths=None``, the models folder (default: ``settings.MODELS_DIR``).

    Returns:
        the manifests written.
    """
    from .locks import folder_lock
    from .settings import MODELS_DIR

    groups: dict[Path, list[Path]] = {}
    full = paths is None
    if full:
        root = Path(folder) if folder is not None else Path(MODELS_DIR)
        groups[root] = model_files(root)
    else:
        for item in paths:
            p = Path(item)
            groups.setdefault(p.parent, []).append(p)
    written = []
    for root, files in groups.items():
        manifest = root / MANIFEST_NAME
        with folder_lock(root / LOCK_NAME, timeout=LOCK_TIMEOUT, error=_locked_error):
            entries = {} if full or not manifest.exists() else _read(manifest)
            for p in files:
                entries[p.name] = sha256_of(p)
            _write(manifest, entries)
        written.append(manifest)
    return written


def check_all(folder: str | os.PathLike[str] | None = None) -> list[str]:
    """Problems of a models folder against its manifest (empty when all match).

    Args:
        folder: the models folder (default: ``settings.MODELS_DIR``).
    """
    from .settings import MODELS_DIR

    root = Path(folder) if folder is not None else Path(MODELS_DIR)
    manifest = root / MANIFEST_NAME
    if not manifest.exists():
        return [f"{_display(manifest)} is missing (create it with `obligations manifest --update`)"]
    try:
        listed = _read(manifest)
    except ModelInvalid as exc:
        return [str(exc)]
    problems = []
    for name, digest in sorted(listed.items()):
        p = root / name
        if not p.exists():
            problems.append(f"{_display(p)} is listed in {_display(manifest)} but missing")
        elif sha256_of(p) != digest:
            problems.append(f"{_display(p)} does not match {_display(manifest)}: "
                            "it was changed outside `obligations train`")
    for p in model_files(root):
        if p.name not in listed:
            problems.append(f"{_display(p)} is not listed in {_display(manifest)}")
    return problems


def cmd_manifest(args: argparse.Namespace) -> int:
    """``obligations manifest [--update]``: check (or record) the models' hashes.

    Args:
        args: parsed arguments (``update``, ``models``).

    Returns:
        0 when everything matches (or was recorded), 3 when a file does not match.
    """
    folder = Path(args.models) if args.models else None
    if args.update:
        for m in update(None, folder=folder):
            print(f"recorded {len(_read(m))} model files -> {_display(m)}", file=sys.stderr)
        return 0
    problems = check_all(folder)
    for line in problems:
        print(f"obligations: [{ModelInvalid.code}] {line}", file=sys.stderr)
    if problems:
        print(f"({_HINT})", file=sys.stderr)
        return 3
    print("every model file matches the manifest", file=sys.stderr)
    return 0


def add_commands(subparsers: Any) -> None:
    """Register ``obligations manifest [--update] [--models DIR]``.

    Args:
        subparsers: the object returned by ``ArgumentParser.add_subparsers``.
    """
    p = subparsers.add_parser(
        "manifest", help="check model files against models/MANIFEST.json (or --update it)",
        description="Model files (*.json, *.txt, *.tsv in the models folder) are checked against "
                    "the SHA-256 hashes in MANIFEST.json before they are loaded. Without --update, "
                    "report every file that does not match (exit 3 if any). With --update, record "
                    "the current hashes, e.g. after editing the lexicon by hand.")
    p.add_argument("--update", action="store_true", help="record the current hashes of every model file")
    p.add_argument("--models", metavar="DIR", help="the models folder (default: models/)")
    p.set_defaults(func=cmd_manifest)


def _main(argv: list[str] | None = None) -> int:  # pragma: no cover - `python -m pipeline.manifest`
    parser = argparse.ArgumentParser(prog="python -m pipeline.manifest")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["manifest", *(argv if argv is not None else sys.argv[1:])])
    try:
        return args.func(args)
    except ObligationsError as exc:
        print(f"obligations: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())

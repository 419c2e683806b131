"""Every default in one place; ``params.yaml`` overrides them.

The keys mirror ``params.yaml`` (a DVC params file), so a stage's params are
read from exactly where DVC tracks them.  Unknown keys are an error: a typo in
``params.yaml`` must not silently fall back to a default.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from .errors import ParamsError

REPO_ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = Path(os.environ.get("OBLIGATIONS_MODELS", REPO_ROOT / "models"))
# Caches the code rebuilds when they are missing: jieba's dictionary, lookup tables, results.
CACHE_ROOT = Path(os.environ.get("OBLIGATIONS_CACHE", REPO_ROOT / ".cache"))

DEFAULTS: dict[str, Any] = {
    # Folders `obligations ingest` reads when it is given no INPUT (the DVC ingest stage).
    "inputs": [],
    "ingest": {
        # Pages over this size are marked too_large instead of being processed.
        "max_bytes": 64 * 1024 * 1024,
        # Text pages: lines scored under this probability of being body text are dropped.
        "boilerplate_threshold": 0.5,
    },
    "extract": {
        # Chinese segmentation backend: "jieba" or "hanlp" (needs the [hanlp] extra and a local model).
        "segmenter": "jieba",
        "hanlp_model": "",
        "lexicon": str(MODELS_DIR / "zh_bodies.txt"),
        "aliases": str(MODELS_DIR / "actor_aliases.tsv"),
        "scorer": str(MODELS_DIR / "scorer.json"),
        # Candidate rows scored under this confidence are dropped from obligations.
        "threshold": 0.35,
        # Learned ACTOR/DEADLINE span proposals added to the mentions: rules (none),
        # spacy (models/ner_zh, models/ner_en, from `obligations train-ner`) or transformers.
        "ner": "rules",
        "ner_model": str(MODELS_DIR),
    },
    "train": {
        # Inverse regularisation strength of the candidate scorer (smaller = simpler).
        "C": 10.0,
        # The span models of `obligations train-ner`.
        "ner_iterations": 20,
        "ner_holdout": 0.25,
        "seed": 0,
        # A local directory with a BERT-style base model (config.json, tokenizer, weights)
        # for the [transformers] fine-tuning path; empty: skip it. Nothing is downloaded.
        "transformers_base": "",
        "transformers_epochs": 3,
    },
    "evaluate": {
        "gold": str(REPO_ROOT / "annotations" / "gold"),
    },
}


def _merge(base: dict[str, Any], override: dict[str, Any], where: str) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in base:
            known = ", ".join(sorted(base))
            raise ParamsError(f"unknown key {where}{key!r}", hint=f"known keys here: {known}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ParamsError(f"{where}{key} must be a mapping, got {type(value).__name__}")
            out[key] = _merge(base[key], value, f"{where}{key}.")
        else:
            if base[key] is not None and value is not None and not isinstance(value, type(base[key])):
                if not (isinstance(base[key], float) and isinstance(value, int)):
                    raise ParamsError(
                        f"{where}{key} must be {type(base[key]).__name__}, got {value!r}")
            out[key] = value
    return out


def load_params(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The defaults, overridden by the sections of ``path`` (a YAML file) that this package knows.

    Args:
        path: a ``params.yaml``; ``None`` gives the defaults.  Sections that
            belong to other tools (any top-level key not in ``DEFAULTS``) are ignored.
    """
    if path is None:
        return copy.deepcopy(DEFAULTS)
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ParamsError(f"params file not found: {p}", hint="pass --params PATH or omit it") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{p} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ParamsError(f"{p} must hold a mapping at the top level")
    ours = {k: v for k, v in data.items() if k in DEFAULTS}
    params = _merge(DEFAULTS, ours, "")
    # Relative paths in params.yaml are relative to the file itself, as DVC reads them.
    params["inputs"] = [str((p.parent / i).resolve()) if not Path(i).is_absolute() else i
                        for i in params["inputs"]]
    for section in params.values():
        if not isinstance(section, dict):
            continue
        for key, value in section.items():
            if key in {"lexicon", "aliases", "scorer", "gold", "hanlp_model", "ner_model",
                       "transformers_base"} and value:
                if not Path(value).is_absolute():
                    section[key] = str((p.parent / value).resolve())
    return params


def is_private(path: Path) -> bool:
    """Whether a cache file and its folder belong to this user and nobody else can
    write them: caches are only read back when they are (else they are rebuilt).

    Args:
        path: the cache file.
    """
    try:
        for p in (path, path.parent):
            st = p.stat()
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return False
    except OSError:
        return False
    return True


def write_private(path: Path, data: bytes) -> None:
    """Write a cache file that :func:`is_private` accepts, atomically (a concurrent writer
    is harmless); a read-only or full cache folder is not an error: the cache is rebuilt
    next time.

    Args:
        path: the cache file; its folder is created, readable by this user only.
        data: the file's bytes.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)

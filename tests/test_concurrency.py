"""Two imports at once never interleave and neither loses the other's rows; a held lock gives a
clear error naming the lock file and its holder; two model saves at once keep both manifest entries.

Nothing here depends on timing to pass: the processes are started together and may or may not
overlap; the invariants must hold either way, and a held lock is held for the whole check.
"""
from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_annotate import PAGES, as_export, build_tables

from pipeline.annotate import LOCK_NAME, GoldLocked, export_tasks
from pipeline.errors import ObligationsError
from pipeline.gold import read_gold_file
from pipeline.locks import folder_lock

ROOT = Path(__file__).resolve().parents[1]
COPIES = 15  # documents per export: enough for the two writers' windows to overlap often


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> tuple[Path, Path, dict[str, int]]:
    """Two Label Studio exports of different documents (``a/…`` and ``b/…``) and the rows of each."""
    base = tmp_path_factory.mktemp("exports")
    tables = build_tables(base / "tables")
    export_tasks(tables, base / "tasks.json")
    tasks = json.loads((base / "tasks.json").read_text(encoding="utf-8"))
    assert len(tasks) == len(PAGES)
    expected: dict[str, int] = {}
    paths = []
    for who in ("a", "b"):
        batch = []
        for n in range(COPIES):
            for t in tasks:
                t = copy.deepcopy(t)
                t["data"]["doc_id"] = f"{who}/{n:02d}_{t['data']['doc_id']}"
                batch.append(t)
                expected[t["data"]["doc_id"]] = sum(
                    1 for r in t["predictions"][0]["result"]
                    if r["type"] == "relation" and r["labels"] != ["due"])
        path = base / f"export_{who}.json"
        path.write_text(json.dumps(as_export(batch), ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1], expected


@pytest.mark.parametrize("round_", range(3))
def test_two_imports_at_once_keep_both(exports, tmp_path: Path, round_: int) -> None:
    export_a, export_b, expected = exports
    gold = tmp_path / "gold"
    procs = [_cli("import-annotations", str(e), "--into", str(gold)) for e in (export_a, export_b)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    written = {str(p.relative_to(gold).with_suffix("").with_suffix("")): p
               for p in gold.rglob("*.gold.jsonl")}
    assert set(written) == set(expected)  # every document of both exports
    for doc_id, n in expected.items():
        rows = read_gold_file(written[doc_id])
        assert len(rows) == n and all(r["doc_id"] == doc_id for r in rows), doc_id
    assert not [p for p in gold.rglob("*") if p.name.endswith((".tmp", ".lock"))]


def test_a_held_lock_gives_a_clear_error_naming_the_file_and_holder(exports, tmp_path: Path) -> None:
    export_a, _, expected = exports
    gold = tmp_path / "gold"
    gold.mkdir()
    with folder_lock(gold / LOCK_NAME, timeout=5, error=lambda lock, pid: GoldLocked("held")):
        p = _cli("import-annotations", str(export_a), "--into", str(gold),
                 env={"OBLIGATIONS_LOCK_TIMEOUT": "0.5"})
        _, err = p.communicate(timeout=300)
        assert p.returncode == 3, err
        assert "[E307]" in err and str(gold / LOCK_NAME) in err and f"process {os.getpid()}" in err
        assert "one after the other" in err  # what to do
        assert not list(gold.rglob("*.gold.jsonl"))  # nothing written while the lock was held
    p = _cli("import-annotations", str(export_a), "--into", str(gold))
    assert p.communicate(timeout=300) and p.returncode == 0  # released: the import goes through
    assert len(list(gold.rglob("*.gold.jsonl"))) == len(expected) // 2


def test_a_holder_killed_with_sigkill_does_not_block_the_next_import(exports, tmp_path: Path) -> None:
    export_a, _, expected = exports
    gold = tmp_path / "gold"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from pipeline.locks import folder_lock\n"
         "with folder_lock(Path(sys.argv[1]), timeout=5, error=lambda l, p: RuntimeError(l)):\n"
         "    print('held', flush=True); time.sleep(600)\n",
         str(gold / LOCK_NAME)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert (gold / LOCK_NAME).read_text().strip() == str(holder.pid)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
    assert (gold / LOCK_NAME).exists()  # a stale lock file, with a dead pid in it
    p = _cli("import-annotations", str(export_a), "--into", str(gold),
             env={"OBLIGATIONS_LOCK_TIMEOUT": "60"})
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert len(list(gold.rglob("*.gold.jsonl"))) == len(expected) // 2
    assert not (gold / LOCK_NAME).exists()


def test_the_lock_is_exclusive_within_one_process_too(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    with folder_lock(lock, timeout=1, error=lambda l, p: GoldLocked(f"{l} {p}")):
        with pytest.raises(ObligationsError) as err:
            with folder_lock(lock, timeout=0, error=lambda l, p: GoldLocked(f"{l} {p}")):
                pass
        assert str(os.getpid()) in str(err.value)
    with folder_lock(lock, timeout=0, error=lambda l, p: GoldLocked("x")):
        pass  # released
    assert not lock.exists()


SAVER = """
import sys
from pathlib import Path
from pipeline.confidence import Scorer
folder, who = Path(sys.argv[1]), sys.argv[2]
for i in range(12):
    Scorer({"has_cue": float(i)}, 0.0, {"by": who}).save(folder / f"{who}_{i}.json")
"""


def test_two_model_saves_at_once_keep_both_manifest_entries(tmp_path: Path) -> None:
    from pipeline.manifest import check_all

    procs = [subprocess.Popen([sys.executable, "-c", SAVER, str(tmp_path), who], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for who in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    listed = json.loads((tmp_path / "MANIFEST.json").read_text(encoding="utf-8"))["files"]
    assert set(listed) == {f"{w}_{i}.json" for w in "ab" for i in range(12)}
    assert check_all(tmp_path) == []

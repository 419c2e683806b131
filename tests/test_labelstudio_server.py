"""The real round trip through a Label Studio server (needs the [labelstudio] extra).

Starts ``label-studio start`` on 127.0.0.1 with its data in tmp_path, logs in
as the user the command created, gets a personal access token
(``POST /api/token/`` with the session) and trades it for an access token
(``POST /api/token/refresh/``), as Label Studio 1.23's docs describe for
organisations where legacy ``Token`` auth is disabled.  Then: create a project
with our labeling config, import exported tasks with predictions, submit an
annotator's correction, export as JSON, and import it as gold.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

requests = pytest.importorskip("requests")

from pipeline.annotate import LABELING_CONFIG, export_tasks, import_annotations  # noqa: E402
from pipeline.gold import read_gold_file  # noqa: E402

from test_annotate import build_tables  # noqa: E402

pytestmark = pytest.mark.labelstudio

HOST = "127.0.0.1"
USER, PASSWORD = "annotator@example.com", "obligations-test-pw-1"
STARTUP_S = 90
INIT_S = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_healthy(base: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"label-studio exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{base}/health", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    pytest.fail(f"label-studio did not answer /health within {STARTUP_S} s:\n{log.read_text()[-3000:]}")


def _session(base: str) -> requests.Session:
    """A session with a Bearer access token, from a personal access token made after a form login."""
    s = requests.Session()
    s.get(f"{base}/user/login/", timeout=30)
    r = s.post(f"{base}/user/login/", data={"email": USER, "password": PASSWORD,
                                            "csrfmiddlewaretoken": s.cookies["csrftoken"]},
               headers={"Referer": f"{base}/user/login/"}, timeout=30, allow_redirects=False)
    assert r.status_code in (302, 303), f"login failed: {r.status_code} {r.text[:300]}"
    r = s.post(f"{base}/api/token/", headers={"X-CSRFToken": s.cookies["csrftoken"],
                                               "Referer": f"{base}/"}, timeout=30)
    assert r.status_code == 201, f"personal access token: {r.status_code} {r.text[:300]}"
    personal = r.json()["token"]
    api = requests.Session()  # no cookies from here on: only the token authenticates
    r = api.post(f"{base}/api/token/refresh/", json={"refresh": personal}, timeout=30)
    assert r.ok, f"token refresh: {r.status_code} {r.text[:300]}"
    api.headers["Authorization"] = f"Bearer {r.json()['access']}"
    return api


def _correct(result: list[dict]) -> tuple[list[dict], str, dict]:
    """The annotator's work: shorten the first actor by its last character, remove one role relation."""
    result = json.loads(json.dumps(result))
    actor = next(r for r in result if r["type"] == "labels" and r["value"]["labels"] == ["ACTOR"])
    actor["value"]["end"] -= 1
    actor["value"]["text"] = actor["value"]["text"][:-1]
    removed = next(r for r in result if r["type"] == "relation" and r["labels"] != ["due"]
                   and r["from_id"] != actor["id"])
    result.remove(removed)
    return result, actor["value"]["text"], removed


def _label_studio() -> str | None:
    """The label-studio command: $LABEL_STUDIO_BIN (CI installs it in a venv of its own,
    so its pinned dependencies do not change ours), else PATH, else beside this Python."""
    for exe in (os.environ.get("LABEL_STUDIO_BIN"), shutil.which("label-studio"),
                str(Path(sys.executable).with_name("label-studio"))):
        if exe and Path(exe).exists():
            return exe
    return None


@pytest.mark.labelstudio
@pytest.mark.skipif(_label_studio() is None, reason="the label-studio command is not installed "
                    "(pip install label-studio, or set LABEL_STUDIO_BIN)")
def test_round_trip_through_label_studio(tmp_path):
    tables = build_tables(tmp_path / "tables", ("zh_gov2014_agri_big5", "en_eo13769_sec5_7"))
    tasks_file = tmp_path / "tasks.json"
    export_tasks(tables, tasks_file)
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))

    port = _free_port()
    base = f"http://{HOST}:{port}"
    data_dir = tmp_path / "ls-data"
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir), "SENTRY_DSN": "",
           "FRONTEND_SENTRY_DSN": "", "LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false"}
    exe = _label_studio()
    log = tmp_path / "label-studio.log"
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    # A new database takes Label Studio ~100 s of migrations; do them (and create the user)
    # first, so that the server itself then only needs seconds to answer /health.
    init = subprocess.run(
        [exe, "init", "--data-dir", str(data_dir), "--username", USER, "--password", PASSWORD],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        timeout=INIT_S)
    assert init.returncode == 0, init.stdout.decode(errors="replace")[-3000:]
    timings["init"] = time.monotonic() - t0
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "start", "--no-browser", "--internal-host", HOST, "--port", str(port),
             "--data-dir", str(data_dir), "--log-level", "WARNING"],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_healthy(base, proc, log)
        timings["startup"] = time.monotonic() - t0 - timings["init"]
        api = _session(base)

        r = api.post(f"{base}/api/projects", json={"title": "obligations", "label_config": LABELING_CONFIG},
                     timeout=60)
        assert r.status_code == 201, r.text[:500]
        project = r.json()["id"]
        r = api.post(f"{base}/api/projects/{project}/import", json=tasks, timeout=120)
        assert r.status_code == 201, r.text[:500]
        assert r.json()["task_count"] == len(tasks) and r.json()["prediction_count"] == len(tasks)

        r = api.get(f"{base}/api/tasks", params={"project": project, "fields": "all"}, timeout=60)
        assert r.ok, r.text[:500]
        listed = r.json()["tasks"] if isinstance(r.json(), dict) else r.json()
        task = next(t for t in listed if t["data"]["doc_id"] == "zh_gov2014_agri_big5")
        predicted = next(t for t in tasks if t["data"]["doc_id"] == "zh_gov2014_agri_big5")
        result, new_actor, removed = _correct(predicted["predictions"][0]["result"])
        r = api.post(f"{base}/api/tasks/{task['id']}/annotations",
                     json={"result": result, "was_cancelled": False, "ground_truth": False}, timeout=60)
        assert r.status_code == 201, r.text[:500]

        r = api.get(f"{base}/api/projects/{project}/export",
                    params={"exportType": "JSON", "download_all_tasks": "true"}, timeout=120)
        assert r.ok, r.text[:500]
        export = tmp_path / "export.json"
        export.write_bytes(r.content)
        timings["total"] = time.monotonic() - t0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

    gold = tmp_path / "gold"
    report = import_annotations(export, gold, documents=tables / "documents.parquet")
    print(f"label-studio round trip: init {timings['init']:.1f} s, startup {timings['startup']:.1f} s, "
          f"total {timings['total']:.1f} s")
    assert report.written == ["zh_gov2014_agri_big5"]
    assert report.not_annotated == ["en_eo13769_sec5_7"]  # predictions alone are not gold
    rows = read_gold_file(gold / "zh_gov2014_agri_big5.gold.jsonl")
    n_roles = sum(1 for r in predicted["predictions"][0]["result"]
                  if r["type"] == "relation" and r["labels"] != ["due"])
    assert len(rows) == n_roles - 1  # the removed relation is gone
    assert new_actor in {r["actor"] for r in rows}  # the corrected actor is there
    assert rows[0]["annotator"] == USER or rows[0]["annotator"].startswith("label-studio-user-")
    assert all(r["annotated_at"] for r in rows)
    assert not (gold / "en_eo13769_sec5_7.gold.jsonl").exists()

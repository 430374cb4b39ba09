"""xAPI export against a real LRS: ralph-malph (`ralph runserver -b fs`) on 127.0.0.1, started by this test.

Ralph pins an older FastAPI than Gradio, so it lives in its own virtual environment at $RALPH_VENV (default
~/.cache/sparring/venv-ralph). CI prepares it before pytest runs (`python tests/test_xapi_ralph.py --prepare`,
see .ci/run); if it is missing the test prepares it itself (pip, from PyPI, in a subprocess).
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
import urllib.request
import uuid
from pathlib import Path

RALPH_PIN = "ralph-malph[cli,lrs]==5.1.0"
REQUESTS_PIN = "requests==2.34.2"
VENV = Path(os.environ.get("RALPH_VENV") or Path.home() / ".cache" / "sparring" / "venv-ralph")
USER, PASSWORD = "sparring-export", "lrs-test-secret"

# ralph 5.1.0's fs backend writes its statements file with operation type "create": the first POST creates the
# file and every later POST fails with HTTP 500 ("already exists"). An LRS fed in batches must append, so the test
# LRS gets this sitecustomize (on PYTHONPATH of the server processes only). Everything else is ralph as shipped.
FS_APPEND = """
try:
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.data.fs import FSDataBackend
    FSDataBackend.default_operation_type = BaseOperationType.APPEND
except ImportError:
    pass
"""


def prepare(venv: Path = VENV) -> Path:
    """Create the venv and install ralph into it, unless already there. Returns the `ralph` executable."""
    ralph = venv / "bin" / "ralph"
    if ralph.exists():
        return ralph
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", RALPH_PIN, REQUESTS_PIN], check=True)
    return ralph


if __name__ == "__main__" and "--prepare" in sys.argv:
    print(f"ralph ready: {prepare()}")
    sys.exit(0)

import pytest  # noqa: E402

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    import base64

    tok = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    req = urllib.request.Request(url, headers={"Authorization": f"Basic {tok}", "X-Experience-API-Version": "1.0.3"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def lrs(tmp_path_factory):
    try:
        ralph = prepare()
    except subprocess.CalledProcessError as e:
        pytest.fail(f"could not install ralph into {VENV} ({e}); run `python tests/test_xapi_ralph.py --prepare` "
                    "with network access to PyPI")
    tmp = tmp_path_factory.mktemp("ralph")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RALPH_")}
    env.update({"RALPH_AUTH_FILE": str(tmp / "auth.json"), "RALPH_RUNSERVER_BACKEND": "fs",
                "RALPH_APP_DIR": str(tmp / "app"),
                "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(tmp / "data"),
                "RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH": str(tmp / "data")})
    (tmp / "data").mkdir()
    (tmp / "patch").mkdir()
    (tmp / "patch" / "sitecustomize.py").write_text(FS_APPEND)
    env["PYTHONPATH"] = str(tmp / "patch")
    # The credentials file `ralph auth -u USER -p PASSWORD -s all -A USER https://sparring.local -w` writes, with
    # a cheap bcrypt cost (that command takes ~6 s, mostly importing ralph; the hash is the same kind).
    hashed = subprocess.run([str(VENV / "bin" / "python"), "-c", "import bcrypt, sys; print(bcrypt.hashpw("
                             "sys.argv[1].encode(), bcrypt.gensalt(4)).decode())", PASSWORD],
                            check=True, capture_output=True, text=True).stdout.strip()
    (tmp / "auth.json").write_text(json.dumps([{
        "agent": {"account": {"homePage": "https://sparring.local", "name": USER}, "objectType": "Agent"},
        "scopes": ["all"], "hash": hashed, "username": USER}]))
    port = _free_port()
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen([str(ralph), "runserver", "-b", "fs", "--fs-default-directory-path", str(tmp / "data"),
                             "-h", "127.0.0.1", "-p", str(port)], env=env, cwd=tmp, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get(base + "/xAPI/statements?limit=1")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("ralph did not start:\n" + (tmp / "server.log").read_text(errors="replace")[-3000:])
                time.sleep(0.5)
        yield base + "/xAPI"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # runserver has a reloader and a worker: end the whole group
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _all_statements(base: str) -> list[dict]:
    out, url = [], base + "/statements?limit=500"
    root = base[: base.index("/xAPI")]
    for _ in range(200):
        page = _get(url)
        out.extend(page["statements"])
        if not page.get("more"):
            break
        url = root + page["more"]
    return out


@pytest.fixture(scope="module")
def demo_org(tmp_path_factory, repo):
    root = tmp_path_factory.mktemp("org")
    for name in ("scenarios", "policies", "graders"):
        if (repo / name).exists():
            shutil.copytree(repo / name, root / name)
    from sparring.cli import main

    assert main(["demo-data", "--root", str(root), "--learners", "200", "--weeks", "12"]) == 0
    return root


def test_export_twice_stores_each_statement_once(lrs, demo_org, monkeypatch):
    from sparring.cli import main
    from sparring.organisation import load_org
    from sparring.insights import export
    from sparring.store.db import open_store

    org = load_org(demo_org)
    store = open_store(org)
    n_attempts = store.count("attempts")
    assert n_attempts > 1000
    monkeypatch.setenv("LRS_PW", PASSWORD)
    args = ["export", "xapi", "--root", str(demo_org), "--lrs", lrs, "--user", USER, "--password-env", "LRS_PW",
            "--batch", "250"]

    # A run that dies after two batches (the network drops): the cursor remembers where it stopped.
    real_post, calls = export.LRSClient.post, {"n": 0}

    def flaky(self, batch):
        calls["n"] += 1
        if calls["n"] > 2:
            raise export.ExportError("network dropped")
        return real_post(self, batch)

    monkeypatch.setattr(export.LRSClient, "post", flaky)
    assert main(args) == 1
    key = lrs + "/statements"
    assert export.get_cursor(store, key) == store.query("SELECT id FROM attempts ORDER BY id LIMIT 1 OFFSET 499")[0]["id"]
    monkeypatch.setattr(export.LRSClient, "post", real_post)

    assert main(args) == 0  # resumes after the cursor
    assert export.get_cursor(store, key) == store.one("SELECT MAX(id) AS m FROM attempts")["m"]
    assert main(args) == 0  # nothing new
    assert main(args + ["--restart"]) == 0  # everything again: the LRS keeps one copy per statement id

    got = _all_statements(lrs)
    assert len(got) == n_attempts
    ids = {s["id"] for s in got}
    assert len(ids) == n_attempts
    home = "https://sparring.local"
    want = {str(uuid.uuid5(uuid.NAMESPACE_URL, f"{home}/attempts/{r['id']}")) for r in store.query("SELECT id FROM attempts")}
    assert ids == want

    # One passed and one blocked frame attempt, field by field.
    row = store.one("SELECT * FROM attempts WHERE passed = 1 ORDER BY id LIMIT 1")
    st = next(s for s in got if s["id"] == export.statement_id(home, row["id"]))
    assert st["actor"]["account"] == {"homePage": home, "name": row["learner"]}
    assert "mbox" not in st["actor"]
    assert st["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert st["result"]["success"] is True
    assert st["result"]["score"]["scaled"] == pytest.approx(row["score"], abs=1e-4)
    crits = st["result"]["extensions"][export.EXT + "criteria"]
    assert [c["id"] for c in crits] == [c["criterion"] for c in store.query(
        "SELECT criterion FROM criterion_results WHERE attempt_id = ? ORDER BY rowid", [row["id"]])]
    assert st["object"]["id"] == f"{home}/scenarios/{row['scenario']}"
    assert st["object"]["definition"]["extensions"][export.EXT + "skills"] == json.loads(row["skills"])
    assert st["object"]["definition"]["name"]["en-US"] == org.scenarios[row["scenario"]].title

    blocked = store.one("SELECT * FROM attempts WHERE blocked = 1 ORDER BY id LIMIT 1")
    sb = next(s for s in got if s["id"] == export.statement_id(home, blocked["id"]))
    assert sb["verb"]["id"] == "http://adlnet.gov/expapi/verbs/failed"
    assert sb["result"]["success"] is False
    assert sb["result"]["extensions"][export.EXT + "blocked-by-policy"] is True

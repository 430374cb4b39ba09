"""Two app replicas on one PostgreSQL behind a real nginx running docs/nginx.conf: a sign-in made on one replica
holds on the other, the app is served under a sub-path, an attempt sent through nginx is stored exactly once,
and the health endpoints answer the load balancer."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from pg_support import free_port, pg_server, pg_url  # noqa: F401  (fixtures)

from sparring.auth import hash_password
from sparring.store.db import Store
from sparring.store.users import add_user

REPO = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PASSWORD = "replica-test-password"
FRAME = "support-delayed-claim"
PROMPT = ("Draft a reply for our complaints team to [customer], whose water-leak claim has been held up for five "
          "weeks. We are still waiting for the contractor to send the repair estimate and have chased it twice. "
          "Say sorry for the delay and explain that we will phone by [date]. Warm, plain English.")


@pytest.fixture(scope="module")
def nginx_bin():
    if NGINX is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx not found: apt-get install nginx (CI=true: the replica test must run on CI)")
        pytest.skip("nginx not found: apt-get install nginx to run the replica test")
    return NGINX


def _wait(url: str, procs: list[subprocess.Popen], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            assert p.poll() is None, f"a replica exited with {p.returncode}"
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready after {timeout} s")


def nginx_conf(ports: list[int], listen: int, tmp: Path) -> str:
    """docs/nginx.conf with this test's ports and log path: nothing else changed."""
    text = (REPO / "docs" / "nginx.conf").read_text()
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
    text, n = re.subn(r"(?m)^\s*server 127\.0\.0\.1:\d+ [^\n]*\n(\s*server 127\.0\.0\.1:\d+ [^\n]*\n)*",
                      servers + "\n", text)
    assert n == 1
    text = re.sub(r"listen \d+;", f"listen 127.0.0.1:{listen};", text)
    return re.sub(r"access_log \S+;", f"access_log {tmp / 'access.log'};", text)


@pytest.fixture(scope="module")
def cluster(nginx_bin, pg_server, tmp_path_factory):  # noqa: F811
    tmp = tmp_path_factory.mktemp("replicas")
    url = pg_server.create_database()
    store = Store(url)
    add_user(store, "ann", ["learner"], password_hash=hash_password(PASSWORD))
    store.close()
    ports = [free_port(), free_port()]
    env = {k: v for k, v in os.environ.items() if k != "SPARRING_DB"}
    env.update(SPARRING_STORE_URL=url, GRADIO_ROOT_PATH="/sparring", PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1",
               GRADIO_TEMP_DIR=str(tmp / "gradio"))
    procs = []
    for i, port in enumerate(ports):
        log = open(tmp / f"replica{i}.log", "w")
        procs.append(subprocess.Popen([sys.executable, "-m", "sparring.cli", "serve", "--root", str(REPO),
                                       "--host", "127.0.0.1", "--port", str(port)], cwd=tmp, env=env,
                                      stdout=log, stderr=subprocess.STDOUT))
    listen = free_port()
    (tmp / "nginx.conf").write_text(nginx_conf(ports, listen, tmp))
    nginx = None
    try:
        for port in ports:
            _wait(f"http://127.0.0.1:{port}/readyz", procs)
        nginx = subprocess.Popen([nginx_bin, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g",
                                  f"daemon off; pid {tmp / 'nginx.pid'}; error_log {tmp / 'error.log'};"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait(f"http://127.0.0.1:{listen}/sparring/healthz", procs)
        yield {"replicas": [f"http://127.0.0.1:{p}" for p in ports], "lb": f"http://127.0.0.1:{listen}/sparring",
               "db": url, "tmp": tmp}
    finally:
        for p in ([nginx] if nginx else []) + procs:
            p.terminate()
        for p in ([nginx] if nginx else []) + procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_health_endpoints_answer_without_sign_in(cluster):
    for base in cluster["replicas"]:
        assert httpx.get(f"{base}/healthz").json() == {"ok": True}
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200 and ready.json()["store"] == "postgresql"
    assert httpx.get(f"{cluster['lb']}/readyz").status_code == 200


def test_a_sign_in_on_one_replica_holds_on_the_other_and_through_nginx(cluster):
    one, other = cluster["replicas"]
    with httpx.Client(base_url=one) as c:
        assert c.get("gradio_api/login_check").status_code == 401
        assert c.post("login", data={"username": "ann", "password": PASSWORD}).status_code == 200
        cookies = dict(c.cookies)
    assert any(k.startswith("access-token") for k in cookies)
    for base in (other, cluster["lb"]):
        with httpx.Client(base_url=base, cookies=cookies) as c:
            assert c.get("gradio_api/login_check").status_code == 200, base
    with httpx.Client(base_url=other) as c:  # and a stranger's cookie is not a sign-in anywhere
        c.cookies.update({k: "forged" for k in cookies})
        assert c.get("gradio_api/login_check").status_code == 401


def test_the_app_under_a_sub_path_and_an_attempt_through_nginx_is_stored_once(cluster):
    with httpx.Client(base_url=cluster["lb"] + "/", timeout=httpx.Timeout(300, connect=30)) as c:
        assert c.post("login", data={"username": "ann", "password": PASSWORD}).status_code == 200
        cfg = c.get("config").json()
        assert cfg["root"].endswith("/sparring"), "GRADIO_ROOT_PATH: the app's links carry the sub-path"
        dep = next(d for d in cfg["dependencies"] if d.get("api_name") == "attempt")
        session = uuid.uuid4().hex[:11]
        r = c.post("gradio_api/queue/join", json={"data": [FRAME, {"prompt": PROMPT}], "fn_index": dep["id"],
                                                  "trigger_id": None, "session_hash": session, "event_data": None})
        assert r.status_code == 200, r.text
        event_id = r.json()["event_id"]
        result = None
        with c.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as resp:
            for line in resp.iter_lines():  # through nginx with proxy_buffering off: the result as it comes
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    if msg.get("msg") == "process_completed" and msg.get("event_id") == event_id:
                        result = msg
                        break
    assert result is not None and result["success"], result
    attempt_id = result["output"]["data"][0]["attempt_id"]
    store = Store(cluster["db"])
    rows = store.query("SELECT id FROM attempts WHERE learner = 'ann'")
    assert [r["id"] for r in rows] == [attempt_id], "stored exactly once"
    store.close()

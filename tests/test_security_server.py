"""The real app as a subprocess (python app.py, under the egress guard), driven through its JSON API:

1. canaries: prompts, flags, justifications, review questions and mentor comments full of synthetic personal data
   go in; the SQLite file, its WAL, the server log, Gradio's temp folder and the CSV/xAPI exports are scanned:
   zero canary values, redacted placeholders present.
2. SIGKILL mid-load: the server is killed while learners submit; `PRAGMA integrity_check` is ok and every
   acknowledged attempt is in the database; the restarted server takes attempts again.

One server start serves both (they run in file order); the long version of 2 is bench/security_bench.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from security_server import Load, Server, integrity, make_users

pytestmark = pytest.mark.slow

# Synthetic people (each value checked below to be flagged by the external-ai policy). Zero-width spaces inside an
# identifier must not hide it from the policy.
ZW = "\u200b"
CANARY_TEXT = {
    "frame-redact": "Draft a reply to Theodora Quennell (theodora.quennell7741@brightmail.co.uk, 07700 900417) "
                    "about her claim CLM-2026-918273 on policy HL-7654321: the contractor's estimate is late.",
    "frame-block": "Customer Bartholomew Ashdown-Frey paid with card 4111 1111 1111 1111; explain the delay.",
    "frame-zero-width": f"Write to theo{ZW}dora.quen{ZW}nell7741@bright{ZW}mail.co.uk about the repair estimate.",
    "spot": "This is wrong: Bartholomew Ashdown-Frey at 27 Larkspur Crescent, Leeds LS6 2QT told us the window "
            "is six months.",
    "trust": "I would verify with Theodora Quennell on 07700 900417 before using it; the schedule limit differs.",
    "question": "Why did I fail? I only mentioned Theodora Quennell, born 14/03/1981, at 27 Larkspur Crescent.",
    "comment": "Good effort. Next time replace Bartholomew Ashdown-Frey and theodora.quennell7741@brightmail.co.uk "
               "with placeholders.",
}
# What must never be found at rest: the distinctive part of every canary value, in each spelling submitted.
CANARIES = ["Quennell", "quennell7741", "quen" + ZW + "nell", "900417", "Ashdown-Frey", "Larkspur", "LS6 2QT",
            "14/03/1981", "918273", "7654321", "4111 1111 1111 1111", "4111111111111111"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("server")
    srv = Server(work)
    make_users(srv.db, {"canary-learner": ["learner"], "canary-mentor": ["mentor"], "file-author": ["author"],
                        "file-compliance": ["compliance"],
                        **{f"load-{i:02d}": ["learner"] for i in range(6)}})
    srv.start()
    yield srv
    srv.kill()


def test_canary_values_are_flagged_by_the_policy(org):
    """Precondition: every canary is something the policy flags (the promise covers flagged data)."""
    eng = org.policy_engine("external-ai")
    for key, text in CANARY_TEXT.items():
        result = eng.check(text)
        assert result.verdict in ("redact", "block"), (key, result.public())
        leftovers = [c for c in CANARIES if c in result.redacted]
        assert not leftovers, (key, result.redacted)


def _scan(paths: list[Path]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in paths:
        data = p.read_bytes()
        hits = [c for c in CANARIES if c.encode("utf-8") in data or c.encode("utf-16-le") in data]
        if hits:
            found[str(p)] = hits
    return found


def test_no_canary_at_rest_after_practice_review_and_export(server, org):
    from sparring import review
    from sparring.insights import export
    from sparring.store.db import Store

    learner, mentor = server.client("canary-learner"), server.client("canary-mentor")
    ids = []
    for key in ("frame-redact", "frame-block", "frame-zero-width"):
        out = learner.predict("support-delayed-claim", {"prompt": CANARY_TEXT[key]}, api_name="/attempt")
        ids.append(out["attempt_id"])
    out = learner.predict("support-final-response-letter", {"flags": {"s2": CANARY_TEXT["spot"]}},
                          api_name="/attempt")
    ids.append(out["attempt_id"])
    out = learner.predict("support-laptop-damaged-abroad", {"decision": "verify", "confidence": 0.7,
                                                            "justification": CANARY_TEXT["trust"]},
                          api_name="/attempt")
    ids.append(out["attempt_id"])
    assert all(isinstance(i, int) for i in ids), ids
    assert mentor is not None

    # Review question and mentor comment through the review service the Review tab calls, on the same file.
    store = Store(server.db)
    rid = review.request_review(org, store, ids[0], "canary-learner", CANARY_TEXT["question"])
    review.answer_review(org, store, rid, "canary-mentor", CANARY_TEXT["comment"], {})

    # Exports: CSV and the xAPI statements exactly as they would be sent.
    csv_path = server.workdir / "export.csv"
    export.write_csv(store, csv_path)
    xapi_path = server.workdir / "xapi.json"
    xapi_path.write_text(json.dumps(export.statements(org, export.attempt_rows(store)), ensure_ascii=False),
                         encoding="utf-8")
    stored = store.query("SELECT answer, grade FROM attempts WHERE id IN (%s)" % ",".join(map(str, ids)))
    reviews = store.query("SELECT question, comment FROM reviews WHERE id = ?", [rid])
    store.close()

    files = [p for p in server.workdir.rglob("*") if p.is_file() and p.name != "egress.log"]
    names = {p.name for p in files}
    assert {"sparring.db", "server.log", "export.csv", "xapi.json"} <= names, names
    assert "sparring.db-wal" in names, "scan the WAL while the server still has it open"
    assert _scan(files) == {}, "raw personal data at rest"
    # ... and what is stored is still useful: placeholders where the data was.
    text = json.dumps(stored, ensure_ascii=False) + json.dumps(reviews, ensure_ascii=False)
    for placeholder in ("<PERSON>", "<EMAIL_ADDRESS>", "<PHONE_NUMBER>", "<POSTCODE>", "<STREET_ADDRESS>"):
        assert placeholder in text, placeholder
    assert re.search(r"<CREDIT_CARD>|<PERSON>", json.dumps(stored[1])), "the blocked prompt is stored redacted too"


def test_server_made_no_outbound_attempt(server):
    assert not server.egress_log.exists() or server.egress_log.read_text() == ""


def _session(server, name: str, password: str):
    import httpx

    c = httpx.Client(base_url=server.url, timeout=30, follow_redirects=True)
    r = c.post("login", data={"username": name, "password": password})
    return c, r


def test_files_outside_the_app_cannot_be_fetched_even_signed_in(server):
    """blocked_paths and Gradio's file rules: the database, the settings, the source and system files are not
    served, to a signed-in learner either (Gradio file-access CVEs were all variations of this)."""
    c, r = _session(server, "canary-learner", "security-test-password")
    assert r.status_code == 200 and c.cookies, r.text[:200]
    targets = {server.db: b"SQLite format 3", server.db.parent / "server.log": b"INFO",
               Path(__file__).resolve().parent.parent / "sparring.toml": b"[store]",
               Path(__file__).resolve().parent.parent / "app.py": b"import", Path("/etc/passwd"): b"root:"}
    for path, marker in targets.items():
        for url in (f"gradio_api/file={path}", f"file={path}", f"gradio_api/file={path}".replace("/", "%2F", 3)):
            resp = c.get(url)
            assert not (resp.status_code == 200 and marker in resp.content), (url, resp.status_code)
    c.close()


def test_login_is_rate_limited_per_user(server):
    """After [auth] max_login_failures wrong passwords from one source, even the right one is refused from there,
    with 429 and a message that says the account is locked and until when; the page carries the notice element
    and the script that shows it; the lock is in the database; `sparring users unlock` lifts it."""
    import subprocess
    import sys

    from sparring.config import AuthSettings
    from sparring.store.db import Store

    def signed_in(c) -> bool:
        return any(k.startswith("access-token") for k in c.cookies.keys())

    good, _ = _session(server, "load-05", "security-test-password")
    assert signed_in(good), list(good.cookies.keys())  # the check below is not vacuous
    good.close()
    n = AuthSettings().max_login_failures
    for i in range(n):  # the failure that reaches the limit already says so
        c, r = _session(server, "load-05", "wrong-password")
        assert not signed_in(c) and r.status_code == (429 if i == n - 1 else 400), r.text[:200]
        c.close()
    c, r = _session(server, "load-05", "security-test-password")
    assert not signed_in(c), "a locked-out user signed in with the right password"
    assert r.status_code == 429, (r.status_code, r.text[:200])
    detail = r.json()["detail"]
    assert "locked" in detail and "try again after" in detail and "UTC" in detail, detail
    page = c.get("").text + json.dumps(c.get("config").json())
    assert "sp-login-notice" in page and "window.fetch" in page  # where the browser shows `detail`
    c.close()
    s = Store(server.db)
    try:
        row = s.one("SELECT account, source, locked_until FROM login_locks WHERE account = 'load-05'")
    finally:
        s.close()
    assert row and row["source"] == "127.0.0.1" and row["locked_until"][11:16] in detail, (row, detail)
    # a mentor or admin unlocks it from the command line; then the owner signs in
    env = {**__import__("os").environ, "SPARRING_DB": str(server.db)}
    out = subprocess.run([sys.executable, "-m", "sparring.cli", "users", "unlock", "load-05", "--by",
                          "canary-mentor"], capture_output=True, text=True, env=env, cwd=Path(__file__).parent.parent)
    assert out.returncode == 0 and "1 lock lifted" in out.stdout, (out.stdout, out.stderr)
    c, r = _session(server, "load-05", "security-test-password")
    assert signed_in(c), r.text[:200]
    c.close()


def test_running_app_enforces_its_web_limits(server):
    """What launch() configures is in effect in the running app (not just written in app.py): the upload size
    limit, no error tracebacks, no answers kept in the browser, events only through the queue (api_open=False,
    so the concurrency and queue limits cannot be skipped), and an upload over the limit refused."""
    from gradio.utils import _parse_file_size

    from sparring.ui.app import MAX_FILE_SIZE

    c, r = _session(server, "canary-learner", "security-test-password")
    assert r.status_code == 200 and c.cookies, r.text[:200]
    cfg = c.get("config").json()
    limit = _parse_file_size(MAX_FILE_SIZE)
    assert cfg["max_file_size"] == limit and limit <= 10_000_000
    assert cfg["show_error"] is False and cfg["run_history"] is False
    assert {d.get("api_name") for d in cfg["dependencies"]} >= {"attempt", "submit_frame", "open_scenario"}

    # the REST route that skips the queue is closed; the queue itself takes the same call
    task = _task0()
    skip = c.post("gradio_api/run/attempt", json={"data": list(task)})
    assert skip.status_code == 404 and "queue" in skip.text, (skip.status_code, skip.text[:200])
    queued = c.post("gradio_api/call/attempt", json={"data": list(task)})
    assert queued.status_code == 200 and queued.json().get("event_id"), queued.text[:200]
    with c.stream("GET", f"gradio_api/call/attempt/{queued.json()['event_id']}") as events:
        body = "".join(events.iter_text())
    assert "event: complete" in body and '"attempt_id"' in body, body[:300]

    # Sparring has no upload component: the upload route refuses any file, small or big, with or without a
    # trailing slash, and nothing reaches Gradio's temp folder
    tmp = server.workdir / "gradio-tmp"
    before = {p for p in tmp.rglob("*")} if tmp.exists() else set()
    for route in ("gradio_api/upload", "gradio_api/upload/"):
        for size in (10, limit + 1):
            up = c.post(route, files={"files": (f"f{size}.txt", b"u" * size, "text/plain")})
            assert up.status_code == 403 and "no file uploads" in up.text, (route, size, up.status_code, up.text[:200])
    after = {p for p in tmp.rglob("*")} if tmp.exists() else set()
    assert not [p for p in after - before if p.name.startswith("f")], sorted(map(str, after - before))
    c.close()


def _call(c, api_name: str, data: list) -> str:
    """One call through /gradio_api/call/<name>: the event id, then its whole event stream."""
    r = c.post(f"gradio_api/call/{api_name}", json={"data": data})
    assert r.status_code == 200 and r.json().get("event_id"), (api_name, r.status_code, r.text[:200])
    with c.stream("GET", f"gradio_api/call/{api_name}/{r.json()['event_id']}") as events:
        return "".join(events.iter_text())


def test_call_route_is_queued_and_role_checked(server):
    """/gradio_api/call/<name> is open (gradio_client uses it) but goes through the queue and the same role check
    as the page: a learner calling the author's and the insights' endpoints gets the refusal, not the data."""
    c, r = _session(server, "canary-learner", "security-test-password")
    assert r.status_code == 200 and c.cookies, r.text[:200]
    for api_name, data in (("author_recheck", []), ("insights_csv", ["All", "All", "All", None, None])):
        body = _call(c, api_name, data)
        assert "event: error" in body and "role" in body, (api_name, body[:300])
        assert "sparring-insights" not in body and "Traceback" not in body, body[:300]
    signed_out = __import__("httpx").post(server.url + "gradio_api/call/attempt", json={"data": list(_task0())})
    assert signed_out.status_code in (401, 403), (signed_out.status_code, signed_out.text[:200])
    c.close()


def test_a_download_is_served_only_to_its_owner(server):
    """The author's insights CSV, at its /gradio_api/file= URL: the author gets it; another account that may
    make its own CSV (compliance), a learner, and a signed-out client do not, even with the URL."""
    author, _ = _session(server, "file-author", "security-test-password")
    body = _call(author, "insights_csv", ["All", "All", "All", None, None])
    assert "event: complete" in body, body[:300]
    data = json.loads(body.split("event: complete", 1)[1].split("data:", 1)[1].strip().splitlines()[0])
    path = data[0]["path"] if isinstance(data[0], dict) else data[0]["value"]["path"]
    url = f"gradio_api/file={path}"
    got = author.get(url)
    assert got.status_code == 200 and b"," in got.content, (got.status_code, got.text[:200])
    for name in ("file-compliance", "canary-learner"):
        other, r = _session(server, name, "security-test-password")
        assert r.status_code == 200 and other.cookies, r.text[:200]
        refused = other.get(url)
        assert refused.status_code == 403 and got.content not in refused.content, (name, refused.status_code)
        other.close()
    import httpx

    anon = httpx.get(server.url + url)
    assert anon.status_code in (401, 403) and got.content not in anon.content, anon.status_code
    author.close()


def test_out_of_range_fn_index_is_a_clean_error(server):
    """A queue join naming an event that does not exist is refused with a 4xx and a short message, not a 500 or a
    traceback, and the server keeps serving."""
    c, r = _session(server, "canary-learner", "security-test-password")
    assert r.status_code == 200 and c.cookies, r.text[:200]
    n = len(c.get("config").json()["dependencies"])
    for fn_index in (n + 1000, -5, 10**12):
        resp = c.post("gradio_api/queue/join", json={"data": [], "fn_index": fn_index, "session_hash": "probe"})
        assert 400 <= resp.status_code < 500, (fn_index, resp.status_code, resp.text[:200])
        assert "Traceback" not in resp.text and len(resp.text) < 500, resp.text[:500]
    assert c.get("config").status_code == 200  # still serving
    c.close()


def test_sigkill_mid_load_loses_no_acknowledged_attempt(server):
    ok, before = integrity(server.db)
    assert ok == "ok"
    load = Load(server, [f"load-{i:02d}" for i in range(5)]).start()  # load-05 is locked out above
    load.wait_for(len(before) + 12, timeout=240)
    load.wait_for(len(load.acked) + 3, timeout=30)  # kill while attempts are in flight
    server.kill()
    load.finish()
    assert len(load.acked) >= 12, load.errors

    ok, ids = integrity(server.db)
    assert ok == "ok"
    missing = set(load.acked) - ids
    assert not missing, f"acknowledged attempts lost after SIGKILL: {sorted(missing)}"

    # Restart on the same file: it opens, migrates and takes new attempts.
    server.start()
    out = server.client("load-00").predict(*_task0(), api_name="/attempt")
    assert isinstance(out["attempt_id"], int) and out["attempt_id"] not in ids
    ok, after = integrity(server.db)
    assert ok == "ok" and ids | {out["attempt_id"]} <= after


def _task0():
    from security_server import TASKS

    return TASKS[0]


def test_the_scan_would_find_a_canary(tmp_path):
    """Guard against a vacuous scan: a canary written in UTF-8 or UTF-16 is found."""
    (tmp_path / "a.log").write_text("x Quennell y", encoding="utf-8")
    (tmp_path / "b.db").write_bytes("LS6 2QT".encode("utf-16-le"))
    assert set(_scan([tmp_path / "a.log", tmp_path / "b.db"])) == {str(tmp_path / "a.log"), str(tmp_path / "b.db")}

"""CSV export and the xAPI exporter without an LRS: statement shape, batching, the resume cursor, retries with
backoff against a local stub server, and the messages people get when something is wrong."""

from __future__ import annotations

import csv
import json
import shutil
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from sparring.cli import main
from sparring.insights import demo, export
from sparring.store.db import Store

HOME = "https://sparring.local"


@pytest.fixture(scope="module")
def store(org, tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("exp") / "exp.db")
    demo.write(s, org, learners=12, weeks=4, seed=5)
    return s


def row(**kw):
    base = {"id": 7, "learner": "ann", "scenario": "support-delayed-claim", "kind": "frame",
            "skills": '["prompt-framing"]', "roles": '["customer-support"]', "submitted_at": "2025-03-03T10:00:00+00:00",
            "duration_s": 95.5, "passed": 1, "score": 0.8734, "verdict": "allow", "blocked": 0, "grade": "{...}",
            "criteria": [{"criterion": "no-pii", "check": "policy", "passed": 1, "score": 1.0, "required": 1,
                          "weight": 1.0}]}
    base.update(kw)
    return base


def test_statement_shape():
    st = export.statement(row(), HOME, "Reply to a customer")
    assert st["id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, f"{HOME}/attempts/7"))
    assert st["actor"] == {"objectType": "Agent", "account": {"homePage": HOME, "name": "ann"}}
    assert st["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert st["result"]["score"]["scaled"] == 0.8734 and st["result"]["success"] is True
    assert st["result"]["duration"] == "PT95.5S"
    assert st["result"]["extensions"][export.EXT + "criteria"] == [
        {"id": "no-pii", "check": "policy", "passed": True, "score": 1.0, "required": True, "weight": 1.0,
         "ungraded": False}]
    obj = st["object"]
    assert obj["id"] == f"{HOME}/scenarios/support-delayed-claim"
    assert obj["definition"]["name"] == {"en-US": "Reply to a customer"}
    assert obj["definition"]["extensions"][export.EXT + "skills"] == ["prompt-framing"]
    assert st["timestamp"] == "2025-03-03T10:00:00Z"
    assert export.statement(row(), HOME) == export.statement(row(), HOME)  # stable: same attempt, same statement


@pytest.mark.parametrize("kw,verb,success", [
    ({"passed": 0}, "failed", False),
    ({"grade": ""}, "answered", None),
    ({"passed": 0, "ungraded": 1}, "answered", None),  # the verdict waits for a mentor: neither pass nor fail
])
def test_verbs(kw, verb, success):
    st = export.statement(row(**kw), HOME)
    assert st["verb"]["id"].endswith("/" + verb)
    assert st["result"].get("success") is success


def test_an_email_never_becomes_the_actor():
    st = export.statement(row(learner="Ann.Lee@example.com"), HOME)
    name = st["actor"]["account"]["name"]
    assert "@" not in name and name.startswith("user-") and "mbox" not in json.dumps(st)
    assert name == export.actor_name("ann.lee@example.com")  # stable pseudonym


def test_home_page_comes_from_settings(org):
    class O:
        settings = org.settings.model_copy(update={"url": "https://learn.harbourline.example/"})
    assert export.home_page(O()) == "https://learn.harbourline.example"
    assert export.home_page(org) == HOME


def test_csv_export(store, tmp_path):
    out = tmp_path / "a.csv"
    n = export.write_csv(store, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert n == len(rows) == store.count("attempts")
    assert list(rows[0]) == export.CSV_COLUMNS
    blocked = next(r for r in rows if r["blocked"] == "1")
    assert "no-pii" in blocked["criteria_failed"] and blocked["verdict"] == "block"
    later = export.write_csv(store, tmp_path / "b.csv", since="2025-01-20")
    assert 0 < later < n


class FakeClient:
    def __init__(self, fail_after=None):
        self.batches, self.fail_after = [], fail_after

    def post(self, batch):
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise export.ExportError("network dropped")
        self.batches.append([s["id"] for s in batch])
        return 200


def test_batches_cursor_resume_and_restart(org, store):
    n = store.count("attempts")
    key = "http://lrs.test/xAPI/statements"
    export.reset_cursor(store, key)
    c1 = FakeClient(fail_after=2)
    with pytest.raises(export.ExportError):
        export.export_xapi(org, store, c1, lrs_key=key, batch=10)
    assert [len(b) for b in c1.batches] == [10, 10]
    ids = [r["id"] for r in store.query("SELECT id FROM attempts ORDER BY id")]
    assert export.get_cursor(store, key) == ids[19]
    c2 = FakeClient()
    res = export.export_xapi(org, store, c2, lrs_key=key, batch=10)
    assert res["sent"] == n - 20 and export.get_cursor(store, key) == ids[-1]
    sent = [i for b in c1.batches + c2.batches for i in b]
    assert len(sent) == len(set(sent)) == n  # each attempt once, none skipped
    assert export.export_xapi(org, store, FakeClient(), lrs_key=key)["sent"] == 0
    again = FakeClient()
    assert export.export_xapi(org, store, again, lrs_key=key, batch=1000, restart=True)["sent"] == n
    assert again.batches[0] == sent  # the same statement ids: the LRS stores them once


class Stub(BaseHTTPRequestHandler):
    plan: list[int] = []
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Stub.seen.append({"auth": self.headers["Authorization"], "version": self.headers["X-Experience-API-Version"],
                          "n": len(body), "path": self.path})
        code = Stub.plan.pop(0) if Stub.plan else 200
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'["ok"]' if code == 200 else b'{"detail": "nope"}')

    def log_message(self, *a):
        pass


@pytest.fixture
def stub():
    srv = HTTPServer(("127.0.0.1", 0), Stub)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    Stub.plan, Stub.seen = [], []
    yield f"http://127.0.0.1:{srv.server_address[1]}/xAPI"
    srv.shutdown()


def test_client_retries_with_backoff_then_succeeds(stub):
    Stub.plan = [503, 429, 200]
    slept = []
    client = export.LRSClient(stub, "key", "secret", retries=5, backoff=0.5, sleep=slept.append)
    assert client.post([{"id": "x"}]) == 200
    assert slept == [0.5, 1.0] and len(Stub.seen) == 3
    assert Stub.seen[0]["path"] == "/xAPI/statements" and Stub.seen[0]["version"] == "1.0.3"
    assert Stub.seen[0]["auth"] == "Basic a2V5OnNlY3JldA=="


@pytest.mark.parametrize("code,msg", [
    (401, "refused the credentials"),
    (409, "already holds a DIFFERENT statement"),
    (400, "rejected a batch \\(HTTP 400"),
])
def test_client_errors_say_what_to_do(stub, code, msg):
    Stub.plan = [code]
    client = export.LRSClient(stub, "key", "secret", retries=3, sleep=lambda s: None)
    with pytest.raises(export.ExportError, match=msg):
        client.post([{"id": "x"}])
    assert len(Stub.seen) == 1  # not worth retrying


def test_client_gives_up_on_an_unreachable_lrs():
    slept = []
    client = export.LRSClient("http://127.0.0.1:9/xAPI", "k", "s", retries=2, backoff=0.1, sleep=slept.append)
    with pytest.raises(export.ExportError, match="cannot reach the LRS .* after 3 tries.*resumes where it stopped"):
        client.post([{"id": "x"}])
    assert slept == [0.1, 0.2]


def test_cli_export(repo, tmp_path, stub, monkeypatch, capsys):
    for name in ("scenarios", "policies", "graders"):
        if (repo / name).exists():
            shutil.copytree(repo / name, tmp_path / name)
    assert main(["demo-data", "--root", str(tmp_path), "--learners", "5", "--weeks", "2"]) == 0
    capsys.readouterr()
    out = tmp_path / "x.csv"
    assert main(["export", "csv", "--root", str(tmp_path), "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rows"] > 0 and out.exists()
    assert main(["export", "csv", "--root", str(tmp_path), "--out", str(out), "--since", "03/01/2025"]) == 2
    assert "give a date as YYYY-MM-DD" in capsys.readouterr().err
    base = ["export", "xapi", "--root", str(tmp_path), "--lrs", stub, "--user", "k", "--password-env", "XPW"]
    monkeypatch.delenv("XPW", raising=False)
    assert main(base) == 2
    assert "XPW: that environment variable is not set" in capsys.readouterr().err
    monkeypatch.setenv("XPW", "s")
    assert main(base + ["--batch", "4", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sent"] == sum(s["n"] for s in Stub.seen) and doc["batches"] == len(Stub.seen)
    Stub.plan = [401]
    assert main(base + ["--restart"]) == 1
    assert "refused the credentials" in capsys.readouterr().err

"""The organisation's AI gateway end to end: `sparring gateway serve` starts a real LiteLLM proxy on 127.0.0.1
with the Sparring guardrail; an OpenAI client sends requests as three accounts of two teams; a local model server
records what the model receives. Offline: the proxy runs under the egress guard (tests/egress.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from openai_stub import StubServer, completion
from security_server import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
KEY = "sk-test-" + "0123456789abcdef" * 3
BOOT = ("import sys; sys.path.insert(0, {tests!r}); import egress; egress.install(); "
        "from sparring.cli import main; sys.exit(main({argv!r}))")
CARD = "4111 1111 1111 1111"
NAME = "Johanna Whitfield"
CLAIM = "CLM-2024-123456"
TEAMS = {"Claims": ["ana", "ben", "claims3", "claims4", "claims5"],
         "Finance": ["cy", "fin2", "fin3", "fin4", "fin5"]}


def _org(root: Path, stub_url: str, port: int) -> None:
    for name in ("scenarios", "policies", "graders"):
        shutil.copytree(REPO / name, root / name)
    (root / "sparring.toml").write_text(f"""
[store]
path = "data/sparring.db"
[auth]
demo_accounts = false
[gateway]
policy = "external-ai"
master_key_env = "SPARRING_TEST_GATEWAY_KEY"
port = {port}
[gateway.models.mock]
model = "openai/gpt-4o-mini"
mock_response = "canned answer"
[gateway.models.recorded]
model = "openai/stub"
api_base = "{stub_url}"
api_key_env = "SPARRING_TEST_STUB_KEY"
""", encoding="utf-8")


class Gateway:
    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        self.log = root / "gateway.log"
        self.egress_log = root / "egress.log"
        argv = ["gateway", "serve", "--root", str(root), "--port", str(port)]
        env = {**os.environ, "SPARRING_TEST_GATEWAY_KEY": KEY, "SPARRING_TEST_STUB_KEY": "sk-stub",
               "SPARRING_EGRESS_LOG": str(self.egress_log), "PYTHONUNBUFFERED": "1",
               "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_OFFLINE_MODE": "true"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-c", BOOT.format(tests=str(REPO / "tests"), argv=argv)],
                                         cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def wait(self, timeout: float = 900) -> None:
        """Poll until the proxy answers its liveness probe (LiteLLM takes a minute or more on a busy machine)."""
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/health/liveliness"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the gateway exited with {self.proc.returncode}:\n{self.log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)  # the poll interval; readiness itself is the probe above
        raise RuntimeError(f"no gateway at {url} after {timeout:.0f} s:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # our own child, by its handle
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def received() -> list[dict[str, Any]]:
    return []


@pytest.fixture(scope="module")
def stub(received: list[dict[str, Any]]) -> Iterator[StubServer]:
    def respond(body: dict, headers: Any) -> tuple[int, dict]:
        received.append(body)
        return 200, completion("stub answer")

    s = StubServer(respond).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, stub: StubServer) -> Iterator[Gateway]:
    from sparring.store.db import Store
    from sparring.store.users import add_user

    root = tmp_path_factory.mktemp("gateway-org")
    port = free_port()
    _org(root, stub.url, port)
    store = Store(root / "data" / "sparring.db")
    for team, names in TEAMS.items():
        for n in names:
            add_user(store, n, ["learner"], team=team, job_roles=["claims-handler" if team == "Claims" else "finance"])
    store.close()
    gw = Gateway(root, port)
    try:
        gw.wait()
        yield gw
    finally:
        gw.stop()


@pytest.fixture(scope="module")
def client(gateway: Gateway) -> Any:
    import openai

    return openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/v1", api_key=KEY, max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def exchanges(client: Any, received: list[dict[str, Any]]) -> dict[str, Any]:
    """The three requests of the scenario, each as one account; what came back."""
    import openai

    out: dict[str, Any] = {}
    try:
        client.chat.completions.create(model="mock", user="ana", messages=[
            {"role": "user", "content": f"The customer's card {CARD} was charged twice; draft an apology."}])
        out["block"] = None
    except openai.APIStatusError as e:
        out["block"] = e
    out["redact"] = client.chat.completions.create(model="recorded", user="ben", messages=[
        {"role": "system", "content": "You draft letters for an insurer."},
        {"role": "user", "content": f"Draft a reply to {NAME} about claim {CLAIM}: the estimate is late."}])
    out["clean"] = client.chat.completions.create(model="mock", user="cy", messages=[
        {"role": "user", "content": "List the month-end reconciliation steps for supplier invoices."}])
    return out


def test_block_is_http_400_naming_entity_types_never_values(exchanges: dict[str, Any]) -> None:
    e = exchanges["block"]
    assert e is not None, "a prompt with a card number went through"
    assert e.status_code == 400
    text = str(e)
    assert "CREDIT_CARD" in text and "Nothing was sent" in text
    assert CARD not in text and "4111" not in text


def test_redact_reaches_the_model_redacted(exchanges: dict[str, Any], received: list[dict[str, Any]]) -> None:
    assert exchanges["redact"].choices[0].message.content == "stub answer"
    assert len(received) == 1, "only the redact request goes to the recording model"
    sent = json.dumps(received[0]["messages"])
    assert NAME not in sent and "Whitfield" not in sent and CLAIM not in sent
    assert "<PERSON>" in sent and "<CLAIM_REF>" in sent
    assert "the estimate is late" in sent and "You draft letters for an insurer." in sent


def test_clean_prompt_passes(exchanges: dict[str, Any]) -> None:
    assert exchanges["clean"].choices[0].message.content == "canned answer"


def test_events_stored_counts_only(gateway: Gateway, exchanges: dict[str, Any]) -> None:
    from sparring.store.db import Store

    store = Store(gateway.root / "data" / "sparring.db")
    rows = {r["account"]: r for r in store.query("SELECT * FROM real_work_events")}
    assert set(rows) == {"ana", "ben", "cy"}
    assert (rows["ana"]["verdict"], rows["ana"]["team"], json.loads(rows["ana"]["findings"])) == \
        ("block", "Claims", {"CREDIT_CARD": 1})
    assert rows["ben"]["verdict"] == "redact" and rows["ben"]["model"] == "recorded"
    assert json.loads(rows["ben"]["findings"]) == {"CLAIM_REF": 1, "PERSON": 1}
    assert "support-delayed-claim" in json.loads(rows["ben"]["scenarios"])
    assert "data-handling" in json.loads(rows["ben"]["skills"])
    assert (rows["cy"]["verdict"], rows["cy"]["team"], rows["cy"]["findings"]) == ("allow", "Finance", "{}")
    store.close()
    # no canary at rest: not in the database, its WAL, or anything else the gateway wrote
    for f in (gateway.root / "data").iterdir():
        raw = f.read_bytes()
        for canary in (CARD, NAME, CLAIM, "Whitfield"):
            assert canary.encode() not in raw, f"{canary!r} at rest in {f.name}"


def test_insights_real_work_counts_them(gateway: Gateway, exchanges: dict[str, Any],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from sparring.cli import main

    assert main(["insights", "real-work", "--root", str(gateway.root), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    teams = {t["team"]: t for t in doc["teams"]}
    assert teams["Claims"] == {"team": "Claims", "requests": 2, "slips": 2, "slips_per_100": 100.0, "blocked": 1,
                               "by_entity": {"CLAIM_REF": 1, "CREDIT_CARD": 1, "PERSON": 1}}
    assert teams["Finance"] == {"team": "Finance", "requests": 1, "slips": 0, "slips_per_100": 0.0, "blocked": 0,
                                "by_entity": {}}
    assert doc["learners"] == 3


def test_slipping_learner_catalogue_leads_with_matching_scenario(gateway: Gateway,
                                                                 exchanges: dict[str, Any]) -> None:
    from sparring.organisation import load_org
    from sparring.store.db import Store
    from sparring.store.queries import catalogue

    org = load_org(gateway.root)
    store = Store(gateway.root / "data" / "sparring.db")
    first = catalogue(org, store, "ben")[0]
    pointed = json.loads(store.one("SELECT scenarios FROM real_work_events WHERE account = 'ben'")["scenarios"])
    assert first.scenario in pointed
    assert first.reason and first.reason.startswith("From your work this week: ")
    assert "person" in first.reason and NAME not in first.reason
    assert catalogue(org, store, "cy")[0].reason is None  # a clean request marks nothing
    store.close()


def test_gateway_made_no_outbound_connection(gateway: Gateway, exchanges: dict[str, Any]) -> None:
    refused = gateway.egress_log.read_text() if gateway.egress_log.exists() else ""
    assert refused == "", f"the gateway tried to leave the machine:\n{refused[:3000]}"

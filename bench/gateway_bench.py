"""The AI gateway under load: guardrail overhead, lost events, canaries at rest.

    python bench/gateway_bench.py            # prints the figures
    python bench/gateway_bench.py --write    # also replaces the "## Gateway" section of docs/benchmarks.md

Two real LiteLLM proxies on 127.0.0.1, started at the same time, with the same `mock_response` model: one by
`sparring gateway serve` (the Sparring guardrail on), one from the same config without the guardrail. Then
1. overhead: N sequential 200-word clean requests, alternating between the two proxies (same run, same load), and
   the guarded proxy's p50/p95 minus the plain one's, and as a ratio;
2. load: 20 client threads for 60 s against the guarded proxy, prompts full of canaries (names, card numbers,
   claim references): every answer (200, or 400 for a block) must have its event stored: events = answered;
3. canaries at rest: no canary in any file under the organisation's data folder afterwards.
Bounded: the request loops stop by count or time; only loopback addresses are contacted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import json
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
KEY = "sk-bench-" + "0123456789abcdef" * 3
WORDS = ("the customer asked about the renewal of their home cover and whether the excess changes when a claim "
         "is still open we should explain the steps clearly and kindly without promising a date we cannot keep "
         ).split()
CLEAN_200 = " ".join(WORDS[i % len(WORDS)] for i in range(200))
CANARIES = ["Johanna Whitfield", "4111 1111 1111 1111", "CLM-2024-654321", "Bartholomew Quince", "HL-7654321"]
LOADED = [f"Draft a reply to {CANARIES[0]} about claim {CANARIES[2]}; the estimate is late.",
          f"Refund card {CANARIES[1]} for the double charge.",
          f"Policy {CANARIES[4]} holder {CANARIES[3]} asks about flood cover.",
          "List the month-end reconciliation steps."]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_org(root: Path, port: int) -> None:
    for name in ("scenarios", "policies", "graders"):
        shutil.copytree(REPO / name, root / name)
    (root / "sparring.toml").write_text(f"""[store]
path = "data/sparring.db"
[auth]
demo_accounts = false
[gateway]
master_key_env = "SPARRING_BENCH_KEY"
port = {port}
[gateway.models.mock]
model = "openai/gpt-4o-mini"
mock_response = "canned answer"
""", encoding="utf-8")


def start(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SPARRING_BENCH_KEY": KEY, "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "LITELLM_OFFLINE_MODE": "true", "PYTHONUNBUFFERED": "1"}
    with open(log, "ab") as fh:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 900) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"proxy on {port} exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/liveliness", timeout=2):
                return time.monotonic() - t0
        except OSError:
            time.sleep(0.5)  # poll interval; readiness is the probe
    raise SystemExit(f"proxy on {port} not ready after {timeout} s")


def post(port: int, user: str, text: str) -> tuple[int, float]:
    body = json.dumps({"model": "mock", "user": user, "messages": [{"role": "user", "content": text}]}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    return status, (time.perf_counter() - t0) * 1000


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200, help="sequential requests per proxy for the overhead")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()

    from sparring.config import load_settings
    from sparring.gateway.litellm_config import litellm_config
    from sparring.store.db import Store
    from sparring.store.users import add_user
    import yaml

    work = Path(tempfile.mkdtemp(prefix="sparring-gateway-bench-"))
    root = work / "org"
    root.mkdir()
    gport, pport = free_port(), free_port()
    make_org(root, gport)
    store = Store(root / "data" / "sparring.db")
    for i in range(a.clients):
        add_user(store, f"bench{i}", ["learner"], team=f"Team{i % 4}")
    plain_cfg = litellm_config(load_settings(root), root)
    del plain_cfg["guardrails"]
    (work / "plain.yaml").write_text(yaml.safe_dump(plain_cfg), encoding="utf-8")
    guarded = start([sys.executable, "-m", "sparring.cli", "gateway", "serve", "--root", str(root)], work / "g.log")
    plain = start([sys.executable, "-m", "litellm.proxy.proxy_cli", "--config", str(work / "plain.yaml"),
                   "--host", "127.0.0.1", "--port", str(pport)], work / "p.log")
    try:
        tg = wait_ready(guarded, gport, work / "g.log")
        tp = wait_ready(plain, pport, work / "p.log")
        for _ in range(10):  # warm both
            post(gport, "bench0", CLEAN_200), post(pport, "bench0", CLEAN_200)
        lat_g, lat_p = [], []
        for i in range(a.requests):
            for port, acc in ((gport, lat_g), (pport, lat_p)) if i % 2 == 0 else ((pport, lat_p), (gport, lat_g)):
                status, ms = post(port, "bench0", CLEAN_200)
                assert status == 200, status
                acc.append(ms)
        before = store.count("real_work_events")
        answered = [0] * a.clients
        errors = [0] * a.clients
        stop_at = time.monotonic() + a.seconds

        def client(i: int) -> None:
            n = 0
            while time.monotonic() < stop_at:
                status, _ = post(gport, f"bench{i}", LOADED[(i + n) % len(LOADED)])
                n += 1
                if status in (200, 400):
                    answered[i] += 1
                else:
                    errors[i] += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stored = store.count("real_work_events") - before
    finally:
        for p in (guarded, plain):
            p.terminate()
            p.wait(timeout=120)
    raw = b"".join(f.read_bytes() for f in (root / "data").iterdir() if f.is_file())
    at_rest = sum(raw.count(c.encode()) for c in CANARIES)
    g50, g95, p50, p95 = pct(lat_g, .5), pct(lat_g, .95), pct(lat_p, .5), pct(lat_p, .95)
    # Where the overhead goes: the policy check of the same text, in this process, right after the run.
    from sparring.organisation import load_org
    from sparring.gateway.check import check_request

    engine = load_org(root).policy_engine("external-ai")
    engine.check("warm-up")
    own = []
    for _ in range(50):
        t0 = time.perf_counter()
        check_request(engine, {"messages": [{"role": "user", "content": CLEAN_200}]})
        own.append((time.perf_counter() - t0) * 1000)
    met = (g50 - p50 <= 25, g95 - p95 <= 60)
    total = sum(answered)
    text = f"""## Gateway

`python bench/gateway_bench.py --write` ({datetime.now(timezone.utc):%Y-%m-%d}, {platform.machine()},
{os.cpu_count()} cores, Python {platform.python_version()}, shared with other work). Two LiteLLM proxies on 127.0.0.1 with
the same `mock_response` model, one with the Sparring guardrail (`sparring gateway serve`), one without, started
together (the guarded one ready after {tg:.0f} s, the plain one {tp:.0f} s after that).

Overhead on a 200-word clean request ({a.requests} sequential requests per proxy, alternating, same run):

| | p50 | p95 |
|---|---|---|
| proxy alone | {p50:.1f} ms | {p95:.1f} ms |
| proxy + guardrail | {g50:.1f} ms | {g95:.1f} ms |
| overhead | **{g50 - p50:.1f} ms** (target ≤ 25) | **{g95 - p95:.1f} ms** (target ≤ 60) |
| ratio | {g50 / p50:.2f}x | {g95 / p95:.2f}x |
| the policy check alone, same text, in-process | {pct(own, .5):.1f} ms | {pct(own, .95):.1f} ms |

Overhead targets: p50 {"met" if met[0] else "**not met**"}, p95 {"met" if met[1] else "**not met**"}. The policy
check alone (last row: the same engine as the sandbox, figures under "Policy engine") is
{100 * pct(own, .5) / max(g50 - p50, 1e-9):.0f}% of the p50 overhead; the rest is the event's write transaction,
moving the check off the proxy's event loop, and the machine's load (a negative overhead means the run was noisier
than the difference).

Load: {a.clients} clients for {a.seconds:.0f} s through the guarded proxy, prompts full of canaries (names, card
numbers, claim and policy references; a quarter clean): {total} requests answered ({total / a.seconds:.1f}/s; 200 or
a 400 block), {sum(errors)} errors, **{stored} events stored, {total - stored} lost**. Canaries at rest afterwards in
the organisation's data folder: **{at_rest}**.
"""
    print(text)
    if a.write:
        sys.path.insert(0, str(REPO / "bench"))
        from benchdoc import write_section

        write_section("## Gateway", text)
    shutil.rmtree(work, ignore_errors=True)
    return 0 if stored == total and at_rest == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

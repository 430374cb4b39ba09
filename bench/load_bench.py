"""Load benchmark: N simulated learners practise against a running Sparring app for a fixed time.

    python bench/load_bench.py                      # 50 learners, 60 s, 10 s think time, HTTP (gradio_client)
    python bench/load_bench.py --plan inprocess:1:0,http:50:10 --write   # what docs/benchmarks.md shows
    python bench/load_bench.py --learners 10 --duration 20
    python bench/load_bench.py --mode inprocess     # the same attempts straight into practice.attempt (no server)
    python bench/load_bench.py --write              # also replace the "## Load" section of docs/benchmarks.md

HTTP mode starts the app itself (`python app.py` on a free port, a fresh database in a temporary folder), and
measures cold start (launch → first page served) and the server's peak RSS (VmHWM). Each simulated learner is a
thread with its own gradio_client.Client (its own sign-in and session), and loops: open a scenario, submit an
answer, read the feedback, think for --think seconds. Latency is submit → feedback as the client sees it.
An in-process run with one learner and no think time gives the service time of one attempt (policy check +
grading + storage) without the web server.
Afterwards the database must hold exactly the attempts that were acknowledged ("Saved to your progress").
Scenarios: one of each kind from the sample organisation, answered with their own `examples`, plus a prompt the
policy blocks — the scripted assistant answers, as in an offline deployment.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sparring  # noqa: E402,F401 - sets the offline environment first

PASSWORD = "bench-password"
BLOCKED_PROMPT = ("Customer paid with card 4111 1111 1111 1111 and asks why the contractor's repair estimate is late. "
                  "Draft a reply to [customer].")
TASK_SCENARIOS = ["support-laptop-damaged-abroad", "support-final-response-letter", "support-delayed-claim"]


@dataclass
class Task:
    scenario: str
    kind: str
    answer: dict
    label: str


def build_tasks(org) -> list[Task]:
    tasks = []
    for sid in TASK_SCENARIOS:
        sc = org.scenarios[sid]
        ex = sc.examples[0]
        tasks.append(Task(sid, sc.kind, ex.answer, f"{sc.kind}: {ex.name or 'example 1'}"))
    tasks.append(Task("support-delayed-claim", "frame", {"prompt": BLOCKED_PROMPT}, "frame: blocked prompt"))
    return tasks


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    acked: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, kind: str, dt: float) -> None:
        with self.lock:
            self.acked += 1
            self.latencies.append(dt)
            self.by_kind.setdefault(kind, []).append(dt)

    def fail(self, msg: str) -> None:
        with self.lock:
            self.errors.append(msg[:300])


def pct(xs: list[float], p: int) -> float | None:
    if not xs:
        return None
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=100, method="inclusive")[p - 1]


# ------------------------------------------------------------------------------------------- HTTP mode


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_users(db: Path, n: int) -> list[str]:
    from sparring.auth import hash_password
    from sparring.store.db import Store
    from sparring.store.users import add_user

    store = Store(db)
    h = hash_password(PASSWORD)  # one hash for all: the bench measures practice, not sign-in
    names = [f"bench-{i:03d}" for i in range(n)]
    for name in names:
        add_user(store, name, ["learner"], password_hash=h, team="Claims", job_roles=["customer-support"])
    store.close()
    return names


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def wait_for_page(url: str, proc: subprocess.Popen, timeout: float = 180) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with code {proc.returncode} before serving a page")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no page at {url} after {timeout:.0f} s")


class Learner:
    """One simulated person: own client, own session, own sign-in."""

    def __init__(self, url: str, name: str):
        from gradio_client import Client

        from sparring.ui.catalogue import ALL

        # generous timeouts: a busy server answers late, and the bench measures that rather than failing on it
        self.c = Client(url, auth=(name, PASSWORD), verbose=False, download_files=False, analytics_enabled=False,
                        httpx_kwargs={"timeout": 300})
        self.c.predict(ALL, ALL, ALL, False, None, api_name="/catalogue")  # what the page does on load
        self.ids: list[int] = []

    def submit(self, task: Task, org, endpoint: str = "screens") -> bool:
        if endpoint == "json":  # the programs' endpoint: same attempt path, answer as JSON, attempt id back
            t0 = time.perf_counter()
            out = self.c.predict(task.scenario, task.answer, api_name="/attempt")
            self.last = time.perf_counter() - t0
            self.ids.append(out["attempt_id"])
            return out.get("attempt_id") is not None
        self.c.predict(task.scenario, api_name="/open_scenario")
        t0 = time.perf_counter()
        if task.kind == "frame":
            out = self.c.predict(task.answer["prompt"], api_name="/submit_frame")
        elif task.kind == "trust":
            a = task.answer
            out = self.c.predict(a["decision"], a.get("confidence", 0.75), a.get("justification", ""),
                                 api_name="/submit_trust")
        else:
            from sparring.ui.practice_tab import MAX_SENTENCES

            sents = org.scenarios[task.scenario].output
            checks = [i < len(sents) and sents[i].id in task.answer["flags"] for i in range(MAX_SENTENCES)]
            reasons = [task.answer["flags"].get(sents[i].id, "") if i < len(sents) else "" for i in range(MAX_SENTENCES)]
            out = self.c.predict(*checks, *reasons, api_name="/submit_spot")
        self.last = time.perf_counter() - t0
        return any(isinstance(x, str) and "Saved to your progress" in x for x in out)


def run_http(args, org, tasks: list[Task]) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="sparring-load-"))
    db = tmp / "load.db"
    names = make_users(db, args.learners)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "SPARRING_DB": str(db), "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "PYTHONUNBUFFERED": "1"}
    log = open(tmp / "server.log", "w")
    t_launch = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    out: dict = {"mode": f"http ({args.endpoint})", "learners": args.learners, "duration_s": args.duration, "think_s": args.think}
    try:
        out["cold_start_s"] = round(wait_for_page(url, proc) - t_launch, 2)
        print(f"first page served after {out['cold_start_s']} s", file=sys.stderr)
        # the first attempt waits for the models the app warms up in the background
        first = Learner(url, names[0])
        t0 = time.perf_counter()
        first.submit(tasks[0], org)
        out["first_submit_s"] = round(time.perf_counter() - t0, 2)
        out["ready_s"] = round(time.perf_counter() - t_launch, 2)
        print(f"first attempt graded {out['ready_s']} s after launch", file=sys.stderr)
        with sqlite3.connect(db) as c:  # the warm-up attempt is not part of the run
            before = c.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]

        learners: list[Learner | None] = [None] * args.learners
        setup_errors: list[str] = []

        gate = threading.Semaphore(4)  # sign people in a few at a time, as a morning would

        def connect(i: int) -> None:
            for attempt in range(3):
                try:
                    with gate:
                        learners[i] = Learner(url, names[i])
                    return
                except Exception as e:  # noqa: BLE001
                    if attempt == 2:
                        setup_errors.append(f"{names[i]}: {type(e).__name__}: {e}")
                    time.sleep(1)

        ts = [threading.Thread(target=connect, args=(i,)) for i in range(args.learners)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if setup_errors:
            raise RuntimeError(f"{len(setup_errors)} learners could not sign in: {setup_errors[:3]}")
        res = Results()
        deadline = time.perf_counter() + args.duration

        def loop(i: int) -> None:
            me = learners[i]
            k = i
            while time.perf_counter() < deadline:
                task = tasks[k % len(tasks)]
                k += 1
                try:
                    if me.submit(task, org, args.endpoint):
                        res.ok(task.kind, me.last)
                    else:
                        res.fail(f"{task.label}: no 'Saved' in the response")
                except Exception as e:  # noqa: BLE001
                    res.fail(f"{task.label}: {type(e).__name__}: {e}")
                if args.think:
                    time.sleep(args.think)

        t_run = time.perf_counter()
        ts = [threading.Thread(target=loop, args=(i,)) for i in range(args.learners)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wall = time.perf_counter() - t_run
        out["peak_rss_mb"] = round(peak_rss_mb(proc.pid) or 0, 1)
        with sqlite3.connect(db) as c:
            stored = c.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] - before
            ids = [i for lr in learners for i in lr.ids]
            if ids:  # json endpoint: every acknowledged id must be in the file
                have = {r[0] for r in c.execute(f"SELECT id FROM attempts WHERE id IN ({','.join('?' * len(ids))})", ids)}
                out["acknowledged_ids_missing"] = len(set(ids) - have)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    out.update(summarise(res, wall, stored))
    out["server_log"] = str(tmp / "server.log")
    return out


# --------------------------------------------------------------------------------------- in-process mode


def run_inprocess(args, org, tasks: list[Task]) -> dict:
    from sparring import practice
    from sparring.store.db import Store

    tmp = Path(tempfile.mkdtemp(prefix="sparring-load-"))
    store = Store(tmp / "load.db")
    t0 = time.perf_counter()
    practice.attempt(org, store, tasks[0].scenario, "warm-up", tasks[0].answer)  # loads the models
    warm = time.perf_counter() - t0
    before = store.count("attempts")
    res = Results()
    deadline = time.perf_counter() + args.duration

    def loop(i: int) -> None:
        k = i
        while time.perf_counter() < deadline:
            task = tasks[k % len(tasks)]
            k += 1
            t = time.perf_counter()
            try:
                out = practice.attempt(org, store, task.scenario, f"bench-{i:03d}", task.answer)
                if out.attempt_id is not None:
                    res.ok(task.kind, time.perf_counter() - t)
                else:
                    res.fail(f"{task.label}: not stored")
            except Exception as e:  # noqa: BLE001
                res.fail(f"{task.label}: {type(e).__name__}: {e}")
            if args.think:
                time.sleep(args.think)

    t_run = time.perf_counter()
    ts = [threading.Thread(target=loop, args=(i,)) for i in range(args.learners)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t_run
    stored = store.count("attempts") - before
    out = {"mode": "inprocess", "learners": args.learners, "duration_s": args.duration, "think_s": args.think,
           "first_submit_s": round(warm, 2), "peak_rss_mb": round(peak_rss_mb(os.getpid()) or 0, 1)}
    out.update(summarise(res, wall, stored))
    return out


def summarise(res: Results, wall: float, stored: int) -> dict:
    lat = sorted(res.latencies)
    return {
        "attempts_acknowledged": res.acked, "attempts_stored": stored, "lost": res.acked - stored,
        "errors": len(res.errors), "error_samples": sorted(set(res.errors))[:5],
        "throughput_per_s": round(res.acked / wall, 2) if wall else None, "wall_s": round(wall, 1),
        "p50_s": _r(pct(lat, 50)), "p95_s": _r(pct(lat, 95)), "p99_s": _r(pct(lat, 99)), "max_s": _r(max(lat, default=None)),
        "p95_by_kind_s": {k: _r(pct(sorted(v), 95)) for k, v in sorted(res.by_kind.items())},
    }


def _r(x: float | None) -> float | None:
    return round(x, 3) if x is not None else None


# ------------------------------------------------------------------------------------------- report


LOAD_AT_START = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def machine(runs: list[dict] | None = None) -> str:
    first = (runs or [{}])[0]
    cores = os.cpu_count()
    mem = ""
    try:
        kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        pass
    load = first.get("load_end", os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"))
    start = first.get("load_start", LOAD_AT_START)
    return (f"{cores} cores{mem}, no GPU, Python {platform.python_version()}, {platform.system()}; "
            f"load average {start:.1f} at the start and {load:.1f} at the end (other work on the machine "
            "competes for the same 2 cores, and the simulated learners run on it too)")


def markdown(runs: list[dict]) -> str:
    when = runs[0].get("at") or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Load",
        "",
        f"`python bench/load_bench.py` — {when}; machine: {machine(runs)}. Offline, scripted assistant, a fresh "
        "database. Each simulated learner is a thread with its own `gradio_client.Client` (own sign-in and "
        "session) that opens a scenario, submits, reads the feedback and thinks for the stated time; latency is "
        "submit → feedback seen by the client. Tasks rotate over a trust, a spot and a frame scenario (their "
        "`examples`) and a frame prompt the policy blocks. Targets: 0 errors, 0 lost attempts, p95 ≤ 1.0 s with "
        "50 learners for 60 s; cold start ≤ 20 s; peak RSS ≤ 1.5 GB.",
        "",
        "| mode | learners | think | attempts acked / stored | errors | throughput | p50 | p95 | p99 | "
        "cold start | first attempt | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['mode']} | {r['learners']} × {r['duration_s']} s | {r['think_s']} s | "
            f"{r['attempts_acknowledged']} / {r['attempts_stored']} | {r['errors']} | {r['throughput_per_s']}/s | "
            f"{r['p50_s']} s | {r['p95_s']} s | {r['p99_s']} s | "
            f"{str(r.get('cold_start_s', '—')) + ' s' if 'cold_start_s' in r else '—'} | "
            f"{r.get('first_submit_s', '—')} s | {r['peak_rss_mb']} MB |")
    lines.append("")
    for r in runs:
        lines.append(f"- {r['mode']}, {r['learners']} learners: p95 by kind {json.dumps(r['p95_by_kind_s'])}"
                     + (f"; errors: {r['error_samples']}" if r["errors"] else ""))
    lines += ["", "Against the targets (computed by the script):", ""]
    for r in runs:
        if not r["mode"].startswith("http"):
            continue
        checks = [("0 errors", r["errors"] == 0), ("0 lost attempts", r["lost"] == 0),
                  (f"p95 ≤ 1.0 s (was {r['p95_s']} s)", (r["p95_s"] or 99) <= 1.0),
                  (f"cold start ≤ 20 s (was {r.get('cold_start_s')} s)", (r.get("cold_start_s") or 99) <= 20),
                  (f"peak RSS ≤ 1.5 GB (was {r['peak_rss_mb']} MB)", r["peak_rss_mb"] <= 1536)]
        lines.append(f"- {r['mode']}, {r['learners']} learners, think {r['think_s']} s: "
                     + "; ".join(f"{name} {'✅' if ok else '❌'}" for name, ok in checks))
    service = [r for r in runs if r["mode"] == "inprocess" and r["learners"] == 1]
    if service:
        per = service[0]["p50_s"]
        lines += ["", f"One attempt costs about {per} s of server time (in-process, one learner, p50), so this "
                  f"machine grades at most ~{1 / per:.1f} attempts/s; {runs[-1]['learners']} learners who submit "
                  f"every {runs[-1]['think_s']:g} s ask for up to ~{runs[-1]['learners'] / (runs[-1]['think_s'] + per):.1f}"
                  "/s. When demand exceeds capacity, latency is queueing time."]
        http = [r for r in runs if r["mode"].startswith("http")]
        if http:
            lines.append(f"Through the web app the same machine acknowledged {http[-1]['throughput_per_s']}/s against "
                         f"{service[0]['throughput_per_s']}/s in-process: the difference is the web layer (a Gradio "
                         "event to open the scenario and one to submit, each rendering the practice screen) and "
                         "the simulated learners' own clients, which run on the same 2 cores.")
    lines.append("")
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace (or append) only our own `## Load` section of docs/benchmarks.md."""
    path = REPO / "docs" / "benchmarks.md"
    doc = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Load\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(doc):
        doc = pattern.sub(lambda _m: text + "\n", doc, count=1)
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    path.write_text(doc.rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--learners", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--think", type=float, default=10.0, help="seconds a learner spends on the feedback and the "
                    "next answer before submitting again (people take minutes; 10 s is already brisk)")
    ap.add_argument("--mode", choices=["http", "inprocess", "both"], default="http")
    ap.add_argument("--endpoint", choices=["screens", "json"], default="screens",
                    help="screens: open_scenario + submit_frame/spot/trust as the page calls them; json: /attempt")
    ap.add_argument("--plan", default=None, help="several runs, e.g. 'inprocess:1:0,http:50:10' "
                    "(mode:learners:think); overrides --mode/--learners/--think")
    ap.add_argument("--write", action="store_true", help="replace the '## Load' section of docs/benchmarks.md")
    ap.add_argument("--render", metavar="FILE", help="only re-render the report from a saved stdout of this script")
    args = ap.parse_args()

    if args.render:  # the JSON documents this script printed, one after another
        text, runs, dec, pos = Path(args.render).read_text(), [], json.JSONDecoder(), 0
        while pos < len(text.rstrip()):
            doc, pos = dec.raw_decode(text, pos)
            runs.append(doc)
            while pos < len(text) and text[pos].isspace():
                pos += 1
        print(markdown(runs))
        if args.write:
            write_section(markdown(runs))
        return 0

    from sparring.content.loader import load_org

    org = load_org(REPO)
    tasks = build_tasks(org)
    if args.plan:
        plan = [(m, int(n), float(t)) for m, n, t in (item.split(":") for item in args.plan.split(","))]
    else:
        modes = ["inprocess", "http"] if args.mode == "both" else [args.mode]
        plan = [(m, args.learners, args.think) for m in modes]
    runs = []
    for mode, n, think in plan:
        one = argparse.Namespace(**{**vars(args), "learners": n, "think": think})
        runs.append(run_inprocess(one, org, tasks) if mode == "inprocess" else run_http(one, org, tasks))
        runs[-1].update(at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), load_start=LOAD_AT_START,
                        load_end=os.getloadavg()[0])
        print(json.dumps(runs[-1], indent=2), flush=True)
    if args.write:
        write_section(markdown(runs))
    bad = any(r["errors"] or r["lost"] for r in runs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Load benchmark: N simulated learners practise against a running Sparring app for a fixed time.

    python bench/load_bench.py                      # 50 learners, 60 s, 10 s think time, HTTP, the screens
    python bench/load_bench.py --plan inprocess:1:0,http:50:10 --write   # what docs/benchmarks.md shows
    python bench/load_bench.py --endpoint json      # the JSON endpoint (/attempt) instead of the screens
    python bench/load_bench.py --mode inprocess     # the same attempts straight into practice.attempt (no server)
    python bench/load_bench.py --profile prof.txt   # also sample the server's CPU by stack (where does it go?)
    python bench/load_bench.py --write              # also replace the "## Load" section of docs/benchmarks.md
    python bench/load_bench.py --replicas 2 --store postgresql://postgres@127.0.0.1:5432/bench
                                                    # 2 replicas on one PostgreSQL behind nginx (docs/nginx.conf);
                                                    # one replica is SIGKILLed half way (--kill-after S, 0: never)

HTTP mode starts the app itself (`python app.py` on a free port, a fresh database in a temporary folder), in its
own process, and measures cold start (launch → first page served), the server's peak RSS (VmHWM) and the CPU time
the server and this load generator each used. The simulated learners are light, so the server gets the cores: all
of them run on one asyncio event loop in this process, each with its own httpx client (own sign-in cookie) and
session hash (own gr.State), and speak the browser's protocol: POST /gradio_api/queue/join per event, results
read from the session's SSE stream (GET /gradio_api/queue/data). Each learner signs in, loads the catalogue, then
loops: open a scenario (and, for spot, the sentence rows the page asks for), submit an answer, read the feedback,
think for --think seconds. Learners start spread over one think time. Latency is submit → feedback as the client
sees it. (The previous version ran one gradio_client thread per learner: 50 threads in the same 2 cores burned
CPU the server needed.)
An in-process run with one learner and no think time gives the service time of one attempt (policy check +
grading + storage) without the web server.
Afterwards the database must hold exactly the attempts that were acknowledged ("Saved to your progress").
With --replicas N (or --nginx) the app runs as N processes behind a real nginx with docs/nginx.conf; since every
simulated learner comes from 127.0.0.1, `ip_hash` would send them all to one replica, so the bench balances on
the cookie instead (`hash $http_cookie consistent`: each signed-in learner stays on one replica). When a replica
is killed, a learner whose event failed retries it once (a new session on the replica nginx now picks; still
signed in: sessions live in the database); `retried` counts those, `errors` what failed after the retry.
Scenarios: one of each kind from the sample organisation, answered with their own `examples`, plus a prompt the
policy blocks — the scripted assistant answers, as in an offline deployment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sparring  # noqa: E402,F401 - sets the offline environment first

from benchdoc import write_section  # bench/ is on sys.path when a script runs

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
    retried: int = 0  # acknowledged on the second try, after the first failed (a replica died under it)
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


def make_users(db: Path | str, n: int) -> list[str]:
    from sparring.auth import hash_password
    from sparring.store.db import Store
    from sparring.store.users import add_user

    store = Store(db)
    h = hash_password(PASSWORD)  # one hash for all: the bench measures practice, not sign-in
    names = [f"bench-{i:03d}" for i in range(n)]
    for name in names:
        add_user(store, name, ["learner"], password_hash=h, team="Claims", job_roles=["customer-support"],
                 replace=True)
    store.close()
    return names


def attempt_ids(db: Path | str) -> set[int]:
    from sparring.store.db import Store

    store = Store(db)
    try:
        return {int(r["id"]) for r in store.query("SELECT id FROM attempts")}
    finally:
        store.close()


def nginx_conf(ports: list[int], listen: int, tmp: Path) -> str:
    """docs/nginx.conf with this run's ports and log, balancing on the cookie (every learner is on 127.0.0.1)."""
    import re

    text = (REPO / "docs" / "nginx.conf").read_text()
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
    text = re.sub(r"(?m)^\s*server 127\.0\.0\.1:\d+ [^\n]*\n(\s*server 127\.0\.0\.1:\d+ [^\n]*\n)*",
                  servers + "\n", text, count=1)
    text = text.replace("ip_hash;", "hash $http_cookie consistent;")
    text = re.sub(r"listen \d+;", f"listen 127.0.0.1:{listen};", text)
    return re.sub(r"access_log \S+;", f"access_log {tmp / 'access.log'};", text)


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 600) -> None:
    """Until the replica's /readyz says 200 (docs/operations.md)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"a replica exited with code {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url}: not ready after {timeout} s")


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


class CallError(Exception):
    """The server answered an event with an error (a gr.Error message, a full queue, a refused sign-in)."""


class Learner:
    """One simulated person, as the browser does it: own cookie jar (own sign-in), own session hash (own
    gr.State on the server), each event sent with POST /gradio_api/queue/join and its result read from the
    session's SSE stream at GET /gradio_api/queue/data. Many learners share one asyncio event loop."""

    def __init__(self, url: str, name: str, fns: dict[str, tuple[int, int | None]]):
        import httpx

        self.name = name
        self.fns = fns  # api_name -> (fn_index, trigger component id)
        self.session = uuid.uuid4().hex[:11]
        # generous timeouts: a busy server answers late, and the bench measures that rather than failing on it
        self.http = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(300, connect=30))
        self.ids: list[int] = []
        self.last = 0.0

    async def sign_in(self) -> None:
        r = await self.http.post("login", data={"username": self.name, "password": PASSWORD})
        if r.status_code != 200 or not any(k.startswith("access-token") for k in self.http.cookies.keys()):
            raise CallError(f"sign-in refused ({r.status_code}): {r.text[:200]}")
        from sparring.ui.catalogue import ALL

        await self.call("catalogue", [ALL, ALL, ALL, False, None])  # what the page does on load

    async def reload(self) -> None:
        """What the browser does when its page is reloaded: a new session, the catalogue loaded into it. The
        sign-in cookie still holds (sessions live in the database, shared by every replica)."""
        from sparring.ui.catalogue import ALL

        self.session = uuid.uuid4().hex[:11]
        await self.call("catalogue", [ALL, ALL, ALL, False, None])

    async def call(self, api_name: str, data: list) -> list:
        fn, trigger = self.fns[api_name]
        r = await self.http.post("gradio_api/queue/join", json={
            "data": data, "fn_index": fn, "trigger_id": trigger, "session_hash": self.session, "event_data": None})
        if r.status_code != 200:
            raise CallError(f"/{api_name}: join refused ({r.status_code}): {r.text[:200]}")
        event_id = r.json()["event_id"]
        async with self.http.stream("GET", "gradio_api/queue/data", params={"session_hash": self.session}) as resp:
            if resp.status_code != 200:
                raise CallError(f"/{api_name}: stream refused ({resp.status_code})")
            async for line in resp.aiter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                kind = msg.get("msg")
                if kind == "process_completed" and msg.get("event_id") == event_id:
                    if not msg.get("success"):
                        raise CallError(f"/{api_name}: {(msg.get('output') or {}).get('error')}")
                    return msg["output"]["data"]
                if kind in ("unexpected_error", "close_stream"):
                    raise CallError(f"/{api_name}: {kind}: {msg.get('message')}")
        raise CallError(f"/{api_name}: the stream ended without a result")

    async def submit(self, task: Task, org, endpoint: str = "screens") -> bool:
        if endpoint == "json":  # the programs' endpoint: same attempt path, answer as JSON, attempt id back
            t0 = time.perf_counter()
            out = (await self.call("attempt", [task.scenario, task.answer]))[0]
            self.last = time.perf_counter() - t0
            if out.get("attempt_id") is not None:
                self.ids.append(out["attempt_id"])
                return True
            return False
        await self.call("open_scenario", [task.scenario])
        if task.kind == "spot":  # the page asks for the sentence rows when the hidden spot key changes
            await self.call("spot_rows", [None])
        t0 = time.perf_counter()
        if task.kind == "frame":
            out = await self.call("submit_frame", [None, task.answer["prompt"]])
        elif task.kind == "trust":
            a = task.answer
            out = await self.call("submit_trust", [None, a["decision"], a.get("confidence", 0.75),
                                                   a.get("justification", "")])
        else:
            from sparring.ui.practice_tab import MAX_SENTENCES

            sents = org.scenarios[task.scenario].output
            checks = [i < len(sents) and sents[i].id in task.answer["flags"] for i in range(MAX_SENTENCES)]
            reasons = [task.answer["flags"].get(sents[i].id, "") if i < len(sents) else "" for i in range(MAX_SENTENCES)]
            out = await self.call("submit_spot", [None, *checks, *reasons])
        self.last = time.perf_counter() - t0
        return any(isinstance(x, str) and "Saved to your progress" in x for x in out)


def event_table(url: str) -> dict[str, tuple[int, int | None]]:
    """api_name -> (fn_index, first trigger's component id), from the app's /config (signed in)."""
    import httpx

    with httpx.Client(base_url=url, timeout=60) as c:
        c.post("login", data={"username": "bench-000", "password": PASSWORD}).raise_for_status()
        cfg = c.get("config").json()
    out = {}
    for dep in cfg["dependencies"]:
        if dep.get("api_name"):
            targets = dep.get("targets") or []
            out[dep["api_name"]] = (dep["id"], targets[0][0] if targets else None)
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc; clock ticks → seconds)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_http(args, org, tasks: list[Task]) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="sparring-load-"))
    db: Path | str = args.store or tmp / "load.db"
    names = make_users(db, args.learners)
    n = max(1, args.replicas)
    behind_nginx = n > 1 or args.nginx
    ports = [free_port() for _ in range(n)]
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    env.pop("SPARRING_DB", None)
    env.pop("SPARRING_STORE_URL", None)
    env.update({"SPARRING_STORE_URL": str(db)} if args.store else {"SPARRING_DB": str(db)})
    if behind_nginx:
        env["GRADIO_ROOT_PATH"] = "/sparring"
    cmd = [sys.executable, "app.py"]
    if args.profile:  # the same app, with a CPU-weighted stack sampler that writes its report on exit
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-sampled", str(Path(args.profile).resolve())]
    logs = [open(tmp / f"server{i}.log", "w") for i in range(n)]
    t_launch = time.perf_counter()
    procs = [subprocess.Popen(cmd, cwd=REPO, env={**env, "GRADIO_SERVER_PORT": str(port)}, stdout=log,
                              stderr=subprocess.STDOUT) for port, log in zip(ports, logs)]
    out: dict = {"mode": f"http ({args.endpoint})", "learners": args.learners, "duration_s": args.duration,
                 "think_s": args.think, "store": "postgresql" if args.store else "sqlite", "replicas": n}
    nginx = None
    try:
        cold = [wait_for_page(f"http://127.0.0.1:{p}/", proc) - t_launch for p, proc in zip(ports, procs)]
        out["cold_start_s"] = round(max(cold), 2)
        print(f"first page served after {out['cold_start_s']} s", file=sys.stderr)
        url = f"http://127.0.0.1:{ports[0]}/"
        if n > 1:  # every replica ready (store answers, models loaded once per process) before the run
            for p, proc in zip(ports, procs):
                wait_ready(f"http://127.0.0.1:{p}/readyz", proc)
            out["ready_all_s"] = round(time.perf_counter() - t_launch, 2)
        if behind_nginx:
            listen = free_port()
            (tmp / "nginx.conf").write_text(nginx_conf(ports, listen, tmp))
            nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(tmp), "-c",
                                      str(tmp / "nginx.conf"), "-g",
                                      f"daemon off; pid {tmp / 'nginx.pid'}; error_log {tmp / 'error.log'};"])
            url = f"http://127.0.0.1:{listen}/sparring/"
            wait_for_page(url, procs[0])
        out.update(asyncio.run(_drive(args, org, tasks, url, names, db, procs, t_launch)))
    finally:
        for proc in ([nginx] if nginx else []) + procs:
            proc.terminate()  # SIGTERM: the sampled server writes its report
        for proc in ([nginx] if nginx else []) + procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()
    out["server_log"] = str(tmp / "server0.log")
    return out


async def _drive(args, org, tasks, url, names, db, procs, t_launch) -> dict:
    out: dict = {}
    proc = procs[0]
    fns = event_table(url)
    # the first attempt waits for the models the app warms up in the background
    first = Learner(url, names[0], fns)
    await first.sign_in()
    t0 = time.perf_counter()
    await first.submit(tasks[0], org)
    await first.http.aclose()
    out["first_submit_s"] = round(time.perf_counter() - t0, 2)
    out["ready_s"] = round(time.perf_counter() - t_launch, 2)
    print(f"first attempt graded {out['ready_s']} s after launch", file=sys.stderr)
    before_ids = attempt_ids(db)  # the warm-up attempt is not part of the run

    learners = [Learner(url, n, fns) for n in names]
    gate = asyncio.Semaphore(4)  # sign people in a few at a time, as a morning would
    setup_errors: list[str] = []

    async def connect(lr: Learner) -> None:
        for attempt in range(3):
            try:
                async with gate:
                    await lr.sign_in()
                return
            except Exception as e:  # noqa: BLE001
                if attempt == 2:
                    setup_errors.append(f"{lr.name}: {type(e).__name__}: {e}")
                await asyncio.sleep(1)

    await asyncio.gather(*(connect(lr) for lr in learners))
    if setup_errors:
        raise RuntimeError(f"{len(setup_errors)} learners could not sign in: {setup_errors[:3]}")
    res = Results()
    if args.profile:
        os.kill(proc.pid, signal.SIGUSR1)  # our own child: the sampler counts the measured run only
    cpu0 = {p.pid: cpu_seconds(p.pid) for p in procs}
    cpu_self0 = time.process_time()
    deadline = time.perf_counter() + args.duration
    cpu_at_kill: dict[int, float] = {}
    kill_after = args.kill_after if args.kill_after is not None else (args.duration / 2 if len(procs) > 1 else 0)

    async def killer() -> None:
        if not kill_after or len(procs) < 2:
            return
        await asyncio.sleep(kill_after)
        victim = procs[-1]
        cpu_at_kill[victim.pid] = cpu_seconds(victim.pid)
        os.kill(victim.pid, signal.SIGKILL)
        out["killed_replica_at_s"] = round(kill_after, 1)
        print(f"replica {len(procs) - 1} (pid {victim.pid}) SIGKILLed after {kill_after:.0f} s", file=sys.stderr)

    async def loop(i: int) -> None:
        me = learners[i]
        k = i
        # learners start spread over one think time, as people do, not all in the same millisecond
        await asyncio.sleep(args.think * i / len(learners))
        while time.perf_counter() < deadline:
            task = tasks[k % len(tasks)]
            k += 1
            for tries in (1, 2):  # a failed event is retried once (a replica may have died under it)
                try:
                    if await me.submit(task, org, args.endpoint):
                        res.ok(task.kind, me.last)
                        if tries == 2:
                            res.retried += 1
                    else:
                        res.fail(f"{task.label}: no 'Saved' in the response")
                    break
                except Exception as e:  # noqa: BLE001
                    if tries == 2 or len(procs) < 2:
                        res.fail(f"{task.label}: {type(e).__name__}: {e}")
                        break
                    try:  # the old session's queue and state died with its replica: a new one, as a reload does
                        await me.reload()
                    except Exception as e2:  # noqa: BLE001
                        res.fail(f"{task.label}: reload after {type(e).__name__}: {type(e2).__name__}: {e2}")
                        break
            if args.think:
                await asyncio.sleep(args.think)

    t_run = time.perf_counter()
    await asyncio.gather(killer(), *(loop(i) for i in range(len(learners))))
    wall = time.perf_counter() - t_run
    per = [round(cpu_at_kill.get(p.pid, cpu_seconds(p.pid) if p.poll() is None else 0) - cpu0[p.pid], 1)
           for p in procs]
    out["server_cpu_s"] = round(sum(per), 1)
    out["server_cpu_per_replica_s"] = per
    out["client_cpu_s"] = round(time.process_time() - cpu_self0, 1)
    out["peak_rss_mb"] = round(max((peak_rss_mb(p.pid) or 0) for p in procs if p.poll() is None), 1)
    for lr in learners:
        await lr.http.aclose()
    new_ids = attempt_ids(db) - before_ids
    stored = len(new_ids)
    ids = [i for lr in learners for i in lr.ids]
    if ids:  # json endpoint: every acknowledged id must be in the database
        out["acknowledged_ids_missing"] = len(set(ids) - new_ids)
    out.update(summarise(res, wall, stored))
    out["retried"] = res.retried
    if res.acked:
        out["server_cpu_per_attempt_s"] = round(out["server_cpu_s"] / res.acked, 3)
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

    t_run, cpu0 = time.perf_counter(), time.process_time()
    ts = [threading.Thread(target=loop, args=(i,)) for i in range(args.learners)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t_run
    cpu = time.process_time() - cpu0
    stored = store.count("attempts") - before
    out = {"mode": "inprocess", "learners": args.learners, "duration_s": args.duration, "think_s": args.think,
           "first_submit_s": round(warm, 2), "peak_rss_mb": round(peak_rss_mb(os.getpid()) or 0, 1)}
    out.update(summarise(res, wall, stored))
    out["server_cpu_s"] = round(cpu, 1)
    if res.acked:
        out["server_cpu_per_attempt_s"] = round(cpu / res.acked, 3)
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


# ------------------------------------------------------------------------------------ server profiling


def serve_sampled(report: Path, hz: float = 50) -> None:
    """Run app.py in this process with a stack sampler: each tick, every thread that used CPU since the last
    tick (per-thread utime+stime from /proc/self/task) is charged one sample at its current stack. Idle threads
    (waiting on a socket, a lock, the queue) cost nothing, so the report shows where the CPU goes. Written on
    SIGTERM, as collapsed stacks and a table of the hottest functions (self and inclusive)."""
    import collections
    import runpy

    stacks: collections.Counter[str] = collections.Counter()
    last: dict[int, int] = {}
    stopping = threading.Event()
    me = threading.get_native_id

    def thread_cpu(tid: int) -> int:
        try:
            f = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            return int(f[11]) + int(f[12])
        except OSError:
            return 0

    def sample() -> None:
        own = me()
        while not stopping.is_set():
            time.sleep(1 / hz)
            busy = []
            for t in threading.enumerate():
                tid = t.native_id
                if tid is None or tid == own:
                    continue
                used = thread_cpu(tid)
                if tid in last and used > last[tid]:
                    busy.append(t.ident)
                last[tid] = used
            if not busy:
                continue
            frames = sys._current_frames()
            for ident in busy:
                parts, f = [], frames.get(ident)
                while f is not None and len(parts) < 60:
                    co = f.f_code
                    parts.append(f"{Path(co.co_filename).name}:{co.co_name}")
                    f = f.f_back
                if parts:
                    stacks[";".join(reversed(parts))] += 1
            # holding a frame keeps its locals alive (an open SQLite cursor blocks COMMIT): let go at once
            del frames, f
            # threads started outside `threading` (torch's pool) are not seen here; they show in the total
            # CPU of the process only

    def write(*_a) -> None:
        stopping.set()
        time.sleep(3 / hz)  # let the sampler finish its tick before the counts are read
        total = sum(stacks.values()) or 1
        own_c: collections.Counter[str] = collections.Counter()
        incl: collections.Counter[str] = collections.Counter()
        for st, n in stacks.items():
            fs = st.split(";")
            own_c[fs[-1]] += n
            for fn in set(fs):
                incl[fn] += n
        lines = [f"# {total} CPU samples at {hz:g} Hz", "", "## self", *[f"{n / total:6.1%}  {fn}" for fn, n in
                 own_c.most_common(40)], "", "## inclusive", *[f"{n / total:6.1%}  {fn}" for fn, n in
                 incl.most_common(80)], "", "## stacks"]
        lines += [f"{n} {st}" for st, n in stacks.most_common()]
        report.write_text("\n".join(lines) + "\n")
        os._exit(0)

    signal.signal(signal.SIGTERM, write)
    signal.signal(signal.SIGUSR1, lambda *_a: stacks.clear())  # the bench starts the measured run: forget start-up
    threading.Thread(target=sample, name="bench-sampler", daemon=True).start()
    sys.argv = ["app.py"]
    runpy.run_path(str(REPO / "app.py"), run_name="__main__")


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
        "database; the server runs in its own process. The simulated learners share one asyncio loop in the "
        "bench process (httpx, each with its own sign-in cookie and session, speaking the browser's queue/join + "
        "SSE protocol), so they take little CPU from the server; each opens a scenario, submits, reads the "
        "feedback and thinks for the stated time; latency is submit → feedback seen by the client. Tasks rotate "
        "over a trust, a spot and a frame scenario (their `examples`) and a frame prompt the policy blocks. "
        "Targets: 0 errors, 0 lost attempts, p95 ≤ 1.0 s with "
        "50 learners for 60 s; cold start ≤ 20 s; peak RSS ≤ 1.5 GB.",
        "",
        "| mode | learners | think | attempts acked / stored | errors | throughput | p50 | p95 | p99 | "
        "server CPU per attempt | load generator CPU | cold start | first attempt | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['mode']} | {r['learners']} × {r['duration_s']} s | {r['think_s']} s | "
            f"{r['attempts_acknowledged']} / {r['attempts_stored']} | {r['errors']} | {r['throughput_per_s']}/s | "
            f"{r['p50_s']} s | {r['p95_s']} s | {r['p99_s']} s | {r.get('server_cpu_per_attempt_s', '—')} s | "
            f"{str(r['client_cpu_s']) + ' s' if 'client_cpu_s' in r else '—'} | "
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
    http = [r for r in runs if r["mode"].startswith("http")]
    if service and http and service[0].get("server_cpu_per_attempt_s"):
        per = service[0]["server_cpu_per_attempt_s"]
        lines += ["", f"One attempt costs {per} s of CPU in-process (policy check, grading, storage). Through the "
                  "web app the server spends more per attempt: the web layer (per event a queue/join request, an "
                  "SSE stream, and Gradio rebuilding each of the event's output components)."]
        for r in http:
            web = r.get("server_cpu_per_attempt_s")
            if not web:
                continue
            ask = r["learners"] / (r["think_s"] + (r["p50_s"] or 0))
            lines.append(f"- {r['mode']}: {web} s of server CPU per attempt; {r['learners']} learners who submit "
                         f"every {r['think_s']:g} s ask for ~{ask:.1f} attempts/s, i.e. ~{ask * web:.2f} "
                         f"CPU-seconds per second of the machine's {os.cpu_count()} cores; the server used "
                         f"{r['server_cpu_s']} s of CPU in {r['wall_s']} s and the load generator {r['client_cpu_s']} s.")
        lines.append("When other work takes the cores, the difference between demand and what the server gets is "
                     "queueing time.")
    lines.append("")
    return "\n".join(lines)


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
    ap.add_argument("--profile", metavar="FILE", help="http mode: sample the server's CPU by stack and write the "
                    "report to FILE (adds some overhead of its own)")
    ap.add_argument("--replicas", type=int, default=1, help="app processes; more than one runs them behind nginx")
    ap.add_argument("--store", metavar="URL", default=None, help="postgresql://... database for the app (default: "
                    "a fresh SQLite file); the bench users are added to it")
    ap.add_argument("--nginx", action="store_true", help="put nginx in front even of one replica")
    ap.add_argument("--kill-after", type=float, default=None, help="SIGKILL the last replica after S seconds of "
                    "the run (default: half the duration with 2+ replicas; 0: never)")
    ap.add_argument("--serve-sampled", metavar="FILE", help=argparse.SUPPRESS)
    ap.add_argument("--render", metavar="FILE", help="only re-render the report from a saved stdout of this script")
    args = ap.parse_args()

    if args.serve_sampled:
        serve_sampled(Path(args.serve_sampled))
        return 0
    if args.render:  # the JSON documents this script printed, one after another
        text, runs, dec, pos = Path(args.render).read_text(), [], json.JSONDecoder(), 0
        while pos < len(text.rstrip()):
            doc, pos = dec.raw_decode(text, pos)
            runs.append(doc)
            while pos < len(text) and text[pos].isspace():
                pos += 1
        print(markdown(runs))
        if args.write:
            write_section("## Load", markdown(runs))
        return 0

    from sparring.organisation import load_org

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
        write_section("## Load", markdown(runs))
    bad = any(r["errors"] or r["lost"] for r in runs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Security benchmark: the long versions of the CI tests in tests/test_security_*.py.

    python bench/security_bench.py                 # store 100 threads x 30 s, crash runs x 3, hostile YAML timings
    python bench/security_bench.py --write         # also replace the "## Security" section of docs/benchmarks.md
    python bench/security_bench.py --threads 100 --seconds 30 --crashes 3

1. Store load: N threads insert attempts through Store.write() for S seconds; stored == acknowledged?
2. Crash: the real app (python app.py, egress guard on) under 5 learners posting to /attempt, SIGKILLed after
   ~25 acknowledged attempts in flight, K times on the same file; integrity_check ok and no acknowledged attempt
   lost, each time; the restart time is measured too.
3. Hostile YAML: how long the loader takes to refuse an alias bomb, deep nesting and a file at the size limit.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import sparring  # noqa: E402,F401 - offline environment first
import egress  # noqa: E402

from benchdoc import write_section  # bench/ is on sys.path when a script runs

egress.install()


def store_load(threads: int, seconds: float) -> dict:
    from sparring.store.db import Store
    from test_security_concurrency import hammer

    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "load.db")
        t0 = time.perf_counter()
        acked, errors = hammer(store, threads, seconds)
        wall = time.perf_counter() - t0
        stored = store.count("attempts")
        ok = store.one("PRAGMA integrity_check")["integrity_check"]
        store.close()
    return {"threads": threads, "seconds": seconds, "acked": len(acked), "stored": stored, "errors": len(errors),
            "integrity": ok, "writes_per_s": round(len(acked) / wall, 1)}


def crashes(k: int) -> list[dict]:
    from security_server import Load, Server, integrity, make_users

    out = []
    with tempfile.TemporaryDirectory() as d:
        srv = Server(Path(d))
        make_users(srv.db, {f"load-{i:02d}": ["learner"] for i in range(5)})
        for run in range(k):
            start_s = srv.start()
            _, before = integrity(srv.db)
            load = Load(srv, [f"load-{i:02d}" for i in range(5)]).start()
            load.wait_for(25, timeout=300)
            load.wait_for(len(load.acked) + 3, timeout=30)
            srv.kill()
            load.finish()
            ok, ids = integrity(srv.db)
            lost = sorted(set(load.acked) - ids)
            out.append({"run": run + 1, "start_s": round(start_s, 1), "acked": len(load.acked), "lost": len(lost),
                        "integrity": ok, "rows": len(ids), "egress": srv.egress_log.exists()
                        and srv.egress_log.read_text() != ""})
            print(out[-1], flush=True)
    return out


def hostile_yaml() -> dict:
    from sparring.content.yamlsrc import MAX_BYTES, YamlError, parse
    from test_security_yaml import _billion_laughs

    cases = {"alias bomb (9^9)": _billion_laughs(), "[ x 50,000": "[" * 50_000,
             "1.9 MB plain file": "brief: |\n" + ("  word word word word word word word word\n" * 45_000)[:MAX_BYTES - 20],
             "3 MB file": "a: " + "b" * 3_000_000}
    res = {}
    for name, text in cases.items():
        t0 = time.perf_counter()
        try:
            parse(text)
            verdict = "parsed"
        except YamlError as e:
            verdict = e.message[:50]
        res[name] = (round(time.perf_counter() - t0, 2), verdict)
    return res


def markdown(load: dict, crash: list[dict], yml: dict) -> str:
    lines = [f"## Security", "", f"Run {date.today()} with `python bench/security_bench.py --write` on {machine()}.",
             "", "| store load | threads | seconds | acknowledged | stored | errors | integrity | writes/s |",
             "|---|---|---|---|---|---|---|---|",
             f"| Store.write() | {load['threads']} | {load['seconds']:g} | {load['acked']} | {load['stored']} | "
             f"{load['errors']} | {load['integrity']} | {load['writes_per_s']} |", "",
             "| SIGKILL run | server start (s) | acknowledged before kill | lost | integrity | rows after | egress |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {c['run']} | {c['start_s']} | {c['acked']} | {c['lost']} | {c['integrity']} | {c['rows']} | "
              f"{'YES' if c['egress'] else 'none'} |" for c in crash]
    lines += ["", "| hostile YAML | seconds to answer | answer |", "|---|---|---|"]
    lines += [f"| {k} | {v[0]} | {v[1]} |" for k, v in yml.items()]
    return "\n".join(lines) + "\n"


def machine() -> str:
    import os

    return f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}, no GPU"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--crashes", type=int, default=3)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    yml = hostile_yaml()
    print(yml, flush=True)
    load = store_load(args.threads, args.seconds)
    print(load, flush=True)
    crash = crashes(args.crashes)
    text = markdown(load, crash, yml)
    print(text)
    if args.write:
        write_section("## Security", text)
    bad = load["acked"] != load["stored"] or load["errors"] or any(c["lost"] or c["integrity"] != "ok"
                                                                     for c in crash)
    return 1 if bad or egress.blocked() else 0


if __name__ == "__main__":
    sys.exit(main())

"""Regex benchmark: every regex Sparring ships, on 10,000-character inputs (issue 14: none may take > 100 ms).

    python bench/regex_bench.py            # print the slowest regexes
    python bench/regex_bench.py --write    # also replace the "## Regular expressions" section of docs/benchmarks.md

What is measured, for each regex: the slowest of `finditer` consumed to the end over a set of 10,000-character
inputs — realistic text (the sample scenarios' material and answers, repeated) and hostile runs built from the
pattern's own characters (sparring.patterns._probes, the inputs `sparring validate` probes with), plus generic
runs of letters, digits, spaces and punctuation.

Which regexes: module-level and class-level compiled patterns of every module in sparring/ (including lists,
tuples, dicts and sets of them), the policy engine's own recognizers, every Presidio pattern recognizer the
sample policy loads, and the sample organisation's scenario `regex` criteria and policy patterns (run the way
Sparring runs them: RE2 when it can, else the bounded engine).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import os
import pkgutil
import platform
import re
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import sparring  # noqa: E402
from benchdoc import write_section  # noqa: E402

N = 10_000
LIMIT_MS = 100.0


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _patterns_in(obj: Any, where: str, out: dict[str, tuple[str, Any]], depth: int = 0) -> None:
    if isinstance(obj, re.Pattern):
        out.setdefault(f"{where}", ("re", obj))
    elif depth < 2 and isinstance(obj, (list, tuple, set, frozenset)):
        for i, v in enumerate(obj):
            _patterns_in(v, f"{where}[{i}]", out, depth + 1)
    elif depth < 2 and isinstance(obj, dict):
        for k, v in obj.items():
            _patterns_in(v, f"{where}[{k!r}]", out, depth + 1)


def shipped() -> dict[str, tuple[str, Any]]:
    """name -> (engine, compiled) for every regex Sparring ships."""
    found: dict[str, tuple[str, Any]] = {}
    for info in pkgutil.walk_packages(sparring.__path__, "sparring."):
        try:
            mod = importlib.import_module(info.name)
        except Exception as e:  # noqa: BLE001 - a module that cannot import here is reported, not fatal
            print(f"skipped {info.name}: {e}", file=sys.stderr)
            continue
        for name, value in vars(mod).items():
            if isinstance(value, type) and value.__module__ == mod.__name__:
                for cname, cval in vars(value).items():
                    _patterns_in(cval, f"{info.name}.{name}.{cname}", found)
            else:
                _patterns_in(value, f"{info.name}.{name}", found)
    from sparring.organisation import get_org
    from sparring.patterns import compile_pattern
    from sparring.policy.recognizers import sparring_recognizers

    for ent, recs in sparring_recognizers().items():
        for rec in recs:
            for pname, rx, _raw, _score in getattr(rec, "compiled", []):
                found.setdefault(f"recognizer {rec.name}: {pname}", ("re", rx))
    org = get_org(REPO)
    for pid in org.policies:
        eng = org.policy_engine(pid)
        for rec in eng.analyzer.registry.recognizers:
            for p in getattr(rec, "patterns", None) or []:
                compiled = p.compiled_regex
                if compiled is None:
                    import regex

                    compiled = regex.compile(p.regex, rec.global_regex_flags)
                kind = getattr(compiled, "engine", "regex (Presidio)")
                found.setdefault(f"policy {pid}: {rec.name}: {p.name}", (kind, compiled))
    for sc in org.scenarios.values():
        for crit in sc.rubric.criteria:
            if crit.check == "regex":
                opts = crit if hasattr(crit, "any") else None
                pats = (opts.any + opts.all + opts.none) if opts is not None else []
                flags = 0 if getattr(opts, "case_sensitive", False) else re.IGNORECASE
                for rx in pats:
                    c = compile_pattern(rx, flags)
                    found.setdefault(f"scenario {sc.id}: {crit.id}: {rx}", (c.engine, c))
    return found


_BASE: list[str] = []


def inputs(rx_source: str | None) -> list[str]:
    if not _BASE:
        _BASE.extend(_base())
    out = list(_BASE)
    if rx_source:
        from sparring.patterns import _probes

        out += list(itertools.islice(_probes(rx_source), 24))
    return out


def _base() -> list[str]:
    from sparring.organisation import get_org
    org = get_org(REPO)
    texts = []
    for sc in org.scenarios.values():
        texts.append(getattr(sc, "material", "") or "")
        texts += [str(e.answer) for e in sc.examples]
    real = " ".join(texts)
    real = (real * (N // max(len(real), 1) + 1))[:N]
    generic = [real, "a" * N, "A" * N, "1" * N, " " * N, "\n" * N, "a " * (N // 2), "1 " * (N // 2),
               "-" * N, "." * N, ("aA1 -.@_/:" * N)[:N], "a" * (N - 1) + "!", "1" * (N - 1) + "x",
               ("Maria Lopez " * N)[:N], ("HL-123456 " * N)[:N]]
    return generic


def measure(engine: str, compiled: Any, texts: list[str]) -> tuple[float, int]:
    worst, worst_i = 0.0, 0
    for i, t in enumerate(texts):
        t0 = time.perf_counter()
        for _ in compiled.finditer(t):  # every engine here has finditer(text)
            pass
        dt = (time.perf_counter() - t0) * 1000
        if dt > worst:
            worst, worst_i = dt, i
    return worst, worst_i


HANG_S = 10.0


def _shown(ms: float) -> str:
    return f"> {HANG_S:.0f} s (killed)" if ms >= HANG_S * 1000 else f"{ms:.2f} ms"


def _worker(conn: Any) -> None:
    while True:
        pattern, flags, texts = conn.recv()
        conn.send(measure("re", re.compile(pattern, flags), texts)[0])


class Isolated:
    """Python `re` patterns cannot be interrupted: each runs in a forked worker, killed after HANG_S."""

    def __init__(self) -> None:
        self.proc: Any = None

    def _start(self) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()

    def measure(self, compiled: re.Pattern, texts: list[str]) -> float | None:
        if self.proc is None:
            self._start()
        self.conn.send((compiled.pattern, compiled.flags, texts))
        if self.conn.poll(HANG_S):
            return float(self.conn.recv())
        self.proc.kill()
        self.proc.join()
        self.proc = None
        return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    started = time.time()
    load = os.getloadavg()[0]
    regexes = shipped()
    rows = []
    iso = Isolated()
    for name, (engine, compiled) in sorted(regexes.items()):
        source = getattr(compiled, "pattern", None) or getattr(compiled, "source", None)
        texts = inputs(source if isinstance(source, str) else None)
        if engine == "re":
            got = iso.measure(compiled, texts)
            worst = got if got is not None else HANG_S * 1000
        else:
            worst, _ = measure(engine, compiled, texts)
        print(f"{worst:9.2f} ms  {name}", file=sys.stderr, flush=True)
        rows.append((worst, name, engine))
    rows.sort(reverse=True)
    over = [r for r in rows if r[0] > LIMIT_MS]
    by_engine: dict[str, int] = {}
    for _, _, e in rows:
        by_engine[e] = by_engine.get(e, 0) + 1
    print(f"{len(rows)} regexes; slowest {rows[0][0]:.1f} ms ({rows[0][1]}); over {LIMIT_MS:.0f} ms: {len(over)}")
    for worst, name, engine in rows[:15]:
        print(f"{worst:8.2f} ms  {engine:18s} {name}")
    if args.write:
        table = "\n".join(f"| {name} | {engine} | {_shown(worst)} |" for worst, name, engine in rows[:15])
        engines = ", ".join(f"{e}: {n}" for e, n in sorted(by_engine.items()))
        text = f"""## Regular expressions

Measured {date.today().isoformat()} with `python bench/regex_bench.py --write` on {os.cpu_count()} cores ({_cpu()}),
Python {platform.python_version()}, load average {load:.1f} at start; {time.time() - started:.0f} s in all.

Every regex Sparring ships ({len(rows)}: {engines}), each on {len(inputs(None))}+ inputs of {N:,} characters
(realistic text and hostile runs; see the script). Target: none over {LIMIT_MS:.0f} ms.
**Slowest: {rows[0][0]:.1f} ms; over {LIMIT_MS:.0f} ms: {len(over)}.**

The 15 slowest (worst input each):

| regex | engine | worst of the inputs |
|---|---|---|
{table}
"""
        write_section("## Regular expressions", text)


if __name__ == "__main__":
    main()

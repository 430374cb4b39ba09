"""The sentence encoder's forward pass, eager against TorchScript-traced (sparring.grading.embeddings._Encoder).

    python bench/encoder_bench.py [--reps 30] [--write]

Median wall time of `_Encoder.forward` on batches of shipped-style learner units, once through the traced graph
and once through the eager model (the same encoder with `traced` set to None), one torch thread as the grader runs.
`--write` replaces this script's own section of docs/benchmarks.md (bench/benchdoc.py write_section).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import date

from benchdoc import write_section

UNITS = ["The contractor's repair estimate is late and we chased it twice.",
         "Verify: the schedule does not name a limit for laptops abroad.",
         "Cover is confirmed; the adjuster brings in a second contractor if nothing arrives by the date.",
         "The summary says six months, but the policy gives eight weeks for a final response."]


def median_ms(fn, batch: list[str], reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn(batch)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    import torch

    from sparring.grading import embeddings

    torch.set_num_threads(1)
    enc = embeddings._get_encoder()
    if enc.traced is None:
        raise SystemExit("the traced graph is not in use on this torch build: nothing to compare")
    traced = enc.traced
    rows = []
    for n in (1, 4, 12):
        batch = (UNITS * 3)[:n]
        enc.traced = traced
        fast = median_ms(enc.forward, batch, args.reps)
        enc.traced = None
        median_ms(enc.forward, batch, 3)  # warm the eager path
        slow = median_ms(enc.forward, batch, args.reps)
        rows.append(f"| {n} row{'s' if n > 1 else ''} | {slow:.1f} ms | **{fast:.1f} ms** |")
    enc.traced = traced
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    text = "\n".join([
        "## Encoder forward pass (bench/encoder_bench.py)", "",
        f"Run {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, torch {torch.__version__}, one torch thread; median of {args.reps} calls of "
        f"`_Encoder.forward` per batch; load average at the end {load}. Scores are identical on both paths (the "
        "traced graph is used only when it reproduces `st.encode` within 1e-4).", "",
        "| batch | eager | traced |", "|---|---|---|", *rows])
    print(text)
    if args.write:
        write_section("## Encoder forward pass (bench/encoder_bench.py)", text)


if __name__ == "__main__":
    main()

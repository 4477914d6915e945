"""Bare transfer decisions over a generated world: load time, p50/p99 of allowed and refused.

The smallest harness: load the world through ``policyeval.loading.load`` and ask
``transfer_allowed`` of each question with ``Evaluator.ask`` (no proof). Its figures compare two
rule sets or two engines on one world, e.g. ``--policies`` of an older checkout::

    .venv/bin/python bench/ask_bench.py /tmp/policyeval-bench/world1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from policyeval.loading import load


def _percentile(samples: list[float], fraction: float) -> int:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]) if ordered else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("world", type=Path, help="a directory made by bench/generate.py")
    parser.add_argument("--policies", type=Path, default=Path("policies"))
    args = parser.parse_args()
    started = time.perf_counter()
    evaluator = load(args.policies, args.world / "facts").evaluator()
    print(f"load {time.perf_counter() - started:.1f} s")
    questions = json.loads((args.world / "questions.json").read_text(encoding="utf-8"))
    times: dict[bool, list[float]] = {True: [], False: []}
    for q in questions:
        asked = [q["customer"], q["executor"], q["secret"], dt.date.fromisoformat(q["on"])]
        started = time.perf_counter()
        allowed = bool(evaluator.ask("transfer_allowed", asked))
        times[allowed].append((time.perf_counter() - started) * 1e6)
    every = times[True] + times[False]
    print(f"all {len(every)}: p50 {_percentile(every, 0.5)} µs, p99 {_percentile(every, 0.99)} µs")
    for allowed, samples in times.items():
        name = "allowed" if allowed else "refused"
        p50, p99 = _percentile(samples, 0.5), _percentile(samples, 0.99)
        print(f"{name} {len(samples)}: p50 {p50} µs, p99 {p99} µs")


if __name__ == "__main__":
    main()

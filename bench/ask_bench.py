"""Bare transfer decisions over a generated world: load time, p50/p99 of allowed and refused.

The smallest harness: load the world through ``policyeval.loading.load`` and ask
``transfer_allowed`` of each question with ``Evaluator.ask`` (no proof). Its figures compare two
rule sets or two engines on one world, e.g. ``--policies`` of an older checkout::

    .venv/bin/python bench/ask_bench.py /tmp/policyeval-bench/world1000

With ``--decisions`` it makes the service's call instead: ``decide_transfer`` with the rules in
force on the day, so a refusal is timed with its reasons and its checked repairs, and prints one
table of the allowed and the refused decisions' p50/p90 times beside the size of their default
response (``explain=reasons``) and of the full one (the proof and why-not trees too)::

    .venv/bin/python bench/ask_bench.py /tmp/policyeval-bench/world1000 --decisions \\
        --questions 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policyeval.decree743.decisions import TransferDecision, decide_transfer
from policyeval.loading import Snapshot, load


def _percentile(samples: list[float], fraction: float) -> int:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]) if ordered else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("world", type=Path, help="a directory made by bench/generate.py")
    parser.add_argument("--policies", type=Path, default=Path("policies"))
    parser.add_argument(
        "--decisions",
        action="store_true",
        help="time decide_transfer (reasons and repairs) and measure the responses' sizes",
    )
    parser.add_argument(
        "--questions",
        type=int,
        default=0,
        help="ask only this many questions, half labelled allowed and half refused (0: all)",
    )
    parser.add_argument(
        "--warmup", type=int, default=5, help="--decisions: untimed decisions asked first"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=0,
        help="--decisions: give a decision up after this many seconds, counted as at least "
        "that long (0: wait for every one)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    snapshot = load(args.policies, args.world / "facts")
    print(f"load {time.perf_counter() - started:.1f} s")
    questions = json.loads((args.world / "questions.json").read_text(encoding="utf-8"))
    chosen = balanced(questions, args.questions) if args.questions else questions
    if args.decisions:
        spare = [q for q in questions if q not in chosen][: args.warmup]
        print(decisions_table(snapshot, chosen, spare, timeout=args.timeout))
        return
    evaluator = snapshot.evaluator()
    times: dict[bool, list[float]] = {True: [], False: []}
    for q in chosen:
        started = time.perf_counter()
        allowed = bool(evaluator.ask(TRANSFER, _question(q)))
        times[allowed].append((time.perf_counter() - started) * 1e6)
    every = times[True] + times[False]
    print(f"all {len(every)}: p50 {_percentile(every, 0.5)} µs, p99 {_percentile(every, 0.99)} µs")
    for allowed, samples in times.items():
        name = "allowed" if allowed else "refused"
        p50, p99 = _percentile(samples, 0.5), _percentile(samples, 0.99)
        print(f"{name} {len(samples)}: p50 {p50} µs, p99 {p99} µs")


def balanced(questions: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The first ``count`` questions, half of them labelled allowed and half refused.

    >>> qs = [{"allowed": a} for a in (True, True, True, False, False)]
    >>> [q["allowed"] for q in balanced(qs, 4)]
    [True, True, False, False]
    """
    want = {True: count // 2, False: count - count // 2}
    chosen = []
    for q in questions:
        if want[bool(q["allowed"])] > 0:
            want[bool(q["allowed"])] -= 1
            chosen.append(q)
    return chosen


TRANSFER = "transfer_allowed"


def _question(q: dict[str, Any]) -> list[str | dt.date]:
    return [q["customer"], q["executor"], q["secret"], dt.date.fromisoformat(q["on"])]


@dataclass
class _Samples:
    """One kind of decision: times in µs, response sizes in bytes, repairs offered."""

    times: list[float] = field(default_factory=list)
    default_sizes: list[float] = field(default_factory=list)
    full_sizes: list[float] = field(default_factory=list)
    repaired: int = 0
    gave_up: int = 0
    """Decisions given up after the timeout: each at least that long."""

    def time(self, fraction: float, timeout: float) -> str:
        """The percentile in ms, the given-up decisions counted as the slowest."""
        if not self.gave_up:
            return _ms(self.times, fraction)
        every = self.times + [timeout * 1e6] * self.gave_up
        shown = _ms(every, fraction)
        index = min(len(every) - 1, int(len(every) * fraction))
        return f"> {shown}" if index >= len(self.times) else shown

    def add(self, decision: TransferDecision, elapsed: float) -> None:
        self.times.append(elapsed)
        self.default_sizes.append(len(decision.at_level("reasons").encode("utf-8")))
        self.full_sizes.append(len(decision.at_level("full").encode("utf-8")))
        repairs = decision.per_secret[0].repairs
        self.repaired += bool(repairs and repairs.repairs)


def decide(snapshot: Snapshot, q: dict[str, Any]) -> tuple[TransferDecision, float]:
    """One decision as the service makes it (the rules in force on the day), and its µs."""
    customer, executor, secret, on = _question(q)
    assert isinstance(on, dt.date)
    started = time.perf_counter()
    rules = snapshot.in_force(on)
    decision = decide_transfer(
        rules.evaluator(),
        str(customer),
        str(executor),
        [str(secret)],
        on,
        redaction=rules.redaction,
        warnings=rules.warnings,
    )
    return decision, (time.perf_counter() - started) * 1e6


class _TimedOut(Exception):
    """A decision given up after ``--timeout`` seconds."""


def _give_up(signum: int, frame: object) -> None:
    raise _TimedOut


def decisions_table(
    snapshot: Snapshot,
    questions: list[dict[str, Any]],
    warmup: Sequence[dict[str, Any]] = (),
    *,
    timeout: float = 0,
) -> str:
    """Decide each question; a Markdown table of the allowed and the refused decisions.

    With ``timeout``, a decision still running after that many seconds is given up (SIGALRM)
    and counted as refused (``ask`` says whether it is), taking that long: a percentile that
    falls on one is shown as ``>`` it, and the sizes are of the decisions that finished."""
    for q in warmup:
        decide(snapshot, q)
    samples: dict[str, _Samples] = {"allowed": _Samples(), "refused": _Samples()}
    signal.signal(signal.SIGALRM, _give_up)
    for i, q in enumerate(questions, 1):
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            decision, elapsed = decide(snapshot, q)
        except _TimedOut:
            allowed = bool(snapshot.in_force(_day(q)).evaluator().ask(TRANSFER, _question(q)))
            samples["allowed" if allowed else "refused"].gave_up += 1
            print(f"{i}/{len(questions)} gave up after {timeout:g} s", file=sys.stderr)
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        samples[decision.decision].add(decision, elapsed)
        print(f"{i}/{len(questions)} {decision.decision} {elapsed / 1000:.0f} ms", file=sys.stderr)
    lines = [
        "| decisions | n | time p50 / p90 ms | default response p50 / max bytes "
        "| full response p50 / max bytes | with a repair | given up |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, kept in samples.items():
        what = "refused, with reasons and repairs" if name == "refused" else "allowed"
        done = len(kept.times)
        repaired = f"{kept.repaired}/{done}" if name == "refused" else "-"
        lines.append(
            f"| {what} | {done + kept.gave_up} "
            f"| {kept.time(0.5, timeout)} / {kept.time(0.9, timeout)} "
            f"| {_percentile(kept.default_sizes, 0.5):,} / {_max(kept.default_sizes):,} "
            f"| {_percentile(kept.full_sizes, 0.5):,} / {_max(kept.full_sizes):,} "
            f"| {repaired} | {kept.gave_up} |"
        )
    return "\n".join(lines)


def _day(q: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(q["on"])


def _ms(samples: list[float], fraction: float) -> str:
    return f"{_percentile(samples, fraction) / 1000:.1f}"


def _max(samples: list[float]) -> int:
    return round(max(samples)) if samples else 0


if __name__ == "__main__":
    main()

"""Proofs and why-nots against the bare decision: CPU time per question on a generated world.

    .venv/bin/python bench/explain_bench.py --world /tmp/policyeval-bench/world1000

The world is loaded as ``transfer_bench.py`` loads it (its helpers, no snapshot file written).
The first ``--limit`` questions labelled allowed and the first ``--limit`` labelled refused of
the world's ``questions.json`` (0: all of them) are then timed, in each of ``--rounds`` rounds,
by CPU time (``time.process_time``) per call. Each round starts the decisions and proofs, the
why-nots and the refusals on a fresh proof cache each (``KnowledgeBase.proofs``: what
explanations keep between questions), so only the warm proofs find their own question kept:

* bare: ``Evaluator.ask`` (the decision, no explanation), allowed and refused apart;
* proof cold: ``Evaluator.query(..., proofs=True)`` of an allowed question, the cache empty;
* proof warm: the same proofs again;
* why-not: ``Evaluator.why_not`` of a refused question;
* refusal: ``Evaluator.query`` of a refused question (its why-not and reasons).

p50/p99 µs are printed with the ratios to the bare decision. ``--dump FILE`` writes every
proof, why-not and refusal of the first round as sorted JSON, so two trees' outputs can be
compared byte for byte; ``--profile KIND`` prints a cProfile of one more pass of that kind.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import gc
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from transfer_bench import _load_policyeval, read_questions

from policyeval.evaluator import Evaluator, KnowledgeBase
from policyeval.explain.proof import ProofCache

Question = tuple[str, str, str, dt.date]
KINDS = ("bare", "proof_cold", "proof_warm", "why_not", "refusal")
PREDICATE = "transfer_allowed"


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    """p50 and p99 of ``samples`` (seconds), in µs."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, max(0, round(len(ordered) * 0.99) - 1))]
    return statistics.median(ordered) * 1e6, p99 * 1e6


def timed(
    action: Callable[[Question], Any], questions: Sequence[Question], samples: list[float]
) -> list[Any]:
    """``action`` of each question, its CPU time appended to ``samples``."""
    results = []
    for question in questions:
        start = time.process_time()
        results.append(action(question))
        samples.append(time.process_time() - start)
    return results


class Bench:
    """One knowledge base's questions, asked each way; the samples of every round kept."""

    def __init__(
        self, knowledge_base: KnowledgeBase, allowed: list[Question], refused: list[Question]
    ):
        self.knowledge_base = knowledge_base
        self.allowed = allowed
        self.refused = refused
        self.samples: dict[str, list[float]] = {
            kind: [] for kind in (*KINDS, "bare_allowed", "bare_refused")
        }
        self.outputs: dict[str, dict[str, Any]] = {}
        self.mismatches: list[str] = []

    def evaluator(self) -> Evaluator:
        """An evaluator of the knowledge base with an empty proof cache: proofs start cold."""
        return Evaluator(dataclasses.replace(self.knowledge_base, proofs=ProofCache()))

    def round(self, first: bool) -> None:
        """Every question asked each way once, timed; the first round's outputs kept."""
        evaluator = self.evaluator()
        samples = self.samples

        def bare(q: Question) -> bool:
            return bool(evaluator.ask(PREDICATE, list(q)))

        def proof(q: Question) -> Any:
            return evaluator.query(PREDICATE, list(q), proofs=True)

        decided = timed(bare, self.allowed, samples["bare_allowed"])
        decided += timed(bare, self.refused, samples["bare_refused"])
        expected = [True] * len(self.allowed) + [False] * len(self.refused)
        if decided != expected and first:
            wrong = sum(d != e for d, e in zip(decided, expected, strict=True))
            self.mismatches.append(f"{wrong} decisions differ from their labels")
        cold = timed(proof, self.allowed, samples["proof_cold"])
        warm = timed(proof, self.allowed, samples["proof_warm"])
        explainer = self.evaluator()  # each kind first-time: nothing of these questions kept
        why_nots = timed(
            lambda q: explainer.why_not(PREDICATE, list(q)), self.refused, samples["why_not"]
        )
        refuser = self.evaluator()
        refusals = timed(
            lambda q: refuser.query(PREDICATE, list(q), proofs=True),
            self.refused,
            samples["refusal"],
        )
        samples["bare"] = samples["bare_allowed"] + samples["bare_refused"]
        if first:
            self._keep(cold, warm, why_nots, refusals)

    def _keep(
        self, cold: list[Any], warm: list[Any], why_nots: list[Any], refusals: list[Any]
    ) -> None:
        """The outputs as JSON values, by question; a warm proof must equal its cold one."""
        for question, first, again in zip(self.allowed, cold, warm, strict=True):
            shown = first.model_dump(mode="json")
            if again.model_dump(mode="json") != shown:
                self.mismatches.append(f"warm proof differs: {_key(question)}")
            self.outputs[_key(question)] = {"query": shown}
        for question, why_not, refusal in zip(self.refused, why_nots, refusals, strict=True):
            self.outputs[_key(question)] = {
                "why_not": why_not.model_dump(mode="json") if why_not is not None else None,
                "query": refusal.model_dump(mode="json"),
            }

    def profile(self, kind: str, lines: int) -> str:
        """A cProfile of one pass of ``kind`` (proof_warm after one cold pass)."""
        evaluator = self.evaluator()
        actions: dict[str, tuple[Callable[[Question], Any], list[Question]]] = {
            "bare": (lambda q: evaluator.ask(PREDICATE, list(q)), self.allowed + self.refused),
            "proof_cold": (lambda q: evaluator.query(PREDICATE, list(q)), self.allowed),
            "proof_warm": (lambda q: evaluator.query(PREDICATE, list(q)), self.allowed),
            "why_not": (lambda q: evaluator.why_not(PREDICATE, list(q)), self.refused),
            "refusal": (lambda q: evaluator.query(PREDICATE, list(q)), self.refused),
        }
        action, questions = actions[kind]
        if kind == "proof_warm":
            for question in questions:
                action(question)
        profiler = cProfile.Profile()
        profiler.enable()
        for question in questions:
            action(question)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(lines)
        stats.sort_stats("cumulative").print_stats(lines)
        return out.getvalue()


def _key(question: Question) -> str:
    customer, executor, secret, day = question
    return f"{customer} {executor} {secret} {day.isoformat()}"


RATIOS = (
    ("proof_cold", "bare_allowed"),
    ("proof_warm", "bare_allowed"),
    ("why_not", "bare_refused"),
    ("refusal", "bare_refused"),
)


def report(bench: Bench) -> str:
    """The table of p50/p99 µs and the p50 ratios to the bare decision."""
    figures = {kind: percentiles(s) for kind, s in bench.samples.items() if s}
    lines = ["| timing | n | p50 µs | p99 µs |", "|---|---:|---:|---:|"]
    for kind in ("bare", "bare_allowed", "bare_refused", *KINDS[1:]):
        if kind in figures:
            p50, p99 = figures[kind]
            lines.append(f"| {kind} | {len(bench.samples[kind])} | {p50:,.0f} | {p99:,.0f} |")
    lines += [
        f"{kind} / {base} p50: {figures[kind][0] / figures[base][0]:.2f}"
        for kind, base in RATIOS
        if kind in figures and base in figures
    ]
    if "why_not" in figures:
        lines.append(f"why_not p50: {figures['why_not'][0]:,.0f} µs (target ≤ 1,000)")
    return "\n".join(lines)


def choose(world: Path, limit: int) -> tuple[list[Question], list[Question]]:
    """The first ``limit`` questions labelled allowed and refused (0: all of each)."""
    questions, labels = read_questions(world)
    allowed = [q for q, label in zip(questions, labels, strict=True) if label]
    refused = [q for q, label in zip(questions, labels, strict=True) if not label]
    return (allowed[:limit], refused[:limit]) if limit else (allowed, refused)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    allowed, refused = choose(args.world, args.limit)
    load_start = time.process_time()
    knowledge_base, _ = _load_policyeval(args.world, None, None)
    print(f"# loaded {args.world} in {time.process_time() - load_start:.1f} s CPU", flush=True)
    gc.collect()  # as the service does with the snapshot it serves
    gc.freeze()
    bench = Bench(knowledge_base, allowed, refused)
    warm_up = bench.evaluator()
    for question in allowed + refused:  # the store's value indexes built before any timing
        warm_up.ask(PREDICATE, list(question))
    for number in range(args.rounds):
        bench.round(first=number == 0)
    print(f"# {len(allowed)} allowed + {len(refused)} refused questions, {args.rounds} rounds")
    print(report(bench))
    for problem in bench.mismatches:
        print(f"MISMATCH: {problem}")
    if args.dump:
        text = json.dumps(bench.outputs, sort_keys=True, indent=1, ensure_ascii=False)
        args.dump.write_text(text + "\n", encoding="utf-8")
        print(f"# wrote {len(bench.outputs)} outputs to {args.dump}")
    if args.profile:
        print(bench.profile(args.profile, args.profile_lines))
    return 1 if bench.mismatches else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--world",
        type=Path,
        default=Path("/tmp/policyeval-bench/world1000"),
        help="a directory made by bench/generate.py",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=50,
        help="questions of each label timed (default 50 allowed + 50 refused; 0: all)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed rounds, each on a fresh proof cache"
    )
    parser.add_argument("--dump", type=Path, help="write the first round's outputs here as JSON")
    parser.add_argument("--profile", choices=KINDS, help="print a cProfile of one more pass")
    parser.add_argument("--profile-lines", type=int, default=25, help="functions shown")
    return parser


if __name__ == "__main__":
    sys.exit(main())

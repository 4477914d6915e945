"""Refusals with their reasons and repairs, as the service decides them by default: CPU time per
refusal on a generated world.

    .venv/bin/python bench/refusal_bench.py --world /tmp/policyeval-bench/world1000 --limit 150

The world is loaded as ``transfer_bench.py`` loads it. The first ``--limit`` questions labelled
refused are each decided by ``decide_transfer(..., explain="reasons")`` (the why-not, its
reasons and the search for repairs, capped at ``repairs.SEARCH_SECONDS``), timed by CPU time
(``time.process_time``). Printed: p50 / p90 / max in ms, the sum in s, and how many searches
stopped at their cap. ``--dump FILE`` writes every decision as sorted JSON without its
``decision_id`` (a fresh one each time), so two trees' refusals can be compared byte for byte.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

from explain_bench import choose
from transfer_bench import _load_policyeval

from policyeval.decree743.decisions import decide_transfer
from policyeval.evaluator import Evaluator


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _, refused = choose(args.world, args.limit)
    knowledge_base, _ = _load_policyeval(args.world, None, None)
    gc.collect()  # as the service does with the snapshot it serves
    gc.freeze()
    evaluator = Evaluator(knowledge_base)
    for customer, executor, secret, on in refused:  # value indexes built before any timing
        decide_transfer(evaluator, customer, executor, [secret], on, explain="none")
    samples: list[float] = []
    outputs: dict[str, object] = {}
    stopped = 0
    for customer, executor, secret, on in refused:
        start = time.process_time()
        decision = decide_transfer(evaluator, customer, executor, [secret], on, explain="reasons")
        samples.append(time.process_time() - start)
        shown = decision.model_dump(mode="json", exclude={"decision_id"})
        stopped += "search for repairs stopped" in json.dumps(shown)
        outputs[f"{customer} {executor} {secret} {on.isoformat()}"] = shown
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    print(
        f"{len(samples)} refusals: p50 {statistics.median(samples) * 1e3:.1f} ms, "
        f"p90 {p90 * 1e3:.1f} ms, max {ordered[-1] * 1e3:.0f} ms, sum {sum(samples):.2f} s; "
        f"{stopped} repair searches stopped at their cap"
    )
    if args.dump:
        args.dump.write_text(json.dumps(outputs, sort_keys=True, indent=1), encoding="utf-8")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", type=Path, required=True, help="made by bench/generate.py")
    parser.add_argument("--limit", type=int, default=150, help="refused questions (0: all)")
    parser.add_argument("--dump", type=Path, help="write the decisions here as JSON")
    return parser


if __name__ == "__main__":
    sys.exit(main())

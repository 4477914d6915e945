"""Engine benchmark: loading, one bound query, one proof and one why-not at 10k and 1M facts.

Run by hand (not in CI):  .venv/bin/python bench/engine_bench.py [--sizes 10000 1000000]

The world is synthetic but has the decree's shape: executors with permits that expire, an
ownership chain above each executor (a recursive foreign-participation check), and a question
"may E work on D" that needs a valid permit and no foreign owner anywhere up the chain.
Figures are printed as a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import resource
import statistics
import time
from collections.abc import Callable

from policyeval.engine.store import FactSource, FactStore
from policyeval.evaluator import Evaluator
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import RuleSet

RULES = """
@id("foreign.direct") @clause("8.1") @reading("{X} has a foreign owner {O}")
foreign(X) :- owns(O, X), org_kind(O, foreign).
@id("foreign.chain") @clause("8.1") @reading("{X} is owned by {O}, which has foreign participation")
foreign(X) :- owns(O, X), foreign(O).
@id("permit.valid") @clause("11") @given("D") @reading("{E} holds permit {P} valid on {D}")
permit_valid(E, D) :- permit_holder(P, E), permit_valid_until(P, U), D <= U.
@id("work.allowed") @clause("8") @given("D") @reading("{E} may work with secrets on {D}")
may_work(E, D) :- org_kind(E, commercial), permit_valid(E, D), not foreign(E).
"""
SCHEMA = {"owns": 2, "org_kind": 2, "permit_holder": 2, "permit_valid_until": 2}
ON = dt.date(2026, 3, 1)
FACTS_PER_EXECUTOR = 5  # org_kind, owns, holding org_kind, permit_holder, permit_valid_until


def build_store(facts_wanted: int, seed: int = 7) -> tuple[FactStore, list[str], float]:
    """A store of about ``facts_wanted`` facts; returns it, the executors and the load time."""
    rng = random.Random(seed)
    executors = facts_wanted // FACTS_PER_EXECUTOR
    store = FactStore(SCHEMA)
    names: list[str] = []
    holdings = max(1, executors // 10)
    start = time.perf_counter()
    for h in range(holdings):
        kind = "foreign" if rng.random() < 0.05 else "commercial"
        store.add("org_kind", (f"h{h}", kind), FactSource("bench.yaml", h))
        if h:
            store.add("owns", (f"h{rng.randrange(h)}", f"h{h}"), FactSource("bench.yaml", h))
    for e in range(executors):
        name = f"e{e}"
        names.append(name)
        line = holdings + e
        store.add("org_kind", (name, "commercial"), FactSource("bench.yaml", line))
        store.add("owns", (f"h{rng.randrange(holdings)}", name), FactSource("bench.yaml", line))
        store.add("permit_holder", (f"p{e}", name), FactSource("bench.yaml", line))
        until = ON + dt.timedelta(days=rng.randrange(-200, 400))
        store.add("permit_valid_until", (f"p{e}", until), FactSource("bench.yaml", line))
    return store, names, time.perf_counter() - start


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """p50 and p99 in microseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(size: int, repeat: int) -> dict[str, str]:
    gc.collect()
    before = rss_mib()
    store, executors, load_seconds = build_store(size)
    after = rss_mib()
    rules = RuleSet(rules=tuple(parse_rules(RULES, "bench.md")))
    start = time.perf_counter()
    evaluator = Evaluator.from_rules(rules, store)
    build_seconds = time.perf_counter() - start
    rng = random.Random(11)
    allowed = [e for e in rng.sample(executors, 400) if evaluator.ask("may_work", [e, ON])]
    refused = [e for e in rng.sample(executors, 400) if not evaluator.ask("may_work", [e, ON])]
    pick = iter(range(10**9))
    ask = timed(lambda: evaluator.ask("may_work", [allowed[next(pick) % len(allowed)], ON]), repeat)
    prove = timed(
        lambda: evaluator.query("may_work", [allowed[next(pick) % len(allowed)], ON]), repeat
    )
    why = timed(
        lambda: evaluator.query("may_work", [refused[next(pick) % len(refused)], ON]), repeat
    )
    facts = len(store)
    return {
        "facts": f"{facts:,}",
        "load facts/s": f"{facts / load_seconds:,.0f}",
        "bytes/fact": f"{(after - before) * 1024 * 1024 / facts:,.0f}",
        "compile+tables s": f"{build_seconds:.1f}",
        "ask p50/p99 µs": f"{ask[0]:,.0f} / {ask[1]:,.0f}",
        "ask+proof p50/p99 µs": f"{prove[0]:,.0f} / {prove[1]:,.0f}",
        "why-not p50/p99 µs": f"{why[0]:,.0f} / {why[1]:,.0f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=500)
    args = parser.parse_args()
    rows = [run(size, args.repeat) for size in args.sizes]
    columns = list(rows[0])
    widths = [max(len(c), *(len(r[c]) for r in rows)) for c in columns]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(row[c].ljust(w) for c, w in zip(columns, widths, strict=True)))


if __name__ == "__main__":
    main()

"""Start from a snapshot file against loading the fact files: CPU seconds, records/s, RSS.

    .venv/bin/python bench/restore_bench.py --world /tmp/policyeval-bench/world1000 [--rounds 2]
        [--cold] [--collector-on]

Each measurement runs in a child process of its own (so its peak RSS is its own): the child
times ``policyeval.load(policies, WORLD/facts, snapshots=DIR)`` by ``time.process_time`` and
prints it with the RSS then; then the CPU of the world's first question (``explain="none"``),
and of building all a restore leaves until first read (every record kind, every table's rows,
keys and sources), and the peak RSS (``ru_maxrss``). The snapshot directory (``--snapshots``,
default ``WORLD/snapshots``) is filled by one load first when it holds no file for these files
and code. ``--cold`` also times loads without a snapshot directory; ``--collector-on`` times them
with Python's cyclic garbage collector left running, as before ``policyeval.collector``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def child(world: Path, snapshots: Path | None, collector_on: bool) -> dict[str, Any]:
    """One load in this process, as the parent asked: its CPU seconds, whether it restored, its
    records and RSS; then the first question's CPU (a restored table's rows are built when
    first read) and the CPU of building everything a restore left for later (every record and
    every table's rows, keys and sources), and the peak RSS."""
    import policyeval.loading as loading
    from policyeval.decree743.decisions import decide_transfer

    if collector_on:
        vars(loading)["collector_paused"] = contextlib.nullcontext  # what load() calls
    said: list[str] = []
    started = time.process_time()
    snapshot = loading.load(
        ROOT / "policies", world / "facts", snapshots=snapshots, progress=said.append
    )
    seconds = time.process_time() - started
    rss_after_start = _rss_mib()
    customer, executor, secret, on = _first_question(world)
    started = time.process_time()
    decide_transfer(snapshot.evaluator(), customer, executor, [secret], on, explain="none")
    first_question = time.process_time() - started
    started = time.process_time()
    records = sum(len(by_id) for by_id in snapshot.fact_base.records.values())
    bases = [edition.knowledge_base for edition in snapshot.editions]
    stores = {id(s): s for base in bases for s in (base.facts, base.store)}
    built = [
        (len(table.rows), len(table.keys), len(table.sources))
        for store in stores.values()
        for table in store.own_tables().values()
    ]
    the_rest = time.process_time() - started
    return {
        "cpu_s": seconds,
        "restored": any(line.startswith("restored ") for line in said),
        "records": records,
        "rows": sum(rows for rows, _, _ in built),
        "rss_mib": rss_after_start,
        "first_question_ms": first_question * 1e3,
        "the_rest_s": the_rest,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def _first_question(world: Path) -> tuple[str, str, str, dt.date]:
    first = json.loads((world / "questions.json").read_text(encoding="utf-8"))[0]
    return first["customer"], first["executor"], first["secret"], dt.date.fromisoformat(first["on"])


def _rss_mib() -> int:
    """This process's resident memory now, in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() // 2**20


def _run_child(world: Path, snapshots: Path | None, collector_on: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--world", str(world), "--child"]
    if snapshots is not None:
        command += ["--snapshots", str(snapshots)]
    if collector_on:
        command.append("--collector-on")
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--snapshots", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="also time loads without a snapshot")
    parser.add_argument("--collector-on", action="store_true", help="leave the cyclic GC on")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    snapshots = args.snapshots or args.world / "snapshots"
    if args.child:
        chosen = args.snapshots if args.snapshots else None
        print(json.dumps(child(args.world, chosen, args.collector_on)))
        return
    rows: list[tuple[str, dict[str, Any]]] = []
    first = _run_child(args.world, snapshots, args.collector_on)
    if not first["restored"]:
        rows.append(("load + write the snapshot", first))
    for _ in range(args.rounds):
        rows.append(("restore", _run_child(args.world, snapshots, args.collector_on)))
        if args.cold:
            rows.append(("cold load", _run_child(args.world, None, args.collector_on)))
    collector = "on" if args.collector_on else "paused"
    print(f"{args.world.name}: the cyclic collector {collector} during loads")
    print(
        f"{'what':<28}{'CPU s':>9}{'records/s':>12}{'RSS MiB':>9}"
        f"{'1st question ms':>17}{'the rest s':>12}{'peak RSS MiB':>14}"
    )
    for what, row in rows:
        rate = row["records"] / row["cpu_s"] if row["cpu_s"] else 0.0
        print(
            f"{what:<28}{row['cpu_s']:>9.2f}{rate:>12,.0f}{row['rss_mib']:>9,}"
            f"{row['first_question_ms']:>17,.1f}{row['the_rest_s']:>12.2f}{row['peak_mib']:>14,}"
        )


if __name__ == "__main__":
    main()

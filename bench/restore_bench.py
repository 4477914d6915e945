"""Start from a snapshot file against loading the fact files: CPU seconds, records/s, peak RSS.

    .venv/bin/python bench/restore_bench.py --world /tmp/policyeval-bench/world1000 [--rounds 2]
        [--cold] [--collector-on]

Each measurement runs in a child process of its own (so its peak RSS is its own): the child
times ``policyeval.load(policies, WORLD/facts, snapshots=DIR)`` by ``time.process_time`` and
prints it with ``ru_maxrss``. The snapshot directory (``--snapshots``, default
``WORLD/snapshots``) is filled by one load first when it holds no file for these files and
code. ``--cold`` also times loads without a snapshot directory; ``--collector-on`` times them
with Python's cyclic garbage collector left running, as before ``policyeval.collector``.
"""

from __future__ import annotations

import argparse
import contextlib
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
    records and peak RSS."""
    import policyeval.loading as loading

    if collector_on:
        vars(loading)["collector_paused"] = contextlib.nullcontext  # what load() calls
    said: list[str] = []
    started = time.process_time()
    snapshot = loading.load(
        ROOT / "policies", world / "facts", snapshots=snapshots, progress=said.append
    )
    seconds = time.process_time() - started
    records = sum(len(by_id) for by_id in snapshot.fact_base.records.values())
    return {
        "cpu_s": seconds,
        "restored": any(line.startswith("restored ") for line in said),
        "records": records,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


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
    print(f"{'what':<28}{'CPU s':>9}{'records/s':>12}{'peak RSS MiB':>14}")
    for what, row in rows:
        rate = row["records"] / row["cpu_s"] if row["cpu_s"] else 0.0
        print(f"{what:<28}{row['cpu_s']:>9.2f}{rate:>12,.0f}{row['peak_mib']:>14,}")


if __name__ == "__main__":
    main()

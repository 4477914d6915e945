"""Transfer decisions at national scale: policyeval against a Python floor, clingo and Cedar.

    .venv/bin/python bench/transfer_bench.py --sizes 1000 10000 50000

For each size N the world of ``bench/generate.py`` is generated (or reused from
``--worlds/worldN``), then every system runs in a subprocess of its own, so that its RSS is its
own and a system that runs out of time or memory does not take the others with it:

* ``policyeval``: the library as served: ``policyeval.loading.load`` (rules, facts, and
  whatever ``build_knowledge_base`` does by default), then ``Evaluator.ask`` per question,
  ``Evaluator.query(..., proofs=True)`` per allowed one, ``Evaluator.why_not`` per refused one;
* ``policyeval-plain``: the same with ``build_knowledge_base(..., materialize=False)``, when
  the library has that option;
* ``policyeval-restart``: the library as served, restarted: a first child loads and writes the
  snapshot file (``load(..., snapshots=WORLD/snapshots)``), the timed one starts from it;
* ``others``: the facts parsed once by ``load_fact_files``, then the hand-written floor
  (``bench/floor.py``, with its audit sweep ``bench/floor_audit.py``), clingo
  (``bench/asp.py``) and cedarpy (``bench/cedar.py``).

Every system's answers are compared with policyeval's on every question (and with the label
in ``questions.json``); the table shows the counts. See ``bench/README.md`` for the columns.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from floor import Floor
    from floor_audit import FloorAudit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYSTEMS = ["policyeval", "policyeval-plain", "policyeval-restart"]
SNAPSHOTS = "snapshots"
"""Where in a world's directory the restart row's snapshot file is kept."""
Question = tuple[str, str, str, dt.date]


# ---- measuring ----------------------------------------------------------------------------


def rss_mib() -> float:
    """Resident set size now (VmRSS), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples: list[float]) -> dict[str, float | None]:
    """p50 and p99 in microseconds (None when there are no samples)."""
    if not samples:
        return {"p50": None, "p99": None, "n": 0}
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, max(0, round(len(ordered) * 0.99) - 1))]
    return {"p50": statistics.median(ordered) * 1e6, "p99": p99 * 1e6, "n": len(ordered)}


def timed_each(
    action: Callable[..., Any], items: Sequence[tuple[Any, ...]]
) -> tuple[list[Any], list[float]]:
    results, samples = [], []
    for item in items:
        start = time.perf_counter()
        results.append(action(*item))
        samples.append(time.perf_counter() - start)
    return results, samples


def read_questions(world: Path) -> tuple[list[Question], list[bool]]:
    raw = json.loads((world / "questions.json").read_text(encoding="utf-8"))
    questions = [
        (q["customer"], q["executor"], q["secret"], dt.date.fromisoformat(q["on"])) for q in raw
    ]
    return questions, [bool(q["allowed"]) for q in raw]


# ---- children: one per system group ---------------------------------------------------------


def child_policyeval(
    world: Path,
    materialize: bool | None,
    profile: int,
    limit: int,
    count: int,
    snapshots: Path | None = None,
) -> dict[str, Any]:
    """Load as the library does (from a snapshot file in ``snapshots``, which must hold one)
    and answer the first ``count`` questions three ways."""
    from policyeval.evaluator import Evaluator

    questions = read_questions(world)[0][:count]
    before = rss_mib()
    start = time.perf_counter()
    knowledge_base, fact_base = _load_policyeval(world, materialize, snapshots)
    load_s = time.perf_counter() - start
    gc.collect()  # as the service does with the snapshot it serves (service/state.py)
    gc.freeze()
    result: dict[str, Any] = {
        "records": _records(world, fact_base),
        "facts": len(fact_base.facts),
        "load_s": load_s,
        "rss_mib": rss_mib() - before,
    }
    evaluator = Evaluator(knowledge_base)

    def ask(c: str, e: str, s: str, d: dt.date) -> bool:
        return bool(evaluator.ask("transfer_allowed", [c, e, s, d]))

    for question in questions[:20]:  # warm up
        ask(*question)
    answers, samples = timed_each(ask, questions)
    result["answers"] = answers
    result["decide"] = percentiles(samples)
    # The median of two clusters is fragile: each outcome's own figures too.
    result["decide_allowed"] = percentiles([t for t, a in zip(samples, answers, strict=True) if a])
    result["decide_refused"] = percentiles(
        [t for t, a in zip(samples, answers, strict=True) if not a]
    )
    allowed = [q for q, a in zip(questions, answers, strict=True) if a][:limit]
    refused = [q for q, a in zip(questions, answers, strict=True) if not a][:limit]

    def proof(c: str, e: str, s: str, d: dt.date) -> bool:
        found = evaluator.query("transfer_allowed", [c, e, s, d], proofs=True)
        return bool(found.answers and found.answers[0].proof is not None)

    def why_not(c: str, e: str, s: str, d: dt.date) -> bool:
        return evaluator.why_not("transfer_allowed", [c, e, s, d]) is not None

    proved, samples = timed_each(proof, allowed)  # first time: the proof cache is cold
    result["proof_cold"] = percentiles(samples)
    proved, samples = timed_each(proof, allowed)  # the same questions again: warm
    result["proof"] = percentiles(samples)
    result["proof_ok"] = sum(proved)
    explained, samples = timed_each(why_not, refused)
    result["why_not"] = percentiles(samples)
    result["why_not_ok"] = sum(explained)
    result["audit"] = _audit_sweep(evaluator, fact_base.records.get("transfer", {}))
    if profile:
        result["profile"] = _profile(ask, questions[:profile])
    result["peak_mib"] = peak_mib()
    return result


def _records(world: Path, fact_base: Any) -> int:
    """How many records the world holds: as its generator counted them (``world.json``), so
    that a restart, which builds a kind's records when first read, is not made to build them
    all (its RSS is then what serving needs); counted from the fact base otherwise."""
    try:
        return int(json.loads((world / "world.json").read_text(encoding="utf-8"))["records"])
    except (OSError, ValueError, KeyError):
        return sum(len(by_id) for by_id in fact_base.records.values())


def _load_policyeval(world: Path, materialize: bool | None, snapshots: Path | None) -> Any:
    """The knowledge base and fact base, loaded as :func:`child_policyeval` says."""
    from policyeval.loading import compile_knowledge_base, load, load_sources

    if materialize is None:
        said: list[str] = []
        loaded = load(ROOT / "policies", world / "facts", progress=said.append, snapshots=snapshots)
        if snapshots is not None and not any(line.startswith("restored ") for line in said):
            raise SystemExit(f"no snapshot restored: {said}")
        return loaded.knowledge_base, loaded.fact_base
    rules, facts = load_sources(ROOT / "policies", world / "facts")
    knowledge_base = compile_knowledge_base(
        rules, facts.store, facts.version, materialize=materialize
    )
    return knowledge_base, facts.fact_base


def _audit_sweep(evaluator: Any, transfers: Any) -> dict[str, Any]:
    """Every past transfer judged (``audit_result(T, Result)``) by policyeval."""
    return _timed_audit(
        lambda t: [str(row[1]) for row in evaluator.ask("audit_result", [t, None])], transfers
    )


def _floor_audit_sweep(floor: FloorAudit) -> dict[str, Any]:
    """Every past transfer judged by the floor (``bench/floor_audit.py``)."""
    return {"audit": _timed_audit(floor.audit_result, floor.transfers())}


def _timed_audit(judge: Callable[[str], Iterable[str]], transfers: Iterable[str]) -> dict[str, Any]:
    """Each transfer judged: total seconds, p50 / p99 per transfer, and its results."""
    items = [(transfer_id,) for transfer_id in sorted(transfers)]
    start = time.perf_counter()
    found, samples = timed_each(judge, items)
    total_s = time.perf_counter() - start
    results = {t: sorted(rows) for (t,), rows in zip(items, found, strict=True)}
    return {"total_s": total_s, **percentiles(samples), "results": results}


def _profile(ask: Callable[..., Any], questions: list[Question]) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for question in questions:
        ask(*question)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(22)
    return out.getvalue()


def child_others(world: Path) -> dict[str, Any]:
    """Parse once; then the floor, clingo and Cedar, each timed and measured on its own."""
    sys.path.insert(0, str(HERE))
    from floor import fact_rows
    from floor_audit import FloorAudit

    from policyeval.decree743 import VOCABULARY
    from policyeval.facts.loader import load_fact_files

    questions, _ = read_questions(world)
    before = rss_mib()
    start = time.perf_counter()
    fact_base = load_fact_files([world / "facts"], VOCABULARY)
    facts = fact_rows(fact_base)  # the computed capital_accounted included
    records = sum(len(by_id) for by_id in fact_base.records.values())
    out: dict[str, Any] = {
        "parse": {"load_s": time.perf_counter() - start, "rss_mib": rss_mib() - before},
        "records": records,
        "facts": len(facts),
    }
    del fact_base
    floor = _run_system(out, "floor", questions, lambda: FloorAudit(facts), _floor_audit_sweep)
    _run_clingo(out, questions, facts)
    _run_cedar(out, questions, floor)
    out["peak_mib"] = peak_mib()
    return out


def _run_system(
    out: dict[str, Any],
    name: str,
    questions: list[Question],
    build: Callable[[], Any],
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> Any:
    """Build one system and answer every question with it, into ``out[name]``; the system."""
    before = rss_mib()
    start = time.perf_counter()
    system = build()
    entry: dict[str, Any] = {
        "load_s": time.perf_counter() - start,
        "rss_mib": rss_mib() - before,
    }
    for question in questions[:20]:
        system.allowed(*question)
    answers, samples = timed_each(system.allowed, questions)
    entry.update(answers=answers, decide=percentiles(samples))
    if extra:
        entry.update(extra(system))
    out[name] = entry
    return system


def _run_clingo(
    out: dict[str, Any], questions: list[Question], facts: Sequence[tuple[str, tuple[Any, ...]]]
) -> None:
    """clingo: the base grounded once, then per question and all questions in one batch."""
    try:
        from asp import AspChecker
    except ImportError as exc:  # clingo not installed
        out["clingo"] = {"error": f"{exc} (pip install -r bench/requirements.txt)"}
        return

    def ground() -> AspChecker:
        checker = AspChecker()
        checker.ground_base(facts)
        return checker

    def batch(checker: AspChecker) -> dict[str, Any]:
        start = time.perf_counter()
        answers = checker.ground_batch(questions)
        elapsed = time.perf_counter() - start
        in_model = checker.cross_check()
        return {"batch_s": elapsed, "batch_answers": answers, "model_allowed": len(in_model)}

    _run_system(out, "clingo", questions, ground, batch)


def _run_cedar(out: dict[str, Any], questions: list[Question], floor: Floor) -> None:
    """cedarpy: the entities built from the floor's indexes, and one policy."""
    try:
        from cedar import CAVEAT, MISSING, CedarChecker
    except ImportError as exc:
        out["cedar"] = {"error": f"{exc} (pip install -r bench/requirements.txt)"}
        return
    if MISSING:
        out["cedar"] = {"error": f"not run: {MISSING}"}
        return
    _run_system(
        out,
        "cedar",
        questions,
        lambda: CedarChecker(floor),
        lambda c: {"entities": c.count, "unrolled": c.most, "caveat": CAVEAT},
    )


# ---- the parent -----------------------------------------------------------------------------


def ensure_world(worlds: Path, size: int, seed: int, questions: int) -> Path:
    """The world of ``size`` executors, generated unless one of this generator is there."""
    world = worlds / f"world{size}"
    if (world / "questions.json").exists() and (world / "facts").is_dir() and _current(world):
        return world
    print(f"# generating the world of {size} executors in {world}", flush=True)
    command = [sys.executable, str(HERE / "generate.py"), "--executors", str(size)]
    command += ["--out", str(world), "--seed", str(seed), "--questions", str(questions)]
    subprocess.run(command, check=True)
    return world


def _current(world: Path) -> bool:
    """Whether ``world`` was written by this version of ``generate.py`` (older worlds have
    undated facts)."""
    sys.path.insert(0, str(HERE))
    from generate import GENERATOR

    try:
        summary = json.loads((world / "world.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(summary.get("generator") == GENERATOR)


def run_child(args: list[str], timeout: float, memory_gib: float) -> dict[str, Any]:
    """Run this script as a child; its JSON result, or ``{"error": ...}``."""
    limit = int(memory_gib * 2**30)

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    out_file = Path(f"/tmp/transfer_bench_{os.getpid()}_{time.monotonic_ns()}.json")
    command = [sys.executable, str(Path(__file__).resolve()), *args, "--result", str(out_file)]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, timeout=timeout, preexec_fn=limits, capture_output=True, text=True
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {timeout:.0f} s"}
    if done.returncode != 0 or not out_file.exists():
        tail = (done.stderr or "").strip().splitlines()[-1:] or ["?"]
        memory = "MemoryError" in (done.stderr or "") or done.returncode in (-9, 137)
        reason = f"out of memory (limit {memory_gib:g} GiB)" if memory else tail[0]
        return {"error": f"failed after {time.perf_counter() - start:.0f} s: {reason}"}
    result: dict[str, Any] = json.loads(out_file.read_text())
    out_file.unlink()
    return result


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _pair(entry: dict[str, Any] | None) -> str:
    if not entry or entry.get("n", 0) == 0:
        return "-"
    return f"{_us(entry['p50'])} / {_us(entry['p99'])}"


def report(size: int, results: dict[str, dict[str, Any]], labels: list[bool]) -> str:
    """The table of one size."""
    reference_name = next(
        (n for n in ("policyeval", "policyeval-plain") if "answers" in results.get(n, {})), None
    )
    reference = results[reference_name]["answers"] if reference_name else labels
    others = results.get("others", {})
    records = next((r["records"] for r in results.values() if "records" in r), 0)
    facts = next((r["facts"] for r in results.values() if "facts" in r), 0)
    allowed = sum(labels)
    lines = [
        f"## N = {size:,} executors: {records:,} records, {facts:,} facts; {len(labels)} questions"
        f" ({allowed} allowed, {len(labels) - allowed} refused); agreement against"
        f" {reference_name or 'the labels'}",
        "",
        "| system | load s | records/s | RSS MiB | decide p50 / p99 µs | with proof p50 / p99 µs"
        " | why-not p50 / p99 µs | agree |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows: list[tuple[str, dict[str, Any]]] = [
        ("policyeval (library default)", results.get("policyeval", {})),
        ("policyeval (materialize=False)", results.get("policyeval-plain", {})),
        ("policyeval restarted from its snapshot file", results.get("policyeval-restart", {})),
        ("  YAML parse + checks (shared by the rows below)", others.get("parse", {})),
        ("floor: hand-written Python over dicts", others.get("floor", {})),
        ("clingo: ground base once; ground + look up per question", others.get("clingo", {})),
        ("cedarpy: entities + one policy", others.get("cedar", {})),
    ]
    lines += [_row(name, entry, records, reference, labels) for name, entry in rows if entry]
    notes = _notes(results, reference, labels)
    return "\n".join(lines + [""] + [f"- {n}" for n in notes]) + "\n"


def _row(
    name: str, entry: dict[str, Any], records: int, reference: list[bool], labels: list[bool]
) -> str:
    """One system's row of the table (or its error)."""
    if "error" in entry:
        return f"| {name} | {entry['error']} | | | | | | |"
    load = entry.get("load_s")
    rate = f"{records / load:,.0f}" if load and name.startswith(("policyeval", "  YAML")) else "-"
    return (
        f"| {name} | {load:,.1f} | {rate} | {entry.get('rss_mib', 0):,.0f} |"
        f" {_pair(entry.get('decide'))} | {_pair(entry.get('proof'))}"
        f" | {_pair(entry.get('why_not'))}"
        f" | {_agree(entry, reference, labels)} |"
    )


def _agree(entry: dict[str, Any], reference: list[bool], labels: list[bool]) -> str:
    """How many of the system's answers agree with the reference (and, if fewer or more, with
    the labels); "-" for a system without answers."""
    if "answers" not in entry:
        return "-"
    answers = entry["answers"]
    same = sum(a == b for a, b in zip(answers, reference, strict=False))
    label = sum(a == b for a, b in zip(answers, labels, strict=False))
    agree = f"{same}/{min(len(answers), len(reference))}"
    if label != same or len(answers) != len(reference):
        agree += f" (labels {label}/{len(answers)})"
    return agree


def _notes(
    results: dict[str, dict[str, Any]], reference: list[bool], labels: list[bool]
) -> list[str]:
    """The notes under the table: peak memory, explanations built, clingo's batch, Cedar."""
    notes = []
    for name in SYSTEMS:
        entry = results.get(name, {})
        if "answers" in entry:
            notes.append(
                f"{name}: peak RSS {entry['peak_mib']:,.0f} MiB; proofs built {entry['proof_ok']}"
                f"/{entry['proof']['n']}, why-not trees"
                f" {entry['why_not_ok']}/{entry['why_not']['n']}"
            )
            notes.append(_split_note(name, entry))
    notes += _floor_audit_note(results)
    others = results.get("others", {})
    clingo = others.get("clingo", {})
    if "batch_s" in clingo:
        notes.append(_clingo_note(clingo, reference, labels))
    cedar = others.get("cedar", {})
    if "caveat" in cedar:
        notes.append(
            f"{cedar['caveat']}; {cedar['entities']:,} entities, unrolled {cedar['unrolled']}"
        )
    if "peak_mib" in others:
        notes.append(
            f"others: peak RSS {others['peak_mib']:,.0f} MiB"
            " (parse + floor + clingo + cedar in one process)"
        )
    return notes


def _split_note(name: str, entry: dict[str, Any]) -> str:
    """Decisions by outcome, proofs cold and warm, and the audit sweep (p50 / p99 µs)."""
    audit = entry.get("audit", {})
    sweep = (
        f"; audit sweep of {audit['n']:,} transfers {audit['total_s']:.3f} s,"
        f" {_pair(audit)} µs each"
        if audit.get("n")
        else ""
    )
    return (
        f"{name}: decide allowed {_pair(entry.get('decide_allowed'))}, refused"
        f" {_pair(entry.get('decide_refused'))}; with proof cold {_pair(entry.get('proof_cold'))},"
        f" warm {_pair(entry.get('proof'))}{sweep}"
    )


def _floor_audit_note(results: dict[str, dict[str, Any]]) -> list[str]:
    """The floor's audit sweep, and each policyeval row's against it: the ratios and the
    transfers whose audit results agree."""
    floor = results.get("others", {}).get("floor", {}).get("audit", {})
    if not floor.get("n"):
        return []
    outcomes = Counter(result for rows in floor["results"].values() for result in rows)
    said = ", ".join(f"{result} {count}" for result, count in sorted(outcomes.items()))
    notes = [
        f"floor: audit sweep of {floor['n']:,} transfers ({said}) {floor['total_s']:.3f} s,"
        f" {_pair(floor)} µs each"
    ]
    for name in SYSTEMS:
        audit = results.get(name, {}).get("audit", {})
        if audit.get("n"):
            same = sum(floor["results"].get(t) == rows for t, rows in audit["results"].items())
            notes.append(
                f"audit sweep {name}/floor: {audit['total_s'] / floor['total_s']:.2g}× in total,"
                f" {audit['p50'] / floor['p50']:.2g}× at p50, {audit['p99'] / floor['p99']:.2g}×"
                f" at p99; results agree on {same}/{len(audit['results'])} transfers"
            )
    return notes


def _clingo_note(clingo: dict[str, Any], reference: list[bool], labels: list[bool]) -> str:
    """clingo's base grounding, its one batch of all questions, and the final solve."""
    same = sum(a == b for a, b in zip(clingo["batch_answers"], reference, strict=False))
    return (
        f"clingo: base ground {clingo['load_s']:.1f} s; all {len(labels)} question parts in one"
        f" ground call {clingo['batch_s']:.2f} s"
        f" ({clingo['batch_s'] / len(labels) * 1e6:,.0f} µs"
        f" per question, agree {same}/{len(reference)}); one solve afterwards finds"
        f" {clingo['model_allowed']} q_allowed atoms in the answer set (warm-up, per-question"
        " and batch parts together)"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child:
        args.result.write_text(json.dumps(_run_as_child(args)))
        return 0
    everything: dict[str, Any] = {}
    for size in args.sizes:
        everything[str(size)] = _run_size(args, size)
    if args.save:
        args.save.write_text(json.dumps(everything))
    return 0


def _parser() -> argparse.ArgumentParser:
    """The options of the bench, and of its children."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--worlds", type=Path, default=Path("/tmp/policyeval-bench"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument(
        "--systems", nargs="+", default=[*SYSTEMS, "others"], choices=[*SYSTEMS, "others"]
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per system and size")
    parser.add_argument(
        "--memory-gib", type=float, default=16, help="address-space limit per child"
    )
    parser.add_argument(
        "--profile", type=int, default=0, help="cProfile this many questions (policyeval)"
    )
    parser.add_argument(
        "--pe-questions", type=int, default=1000, help="policyeval answers only the first ones"
    )
    parser.add_argument(
        "--explain-limit", type=int, default=1000, help="time at most this many proofs and why-nots"
    )
    parser.add_argument("--save", type=Path, help="write every result as JSON here")
    # child mode
    parser.add_argument("--child", choices=[*SYSTEMS, "others"])
    parser.add_argument(
        "--prepare", action="store_true", help="only load, writing the snapshot a restart reads"
    )
    parser.add_argument("--world", type=Path)
    parser.add_argument("--result", type=Path)
    return parser


def _run_as_child(args: argparse.Namespace) -> dict[str, Any]:
    """Child mode: the one system group named by ``--child``, on ``--world``."""
    if args.child == "others":
        return child_others(args.world)
    snapshots = args.world / SNAPSHOTS if args.child == "policyeval-restart" else None
    if args.prepare:
        from policyeval.loading import load

        start = time.perf_counter()
        load(ROOT / "policies", args.world / "facts", snapshots=snapshots)
        return {"load_s": time.perf_counter() - start}
    materialize = None if args.child in ("policyeval", "policyeval-restart") else False
    return child_policyeval(
        args.world, materialize, args.profile, args.explain_limit, args.pe_questions, snapshots
    )


def _run_size(args: argparse.Namespace, size: int) -> dict[str, dict[str, Any]]:
    """Every system on the world of ``size`` executors, each in a child; prints the table."""
    world = ensure_world(args.worlds, size, args.seed, args.questions)
    _, labels = read_questions(world)
    results: dict[str, dict[str, Any]] = {}
    for system in args.systems:
        if system == "policyeval-plain" and not _has_materialize():
            continue
        print(f"# N={size}: {system} ...", flush=True)
        child = ["--child", system, "--world", str(world), "--profile", str(args.profile)]
        child += ["--explain-limit", str(args.explain_limit)]
        child += ["--pe-questions", str(args.pe_questions)]
        if system == "policyeval-restart":  # a load that writes the snapshot, untimed here
            run_child([*child, "--prepare"], args.timeout, args.memory_gib)
        results[system] = run_child(child, args.timeout, args.memory_gib)
        if "error" in results[system]:
            print(f"#   {results[system]['error']}", flush=True)
    print(report(size, results, labels), flush=True)
    _print_profiles(args.profile, size, results)
    return results


def _print_profiles(profile: int, size: int, results: dict[str, dict[str, Any]]) -> None:
    """Print (and take out of ``results``) the policyeval children's cProfile output."""
    for system in SYSTEMS:
        if "profile" in results.get(system, {}):
            print(f"### cProfile of {profile} questions, {system}, N={size}\n")
            print("```\n" + results[system].pop("profile") + "```\n", flush=True)


def _has_materialize() -> bool:
    import inspect

    from policyeval.evaluator import build_knowledge_base

    return "materialize" in inspect.signature(build_knowledge_base).parameters


if __name__ == "__main__":
    raise SystemExit(main())

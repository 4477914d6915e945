"""Time the web pages on a generated world (by hand, not in CI).

    .venv/bin/python bench/web_pages.py --executors 1000 --seed 1

generates a world of N executors with ``bench/generate.py`` (``--no-verify``) into a temporary
directory (or reads one already written: ``--world DIR``, holding ``facts/``), starts the
service over it in-process (``create_app`` and Starlette's TestClient: no network), signs in
as an administrator through the form, and times GET of every kind of page: the organization
and secret lists (first, middle and last page, and a search), organization and secret pages
(a seeded sample, the most-named ones included: the heaviest pages), other records' pages,
the clause pages, the ``/ask`` form and the scenarios page. It prints p50 and max per kind
of page, with the pages' sizes. The first fact page of a facts version builds the index the
fact pages read; that request is timed on its own line.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient

from policyeval import ALL_CUSTOMERS, CredentialStore, Snapshot
from policyeval.service import Settings, create_app

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass
class Timings:
    """The requests of one kind of page: seconds, bytes and statuses."""

    seconds: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)

    def row(self, kind: str) -> str:
        p50, top = statistics.median(self.seconds) * 1000, max(self.seconds) * 1000
        size = f"{statistics.median(self.sizes) / 1024:.0f} / {max(self.sizes) / 1024:.0f}"
        statuses = ",".join(str(s) for s in sorted(self.statuses))
        return f"| {kind} | {len(self.seconds)} | {p50:.0f} | {top:.0f} | {size} | {statuses} |"


def generate(executors: int, seed: int, out: Path) -> None:
    command = [sys.executable, str(HERE / "generate.py"), "--executors", str(executors)]
    command += ["--seed", str(seed), "--no-verify", "--out", str(out)]
    subprocess.run(command, check=True)


def signed_in(client: TestClient, settings: Settings) -> None:
    _, token = CredentialStore(settings.credentials).create("bench", ["admin"], [ALL_CUSTOMERS])
    answer = client.post("/signin", data={"credential": token, "next": "/"})
    assert answer.status_code == 303, answer.text


def time_get(client: TestClient, url: str, timings: Timings) -> None:
    begun = time.perf_counter()
    answer = client.get(url)
    timings.seconds.append(time.perf_counter() - begun)
    timings.sizes.append(len(answer.content))
    timings.statuses.add(answer.status_code)


def busiest(snapshot: Snapshot, kind: str, count: int) -> list[str]:
    """The ``count`` records of ``kind`` that the most other records name."""
    named: dict[str, int] = {}
    for by_id in snapshot.fact_base.records.values():
        for record in by_id.values():
            for ref in record.references():
                named[ref.target] = named.get(ref.target, 0) + 1
    ids = list(snapshot.fact_base.records[kind])
    return sorted(ids, key=lambda rid: -named.get(rid, 0))[:count]


def sample(snapshot: Snapshot, kind: str, count: int, seed: int) -> list[str]:
    """``count`` records of ``kind``: the three most named, the rest drawn with ``seed``."""
    heavy = busiest(snapshot, kind, 3)
    rest = sorted(set(snapshot.fact_base.records[kind]) - set(heavy))
    return heavy + random.Random(seed).sample(rest, min(count - len(heavy), len(rest)))


def list_pages(total: int, size: int = 50) -> list[int]:
    last = max(1, -(-total // size))
    return sorted({1, (last + 1) // 2, last})


def plan(snapshot: Snapshot, seed: int) -> dict[str, list[str]]:
    """The URLs timed, by kind of page."""
    records = snapshot.fact_base.records
    others = [
        f"/records/{kind}/{rid}"
        for kind in ("person", "permit", "agreement", "request", "transfer", "ownership")
        for rid in random.Random(seed).sample(sorted(records[kind]), min(4, len(records[kind])))
    ]
    return {
        "organizations list (first, middle, last)": [
            f"/organizations?page={n}" for n in list_pages(len(records["organization"]))
        ],
        "organizations search": ["/organizations?q=almaty", "/organizations?q=holding"],
        "secrets list (first, middle, last)": [
            f"/secrets?page={n}" for n in list_pages(len(records["secret"]))
        ],
        "secrets search": ["/secrets?q=top_secret", "/secrets?q=radar"],
        "organization page": [
            f"/organizations/{rid}" for rid in sample(snapshot, "organization", 20, seed)
        ],
        "secret page": [f"/secrets/{rid}" for rid in sample(snapshot, "secret", 20, seed)],
        "other record page": others,
        "clauses index": ["/clauses"],
        "clause page": [f"/clauses/{entry.clause}" for entry in snapshot.clauses],
        "ask form": ["/ask"],
        "scenarios page (not run)": ["/scenarios"],
    }


def run(world: Path, seed: int, var: Path) -> None:
    settings = Settings(
        policies=ROOT / "policies",
        facts=world / "facts",
        scenarios=ROOT / "tests" / "scenarios",
        decision_log=var / "decisions.sqlite3",
        credentials=var / "credentials.json",
        session_secret=var / "session-secret",
    )
    begun = time.perf_counter()
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        print(f"loaded the world in {time.perf_counter() - begun:.1f} s")
        signed_in(client, settings)
        snapshot = app.state.service.snapshot
        records = sum(len(by_id) for by_id in snapshot.fact_base.records.values())
        kinds = snapshot.fact_base.records
        print(f"{records} records ({len(kinds['organization'])} organizations,", end=" ")
        print(f"{len(kinds['secret'])} secrets), {len(snapshot.fact_base.facts)} facts")
        first = Timings()
        time_get(client, "/organizations", first)  # builds the fact index
        report(plan(snapshot, seed), client, first)


def report(urls: dict[str, list[str]], client: TestClient, first: Timings) -> None:
    print()
    print("| page | requests | p50 ms | max ms | size p50 / max KiB | status |")
    print("|---|---|---|---|---|---|")
    print(first.row("first fact page (builds the index)"))
    for kind, addresses in urls.items():
        timings = Timings()
        for url in addresses:
            time_get(client, url, timings)
        print(timings.row(kind))


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executors", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", type=Path, help="a world already generated (holds facts/)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    with tempfile.TemporaryDirectory(prefix="policyeval-web-bench-") as temp:
        world = args.world
        if world is None:
            world = Path(temp) / "world"
            generate(args.executors, args.seed, world)
        run(world, args.seed, Path(temp) / "var")


if __name__ == "__main__":
    main()

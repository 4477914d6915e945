"""A bounded load test of the real service on loopback: one and two uvicorn workers.

    .venv/bin/python bench/http_bench.py --world /tmp/policyeval-bench/world10000

For each worker count, starts ``uvicorn --factory`` (``bench/service_factory.py``) on
127.0.0.1, waits until ``/healthz`` answers, sends a fixed number of
``POST /v1/decisions/transfer`` requests (the world's questions, one secret each, in a loop)
from a small pool of concurrent clients, prints p50/p99 latency and decisions per second, and
stops the server. Beside them: the p50 of the service's trivial endpoint (``GET /healthz``)
under the same clients and its ratio to the decisions' p50, and the CPU seconds the load
generator (this process) and the server's processes spent during the decisions' run — on a
machine of two cores the clients take CPU from the workers. It sends nothing anywhere but
127.0.0.1 and stops by itself: the requests are counted, each has a timeout, and the server
start has a deadline.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from policyeval import ALL_CUSTOMERS, CredentialStore

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOST = "127.0.0.1"


def start_server(
    world: Path, port: int, workers: int, materialize: bool, log: Path
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        POLICYEVAL_POLICIES=str(ROOT / "policies"),
        POLICYEVAL_FACTS=str(world / "facts"),
        POLICYEVAL_DECISION_LOG=str(log),
        POLICYEVAL_CREDENTIALS=str(log.with_name("credentials.json")),
        # Every client's request is let in: the bench measures throughput, not the 503 `busy`.
        POLICYEVAL_MAX_CONCURRENT_EVALUATIONS=str(max(workers, 1) * 64),
        BENCH_MATERIALIZE="1" if materialize else "0",
    )
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "--factory"]
    command += ["service_factory:create_app", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    # A worker loads the world before it answers anything, health checks included: at national
    # scale that takes minutes, and uvicorn would otherwise restart it every 5 s, forever.
    command += ["--timeout-worker-healthcheck", "1200"]
    return subprocess.Popen(command, env=env, start_new_session=True)


def wait_ready(
    port: int, deadline_s: float, server: subprocess.Popen[bytes], workers: int
) -> float:
    """Seconds until ``/healthz`` answered (from every worker, as far as can be told)."""
    start = time.perf_counter()
    answered = 0
    while time.perf_counter() - start < deadline_s:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=2).status_code == 200:
                answered += 1
                if answered >= 4 * workers:  # the workers load independently: ask a few times
                    return time.perf_counter() - start
                continue
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"the server did not answer within {deadline_s:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # the server's own process group only
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def officer_key(log: Path) -> dict[str, str]:
    """A key for every customer, in the store the server will read (created before it starts)."""
    _, token = CredentialStore(log.with_name("credentials.json")).create(
        "http_bench", ["officer"], [ALL_CUSTOMERS]
    )
    return {"Authorization": f"Bearer {token}"}


def session_cpu_s(session: int) -> float:
    """CPU seconds (user + system) spent so far by the live processes of ``session`` (the
    server's: its master and workers), read from ``/proc``; 0 where there is no ``/proc``."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[3]) == session:  # fields after the name: state, ppid, pgrp, session, …
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def trivial_p50_ms(port: int, requests: int, clients: int) -> float:
    """The p50 of ``GET /healthz`` (the service's trivial endpoint) from ``clients`` at once."""
    local = threading.local()
    url = f"http://{HOST}:{port}/healthz"

    def one(_: int) -> float:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=60)
        start = time.perf_counter()
        client.get(url).raise_for_status()
        return time.perf_counter() - start

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return statistics.median(pool.map(one, range(requests))) * 1e3


def load_test(
    port: int,
    questions: list[dict[str, Any]],
    requests: int,
    clients: int,
    key: dict[str, str],
    explain: str = "reasons",
    server_session: int | None = None,
) -> dict[str, Any]:
    local = threading.local()
    url = f"http://{HOST}:{port}/v1/decisions/transfer?explain={explain}"

    def one(k: int) -> tuple[float, bool | None]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=60, headers=key)
        q = questions[k % len(questions)]
        body = {
            "customer": q["customer"],
            "executor": q["executor"],
            "secrets": [q["secret"]],
            "on": q["on"],
        }
        start = time.perf_counter()
        response = client.post(url, json=body)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            return elapsed, None
        return elapsed, (response.json()["decision"] == "allowed") == q["allowed"]

    server_cpu = session_cpu_s(server_session) if server_session else 0.0
    cpu, start = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    server_cpu = session_cpu_s(server_session) - server_cpu if server_session else 0.0
    latencies = sorted(r[0] for r in results)
    return {
        "requests": requests,
        "errors": sum(1 for r in results if r[1] is None),
        "agree": sum(1 for r in results if r[1]),
        "p50_ms": statistics.median(latencies) * 1e3,
        "p99_ms": latencies[max(0, round(len(latencies) * 0.99) - 1)] * 1e3,
        "per_s": requests / wall,
        "wall_s": wall,
        "client_cpu_s": cpu,
        "server_cpu_s": server_cpu,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", type=Path, default=Path("/tmp/policyeval-bench/world10000"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=18743)
    parser.add_argument(
        "--start-timeout", type=float, default=1200, help="seconds to load the world"
    )
    parser.add_argument(
        "--explain",
        choices=["none", "reasons", "full"],
        default="reasons",
        help="the explanation level asked (none: the bare answer; reasons: with repairs)",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="serve with materialize=False instead of the library's default build",
    )
    args = parser.parse_args(argv)
    questions = json.loads((args.world / "questions.json").read_text(encoding="utf-8"))
    rows = []
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as tmp:
            key = officer_key(Path(tmp) / "decisions.sqlite3")
            server = start_server(
                args.world, args.port, workers, not args.plain, Path(tmp) / "decisions.sqlite3"
            )
            try:
                ready = wait_ready(args.port, args.start_timeout, server, workers)
                for q in questions[:20]:  # warm up each worker a little
                    body = {
                        "customer": q["customer"],
                        "executor": q["executor"],
                        "secrets": [q["secret"]],
                        "on": q["on"],
                    }
                    httpx.post(
                        f"http://{HOST}:{args.port}/v1/decisions/transfer",
                        json=body,
                        timeout=60,
                        headers=key,
                    )
                trivial = trivial_p50_ms(args.port, args.requests, args.clients)
                result = load_test(
                    args.port, questions, args.requests, args.clients, key, args.explain, server.pid
                )
                result.update(workers=workers, ready_s=ready, trivial_p50_ms=trivial)
                rows.append(result)
            except (RuntimeError, TimeoutError) as exc:
                rows.append({"workers": workers, "error": str(exc)})
            finally:
                stop_server(server)
    build = "materialize=False" if args.plain else "library default"
    print(
        f"## HTTP: POST /v1/decisions/transfer on {HOST}, {args.world.name},"
        f" {args.requests} requests,"
        f" {args.clients} concurrent clients, one secret per request, build: {build},"
        f" explain={args.explain}\n"
    )
    print(
        "| uvicorn workers | ready after s | p50 ms | p99 ms | /healthz p50 ms | p50 ratio |"
        " decisions/s | load generator CPU s | server CPU s | wall s | errors | agree |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(_row(r))
    return 0


def _row(r: dict[str, Any]) -> str:
    """One table row of a worker count's result (or of its error)."""
    if "error" in r:
        return f"| {r['workers']} | {r['error']} |" + " |" * 10
    return (
        f"| {r['workers']} | {r['ready_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        f" {r['trivial_p50_ms']:.1f} | {r['p50_ms'] / r['trivial_p50_ms']:.2f} |"
        f" {r['per_s']:.0f} | {r['client_cpu_s']:.1f} | {r['server_cpu_s']:.1f} |"
        f" {r['wall_s']:.1f} | {r['errors']} | {r['agree']}/{r['requests']} |"
    )


if __name__ == "__main__":
    raise SystemExit(main())

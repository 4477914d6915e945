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
start has a deadline. The clients are keep-alive connections on one asyncio loop writing and
reading HTTP/1.1 by hand (``--client raw``, the default), so they take little of the CPU the
workers need; ``--client httpx`` gives the threads of ``httpx.Client`` used before.
"""

from __future__ import annotations

import argparse
import asyncio
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
from typing import Any, NamedTuple

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


class Exchange(NamedTuple):
    """One request as sent (method, path, JSON body or none) and what came back."""

    method: str
    path: str
    body: bytes = b""


def send_all(
    port: int,
    exchanges: list[Exchange],
    clients: int,
    headers: dict[str, str],
    client: str = "raw",
) -> list[tuple[float, int, bytes]]:
    """Send ``exchanges`` over ``clients`` keep-alive connections, each waiting for its answer
    before its next request: (seconds, status, body) per exchange, in order. ``client``:
    ``raw`` (HTTP/1.1 written and read by hand on one asyncio loop, ~0.1 ms of CPU a request)
    or ``httpx`` (a thread and an ``httpx.Client`` per connection, ~1.5 ms: the generator the
    figures before round 2 were taken with)."""
    if client == "httpx":
        return _send_httpx(port, exchanges, clients, headers)
    return asyncio.run(_send_raw(port, exchanges, clients, headers))


async def _send_raw(
    port: int, exchanges: list[Exchange], clients: int, headers: dict[str, str]
) -> list[tuple[float, int, bytes]]:
    results: list[tuple[float, int, bytes]] = [(0.0, 0, b"")] * len(exchanges)
    fixed = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    queue = iter(range(len(exchanges)))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            for k in queue:
                method, path, body = exchanges[k]
                head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{fixed}"
                if body:
                    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                start = time.perf_counter()
                writer.write(f"{head}\r\n".encode() + body)
                async with asyncio.timeout(60):
                    status, answer = await _response(reader)
                results[k] = (time.perf_counter() - start, status, answer)
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(clients)))
    return results


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and body of the next response (one with a ``Content-Length``)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    length = next(
        (int(v) for n, _, v in (x.partition(":") for x in lines) if n.lower() == "content-length"),
        None,
    )
    if length is None:
        raise RuntimeError(f"a response without Content-Length: {status_line}")
    return int(status_line.split()[1]), await reader.readexactly(length)


def _send_httpx(
    port: int, exchanges: list[Exchange], clients: int, headers: dict[str, str]
) -> list[tuple[float, int, bytes]]:
    local = threading.local()

    def one(exchange: Exchange) -> tuple[float, int, bytes]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=60, headers=headers)
        url = f"http://{HOST}:{port}{exchange.path}"
        start = time.perf_counter()
        if exchange.method == "GET":
            response = client.get(url)
        else:
            kind = {"Content-Type": "application/json"}
            response = client.post(url, content=exchange.body, headers=kind)
        return time.perf_counter() - start, response.status_code, response.content

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(one, exchanges))


def trivial_p50_ms(port: int, requests: int, clients: int, client: str = "raw") -> float:
    """The p50 of ``GET /healthz`` (the service's trivial endpoint) from ``clients`` at once."""
    results = send_all(port, [Exchange("GET", "/healthz")] * requests, clients, {}, client)
    if any(status != 200 for _, status, _ in results):
        raise RuntimeError("/healthz did not answer 200 to every request")
    return statistics.median(elapsed for elapsed, _, _ in results) * 1e3


def decision_body(question: dict[str, Any]) -> bytes:
    """The request body asking ``question`` (one secret)."""
    body = {
        "customer": question["customer"],
        "executor": question["executor"],
        "secrets": [question["secret"]],
        "on": question["on"],
    }
    return json.dumps(body).encode()


def load_test(
    port: int,
    questions: list[dict[str, Any]],
    requests: int,
    clients: int,
    key: dict[str, str],
    explain: str = "reasons",
    server_session: int | None = None,
    client: str = "raw",
) -> dict[str, Any]:
    path = f"/v1/decisions/transfer?explain={explain}"
    asked = [questions[k % len(questions)] for k in range(requests)]
    exchanges = [Exchange("POST", path, decision_body(q)) for q in asked]
    server_cpu = session_cpu_s(server_session) if server_session else 0.0
    cpu, start = time.process_time(), time.perf_counter()
    results = send_all(port, exchanges, clients, key, client)
    agree = sum(
        1
        for (_, status, body), q in zip(results, asked, strict=True)
        if status == 200 and (json.loads(body)["decision"] == "allowed") == q["allowed"]
    )
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    server_cpu = session_cpu_s(server_session) - server_cpu if server_session else 0.0
    latencies = sorted(r[0] for r in results)
    return {
        "requests": requests,
        "errors": sum(1 for r in results if r[1] != 200),
        "agree": agree,
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
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="the load generator: raw HTTP/1.1 on one asyncio loop, or httpx in threads",
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
                    httpx.post(
                        f"http://{HOST}:{args.port}/v1/decisions/transfer",
                        content=decision_body(q),
                        timeout=60,
                        headers={**key, "Content-Type": "application/json"},
                    )
                trivial = trivial_p50_ms(args.port, args.requests, args.clients, args.client)
                result = load_test(
                    args.port,
                    questions,
                    args.requests,
                    args.clients,
                    key,
                    args.explain,
                    server.pid,
                    args.client,
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
        f" explain={args.explain}, load generator: {args.client}\n"
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

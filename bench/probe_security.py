"""The security review's probes, re-run against the real service on loopback; run by hand.

    .venv/bin/python bench/probe_security.py

Starts ``policyeval serve`` on the bundled rules and facts (a private decision log and
credentials store under a temporary directory, port 8797), takes the admin key it prints, and
sends each probe of the review: requests without a credential, a forged asker, a foreign
``Host`` and ``Origin``, oversized bodies (10 MB by length, 100 MB chunked), 1,000 assumed
records, 48 concurrent costly queries while ``/healthz`` is watched, a lone surrogate, dates out
of the calendar, three ``kill -9`` rounds during concurrent decisions (every acknowledged one
must be in the log after a restart), and an edited, a deleted and a reordered row of the log
(``policyeval log verify`` must name each). Prints one line per probe and the totals: requests
tried, 5xx, hangs (no answer within 30 s), acknowledged decisions lost, tampering found.
Sends nothing anywhere but 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "policyeval")
PORT = 8797
BASE = f"http://127.0.0.1:{PORT}"
TIMEOUT = 30.0
BODY = {"customer": "kazspecmash", "executor": "nurtech", "secrets": ["doc_1"], "on": "2026-03-10"}


class Tally:
    """Every request sent, and what came back."""

    def __init__(self) -> None:
        self.tried = 0
        self.server_errors = 0
        self.hangs = 0
        self.lock = threading.Lock()

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        with self.lock:
            self.tried += 1
        try:
            response = httpx.request(method, BASE + path, timeout=TIMEOUT, **kwargs)
        except httpx.TimeoutException:
            with self.lock:
                self.hangs += 1
            return None
        if response.status_code >= 500 and response.status_code != 503:
            with self.lock:
                self.server_errors += 1
        return response


def serve(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start the service; returns it and the admin key it printed on its first start."""
    env = os.environ | {
        "POLICYEVAL_DECISION_LOG": str(work / "decisions.sqlite3"),
        "POLICYEVAL_CREDENTIALS": str(work / "credentials.json"),
    }
    command = [CLI, "serve", "--port", str(PORT)]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stderr=subprocess.PIPE, start_new_session=True
    )
    key = ""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(BASE + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        server.kill()
        raise TimeoutError("the service did not start")
    return server, key


def first_key(server: subprocess.Popen[bytes]) -> str:
    """The admin key in what ``serve`` printed on its first start."""
    assert server.stderr is not None
    os.set_blocking(server.stderr.fileno(), False)
    text = (server.stderr.read() or b"").decode()
    return next(word for word in text.split() if word.startswith("pe_"))


def stop(server: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    os.killpg(server.pid, sig)
    server.wait(timeout=30)


def probe(name: str, outcome: str) -> None:
    print(f"{name:<58} {outcome}")


def probes(tally: Tally, admin: dict[str, str], officer: dict[str, str]) -> None:
    """The review's findings, one probe each."""
    paths = httpx.get(BASE + "/openapi.json", timeout=TIMEOUT).json()["paths"]
    open_ops = []
    for path, methods in paths.items():
        for method in methods:
            response = tally.send(method.upper(), path.replace("{", "x").replace("}", ""))
            if response is not None and response.status_code != 401 and path != "/healthz":
                open_ops.append(f"{method.upper()} {path}")
    probe("operations answering without a credential", str(open_ops or "none"))
    sent = tally.send(
        "POST", "/v1/decisions/transfer", json=BODY, headers=officer | {"X-Asked-By": "admin"}
    )
    assert sent is not None
    logged = tally.send("GET", f"/v1/decisions/{sent.json()['decision_id']}", headers=admin)
    probe("X-Asked-By: admin is logged as", logged.json()["asked_by"] if logged else "no answer")
    host = tally.send("GET", "/healthz", headers={"Host": "evil.example"})
    probe("Host: evil.example", str(host.status_code if host else "hang"))
    origin = tally.send("POST", "/v1/reload", headers=admin | {"Origin": "https://evil.example"})
    probe(
        "POST /v1/reload from Origin https://evil.example",
        str(origin.status_code if origin else "hang"),
    )
    timed(
        tally,
        "10 MB body (by length)",
        "POST",
        "/v1/decisions/transfer",
        admin,
        content=b"x" * 10_000_000,
        headers=admin | {"Content-Type": "application/json"},
    )
    timed(
        tally,
        "100 MB body (chunked)",
        "POST",
        "/v1/decisions/transfer",
        admin,
        content=chunks(100),
        headers=admin | {"Content-Type": "application/json"},
    )
    many = {**BODY, "assume": [{"kind": "secret", "id": f"s{i}", "name": "x"} for i in range(1000)]}
    timed(tally, "1,000 assumed records", "POST", "/v1/decisions/transfer", admin, json=many)
    surrogate = {**BODY, "executor": "\ud800"}
    timed(
        tally,
        "a lone surrogate as the executor",
        "POST",
        "/v1/decisions/transfer",
        admin,
        content=json.dumps(surrogate).encode(),
        headers=admin | {"Content-Type": "application/json"},
    )
    for args in (["2026-01-01", 300000, None], ["9999-12-30", 5, None], ["1990-06-01", 1, None]):
        timed(
            tally,
            f"add_working_days {args[:2]}",
            "POST",
            "/v1/query",
            admin,
            json={"predicate": "add_working_days", "args": args, "proofs": False},
        )
    concurrent_queries(tally, admin)
    unknown = tally.send("GET", "/v1/decisions?asked_by_x=nobody", headers=admin)
    probe("GET /v1/decisions?asked_by_x=nobody", str(unknown.status_code if unknown else "hang"))


def chunks(megabytes: int) -> Iterator[bytes]:
    block = b"x" * 1_000_000
    for _ in range(megabytes):
        yield block


def timed(
    tally: Tally, name: str, method: str, path: str, auth: dict[str, str], **kwargs: Any
) -> None:
    kwargs.setdefault("headers", auth)
    start = time.perf_counter()
    response = tally.send(method, path, **kwargs)
    took = time.perf_counter() - start
    if response is None:
        probe(name, f"no answer in {TIMEOUT:.0f} s")
        return
    probe(name, f"{response.status_code} in {took * 1000:.0f} ms, {len(response.content):,} bytes")


def concurrent_queries(tally: Tally, admin: dict[str, str]) -> None:
    """48 costly questions at once while /healthz is asked: its slowest answer."""
    body = {"predicate": "answer_due", "args": [None, None], "proofs": True}
    slowest = 0.0
    with ThreadPoolExecutor(48) as pool:
        futures = [
            pool.submit(tally.send, "POST", "/v1/query", json=body, headers=admin)
            for _ in range(48)
        ]
        while not all(f.done() for f in futures):
            start = time.perf_counter()
            tally.send("GET", "/healthz")
            slowest = max(slowest, time.perf_counter() - start)
        answers = [f.result() for f in futures]
        codes = sorted({answer.status_code for answer in answers if answer is not None})
    probe(
        "48 concurrent queries: /healthz slowest answer",
        f"{slowest * 1000:.0f} ms (queries: {codes})",
    )


def kill_rounds(work: Path, tally: Tally, officer: dict[str, str], rounds: int = 3) -> int:
    """Decisions sent concurrently, the service killed (-9) midway, restarted: the acknowledged
    decisions missing from the log."""
    lost = 0
    for round_ in range(rounds):
        server, _ = serve(work)
        assert server.stderr is not None
        server.stderr.close()  # nothing reads it now: the server must not block writing it
        acknowledged: list[str] = []
        with ThreadPoolExecutor(8) as pool:
            for _ in range(400):
                pool.submit(_decide, tally, officer, acknowledged)
            deadline = time.monotonic() + 120
            while len(acknowledged) < 100 and time.monotonic() < deadline:
                time.sleep(0.01)
            os.killpg(server.pid, signal.SIGKILL)  # mid-stream: requests are in flight
            pool.shutdown(wait=True)
        server.wait(timeout=30)
        db = sqlite3.connect(work / "decisions.sqlite3")
        logged = {row[0] for row in db.execute("SELECT decision_id FROM decisions")}
        db.close()
        missing = [d for d in acknowledged if d not in logged]
        lost += len(missing)
        probe(
            f"kill -9 round {round_ + 1}", f"{len(acknowledged)} acknowledged, {len(missing)} lost"
        )
    return lost


def _decide(tally: Tally, officer: dict[str, str], acknowledged: list[str]) -> None:
    response = tally.send("POST", "/v1/decisions/transfer", json=BODY, headers=officer)
    if response is not None and response.status_code == 200:
        acknowledged.append(response.json()["decision_id"])


def tampering(work: Path) -> int:
    """An edited, a deleted and a reordered entry: how many `log verify` finds."""
    found = 0
    changes = {
        "edited (allowed → refused, asker → officer-9)": [
            "UPDATE decisions SET decision = 'refused', asked_by = 'officer-9' WHERE seq = 3"
        ],
        "deleted": ["DELETE FROM decisions WHERE seq = 5"],
        "reordered": [
            "UPDATE decisions SET seq = -1 WHERE seq = 7",
            "UPDATE decisions SET seq = 7 WHERE seq = 8",
            "UPDATE decisions SET seq = 8 WHERE seq = -1",
        ],
    }
    for name, statements in changes.items():
        copy = work / f"tampered-{name.split()[0]}.sqlite3"
        shutil.copy(work / "decisions.sqlite3", copy)
        db = sqlite3.connect(copy)
        try:
            for statement in statements:
                db.execute(statement)
            db.commit()
        finally:
            db.close()
        result = subprocess.run(
            [CLI, "log", "verify", "--decision-log", str(copy)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        detected = result.returncode == 1
        found += detected
        probe(f"log {name}", (result.stdout or result.stderr).strip().splitlines()[-1][:90])
    return found


def main() -> None:
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server, _ = serve(work)
        admin = {"Authorization": "Bearer " + first_key(server)}
        created = subprocess.run(
            [
                CLI,
                "credentials",
                "create",
                "--name",
                "officer-7",
                "--role",
                "officer",
                "--customer",
                "kazspecmash",
                "--store",
                str(work / "credentials.json"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        officer = {"Authorization": "Bearer " + created.stdout.strip().splitlines()[-1]}
        try:
            probes(tally, admin, officer)
        finally:
            stop(server)
        lost = kill_rounds(work, tally, officer)
        found = tampering(work)
    print(
        f"\nrequests tried {tally.tried:,}; 5xx {tally.server_errors}; hangs {tally.hangs}; "
        f"acknowledged decisions lost {lost}; tampering found {found} of 3"
    )


if __name__ == "__main__":
    main()

"""The service's own CPU per request, in-process: no uvicorn, no sockets, no HTTP client.

    .venv/bin/python bench/service_overhead_bench.py --world /tmp/policyeval-bench/world1000
    PYTHONPATH=/tmp/http-before/src .venv/bin/python bench/service_overhead_bench.py ...

Builds the app with ``create_app`` over the world's facts (a throw-away decision log and
credential store), runs its lifespan, and calls it as an ASGI application directly from
``--callers`` concurrent tasks on one event loop: ``POST /v1/decisions/transfer`` (one secret
each, the world's questions in a loop) and ``GET /healthz``. Each round's CPU
(``time.process_time``: the loop and the thread pool's workers) is divided by its requests;
the median and spread over ``--rounds`` are printed. With ``--cached`` (the default) the
engine's answer to a question is computed once and reused (a copy with a new id, so the log
takes each), leaving the service's own work: routing, dependencies, validation, the thread
hop, serialization and the log's append. ``PYTHONPATH`` picks the tree measured; alternate
trees in one sitting and compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message

import policyeval
from policyeval import ALL_CUSTOMERS, CredentialStore
from policyeval.service import Settings, create_app
from policyeval.service.routers import decisions

ROOT = Path(__file__).resolve().parent.parent


class Request:
    """One request as an ASGI scope and body, sent to the app without a server."""

    def __init__(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> None:
        path, _, query = target.partition("?")
        sent = {"host": "127.0.0.1", **headers}
        if body:
            sent.update({"content-type": "application/json", "content-length": str(len(body))})
        self.scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in sent.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8743),
        }
        self.body = body

    async def send_to(self, app: ASGIApp) -> tuple[int, bytes]:
        """The status and body of the app's answer."""
        messages: list[Message] = []
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # the client stays connected
            delivered = True
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message: Message) -> None:
            messages.append(message)

        await app(dict(self.scope), receive, send)
        status = next(m["status"] for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        return status, body


def cache_engine_answers() -> None:
    """Answer each question once with the engine; later askers get a copy with a new id."""
    route = vars(decisions)  # the name the decision route calls
    decide: Callable[..., policyeval.TransferDecision] = route["decide_transfer"]
    answers: dict[str, policyeval.TransferDecision] = {}

    def cached(*args: Any, **kwargs: Any) -> policyeval.TransferDecision:
        key = repr((args[1:], sorted(kwargs.items())))
        if key not in answers:
            answers[key] = decide(*args, **kwargs)
        return answers[key].model_copy(update={"decision_id": uuid.uuid4().hex})

    route["decide_transfer"] = cached


async def cpu_per_request(
    app: ASGIApp, requests: list[Request], callers: int, check: Callable[[int, bytes], bool]
) -> float:
    """The process's CPU seconds per request, ``requests`` sent by ``callers`` at once."""
    queue = iter(requests)
    failures: list[tuple[int, bytes]] = []

    async def caller() -> None:
        for request in queue:
            status, body = await request.send_to(app)
            if not check(status, body):
                failures.append((status, body[:200]))

    start = time.process_time()
    await asyncio.gather(*(caller() for _ in range(callers)))
    spent = time.process_time() - start
    if failures:
        raise RuntimeError(f"{len(failures)} unexpected answers, the first {failures[0]}")
    return spent / len(requests)


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, list[float]]:
    settings = Settings(
        policies=ROOT / "policies",
        facts=args.world / "facts",
        decision_log=tmp / "decisions.sqlite3",
        credentials=tmp / "credentials.json",
        session_secret=tmp / "session-secret",
        scenarios=tmp / "scenarios",
        snapshots=None,
        max_concurrent_evaluations=max(args.callers, 1) * 4,
    )
    _, token = CredentialStore(settings.credentials).create(
        "overhead_bench", ["officer"], [ALL_CUSTOMERS]
    )
    key = {"authorization": f"Bearer {token}"}
    questions = json.loads((args.world / "questions.json").read_text(encoding="utf-8"))
    bodies = [
        json.dumps(
            {
                "customer": q["customer"],
                "executor": q["executor"],
                "secrets": [q["secret"]],
                "on": q["on"],
            }
        ).encode()
        for q in questions
    ]
    target = f"/v1/decisions/transfer?explain={args.explain}"
    asked = [Request("POST", target, key, bodies[k % len(bodies)]) for k in range(args.requests)]
    health = [Request("GET", "/healthz", {}) for _ in range(args.requests)]
    if args.cached:
        cache_engine_answers()
    app = create_app(settings)
    figures: dict[str, list[float]] = {"decision": [], "healthz": []}
    async with app.router.lifespan_context(app):
        for thread in app.state.service.warming:
            thread.join()
        ok: Callable[[int, bytes], bool] = lambda status, _: status == 200  # noqa: E731
        await cpu_per_request(app, asked, args.callers, ok)  # warm-up (and the cache filled)
        for _ in range(args.rounds):
            figures["decision"].append(await cpu_per_request(app, asked, args.callers, ok))
            figures["healthz"].append(await cpu_per_request(app, health, args.callers, ok))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", type=Path, default=Path("/tmp/policyeval-bench/world1000"))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=500, help="requests per round")
    parser.add_argument("--callers", type=int, default=4, help="concurrent callers")
    parser.add_argument("--explain", choices=["none", "reasons", "full"], default="none")
    parser.add_argument(
        "--cached",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="compute each question's engine answer once (the service's own work is left)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(run(args, Path(tmp)))
    engine = "cached" if args.cached else "computed"
    print(
        f"{Path(policyeval.__file__).parent.parent}: {args.rounds} rounds of {args.requests},"
        f" {args.callers} callers, explain={args.explain}, engine answers {engine}"
    )
    for name, values in figures.items():
        micros = sorted(v * 1e6 for v in values)
        print(
            f"  {name:9} CPU per request: median {statistics.median(micros):7.0f} µs"
            f"  (min {micros[0]:.0f}, max {micros[-1]:.0f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

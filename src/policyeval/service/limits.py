"""The service's limits: each a problem+json answer, never a hang (README, "Limits").

- **Body size** (:class:`LimitsMiddleware`): a body over ``max_body_bytes`` is a 413, refused by
  its ``Content-Length`` before a byte of it is read, or, sent in chunks, as soon as the bytes
  streamed in pass the limit (nothing more is read).
- **Request size** (:meth:`Evaluations.check`): more secrets, assumed records or query arguments
  than the settings allow is a 422 naming the field.
- **Time** (:meth:`Evaluations.slot`): an evaluation runs under a deadline
  (``policyeval.evaluation_deadline``) that stops it at its next lookup once
  ``evaluation_seconds`` are spent: a 503 ``time_budget_exceeded``.
- **Concurrency** (:meth:`Evaluations.slot`): at most ``max_concurrent_evaluations`` run at once;
  a request that finds every slot taken for ``evaluation_wait_seconds`` is a 503 ``busy`` with
  ``Retry-After``. The engine holds the GIL, so more at once would only slow every one; and a
  thread waiting for a slot sleeps, so ``/healthz`` (``async``, on the event loop) still answers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from policyeval import PolicyError, evaluation_deadline
from policyeval.service.schemas import ProblemDetails
from policyeval.service.settings import Settings

PROBLEM_JSON = "application/problem+json"

RETRY_AFTER = {
    "busy": "1",
    "time_budget_exceeded": "5",
    "loading": "5",
    "decision_not_logged": "1",
}
"""Seconds a client is told to wait (``Retry-After``) after a 503 of each code."""


class BusyError(PolicyError):
    """Every evaluation slot stayed taken for the wait the settings allow; try again shortly."""

    code = "busy"


class Evaluations:
    """The evaluations of one service: a bounded number at once, each under a time budget."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.slots = threading.BoundedSemaphore(settings.max_concurrent_evaluations)

    def check(self, body: object) -> None:
        """Raise a 422 naming each list of ``body`` longer than the settings allow."""
        settings = self.settings
        caps = (
            ("secrets", settings.max_secrets, "POLICYEVAL_MAX_SECRETS"),
            ("assume", settings.max_assumed_records, "POLICYEVAL_MAX_ASSUMED_RECORDS"),
            ("args", settings.max_query_args, "POLICYEVAL_MAX_QUERY_ARGS"),
        )
        errors = [
            {
                "loc": ("body", name),
                "msg": f"at most {cap} items per request ({setting}), got {len(items)}",
                "type": "too_long",
            }
            for name, cap, setting in caps
            if isinstance(items := getattr(body, name, None), list) and len(items) > cap
        ]
        if errors:
            raise RequestValidationError(errors)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Run the block in an evaluation slot and under the time budget. Called in the
        worker thread of a plain ``def`` endpoint, so waiting for a slot never blocks the
        event loop."""
        settings = self.settings
        if not self.slots.acquire(timeout=settings.evaluation_wait_seconds):
            raise BusyError(
                f"all {settings.max_concurrent_evaluations} evaluation slots are busy "
                "(POLICYEVAL_MAX_CONCURRENT_EVALUATIONS); try again shortly"
            )
        try:
            with evaluation_deadline(settings.evaluation_seconds):
                yield
        finally:
            self.slots.release()


async def get_evaluations(request: Request) -> Evaluations:
    """The service's :class:`Evaluations` (set by :func:`install`)."""
    evaluations = request.app.state.evaluations
    assert isinstance(evaluations, Evaluations)
    return evaluations


EvaluationsDep = Annotated[Evaluations, Depends(get_evaluations)]


def install(app: FastAPI, settings: Settings) -> None:
    """Give ``app`` its limits: the body-size middleware and the evaluation slots."""
    app.state.evaluations = Evaluations(settings)
    app.add_middleware(LimitsMiddleware, max_body_bytes=settings.max_body_bytes)


class LimitsMiddleware:
    """Refuses a body over ``max_body_bytes`` with a 413 problem, reading at most that much of
    it, and adds ``Retry-After`` to a 503 problem that is worth retrying (:data:`RETRY_AFTER`)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _content_length(scope) > self.max_body_bytes:
            await _too_large(send, self.max_body_bytes)  # not a byte of the body read
            return
        exchange = _Exchange(self.max_body_bytes, receive, send)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            if not exchange.cut_short:
                raise
        if exchange.cut_short:
            await _too_large(send, self.max_body_bytes)


class _Exchange:
    """One request through :class:`LimitsMiddleware`: its body counted as it streams in, its
    answer passed on (or held, for a 503 problem, until its code is known)."""

    def __init__(self, limit: int, receive: Receive, send: Send) -> None:
        self.limit = limit
        self._receive = receive
        self._send = send
        self.received = 0
        self.over = False
        self.started = False
        self.held: list[Message] = []

    @property
    def cut_short(self) -> bool:
        """The body passed the limit before an answer started: the 413 is the answer."""
        return self.over and not self.started

    async def receive(self) -> Message:
        if self.over:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:  # stop reading: the app sees the client gone
                self.over = True
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.cut_short:
            return  # the app's answer to a body cut short: the 413 replaces it
        if message["type"] == "http.response.start":
            self.started = True
            headers = dict(message.get("headers", []))
            if message["status"] == 503 and b"retry-after" not in headers:
                self.held.append(message)
                return
        elif self.held:
            self.held.append(message)
            if not message.get("more_body", False):
                for part in _with_retry_after(self.held):
                    await self._send(part)
            return
        await self._send(message)


def _content_length(scope: Scope) -> int:
    """The request's declared body size (0 when it declares none, or none readable)."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _too_large(send: Send, limit: int) -> None:
    problem = ProblemDetails(
        title="request body too large",
        status=413,
        detail=f"the request body is larger than {limit} bytes (POLICYEVAL_MAX_BODY_BYTES)",
        code="body_too_large",
    )
    body = problem.model_dump_json(exclude_none=True).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _with_retry_after(messages: list[Message]) -> list[Message]:
    """A held 503 response, with ``Retry-After`` when its problem code is worth retrying."""
    start, *parts = messages
    body = b"".join(part.get("body", b"") for part in parts)
    try:
        code: Any = json.loads(body).get("code")
    except (ValueError, AttributeError):
        code = None
    if isinstance(code, str) and code in RETRY_AFTER:
        headers = [*start.get("headers", []), (b"retry-after", RETRY_AFTER[code].encode())]
        start = {**start, "headers": headers}
    return [start, {"type": "http.response.body", "body": body}]

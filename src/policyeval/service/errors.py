"""The one boundary from errors to HTTP: every failure becomes ``application/problem+json``.

Routers and the library raise domain errors; :func:`problem_handler` alone picks the status.
Nothing of a Python traceback ever reaches a response, and every problem can be written: a
character UTF-8 cannot encode (a lone surrogate a request sent) is shown escaped (``\\ud800``),
and a text longer than :data:`MAX_TEXT` is cut with an ellipsis.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from policyeval import (
    AuthenticationError,
    DecisionLogError,
    DecisionNotLogged,
    EvaluationTimeout,
    FactError,
    LimitError,
    PolicyError,
    Problem,
    QueryError,
    ReportError,
    RuleCheckError,
    RuleSyntaxError,
    UnknownEntityError,
)
from policyeval.service.limits import BusyError
from policyeval.service.schemas import ProblemDetails, ProblemItem

PROBLEM_JSON = "application/problem+json"
MAX_TEXT = 2000
"""The longest text a problem body carries; a message repeating a long input is cut."""

log = logging.getLogger("policyeval.service")


class NotFoundError(PolicyError):
    """A rule, clause or logged decision the service does not have."""

    code = "not_found"


class ForbiddenError(PolicyError):
    """The principal is known but may not do this."""

    code = "forbidden"


class NotReadyError(PolicyError):
    """The service has not finished loading its first rules and facts."""

    code = "loading"


# Status of each domain error; the first matching class wins (subclasses before bases).
_STATUS: tuple[tuple[type[PolicyError], int, str], ...] = (
    (RuleSyntaxError, 422, "rule files do not parse"),
    (RuleCheckError, 422, "rules are rejected by check"),
    (FactError, 422, "invalid facts"),
    (QueryError, 422, "malformed question"),
    (UnknownEntityError, 404, "unknown entity"),
    (AuthenticationError, 401, "unauthenticated"),
    (ForbiddenError, 403, "forbidden"),
    (NotFoundError, 404, "not found"),
    (ReportError, 503, "report unavailable"),
    (DecisionNotLogged, 503, "decision not logged"),  # not acknowledged: ask again
    (DecisionLogError, 500, "the decision log fails verification"),
    (NotReadyError, 503, "loading"),
    (BusyError, 503, "busy"),
    (EvaluationTimeout, 503, "time budget exceeded"),
    (LimitError, 422, "over a limit"),
    (PolicyError, 422, "policy error"),
)

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemDetails, "content": {PROBLEM_JSON: {}}, "description": title}
    for status, title in (
        (401, "No valid credential"),
        (403, "Not allowed for this credential"),
        (404, "Not found"),
        (422, "Invalid request, rules or facts"),
    )
}
"""``responses=`` for routes, so the OpenAPI document shows the problem bodies."""


def install(app: FastAPI) -> None:
    """Route every exception of ``app`` through :func:`problem_handler`."""
    for kind in (PolicyError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, problem_handler)


async def problem_handler(request: Request, exc: Exception) -> JSONResponse:
    """Map any exception to a problem+json response."""
    match exc:
        case PolicyError():
            # Domain errors: the status comes from the table above, the problems from the error.
            status, title = next((s, t) for kind, s, t in _STATUS if isinstance(exc, kind))
            body = ProblemDetails(
                title=title,
                status=status,
                detail=exc.message,
                code=exc.code,
                problems=[_item(problem) for problem in exc.problems],
            )
        case RequestValidationError():
            # The body does not fit the schema: name each field by its path.
            problems = [_field_problem(error) for error in exc.errors()]
            body = ProblemDetails(
                title="invalid request",
                status=422,
                detail="; ".join(p.text for p in problems) or "the request is invalid",
                code="invalid_request",
                problems=problems,
            )
        case HTTPException():
            # Starlette's own: unknown route, wrong method.
            body = ProblemDetails(
                title=str(exc.detail), status=exc.status_code, detail=str(exc.detail), code="http"
            )
        case _:
            # Anything else is a bug: log it here, say nothing of it to the caller.
            log.exception("unexpected error serving %s %s", request.method, request.url.path)
            body = ProblemDetails(
                title="internal error",
                status=500,
                detail="the service failed to answer; the error has been logged",
                code="internal_error",
            )
    return JSONResponse(
        _writable(body.model_dump(mode="json", exclude_none=True)),
        status_code=body.status,
        media_type=PROBLEM_JSON,
        headers={"WWW-Authenticate": "Bearer"} if body.status == 401 else None,
    )


def _writable(value: Any) -> Any:
    r"""``value`` (a problem body) with each text UTF-8 can encode and at most ``MAX_TEXT`` long.

    >>> _writable({"detail": ["no `" + chr(0xD800) + "`"]})
    {'detail': ['no `\\ud800`']}
    """
    if isinstance(value, str):
        text = value.encode("utf-8", "backslashreplace").decode("utf-8")
        return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
    if isinstance(value, dict):
        return {_writable(key): _writable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_writable(item) for item in value]
    return value


def _item(problem: Problem) -> ProblemItem:
    return ProblemItem(
        code=problem.code,
        message=problem.message,
        location=str(problem.location) if problem.location else None,
        text=str(problem),
    )


def _field_problem(error: Any) -> ProblemItem:
    """A pydantic error as a problem whose ``field`` is a dotted path like ``body.secrets.0``."""
    path = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid value"))
    code = str(error.get("type", "invalid"))
    return ProblemItem(code=code, message=message, field=path, text=f"{path}: {code}: {message}")

"""Errors on a page are pages: the API's problem+json elsewhere, HTML for the web pages.

A page asked for without a session sends the browser to sign in and back; every other error
is a page naming what was wrong (the same words as the API's problem body), never a traceback.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from policyeval import PolicyError
from policyeval.service import errors as api_errors
from policyeval.service.schemas import ProblemDetails
from policyeval.service.web.pages import render
from policyeval.service.web.session import SignInRequired, session_principal

API_PATHS = ("/v1/", "/healthz", "/docs", "/redoc", "/openapi.json", "/static-offline-docs")
"""Paths whose errors stay problem+json: the API and its documentation."""


def install(app: FastAPI) -> None:
    """Route every exception through :func:`handle`, which keeps the API's answers."""
    for kind in (PolicyError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, handle)


def is_page(path: str) -> bool:
    """Whether ``path`` is one of the web pages (not the API).

    >>> is_page("/clauses/3.1"), is_page("/v1/rules"), is_page("/healthz")
    (True, False, False)
    """
    return not path.startswith(API_PATHS)


async def handle(request: Request, exc: Exception) -> Response:
    """A page for a web path, the API's problem+json for any other."""
    if not is_page(request.url.path):
        return await api_errors.problem_handler(request, exc)
    if isinstance(exc, SignInRequired):
        return RedirectResponse(f"/signin?next={quote(exc.next_path, safe='/')}", 303)
    problem = await api_errors.problem_handler(request, exc)  # the status, the words, the log
    body = ProblemDetails.model_validate_json(bytes(problem.body))
    state = getattr(request.app.state, "service", None)
    principal = session_principal(request, state) if state is not None else None
    return render(request, "error.html.j2", principal, status_code=body.status, problem=body)

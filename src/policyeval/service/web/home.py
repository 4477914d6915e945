"""The home page, signing in and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from policyeval import AuthenticationError
from policyeval.service.auth import check_origin
from policyeval.service.deps import StateDep
from policyeval.service.web import session
from policyeval.service.web.pages import render
from policyeval.service.web.session import OptionalViewer

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, state: StateDep, principal: OptionalViewer) -> Response:
    """What is served, and what the signed-in role can do here."""
    return render(request, "home.html.j2", principal, snapshot=state.snapshot)


@router.get("/signin")
def signin_form(request: Request, principal: OptionalViewer, next: str = "/") -> Response:
    return render(request, "signin.html.j2", principal, next=_local(next), failed=None)


@router.post("/signin")
def signin(
    request: Request,
    state: StateDep,
    credential: Annotated[str, Form(max_length=8192)],
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Check the credential; on success set the session cookie and go where the user was."""
    check_origin(request, state.settings.allowed_origins)
    try:
        _, kept = session.authenticate(state, credential)
    except AuthenticationError as exc:
        return render(
            request, "signin.html.j2", None, status_code=401, next=_local(next), failed=exc.message
        )
    response = RedirectResponse(_local(next), status_code=303)
    session.sign_in(response, request, state, kept)
    return response


@router.post("/signout")
def signout(request: Request, state: StateDep) -> Response:
    check_origin(request, state.settings.allowed_origins)
    response = RedirectResponse("/signin", status_code=303)
    session.sign_out(response)
    return response


def _local(target: str) -> str:
    """``target`` if it is a path of this site, else ``/`` (no open redirect).

    >>> _local("/decisions?customer=x"), _local("//evil.example"), _local("https://x")
    ('/decisions?customer=x', '/', '/')
    """
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"

"""Signing in to the web pages: a credential once, then a signed session cookie.

The sign-in form takes the same credentials as the API (an API key or, where configured, a
JWT) and checks them the same way. The cookie (``pe_session``: HttpOnly, SameSite=Strict,
Secure over HTTPS) is signed with :mod:`itsdangerous` by a key kept 0600 beside the credential
store; it names the API key by its id — never its secret — or carries the JWT itself, and is
checked again on every request: a revoked key or an expired token signs the browser out at its
next page. A session lasts ``session_hours``.

Every form that changes state is a POST: the SameSite cookie is not sent from other sites, and
:func:`policyeval.service.auth.check_origin` refuses a POST whose ``Origin`` is another site's.
"""

from __future__ import annotations

import os
import secrets
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from policyeval import AuthenticationError, CredentialStore, Principal, Role
from policyeval.service.auth import check_origin
from policyeval.service.deps import StateDep
from policyeval.service.errors import ForbiddenError
from policyeval.service.state import ServiceState

COOKIE = "pe_session"
_SALT = "policyeval.web.session"


class SignInRequired(AuthenticationError):
    """A page was asked for without a valid session: the browser is sent to sign in."""

    def __init__(self, message: str, next_path: str) -> None:
        super().__init__(message)
        self.next_path = next_path


@cache
def secret_key(path: Path) -> bytes:
    """The signing key at ``path``, created 0600 with 32 random bytes when there is none; read
    once per process, not at every page."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_bytes(32)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes()
        with os.fdopen(descriptor, "wb") as out:
            out.write(key)
        return key


def _serializer(state: ServiceState) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(state.settings.session_secret), salt=_SALT)


def authenticate(state: ServiceState, credential: str) -> tuple[Principal, dict[str, str]]:
    """The principal of a credential typed into the sign-in form, and what its cookie keeps."""
    credential = credential.strip()
    if credential.count(".") == 2 and state.jwt is not None:
        return state.jwt.authenticate(credential), {"jwt": credential}
    principal = state.credentials.authenticate(credential)
    return principal, {"key": CredentialStore.key_id(credential)}


def sign_in(
    response: Response, request: Request, state: ServiceState, kept: dict[str, str]
) -> None:
    """Set the session cookie on ``response``."""
    response.set_cookie(
        COOKIE,
        _serializer(state).dumps(kept),
        max_age=int(state.settings.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def sign_out(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def session_principal(request: Request, state: ServiceState) -> Principal | None:
    """The principal of the request's session cookie, or None (no cookie, a bad or expired
    signature, a revoked key, an expired token)."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        kept: dict[str, Any] = _serializer(state).loads(
            cookie, max_age=int(state.settings.session_hours * 3600)
        )
        if "key" in kept:
            return state.credentials.principal_of(str(kept["key"]))
        if "jwt" in kept and state.jwt is not None:
            return state.jwt.authenticate(str(kept["jwt"]))
    except (BadSignature, AuthenticationError, TypeError, ValueError):
        return None
    return None


async def optional_viewer(request: Request, state: StateDep) -> Principal | None:
    """The signed-in principal, if any (pages that greet anyone: home, sign-in)."""
    return session_principal(request, state)


async def viewer(request: Request, state: StateDep) -> Principal:
    """The signed-in principal; without one the browser is sent to sign in (then back)."""
    check_origin(request, state.settings.allowed_origins)
    principal = session_principal(request, state)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired("sign in to see this page", target)
    return principal


Viewer = Annotated[Principal, Depends(viewer)]
OptionalViewer = Annotated[Principal | None, Depends(optional_viewer)]


def needs(principal: Principal, *roles: Role) -> None:
    """Raise `ForbiddenError` unless ``principal`` has one of ``roles`` (or is admin)."""
    if not principal.roles & (set(roles) | {"admin"}):
        wanted = " or ".join(f"`{role}`" for role in roles)
        raise ForbiddenError(f"`{principal.name}` needs the role {wanted} for this page")


def may(principal: Principal | None, *roles: Role) -> bool:
    """Whether ``principal`` has one of ``roles`` (or is admin): what a page offers it."""
    return principal is not None and bool(principal.roles & (set(roles) | {"admin"}))

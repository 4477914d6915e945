"""Every request but ``/healthz`` names its principal with a bearer credential.

``Authorization: Bearer pe_…`` is an API key of the credential store; a token of three
dot-separated parts is a JWT, verified when the service is configured with a key set. The
principal's roles decide what it may do (:func:`require`); an officer acts only for its
customers (:func:`check_customer`). The identity recorded in the decision log is the
principal's name: no header a client sets can change it.

State-changing requests from a browser carry ``Origin``: one that is neither the service's own
(same host and port as ``Host``) nor configured is refused, so a cross-site form cannot reload
the rules or log a decision in someone's name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from policyeval import (
    AuthenticationError,
    DecisionFilter,
    DecisionLog,
    Principal,
    QueryError,
    Role,
    Snapshot,
)
from policyeval.service.deps import StateDep, get_snapshot, get_state
from policyeval.service.errors import ForbiddenError
from policyeval.service.limits import Evaluations, get_evaluations

_bearer = HTTPBearer(auto_error=False, description="an API key (`pe_…`) or a JWT")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

BEARER_SECURITY: dict[str, Any] = {"security": [{_bearer.scheme_name: []}]}
"""``openapi_extra`` of a route authenticated by :func:`serving`, which reads the bearer
credential itself: its operation declares the scheme as one depending on ``_bearer`` does."""


async def get_principal(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal of the request's bearer credential; 401 without a valid one."""
    check_origin(request, state.settings.allowed_origins)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("this endpoint needs `Authorization: Bearer <credential>`")
    token = credentials.credentials
    if token.count(".") == 2 and state.jwt is not None:
        return state.jwt.authenticate(token)
    return state.credentials.authenticate(token)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting a principal with one of ``roles`` (or ``admin``, which may do
    what any role may)."""
    allowed = frozenset(roles)

    async def dependency(principal: PrincipalDep) -> Principal:
        if not principal.roles & (allowed | {"admin"}):
            needed = " or ".join(f"`{role}`" for role in sorted(allowed))
            raise ForbiddenError(f"`{principal.name}` needs the role {needed} for this")
        return principal

    return dependency


@dataclass(frozen=True, slots=True)
class Serving:
    """What a route that evaluates needs, from one dependency (:func:`serving`)."""

    principal: Principal
    snapshot: Snapshot
    decision_log: DecisionLog
    evaluations: Evaluations


def serving(*roles: Role) -> Callable[[Request], Awaitable[Serving]]:
    """One dependency doing what ``SnapshotDep``, ``DecisionLogDep``, ``require(*roles)`` and
    ``EvaluationsDep`` do, in that order and with the same errors (503 loading, 403 origin,
    401, 403 role), by calling their providers: FastAPI solves one dependency instead of
    nine (each a recursive solve, ``get_state`` three times). Its route declares
    :data:`BEARER_SECURITY`."""
    admit = require(*roles)

    async def dependency(request: Request) -> Serving:
        state = await get_state(request)
        snapshot = await get_snapshot(state)
        credentials = await _bearer(request)
        principal = await admit(await get_principal(request, state, credentials))
        return Serving(principal, snapshot, state.decision_log, await get_evaluations(request))

    return dependency


def check_customer(principal: Principal, customer: str) -> None:
    """An officer who is not also an auditor or admin reads and asks for its own customers
    only (a lawyer's role adds no customer: a lawyer's what-ifs are admitted by :func:`may_ask`
    before this check)."""
    if principal.roles & {"admin", "auditor"}:
        return
    if not principal.may_act_for(customer):
        raise ForbiddenError(f"`{principal.name}` does not act for the customer `{customer}`")


def may_ask(principal: Principal, customer: str, *, what_if: bool) -> None:
    """A real decision is an officer's, for its customers; a what-if also a lawyer's (the API's
    ``POST /v1/decisions/transfer`` and the ``/ask`` and ``/whatif`` pages)."""
    if what_if and principal.roles & {"lawyer", "admin"}:
        return
    if not principal.roles & {"officer", "admin"}:
        raise ForbiddenError(f"`{principal.name}` may ask what-if decisions only (role `lawyer`)")
    check_customer(principal, customer)


def officer_scope(principal: Principal, filters: DecisionFilter) -> DecisionFilter:
    """The decision-log search ``principal`` may make: an officer (not also an auditor or admin)
    lists one of its customers' decisions, the one it names or its only customer (the API's
    ``GET /v1/decisions`` and the ``/decisions`` page)."""
    if principal.roles & {"auditor", "admin"}:
        return filters
    if filters.customer is not None:
        check_customer(principal, filters.customer)
        return filters
    customers = sorted(principal.customers)
    if len(customers) == 1 and customers[0] != "*":
        return filters.model_copy(update={"customer": customers[0]})
    if customers == ["*"]:
        return filters
    raise QueryError("name the customer whose decisions to list: `?customer=` one of yours")


def check_origin(request: Request, allowed: list[str]) -> None:
    """Refuse a state-changing request from a page of another origin."""
    origin = request.headers.get("origin")
    if origin is None or request.method in _SAFE_METHODS:
        return
    parts = urlsplit(origin)
    if (parts.netloc and parts.netloc == request.headers.get("host")) or origin in allowed:
        return
    raise ForbiddenError(f"requests from the origin `{origin[:100]}` are not accepted")

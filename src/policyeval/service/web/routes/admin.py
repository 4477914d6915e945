"""The administration page (admins only): what is served, reloading it, the API keys.

A reload runs in the background as ``POST /v1/reload`` does (``state.loader``); its page,
``/admin?load=<id>``, shows its progress and is refreshed by following a link (no script, no
meta refresh). A new key is shown once, on the page answering the form that made it;
the store keeps its hash only, which no page shows.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from policyeval import ROLES, KeyRecord, PolicyError, Principal, Role
from policyeval.service.deps import StateDep
from policyeval.service.errors import NotFoundError
from policyeval.service.state import ServiceState
from policyeval.service.web.pages import render
from policyeval.service.web.session import Viewer, needs
from policyeval.service.web.texts import texts

router = APIRouter(include_in_schema=False)

PAGE = 50


class NewKey(BaseModel):
    """The form making a key: its holder's name, roles, and an officer's customers."""

    name: str = Field(default="", max_length=200)
    roles: list[str] = Field(default_factory=list, max_length=len(ROLES))
    customers: str = Field(default="", max_length=10_000)


@router.get("/admin")
def admin(
    request: Request,
    state: StateDep,
    principal: Viewer,
    load: str | None = None,
    revoked: str | None = None,
    page: int = 1,
) -> Response:
    """What is served, a load's progress (the one named, else the latest), the keys."""
    needs(principal, "admin")
    job = state.loader.job(load) if load else state.loader.latest()
    if load and job is None:
        raise NotFoundError(f"no load `{load[:100]}`")
    return _page(request, state, principal, job=job, revoked=_revoked(state, revoked), page=page)


@router.post("/admin/reload")
def reload(state: StateDep, principal: Viewer) -> Response:
    """Start a load (or join the one running) and show its page."""
    needs(principal, "admin")
    job = state.loader.start()
    return RedirectResponse(f"/admin?load={job.id}", status_code=303)


@router.post("/admin/credentials/{key_id}/revoke")
def revoke(key_id: str, state: StateDep, principal: Viewer) -> Response:
    """Revoke a key: it stops working at its next request (a browser session too)."""
    needs(principal, "admin")
    try:
        record = state.credentials.revoke(key_id)
    except PolicyError as exc:
        raise NotFoundError(exc.message) from exc
    return RedirectResponse(f"/admin?revoked={record.id}#keys", status_code=303)


@router.post("/admin/credentials")
def create(
    request: Request, state: StateDep, principal: Viewer, form: Annotated[NewKey, Form()]
) -> Response:
    """Make a key and show it, once; a form with a problem comes back with it named."""
    needs(principal, "admin")
    t = texts()
    name = form.name.strip()
    problems = [] if name else [t("admin.need_name")]
    problems += [t("admin.unknown_role", role=r) for r in form.roles if r not in ROLES]
    roles: list[Role] = [r for r in ROLES if r in form.roles]
    customers = [c for c in re.split(r"[\s,]+", form.customers) if c]
    if not problems:
        try:
            record, token = state.credentials.create(name, roles, customers)
        except PolicyError as exc:
            problems.append(exc.message)
        else:
            return render(request, "admin_key.html.j2", principal, key=_listed(record), token=token)
    return _page(request, state, principal, status_code=422, problems=problems, form=form)


def _page(
    request: Request,
    state: ServiceState,
    principal: Principal,
    status_code: int = 200,
    page: int = 1,
    **context: Any,
) -> Response:
    """The administration page, with the keys' page ``page`` (newest first)."""
    keys = sorted(state.credentials.list(), key=lambda k: k.created, reverse=True)
    pages = max(1, -(-len(keys) // PAGE))
    page = min(max(page, 1), pages)
    shown = [_listed(k) for k in keys[(page - 1) * PAGE : page * PAGE]]
    defaults: dict[str, Any] = {"job": None, "revoked": None, "problems": [], "form": NewKey()}
    return render(
        request,
        "admin.html.j2",
        principal,
        status_code=status_code,
        **{**defaults, **context},
        snapshot=state.snapshot,
        roles=ROLES,
        keys=shown,
        page=page,
        pages=pages,
    )


def _listed(record: KeyRecord) -> dict[str, Any]:
    """A key as a page shows it: everything but its hash."""
    return record.model_dump(exclude={"sha256"})


def _revoked(state: ServiceState, key_id: str | None) -> dict[str, Any] | None:
    """The key ``key_id`` if it is revoked (the notice after revoking it)."""
    found = next((k for k in state.credentials.list() if k.id == key_id), None)
    return _listed(found) if found is not None and found.revoked is not None else None

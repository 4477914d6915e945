"""``Annotated`` dependency aliases the routers declare their needs with.

The providers are ``async def``: they only read attributes, and FastAPI would otherwise send
each plain ``def`` dependency to its thread pool and back, once per request. FastAPI calls each
provider once per request, so every dependency of one request sees the same snapshot.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from policyeval import DecisionLog, Snapshot
from policyeval.service.errors import NotReadyError
from policyeval.service.settings import Settings
from policyeval.service.state import ServiceState


async def get_state(request: Request) -> ServiceState:
    """The state the lifespan put on the app."""
    state = request.app.state.service
    if not isinstance(state, ServiceState):  # pragma: no cover - only if startup was skipped
        raise RuntimeError("the service was not started through its lifespan")
    return state


async def get_snapshot(state: Annotated[ServiceState, Depends(get_state)]) -> Snapshot:
    """The snapshot served when the request arrived: the request uses it and nothing else.
    Before the first load is done there is none: 503, try again."""
    snapshot = state.snapshot
    if snapshot is None:
        raise NotReadyError("the service is still loading its rules and facts; see /healthz")
    return snapshot


async def get_decision_log(state: Annotated[ServiceState, Depends(get_state)]) -> DecisionLog:
    return state.decision_log


async def get_settings(state: Annotated[ServiceState, Depends(get_state)]) -> Settings:
    return state.settings


StateDep = Annotated[ServiceState, Depends(get_state)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
DecisionLogDep = Annotated[DecisionLog, Depends(get_decision_log)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

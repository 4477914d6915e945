"""``Annotated`` dependency aliases the routers declare their needs with.

The providers are ``async def``: they only read attributes, and FastAPI would otherwise send
each plain ``def`` dependency to its thread pool and back, once per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from policyeval.decision_log import DecisionLog
from policyeval.evaluator import Evaluator
from policyeval.fact_loader import FactBase
from policyeval.service.settings import Settings
from policyeval.service.state import ServiceState


async def get_state(request: Request) -> ServiceState:
    """The state the lifespan put on the app."""
    state = request.app.state.service
    if not isinstance(state, ServiceState):  # pragma: no cover - only if startup was skipped
        raise RuntimeError("the service was not started through its lifespan")
    return state


async def get_evaluator(state: Annotated[ServiceState, Depends(get_state)]) -> Evaluator:
    return state.evaluator


async def get_decision_log(state: Annotated[ServiceState, Depends(get_state)]) -> DecisionLog:
    return state.decision_log


async def get_fact_base(state: Annotated[ServiceState, Depends(get_state)]) -> FactBase:
    return state.fact_base


async def get_settings(state: Annotated[ServiceState, Depends(get_state)]) -> Settings:
    return state.settings


StateDep = Annotated[ServiceState, Depends(get_state)]
EvaluatorDep = Annotated[Evaluator, Depends(get_evaluator)]
DecisionLogDep = Annotated[DecisionLog, Depends(get_decision_log)]
FactBaseDep = Annotated[FactBase, Depends(get_fact_base)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AskedByDep = Annotated[
    str, Header(alias="X-Asked-By", description="who asks; recorded in the decision log")
]

"""The FastAPI application: built from settings, serving one evaluator loaded at startup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from policyeval import DecisionLog, Snapshot, load
from policyeval.service import errors
from policyeval.service.routers import decisions, facts, query, reports, rules, system
from policyeval.service.settings import Settings
from policyeval.service.state import ServiceState


def create_app(settings: Settings | None = None, snapshot: Snapshot | None = None) -> FastAPI:
    """The service; rules and facts are loaded when it starts (a bad set stops the start),
    unless ``snapshot`` gives them already loaded from ``settings``' directories."""
    settings = settings or Settings()
    preloaded = [snapshot] if snapshot is not None else []  # for the first start only

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        current = (
            preloaded.pop()
            if preloaded
            else load(settings.rule_directories, settings.facts, settings.scenarios)
        )
        app.state.service = ServiceState(
            settings=settings,
            snapshot=current,
            decision_log=DecisionLog(settings.decision_log),
        )
        yield

    app = FastAPI(
        title="policyeval",
        summary="Decree 743: may a customer transfer state secrets to an executor?",
        version="1",
        lifespan=lifespan,
    )
    errors.install(app)
    for module in (decisions, reports, query, rules, facts, system):
        app.include_router(module.router)
    return app

"""The FastAPI application: built from settings, serving one evaluator loaded at startup."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.trustedhost import TrustedHostMiddleware

from policyeval import (
    CredentialStore,
    DecisionLog,
    JwtVerifier,
    Snapshot,
    collector_paused,
    load,
)
from policyeval.service import errors, limits, web
from policyeval.service.routers import decisions, facts, query, reports, rules, system
from policyeval.service.settings import Settings
from policyeval.service.state import ServiceState


def create_app(
    settings: Settings | None = None,
    snapshot: Snapshot | None = None,
    *,
    background: bool = False,
) -> FastAPI:
    """The service; rules and facts are loaded when it starts (a bad set stops the start),
    unless ``snapshot`` gives them already loaded from ``settings``' directories. With
    ``background`` the port opens at once and the load runs behind it (``/healthz`` says
    ``loading`` until it is done, ``failed`` with its problems if it fails)."""
    settings = settings or Settings()
    preloaded = [snapshot] if snapshot is not None else []  # for the first start only
    warm_ups: list[Callable[[Snapshot], object]] = []  # filled below, run by the state

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        current = preloaded.pop() if preloaded else None
        # The collector stays off until the state has frozen what the load made: its first pass
        # would otherwise walk every object of the load once more (~0.7 s at 10,000 executors).
        with collector_paused():
            if current is None and not background:
                current = load(
                    settings.rule_directories,
                    settings.facts,
                    settings.scenarios,
                    snapshots=settings.snapshots,
                )
            app.state.service = state = ServiceState(
                settings=settings,
                snapshot=current,
                decision_log=DecisionLog(settings.decision_log),
                credentials=CredentialStore(
                    settings.credentials, recheck_seconds=settings.credentials_recheck_seconds
                ),
                jwt=_jwt_verifier(settings),
                warm_ups=warm_ups,
            )
        if current is None:
            state.loader.start()
        del current  # the state holds the snapshot served; a reload must be able to let it go
        try:
            yield
        finally:
            state.close()

    # Swagger UI and ReDoc from files shipped in the package: these networks reach no CDN.
    app = FastAPIOffline(
        title="policyeval",
        summary="Decree 743: may a customer transfer state secrets to an executor?",
        version="1",
        lifespan=lifespan,
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    limits.install(app, settings)  # body size (outermost), evaluation slots and budget
    errors.install(app)
    for module in (decisions, reports, query, rules, facts, system):
        app.include_router(module.router)
    warm_ups.extend(web.install(app, settings))  # the pages for people, errors as pages
    return app


def _jwt_verifier(settings: Settings) -> JwtVerifier | None:
    """JWTs are accepted when a key set is configured."""
    if settings.jwt_keys is None:
        return None
    return JwtVerifier(settings.jwt_keys, settings.jwt_issuer, settings.jwt_audience)

"""Signing in to the web pages in tests, as a browser does: through the sign-in form."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from paths import FACTS, POLICIES, SCENARIOS
from policyeval import ALL_CUSTOMERS, CredentialStore, Role
from policyeval.service import Settings


def bundled_settings(var: Path, scenarios: Path = SCENARIOS) -> Settings:
    """The service over the bundled rules and facts, its log, keys and session key in ``var``."""
    return Settings(
        policies=POLICIES,
        facts=FACTS,
        scenarios=scenarios,
        decision_log=var / "decisions.sqlite3",
        credentials=var / "credentials.json",
        session_secret=var / "session-secret",
        evaluation_seconds=None,  # no wall-clock budget: a slow machine must not turn a page 503
    )


Pages = Callable[..., TestClient]
"""The ``pages`` fixture of ``tests/web``: ``pages(roles=..., customers=..., name=...)``."""


def sign_in(
    app: FastAPI,
    settings: Settings,
    roles: Iterable[Role],
    customers: Iterable[str] = (ALL_CUSTOMERS,),
    name: str = "tester",
) -> TestClient:
    """A client signed in through ``POST /signin`` with a new key of ``roles``."""
    _, token = CredentialStore(settings.credentials).create(name, roles, customers)
    client = TestClient(app, follow_redirects=False)
    answer = client.post("/signin", data={"credential": token, "next": "/"})
    assert answer.status_code == 303, answer.text
    return client

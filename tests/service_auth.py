"""Signing in to the service in tests: credentials issued into each test's own store."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from paths import TOY_FACTS, TOY_POLICIES
from policyeval import ALL_CUSTOMERS, ROLES, CredentialStore, Role
from policyeval.service import Settings


def toy_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """The service over the toy rules and facts, its log and credentials under ``tmp_path``."""
    return Settings(
        policies=TOY_POLICIES,
        facts=TOY_FACTS,
        decision_log=tmp_path / "var" / "decisions.sqlite3",
        credentials=tmp_path / "var" / "credentials.json",
        session_secret=tmp_path / "var" / "session-secret",
        scenarios=tmp_path / "scenarios",
        **overrides,
    )


def bearer(
    settings: Settings,
    name: str = "tester",
    roles: Iterable[Role] = ROLES,
    customers: Iterable[str] = (ALL_CUSTOMERS,),
) -> dict[str, str]:
    """The header of a new API key with ``roles`` (every role by default)."""
    _, token = CredentialStore(settings.credentials).create(name, roles, customers)
    return {"Authorization": f"Bearer {token}"}


def signed_in(app: FastAPI, settings: Settings, **issued: object) -> TestClient:
    """A test client whose every request carries a new key (``bearer``'s arguments)."""
    return TestClient(app, headers=bearer(settings, **issued))  # type: ignore[arg-type]


class Clock:
    """A credential store's clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def served_store(app: FastAPI) -> CredentialStore:
    """The credential store a started ``app`` authenticates with."""
    store = app.state.service.credentials
    assert isinstance(store, CredentialStore)
    return store

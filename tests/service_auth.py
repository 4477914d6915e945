"""Signing in to the service in tests: credentials issued into each test's own store."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from policyeval import ALL_CUSTOMERS, ROLES, CredentialStore, Role
from policyeval.service import Settings


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

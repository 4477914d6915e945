"""The web pages over the bundled world (rules, facts, scenarios), loaded once per session.

``pages(roles, customers)`` gives a test client signed in through the sign-in form, as a
browser is, with a new credential of those roles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from policyeval import ALL_CUSTOMERS, Role
from policyeval.service import Settings, create_app
from web_session import Pages, bundled_settings, sign_in


@pytest.fixture(scope="session")
def world_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("web-var")
    return bundled_settings(var)


@pytest.fixture(scope="session")
def world_app(world_settings: Settings) -> Iterator[FastAPI]:
    """The service over the bundled world, started once (its lifespan runs the load)."""
    app = create_app(world_settings)
    with TestClient(app):
        yield app


@pytest.fixture
def pages(world_app: FastAPI, world_settings: Settings) -> Pages:
    """``pages(roles=("lawyer",), customers=("*",), name="tester")``: a signed-in client."""

    def make(
        roles: Iterable[Role] = ("admin",),
        customers: Iterable[str] = (ALL_CUSTOMERS,),
        name: str = "tester",
    ) -> TestClient:
        officer_customers = customers if "officer" in roles else ()
        return sign_in(world_app, world_settings, roles, officer_customers or customers, name)

    return make


@pytest.fixture
def anonymous(world_app: FastAPI) -> TestClient:
    return TestClient(world_app, follow_redirects=False)

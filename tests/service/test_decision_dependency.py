"""``POST /v1/decisions/transfer`` takes what it needs from one dependency (``auth.serving``):
each request refused before the decision is answered exactly as by the dependencies it
replaced (snapshot, decision log, ``require``, evaluations), declared here on a route of the
test's own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from policyeval import CredentialStore, ExplainLevel, Principal, load
from policyeval.service import create_app, reloads
from policyeval.service.auth import require
from policyeval.service.deps import DecisionLogDep, SnapshotDep
from policyeval.service.limits import EvaluationsDep
from policyeval.service.schemas import TransferRequest
from service_auth import bearer, toy_settings

BODY = {"customer": "mod", "executor": "acme", "secrets": ["s1"], "on": "2026-02-01"}
REFERENCE = "/v1/test/former-dependencies"


def with_former_dependencies(app: FastAPI) -> FastAPI:
    """``app`` with a route declaring the decision route's former dependencies, in order."""

    @app.post(REFERENCE)
    def former(
        body: TransferRequest,
        snapshot: SnapshotDep,
        decision_log: DecisionLogDep,
        principal: Annotated[Principal, Depends(require("officer", "lawyer"))],
        evaluations: EvaluationsDep,
        explain: ExplainLevel = "reasons",
    ) -> dict[str, str]:
        return {}

    return app


def answer(client: TestClient, path: str, request: dict[str, Any]) -> tuple[object, ...]:
    response = client.post(path, **request)
    return (
        response.status_code,
        response.headers.get("content-type"),
        response.headers.get("www-authenticate"),
        response.content,
    )


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    settings = toy_settings(tmp_path, max_body_bytes=4096)
    store = CredentialStore(settings.credentials)
    revoked, token = store.create("officer-0", ["officer"], ["mod"])
    store.revoke(revoked.id)
    keys = {
        "officer": bearer(settings, "officer-7", ["officer"], ["mod"]),
        "auditor": bearer(settings, "auditor-1", ["auditor"], []),
        "revoked": {"Authorization": f"Bearer {token}"},
    }
    with TestClient(with_former_dependencies(create_app(settings))) as client:
        yield client, keys


def refused_requests(keys: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Requests refused by a dependency, by validation or by the size limit."""
    officer, auditor = keys["officer"], keys["auditor"]
    evil = {"Origin": "https://evil.example"}
    return [
        {"json": BODY},
        {"json": BODY, "headers": {"Authorization": "Basic b2ZmaWNlcjpzZWNyZXQ="}},
        {"json": BODY, "headers": {"Authorization": "Bearer"}},
        {"json": BODY, "headers": {"Authorization": "Bearer pe_x_y"}},
        {"json": BODY, "headers": {"Authorization": "Bearer a.b.c"}},
        {"json": BODY, "headers": keys["revoked"]},
        {"json": BODY, "headers": auditor},
        {"json": BODY, "headers": evil},
        {"json": BODY, "headers": {**officer, **evil}},
        {"json": {"customer": "mod"}},
        {"json": {"customer": "mod"}, "headers": auditor},
        {"json": {"customer": "mod"}, "headers": officer},
        {"json": BODY, "headers": officer, "params": {"explain": "everything"}},
        {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        {"content": b"{not json", "headers": {**officer, "Content-Type": "application/json"}},
        {"json": {**BODY, "secrets": ["x" * 10] * 500}, "headers": officer},
    ]


def test_refusals_are_those_of_the_former_dependencies(
    served: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, keys = served
    statuses = set()
    for request in refused_requests(keys):
        ours = answer(client, "/v1/decisions/transfer", request)
        assert ours == answer(client, REFERENCE, request), request
        statuses.add(ours[0])
    assert statuses == {401, 403, 413, 422}


def test_while_loading_the_refusals_are_those_of_the_former_dependencies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = toy_settings(tmp_path)
    release = threading.Event()

    def slow_load(*args: Any, **kwargs: Any) -> Any:
        release.wait()
        return load(*args, **kwargs)

    monkeypatch.setattr(reloads, "load", slow_load)
    officer = bearer(settings, "officer-7", ["officer"], ["mod"])
    app = with_former_dependencies(create_app(settings, background=True))
    with TestClient(app) as client:
        try:
            for request in ({"json": BODY}, {"json": BODY, "headers": officer}):
                ours = answer(client, "/v1/decisions/transfer", request)
                assert ours == answer(client, REFERENCE, request)
                assert ours[0] == 503
        finally:
            release.set()


def test_the_route_declares_the_bearer_scheme_in_the_openapi_document(
    served: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    paths = served[0].get("/openapi.json").json()["paths"]
    assert paths["/v1/decisions/transfer"]["post"]["security"] == [{"HTTPBearer": []}]
    assert paths[REFERENCE]["post"]["security"] == [{"HTTPBearer": []}]

"""Who may ask: every endpoint but ``/healthz`` needs a credential, roles and an officer's
customers bound what it may do, identities come from credentials, and hosts and origins are
checked. Each test is one of the findings of the security review."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path, PosixPath
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from policyeval import AuthenticationError, CredentialStore, load
from policyeval.cli import app as cli
from policyeval.service import Settings, create_app, reloads
from service_auth import Clock, bearer, served_store, toy_settings

BODY = {"customer": "mod", "executor": "acme", "secrets": ["s1"], "on": "2026-02-01"}
PUBLIC = {"/healthz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return toy_settings(tmp_path)


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def _operations(client: TestClient) -> list[tuple[str, str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return [(method.upper(), path) for path, methods in paths.items() for method in methods]


def test_every_operation_but_health_needs_a_credential(client: TestClient) -> None:
    operations = _operations(client)
    assert len(operations) >= 10
    for method, path in operations:
        url = path.replace("{", "").replace("}", "")
        response = client.request(method, url, json={})
        if path in PUBLIC:
            continue
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/healthz").status_code == 200


def test_the_openapi_document_declares_the_bearer_scheme(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert {scheme["scheme"] for scheme in schemes.values()} == {"bearer"}


def test_a_wrong_or_revoked_key_is_refused(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        served_store(app).clock = clock = Clock()
        assert (
            client.post("/v1/decisions/transfer", json=BODY, headers=_key("pe_x_y")).status_code
            == 401
        )
        # Created by another process (the CLI): works at once, the key being new to the service.
        store = CredentialStore(settings.credentials)
        record, token = store.create("officer-7", ["officer"], ["mod"])
        asked = client.post("/v1/decisions/transfer", json=BODY, headers=_key(token))
        assert asked.status_code == 200
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        asked = client.post("/v1/decisions/transfer", json=BODY, headers=_key(tampered))
        assert asked.status_code == 401
        # Revoked by another process: refused once the service looks at the file again.
        store.revoke(record.id)
        clock.advance(settings.credentials_recheck_seconds)
        refused = client.post("/v1/decisions/transfer", json=BODY, headers=_key(token))
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
        # Revoked through the service's own store (the admin page): refused at once.
        record, token = store.create("officer-8", ["officer"], ["mod"])
        assert client.post("/v1/decisions/transfer", json=BODY, headers=_key(token)).is_success
        served_store(app).revoke(record.id)
        refused = client.post("/v1/decisions/transfer", json=BODY, headers=_key(token))
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_a_key_revoked_elsewhere_stops_working_within_the_recheck_time(tmp_path: Path) -> None:
    clock = Clock()
    served = CredentialStore(tmp_path / "keys.json", recheck_seconds=1.0, clock=clock)
    elsewhere = CredentialStore(tmp_path / "keys.json")  # the CLI, another worker
    record, token = elsewhere.create("officer-7", ["officer"], ["mod"])
    assert served.authenticate(token).name == "officer-7"  # a new key: looked up at once
    elsewhere.revoke(record.id)
    clock.advance(0.5)
    assert served.authenticate(token).name == "officer-7"  # within the promised second
    assert served.principal_of(record.id).name == "officer-7"
    clock.advance(0.5)
    with pytest.raises(AuthenticationError, match="revoked"):
        served.authenticate(token)
    with pytest.raises(AuthenticationError, match="revoked"):
        served.principal_of(record.id)


class _CountedPath(PosixPath):
    """A path counting its ``stat`` calls (the store's look at its file)."""

    stats = 0

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        _CountedPath.stats += 1
        return super().stat(follow_symlinks=follow_symlinks)


def test_authenticating_looks_at_the_file_at_most_once_per_recheck_time(tmp_path: Path) -> None:
    clock = Clock()
    path = _CountedPath(tmp_path / "keys.json")
    served = CredentialStore(path, recheck_seconds=1.0, clock=clock)
    _, token = CredentialStore(tmp_path / "keys.json").create("auditor-1", ["auditor"])
    _CountedPath.stats = 0
    for _ in range(10):
        served.authenticate(token)
    assert _CountedPath.stats == 1
    clock.advance(1.0)
    for _ in range(10):
        served.authenticate(token)
    assert _CountedPath.stats == 2


def test_a_store_without_a_recheck_time_sees_a_revocation_at_once(tmp_path: Path) -> None:
    served = CredentialStore(tmp_path / "keys.json", clock=Clock())  # the library's default
    elsewhere = CredentialStore(tmp_path / "keys.json")
    record, token = elsewhere.create("lawyer-1", ["lawyer"])
    assert served.authenticate(token).roles == {"lawyer"}
    elsewhere.revoke(record.id)
    with pytest.raises(AuthenticationError, match="revoked"):
        served.authenticate(token)


def test_the_store_keeps_hashes_only_in_a_file_only_its_owner_reads(settings: Settings) -> None:
    _, token = CredentialStore(settings.credentials).create("a", ["auditor"])
    text = settings.credentials.read_text(encoding="utf-8")
    assert token.split("_", 2)[2] not in text and "sha256" in text
    assert settings.credentials.stat().st_mode & 0o777 == 0o600


def test_roles_bound_what_a_credential_may_do(client: TestClient, settings: Settings) -> None:
    officer = bearer(settings, "officer-7", ["officer"], ["mod"])
    lawyer = bearer(settings, "lawyer-1", ["lawyer"], [])
    auditor = bearer(settings, "auditor-1", ["auditor"], [])
    assert client.post("/v1/reload?wait=true", headers=officer).status_code == 403
    assert client.post("/v1/decisions/transfer", json=BODY, headers=auditor).status_code == 403
    # A lawyer asks what-ifs, not real decisions.
    assert client.post("/v1/decisions/transfer", json=BODY, headers=lawyer).status_code == 403
    what_if = {
        **BODY,
        "assume": [
            {"kind": "organization", "id": "zeta", "name": "Zeta LLP", "org_kind": "commercial"}
        ],
    }
    assert client.post("/v1/decisions/transfer", json=what_if, headers=lawyer).status_code == 200
    assert client.get("/v1/decisions", headers=auditor).status_code == 200
    assert client.get("/v1/decisions", headers=lawyer).status_code == 403
    assert client.get("/v1/rules", headers=auditor).status_code == 200


def test_an_officer_acts_for_its_customers_only(client: TestClient, settings: Settings) -> None:
    other = bearer(settings, "officer-9", ["officer"], ["someone_else"])
    refused = client.post("/v1/decisions/transfer", json=BODY, headers=other)
    assert refused.status_code == 403 and "mod" in refused.json()["detail"]
    mine = bearer(settings, "officer-7", ["officer"], ["mod"])
    decision_id = client.post("/v1/decisions/transfer", json=BODY, headers=mine).json()[
        "decision_id"
    ]
    assert client.get(f"/v1/decisions/{decision_id}", headers=mine).status_code == 200
    assert client.get(f"/v1/decisions/{decision_id}", headers=other).status_code == 403
    assert client.get(f"/v1/decisions/{decision_id}/report", headers=other).status_code == 403
    # Listing: an officer sees its own customers' decisions only.
    assert [d["decision_id"] for d in client.get("/v1/decisions", headers=mine).json()] == [
        decision_id
    ]
    assert client.get("/v1/decisions", headers=other).json() == []
    assert client.get("/v1/decisions?customer=mod", headers=other).status_code == 403
    two = bearer(settings, "officer-2", ["officer"], ["mod", "kaz"])
    assert client.get("/v1/decisions", headers=two).status_code == 422
    # A lawyer's role adds no customer to an officer's: still only its own decisions.
    both = bearer(settings, "officer-lawyer", ["officer", "lawyer"], ["someone_else"])
    assert client.get(f"/v1/decisions/{decision_id}", headers=both).status_code == 403
    assert client.get("/v1/decisions?customer=mod", headers=both).status_code == 403


def test_the_asker_is_the_credential_not_a_header(client: TestClient, settings: Settings) -> None:
    officer = bearer(settings, "officer-7", ["officer"], ["mod"])
    sent = client.post(
        "/v1/decisions/transfer", json=BODY, headers={**officer, "X-Asked-By": "admin"}
    ).json()
    auditor = bearer(settings, "auditor-1", ["auditor"], [])
    logged = client.get(f"/v1/decisions/{sent['decision_id']}", headers=auditor).json()
    assert logged["asked_by"] == "officer-7"


def test_an_unknown_host_is_refused(client: TestClient, settings: Settings) -> None:
    response = client.get("/healthz", headers={"Host": "evil.example"})
    assert response.status_code == 400


def test_a_cross_site_form_cannot_change_state(client: TestClient, settings: Settings) -> None:
    admin = bearer(settings)
    forged = client.post(
        "/v1/reload?wait=true", headers={**admin, "Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    same = client.post("/v1/reload?wait=true", headers={**admin, "Origin": "http://testserver"})
    assert same.status_code == 200


# -- JWTs from an identity provider ---------------------------------------------------------


@pytest.fixture()
def signing_key(tmp_path: Path, settings: Settings) -> Any:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    public |= {"kid": "idp-1", "use": "sig", "alg": "RS256"}
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [public]}), encoding="utf-8")
    settings.jwt_keys = tmp_path / "jwks.json"
    settings.jwt_issuer = "https://idp.example"
    return key


def _token(key: Any, **claims: Any) -> str:
    now = dt.datetime.now(dt.UTC)
    payload = {
        "sub": "officer-jwt",
        "iss": "https://idp.example",
        "aud": "policyeval",
        "exp": now + dt.timedelta(minutes=5),
        "roles": ["officer"],
        "customers": ["mod"],
    } | claims
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "idp-1"})


def test_a_jwt_of_the_configured_issuer_signs_in(settings: Settings, signing_key: Any) -> None:
    with TestClient(create_app(settings)) as client:
        good = client.post("/v1/decisions/transfer", json=BODY, headers=_key(_token(signing_key)))
        assert good.status_code == 200
        expired = _token(signing_key, exp=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        wrong_audience = _token(signing_key, aud="another-service")
        unsigned = jwt.encode({"sub": "x", "roles": ["admin"]}, "", algorithm="none")
        for token in (expired, wrong_audience, unsigned):
            response = client.post("/v1/decisions/transfer", json=BODY, headers=_key(token))
            assert response.status_code == 401, token


# -- the CLI ---------------------------------------------------------------------------------


def test_credentials_are_created_listed_and_revoked_from_the_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "credentials.json")
    created = runner.invoke(
        cli,
        [
            "credentials",
            "create",
            "--name",
            "officer-7",
            "--role",
            "officer",
            "--customer",
            "mod",
            "--store",
            store,
        ],
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("pe_")
    (record,) = CredentialStore(Path(store)).list()
    assert CredentialStore(Path(store)).authenticate(token).name == "officer-7"
    listed = runner.invoke(cli, ["credentials", "list", "--store", store])
    assert record.id in listed.stdout and token not in listed.stdout
    assert runner.invoke(cli, ["credentials", "revoke", record.id, "--store", store]).exit_code == 0
    bad_role = runner.invoke(
        cli, ["credentials", "create", "--name", "x", "--role", "root", "--store", store]
    )
    assert bad_role.exit_code == 2 and "unknown role root" in bad_role.output


def _key(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- loading in the background ----------------------------------------------------------------


def test_health_says_loading_until_the_first_load_is_served(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def slow_load(*args: Any, **kwargs: Any) -> Any:
        kwargs["progress"]("reading the rule files")
        release.wait()
        return load(*args, **kwargs)

    monkeypatch.setattr(reloads, "load", slow_load)
    with TestClient(create_app(settings, background=True), headers=bearer(settings)) as client:
        loading = client.get("/healthz")
        assert loading.status_code == 503 and loading.json()["status"] == "loading"
        assert loading.json()["progress"] == ["reading the rule files"]
        assert client.post("/v1/decisions/transfer", json=BODY).status_code == 503
        release.set()
        client.app.state.service.loader.latest().done.wait()  # type: ignore[attr-defined]
        assert client.get("/healthz").json()["status"] == "ok"
        assert client.post("/v1/decisions/transfer", json=BODY).status_code == 200


def test_a_first_load_that_fails_is_reported_by_health(settings: Settings, tmp_path: Path) -> None:
    settings.facts = tmp_path / "no-such-facts"
    with TestClient(create_app(settings, background=True)) as client:
        client.app.state.service.loader.latest().done.wait()  # type: ignore[attr-defined]
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "failed"
        assert health.json()["problems"]


def test_a_reload_runs_in_the_background_and_reports_its_result(
    client: TestClient, settings: Settings
) -> None:
    admin = bearer(settings)
    started = client.post("/v1/reload", headers=admin)
    assert started.status_code == 202
    job = started.json()
    client.app.state.service.loader.job(job["id"]).done.wait()  # type: ignore[attr-defined]
    status = client.get(f"/v1/reload/{job['id']}", headers=admin).json()
    assert status["state"] == "done" and status["result"]["status"] == "reloaded"
    assert client.get("/v1/reload/nope", headers=admin).status_code == 404


def test_a_first_start_creates_one_admin_key_and_shows_it_once(tmp_path: Path) -> None:
    from policyeval.cli import _first_admin

    store = CredentialStore(tmp_path / "credentials.json")
    _first_admin(store)
    (record,) = store.list()
    assert "admin" in record.roles and record.customers == ["*"]
    _first_admin(store)  # a second start creates nothing
    assert len(store.list()) == 1


def test_the_api_pages_load_nothing_from_outside(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, page
        for source in sources:
            assert source.startswith("/"), (page, source)  # no CDN, no font service
            assert client.get(source).status_code == 200, source
        assert "googleapis" not in html and "jsdelivr" not in html

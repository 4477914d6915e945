"""Signing in to the pages, and what a session may see."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from policyeval import CredentialStore
from policyeval.service import Settings
from service_auth import Clock, served_store
from web_session import Pages


def test_a_page_without_a_session_sends_the_browser_to_sign_in_and_back(
    anonymous: TestClient,
) -> None:
    answer = anonymous.get("/source/rules/03-sequence.md")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/source/rules/03-sequence.md"


def test_a_wrong_key_is_refused_on_the_form_and_sets_no_cookie(anonymous: TestClient) -> None:
    answer = anonymous.post("/signin", data={"credential": "pe_nothere_secret", "next": "/"})
    assert answer.status_code == 401
    assert "unknown API key" in answer.text
    assert "set-cookie" not in answer.headers


def test_the_cookie_names_the_key_by_id_never_its_secret(
    anonymous: TestClient, world_settings: Settings
) -> None:
    _, token = CredentialStore(world_settings.credentials).create("cookie", ["lawyer"])
    answer = anonymous.post("/signin", data={"credential": token, "next": "/clauses"})
    cookie = answer.headers["set-cookie"]
    assert answer.headers["location"] == "/clauses"
    assert token.split("_", 2)[2] not in cookie  # the secret (it may itself hold `_`)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_a_revoked_key_signs_the_browser_out_at_its_next_page(
    pages: Pages, world_app: FastAPI, world_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(served_store(world_app), "clock", clock)
    client = pages(roles=("lawyer",), name="soon-revoked")
    assert client.get("/source/rules/03-sequence.md").status_code == 200
    store = CredentialStore(world_settings.credentials)  # another process: the CLI
    key = next(k for k in store.list() if k.name == "soon-revoked")
    store.revoke(key.id)
    clock.advance(world_settings.credentials_recheck_seconds)
    assert client.get("/source/rules/03-sequence.md").status_code == 303


def test_a_forged_cookie_is_no_session(anonymous: TestClient) -> None:
    anonymous.cookies.set("pe_session", '{"key": "anything"}')
    assert anonymous.get("/source/rules/03-sequence.md").status_code == 303


def test_sign_in_goes_only_to_pages_of_this_site(
    anonymous: TestClient, world_settings: Settings
) -> None:
    _, token = CredentialStore(world_settings.credentials).create("redirect", ["lawyer"])
    answer = anonymous.post("/signin", data={"credential": token, "next": "//evil.example/x"})
    assert answer.headers["location"] == "/"


def test_a_form_posted_from_another_site_is_refused(pages: Pages) -> None:
    client = pages(roles=("lawyer",))
    answer = client.post("/signout", headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    assert "text/html" in answer.headers["content-type"]


def test_a_page_is_served_with_a_policy_allowing_only_this_site(pages: Pages) -> None:
    answer = pages(roles=("lawyer",)).get("/")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert answer.headers["cache-control"] == "no-store"


def test_files_outside_the_served_roots_are_not_shown(pages: Pages) -> None:
    client = pages(roles=("lawyer",))
    for path in (
        "/source/rules/../pyproject.toml",
        "/source/facts/%2e%2e/README.md",
        "/source/elsewhere/x.md",
    ):
        answer = client.get(path)
        assert answer.status_code in (307, 404), path  # 307: the client's own `..` folding
        assert "[project]" not in answer.text


def test_the_api_keeps_its_problem_json(anonymous: TestClient) -> None:
    answer = anonymous.get("/v1/rules")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"

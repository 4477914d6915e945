"""``GET /v1/decisions/{id}/report``: a logged decision's report as HTML, or as a PDF when asked
(``format=pdf`` or ``Accept: application/pdf``); an unknown id is a 404 problem."""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paths import FIXTURES
from policyeval.service import Settings, create_app
from service_auth import signed_in

BODY = {"customer": "mod", "executor": "acme", "secrets": ["s1"], "on": "2026-02-01"}


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The service over a private copy of the toy fixtures."""
    shutil.copytree(FIXTURES / "toy_policies", tmp_path / "policies")
    shutil.copytree(FIXTURES / "toy_facts", tmp_path / "facts")
    settings = Settings(
        policies=tmp_path / "policies",
        facts=tmp_path / "facts",
        decision_log=tmp_path / "var" / "decisions.sqlite3",
        scenarios=tmp_path / "scenarios",
        credentials=tmp_path / "var" / "credentials.json",
    )
    with signed_in(create_app(settings), settings, name="<o-7>") as client:
        yield client


@pytest.fixture()
def decision_id(client: TestClient) -> str:
    response = client.post("/v1/decisions/transfer", json=BODY)
    assert response.status_code == 200, response.text
    return str(response.json()["decision_id"])


def test_the_report_is_an_html_page_naming_who_asked(client: TestClient, decision_id: str) -> None:
    response = client.get(f"/v1/decisions/{decision_id}/report")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "ALLOWED" in page and decision_id in page
    assert html.escape("may `mod` transfer `s1` to `acme` on 2026-02-01?") in page
    assert "&lt;o-7&gt;" in page and "<o-7>" not in page
    assert "toy.transfer" in page


@pytest.mark.parametrize(
    ("query", "headers"),
    [("?format=pdf", {}), ("", {"Accept": "application/pdf"})],
    ids=["format", "accept"],
)
def test_the_report_is_a_pdf_when_asked(
    client: TestClient, decision_id: str, query: str, headers: dict[str, str]
) -> None:
    response = client.get(f"/v1/decisions/{decision_id}/report{query}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert decision_id in response.headers["content-disposition"]


def test_an_unknown_decision_has_no_report(client: TestClient) -> None:
    response = client.get("/v1/decisions/nope/report")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "no decision `nope` in the decision log"


def test_the_report_route_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    content = paths["/v1/decisions/{decision_id}/report"]["get"]["responses"]["200"]["content"]
    assert {"text/html", "application/pdf"} <= set(content)

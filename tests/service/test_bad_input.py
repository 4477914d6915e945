"""Ordinary bad input is a 422 naming it, never a 500 (issue #12): dates and counts out of the
built-ins' domain, a what-if receipt before the calendar, lone surrogates and long inputs echoed
by problems, and a reload onto facts that could not be served."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paths import FACTS, POLICIES
from policyeval.service import Settings, create_app
from service_auth import signed_in

PROBLEM_JSON = "application/problem+json"
RECEIVED = "received: 2025-11-04"
"""Request r_1's day of receipt in the bundled world (`facts/requests.yaml`)."""

TRANSFER = {
    "customer": "kazspecmash",
    "executor": "nurtech",
    "secrets": ["doc_1"],
    "on": "2026-03-10",
}
REQUEST = {
    "kind": "request",
    "id": "r_new",
    "customer": "kazspecmash",
    "addressee": "minoborony",
    "executor": "nurtech",
    "secrets": ["doc_1"],
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The decree's rules over a private copy of the bundled facts, which a test may break."""
    root = tmp_path_factory.mktemp("service")
    shutil.copytree(FACTS, root / "facts")
    return Settings(
        policies=POLICIES,
        facts=root / "facts",
        decision_log=root / "var" / "decisions.sqlite3",
        scenarios=root / "scenarios",
        credentials=root / "var" / "credentials.json",
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with signed_in(create_app(settings), settings) as client:
        yield client


def problem_of(response: Any, status: int = 422) -> dict[str, Any]:
    """The problem+json body of ``response``, checked to be one."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "Traceback" not in response.text
    body: dict[str, Any] = json.loads(response.content.decode("utf-8"))
    return body


def query(client: TestClient, predicate: str, *args: object) -> Any:
    return client.post("/v1/query", json={"predicate": predicate, "args": list(args)})


# -- built-ins out of their domain ----------------------------------------------------------


@pytest.mark.parametrize(
    ("predicate", "args", "named"),
    [
        ("add_working_days", ["2026-01-01", 300_000, None], "not 300000"),
        ("add_working_days", ["1990-06-01", 10, None], "before 1991-01-01"),
        ("add_days", ["9999-12-31", 1, None], "add_days(9999-12-31, 1, End)"),
        ("add_days", ["0001-01-01", -1, None], "add_days(0001-01-01, -1, End)"),
        ("working_day", ["1990-06-01"], "working_day(1990-06-01)"),
    ],
)
def test_a_builtin_out_of_its_domain_is_a_422_naming_the_value(
    client: TestClient, predicate: str, args: list[object], named: str
) -> None:
    problem = problem_of(query(client, predicate, *args))
    assert problem["code"] == "out_of_range"
    assert f"`{predicate}(" in problem["detail"] and named in problem["detail"]
    assert query(client, "answer_due", "r_1", None).status_code == 200


def test_a_what_if_receipt_before_the_calendar_is_a_422(client: TestClient) -> None:
    assumed = {**REQUEST, "received": "1990-06-01"}
    response = client.post("/v1/decisions/transfer", json={**TRANSFER, "assume": [assumed]})
    problem = problem_of(response)
    assert "1990-06-01 is outside 1991-01-01" in response.text
    assert problem["status"] == 422


# -- problems repeat input safely -----------------------------------------------------------


def test_a_lone_surrogate_in_an_assumed_record_is_a_422(client: TestClient) -> None:
    assumed = {**REQUEST, "substantiation": "\ud800", "id": "r_\ud800"}
    body = json.dumps({**TRANSFER, "assume": [assumed]})  # ASCII: `\ud800` escaped
    response = client.post(
        "/v1/decisions/transfer", content=body, headers={"content-type": "application/json"}
    )
    problem = problem_of(response)
    assert "\\ud800" in json.dumps(problem, ensure_ascii=False)


def test_a_long_input_is_cut_in_the_problem(client: TestClient) -> None:
    assumed = {**REQUEST, "kind": "k" * 5000}
    response = client.post("/v1/decisions/transfer", json={**TRANSFER, "assume": [assumed]})
    problem = problem_of(response)
    assert len(response.text) < 5000
    assert "k" * 5000 not in response.text and "…" in json.dumps(problem, ensure_ascii=False)


# -- a reload onto facts that could not be served -------------------------------------------


def test_a_reload_onto_a_receipt_before_the_calendar_lists_it_and_keeps_serving(
    client: TestClient, settings: Settings
) -> None:
    requests = settings.facts / "requests.yaml"
    original = requests.read_text(encoding="utf-8")
    requests.write_text(original.replace(RECEIVED, "received: 1990-06-01"), encoding="utf-8")
    try:
        problem = problem_of(client.post("/v1/reload?wait=true"))
    finally:
        requests.write_text(original, encoding="utf-8")
    assert problem["code"] == "fact_error"
    [item] = problem["problems"]
    assert item["location"].endswith("requests.yaml:12:13")
    assert "field `received`: 1990-06-01 is outside" in item["message"]
    assert client.post("/v1/decisions/transfer", json=TRANSFER).status_code == 200


def test_a_reload_onto_an_empty_fact_base_is_refused(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    moved = tmp_path / "facts"
    shutil.move(settings.facts, moved)
    settings.facts.mkdir()
    try:
        problem = problem_of(client.post("/v1/reload?wait=true"))
    finally:
        settings.facts.rmdir()
        shutil.move(moved, settings.facts)
    assert [item["code"] for item in problem["problems"]] == ["no_facts"]
    assert client.post("/v1/decisions/transfer", json=TRANSFER).status_code == 200

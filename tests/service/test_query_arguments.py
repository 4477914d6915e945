"""``POST /v1/query`` reads each argument by the predicate's declared type: a value converted
without loss, or a 422 naming the argument — never a silently different question."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paths import TOY_FACTS, TOY_POLICIES
from policyeval.service import Settings, create_app
from service_auth import signed_in


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    var = tmp_path_factory.mktemp("var")
    settings = Settings(
        policies=TOY_POLICIES,
        facts=TOY_FACTS,
        decision_log=var / "decisions.sqlite3",
        credentials=var / "credentials.json",
    )
    with signed_in(create_app(settings), settings) as client:
        yield client


def ask(client: TestClient, predicate: str, *args: Any) -> Any:
    return client.post("/v1/query", json={"predicate": predicate, "args": list(args)})


def test_an_integer_for_a_string_argument_is_its_text(client: TestClient) -> None:
    response = ask(client, "org_bin", "acme", 123456789012)
    assert response.status_code == 200, response.text
    assert [a["values"] for a in response.json()["answers"]] == [["acme", "123456789012"]]


def test_date_text_for_a_string_argument_stays_text(client: TestClient) -> None:
    response = ask(client, "org_name", "acme", "2026-01-10")
    assert response.status_code == 200, response.text
    assert response.json()["question"] == 'org_name(acme, "2026-01-10")'


def test_an_argument_not_of_its_type_is_a_422_naming_it(client: TestClient) -> None:
    response = ask(client, "answer_date", "ans1", 8)
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert problem["field"] == "body.args.1"
    assert problem["code"] == "argument_type"
    assert "argument 2 of `answer_date` is a date, not 8" in problem["message"]


def test_decimal_text_for_an_integer_argument_is_the_integer(client: TestClient) -> None:
    assert ask(client, "secret_sheets", "s1", "12").status_code == 200
    response = ask(client, "secret_sheets", "s1", "012")
    assert response.status_code == 422  # not lossless
    assert response.json()["problems"][0]["field"] == "body.args.1"


def test_dates_are_still_dates(client: TestClient) -> None:
    response = ask(client, "answer_date", "ans1", "2026-01-10")
    assert response.status_code == 200, response.text
    assert response.json()["answers"][0]["values"] == ["ans1", "2026-01-10"]

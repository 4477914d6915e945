"""Fuzzing the service over its OpenAPI document (issue #12): every operation gets a bounded
number of generated requests, valid and invalid, signed in with every role, and no answer may
be a 5xx. The attacks of the security review are explicit examples beside them, each with the
answer it must get.

Generation is schemathesis' (hypothesis underneath). Under ``CI`` it is deterministic — a fixed
seed, derandomized, no example database — like the property tests (``tests/conftest.py``);
elsewhere it explores new inputs on every run. ``FUZZ_EXAMPLES`` bounds each operation.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.python.asgi import shutdown_lifespans

from paths import TOY_FACTS, TOY_POLICIES
from policyeval import EvaluationTimeout
from policyeval.service import Settings, create_app
from policyeval.service.schemas import RuleOut
from service_auth import bearer

FUZZ_EXAMPLES = 25
"""Generated requests per operation in the fuzzing phase (the coverage phase adds its own
boundary values, a fixed set)."""
FUZZ_SEED = 743
"""The seed under ``CI``: the same requests every run, on every machine."""

TRANSFER: dict[str, Any] = {
    "customer": "mod",
    "executor": "acme",
    "secrets": ["s1"],
    "on": "2026-02-01",
}
"""A transfer the toy fixtures know."""
RECORD: dict[str, Any] = {
    "kind": "request",
    "id": "r_new",
    "customer": "mod",
    "addressee": "mod",
    "executor": "acme",
    "secrets": ["s1"],
}
"""A request record a what-if may assume."""


def _config() -> schemathesis.Config:
    """Bounded generation; deterministic under ``CI``."""
    generation: dict[str, Any] = {"max-examples": FUZZ_EXAMPLES}
    config: dict[str, Any] = {"generation": generation}
    if os.environ.get("CI"):
        generation.update(deterministic=True, database="none")
        config["seed"] = FUZZ_SEED
    return schemathesis.Config.from_dict(config)


# The schema is read from the app when the module is collected (schemathesis parametrizes the
# test by its operations then); the app serves the toy fixtures from a directory of its own.
ROOT = Path(tempfile.mkdtemp(prefix="policyeval-fuzz-"))
SETTINGS = Settings(
    policies=TOY_POLICIES,
    facts=TOY_FACTS,
    decision_log=ROOT / "var" / "decisions.sqlite3",
    credentials=ROOT / "var" / "credentials.json",
    scenarios=ROOT / "scenarios",
)
api = schemathesis.openapi.from_asgi("/openapi.json", create_app(SETTINGS), config=_config())


@pytest.fixture(scope="module", autouse=True)
def _served_app() -> Iterator[None]:
    """The app's lifespan (started by schemathesis' ASGI client) ends with the module."""
    yield
    shutdown_lifespans()
    shutil.rmtree(ROOT, ignore_errors=True)


@pytest.fixture(scope="module")
def auth() -> dict[str, str]:
    """A key with every role, for every customer: nothing is refused for want of a right."""
    return bearer(SETTINGS, name="fuzzer")


def _served(case: schemathesis.Case[Any], auth: dict[str, str]) -> schemathesis.Response:
    """``case`` sent to the service; any 5xx fails the test (schemathesis' own check)."""
    return case.call_and_validate(headers=dict(auth), checks=[not_a_server_error])


# -- generated requests ---------------------------------------------------------------------


@api.parametrize()
def test_no_generated_request_gets_a_5xx(
    case: schemathesis.Case[Any], auth: dict[str, str]
) -> None:
    _served(case, auth)


@pytest.mark.parametrize(
    ("error", "failure", "says"),
    [
        (EvaluationTimeout("over its budget"), FailureGroup, "Server error"),  # a 503 problem
        (RuntimeError("a bug"), RuntimeError, "a bug"),  # a 500, re-raised by the app
    ],
    ids=["5xx answer", "unexpected error"],
)
def test_a_5xx_fails_the_test(
    auth: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    failure: type[BaseException],
    says: str,
) -> None:
    """What the fuzzing rests on: a 5xx fails the test it happens in, never skips or passes."""

    def broken(rule: object) -> RuleOut:
        raise error

    case = api["/v1/rules"]["GET"].Case()
    assert _served(case, auth).status_code == 200
    monkeypatch.setattr(RuleOut, "of", broken)
    with pytest.raises(failure, match=says):
        _served(case, auth)


# -- the attacks of the security review, as explicit examples -------------------------------

QUERIES: list[tuple[str, list[Any], int, str]] = [
    ("add_working_days", ["2026-01-01", 300_000, None], 422, "not 300000"),
    ("add_working_days", ["9999-12-30", 5, None], 422, "after 9999-12-31"),
    ("add_working_days", ["1990-06-01", 1, None], 422, "before 1991-01-01"),
    ("add_days", ["2026-01-01", 3_000_000, None], 422, "outside 0001-01-01 to 9999-12-31"),
    ("add_days", ["9999-12-30", 5, None], 422, "outside 0001-01-01 to 9999-12-31"),
    ("add_days", ["1990-06-01", 1, None], 200, "1990-06-02"),  # no calendar: an answer
    ("request_customer", ["\ud800", None], 422, "lone surrogate"),  # was a 500
    ("add_days", ["\ud800", 1, None], 422, "lone surrogate"),
    ("request_customer", [None, "mod\udfff"], 422, "lone surrogate"),
]


@pytest.mark.parametrize(("predicate", "args", "status", "says"), QUERIES)
def test_a_hostile_query_is_answered_without_a_5xx(
    auth: dict[str, str], predicate: str, args: list[Any], status: int, says: str
) -> None:
    case = api["/v1/query"]["POST"].Case(body={"predicate": predicate, "args": args})
    response = _served(case, auth)
    assert response.status_code == status, response.text[:500]
    assert says in response.text


def test_a_lone_surrogate_in_a_query_argument_is_a_422_naming_it(auth: dict[str, str]) -> None:
    """Regression: the argument used to reach the answer and fail its serialization (500)."""
    case = api["/v1/query"]["POST"].Case(
        body={"predicate": "request_customer", "args": ["\ud800", None]}
    )
    problem = _served(case, auth).json()
    assert problem["code"] == "invalid_request"
    [item] = problem["problems"]
    assert item["field"] == "body.args.0"
    assert "lone surrogate (\\ud800)" in item["message"]


TRANSFERS: list[tuple[str, dict[str, Any], int, str]] = [
    ("customer", {**TRANSFER, "customer": "mod\ud800"}, 422, "body.customer"),
    ("secret", {**TRANSFER, "secrets": ["s1", "\udc00"]}, 422, "body.secrets.1"),
    ("assumed id", {**TRANSFER, "assume": [{**RECORD, "id": "r_\ud800"}]}, 422, "r_\\ud800"),
    (
        "assumed receipt",
        {**TRANSFER, "assume": [{**RECORD, "received": "1990-06-01"}]},
        422,
        "1990-06-01 is outside 1991-01-01",
    ),
    ("1000 secrets", {**TRANSFER, "secrets": [f"s{i}" for i in range(1000)]}, 422, "got 1000"),
    (
        "2 MB",
        {**TRANSFER, "assume": [{**RECORD, "note": "x" * 2_000_000}]},
        413,
        "larger than 1048576 bytes",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [attack[1:] for attack in TRANSFERS],
    ids=[attack[0] for attack in TRANSFERS],
)
def test_a_hostile_transfer_is_answered_without_a_5xx(
    auth: dict[str, str], body: dict[str, Any], status: int, says: str
) -> None:
    case = api["/v1/decisions/transfer"]["POST"].Case(body=body)
    response = _served(case, auth)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == ["application/problem+json"]
    problem = response.json()
    said = [problem["detail"], *(item["message"] for item in problem["problems"])]
    assert any(says in text for text in said), said


def test_the_transfer_attacked_is_allowed_as_it_stands(auth: dict[str, str]) -> None:
    """The examples above differ from an allowed what-if by their attack alone."""
    case = api["/v1/decisions/transfer"]["POST"].Case(body={**TRANSFER, "assume": [RECORD]})
    response = _served(case, auth)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["decision"] == "allowed"


def test_an_unknown_filter_on_the_decision_log_is_a_422(auth: dict[str, str]) -> None:
    case = api["/v1/decisions"]["GET"].Case(query={"customer": "mod", "colour": "red"})
    response = _served(case, auth)
    assert response.status_code == 422
    assert "colour" in response.text


def test_a_cursor_beyond_a_database_integer_is_a_422(auth: dict[str, str]) -> None:
    # Found by the generated cases (outside CI's fixed seed): an OverflowError in SQLite, a 500.
    case = api["/v1/decisions"]["GET"].Case(query={"before": "9223372036854775808"})
    response = _served(case, auth)
    assert response.status_code == 422, response.text[:500]
    assert "before" in response.text

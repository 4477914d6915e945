"""A decision the log could not commit is not served: the asker gets a problem, not an answer
(issue #14: nothing acknowledged may be lost, so nothing unlogged is acknowledged)."""

from __future__ import annotations

from pathlib import Path

import pytest

from decision_log_helpers import commits_fail
from policyeval.service import create_app
from service_auth import signed_in, toy_settings

BODY = {"customer": "mod", "executor": "acme", "secrets": ["s1"], "on": "2026-02-01"}


def test_a_decision_whose_log_write_fails_is_a_problem_not_an_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = toy_settings(tmp_path)
    with signed_in(create_app(settings), settings) as client:
        commits_fail(monkeypatch)  # the connections of the threads answering requests
        failed = client.post("/v1/decisions/transfer", json=BODY)
        assert failed.status_code == 503 and failed.headers["retry-after"] == "1"
        assert failed.headers["content-type"].startswith("application/problem+json")
        problem = failed.json()
        assert problem["code"] == "decision_not_logged" and "decision" not in problem
        assert "disk I/O error" in problem["detail"]
        assert client.get("/v1/decisions").json() == []

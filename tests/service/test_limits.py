"""The service's limits (issue #12): each a problem+json answer, never a hang. Each test is one
finding of the review; none waits on a timer (slots are held with events, budgets spent by a
clock that jumps)."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message

from paths import FACTS, POLICIES
from policyeval import DatedQueryResult, Snapshot
from policyeval.engine import budget
from policyeval.explain.proof import MAX_PROOF_DEPTH
from policyeval.service import Settings, create_app
from policyeval.service.limits import LimitsMiddleware
from service_auth import signed_in, toy_settings

PROBLEM_JSON = "application/problem+json"
BODY = {"customer": "mod", "executor": "acme", "secrets": ["s1"], "on": "2026-02-01"}
QUERY = {"predicate": "transfer_allowed", "args": ["mod", "acme", "s1", "2026-02-01"]}
SAFETY = 60.0
"""How long a test waits for its own background request to reach a point (never decides)."""


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = toy_settings(tmp_path, max_body_bytes=4096, max_secrets=3, max_assumed_records=2)
    with signed_in(create_app(settings), settings) as client:
        yield client


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code
    return body


# -- body size: a 10 MB body took 54 s and answered a 122 MB 404 -----------------------------


def test_a_body_over_the_limit_is_refused_by_its_length(client: TestClient) -> None:
    secrets = [f"unknown_{i}" for i in range(2000)]  # ~26 KB, each id once echoed before
    response = client.post("/v1/decisions/transfer", json={**BODY, "secrets": secrets})
    body = _problem(response, 413, "body_too_large")
    assert "4096 bytes" in body["detail"]
    assert len(response.content) < 500


def test_a_chunked_body_is_refused_once_it_streams_past_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"customer": "mod", "executor": "acme", "on": "2026-02-01", "secrets": ['
        yield b", ".join(b'"s%d"' % i for i in range(2000))
        yield b"]}"

    response = client.post(
        "/v1/decisions/transfer", content=chunks(), headers={"content-type": "application/json"}
    )
    _problem(response, 413, "body_too_large")
    assert client.post("/v1/decisions/transfer", json=BODY).status_code == 200


def test_the_middleware_reads_no_more_than_the_limit() -> None:
    """A 100 MB body ran on after its client gave up: here the body never ends, and the
    middleware stops reading one chunk past the limit."""
    read: list[int] = []
    sent: list[Message] = []

    async def endless() -> Message:
        read.append(1024)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive())["type"] == "http.request":
            pass  # reads until the body ends or the client is gone

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    asyncio.run(LimitsMiddleware(app, max_body_bytes=10_000)(scope, endless, send))
    assert sum(read) - 1024 <= 10_000 < sum(read)  # the chunk that passed it, no more
    assert sent[0]["status"] == 413


# -- per-request caps: 1,000 assumed secrets took 96 s ---------------------------------------


def test_too_many_secrets_or_assumed_records_are_a_422_naming_the_field(
    client: TestClient,
) -> None:
    response = client.post("/v1/decisions/transfer", json={**BODY, "secrets": ["s1"] * 4})
    body = _problem(response, 422, "invalid_request")
    assert [p["field"] for p in body["problems"]] == ["body.secrets"]
    assert "at most 3" in body["detail"]
    record = {"kind": "organization", "id": "x", "name": "X", "org_kind": "commercial"}
    assume = [{**record, "id": f"x{i}"} for i in range(3)]
    for path, payload in (
        ("/v1/decisions/transfer", {**BODY, "assume": assume}),
        ("/v1/query", {**QUERY, "assume": assume}),
    ):
        body = _problem(client.post(path, json=payload), 422, "invalid_request")
        assert [p["field"] for p in body["problems"]] == ["body.assume"]
    many_args = {**QUERY, "args": ["mod"] * 17}
    body = _problem(client.post("/v1/query", json=many_args), 422, "invalid_request")
    assert [p["field"] for p in body["problems"]] == ["body.args"]


# -- the time budget ---------------------------------------------------------------------------


def test_an_evaluation_over_its_budget_is_stopped_with_a_503(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = itertools.count(step=1000.0)  # each reading of the clock, 1000 s later
    monkeypatch.setattr(budget, "clock", lambda: next(ticks))
    for path, payload in (("/v1/decisions/transfer", BODY), ("/v1/query", QUERY)):
        response = client.post(path, json=payload)
        body = _problem(response, 503, "time_budget_exceeded")
        assert "time budget, 10 s" in body["detail"]
        assert response.headers["retry-after"] == "5"
    monkeypatch.undo()
    # The worker threads that were stopped answer the next questions right.
    assert client.post("/v1/decisions/transfer", json=BODY).json()["decision"] == "allowed"
    assert client.post("/v1/query", json=QUERY).json()["answers"]
    assert client.get("/v1/decisions", params={"limit": 10}).json()  # only the answered logged


# -- concurrency: 48 queries left /healthz unanswered for 41 s ----------------------------------


def test_health_answers_and_others_get_a_503_while_every_slot_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = toy_settings(tmp_path, max_concurrent_evaluations=1, evaluation_wait_seconds=0)
    started, release = threading.Event(), threading.Event()
    query = Snapshot.query

    def held(self: Snapshot, *args: Any, **kwargs: Any) -> DatedQueryResult:
        started.set()
        assert release.wait(SAFETY)
        return query(self, *args, **kwargs)

    monkeypatch.setattr(Snapshot, "query", held)
    with signed_in(create_app(settings), settings) as client:
        answers: list[Any] = []
        worker = threading.Thread(
            target=lambda: answers.append(client.post("/v1/query", json=QUERY))
        )
        worker.start()
        try:
            assert started.wait(SAFETY)  # the one slot is taken, by a query that waits
            assert client.get("/healthz").json()["status"] == "ok"
            response = client.post("/v1/decisions/transfer", json=BODY)
            _problem(response, 503, "busy")
            assert response.headers["retry-after"] == "1"
        finally:
            release.set()
            worker.join(SAFETY)
        assert answers[0].status_code == 200 and answers[0].json()["answers"]
        assert client.post("/v1/decisions/transfer", json=BODY).status_code == 200  # freed


# -- deep chains: a 200-deep ownership chain was a 500 (RecursionError) ------------------------


def _chained_world(tmp_path: Path, length: int) -> Settings:
    """The bundled world, with nurtech owned through a chain of ``length`` organizations
    o0 … o{length-1}, each owned by the next, the last foreign."""
    facts = tmp_path / "facts"
    shutil.copytree(FACTS, facts)
    lines = [
        f"- {{kind: organization, id: o{i}, name: O{i}, org_kind: "
        f"{'foreign' if i == length - 1 else 'commercial'}}}"
        for i in range(length)
    ]
    lines += [
        f"- {{kind: ownership, id: own_{i}, owner: o{i + 1}, owned: o{i}, percent: 100}}"
        for i in range(length - 1)
    ]
    lines.append("- {kind: ownership, id: own_nurtech, owner: o0, owned: nurtech, percent: 10}")
    (facts / "chain.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Settings(
        policies=POLICIES,
        facts=facts,
        decision_log=tmp_path / "var" / "decisions.sqlite3",
        credentials=tmp_path / "var" / "credentials.json",
        scenarios=tmp_path / "scenarios",
    )


DEEP = {"customer": "kazspecmash", "executor": "nurtech", "secrets": ["doc_1"], "on": "2026-03-10"}


def test_a_deep_ownership_chain_is_decided_explained_and_reported(tmp_path: Path) -> None:
    settings = _chained_world(tmp_path, MAX_PROOF_DEPTH - 8)
    with signed_in(create_app(settings), settings) as client:
        response = client.post("/v1/decisions/transfer", json=DEEP, params={"explain": "full"})
        assert response.status_code == 200, response.text
        decision = response.json()
        assert decision["decision"] == "refused"
        assert any("foreign participation" in r["text"] for r in decision["reasons"])
        logged = client.get(f"/v1/decisions/{decision['decision_id']}?explain=full")
        assert logged.status_code == 200, logged.text
        report = client.get(f"/v1/decisions/{decision['decision_id']}/report")
        assert report.status_code == 200, report.text
        chain = {"predicate": "foreign_participation", "args": ["nurtech", "2026-03-10"]}
        answered = client.post("/v1/query", json=chain)
        assert answered.status_code == 200 and answered.json()["answers"]


def test_a_200_deep_chain_is_a_422_naming_the_limit(tmp_path: Path) -> None:
    settings = _chained_world(tmp_path, 200)
    with signed_in(create_app(settings), settings) as client:
        response = client.post("/v1/decisions/transfer", json=DEEP)
        body = _problem(response, 422, "limit_exceeded")
        assert "MAX_PROOF_DEPTH" in body["detail"]

"""The HTTP service on the toy rules and facts: decisions with their diagnostics, problem+json
errors, what-if isolation, reload, the decision log, and that requests carry only constants."""

from __future__ import annotations

import gc
import shutil
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paths import FIXTURES
from policyeval import Snapshot, load
from policyeval.service import Settings, create_app, reloads
from policyeval.service import state as state_module
from service_auth import bearer, signed_in

PROBLEM_JSON = "application/problem+json"
ON = "2026-02-01"

ANSWER_FOR_S2 = {
    "kind": "answer",
    "id": "ans2",
    "request": "r1",
    "by": "mod",
    "decision": "granted",
    "date": "2026-01-15",
    "secrets": ["s2"],
}


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    """Settings over a private copy of the toy fixtures, which a test may break."""
    shutil.copytree(FIXTURES / "toy_policies", tmp_path / "policies")
    shutil.copytree(FIXTURES / "toy_facts", tmp_path / "facts")
    return Settings(
        policies=tmp_path / "policies",
        facts=tmp_path / "facts",
        decision_log=tmp_path / "var" / "decisions.sqlite3",
        scenarios=tmp_path / "scenarios",
        credentials=tmp_path / "var" / "credentials.json",
    )


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with signed_in(create_app(settings), settings) as client:
        yield client


def transfer(client: TestClient, headers: dict[str, str] | None = None, **overrides: Any) -> Any:
    """Ask whether `mod` may transfer `s1` to `acme` on ON, with fields overridden."""
    body: dict[str, Any] = {"customer": "mod", "executor": "acme", "secrets": ["s1"], "on": ON}
    body.update(overrides)
    return client.post("/v1/decisions/transfer", json=body, headers=headers)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert "Traceback" not in response.text
    return problem


# -- decisions ------------------------------------------------------------------------------


def test_an_allowed_transfer_carries_its_proof_down_to_the_facts(client: TestClient) -> None:
    response = transfer(client)
    assert response.status_code == 200
    decision = response.json()
    assert decision["decision"] == "allowed"
    assert decision["question"] == "may `mod` transfer `s1` to `acme` on 2026-02-01?"
    assert decision["reasons"] == []
    # By default the clauses the decision rests on; the proof tree is one request away.
    (secret,) = decision["per_secret"]
    assert (secret["secret"], secret["decision"]) == ("s1", "allowed")
    assert secret["clauses"] == ["3", "3.1", "3.2", "11"] and "proof" not in secret
    full = client.get(f"/v1/decisions/{decision['decision_id']}", params={"explain": "full"})
    proof = full.json()["detail"]["per_secret"][0]["proof"]
    assert proof["rule"] == "toy.transfer" and proof["clause"] == "3"
    assert [child["clause"] for child in proof["children"]] == ["3.1", "3.2", "11"]
    assert "proof" not in client.get(f"/v1/decisions/{decision['decision_id']}").text
    assert len(decision["decision_id"]) == 32
    health = client.get("/healthz").json()
    assert decision["policy_version"] == health["policy_version"]
    assert decision["facts_version"] == health["facts_version"]


def test_one_refused_secret_refuses_the_transfer_and_names_the_clause(client: TestClient) -> None:
    decision = transfer(client, secrets=["s1", "s2"]).json()
    assert decision["decision"] == "refused"
    by_secret = {item["secret"]: item for item in decision["per_secret"]}
    assert by_secret["s1"]["decision"] == "allowed"
    assert by_secret["s2"]["decision"] == "refused"
    (reason,) = decision["reasons"]
    assert (reason["clause"], reason["rule"], reason["secrets"]) == (
        "3.1",
        "toy.permission",
        ["s2"],
    )
    assert reason["text"] == (
        "not established that mod received written permission, by 2026-02-01, to transfer s2 "
        "to acme"
    )
    assert reason["missing"] == ["the `answer` ans1 does not have `secrets` s2 (it has s1)"]
    assert reason["conditions"] == ["answer_secret(ans1, s2)"]
    [repair] = by_secret["s2"]["repairs"]["repairs"]
    assert [change["text"] for change in repair["changes"]] == [
        "add s2 to `secrets` of the `answer` ans1"
    ]


def test_the_explanation_level_says_how_much_a_decision_carries(client: TestClient) -> None:
    body = {"customer": "mod", "executor": "acme", "secrets": ["s1", "s2"], "on": ON}
    url = "/v1/decisions/transfer"
    bare = client.post(url, json=body, params={"explain": "none"}).json()
    assert bare["decision"] == "refused" and "reasons" not in bare
    assert all(
        set(item) == {"secret", "decision", "clauses", "rules"} for item in bare["per_secret"]
    )
    default = client.post(url, json=body).json()
    assert default["reasons"] and "why_not" not in default["per_secret"][1]
    full = client.post(url, json=body, params={"explain": "full"}).json()
    assert full["per_secret"][0]["proof"]["rule"] == "toy.transfer"
    assert full["per_secret"][1]["why_not"]["kind"] == "not_derivable"
    # `none` is the cheap path: nothing but the answer was sought, so nothing more is logged.
    cheap = client.get(f"/v1/decisions/{bare['decision_id']}", params={"explain": "full"})
    assert cheap.json()["detail"]["per_secret"][1]["why_not"] is None
    logged = client.get(f"/v1/decisions/{default['decision_id']}", params={"explain": "full"})
    assert logged.json()["detail"]["per_secret"][1]["why_not"] == full["per_secret"][1]["why_not"]
    assert_problem(client.post(url, json=body, params={"explain": "everything"}), 422)


def test_reasons_shared_by_several_secrets_are_given_once(client: TestClient) -> None:
    decision = transfer(client, executor="beta", secrets=["s1", "s2"]).json()
    assert decision["decision"] == "refused"
    rules = [reason["rule"] for reason in decision["reasons"]]
    # The permission differs per secret; the agreement and the permit are the executor's.
    assert rules.count("toy.permission") == 2
    assert rules.count("toy.agreement") == 1
    assert rules.count("toy.permit") == 1
    assert {reason["clause"] for reason in decision["reasons"]} == {"3.1", "3.2", "11"}


def test_an_assumed_fact_changes_one_decision_only(client: TestClient) -> None:
    what_if = transfer(client, secrets=["s2"], assume=[ANSWER_FOR_S2]).json()
    assert what_if["decision"] == "allowed"
    assert what_if["assumed"] > 0
    what_if = client.get(
        f"/v1/decisions/{what_if['decision_id']}", params={"explain": "full"}
    ).json()["detail"]
    permission = what_if["per_secret"][0]["proof"]["children"][0]
    sources = {child["source"]["file"] for child in permission["children"] if child["source"]}
    assert "<assume>" in sources
    assert transfer(client, secrets=["s2"]).json()["decision"] == "refused"


def test_an_invalid_assumed_record_is_a_located_fact_problem(client: TestClient) -> None:
    bad = {**ANSWER_FOR_S2, "request": "nowhere"}
    problem = assert_problem(transfer(client, assume=[bad]), 422)
    assert problem["code"] == "fact_error"
    assert any(p["location"].startswith("<assume>:1") for p in problem["problems"])


# -- invalid requests -----------------------------------------------------------------------


@pytest.mark.parametrize("on", ["2026-13-01", "01.02.2026", 20260201])
def test_a_malformed_date_is_422_naming_the_field(client: TestClient, on: object) -> None:
    problem = assert_problem(transfer(client, on=on), 422)
    assert problem["code"] == "invalid_request"
    assert [p["field"] for p in problem["problems"]] == ["body.on"]


def test_a_missing_field_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post(
        "/v1/decisions/transfer", json={"customer": "mod", "secrets": ["s1"], "on": ON}
    )
    problem = assert_problem(response, 422)
    assert [p["field"] for p in problem["problems"]] == ["body.executor"]
    assert problem["problems"][0]["code"] == "missing"


def test_an_unknown_executor_is_404_naming_it(client: TestClient) -> None:
    problem = assert_problem(transfer(client, executor="zeta", secrets=["s1", "s9"]), 404)
    assert problem["code"] == "unknown_entity"
    assert "executor `zeta`" in problem["detail"]
    assert [p["message"] for p in problem["problems"]] == [
        "unknown executor `zeta`",
        "unknown secret `s9`",
    ]


def test_an_unknown_route_is_a_problem_too(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing"), 404)


def test_an_unexpected_failure_is_a_500_problem_without_internals(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("policyeval.service.routers.decisions.decide_transfer", explode)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False, headers=bearer(settings)) as client:
        problem = assert_problem(transfer(client), 500)
    assert "secret internals" not in str(problem)
    assert problem["code"] == "internal_error"


# -- queries --------------------------------------------------------------------------------


def test_query_takes_dates_and_nulls(client: TestClient) -> None:
    response = client.post(
        "/v1/query", json={"predicate": "executor_permitted", "args": [None, ON], "proofs": False}
    )
    assert response.status_code == 200
    result = response.json()
    assert [answer["values"] for answer in result["answers"]] == [["acme", ON]]
    assert result["answers"][0]["proof"] is None


def test_query_without_answers_says_why_not(client: TestClient) -> None:
    result = client.post(
        "/v1/query", json={"predicate": "executor_permitted", "args": ["beta", ON]}
    ).json()
    assert result["answers"] == []
    assert [reason["rule"] for reason in result["reasons"]] == ["toy.permit"]


def test_query_arguments_are_only_constants(client: TestClient, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    injection = f"__import__('os').system('touch {marker}')"
    response = client.post(
        "/v1/query",
        json={"predicate": "transfer_allowed", "args": [injection, "acme", "s1", ON]},
    )
    assert response.status_code == 200
    assert response.json()["answers"] == []
    assert not marker.exists()
    # The predicate must be a name: Datalog source is refused before it reaches the engine.
    source = client.post("/v1/query", json={"predicate": "p(X) :- q(X)", "args": [injection]})
    assert [p["field"] for p in assert_problem(source, 422)["problems"]] == ["body.predicate"]
    assert not marker.exists()


def test_a_malformed_question_is_a_query_problem(client: TestClient) -> None:
    response = client.post("/v1/query", json={"predicate": "no_such_thing", "args": []})
    assert assert_problem(response, 422)["code"] == "query_error"
    response = client.post("/v1/query", json={"predicate": "organization", "args": [1.5]})
    assert assert_problem(response, 422)["code"] == "invalid_request"


# -- rules, clauses, schema -----------------------------------------------------------------


def test_rules_are_listed_with_their_datalog_and_place(client: TestClient) -> None:
    rules = client.get("/v1/rules").json()
    assert [rule["id"] for rule in rules] == [
        "toy.transfer",
        "toy.permission",
        "toy.agreement",
        "toy.permit",
    ]
    permit = client.get("/v1/rules/toy.permit").json()
    assert permit["clause"] == "11"
    assert permit["datalog"].startswith("executor_permitted(E, D) :- permit_holder(P, E),")
    assert permit["location"].endswith("transfer.md:55")
    assert_problem(client.get("/v1/rules/toy.nothing"), 404)


def test_clauses_give_the_quoted_text_and_their_rules(client: TestClient) -> None:
    clauses = client.get("/v1/clauses").json()
    assert [clause["clause"] for clause in clauses] == ["3", "3.1", "3.2", "11"]
    one = client.get("/v1/clauses/3.1").json()
    assert one["title"] == "Permission"
    assert one["text"].startswith("1) receipt by the customer from the state body")
    assert one["rules"] == ["toy.permission"]
    assert_problem(client.get("/v1/clauses/99"), 404)


def test_the_fact_file_schema_is_served(client: TestClient) -> None:
    schema = client.get("/v1/facts/schema").json()
    assert "organization" in str(schema)


def test_openapi_documents_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/decisions/transfer", "/v1/query", "/v1/reload", "/healthz"} <= set(paths)
    assert client.get("/docs").status_code == 200


# -- reload ---------------------------------------------------------------------------------


def test_reload_serves_the_new_versions(client: TestClient, settings: Settings) -> None:
    before = client.get("/healthz").json()
    rules = settings.policies / "transfer.md"
    rules.write_text(rules.read_text(encoding="utf-8") + "\nA note.\n", encoding="utf-8")
    response = client.post("/v1/reload?wait=true")
    assert response.status_code == 200
    reloaded = response.json()
    assert reloaded["previous_policy_version"] == before["policy_version"]
    assert reloaded["policy_version"] != before["policy_version"]
    assert reloaded["facts_version"] == before["facts_version"]
    assert client.get("/healthz").json()["policy_version"] == reloaded["policy_version"]
    assert transfer(client).json()["policy_version"] == reloaded["policy_version"]


def _reloaded(client: TestClient) -> str:
    """Start a reload, wait for it to finish, and return its id."""
    job_id = str(client.post("/v1/reload").json()["id"])
    job = cast(FastAPI, client.app).state.service.loader.job(job_id)
    assert job.done.wait(60)
    return job_id


def test_a_replaced_snapshot_is_let_go_and_the_load_history_is_bounded(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load job keeps the versions it served, not the snapshots: each reload would otherwise
    keep the whole world it replaced alive."""
    monkeypatch.setattr(reloads, "KEPT_JOBS", 2)
    state = cast(FastAPI, client.app).state.service
    first = weakref.ref(state.snapshot)
    ids = [_reloaded(client) for _ in range(3)]
    for warming in state.warming:  # a warm-up holds its snapshot while it runs
        warming.join()
    gc.unfreeze()  # what was kept out of the collector's way: a test looks at everything
    gc.collect()
    assert first() is None
    assert [client.get(f"/v1/reload/{i}").status_code for i in ids] == [404, 200, 200]
    latest = client.get(f"/v1/reload/{ids[-1]}").json()["result"]
    assert latest["previous_facts_version"] == latest["facts_version"]


def test_what_a_load_made_is_frozen_before_the_collector_runs_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the start and at a reload the heap is settled (frozen) with the collector still off:
    turned on first, its first pass would walk every object the load made once more."""
    settled: list[tuple[bool, bool]] = []
    settle = state_module.settle_heap

    def recording(*, collect: bool) -> None:
        settled.append((collect, gc.isenabled()))
        settle(collect=collect)

    monkeypatch.setattr(state_module, "settle_heap", recording)
    gc.enable()
    with signed_in(create_app(settings), settings) as client:
        assert settled[0] == (False, False)  # the start
        assert gc.isenabled()
        assert client.post("/v1/reload?wait=true").status_code == 200
        assert (True, False) in settled  # the reload's swap
        assert gc.isenabled()


def test_a_failed_reload_lists_every_problem_and_keeps_serving(
    client: TestClient, settings: Settings
) -> None:
    before = client.get("/healthz").json()
    rules = settings.policies / "transfer.md"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("Day <= D.", "Day <= D"), encoding="utf-8"
    )
    facts = settings.facts / "world.yaml"
    facts.write_text(
        facts.read_text(encoding="utf-8").replace("executor: acme", "executor: nobody"),
        encoding="utf-8",
    )
    problem = assert_problem(client.post("/v1/reload?wait=true"), 422)
    texts = [p["text"] for p in problem["problems"]]
    assert any("transfer.md:" in text and ": parse_error: " in text for text in texts)
    assert any("world.yaml:" in text and "unknown_reference" in text for text in texts)
    assert client.get("/healthz").json() == before
    assert transfer(client).json()["decision"] == "allowed"


def test_a_request_answers_from_the_snapshot_it_started_with(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reload landing while a what-if request is answered changes nothing for that request:
    its records are checked against, and decided on, the version it started with."""
    state = cast(FastAPI, client.app).state.service  # the app create_app built
    started_with = state.snapshot
    facts = settings.facts / "world.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + "\n# another version\n", "utf-8")
    newer = load(settings.policies, settings.facts, settings.scenarios)
    assert newer.facts_version != started_with.facts_version
    checked_against: list[str] = []
    check_assumed = Snapshot.assumed

    def reload_midway(self: Snapshot, records: list[dict[str, Any]], file: str = "") -> Any:
        checked_against.append(self.facts_version)
        state.snapshot = newer  # what `POST /v1/reload` does, in one assignment
        return check_assumed(self, records)

    monkeypatch.setattr(Snapshot, "assumed", reload_midway)
    decided = transfer(client, assume=[ANSWER_FOR_S2], secrets=["s2"]).json()
    assert checked_against == [started_with.facts_version]
    assert decided["facts_version"] == started_with.facts_version
    assert decided["decision"] == "allowed"
    logged = client.get(f"/v1/decisions/{decided['decision_id']}").json()
    assert logged["facts_version"] == started_with.facts_version
    # The next request sees the new version, whole.
    assert client.get("/healthz").json()["facts_version"] == newer.facts_version


def test_a_reload_swaps_one_snapshot_with_its_clause_index(
    client: TestClient, settings: Settings
) -> None:
    state = cast(FastAPI, client.app).state.service  # the app create_app built
    before = state.snapshot
    rules = settings.policies / "transfer.md"
    rules.write_text(rules.read_text(encoding="utf-8") + "\nA note.\n", encoding="utf-8")
    assert client.post("/v1/reload?wait=true").status_code == 200
    after = state.snapshot
    assert after is not before
    assert after.policy_version != before.policy_version
    assert after.knowledge_base.policy_version == after.policy_version
    assert after.fact_base is not before.fact_base
    assert [c.clause for c in after.clauses] == [
        c["clause"] for c in client.get("/v1/clauses").json()
    ]


def test_the_clause_index_is_not_read_from_disk_on_requests(
    client: TestClient, settings: Settings
) -> None:
    scenarios = settings.scenarios
    scenarios.mkdir(exist_ok=True)
    (scenarios / "new.yaml").write_text(
        "name: added after the start\nclause: '11'\n"
        "question: {predicate: transfer_allowed, args: [mod, acme, s1, 2026-02-01]}\n"
        "expect: {decision: allowed}\n",
        encoding="utf-8",
    )
    entry = client.get("/v1/clauses/11").json()
    assert "new.yaml" not in entry["scenarios"]
    assert client.post("/v1/reload?wait=true").status_code == 200
    assert "new.yaml" in client.get("/v1/clauses/11").json()["scenarios"]


# -- decision log ---------------------------------------------------------------------------


def test_the_decision_log_survives_a_restart(settings: Settings) -> None:
    officer = bearer(settings, "officer-7", ["officer"], ["mod"])
    with TestClient(create_app(settings)) as client:
        decision = transfer(client, headers={**officer, "X-Asked-By": "officer-9"})
        decision_id = decision.json()["decision_id"]
        other = bearer(settings, "officer-8", ["officer"], ["mod"])
        second = transfer(client, secrets=["s2"], headers=other).json()["decision_id"]
    with signed_in(create_app(settings), settings, name="auditor-1", roles=["auditor"]) as client:
        logged = client.get(f"/v1/decisions/{decision_id}").json()
        # The asker is the credential's name, whatever header the client set.
        assert logged["asked_by"] == "officer-7"
        assert logged["decision"] == "allowed"
        assert "toy.transfer" in logged["detail"]["per_secret"][0]["rules"]
        refused = client.get(f"/v1/decisions/{second}").json()
        assert (refused["asked_by"], refused["decision"]) == ("officer-8", "refused")
        assert refused["detail"]["reasons"][0]["clause"] == "3.1"
        recent = client.get("/v1/decisions").json()
        assert [entry["decision_id"] for entry in recent] == [second, decision_id]
        assert_problem(client.get("/v1/decisions/0123456789abcdef"), 404)


def test_concurrent_decisions_are_correct_and_all_logged(client: TestClient) -> None:
    cases = [(["s1"], "allowed"), (["s2"], "refused"), (["s1", "s2"], "refused")] * 8

    def ask(case: tuple[list[str], str]) -> tuple[str, str, str]:
        decision = transfer(client, secrets=case[0]).json()
        return decision["decision_id"], decision["decision"], case[1]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(ask, cases))
    assert all(got == expected for _, got, expected in results)
    logged = client.get("/v1/decisions", params={"limit": 100}).json()
    assert {entry["decision_id"] for entry in logged} == {id_ for id_, _, _ in results}

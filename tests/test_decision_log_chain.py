"""The decision log as evidence: its hash chain finds the first entry edited, deleted or moved,
what-ifs are marked and left out unless asked, its columns are filtered, its files are the
owner's only, and the CLI's decisions are logged. Each test is a finding of issue #12."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from decision_log_helpers import AT, decision
from paths import TOY_FACTS, TOY_POLICIES
from policyeval import DecisionFilter, DecisionLog, DecisionLogError
from policyeval.cli import app as cli
from policyeval.service import Settings, create_app
from service_auth import signed_in


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "decisions.sqlite3"


@pytest.fixture()
def log(path: Path) -> DecisionLog:
    """A log of three decisions: d0001 allowed, d0002 refused (asked by officer-7), d0003."""
    log = DecisionLog(path)
    log.record(decision(1), "officer-7", AT)
    log.record(decision(2, "s2"), "officer-7", AT)
    log.record(decision(3), "auditor-1", AT)
    return log


def sql(path: Path, statement: str) -> None:
    """Change the file behind the log's back, as anyone with the file could."""
    with sqlite3.connect(path) as db:
        db.execute(statement)


# -- the chain ------------------------------------------------------------------------------


def test_an_intact_log_verifies_and_its_head_names_the_last_entry(log: DecisionLog) -> None:
    assert log.verify() is None
    head = log.head()
    record = log.get("d0003")
    assert record is not None
    assert (head.seq, head.entry_hash, record.seq) == (3, record.entry_hash, 3)


def test_a_row_edited_with_sqlite3_is_found_and_not_served(log: DecisionLog, path: Path) -> None:
    sql(path, "UPDATE decisions SET decision = 'allowed', asked_by = 'officer-9' WHERE seq = 2")
    broken = log.verify()
    assert broken is not None
    assert (broken.seq, broken.name) == (2, "d0002")
    assert "changed after it was logged" in str(broken)
    with pytest.raises(DecisionLogError, match="entry 2"):
        log.get("d0002")
    assert log.get("d0001") is not None  # the entries before it still stand


def test_a_deleted_row_is_found_and_is_not_just_unknown(log: DecisionLog, path: Path) -> None:
    sql(path, "DELETE FROM decisions WHERE seq = 2")
    broken = log.verify()
    assert broken is not None and broken.seq == 2 and "missing" in broken.problem
    with pytest.raises(DecisionLogError, match="lost 1 of its 3 entries"):
        log.get("d0002")
    with pytest.raises(DecisionLogError, match="entry 2"):
        log.get("d0003")  # its predecessor is gone


def test_deleting_the_last_entries_leaves_the_log_shorter_than_its_head(
    log: DecisionLog, path: Path
) -> None:
    sql(path, "DELETE FROM decisions WHERE seq = 3")
    broken = log.verify()
    assert broken is not None and broken.seq == 3 and "head is entry 3" in broken.problem


def test_reordered_rows_are_found_at_the_first_moved(log: DecisionLog, path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE decisions SET seq = -1 WHERE seq = 2")
        db.execute("UPDATE decisions SET seq = 2 WHERE seq = 3")
        db.execute("UPDATE decisions SET seq = 3 WHERE seq = -1")
    broken = log.verify()
    assert broken is not None and (broken.seq, broken.name) == (2, "d0003")
    assert "does not follow entry 1" in broken.problem


def test_a_rewritten_chain_is_found_by_the_head_exported_before(
    log: DecisionLog, path: Path
) -> None:
    exported = log.head()
    # Whoever rewrites the whole log can make it consistent again, but not the exported head.
    sql(path, "DELETE FROM decisions WHERE seq = 3")
    sql(
        path,
        "UPDATE decision_log_head SET seq = 2, entry_hash = (SELECT entry_hash FROM "
        "decisions WHERE seq = 2)",
    )
    assert log.verify() is None
    broken = log.verify(exported)
    assert broken is not None and broken.seq == 3 and "exported" in broken.problem


def test_concurrent_writers_keep_one_chain(path: Path) -> None:
    log = DecisionLog(path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: log.record(decision(n), "officer", AT), range(40)))
    assert log.verify() is None and log.head().seq == 40
    assert len(log.search(DecisionFilter(limit=1000))) == 40


def test_an_old_log_is_chained_when_migrated(path: Path) -> None:
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.executescript(
            """CREATE TABLE decisions (decision_id TEXT PRIMARY KEY, asked_by TEXT NOT NULL,
            question TEXT NOT NULL, decision TEXT NOT NULL, detail TEXT NOT NULL,
            policy_version TEXT NOT NULL, facts_version TEXT NOT NULL, recorded_at TEXT NOT NULL,
            redaction TEXT NOT NULL DEFAULT '');
            PRAGMA user_version = 2;"""
        )
        old = decision(1, "s2")
        db.execute(
            "INSERT INTO decisions VALUES (?, 'officer', ?, ?, ?, 'p', 'f', ?, 'r')",
            (old.decision_id, old.question, old.decision, old.model_dump_json(), AT.isoformat()),
        )
    log = DecisionLog(path)
    record = log.get("d0001")
    assert record is not None
    assert (record.seq, record.customer, record.secrets, record.on) == (1, "mod", ["s2"], old.on)
    log.record(decision(2), "officer", AT)
    assert log.verify() is None and log.head().seq == 2


# -- what the log holds ---------------------------------------------------------------------


def test_what_ifs_are_marked_and_left_out_unless_asked(log: DecisionLog) -> None:
    log.record(decision(4, "s2", assumed=1, decision="allowed"), "lawyer-1", AT)
    what_if = log.get("d0004")
    assert what_if is not None and what_if.hypothetical
    assert "d0004" not in [r.decision_id for r in log.search()]
    assert [r.decision_id for r in log.search(DecisionFilter(hypothetical="true"))] == ["d0004"]
    assert len(log.search(DecisionFilter(hypothetical="any"))) == 4


def test_the_columns_are_filtered_and_paged(log: DecisionLog) -> None:
    def ids(**filters: object) -> list[str]:
        return [r.decision_id for r in log.search(DecisionFilter.model_validate(filters))]

    assert ids() == ["d0003", "d0002", "d0001"]
    assert ids(asked_by="officer-7") == ["d0002", "d0001"]
    assert ids(asked_by="nobody") == []
    assert ids(decision="refused") == ["d0002"]
    assert ids(secret="s2") == ["d0002"]
    assert ids(customer="mod", executor="acme", on="2026-02-01") == ["d0003", "d0002", "d0001"]
    assert ids(on_from="2026-02-02") == [] and ids(on_to="2026-02-01") != []
    assert ids(limit=2) == ["d0003", "d0002"] and ids(limit=2, before=2) == ["d0001"]
    with pytest.raises(ValueError, match="asker"):
        DecisionFilter.model_validate({"asker": "nobody"})


def test_the_full_tree_is_stored_once_and_trimmed_when_listed(log: DecisionLog) -> None:
    full = log.get("d0001")
    assert full is not None and "proof" in json.dumps(full.detail)
    listed = log.search(DecisionFilter(explain="reasons"))
    assert "proof" not in json.dumps([r.detail for r in listed])


def test_the_files_are_the_owners_only(log: DecisionLog, path: Path) -> None:
    files = [path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")]
    assert all(file.exists() for file in files)
    assert {stat.S_IMODE(file.stat().st_mode) for file in files} == {0o600}
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


# -- the service ----------------------------------------------------------------------------


@pytest.fixture()
def settings(tmp_path: Path, path: Path) -> Settings:
    return Settings(
        policies=TOY_POLICIES,
        facts=TOY_FACTS,
        decision_log=path,
        credentials=tmp_path / "var" / "credentials.json",
        scenarios=tmp_path / "scenarios",
    )


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with signed_in(create_app(settings), settings, name="officer-7") as client:
        yield client


BODY = {"customer": "mod", "executor": "acme", "secrets": ["s1"], "on": "2026-02-01"}
WHAT_IF = {
    **BODY,
    "secrets": ["s2"],
    "assume": [
        {
            "kind": "answer",
            "id": "ans2",
            "request": "r1",
            "by": "mod",
            "decision": "granted",
            "date": "2026-01-15",
            "secrets": ["s2"],
        }
    ],
}


def test_the_service_filters_pages_and_refuses_unknown_filters(client: TestClient) -> None:
    real = [client.post("/v1/decisions/transfer", json=BODY).json() for _ in range(3)]
    what_if = client.post("/v1/decisions/transfer", json=WHAT_IF).json()
    assert what_if["assumed"] > 0

    def ids(response: object) -> list[str]:
        return [entry["decision_id"] for entry in response.json()]  # type: ignore[attr-defined]

    assert ids(client.get("/v1/decisions")) == [d["decision_id"] for d in reversed(real)]
    assert ids(client.get("/v1/decisions", params={"hypothetical": "true"})) == [
        what_if["decision_id"]
    ]
    assert client.get("/v1/decisions", params={"hypothetical": "true"}).json()[0]["hypothetical"]
    assert ids(client.get("/v1/decisions", params={"asked_by": "nobody"})) == []
    assert len(ids(client.get("/v1/decisions", params={"asked_by": "officer-7"}))) == 3
    first = client.get("/v1/decisions", params={"limit": 2})
    assert ids(first) == [real[2]["decision_id"], real[1]["decision_id"]]
    following = first.headers["link"].split(">")[0].lstrip("<")
    assert ids(client.get(following)) == [real[0]["decision_id"]]
    unknown = client.get("/v1/decisions", params={"asker": "nobody", "limit": 5000})
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    fields = {problem["field"] for problem in unknown.json()["problems"]}
    assert fields == {"query.asker", "query.limit"}


def test_the_service_does_not_serve_an_edited_decision(client: TestClient, path: Path) -> None:
    decided = client.post("/v1/decisions/transfer", json={**BODY, "secrets": ["s2"]}).json()
    assert decided["decision"] == "refused"
    sql(path, "UPDATE decisions SET decision = 'allowed', asked_by = 'officer-9'")
    response = client.get(f"/v1/decisions/{decided['decision_id']}")
    assert response.status_code == 500
    assert "fails verification" in response.json()["detail"]


# -- the command ----------------------------------------------------------------------------


def test_decide_logs_its_decision_and_log_verify_checks_it(path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    target = ["--decision-log", str(path)]
    question = ["--customer", "mod", "--executor", "acme", "--secret", "s1", "--on", "2026-02-01"]
    toy = ["--policies", str(TOY_POLICIES), "--facts", str(TOY_FACTS), "--json"]
    decided = runner.invoke(cli, ["decide", *question, *toy, *target])
    assert decided.exit_code == 0, decided.output
    decision_id = json.loads(decided.stdout)["decision_id"]
    logged = DecisionLog(path).get(decision_id)
    assert logged is not None and logged.asked_by.startswith("cli:")

    verified = runner.invoke(cli, ["log", "verify", *target])
    assert verified.exit_code == 0, verified.output
    assert "intact: 1 entries" in verified.stdout
    head = runner.invoke(cli, ["log", "head", *target])
    assert head.exit_code == 0 and json.loads(head.stdout)["seq"] == 1
    exported = tmp_path / "head.json"
    exported.write_text(head.stdout, encoding="utf-8")

    sql(path, "UPDATE decisions SET asked_by = 'officer-9'")
    broken = runner.invoke(cli, ["log", "verify", *target, "--expect-head", str(exported)])
    assert broken.exit_code == 1
    assert f"entry 1 ({decision_id}): its content was changed" in broken.stdout
    missing = runner.invoke(cli, ["log", "verify", "--decision-log", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no decision log" in missing.output


def test_decide_logs_to_the_services_log_by_default(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYEVAL_DECISION_LOG", str(path))
    question = ["--customer", "mod", "--executor", "acme", "--secret", "s2", "--on", "2026-02-01"]
    toy = ["--policies", str(TOY_POLICIES), "--facts", str(TOY_FACTS)]
    assert CliRunner().invoke(cli, ["decide", *question, *toy]).exit_code == 1  # refused
    (record,) = DecisionLog(path).search()
    assert (record.decision, record.secrets) == ("refused", ["s2"])
    assert record.recorded_at <= dt.datetime.now(dt.UTC)

"""Which redaction of the decree answers: declared by each rule directory, picked by the
question's date, named in every decision, query, log row and CLI output, and warned about when a
later redaction, whose text is not here, may be in force on that date."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paths import FACTS, POLICIES, TOY_FACTS, TOY_POLICIES, TOY_REDACTIONS
from policyeval import (
    DecisionLog,
    RuleSyntaxError,
    Snapshot,
    TransferDecision,
    decide_transfer,
    load,
    load_rules,
)
from policyeval.cli import app
from policyeval.service import Settings, create_app
from service_auth import signed_in

FIRST, SECOND = TOY_REDACTIONS / "first", TOY_REDACTIONS / "second"
BEFORE_SECOND, AFTER_SECOND = dt.date(2026, 2, 1), dt.date(2026, 4, 1)
NOTICE = {
    "kind": "notice",
    "id": "n1",
    "customer": "mod",
    "authority": "knb",
    "date": "2026-03-15",
    "secrets": ["s1"],
}


def decide(snapshot: Snapshot, on: dt.date, **kwargs: Any) -> TransferDecision:
    """May `mod` transfer `s1` to `acme` on ``on``, by the rules in force then?"""
    rules = snapshot.in_force(on)
    return decide_transfer(
        rules.evaluator(),
        "mod",
        "acme",
        ["s1"],
        on,
        snapshot.assumed(kwargs.get("assume", [])),
        redaction=rules.redaction,
        warnings=rules.warnings,
    )


def codes(decision: TransferDecision) -> list[str]:
    return [warning.code for warning in decision.warnings]


@pytest.fixture(scope="module")
def both() -> Snapshot:
    return load([SECOND, FIRST], TOY_FACTS)


@pytest.fixture(scope="module")
def bundled() -> Snapshot:
    return load(POLICIES, FACTS)


# -- the bundled rules: the 2021 redaction, and a warning from the 2024 one's earliest day ----


def test_the_bundled_rules_declare_the_2021_redaction_and_its_period() -> None:
    redaction = load_rules(POLICIES).redaction
    assert redaction.redaction == "2021"
    assert redaction.enacted_by == "Decree of the Government No. 259 of 22 April 2021"
    assert (redaction.in_force.earliest, redaction.in_force.exact) == (dt.date(2021, 5, 2), False)
    (later,) = redaction.later
    assert later.redaction == "2024" and "No. 458 of 12 June 2024" in later.enacted_by
    assert (later.in_force.earliest, later.in_force.exact) == (dt.date(2024, 6, 22), False)


def test_a_bundled_decision_after_2024_warns_that_a_later_redaction_may_be_in_force(
    bundled: Snapshot,
) -> None:
    rules = bundled.in_force(dt.date(2026, 3, 10))
    decision = decide_transfer(
        rules.evaluator(),
        "kazspecmash",
        "nurtech",
        ["doc_1"],
        dt.date(2026, 3, 10),
        redaction=rules.redaction,
        warnings=rules.warnings,
    )
    assert decision.decision == "allowed"
    assert decision.redaction.redaction == "2021"
    assert "not before 2024-06-22" in decision.redaction.period
    (warning,) = decision.warnings
    assert warning.code == "later_redaction"
    assert "Decree of the Government No. 458 of 12 June 2024" in warning.message
    assert "not before 2024-06-22" in warning.message
    assert "may not be the law on 2026-03-10" in warning.message


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2024, 6, 21), []),
        (dt.date(2022, 1, 10), []),
        (dt.date(2024, 6, 22), ["later_redaction"]),
        (dt.date(2021, 5, 1), ["not_yet_in_force"]),
    ],
)
def test_the_bundled_warnings_by_date(bundled: Snapshot, day: dt.date, expected: list[str]) -> None:
    rules = bundled.in_force(day)
    assert rules.redaction.redaction == "2021"
    assert [warning.code for warning in rules.warnings] == expected


def test_the_cli_prints_the_warning_and_the_redaction_of_a_bundled_decision() -> None:
    args = ["--customer", "kazspecmash", "--executor", "nurtech", "--secret", "doc_1"]
    sources = ["--policies", str(POLICIES), "--facts", str(FACTS)]
    result = CliRunner().invoke(app, ["decide", *args, "--on", "2026-03-10", *sources])
    assert result.exit_code == 0, result.output
    assert "warning (later_redaction): on 2026-03-10 a later redaction may be in force" in (
        result.stdout
    )
    assert "rules of the 2021 redaction (Decree of the Government No. 259" in result.stdout
    early = CliRunner().invoke(app, ["decide", *args, "--on", "2024-06-21", *sources])
    assert "warning" not in early.stdout
    assert "rules of the 2021 redaction" in early.stdout


# -- two redactions side by side: the question's date picks --------------------------------


def test_each_date_is_answered_by_the_rules_of_its_period(both: Snapshot) -> None:
    before, after = decide(both, BEFORE_SECOND), decide(both, AFTER_SECOND)
    assert (before.decision, before.redaction.redaction, before.warnings) == (
        "allowed",
        "toy-2021",
        [],
    )
    assert (after.decision, after.redaction.redaction, after.warnings) == (
        "refused",
        "toy-2026",
        [],
    )
    assert [(r.clause, r.rule) for r in after.reasons] == [("3.3", "toy2.notice")]
    assert "toy.transfer" in before.per_secret[0].rules


def test_the_second_redactions_rules_allow_once_its_condition_is_met(both: Snapshot) -> None:
    decision = decide(both, AFTER_SECOND, assume=[NOTICE])
    assert (decision.decision, decision.redaction.redaction) == ("allowed", "toy-2026")
    assert "toy2.transfer" in decision.per_secret[0].rules


def test_without_the_second_redactions_rules_the_first_answers_with_a_warning() -> None:
    alone = load(FIRST, TOY_FACTS)
    decision = decide(alone, AFTER_SECOND)
    assert (decision.decision, decision.redaction.redaction) == ("allowed", "toy-2021")
    (warning,) = decision.warnings
    assert warning.code == "later_redaction" and "toy-2026" in warning.message


def test_the_periods_meet_where_the_second_enters_into_force(both: Snapshot) -> None:
    first, second = both.redactions
    assert first.redaction == "toy-2021" and first.ends == second.starts
    assert first.period.endswith(
        "(Toy Decree No. 2 of 1 February 2026) enters into force, on 2026-03-01"
    )
    assert both.in_force(dt.date(2026, 2, 28)).redaction.redaction == "toy-2021"
    assert both.in_force(dt.date(2026, 3, 1)).redaction.redaction == "toy-2026"
    assert second.ends is not None and second.ends.earliest == dt.date(2027, 1, 1)


def test_a_known_redaction_without_rules_here_is_warned_about(both: Snapshot) -> None:
    warnings = both.in_force(dt.date(2027, 2, 1)).warnings
    assert [w.code for w in warnings] == ["later_redaction"]
    assert "toy-2027" in warnings[0].message and "toy-2026" in warnings[0].message


def test_a_date_before_every_redaction_is_warned_about(both: Snapshot) -> None:
    rules = both.in_force(dt.date(2020, 1, 1))
    assert rules.redaction.redaction == "toy-2021"
    assert [w.code for w in rules.warnings] == ["not_yet_in_force"]


def test_an_inexact_entry_into_force_warns_that_the_previous_may_still_govern(
    tmp_path: Path,
) -> None:
    second = tmp_path / "second"
    shutil.copytree(SECOND, second)
    declaration = second / "redaction.yaml"
    text = declaration.read_text(encoding="utf-8").replace("exact: true", "exact: false")
    declaration.write_text(text, encoding="utf-8")
    rules = load([FIRST, second], TOY_FACTS).in_force(AFTER_SECOND)
    (warning,) = rules.warnings
    assert warning.code == "uncertain_start"
    assert "toy-2021" in warning.message and "not before 2026-03-01" in warning.message


def test_the_snapshot_serves_the_latest_redaction_by_default(both: Snapshot) -> None:
    assert both.knowledge_base is both.editions[-1].knowledge_base
    assert both.evaluator().ask("notice_sent", ["mod", "s1", AFTER_SECOND]) == []
    earlier = both.evaluator(BEFORE_SECOND).knowledge_base.rules.rules
    assert "toy2.notice" not in {rule.id for rule in earlier}
    versions = {edition.knowledge_base.policy_version for edition in both.editions}
    assert len(versions) == 2 and both.policy_version not in versions


def test_a_query_is_answered_by_the_redaction_of_its_date(both: Snapshot) -> None:
    args: list[Any] = ["mod", "acme", "s1"]
    before = both.query("transfer_allowed", [*args, BEFORE_SECOND])
    after = both.query("transfer_allowed", [*args, AFTER_SECOND])
    assert (len(before.answers), before.redaction.redaction, before.on) == (
        1,
        "toy-2021",
        BEFORE_SECOND,
    )
    assert (len(after.answers), after.redaction.redaction) == (0, "toy-2026")
    dated = both.query("secret", ["s1"], on=BEFORE_SECOND)
    assert (dated.on, dated.redaction.redaction) == (BEFORE_SECOND, "toy-2021")


def test_rules_without_a_declaration_say_so_in_every_decision() -> None:
    snapshot = load(TOY_POLICIES, TOY_FACTS)
    decision = decide(snapshot, BEFORE_SECOND)
    assert decision.redaction.redaction == "undeclared"
    assert codes(decision) == ["undeclared"]
    bare = decide_transfer(snapshot.evaluator(), "mod", "acme", ["s1"], BEFORE_SECOND)
    assert bare.redaction.redaction == "undeclared" and codes(bare) == ["undeclared"]


# -- declarations that are refused ----------------------------------------------------------


def copy_redactions(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(FIRST, first)
    shutil.copytree(SECOND, second)
    return first, second


def test_a_directory_beside_others_must_declare_its_redaction(tmp_path: Path) -> None:
    first, second = copy_redactions(tmp_path)
    (second / "redaction.yaml").unlink()
    with pytest.raises(RuleSyntaxError) as raised:
        load([first, second], TOY_FACTS)
    assert [p.code for p in raised.value.problems] == ["bad_redaction"]
    assert "must declare its redaction" in raised.value.problems[0].message


def test_two_redactions_from_one_day_are_refused(tmp_path: Path) -> None:
    first, second = copy_redactions(tmp_path)
    declaration = second / "redaction.yaml"
    text = declaration.read_text(encoding="utf-8").replace("2026-03-01", "2021-05-02")
    declaration.write_text(text.replace("toy-2026", "toy-2021"), encoding="utf-8")
    with pytest.raises(RuleSyntaxError) as raised:
        load([first, second], TOY_FACTS)
    messages = [p.message for p in raised.value.problems]
    assert any("enter into force on one day, 2021-05-02" in m for m in messages)
    assert any("the toy-2021 redaction is declared twice" in m for m in messages)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("redaction: x\n", "enacted_by: Field required"),
        ("!!python/object/apply:os.system [echo no]\n", "cannot read it"),
        ("redaction: [unclosed\n", "cannot read it"),
        (
            "redaction: x\ntitle: t\nenacted_by: e\nin_force: {earliest: 2021-01-01}\nrun: x\n",
            "run: Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_declaration_is_located_and_never_run(
    tmp_path: Path, text: str, expected: str
) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(FIRST, policies)
    (policies / "redaction.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleSyntaxError) as raised:
        load_rules(policies)
    problem = raised.value.problems[0]
    assert problem.code == "bad_redaction" and expected in problem.message
    assert problem.location is not None and problem.location.file.endswith("redaction.yaml")


def test_the_declaration_is_part_of_the_policy_version(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(FIRST, policies)
    before = load_rules(policies).version
    declaration = policies / "redaction.yaml"
    declaration.write_text(
        declaration.read_text(encoding="utf-8").replace("exact: false", "exact: true", 1),
        encoding="utf-8",
    )
    assert load_rules(policies).version != before


# -- the service, the CLI and the decision log ---------------------------------------------


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        policies=FIRST,
        redactions=[SECOND],
        facts=TOY_FACTS,
        decision_log=tmp_path / "decisions.sqlite3",
        scenarios=tmp_path / "scenarios",
        credentials=tmp_path / "credentials.json",
    )
    with signed_in(create_app(settings), settings) as client:
        yield client


def test_the_service_answers_by_the_redaction_of_the_date(client: TestClient) -> None:
    body = {"customer": "mod", "executor": "acme", "secrets": ["s1"]}
    before = client.post("/v1/decisions/transfer", json={**body, "on": "2026-02-01"}).json()
    after = client.post("/v1/decisions/transfer", json={**body, "on": "2026-04-01"}).json()
    assert (before["decision"], before["redaction"]["redaction"]) == ("allowed", "toy-2021")
    assert (after["decision"], after["redaction"]["redaction"]) == ("refused", "toy-2026")
    late = client.post("/v1/decisions/transfer", json={**body, "on": "2027-02-01"}).json()
    assert [w["code"] for w in late["warnings"]] == ["later_redaction"]
    logged = client.get(f"/v1/decisions/{after['decision_id']}").json()
    assert logged["redaction"] == "toy-2026" and logged["detail"]["redaction"] == after["redaction"]
    health = client.get("/healthz").json()
    assert [r["redaction"] for r in health["redactions"]] == ["toy-2021", "toy-2026"]


def test_the_service_query_names_its_redaction(client: TestClient) -> None:
    query = {"predicate": "transfer_allowed", "args": ["mod", "acme", "s1", "2026-02-01"]}
    answered = client.post("/v1/query", json=query).json()
    assert (len(answered["answers"]), answered["redaction"]["redaction"]) == (1, "toy-2021")
    later = client.post("/v1/query", json={**query, "on": "2027-02-01"}).json()
    assert later["redaction"]["redaction"] == "toy-2026" and later["on"] == "2027-02-01"
    assert [w["code"] for w in later["warnings"]] == ["later_redaction"]


def test_the_cli_takes_several_redactions_and_names_the_one_that_answered() -> None:
    sources = ["--policies", str(FIRST), "--policies", str(SECOND), "--facts", str(TOY_FACTS)]
    question = ["--customer", "mod", "--executor", "acme", "--secret", "s1"]
    after = CliRunner().invoke(app, ["decide", *question, "--on", "2026-04-01", *sources])
    assert after.exit_code == 1, after.output
    assert "rule toy2.notice" in after.stdout
    assert "rules of the toy-2026 redaction (Toy Decree No. 2 of 1 February 2026)" in after.stdout
    query = ["query", "transfer_allowed", "mod", "acme", "s1", "2026-02-01", *sources]
    answered = CliRunner().invoke(app, query)
    assert answered.exit_code == 0, answered.output
    assert "rules of the toy-2021 redaction" in answered.stdout


_OLD_SCHEMA = """
CREATE TABLE decisions (
    decision_id TEXT PRIMARY KEY, asked_by TEXT NOT NULL, question TEXT NOT NULL,
    decision TEXT NOT NULL, detail TEXT NOT NULL, policy_version TEXT NOT NULL,
    facts_version TEXT NOT NULL, recorded_at TEXT NOT NULL
);
INSERT INTO decisions VALUES
    ('old', 'officer', 'may?', 'allowed', '{}', 'p', 'f', '2025-01-01T00:00:00+00:00');
"""


def test_a_log_written_before_redactions_is_migrated_and_stays_readable(
    tmp_path: Path, both: Snapshot
) -> None:
    path = tmp_path / "decisions.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(_OLD_SCHEMA)
    log = DecisionLog(path)
    old = log.get("old")
    assert old is not None and old.redaction is None and old.decision == "allowed"
    decision = decide(both, AFTER_SECOND)
    log.record(decision, "officer")
    assert [(r.decision_id, r.redaction) for r in log.recent()] == [
        (decision.decision_id, "toy-2026"),
        ("old", None),
    ]
    assert DecisionLog(path).get("old") is not None  # opening it again migrates nothing
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)  # 3: the hash chain

"""The ``policyeval`` command on the toy rules and facts: located problems and exit codes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from paths import TOY_FACTS as FACTS
from paths import TOY_POLICIES as POLICIES
from policyeval.cli import app

SOURCES = ["--policies", str(POLICIES), "--facts", str(FACTS)]
ON = "2026-02-01"

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def decide(*args: str) -> Result:
    return run("decide", "--customer", "mod", "--on", ON, *SOURCES, *args)


# -- check ----------------------------------------------------------------------------------


def test_check_passes_on_good_rules_and_facts() -> None:
    result = run("check", *SOURCES)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ok: 4 rules, 4 clauses"


def test_check_prints_every_problem_located(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    rules = policies / "transfer.md"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("Day <= D.", "Day <= D"), encoding="utf-8")
    (policies / "extra.md").write_text(
        "## 4. Request\n\n```datalog\n"
        '@id("toy.extra") @clause("4") @reading("{C} asked")\n'
        "asked(C) :- request_customer(R, C), not refused(R, X).\n```\n",
        encoding="utf-8",
    )
    result = run("check", "--policies", str(policies), "--facts", str(FACTS))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    located = re.compile(r"^\S+:\d+:\d+: [a-z_]+: .+$")
    assert lines and all(located.match(line) for line in lines), lines
    assert any(f"{rules}:" in line and ": parse_error: " in line for line in lines)


def test_check_reports_rule_check_problems(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    (policies / "extra.md").write_text(
        "## 4. Request\n\n```datalog\n"
        '@id("toy.extra") @clause("4") @reading("{C} asked")\n'
        "asked(C) :- request_customer(R, C), not refused(R, X).\n```\n",
        encoding="utf-8",
    )
    result = run("check", "--policies", str(policies), "--facts", str(FACTS))
    assert result.exit_code == 1
    assert f"{policies / 'extra.md'}:5:" in result.stdout
    assert "unknown_predicate" in result.stdout or "unsafe_variable" in result.stdout


def test_facts_validate(tmp_path: Path) -> None:
    ok = run("facts", "validate", str(FACTS))
    assert ok.exit_code == 0 and ok.stdout.startswith("ok: ")
    broken = tmp_path / "facts"
    shutil.copytree(FACTS, broken)
    world = broken / "world.yaml"
    world.write_text(
        world.read_text(encoding="utf-8").replace("date: 2026-01-10", "date: 2026-01-99"),
        encoding="utf-8",
    )
    result = run("facts", "validate", str(broken))
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(str(world))}:\d+:\d+: invalid_field: ", result.stderr)


# -- decide ---------------------------------------------------------------------------------


def test_decide_allowed_exits_0_with_the_clauses_and_with_the_proof_when_asked() -> None:
    result = decide("--executor", "acme", "--secret", "s1")
    assert result.exit_code == 0, result.output
    assert "ALLOWED" in result.stdout
    assert "secret s1: allowed, by clauses 3, 3.1, 3.2, 11" in result.stdout
    assert "permit_holder" not in result.stdout
    result = decide("--executor", "acme", "--secret", "s1", "--explain", "full")
    assert "toy.permit, clause 11" in result.stdout
    assert "permit_holder(pm1, acme)" in result.stdout


def test_decide_refused_exits_1_with_the_reasons() -> None:
    result = decide("--executor", "acme", "--secret", "s1", "--secret", "s2")
    assert result.exit_code == 1, result.output
    assert "REFUSED" in result.stdout
    assert "clause 3.1, rule toy.permission" in result.stdout
    assert "fails: the `answer` ans1 does not have `secrets` s2 (it has s1)" in result.stdout


def test_decide_json_is_the_transfer_decision() -> None:
    result = decide("--executor", "beta", "--secret", "s1", "--json")
    assert result.exit_code == 1
    decision = json.loads(result.stdout)
    assert decision["decision"] == "refused"
    assert {reason["clause"] for reason in decision["reasons"]} == {"3.1", "3.2", "11"}


def test_decide_with_assumed_facts(tmp_path: Path) -> None:
    assumed = tmp_path / "what-if.yaml"
    assumed.write_text(
        "- kind: answer\n  id: ans2\n  request: r1\n  by: mod\n  decision: granted\n"
        "  date: 2026-01-15\n  secrets: [s2]\n",
        encoding="utf-8",
    )
    result = decide("--executor", "acme", "--secret", "s2", "--assume", str(assumed))
    assert result.exit_code == 0, result.output
    assert decide("--executor", "acme", "--secret", "s2").exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "zeta", "--secret", "s1"], "error: the facts do not know executor `zeta`"),
        (["--executor", "acme", "--secret", "s1", "--on", "2026-13-01"], "2026-13-01"),
    ],
)
def test_decide_errors_exit_2(args: list[str], message: str) -> None:
    result = decide(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_broken_rules_exit_2_listing_the_problems(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    rules = policies / "transfer.md"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("Day <= D.", "Day <= D"), encoding="utf-8"
    )
    result = run(
        "decide", "--customer", "mod", "--executor", "acme", "--secret", "s1", "--on", ON,
        "--policies", str(policies), "--facts", str(FACTS),
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("error: rule files do not parse")
    assert f"{rules}:" in result.stderr


# -- query and explain ----------------------------------------------------------------------


def test_query_prints_the_answers() -> None:
    result = run("query", "executor_permitted", "Who", ON, "--no-proofs", *SOURCES)
    assert result.exit_code == 0, result.output
    assert "acme" in result.stdout and "2026-02-01" in result.stdout
    assert "toy.permit" not in result.stdout


def test_query_json_and_no_answers() -> None:
    result = run("query", "answer_secret", "_", "s2", "--json", *SOURCES)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["answers"] == []
    found = run("query", "answer_secret", "ans1", "_", "--json", *SOURCES)
    assert [a["values"] for a in json.loads(found.stdout)["answers"]] == [["ans1", "s1"]]


def test_query_of_an_unknown_predicate_exits_2() -> None:
    result = run("query", "nothing", "x", *SOURCES)
    assert result.exit_code == 2
    assert "error: unknown predicate `nothing`" in result.stderr


def test_explain_shows_why_not() -> None:
    result = run("explain", "transfer_allowed", "mod", "beta", "s1", ON, *SOURCES)
    assert result.exit_code == 1, result.output  # not established
    assert "rule toy.permit (clause 11)" in result.stdout
    assert "missing fact: permit_holder(_, beta)" in result.stdout


def test_explain_shows_the_proof() -> None:
    result = run("explain", "executor_permitted", "acme", ON, *SOURCES)
    assert "executor_permitted(acme, 2026-02-01)  [toy.permit, clause 11]" in result.stdout


# -- clauses and scenarios ------------------------------------------------------------------


def test_clauses_index_rules_and_citing_scenarios(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "no_agreement.yaml").write_text(
        "name: no agreement, no transfer\n"
        'clause: "3.2"\n'
        "base: toy_facts\n"
        "question: {predicate: transfer_allowed, args: [mod, acme, s1, 2026-01-15]}\n"
        'expect: {decision: refused, cites: ["3.2"]}\n',
        encoding="utf-8",
    )
    result = run("clauses", "--policies", str(POLICIES), "--scenarios", str(scenarios), "--json")
    assert result.exit_code == 0, result.output
    entries = {entry["clause"]: entry for entry in json.loads(result.stdout)}
    assert list(entries) == ["3", "3.1", "3.2", "11"]
    assert entries["3.2"]["rules"] == ["toy.agreement"]
    assert entries["3.2"]["scenarios"] == ["no_agreement.yaml"]
    assert entries["3.1"]["scenarios"] == []
    table = run("clauses", "--policies", str(POLICIES), "--scenarios", str(scenarios))
    assert "toy.permission" in table.stdout and "no_agreement.yaml" in table.stdout


def test_serve_checks_the_rules_first_and_hands_the_app_to_uvicorn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, object] = {}

    def fake_run(app: object, host: str, port: int) -> None:
        served.update(app=app, host=host, port=port)

    monkeypatch.setattr("uvicorn.run", fake_run)
    log = tmp_path / "log.sqlite3"
    result = run("serve", *SOURCES, "--port", "8801", "--decision-log", str(log))
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 8801)
    broken = run("serve", "--policies", str(tmp_path), "--facts", str(FACTS))
    assert broken.exit_code == 2
    assert "error: no rule files under" in broken.stderr

"""The scenario runner on the toy rules and facts: decisions and the clauses they must cite,
worlds built by ``remove`` and ``overlay`` that never leak, located errors, the clause index and
the ``test`` and ``clauses`` commands."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paths import FIXTURES
from paths import TOY_POLICIES as POLICIES
from paths import TOY_SCENARIOS as SCENARIOS
from policyeval.cli import app
from policyeval.errors import ScenarioError
from policyeval.explain.reasons import Reason
from policyeval.language.parser import parse_rule_file
from policyeval.loading import load_facts, load_rules
from policyeval.scenarios import runner as runner_module
from policyeval.scenarios.clause_index import clause_index, render_clause_index_markdown
from policyeval.scenarios.format import Scenario, load_scenarios
from policyeval.scenarios.judge import citation_failures
from policyeval.scenarios.runner import ScenarioRunner, run_scenarios

PASSING = sorted((SCENARIOS / "pass").glob("*.yaml"))

QUESTION = "question: {predicate: transfer_allowed, args: [mod, acme, s1, 2026-02-01]}\n"
HEADER = "name: a toy scenario\nclause: '3'\nbase: toy_facts\n"


@pytest.fixture(scope="module")
def runner() -> ScenarioRunner:
    """One runner for the module: rules compiled once, as in a real run."""
    return ScenarioRunner(POLICIES, FIXTURES)


def scenario(path: Path) -> Scenario:
    [loaded] = load_scenarios([path])
    return loaded


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(exc: pytest.ExceptionInfo[ScenarioError]) -> list[str]:
    return [str(problem) for problem in exc.value.problems]


# -- decisions and citations ----------------------------------------------------------------


@pytest.mark.parametrize("file", PASSING, ids=[file.stem for file in PASSING])
def test_the_passing_toy_scenarios_pass(runner: ScenarioRunner, file: Path) -> None:
    result = runner.run(scenario(file))
    assert result.passed, "\n".join(result.failures)


def test_an_allowed_scenario_carries_the_proof_of_its_first_answer(runner: ScenarioRunner) -> None:
    result = runner.run(
        scenario(SCENARIOS / "pass/allowed_with_permission_agreement_and_permit.yaml")
    )
    assert (result.expected, result.decision, result.answers) == ("allowed", "allowed", 1)
    assert result.proof is not None and result.proof.rule == "toy.transfer"
    assert result.question == "transfer_allowed(mod, acme, s1, 2026-02-01)"


def test_a_refusal_passes_when_it_cites_exactly_the_expected_clause(runner: ScenarioRunner) -> None:
    result = runner.run(scenario(SCENARIOS / "pass/refused_without_permission.yaml"))
    assert result.passed and result.decision == "refused"
    assert result.cited == ["3.1"]
    assert [reason.rule for reason in result.reasons] == ["toy.permission"]


def test_a_cited_sub_clause_counts_for_the_expected_parent(runner: ScenarioRunner) -> None:
    result = runner.run(
        scenario(SCENARIOS / "pass/refused_cites_a_sub_clause_of_the_expected_clause.yaml")
    )
    assert result.passed and (result.expected_cites, result.cited) == (["3"], ["3.1"])


def test_a_refusal_citing_a_clause_the_scenario_did_not_break_fails(runner: ScenarioRunner) -> None:
    result = runner.run(scenario(SCENARIOS / "fail/cites_a_clause_the_scenario_did_not_break.yaml"))
    assert not result.passed and result.cited == ["3.1", "3.2"]
    assert result.failures == [
        "cites 3.2 which the scenario did not break: rule toy.agreement — not established that "
        "mod and acme concluded an agreement for joint work by 2026-01-05 (2026-01-20 "
        "(`concluded` of the `agreement` ag1) is after 2026-01-05 (D))"
    ]


def test_a_refusal_missing_an_expected_clause_fails(runner: ScenarioRunner) -> None:
    result = runner.run(scenario(SCENARIOS / "fail/misses_an_expected_clause.yaml"))
    assert result.failures == ["expected a reason citing 11 but got none; the reasons cite 3.1"]


def test_expected_allowed_but_refused_lists_the_reasons(runner: ScenarioRunner) -> None:
    result = runner.run(scenario(SCENARIOS / "fail/expects_allowed_but_refused.yaml"))
    [failure] = result.failures
    assert failure.startswith(
        "expected allowed but refused: reasons clause 3.1, rule toy.permission"
    )
    assert "clause 11, rule toy.permit — not established that beta holds a permit" in failure
    assert "(no `permit` record with `holder` beta)" in failure


def test_expected_refused_but_allowed_names_the_answer_and_its_rules(
    runner: ScenarioRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, HEADER + QUESTION + "expect: {decision: refused, cites: ['3']}\n")
    [failure] = runner.run(scenario(path)).failures
    assert failure == (
        "expected refused but allowed: 1 answer: (mod, acme, s1, 2026-02-01), the first by rules "
        "toy.agreement, toy.permission, toy.permit, toy.transfer"
    )


def test_a_wrong_number_of_answers_fails(runner: ScenarioRunner, tmp_path: Path) -> None:
    question = "question: {predicate: transfer_allowed, args: [mod, acme, null, 2026-02-01]}\n"
    path = write(tmp_path, HEADER + question + "expect: {decision: allowed, answers: 2}\n")
    [failure] = runner.run(scenario(path)).failures
    assert failure.startswith("expected 2 answers but got 1 answer: (mod, acme, s1, 2026-02-01)")


@pytest.mark.parametrize(
    ("expected", "cited", "failures"),
    [
        (["8"], ["8.4"], 0),
        (["8"], ["8", "8.4.1"], 0),
        (["8"], ["80"], 2),  # 8 is not cited, and 80 is not expected
        (["3.1"], ["3"], 2),  # a parent does not stand for its sub-clause
        (["3.1", "11"], ["3.1"], 1),
    ],
)
def test_citations_must_match_exactly_up_to_sub_clauses(
    expected: list[str], cited: list[str], failures: int
) -> None:
    reasons = [Reason(clause=c, rule=f"r{c}", text="t", missing=[]) for c in cited]
    assert len(citation_failures(expected, reasons)) == failures


# -- worlds: remove and overlay -------------------------------------------------------------


def test_remove_and_overlay_do_not_leak_into_later_scenarios(runner: ScenarioRunner) -> None:
    plain = scenario(SCENARIOS / "pass/allowed_with_permission_agreement_and_permit.yaml")
    without_permit = scenario(SCENARIOS / "pass/refused_when_the_permit_is_removed.yaml")
    granted_map = scenario(SCENARIOS / "pass/allowed_once_the_map_is_granted_too.yaml")
    map_refused = scenario(SCENARIOS / "pass/refused_without_permission.yaml")
    results = [runner.run(s) for s in (without_permit, plain, granted_map, map_refused, plain)]
    assert [r.decision for r in results] == ["refused", "allowed", "allowed", "refused", "allowed"]
    assert all(r.passed for r in results)


def test_the_world_is_the_base_minus_removed_plus_overlay(runner: ScenarioRunner) -> None:
    plain = runner.world(scenario(SCENARIOS / "pass/refused_without_permission.yaml"))
    removed = runner.world(scenario(SCENARIOS / "pass/refused_when_the_permit_is_removed.yaml"))
    added = runner.world(scenario(SCENARIOS / "pass/allowed_once_the_map_is_granted_too.yaml"))
    plain_kb, removed_kb = plain.knowledge_base, removed.knowledge_base
    assert not removed_kb.facts.holds("permit", ("pm1",)) and plain_kb.facts.holds(
        "permit", ("pm1",)
    )
    # An overlay is assumed on the base's served knowledge base, as the service's what-if is.
    assert added.knowledge_base is plain_kb  # compiled once
    assert ("answer_secret", ("ans2", "s2")) in {(f.predicate, f.args) for f in added.assumed}
    assert not plain_kb.store.holds("answer_secret", ("ans2", "s2"))
    # The served program: tables and slices, not the rules compiled as written.
    assert plain_kb.program is not plain_kb.plain


def test_removing_an_unknown_record_is_an_error_naming_it(
    runner: ScenarioRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, HEADER + "remove: [pm2]\n" + QUESTION + "expect: {decision: allowed}\n")
    with pytest.raises(ScenarioError) as exc:
        runner.run(scenario(path))
    assert problems(exc) == [
        f"{path}:4:10: unknown_record: cannot remove `pm2`: no record of the base facts has that "
        "id (did you mean `pm1`?)"
    ]


def test_removing_a_record_others_name_reports_every_dangling_reference(
    runner: ScenarioRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, HEADER + "remove: [acme]\n" + QUESTION + "expect: {decision: allowed}\n")
    with pytest.raises(ScenarioError) as exc:
        runner.run(scenario(path))
    found = problems(exc)
    assert len(found) == 3
    assert all(f"{path}:4:10: dangling_reference: removing `acme`" in p for p in found)
    assert any("request `r1` (" in p and "in field `executor`" in p for p in found)
    assert any("permit `pm1` (" in p and "in field `holder`" in p for p in found)


def test_a_removed_record_may_be_restored_by_the_overlay(
    runner: ScenarioRunner, tmp_path: Path
) -> None:
    text = (
        HEADER
        + "remove: [r1]\n"
        + "overlay:\n"
        + "  - {kind: request, id: r1, customer: mod, addressee: mod, executor: acme,"
        + " secrets: [s1]}\n"
        + QUESTION
        + "expect: {decision: allowed}\n"
    )
    assert runner.run(scenario(write(tmp_path, text))).passed


def test_an_invalid_overlay_record_is_located_in_the_scenario_file(
    runner: ScenarioRunner, tmp_path: Path
) -> None:
    text = (
        HEADER
        + "overlay:\n"
        + "  - {kind: permit, id: pm2, holder: gamma, number: P-18, issued: 2026-01-01,"
        + " valid_until: 2027-01-01, issuer: knb}\n"
        + "  - {kind: answer, id: ans2, request: r1, by: mod, decison: granted,"
        + " date: 2026-01-15, secrets: [s2]}\n"
        + QUESTION
        + "expect: {decision: allowed}\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as exc:
        runner.run(scenario(path))
    assert problems(exc) == [
        f"{path}:5:5: unknown_reference: overlay: permit `pm2`: field `holder`: "
        "no `organization` called `gamma`",
        f"{path}:6:5: missing_field: overlay: answer `ans2`: missing field `decision`",
        f"{path}:6:5: unknown_field: overlay: answer `ans2`: unknown field `decison` "
        "(did you mean `decision`?)",
    ]


# -- scenario files -------------------------------------------------------------------------


def test_a_malformed_scenario_file_is_an_error_naming_file_and_field(tmp_path: Path) -> None:
    text = (
        "name: a malformed scenario\n"
        "clause: 3,1\n"
        "question:\n"
        "  predicate: transfer_allowed\n"
        "  args: [mod, true, s1]\n"
        "expects: {decision: refused}\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as exc:
        load_scenarios([path])
    assert exc.value.code == "scenario_error"
    assert problems(exc) == [
        f"{path}:1:1: missing_field: missing field `expect`",
        f"{path}:2:9: invalid_field: field `clause`: string should match pattern "
        "'^\\d+(?:\\.\\d+)*$' (got `3,1`)",
        f"{path}:5:15: invalid_field: field `question.args[1]`: an argument is a symbol, "
        "string, integer or date, or null for any (got `True`)",
        f"{path}:6:1: unknown_field: unknown field `expects` (did you mean `expect`?)",
    ]


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ("{decision: refused}", "a refusal must list in `cites` the clauses its reasons cite"),
        ("{decision: allowed, cites: ['3']}", "`cites` lists what a refusal cites"),
        ("{decision: refused, cites: ['3'], answers: 2}", "a refusal has no answers"),
        ("{decision: maybe}", "input should be 'allowed' or 'refused'"),
    ],
)
def test_an_expectation_must_be_consistent(tmp_path: Path, expect: str, message: str) -> None:
    path = write(tmp_path, HEADER + QUESTION + f"expect: {expect}\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenarios([path])
    [problem] = problems(exc)
    assert problem.startswith(f"{path}:5:") and message in problem


def test_yaml_errors_duplicate_keys_and_impossible_dates_are_located(tmp_path: Path) -> None:
    bad_yaml = write(tmp_path, "name: [unclosed\n", "a.yaml")
    twice = write(tmp_path, HEADER + "name: again\n", "b.yaml")
    impossible = write(tmp_path, "name: x\nclause: '3'\ndate: 2026-02-30\n", "c.yaml")
    with pytest.raises(ScenarioError) as exc:
        load_scenarios([tmp_path])
    found = problems(exc)
    assert found[0].startswith(f"{bad_yaml}:2:1: yaml_error: invalid YAML")
    assert found[1] == f"{twice}:4:1: duplicate_key: key `name` is written twice in one mapping"
    assert found[2].startswith(f"{impossible}:3:7: yaml_error: invalid YAML: `2026-02-30` is not")


def test_values_are_read_as_written(tmp_path: Path) -> None:
    text = (
        "name: a scenario\nclause: 3.10\nquestion:\n  predicate: p\n"
        "  args: [2026-02-01, '2026-02-01', 42, no, null]\n"
        "expect: {decision: refused, cites: [8, 3.20]}\n"
    )
    loaded = scenario(write(tmp_path, text))
    assert loaded.clause == "3.10" and loaded.spec.expect.cites == ["8", "3.20"]
    assert loaded.spec.question.args == [dt.date(2026, 2, 1), "2026-02-01", 42, "no", None]
    assert loaded.exercised == ["3.10", "3.20", "8"]


def test_a_question_the_rules_cannot_answer_is_located_at_the_question(
    runner: ScenarioRunner, tmp_path: Path
) -> None:
    text = (
        HEADER + "question: {predicate: transfer_allowd, args: []}\nexpect: {decision: allowed}\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as exc:
        runner.run(scenario(path))
    assert problems(exc) == [f"{path}:4:11: invalid_question: unknown predicate `transfer_allowd`"]


def test_a_missing_base_directory_is_located_at_base(
    runner: ScenarioRunner, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        HEADER.replace("toy_facts", "nowhere") + QUESTION + "expect: {decision: allowed}\n",
    )
    with pytest.raises(ScenarioError) as exc:
        runner.run(scenario(path))
    assert problems(exc) == [
        f"{path}:3:7: missing_base: no fact directory `nowhere` under `{FIXTURES}`"
    ]


def test_load_scenarios_reads_directories_sorted_and_reports_missing_paths(tmp_path: Path) -> None:
    loaded = load_scenarios([SCENARIOS / "pass"])
    assert [Path(s.file).name for s in loaded] == [file.name for file in PASSING]
    with pytest.raises(ScenarioError) as exc:
        load_scenarios([tmp_path / "nothing"])
    assert problems(exc) == [f"{tmp_path / 'nothing'}:1:1: missing_file: no such file or directory"]


def test_a_run_parses_rules_and_each_base_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counting(name: str, load: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object) -> object:
            calls.append(name)
            return load(*args)

        return wrapper

    monkeypatch.setattr(runner_module, "load_rules", counting("rules", load_rules))
    monkeypatch.setattr(runner_module, "load_facts", counting("facts", load_facts))
    results = run_scenarios([SCENARIOS / "pass", SCENARIOS / "fail"], POLICIES, FIXTURES)
    assert len(results) == 8 and sorted(calls) == ["facts", "rules"]


# -- the clause index -----------------------------------------------------------------------


def test_the_clause_index_lists_the_scenarios_exercising_each_clause(tmp_path: Path) -> None:
    rules = load_rules(POLICIES).rules
    entries = {entry.clause: entry for entry in clause_index(rules, SCENARIOS / "pass")}
    assert entries["11"].scenarios == ["refused_when_the_permit_is_removed.yaml"]
    assert entries["3.2"].scenarios == []
    assert entries["3"].readings == {"toy.transfer": "{C} may transfer {S} to {E} on {D}"}
    assert entries["11"].scenario_names == {
        "refused_when_the_permit_is_removed.yaml": "Without a permit of the national security "
        "authorities nothing may be passed to Acme"
    }


def test_the_clause_index_skips_broken_scenario_files_unless_strict(tmp_path: Path) -> None:
    write(tmp_path, HEADER + QUESTION + "expect: {decision: refused, cites: ['3.2']}\n", "ok.yaml")
    write(tmp_path, "name: broken\nclause: '3.1'\n", "broken.yaml")
    rules = load_rules(POLICIES).rules
    entries = {entry.clause: entry for entry in clause_index(rules, tmp_path)}
    assert entries["3"].scenarios == entries["3.2"].scenarios == ["ok.yaml"]
    assert entries["3.1"].scenarios == []
    with pytest.raises(ScenarioError):
        clause_index(rules, tmp_path, strict=True)


def test_the_markdown_index_lists_each_clause_and_adds_no_clause_or_rule(tmp_path: Path) -> None:
    entries = clause_index(load_rules(POLICIES).rules, SCENARIOS / "pass")
    text = render_clause_index_markdown(entries)
    assert text.startswith("<!-- Generated by `policyeval clauses --markdown > policies/INDEX.md`")
    assert "## § 3.2 — Agreement\n" in text
    assert "- [`toy.agreement`](transfer.md#L" in text
    assert "nothing may be passed to Acme (`refused_when_the_permit_is_removed.yaml`)\n" in text
    index = write(tmp_path, text, "INDEX.md")
    assert parse_rule_file(index) == ([], [])


# -- the commands ---------------------------------------------------------------------------

cli = CliRunner()
TOY = ["--policies", str(POLICIES), "--root", str(FIXTURES)]


def test_the_test_command_exits_0_when_every_scenario_passes() -> None:
    result = cli.invoke(app, ["test", str(SCENARIOS / "pass"), *TOY])
    assert result.exit_code == 0, result.output
    assert "5 passed, 0 failed" in result.stdout and "FAIL" not in result.stdout


def test_the_test_command_exits_1_and_explains_each_failure() -> None:
    result = cli.invoke(app, ["test", str(SCENARIOS / "pass"), str(SCENARIOS / "fail"), *TOY])
    assert result.exit_code == 1
    assert "5 passed, 3 failed" in result.stdout
    assert "cites 3.2 which the scenario did not break: rule toy.agreement" in result.stdout
    assert "expected a reason citing 11 but got none" in result.stdout


def test_the_test_command_exits_2_when_a_scenario_file_is_invalid(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + QUESTION + "expect: {decision: refused}\n")
    result = cli.invoke(app, ["test", str(path), *TOY])
    assert result.exit_code == 2
    assert "error: invalid scenario files: 1 problem" in result.stderr
    assert f"{path}:5:9: invalid_field: field `expect`: a refusal must list in `cites`" in (
        result.stderr
    )


def test_the_test_command_prints_json() -> None:
    result = cli.invoke(app, ["test", str(SCENARIOS / "fail"), *TOY, "--json"])
    assert result.exit_code == 1
    printed = json.loads(result.stdout)
    assert (printed["passed"], printed["failed"]) == (0, 3)
    assert [(r["passed"], r["decision"]) for r in printed["results"]] == [(False, "refused")] * 3


def test_the_clauses_command_prints_the_markdown_index() -> None:
    args = ["clauses", "--policies", str(POLICIES), "--scenarios", str(SCENARIOS / "pass")]
    result = cli.invoke(app, [*args, "--markdown"])
    assert result.exit_code == 0, result.output
    entries = clause_index(load_rules(POLICIES).rules, SCENARIOS / "pass")
    assert result.stdout == render_clause_index_markdown(entries)

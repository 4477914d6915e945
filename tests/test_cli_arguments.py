"""``policyeval query`` and ``explain``: arguments read by their declared types, answer tables
headed by the question's variables, yes/no for ground questions, ``--assume``, ``explain
--json`` and its exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from paths import FACTS, POLICIES, TOY_FACTS, TOY_POLICIES
from policyeval import Var
from policyeval.cli import app, parse_arguments

TOY = ["--policies", str(TOY_POLICIES), "--facts", str(TOY_FACTS)]
ON = "2026-02-01"
ANSWER_FOR_S2 = (
    "- kind: answer\n  id: ans2\n  request: r1\n  by: mod\n  decision: granted\n"
    "  date: 2026-01-15\n  secrets: [s2]\n"
)

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def header(result: Result) -> list[str]:
    """The column headers of the answer table printed."""
    line = next(line for line in result.stdout.splitlines() if line.startswith("┃"))
    return [cell.strip() for cell in line.strip("┃").split("┃")]


@pytest.fixture()
def assumed(tmp_path: Path) -> Path:
    """A fact file granting `s2` too (the toy world grants only `s1`)."""
    path = tmp_path / "what-if.yaml"
    path.write_text(ANSWER_FOR_S2, encoding="utf-8")
    return path


# -- typed arguments ------------------------------------------------------------------------


def test_digits_for_a_string_argument_are_a_string() -> None:
    """Clause ids are strings: `8` asks for clause "8", not the integer 8."""
    result = run(
        "query", "transfer_breaches", "T", "8", "--no-proofs", "--json",
        "--policies", str(POLICIES), "--facts", str(FACTS),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answers = json.loads(result.stdout)["answers"]
    assert answers and {answer["values"][1] for answer in answers} == {"8"}


def test_a_twelve_digit_bin_is_text() -> None:
    result = run("query", "org_bin", "acme", "123456789012", *TOY)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('yes: org_bin(acme, "123456789012")')


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["answer_date", "ans1", "tomorrow"], "argument 2 of `answer_date` is a date (YYYY-MM-DD)"),
        (["answer_date", "ans1", "2026-13-01"], "`2026-13-01` is not a valid date"),
        (["secret_sheets", "s1", "many"], "argument 2 of `secret_sheets` is an integer"),
    ],
)
def test_an_argument_not_of_its_type_exits_2_naming_it(args: list[str], message: str) -> None:
    result = run("query", *args, *TOY)
    assert result.exit_code == 2
    assert message in result.stderr


def test_arguments_are_read_by_type_and_guessed_only_without_one() -> None:
    typed = parse_arguments(["8", "X", "_", "2026-01-10"], ("string", "string", None, "string"))
    assert typed == ["8", Var("X"), None, "2026-01-10"]
    untyped = parse_arguments(["8", "2026-01-10", "acme"])
    assert untyped[0] == 8 and str(untyped[1]) == "2026-01-10" and untyped[2] == "acme"


# -- answers --------------------------------------------------------------------------------


def test_the_table_is_headed_by_the_variables() -> None:
    result = run("query", "transfer_allowed", "mod", "E", "S", ON, "--no-proofs", *TOY)
    assert result.exit_code == 0, result.output
    assert header(result) == ["E", "S"]
    assert "acme" in result.stdout and "s1" in result.stdout


def test_an_any_argument_is_a_column_named_by_its_position() -> None:
    result = run("query", "answer_secret", "_", "S", "--no-proofs", *TOY)
    assert result.exit_code == 0, result.output
    assert header(result) == ["#1", "S"]


def test_a_ground_question_answers_yes_or_no() -> None:
    yes = run("query", "executor_permitted", "acme", ON, *TOY)
    assert yes.exit_code == 0, yes.output
    assert yes.stdout.startswith("yes: executor_permitted(acme, 2026-02-01)")
    assert "[toy.permit, clause 11]" in yes.stdout  # with its proof
    no = run("query", "executor_permitted", "beta", ON, *TOY)
    assert no.exit_code == 1
    assert no.stdout.startswith("no: executor_permitted(beta, 2026-02-01)")
    assert "why not:" in no.stdout and "toy.permit" in no.stdout


# -- assumed facts --------------------------------------------------------------------------


def test_query_with_assumed_facts(assumed: Path) -> None:
    question = ["query", "transfer_allowed", "mod", "acme", "s2", ON, *TOY]
    assert run(*question).stdout.startswith("no: ")
    result = run(*question, "--assume", str(assumed))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("yes: ")


def test_explain_with_assumed_facts(assumed: Path) -> None:
    question = ["explain", "transfer_allowed", "mod", "acme", "s2", ON, *TOY]
    assert run(*question).exit_code == 1
    result = run(*question, "--assume", str(assumed))
    assert result.exit_code == 0, result.output
    assert "ans2" in result.stdout


def test_an_unreadable_assumed_file_exits_2(tmp_path: Path) -> None:
    result = run("query", "organization", "X", *TOY, "--assume", str(tmp_path / "none.yaml"))
    assert result.exit_code == 2
    assert "cannot read the assumed facts" in result.stderr


# -- explain --------------------------------------------------------------------------------


def test_explain_json_and_exit_codes() -> None:
    established = run("explain", "executor_permitted", "acme", ON, "--json", *TOY)
    assert established.exit_code == 0, established.output
    result = json.loads(established.stdout)
    assert result["answers"][0]["proof"]["rule"] == "toy.permit"
    refused = run("explain", "executor_permitted", "beta", ON, "--json", *TOY)
    assert refused.exit_code == 1
    why_not = json.loads(refused.stdout)
    assert why_not["answers"] == [] and why_not["why_not"] is not None
    assert [reason["rule"] for reason in why_not["reasons"]] == ["toy.permit"]


def test_explain_of_an_unknown_predicate_exits_2() -> None:
    result = run("explain", "nothing", "x", *TOY)
    assert result.exit_code == 2
    assert "unknown predicate `nothing`" in result.stderr

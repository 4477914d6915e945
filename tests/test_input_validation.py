"""Ordinary bad input never fails with a traceback (issue #12): built-ins reject values out of
their domain with a named error, what would stop `serve` is found by `check`, an empty fact base
is refused, a syntax error is reported before what follows from it, problems repeat input safely,
and the CLI turns every error into ``error: …`` and exit 2."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

from paths import FACTS, POLICIES
from policyeval import FactError, QueryError, Snapshot, Var, load, load_fact_files
from policyeval.cli import app
from policyeval.decree743 import BUILTINS, VOCABULARY
from policyeval.decree743.calendar import MAX_WORKING_DAYS
from policyeval.errors import OutOfRangeError

runner = CliRunner()
ON = "2026-03-10"
RECEIVED = "received: 2025-11-04"
"""Request r_1's day of receipt in the bundled world (`facts/requests.yaml`)."""

REQUEST = {
    "kind": "request",
    "id": "r_new",
    "customer": "kazspecmash",
    "addressee": "minoborony",
    "executor": "nurtech",
    "secrets": ["doc_1"],
}


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return load(POLICIES, FACTS)


@pytest.fixture()
def world(tmp_path: Path) -> Path:
    """A private copy of the bundled facts, which a test may break."""
    shutil.copytree(FACTS, tmp_path / "facts")
    return tmp_path / "facts"


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def decide(facts: Path, *args: str) -> Result:
    return run(
        "decide",
        *("--customer", "kazspecmash", "--executor", "nurtech", "--secret", "doc_1"),
        *("--on", ON, "--policies", str(POLICIES), "--facts", str(facts), *args),
    )


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def solve(builtin: str, *pattern: Any) -> list[tuple[Any, ...]]:
    return list(BUILTINS[builtin].solve(pattern))


# -- built-ins out of their domain ----------------------------------------------------------


@pytest.mark.parametrize(
    ("builtin", "pattern", "named"),
    [
        ("add_days", (dt.date.max, 1, None), "add_days(9999-12-31, 1, End)"),
        ("add_days", (dt.date.min, -1, None), "add_days(0001-01-01, -1, End)"),
        ("add_days", (dt.date(2026, 1, 1), 10**12, None), "add_days(2026-01-01, "),
        ("add_working_days", (dt.date(1990, 6, 1), 10, None), "before 1991-01-01"),
        ("add_working_days", (dt.date(9999, 12, 30), 10, None), "after 9999-12-31"),
        ("add_working_days", (dt.date(2026, 1, 1), 300_000, None), "not 300000"),
        ("add_working_days", (dt.date(2026, 1, 1), -1, None), "not -1"),
        ("working_day", (dt.date(1990, 1, 3),), "working_day(1990-01-03)"),
    ],
)
def test_a_builtin_names_the_value_out_of_its_domain(
    builtin: str, pattern: tuple[Any, ...], named: str
) -> None:
    with pytest.raises(OutOfRangeError) as caught:
        solve(builtin, *pattern)
    assert isinstance(caught.value, QueryError) and caught.value.code == "out_of_range"
    assert f"`{builtin}(" in caught.value.message and named in caught.value.message


def test_builtins_answer_within_their_domain() -> None:
    assert solve("add_days", dt.date(9999, 12, 30), 1, None) == [
        (dt.date(9999, 12, 30), 1, dt.date.max)
    ]
    assert solve("add_working_days", dt.date(2026, 1, 1), MAX_WORKING_DAYS, None)
    assert solve("working_day", dt.date(1991, 1, 3)) == [(dt.date(1991, 1, 3),)]


def test_a_question_out_of_range_is_a_query_error_and_the_engine_keeps_answering(
    snapshot: Snapshot,
) -> None:
    with pytest.raises(OutOfRangeError, match="not 300000"):
        snapshot.query("add_working_days", [dt.date(2026, 1, 1), 300_000, Var("End")])
    with pytest.raises(OutOfRangeError, match="before 1991-01-01"):
        snapshot.query("working_day", [dt.date(1990, 6, 1)])
    result = snapshot.query("answer_due", ["r_1", Var("Due")])
    assert [answer.values for answer in result.answers] == [["r_1", dt.date(2025, 11, 18)]]


def test_the_cli_reports_a_builtin_out_of_range_with_exit_2() -> None:
    result = run("query", "add_working_days", "2026-01-01", "300000", "End", "--facts", str(FACTS))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: `add_working_days(2026-01-01, 300000, End)`")
    assert "Traceback" not in result.output


# -- what would stop `serve` is found by `check` --------------------------------------------


def test_a_receipt_before_the_calendar_is_a_located_problem_of_check(world: Path) -> None:
    replace_in(world / "requests.yaml", RECEIVED, "received: 1990-06-01")
    checked = run("check", "--policies", str(POLICIES), "--facts", str(world))
    validated = run("facts", "validate", str(world))
    decided = decide(world)

    where = f"{world / 'requests.yaml'}:12:13: invalid_field: request `r_1`: field `received`: "
    assert checked.exit_code == 1 and checked.stdout.startswith(where), checked.output
    assert "1990-06-01 is outside 1991-01-01 to 9998-12-31" in checked.stdout
    assert validated.exit_code == 1 and where in validated.stderr
    assert decided.exit_code == 2 and where in decided.stderr
    assert "Traceback" not in decided.output


def test_a_receipt_at_the_end_of_the_calendar_is_refused_by_load(world: Path) -> None:
    replace_in(world / "requests.yaml", RECEIVED, "received: 9999-12-30")
    with pytest.raises(FactError) as caught:
        load(POLICIES, world)
    [problem] = caught.value.problems
    assert problem.location is not None and problem.location.line == 12
    assert "9999-12-30 is outside" in problem.message


def test_an_assumed_receipt_before_the_calendar_is_a_fact_error(snapshot: Snapshot) -> None:
    with pytest.raises(FactError) as caught:
        snapshot.assumed([{**REQUEST, "received": "1990-06-01"}])
    [problem] = caught.value.problems
    assert "field `received`: 1990-06-01 is outside" in problem.message
    assumed = snapshot.assumed([{**REQUEST, "received": "2026-01-05"}])
    result = snapshot.query("answer_due", ["r_new", Var("Due")], assume=assumed)
    assert [answer.values for answer in result.answers] == [["r_new", dt.date(2026, 1, 20)]]


# -- an empty fact base ---------------------------------------------------------------------


def test_an_empty_fact_base_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(FactError) as caught:
        load(POLICIES, tmp_path)
    [problem] = caught.value.problems
    assert problem.code == "no_facts" and problem.location is not None
    assert problem.location.file == str(tmp_path)

    checked = run("check", "--policies", str(POLICIES), "--facts", str(tmp_path))
    assert checked.exit_code == 1 and ": no_facts: no records in " in checked.stdout
    assert decide(tmp_path).exit_code == 2


# -- a syntax error comes first, without its follow-on problems -----------------------------


def test_a_yaml_syntax_error_is_reported_first_without_unknown_references(world: Path) -> None:
    replace_in(world / "organizations.yaml", "  head_may_classify: true", "  head: [unclosed")
    with pytest.raises(FactError) as caught:
        load_fact_files([world], VOCABULARY)
    problems = caught.value.problems
    assert problems[0].code == "yaml_error"
    assert problems[0].location is not None
    assert problems[0].location.file == str(world / "organizations.yaml")
    assert not [p for p in problems if p.code == "unknown_reference"]


def test_a_reference_of_the_wrong_kind_is_still_reported_beside_a_syntax_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.yaml").write_text("- {kind: secret, id: plan, name: [\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text(
        "- {kind: secret_return, id: ret, executor: ret, customer: nowhere, secrets: [plan],"
        " date: 2026-07-01}\n",
        encoding="utf-8",
    )
    with pytest.raises(FactError) as caught:
        load_fact_files([tmp_path], VOCABULARY)
    codes = [p.code for p in caught.value.problems]
    assert codes[0] == "yaml_error" and "wrong_reference" in codes
    assert "unknown_reference" not in codes


# -- problems repeat input safely -----------------------------------------------------------


def test_problems_cut_long_input_and_escape_lone_surrogates(snapshot: Snapshot) -> None:
    with pytest.raises(FactError) as caught:
        snapshot.assumed(
            [
                {"kind": "x" * 1000, "id": "a"},
                {**REQUEST, "substantiation": "\ud800", "note" + "y" * 1000: 1},
            ]
        )
    messages = [p.message for p in caught.value.problems]
    assert all(len(message) < 500 for message in messages), messages
    assert any("x" * 199 + "…`" in message for message in messages)
    assert any("(got `\\ud800`)" in message for message in messages)
    for message in messages:
        message.encode("utf-8")  # writable: no lone surrogate left


# -- the CLI never shows a traceback --------------------------------------------------------


def test_an_unexpected_error_is_an_internal_error_with_exit_2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("policyeval.cli.decide_transfer", broken)
    result = decide(FACTS)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == "error: internal error: RuntimeError: boom"
    assert "Traceback" not in result.output


def test_an_error_repeating_a_lone_surrogate_is_printed(tmp_path: Path) -> None:
    assumed = tmp_path / "assume.json"
    assumed.write_text('[{"kind": "request", "id": "bad\\ud800"}]', encoding="utf-8")
    result = decide(FACTS, "--assume", str(assumed))
    assert result.exit_code == 2, result.output
    assert "(got `bad\\ud800`)" in result.stderr


def test_the_cli_keeps_typers_own_exits(tmp_path: Path) -> None:
    assert run("query").exit_code == 2  # a usage error, from typer itself
    assert run("facts", "validate", str(FACTS)).exit_code == 0


WORLD = ("--policies", str(POLICIES), "--facts", str(FACTS), "--on", ON)
TRANSFER = ("--customer", "kazspecmash", "--executor", "nurtech", "--secret", "doc_1")


@pytest.mark.parametrize(
    "command",
    [
        ("decide", *TRANSFER, *WORLD),
        ("decide", *TRANSFER, *WORLD, "--json"),
        ("query", "answer_due", "r_1", "_", *WORLD),
        ("query", "answer_due", "r_1", "_", *WORLD, "--json"),
        ("explain", "answer_due", "r_1", "_", *WORLD),
        ("explain", "answer_due", "r_1", "_", *WORLD, "--json"),
        ("facts", "validate", str(FACTS)),
    ],
    ids=["decide", "decide --json", "query", "query --json", "explain", "explain --json", "facts"],
)
def test_an_error_while_printing_is_an_internal_error_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """Output that cannot be written (a closed pipe, an encoding) fails like any other error:
    ``error: internal error: …`` and exit 2, never a traceback."""
    echo = typer.echo

    def closed_stdout(*args: object, **kwargs: Any) -> None:
        if not kwargs.get("err"):
            raise OSError("stdout is closed")
        echo(*args, **kwargs)  # type: ignore[arg-type]

    def closed_console(*args: object, **kwargs: object) -> None:
        raise OSError("stdout is closed")

    monkeypatch.setattr(typer, "echo", closed_stdout)
    monkeypatch.setattr(Console, "print", closed_console)
    result = run(*command)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.strip() == "error: internal error: OSError: stdout is closed"
    assert "Traceback" not in result.output

"""The rule-file parser: every construct to its syntax, literate Markdown, located syntax errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policyeval.errors import RuleSyntaxError
from policyeval.language.parser import load_rule_set, parse_rule_file, parse_rules
from policyeval.language.syntax import (
    Atom,
    ClauseText,
    Comparison,
    Const,
    Location,
    Negation,
    Rule,
    Var,
)


def _one(text: str, clause: str | None = "1") -> Rule:
    rules = parse_rules(text, "r.md", clause)
    assert len(rules) == 1
    return rules[0]


def _errors(text: str, line_offset: int = 0) -> list[str]:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rules(text, "r.md", None, line_offset)
    assert all(p.code == "parse_error" for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


# --- Datalog constructs -----------------------------------------------------------------------


def test_a_full_rule_parses_with_its_annotations_and_every_kind_of_literal() -> None:
    rule = _one(
        """% a comment to end of line
@id("transfer.permission_held")
@clause("3.1")
@reading("{C} holds the written permission to transfer {S} to {E}")
@interpretation("we read it as …")
permission_held(C, E, S, D) :- permission(P), permission_customer(P, C),
    not revoked(P), P != "x", D >= 2021-05-02.
"""
    )
    assert rule.id == "transfer.permission_held"
    assert rule.clause == "3.1"
    assert rule.reading == "{C} holds the written permission to transfer {S} to {E}"
    assert rule.interpretation == "we read it as …"
    assert rule.head == Atom("permission_held", (Var("C"), Var("E"), Var("S"), Var("D")))
    assert rule.body == (
        Atom("permission", (Var("P"),)),
        Atom("permission_customer", (Var("P"), Var("C"))),
        Negation(Atom("revoked", (Var("P"),))),
        Comparison("!=", Var("P"), Const("x")),
        Comparison(">=", Var("D"), Const(dt.date(2021, 5, 2))),
    )


def test_a_fact_rule_has_an_empty_body_and_constants_of_every_type() -> None:
    rule = _one('fact_like(a, "Some string", 42, -7, 2026-03-01).')
    assert rule.body == ()
    assert rule.head.terms == (
        Const("a"),
        Const("Some string"),
        Const(42),
        Const(-7),
        Const(dt.date(2026, 3, 1)),
    )
    assert rule.id == "" and rule.reading == "" and rule.interpretation is None


def test_zero_arity_atoms_with_and_without_parentheses() -> None:
    rule = _one("ready :- open(), not closed.")
    assert rule.head == Atom("ready", ())
    assert rule.body == (Atom("open", ()), Negation(Atom("closed", ())))


@pytest.mark.parametrize("operator", ["=", "!=", "<", "<=", ">", ">="])
def test_every_comparison_operator(operator: str) -> None:
    rule = _one(f"p(X) :- q(X), X {operator} 3.")
    assert rule.body[1] == Comparison(operator, Var("X"), Const(3))


def test_a_symbol_may_stand_left_of_a_comparison_and_a_predicate_may_start_with_not() -> None:
    rule = _one("p(X) :- nothing(X), abc = X.")
    assert rule.body == (Atom("nothing", (Var("X"),)), Comparison("=", Const("abc"), Var("X")))


def test_each_anonymous_variable_is_a_fresh_variable() -> None:
    rule = _one("p(X) :- q(X, _, _), not r(X, _), _Y = X.")
    assert rule.body == (
        Atom("q", (Var("X"), Var("_1"), Var("_2"))),
        Negation(Atom("r", (Var("X"), Var("_3")))),
        Comparison("=", Var("_Y"), Var("X")),
    )


def test_string_escapes_and_adjacent_annotation_strings_concatenate() -> None:
    rule = _one(
        r"""@reading("part one, "
         "part two")
@interpretation("the \"quoted\" word and a \\ backslash; not a . or % comment")
p("a \"b\" \\ c")."""
    )
    assert rule.reading == "part one, part two"
    assert rule.interpretation == 'the "quoted" word and a \\ backslash; not a . or % comment'
    assert rule.head.terms == (Const('a "b" \\ c'),)


def test_clause_annotation_overrides_the_default_clause() -> None:
    rules = parse_rules('@clause("8") p(1).\nq(2).', "r.md", "3")
    assert [r.clause for r in rules] == ["8", "3"]


def test_without_a_default_clause_the_clause_is_empty() -> None:
    assert _one("p(1).", clause=None).clause == ""


def test_locations_are_in_the_original_file() -> None:
    rules = parse_rules("% comment\n\np(X) :-\n  q(X),\n  X > 1.", "policies/a.md", "1", 10)
    rule = rules[0]
    assert rule.location == Location("policies/a.md", 13, 1)
    assert rule.head.location == Location("policies/a.md", 13, 1)
    assert rule.body[0].location == Location("policies/a.md", 14, 3)
    assert rule.body[1].location == Location("policies/a.md", 15, 3)


def test_a_block_of_only_comments_has_no_rules() -> None:
    assert parse_rules("% nothing here\n\n% still nothing. Not even this.\n", "r.md") == []


# --- Syntax errors ----------------------------------------------------------------------------


def test_a_syntax_error_names_file_line_column_and_what_was_expected() -> None:
    assert _errors("p(X) :-\n  q(X, ).", line_offset=4) == [
        "r.md:6:8: parse_error: unexpected `)`; expected a term (variable, constant)"
    ]


def test_a_missing_full_stop_is_reported_at_the_next_token() -> None:
    assert _errors("p(X) :- q(X)\nr(X) :- s(X).") == [
        "r.md:2:1: parse_error: unexpected `r`; expected `,` or `.`"
    ]


def test_an_empty_body_expects_a_condition() -> None:
    (error,) = _errors("p(X) :- .")
    assert "unexpected `.`; expected a condition" in error


def test_the_end_of_a_block_inside_a_rule_is_reported_after_the_last_token() -> None:
    assert _errors("p(X) :- q(X") == [
        "r.md:1:12: parse_error: unexpected end of the code block; expected `,` or `)`"
    ]


def test_every_syntax_error_of_a_block_is_reported() -> None:
    errors = _errors(
        """p(X) :- q(X), ).
@foo("x") p(1).
@id("a") @id("b") p(2).
p(_1) :- q(2026-02-30, "a\\nb").
p(X) :- not X.
p($).
p("abc
).
ok(1).
"""
    )
    assert errors == [
        "r.md:1:15: parse_error: unexpected `)`; expected a condition (an atom, `not` and an atom,"
        " or a comparison)",
        "r.md:2:1: parse_error: unknown annotation `@foo`; expected one of `@id`, `@clause`,"
        " `@reading`, `@refusal`, `@interpretation`, `@given`",
        "r.md:3:10: parse_error: annotation `@id` is given twice for one rule",
        "r.md:4:3: parse_error: variable name `_1` is reserved for anonymous variables;"
        " write `_` or a name",
        "r.md:4:12: parse_error: invalid date `2026-02-30`: day is out of range for month",
        'r.md:4:24: parse_error: unknown escape `\\n` in a string; only `\\"` and `\\\\` are'
        " escapes",
        "r.md:5:13: parse_error: unexpected `X`; expected a predicate name",
        "r.md:6:3: parse_error: unexpected character `$`; expected a term (variable, constant)"
        " or `)`",
        'r.md:7:3: parse_error: unterminated string: a string must end with `"` on the same line',
    ]


def test_a_predicate_name_must_start_lower_case() -> None:
    (error,) = _errors("P(X) :- q(X).")
    assert error.startswith("r.md:1:1: parse_error: unexpected `P`; expected")


# --- Literate Markdown ------------------------------------------------------------------------

RULE_FILE = """\
# Transfer rules

```datalog
@id("orphan") @reading("an orphan rule")
orphan(1).
```

## 3. Transfer sequence

> The transfer of state secrets by the customer
> provides for the following sequence:

Our commentary, not quoted.

> 1) receipt by the customer of a permission;

### 3.1) Permission

> written permission of the disposing body

```datalog
@id("transfer.permission_held")
@reading("{C} holds a permission")
permission_held(C) :- permission_customer(_, C).
```

```python
# not datalog: ignored
## 9. not a heading either
```

```datalog clause=6.4
@id("agreement.signed") @reading("{A} is signed")
signed(A) :- agreement(A).
@id("notice.sent") @clause("3.3") @reading("{N} was sent")
sent(N) :- notice(N).
```

### Notes

> not the decree: no clause heading

#### 6.4 Agreement issues

## Clause 8: Protection
```datalog
@id("protection") @reading("protected")
protected.
```
"""


@pytest.fixture
def rule_file(tmp_path: Path) -> Path:
    path = tmp_path / "transfer.md"
    path.write_text(RULE_FILE, encoding="utf-8")
    return path


def test_rules_take_the_clause_of_the_nearest_clause_heading(rule_file: Path) -> None:
    rules, _ = parse_rule_file(rule_file)
    clauses = {rule.id: rule.clause for rule in rules}
    assert clauses == {
        "orphan": "",
        "transfer.permission_held": "3.1",
        "agreement.signed": "6.4",
        "notice.sent": "3.3",
        "protection": "8",
    }


def test_rule_locations_are_file_lines(rule_file: Path) -> None:
    rules, _ = parse_rule_file(rule_file)
    locations = {rule.id: rule.location for rule in rules}
    assert locations["orphan"] == Location(str(rule_file), 5, 1)
    assert locations["transfer.permission_held"] == Location(str(rule_file), 24, 1)
    assert locations["notice.sent"] == Location(str(rule_file), 36, 1)


def test_clause_texts_quote_the_decree_under_each_clause_heading(rule_file: Path) -> None:
    _, clauses = parse_rule_file(rule_file)
    file = str(rule_file)
    assert clauses == [
        ClauseText(
            "3",
            "Transfer sequence",
            "The transfer of state secrets by the customer\n"
            "provides for the following sequence:\n"
            "\n"
            "1) receipt by the customer of a permission;",
            Location(file, 8),
        ),
        ClauseText(
            "3.1", "Permission", "written permission of the disposing body", Location(file, 17)
        ),
        ClauseText("6.4", "Agreement issues", "", Location(file, 43)),
        ClauseText("8", "Protection", "", Location(file, 45)),
    ]


def test_a_syntax_error_in_a_markdown_file_is_located_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("## 1. One\n\nprose\n\n```datalog\np(X) :- q(X.\n```\n", encoding="utf-8")
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule_file(path)
    (problem,) = caught.value.problems
    assert problem.location == Location(str(path), 6, 12)


def test_load_rule_set_reads_every_markdown_file_sorted(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.md").write_text("## 2.\n```datalog\nb(1).\n```\n", encoding="utf-8")
    (tmp_path / "sub" / "a.md").write_text("## 1.\n```datalog\na(1).\n```\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("```datalog\nignored(.\n```\n", encoding="utf-8")
    rule_set = load_rule_set([tmp_path])
    assert [rule.head.predicate for rule in rule_set.rules] == ["b", "a"]
    assert [clause.clause for clause in rule_set.clauses] == ["2", "1"]


def test_load_rule_set_reports_the_syntax_errors_of_all_files_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("```datalog\na(1) :- .\n```\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("```datalog\nb(1).\nb(\n```\n", encoding="utf-8")
    (tmp_path / "c.md").write_text("```datalog\nc(1).\n```\n", encoding="utf-8")
    with pytest.raises(RuleSyntaxError) as caught:
        load_rule_set([tmp_path])
    assert caught.value.message == "rule files do not parse: 2 problems"
    assert [(p.location.file, p.location.line) for p in caught.value.problems if p.location] == [
        (str(tmp_path / "a.md"), 2),
        (str(tmp_path / "b.md"), 3),
    ]


def test_an_unreadable_rule_file_is_a_located_problem(tmp_path: Path) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        load_rule_set([tmp_path / "missing.md"])
    (problem,) = caught.value.problems
    assert problem.location == Location(str(tmp_path / "missing.md"), 1)
    assert problem.message.startswith("cannot read the rule file")
